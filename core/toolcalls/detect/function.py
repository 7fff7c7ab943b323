"""Style `function`: Python-style calls written as the reply or in a code block."""

from __future__ import annotations

import re

from agent_flan.core.toolcalls.detect.common import RawCall, _is_known
from agent_flan.core.toolcalls.detect.native import _PY_CALL_START
from agent_flan.core.toolcalls.detect.python_code import (
    _ast_call_args,
    _calls_in_python,
    _dotted_name,
    _only_calls,
    _parse_python,
    _plausible_tool,
)

_FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+\-]*)[^\n]*\n(?P<code>.*?)```", re.S)


_OPEN_FENCE = re.compile(r"```[ \t]*[\w+\-]*[^\n]*\n(?P<code>.*)\Z", re.S)
_PROGRAM = re.compile(r"^\s*(?:import|from\s+\S+\s+import|def|class|async\s+def)\b", re.M)


_PY_LANGS = {"", "python", "py", "python3", "tool_code", "tool_call", "ipython", "pycon"}


_CALL_LINE = re.compile(r"\[?\s*[A-Za-z_][\w.]*\(.*\)\s*\]?")  # no space before "(": "price (approx)" is prose


# "Function call: get_weather(city='Paris')" is a call line with a label in front.
_CALL_LABEL = re.compile(
    r"^(?:[-*]\s+)?(?:\*\*)?(?:function\s+call|tool\s+call|api\s+call|call|calling|tool|action)"
    r"(?:\*\*)?\s*:(?:\*\*)?\s*",
    re.I,
)


_DEFINED = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)


# Lines of a program listing (any language): a statement ending in ";" or "{", a lone brace, a keyword
# that starts a declaration, an assignment. A call line among them is code, not a call.
_CODE_LINE = re.compile(
    r"[;{]\s*$|^\s*[{}()\]]+[;,]?\s*$"
    r"|^\s*(?:var|let|const|using|import|package|func|function|def|class|public|private|protected|static|return"
    r"|#include|namespace|struct|fn|impl|end|elif|else|for|while|if)\b"
    r"|^\s*[A-Za-z_][\w.\[\]]*\s*(?::=|=|\+=|-=)\s*\S",
    re.M,
)


def _in_listing(lines: list[str], index: int) -> bool:
    """Whether line `index` sits in a program listing: two code lines within three lines of it, or one
    when the line itself ends like a statement (`disp(puns);`)."""
    near = lines[max(0, index - 3) : index] + lines[index + 1 : index + 4]
    code = sum(bool(_CODE_LINE.search(line)) for line in near)
    return code >= 2 or (code >= 1 and lines[index].rstrip().endswith(";"))


def _detect_function(reply: str, names: set[str] | None) -> list[RawCall]:
    """Python call syntax in a fenced python block or alone on a line."""
    defined = set(_DEFINED.findall(reply))
    for match in _FENCE.finditer(reply):
        if match.group("lang").lower() in _PY_LANGS:
            code = match.group("code")
            calls = _calls_in_python(code, names, defined)
            if not calls and _parse_python(code) is None:
                calls = _broken_attempt(code, names, defined)
            if calls:
                return calls
    outside = _FENCE.sub("\n", reply)
    unclosed = _OPEN_FENCE.search(outside)  # a listing cut off by the token limit runs to the end of the reply
    if unclosed and _PROGRAM.search(unclosed.group("code")):
        outside = outside[: unclosed.start()] + "\n"
    whole = outside.strip()
    lines = outside.splitlines()
    candidates = ([(whole, False)] if _PY_CALL_START.match(whole) else []) + [
        (_CALL_LABEL.sub("", line.strip()).strip().strip("`").rstrip(";").strip(), _in_listing(lines, i))
        for i, line in enumerate(lines)
    ]
    for candidate, listed in candidates:
        if candidate is not whole and not _CALL_LINE.fullmatch(candidate):
            continue
        tree = _parse_python(candidate)
        only = _only_calls(tree) if tree else None
        if not only:
            continue
        called = [_dotted_name(c.func) or "" for c in only]
        if listed and not all(_is_known(name, names) for name in called):
            continue  # a line of a program listing: code, unless it calls an offered tool
        if all(_plausible_tool(name, names, defined) for name in called):
            return [(name, *_ast_call_args(c)) for name, c in zip(called, only, strict=True)]
    return _broken_attempt(whole, names, defined)


# The start of a BFCL-style call that does not parse: `[name(` or `name(` opening the answer, then an
# argument (`key=` or a quoted value). `[integral(value="x^3", from=1, to=5)]`, `f(a="b"="c")` and a list cut
# off by the token limit are call attempts with broken arguments.
_ATTEMPT = re.compile(
    r"\A\s*(?:`{0,3}(?:python|py|tool_code)?\s*)?(?P<list>\[)?\s*(?P<name>[A-Za-z_][\w.]*)\((?P<rest>.*)\Z", re.S
)
_ARGUMENT_START = re.compile(r"\s*(?:[A-Za-z_]\w*\s*=(?!=)|[\"'{\[\d-])")


def _broken_attempt(text: str, names: set[str] | None, defined: set[str]) -> list[RawCall]:
    """A reply that opens with a call which does not parse, counted as a call with invalid arguments.

    Ordinary code (print(...), np.mean(...)) and prose stay out: the name must be a plausible tool (an
    offered one, or tool-like and not a builtin, module or class), the text after "(" must begin an
    argument, and the whole answer must be that attempt (no prose line after a closed call)."""
    match = _ATTEMPT.match(text)
    if not match:
        return []
    name, rest = match.group("name"), match.group("rest")
    if not _ARGUMENT_START.match(rest):
        return []
    if not (
        _is_known(name, names)
        or (_plausible_tool(name, names, defined) and ("_" in name or "." in name or match.group("list")))
    ):
        return []
    if "\n\n" in rest.strip():
        return []  # a call-looking first line, then paragraphs: prose that starts oddly, not an attempt
    return [(name, text.strip(), False)]
