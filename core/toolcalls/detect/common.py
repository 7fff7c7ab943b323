"""Shared by the detector's styles: results, the tool list, value parsing and bracket scanning."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

STYLES = ("react", "json", "function", "phrase", "native", "kit", "none")


_MAX_BROKEN = 8  # unparseable objects tried by the regex fallback, to bound the work


_FAIL = object()  # sentinel: "could not parse", distinct from a parsed None


# A raw call before it is checked against the tool list: (name, arguments, arguments_valid).
RawCall = tuple[str, object, bool]


@dataclass(frozen=True)
class ToolCall:
    """One call recovered from a reply, as written by the model."""

    name: str
    arguments: dict | str | None
    arguments_valid: bool
    known: bool | None


@dataclass(frozen=True)
class Verdict:
    """The detector's answer for one reply."""

    calls_tool: bool
    style: str
    calls: tuple[ToolCall, ...]
    unknown_tools: tuple[str, ...]
    # None: the reply has no reasoning block; else whether the reasoning alone reads as a call
    reasoning_mentions_call: bool | None = None

    def to_dict(self) -> dict:
        """Plain JSON-safe dict, so the CLI and reports can dump it directly."""
        return {
            "calls_tool": self.calls_tool,
            "style": self.style,
            "calls": [
                {
                    "name": c.name,
                    "arguments": _jsonable(c.arguments),
                    "arguments_valid": c.arguments_valid,
                    "known": c.known,
                }
                for c in self.calls
            ],
            "unknown_tools": list(self.unknown_tools),
            "reasoning_mentions_call": self.reasoning_mentions_call,
        }


def _jsonable(value: object) -> object:
    """Python literals (tuples, sets, bytes...) may come from ast; make them JSON-safe."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def tool_names(tools: list[dict] | str | None) -> set[str] | None:
    """Names of the offered tools, or None when the caller did not say.

    Accepts OpenAI-style schemas ({"name": ..} or {"type": "function",
    "function": {"name": ..}}), a JSON string holding such a list, or None.
    An explicit empty list returns an empty set: "no tools were offered".
    Raises ValueError for a string that is not JSON or not a list.
    """
    if tools is None:
        return None
    if isinstance(tools, str):
        try:
            tools = json.loads(tools)
        except json.JSONDecodeError as exc:
            raise ValueError(f"tools is not valid JSON: {exc}") from exc
    if isinstance(tools, dict):  # a single schema
        tools = [tools]
    if not isinstance(tools, list):
        raise ValueError(f"tools must be a JSON list of function schemas, got {type(tools).__name__}")
    names: set[str] = set()
    for entry in tools:
        name = _schema_name(entry)
        if name:
            names.add(name)
    return names


def _schema_name(entry: object) -> str | None:
    """Name of one schema entry; plain strings are accepted as bare names."""
    if isinstance(entry, str):
        return entry.strip() or None
    if not isinstance(entry, dict):
        return None
    inner = entry.get("function")
    if isinstance(inner, dict) and isinstance(inner.get("name"), str):
        return inner["name"]
    name = entry.get("name")
    return name if isinstance(name, str) and name else None


def _norm(name: str) -> str:
    """Loose form for matching: case, spaces and hyphens do not matter."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _is_known(name: str, names: set[str] | None) -> bool:
    """Whether `name` refers to an offered tool; ToolBench-style dotted names
    ("weather.get_forecast") match either their full form or last segment."""
    if not name or not names:
        return False
    wanted = {_norm(name), _norm(name.rsplit(".", 1)[-1])}
    offered = {_norm(n) for n in names} | {_norm(n.rsplit(".", 1)[-1]) for n in names}
    return bool(wanted & offered)


# One regex pass that leaves strings alone but sees bare JSON words, // comments
# and trailing commas, so lenient repairs never touch string contents.
_LENIENT_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//[^\n]*|,(?=\s*[}\]])|\b(?:true|false|null)\b')


_PY_WORDS = {"true": "True", "false": "False", "null": "None"}


def _load_value(text: str) -> object:
    """Parse JSON, then a Python literal, then a repaired form; _FAIL otherwise.

    Never uses eval: Python dicts go through ast.literal_eval only.
    """
    text = text.strip()
    if not text:
        return _FAIL
    attempts = (
        (json.loads, text),
        (ast.literal_eval, text),
        (json.loads, _repair(text, python=False)),
        (ast.literal_eval, _repair(text, python=True)),
    )
    for parse, candidate in attempts:
        try:
            return parse(candidate)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return _FAIL


