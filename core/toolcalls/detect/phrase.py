"""Style `phrase`: a sentence announcing a call ("I will use the weather tool"), negations excluded."""

from __future__ import annotations

import re

from agent_flan.core.toolcalls.detect.common import RawCall, _is_known
from agent_flan.core.toolcalls.detect.python_code import _ordinary_code

# First-person intent only: "you can call X" or "the X function does Y" describe, they do not act.
_SUBJECT = (
    r"\b(?:I\s+will|I'll|I\s+shall|I\s+am\s+(?:now\s+)?going\s+to|I'm\s+(?:now\s+)?going\s+to|I'm\s+gonna"
    r"|I\s+need\s+to|I\s+must|I\s+should|I\s+have\s+to|let\s+me(?!\s+know\b)|let's|I\s+want\s+to|I'd\s+like\s+to"
    r"|I\s+would\s+like\s+to|I\s+am\s+about\s+to|I'm\s+about\s+to)"
)


_ADVERBS = r"(?:\s+(?:now|first|then|next|also|just|quickly|again|go\s+ahead\s+and|need\s+to|have\s+to))*"


_VERB = (
    r"(?:use|call|invoke|execute|operate|utilize|employ|run|query|trigger|leverage|make\s+use\s+of"
    r"|make\s+(?:a|an)\s+(?:API\s+)?call\s+to|send\s+a\s+request\s+to)"
)


_GERUND = r"(?:calling|invoking|executing|using|querying|operating)"


_INTENT = re.compile(
    rf"(?:{_SUBJECT}{_ADVERBS}\s+{_VERB}"
    rf"|(?:^(?:now,?\s+)?|\bI\s+am\s+(?:now\s+)?|\bI'm\s+(?:now\s+)?){_GERUND})\s+",
    re.I,
)


# "Let me check the weather using the get_weather tool": the verb is ordinary, the tool follows "using".
_INTENT_VIA = re.compile(rf"{_SUBJECT}[^.;:!?]{{0,60}}?\s(?:using|with|via|through|by\s+(?:using|calling))\s+", re.I)


_TOK = r"[A-Za-z_][\w.\-]*\w|[A-Za-z_]"


_QUOTE_OPEN, _QUOTE_CLOSE = "[`'\"“]", "[`'\"”]"


_ARTICLE = r"(?:(?:the|a|an|my|our|this|that)\s+)?"


_OBJECT_WITH_KIND = re.compile(
    rf"{_ARTICLE}{_QUOTE_OPEN}?(?P<name>(?:{_TOK})(?:\s+(?:{_TOK})){{0,2}}?){_QUOTE_CLOSE}?(?:\(\))?"
    r"\s+(?P<kind>tools?|functions?|APIs?|plugins?|endpoints?)\b",
    re.I,
)


# "call the function get_weather", "use the tool `search_web`": the kind word comes first.
_KIND_THEN_NAME = re.compile(
    rf"{_ARTICLE}(?:tool|function|API|plugin|endpoint)\s+(?:called\s+|named\s+)?"
    rf"(?P<q>{_QUOTE_OPEN})?(?P<name>{_TOK})(?P<close>{_QUOTE_CLOSE})?",
    re.I,
)


_OBJECT_NAME = re.compile(
    rf"{_ARTICLE}(?P<q>{_QUOTE_OPEN})?(?P<name>{_TOK})(?P<close>{_QUOTE_CLOSE})?(?P<paren>\()?", re.I
)


# "use the appropriate tool": intent to call, tool unnamed (reported with name "").
_GENERIC_NAMES = {
    "appropriate",
    "right",
    "relevant",
    "available",
    "following",
    "same",
    "correct",
    "proper",
    "necessary",
    "required",
    "provided",
    "given",
    "suitable",
    "best",
    "another",
    "other",
    "new",
}


# "through these tools", "using the current tools", "with your own tools": a kind of tool, no particular one.
_DETERMINERS = {
    "a",
    "an",
    "the",
    "my",
    "our",
    "this",
    "that",
    "these",
    "those",
    "any",
    "some",
    "your",
    "their",
    "its",
    "such",
    "all",
    "both",
    "no",
    "current",
    "existing",
    "own",
    "other",
    "several",
    "various",
    "multiple",
    "many",
    "certain",
    "external",
    "specific",
    "additional",
    "more",
    "further",
    "different",
}


# Objects of "use" that are never tools, and words after a name that make it code, not a tool.
_NOT_TOOLS = {
    "pandas",
    "numpy",
    "requests",
    "python",
    "javascript",
    "excel",
    "google",
    "regex",
    "sql",
    "formula",
    "method",
    "approach",
    "knowledge",
    "information",
    "data",
}


_NOT_TOOL_KINDS = re.compile(
    r"\s*(?:library|module|package|framework|class|method|keyword|operator|syntax|formula)\b", re.I
)


