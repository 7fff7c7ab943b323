"""The kit's call language: how aligned ("tflan") steps write a call, and how to read it back (Agent-FLAN §4.1).

Agent-FLAN replaces the rigid `Thought / Action / Action Input` layout with free prose: the
thought as written, then a sentence that names the tool ("I will operate X."), then the
arguments in one of several serialisations, so the model learns the content of a call
rather than one fixed format. The exact phrases and format pool were never released
(agent_flan.md §2a), so this module holds our own bank:

- `ELICITATIONS`: paraphrased sentences naming the tool, each with `{name}`.
- `SERIALISERS`: six ways to write (name, arguments) in a fenced block (json, python_dict,
  yaml, function_call, cli, key_value), each also carrying raw-string arguments (e.g. ToolBench's
  invalid-JSON Action Input) as literal text; and two inline ones with no block (inline_json,
  inline_prose). Each has a parser, so `parse_rendered_call` recovers exactly what was written:
  the aligned data can be checked to lose nothing, and the detector reads these calls in replies.

Fences are as long as needed (one backtick more than the longest run inside), so any
argument text, backticks included, survives inside a block.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
import random
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

Arguments = dict[str, Any] | str

# ---------------------------------------------------------------------------------------------
# banks
# ---------------------------------------------------------------------------------------------

ELICITATIONS: tuple[str, ...] = (
    "I will operate {name}.",
    "At this step, I am going to execute {name}.",
    "I'll call {name} now.",
    "The tool I need here is {name}.",
    "Next, I will use {name}.",
    "So I am going to run {name}.",
    "Let me call {name}.",
    "This calls for {name}.",
    "I will invoke {name} for this.",
    "My next action is {name}.",
    "To move forward, I'll use {name}.",
    "The right action now is {name}.",
    "I am going to make a call to {name}.",
    "Now I will turn to {name}.",
    "I choose {name} for this step.",
    "For this, I will rely on {name}.",
    "Time to use {name}.",
    "I'll go ahead and execute {name}.",
    "The next step is to call {name}.",
    "{name} is what I will use next.",
    "I need to run {name} at this point.",
    "Let me execute {name} to continue.",
    "Here I will operate {name}.",
    "I decide to invoke {name}.",
)

FINAL_ANSWERS: tuple[str, ...] = (
    "So my final answer is {answer}.",
    "Therefore, the answer is {answer}.",
    "The final answer is {answer}.",
    "My answer: {answer}",
    "Putting it together, the answer is {answer}.",
    "I can now answer: {answer}",
    "Based on this, my final answer is {answer}.",
    "That gives the answer {answer}.",
)

TASK_DONE: tuple[str, ...] = (
    "The task is complete.",
    "I have finished the task.",
    "Everything requested is done now.",
    "That completes the task.",
    "The job is done.",
    "All the required operations are finished.",
)

# ---------------------------------------------------------------------------------------------
# helpers shared by the serialisers
# ---------------------------------------------------------------------------------------------

_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_CALL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_PY_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _walk(value: Any) -> list[Any]:
    """Every leaf and container below `value`, for the `accepts` checks."""
    out = [value]
    if isinstance(value, dict):
        for item in value.values():
            out.extend(_walk(item))
    elif isinstance(value, list):
        for item in value:
            out.extend(_walk(item))
    return out


def _all_finite(value: Any) -> bool:
    return all(not isinstance(node, float) or math.isfinite(node) for node in _walk(value))


def check_arguments(arguments: Any) -> None:
    """Only what JSON can carry round-trips through every serialiser; anything else is a bug upstream."""
    if isinstance(arguments, str):
        return
    if not isinstance(arguments, dict):
        raise TypeError(f"arguments must be a dict or a raw string, got {type(arguments).__name__}")
    for node in _walk(arguments):
        if isinstance(node, dict):
            if not all(isinstance(key, str) for key in node):
                raise TypeError("argument keys must be strings")
        elif node is not None and not isinstance(node, (str, bool, int, float, list)):
            raise TypeError(f"unsupported argument value type {type(node).__name__}")


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


# ---- json ------------------------------------------------------------------------------------

_JSON_RAW = re.compile(r'\A\{"name": ("(?:[^"\\]|\\.)*"), "raw_arguments": (.*)\}\Z', re.DOTALL)


def _json_render(rng: random.Random, name: str, arguments: Arguments) -> str:
    if isinstance(arguments, str):
        return '{"name": ' + json.dumps(name, ensure_ascii=False) + ', "raw_arguments": ' + arguments + "}"
    return json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False, indent=rng.choice((None, 2, 4)))


def _json_parse(body: str) -> tuple[str, Arguments] | None:
    raw = _JSON_RAW.match(body)
    if raw:
        return json.loads(raw[1]), raw[2]
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if (
        isinstance(data, dict)
        and set(data) == {"name", "arguments"}
        and isinstance(data["name"], str)
        and isinstance(data["arguments"], dict)
    ):
        return data["name"], data["arguments"]
    return None


# ---- python_dict -----------------------------------------------------------------------------

_PY_RAW = re.compile(
    r"""\A\{'name': ('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"), 'raw_parameters': (.*)\}\Z""", re.DOTALL
)


def _python_dict_render(rng: random.Random, name: str, arguments: Arguments) -> str:
    if isinstance(arguments, str):
        return "{'name': " + repr(name) + ", 'raw_parameters': " + arguments + "}"
    return repr({"name": name, "parameters": arguments})


def _python_dict_parse(body: str) -> tuple[str, Arguments] | None:
    raw = _PY_RAW.match(body)
    try:
        if raw:
            return ast.literal_eval(raw[1]), raw[2]
        if not body.startswith("{'name': "):
            return None
        data = ast.literal_eval(body)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if (
        isinstance(data, dict)
        and set(data) == {"name", "parameters"}
        and isinstance(data["name"], str)
        and isinstance(data["parameters"], dict)
    ):
        return data["name"], data["parameters"]
    return None


# ---- function_call ---------------------------------------------------------------------------


def _function_call_accepts(name: str, arguments: Arguments) -> bool:
    if not _CALL_NAME.fullmatch(name):
        return False
    if isinstance(arguments, str):
        return True
    return all(
        _PY_KEY.fullmatch(key) and not keyword.iskeyword(key) and key != "__debug__" for key in arguments
    ) and _all_finite(arguments)


def _function_call_render(rng: random.Random, name: str, arguments: Arguments) -> str:
    if isinstance(arguments, str):
        return f"{name}(\n{arguments}\n)"
    return f"{name}(" + ", ".join(f"{key}={value!r}" for key, value in arguments.items()) + ")"


def _function_call_parse(body: str) -> tuple[str, Arguments] | None:
    first = body.split("\n", 1)[0]
    opened = re.fullmatch(r"(" + _CALL_NAME.pattern + r")\(", first)
    if opened and "\n" in body and body.endswith("\n)"):
        return opened[1], body[len(first) + 1 : -2]
    call = re.fullmatch(r"(" + _CALL_NAME.pattern + r")\((.*)\)", body, re.DOTALL)
    if not call:
        return None
    try:
        tree = ast.parse(f"_({call[2]})", mode="eval").body
        if not isinstance(tree, ast.Call) or tree.args or any(kw.arg is None for kw in tree.keywords):
            return None
        return call[1], {kw.arg: ast.literal_eval(kw.value) for kw in tree.keywords}
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


# ---- cli -------------------------------------------------------------------------------------

_HEREDOC = re.compile(r"\A(?P<head>.*) <<'(?P<delim>[A-Za-z_][A-Za-z0-9_]*)'\Z")


def _loads_or_none(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def _cli_value(value: Any) -> str:
    """Strings as they are unless they would read back as JSON; everything else as JSON."""
    if isinstance(value, str) and not _loads_or_none(value)[0]:
        return value
    return json.dumps(value, ensure_ascii=False)


def _cli_render(rng: random.Random, name: str, arguments: Arguments) -> str:
    if isinstance(arguments, str):
        lines = set(arguments.split("\n"))
        delim = next(d for d in ("EOF", "ARGS", "END", *(f"EOF_{i}" for i in range(len(lines) + 1))) if d not in lines)
        return f"{shlex.quote(name)} <<'{delim}'\n{arguments}\n{delim}"
    parts = [shlex.quote(name)]
    for key, value in arguments.items():
        parts += [shlex.quote("--" + key), shlex.quote(_cli_value(value))]
    return " ".join(parts)


def _cli_parse(body: str) -> tuple[str, Arguments] | None:
    first = body.split("\n", 1)[0]
    heredoc = _HEREDOC.match(first)
    try:
        if heredoc and body.endswith("\n" + heredoc["delim"]) and len(body) >= len(first) + 2 + len(heredoc["delim"]):
            head = shlex.split(heredoc["head"])
            if len(head) != 1:
                return None
            return head[0], body[len(first) + 1 : len(body) - len(heredoc["delim"]) - 1]
        tokens = shlex.split(body)
    except ValueError:
        return None
    if not tokens or len(tokens) % 2 != 1:
        return None
    arguments: dict[str, Any] = {}
    for flag, value in zip(tokens[1::2], tokens[2::2]):
        if not flag.startswith("--") or flag[2:] in arguments:
            return None
        ok, decoded = _loads_or_none(value)
        arguments[flag[2:]] = decoded if ok else value
    return tokens[0], arguments


# ---- key_value -------------------------------------------------------------------------------

_DECODER = json.JSONDecoder()


def _kv_token(text: str) -> str:
    return text if _SIMPLE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _kv_read_token(line: str) -> tuple[str, str] | None:
    """(token, rest of the line) for a bare or JSON-quoted key/name at the start of `line`."""
    if line.startswith('"'):
        try:
            token, end = _DECODER.raw_decode(line)
        except ValueError:
            return None
        return (token, line[end:]) if isinstance(token, str) else None
    match = _SIMPLE.match(line)
    return (match[0], line[match.end() :]) if match else None


def _key_value_render(rng: random.Random, name: str, arguments: Arguments) -> str:
    head = f"name: {_kv_token(name)}"
    if isinstance(arguments, str):
        return f"{head}\narguments:\n{arguments}"
    lines = [head] + [f"{_kv_token(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in arguments.items()]
    return "\n".join(lines)


def _key_value_parse(body: str) -> tuple[str, Arguments] | None:
    first, _, rest = body.partition("\n")
    if not first.startswith("name: "):
        return None
    token = _kv_read_token(first[len("name: ") :])
    if token is None or token[1]:
        return None
    name = token[0]
    if rest.startswith("arguments:\n"):
        return name, rest[len("arguments:\n") :]
    arguments: dict[str, Any] = {}
    for line in rest.split("\n") if rest else []:
        token = _kv_read_token(line)
        if token is None or not token[1].startswith(": ") or token[0] in arguments:
            return None
        ok, value = _loads_or_none(token[1][2:])
        if not ok:
            return None
        arguments[token[0]] = value
    return name, arguments


# ---- yaml ------------------------------------------------------------------------------------
# PyYAML both ways. Printable non-ASCII text is written as it is when that reads back exactly; the
# rare text that does not (odd line breaks, lone surrogates) is written with escapes instead.


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so arguments such as a bash script read as written."""


_LiteralDumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text.rstrip("\n") and not text.endswith("\n") else None
    ),
)

# (dumper, allow_unicode) from most to least readable; the first that reads back exactly is used.
_YAML_WAYS = ((_LiteralDumper, True), (yaml.SafeDumper, True), (yaml.SafeDumper, False))


def _yaml_dump(data: dict[str, Any], dumper: type, allow_unicode: bool) -> str:
    return yaml.dump(
        data, Dumper=dumper, allow_unicode=allow_unicode, sort_keys=False, default_flow_style=False, width=2**31 - 1
    ).removesuffix("\n")  # the document's own final newline only


def _has_nan(value: Any) -> bool:
    return any(isinstance(node, float) and math.isnan(node) for node in _walk(value))


def _yaml_text(name: str, arguments: Arguments) -> str | None:
    data = {"name": name, "arguments": arguments}
    for dumper, unicode in _YAML_WAYS:
        text = _yaml_dump(data, dumper, unicode)
        try:
            if _has_nan(arguments) or yaml.safe_load(text) == data:
                return text
        except yaml.YAMLError:
            continue
    return None


def _yaml_accepts(name: str, arguments: Arguments) -> bool:
    return _yaml_text(name, arguments) is not None


def _yaml_render(rng: random.Random, name: str, arguments: Arguments) -> str:
    text = _yaml_text(name, arguments)
    if text is None:
        raise ValueError(f"YAML cannot carry this call to {name!r}")
    return text


def _yaml_parse(body: str) -> tuple[str, Arguments] | None:
    try:
        data = yaml.safe_load(body)
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or set(data) != {"name", "arguments"} or not isinstance(data["name"], str):
        return None
    if not isinstance(data["arguments"], (dict, str)):
        return None
    return data["name"], data["arguments"]


# ---- inline (no code block) -----------------------------------------------------------------
# The call stays in the sentence: "Let me call X. Its arguments are {"city": "Paris"}." or
# "... I will set city to "Paris" and days to 3." Only JSON objects (not raw argument text) go inline.

INLINE_JSON_INTROS = ("Its arguments are", "The arguments are", "I will pass")
PROSE_INTROS = ("I will set", "Setting")
NO_ARGUMENTS = ("It takes no arguments.", "No arguments are needed.")
_INLINE_JSON = re.compile(r"(?:^|\s)(?:" + "|".join(map(re.escape, INLINE_JSON_INTROS)) + r") (?P<args>\{.*\})\.\Z")
_PROSE = re.compile(r"(?:^|\s)(?:" + "|".join(map(re.escape, PROSE_INTROS)) + r") (?P<pairs>[A-Za-z_].*)\Z")
_NO_ARGUMENTS = re.compile(r"(?:^|\s)(?:" + "|".join(map(re.escape, NO_ARGUMENTS)) + r")\Z")


_ONE_WORD = re.compile(r"\S+")


def _inline_json_accepts(name: str, arguments: Arguments) -> bool:
    """A JSON object of finite values, and a name without spaces (the elicitation sentence holds it)."""
    return bool(_ONE_WORD.fullmatch(name)) and isinstance(arguments, dict) and _all_finite(arguments)


def _inline_json_render(rng: random.Random, name: str, arguments: Arguments) -> str:
    if not arguments:
        return rng.choice(NO_ARGUMENTS)
    return f"{rng.choice(INLINE_JSON_INTROS)} {json.dumps(arguments, ensure_ascii=False)}."


def _prose_accepts(name: str, arguments: Arguments) -> bool:
    return _inline_json_accepts(name, arguments) and all(_PY_KEY.fullmatch(key) for key in arguments)


def _prose_render(rng: random.Random, name: str, arguments: Arguments) -> str:
    if not arguments:
        return rng.choice(NO_ARGUMENTS)
    pairs = [f"{key} to {json.dumps(value, ensure_ascii=False)}" for key, value in arguments.items()]
    joined = pairs[0] if len(pairs) == 1 else ", ".join(pairs[:-1]) + " and " + pairs[-1]
    return f"{rng.choice(PROSE_INTROS)} {joined}."


def _read_pairs(text: str) -> dict[str, Any] | None:
    """`a to 1, b to "x" and c to [2].` -> {"a": 1, "b": "x", "c": [2]}; None when it is not that shape."""
    arguments: dict[str, Any] = {}
    pos = 0
    while True:
        key = _PY_KEY.match(text, pos)
        if key is None or text[key.end() : key.end() + 4] != " to " or key[0] in arguments:
            return None
        try:
            value, pos = _DECODER.raw_decode(text, key.end() + 4)
        except ValueError:
            return None
        arguments[key[0]] = value
        if text[pos:] == ".":
            return arguments
        for separator in (", ", " and "):
            if text.startswith(separator, pos):
                pos += len(separator)
                break
        else:
            return None


def _elicited_name(before: str) -> str | None:
    """The tool named by the elicitation sentence that ends `before`."""
    for pattern in _ELICITATION_PATTERNS:
        match = pattern.search(before)
        if match:
            return match["name"]
    return None


_ELICITATION_PATTERNS = [
    re.compile(r"(?:^|\s)" + re.escape(template).replace(re.escape("{name}"), r"(?P<name>\S+)") + r"\Z")
    for template in ELICITATIONS
]


def parse_inline_call(text: str) -> tuple[str, Arguments] | None:
    """(name, arguments) from text ending in an elicitation sentence plus an inline argument sentence."""
    text = text.rstrip()
    line = text.rsplit("\n", 1)[-1]
    head = text[: len(text) - len(line)]
    for pattern, read in (
        (_INLINE_JSON, lambda m: _loads_or_none(m["args"])),
        (_PROSE, lambda m: (True, _read_pairs(m["pairs"]))),
        (_NO_ARGUMENTS, lambda m: (True, {})),
    ):
        match = pattern.search(line)
        if match is None:
            continue
        ok, arguments = read(match)
        if not ok or not isinstance(arguments, dict):
            continue
        name = _elicited_name((head + line[: match.start()]).rstrip())
        if name is not None:
            return name, arguments
    return None


# ---------------------------------------------------------------------------------------------
# the serialiser table, render_call and parse_rendered_call
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Serialiser:
    """One way to write a call: fence language, lead-in phrases, writer, reader, and what it can carry."""

    name: str
    language: str
    intros: tuple[str, ...]
    render: Callable[[random.Random, str, Arguments], str]
    parse: Callable[[str], tuple[str, Arguments] | None] | None
    accepts: Callable[[str, Arguments], bool] = lambda name, arguments: True
    fenced: bool = True  # False: the arguments stay in the sentence, no code block


SERIALISERS: dict[str, Serialiser] = {
    s.name: s
    for s in (
        Serialiser(
            "json",
            "json",
            ("Written as JSON, the call is:", "Here it is as a JSON object:", "In JSON form:"),
            _json_render,
            _json_parse,
        ),
        Serialiser(
            "python_dict",
            "python",
            (
                "To represent this tool and its parameters using a Python dictionary, it would look like this:",
                "As a Python dictionary:",
                "Expressed as a Python dict, the call is:",
            ),
            _python_dict_render,
            _python_dict_parse,
            lambda name, arguments: isinstance(arguments, str) or _all_finite(arguments),
        ),
        Serialiser(
            "yaml",
            "yaml",
            ("In YAML, the call reads:", "Here are the tool and its arguments in YAML:", "Written as YAML:"),
            _yaml_render,
            _yaml_parse,
            _yaml_accepts,
        ),
        Serialiser(
            "function_call",
            "python",
            ("As a function call, that is:", "Written as code, the call is:", "In Python call syntax:"),
            _function_call_render,
            _function_call_parse,
            _function_call_accepts,
        ),
        Serialiser(
            "cli",
            "bash",
            ("As a command line, it would be:", "From a shell, I would run:", "Written as a command with flags:"),
            _cli_render,
            _cli_parse,
        ),
        Serialiser(
            "key_value",
            "text",
            ("The name and the arguments, one per line:", "In plain text:", "The details of the call:"),
            _key_value_render,
            _key_value_parse,
        ),
        Serialiser("inline_json", "", (), _inline_json_render, None, _inline_json_accepts, fenced=False),
        Serialiser("inline_prose", "", (), _prose_render, None, _prose_accepts, fenced=False),
    )
}
FENCED = tuple(name for name, s in SERIALISERS.items() if s.fenced)
INLINE = tuple(name for name, s in SERIALISERS.items() if not s.fenced)


def render_call(rng: random.Random, name: str, arguments: Arguments, serialiser: str | None = None) -> str:
    """An elicitation sentence naming the tool, then the call in one serialisation (rng picks both).

    `serialiser` forces one; otherwise the choice is among the fenced ones that can carry the call
    (e.g. `function_call` needs identifier keys). Raises TypeError for non-JSON argument values.
    """
    block = render_arguments(rng, name, arguments, serialiser)
    return f"{elicit(rng, name)} {block}"


def elicit(rng: random.Random, name: str) -> str:
    """The sentence that names the tool: the `retrieval` part of a step."""
    return rng.choice(ELICITATIONS).format(name=name)


def carriers(name: str, arguments: Arguments) -> list[str]:
    """The serialisers that can write this call."""
    return [key for key, s in SERIALISERS.items() if s.accepts(name, arguments)]


def choose_serialiser(rng: random.Random, calls: list[tuple[str, Arguments]], inline_share: float) -> str:
    """One serialisation for a whole trajectory: inline with probability `inline_share` when every
    call can go inline, else a fenced one that can carry every call (`json` always can)."""
    common = set(SERIALISERS)
    for name, arguments in calls:
        common &= set(carriers(name, arguments))
    inline = [key for key in INLINE if key in common]
    draw = rng.random()
    if inline and draw < inline_share:
        return rng.choice(inline)
    return rng.choice([key for key in FENCED if key in common])


def render_arguments(rng: random.Random, name: str, arguments: Arguments, serialiser: str | None = None) -> str:
    """The arguments as a lead-in and a fenced call, or as a sentence (inline serialisers): the
    `understanding` part; `parse_rendered_call` reads it back together with the elicitation."""
    check_arguments(arguments)
    if not isinstance(name, str) or not name or "\n" in name:
        raise ValueError(f"a tool name must be a non-empty single-line string, got {name!r}")
    if serialiser is not None:
        chosen = SERIALISERS[serialiser]
        if not chosen.accepts(name, arguments):
            raise ValueError(f"serialiser {serialiser!r} cannot carry this call to {name!r}")
    else:
        chosen = SERIALISERS[rng.choice([key for key in FENCED if SERIALISERS[key].accepts(name, arguments)])]
    body = chosen.render(rng, name, arguments)
    if not chosen.fenced:
        return body
    intro = rng.choice(chosen.intros)
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    return f"{intro}\n{fence}{chosen.language}\n{body}\n{fence}"


_CLOSING_FENCE = re.compile(r"\n(`{3,})\Z")
_BY_LANGUAGE: dict[str, list[Serialiser]] = {}
for _serialiser in SERIALISERS.values():
    if _serialiser.fenced:
        _BY_LANGUAGE.setdefault(_serialiser.language, []).append(_serialiser)


def parse_rendered_call(text: str) -> tuple[str, Arguments] | None:
    """(name, arguments) from text ending in a block written by `render_call`; None otherwise.

    Only the last fenced block counts, so any prose (thought, elicitation) may precede it; without a
    block, the text must end in an elicitation sentence and an inline argument sentence.
    """
    text = text.rstrip()
    closing = _CLOSING_FENCE.search(text)
    if not closing:
        return parse_inline_call(text)
    fence = closing[1]
    start = text.rfind(fence, 0, closing.start())
    if start < 0 or (start > 0 and text[start - 1] != "\n"):
        return None
    line_end = text.find("\n", start)
    if line_end < 0 or line_end > closing.start():
        return None
    language = text[start + len(fence) : line_end]
    body = text[line_end + 1 : closing.start()]
    for serialiser in _BY_LANGUAGE.get(language, []):
        parsed = serialiser.parse(body)
        if parsed is not None:
            return parsed
    return None