def _repair(text: str, python: bool) -> str:
    """Drop // comments and trailing commas; optionally map true/false/null to Python."""

    def fix(match: re.Match) -> str:
        token = match.group(0)
        if token[0] in "\"'":
            return token
        if token.startswith("//") or token == ",":
            return ""
        return _PY_WORDS[token] if python else token

    return _LENIENT_TOKENS.sub(fix, text)


def _args_from_text(text: str) -> tuple[object, bool]:
    """Arguments written as text: a dict when it parses to one, else the raw text."""
    text = _strip_fence(text).strip()
    if not text:
        return None, True
    value = _load_value(text)
    if isinstance(value, str) and value.strip().startswith("{"):
        value = _load_value(value)  # JSON-encoded JSON (OpenAI / glaive style)
    if isinstance(value, dict):
        return value, True
    return text, False


def _strip_fence(text: str) -> str:
    """Remove one surrounding ``` fence (```json ... ```), if present."""
    match = re.fullmatch(r"\s*```[\w+\-]*[ \t]*\n?(.*?)\n?```\s*", text, re.S)
    return match.group(1) if match else text


_CLOSERS = {"{": "}", "[": "]", "(": ")"}


def _scan_brackets(text: str, start: int, ends: dict[int, int | None]) -> None:
    """Scan once from the opener at text[start], recording in `ends` where each
    opener met outside quoted strings closes (None: never, or a mismatch).

    Nested openers are recorded too, so callers never rescan them; this keeps
    long replies full of unclosed braces linear instead of quadratic.
    """
    stack: list[tuple[int, str]] = []
    quote = None
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote or (ch == "\n" and quote == "'"):
                quote = None  # an apostrophe in prose must not swallow the rest
        elif ch in "\"'":
            quote = ch
        elif ch in _CLOSERS:
            stack.append((i, _CLOSERS[ch]))
        elif ch in "}])":
            if not stack or ch != stack[-1][1]:
                break
            opener, _ = stack.pop()
            ends[opener] = i + 1
            if not stack:
                return
        i += 1
    for opener, _ in stack:
        ends[opener] = None


def _balanced_end(text: str, start: int) -> int | None:
    """Index just past the bracket closing text[start]; None if it never closes."""
    ends: dict[int, int | None] = {}
    _scan_brackets(text, start, ends)
    return ends.get(start)


def _bracket_spans(text: str):
    """Yield (start, end, balanced) for each top-level {...} or [{...}] candidate;
    an unclosed one runs to the end of the text."""
    ends: dict[int, int | None] = {}
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "{" or (ch == "[" and re.match(r"\[\s*\{", text[i : i + 64])):
            if i not in ends:
                _scan_brackets(text, i, ends)
            end = ends.get(i)
            if end is not None:
                yield i, end, True
                i = end
                continue
            yield i, len(text), False
        i += 1


# Key spellings seen in Agent-FLAN / ToolBench / LangChain / OpenAI data, compared
# after lower-casing and turning spaces into underscores.  Order = preference.
_NAME_KEYS = ("name", "tool_name", "function_name", "api_name", "tool", "function", "api", "action", "command")


_ARG_KEYS = ("arguments", "args", "parameters", "params", "param", "action_input", "tool_input", "kwargs")


_WEAK_ARG_KEYS = ("input",)  # only counts when it holds a dict: {"name":..,"input":"text"} is a form field


_LIST_KEYS = ("tool_calls", "function_calls", "calls")


_WRAPPER_KEYS = ("function_call", "tool_call", "call", "tool_use")


def _find_key(obj: dict, wanted: tuple[str, ...]) -> str | None:
    """The first key of `obj` whose normalised spelling is in `wanted` (in `wanted` order)."""
    by_norm = {_norm(str(k)): k for k in obj}
    for key in wanted:
        if key in by_norm:
            return by_norm[key]
    return None