# Negation/condition before the intent ("I cannot use", "if I could call") or a lack
# stated after it ("..., which I don't have") cancels the intent.
_PREFIX_NEGATION = re.compile(r"n't\b|\b(?:not|never|cannot|unable|if|would|could|without|unless)\b", re.I)


_SUFFIX_NEGATION = re.compile(
    r"(?:n't|\bnot)\s+(?:\w+\s+)?(?:have|has|got|available|exist|support|access|possible|enabled|allowed|able)"
    r"|\bunavailable\b|\bimpossible\b|\bno\s+access\b|\bno\s+tools?\b"
    r"|\bunable\b|\bcannot\b|\bcan't\b|\bdon't\s+have\b|\black\b",
    re.I,
)


def _sentences(text: str) -> list[str]:
    """Split prose into sentences; dotted tool names have no space after the dot."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _current_clause(prefix: str) -> str:
    """Negation before a contrast does not reach past it: "I cannot book tickets,
    but I will use get_movie_details" still states an intent to call."""
    return re.split(r"\b(?:but|however|although|though|yet)\b|;", prefix, flags=re.I)[-1]


def _tool_like(token: str, names: set[str] | None) -> bool:
    """An identifier that reads like a tool name rather than an English word."""
    if _is_known(token, names):
        return True
    return bool(re.search(r"[_.]|\d|[a-z][A-Z]", token))


def _phrase_object(rest: str, names: set[str] | None) -> str | None:
    """Tool name after an intent verb ("" for a generic "the appropriate tool"), or None."""
    match = _KIND_THEN_NAME.match(rest)
    if match:
        name = match.group("name")
        quoted = bool(match.group("q") and match.group("close"))
        if (quoted or _tool_like(name, names)) and not _ordinary_code(name):
            return name
    match = _OBJECT_WITH_KIND.match(rest)
    if match:
        return _kind_object(match.group("name"), match.group("kind").lower(), rest, names)
    match = _OBJECT_NAME.match(rest)
    if not match:
        return None
    name = match.group("name")
    if _is_known(name, names):
        return name
    quoted = bool(match.group("q") and match.group("close"))
    after = rest[match.end() :].lstrip("()`'\"”")
    if name.lower() in _NOT_TOOLS or _ordinary_code(name) or _NOT_TOOL_KINDS.match(after):
        return None  # "the `requests` library", "`pd.merge()`", "my knowledge"
    return name if quoted or _tool_like(name, names) or match.group("paren") else None


def _kind_object(name: str, kind: str, rest: str, names: set[str] | None) -> str | None:
    """Name in "<name> tool/function/API"; generic names give "" (a call to some tool)."""
    if _is_known(name, names):
        return name
    words = name.lower().split()
    while words and words[0] in _DETERMINERS:  # "these tools", "the current tools": no particular tool
        words.pop(0)
    if not words:
        return None  # "using a tool like Excel", "through these tools"
    lowered = " ".join(words)
    name = " ".join(name.split()[-len(words) :])
    if lowered in _GENERIC_NAMES or lowered.split()[-1] in _GENERIC_NAMES:
        return "" if kind.startswith(("tool", "api", "plugin")) else None
    if lowered in _NOT_TOOLS:
        return None
    if kind.startswith("function"):
        quoted = re.match(rf"{_ARTICLE}{_QUOTE_OPEN}", rest, re.I)
        if _ordinary_code(name) or not (quoted or _tool_like(name, names)):
            return None  # "the `sorted` function", "a helper function" in a coding answer
    return name


# "I will run:\n```bash\nls\n```": announcing that the assistant itself executes code.
_INTENT_CODE = re.compile(
    rf"{_SUBJECT}{_ADVERBS}\s+(?:run|execute)(?:\s+(?:the\s+following|this|these)(?:\s+\w+)?)?\s*:"
    r"\s*\n\s*```(?P<lang>[\w+\-]*)[^\n]*\n(?P<code>.*?)```",
    re.I | re.S,
)


def _code_intent(text: str) -> list[RawCall]:
    """A first-person "I will run:" followed by a code block; the tool is the block's language."""
    for match in _INTENT_CODE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not _PREFIX_NEGATION.search(_current_clause(text[line_start : match.start()])):
            return [(match.group("lang").lower(), match.group("code").strip(), False)]
    return []


def _detect_phrase(reply: str, names: set[str] | None) -> list[RawCall]:
    """Prose intent to call a tool ("I will use the X tool", "I will operate X")."""
    text = reply.replace("’", "'")
    code = _code_intent(text)
    if code:
        return code
    for sentence in _sentences(text):
        for match in [*_INTENT.finditer(sentence), *_INTENT_VIA.finditer(sentence)]:
            if _PREFIX_NEGATION.search(_current_clause(sentence[: match.start()])):
                continue
            name = _phrase_object(sentence[match.end() :], names)
            if name is None or _SUFFIX_NEGATION.search(sentence[match.end() :]):
                continue
            return [(name, None, False)]
    return []