def _calls_from_value(value: object) -> list[RawCall]:
    """Calls in a parsed JSON/Python value: a call object or a list of them."""
    if isinstance(value, dict):
        return _calls_from_dict(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        calls: list[RawCall] = []
        for item in value:
            found = _calls_from_dict(item)
            if not found:
                return []  # a list of records, not a list of calls
            calls += found
        return calls
    return []


def _calls_from_dict(obj: dict) -> list[RawCall]:
    """Calls in one dict: wrappers (tool_calls/function_call) or a name+arguments object."""
    for key in _LIST_KEYS:
        if isinstance(obj.get(key), list):
            return _calls_from_value(obj[key])
    for key in _WRAPPER_KEYS:
        if isinstance(obj.get(key), dict):
            return _calls_from_dict(obj[key])
    name_key = _find_key(obj, _NAME_KEYS)
    if name_key is not None and isinstance(obj[name_key], dict):
        return _calls_from_dict(obj[name_key])  # {"type": "function", "function": {...}}
    name = obj.get(name_key) if name_key is not None else None
    if not isinstance(name, str) or not name.strip():
        return []
    args_key = _find_key(obj, _ARG_KEYS)
    if args_key is None:
        weak = _find_key(obj, _WEAK_ARG_KEYS)
        if weak is None or not isinstance(obj[weak], dict):
            return []
        args_key = weak
    args = obj[args_key]
    if _looks_like_schema(obj, args):
        return []
    parsed = _normalize_args(args)
    return [(name.strip(), *parsed)] if parsed else []


_SCHEMA_TYPES = {"object", "dict", "map", "hashmap", "struct"}  # JSON Schema, BFCL's "dict", Java/Go dialects


def _looks_like_schema(obj: dict, args: object) -> bool:
    """A function *definition* (a parameter schema in any common dialect) is not a call.

    JSON Schema / OpenAI (`"type": "object"`), BFCL's `"type": "dict"`, a bare `properties` block, or a
    described function whose every parameter is itself a {type/description} spec."""
    if not isinstance(args, dict):
        return False
    kind = args.get("type")
    if isinstance(kind, str) and kind.lower() in _SCHEMA_TYPES and ("properties" in args or "required" in args):
        return True
    if isinstance(args.get("properties"), dict) and all(isinstance(v, dict) for v in args["properties"].values()):
        return "required" in args or "type" in args or not args["properties"] or "description" in obj
    values = list(args.values())
    specs = bool(values) and all(isinstance(v, dict) and ("type" in v or "description" in v) for v in values)
    return "description" in obj and specs and all(set(v) <= _SPEC_KEYS for v in values)


_SPEC_KEYS = {"type", "description", "default", "enum", "items", "format", "required", "optional", "minimum", "maximum"}


def _normalize_args(args: object) -> tuple[object, bool] | None:
    """Arguments value of a call object; None when it cannot be arguments (e.g. a list)."""
    if args is None:
        return None, True
    if isinstance(args, dict):
        return args, True
    if isinstance(args, str):
        return _args_from_text(args)
    return None


_BROKEN_NAME = re.compile(r'["\'](?P<key>' + "|".join(_NAME_KEYS) + r')["\']\s*:\s*["\'](?P<name>[^"\'\n]+)["\']', re.I)


_BROKEN_ARGS = re.compile(r'["\'](?:' + "|".join(_ARG_KEYS) + r')["\']\s*:\s*(?P<rest>.*)', re.I | re.S)


_SCHEMA_START = re.compile(
    r"""\{\s*(?:["']type["']\s*:\s*["'](?:"""
    + "|".join(sorted(_SCHEMA_TYPES))
    + r""")["']\s*,\s*)?["']properties["']\s*:""",
    re.I,
)


def _call_from_broken(segment: str) -> RawCall | None:
    """Best effort for invalid/truncated JSON: quoted name key + quoted arguments key."""
    name = _BROKEN_NAME.search(segment)
    args = _BROKEN_ARGS.search(segment)
    if not name or not args:
        return None
    rest = args.group("rest").strip()
    if _SCHEMA_START.match(rest):
        return None  # a definition cut off by the token limit (`"parameters": {"type": "dict", "properties": ...`)
    if rest.endswith("}") and rest.count("{") < rest.count("}"):
        rest = rest[:-1].rstrip()  # the outer object's closing brace
    value, valid = _args_from_text(rest.rstrip(","))
    return name.group("name").strip(), value, valid


def _calls_in_text(text: str) -> list[RawCall]:
    """All JSON/Python-dict calls in free text; falls back to broken objects."""
    calls: list[RawCall] = []
    broken: list[str] = []
    seen_unclosed = False
    for start, end, balanced in _bracket_spans(text):
        if not balanced:
            if not seen_unclosed:  # later unclosed spans are suffixes of this one
                broken.append(text[start:end])
            seen_unclosed = True
            continue
        value = _load_value(text[start:end])
        if value is _FAIL:
            broken.append(text[start:end])
        else:
            calls += _calls_from_value(value)
    if calls:
        return calls
    for segment in broken[:_MAX_BROKEN]:
        call = _call_from_broken(segment)
        if call:
            return [call]
    return []


_INLINE_CODE = re.compile(r"(?<!`)`(?!`)[^`\n]+`(?!`)")


def _blank_inline_mentions(text: str) -> str:
    """Blank `inline code` spans on lines that also carry prose."""
    lines = []
    for line in text.split("\n"):
        prose = _INLINE_CODE.sub("", line).strip(" \t.,;:!?-*>")
        lines.append(_INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line) if prose else line)
    return "\n".join(lines)
