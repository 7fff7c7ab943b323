"""Decide whether a model reply calls a tool, and in which surface style.

Why this exists: hallucination metrics in the spirit of Agent-H (Agent-FLAN
paper, section 4.3) and BFCL's relevance/irrelevance checks all reduce to one
question, "did the model try to call a tool here?".  Models write calls in
many ways (chat-template tags, ReAct blocks, JSON objects, Python calls,
plain prose), and a parser that only knows one of them silently scores the
others as "no call".  This module recognises all of them with stdlib only.

Styles, from most to least specific (the first that matches wins):
native > react > json > function > kit > phrase. `kit` is the call language the kit's own
aligned rows are written in (dataset_builder.transforms.alignment: a sentence naming the tool,
then the arguments in a fenced block or inline), read back exactly by its own parser; it counts
only with the naming sentence, so a YAML or shell block in an explanation is not a call.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import sys
from dataclasses import dataclass

STYLES = ("react", "json", "function", "phrase", "native", "kit", "none")

_MAX_BROKEN = 8  # unparseable objects tried by the regex fallback, to bound the work
_FAIL = object()  # sentinel: "could not parse", distinct from a parsed None

# A raw call before it is checked against the tool list: (name, arguments, arguments_valid).
RawCall = tuple[str, object, bool]


# --------------------------------------------------------------------------- results


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


# --------------------------------------------------------------------------- tool list


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


# --------------------------------------------------------------------------- parsing helpers

# One regex pass that leaves strings alone but sees bare JSON words, // comments
# and trailing commas, so lenient repairs never touch string contents.
_LENIENT_TOKENS = re.compile(
    r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//[^\n]*|,(?=\s*[}\]])|\b(?:true|false|null)\b'
)
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


# --------------------------------------------------------------------------- style: json (and shared object parsing)

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


def _looks_like_schema(obj: dict, args: object) -> bool:
    """A function *definition* (JSON Schema parameters) is not a call."""
    if not isinstance(args, dict):
        return False
    if args.get("type") == "object" and ("properties" in args or "required" in args):
        return True
    values = list(args.values())
    return "description" in obj and bool(values) and all(isinstance(v, dict) and "type" in v for v in values)


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


def _call_from_broken(segment: str) -> RawCall | None:
    """Best effort for invalid/truncated JSON: quoted name key + quoted arguments key."""
    name = _BROKEN_NAME.search(segment)
    args = _BROKEN_ARGS.search(segment)
    if not name or not args:
        return None
    rest = args.group("rest").strip()
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


def _detect_json(reply: str, names: set[str] | None) -> list[RawCall]:
    """JSON / Python-dict call objects anywhere in the reply (bare or fenced).

    An object in inline backticks inside a sentence is a mention ("an agent
    outputs `{"action": ...}`"), so such spans are blanked first.
    """
    return _calls_in_text(_blank_inline_mentions(reply))


def _blank_inline_mentions(text: str) -> str:
    """Blank `inline code` spans on lines that also carry prose."""
    lines = []
    for line in text.split("\n"):
        prose = _INLINE_CODE.sub("", line).strip(" \t.,;:!?-*>")
        lines.append(_INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line) if prose else line)
    return "\n".join(lines)


# --------------------------------------------------------------------------- Python call syntax

_PY_BUILTINS = frozenset(dir(builtins))
# Roots of ordinary code, not tools: modules, common aliases, everyday objects.
_CODE_ROOTS = frozenset(
    "os sys re json math time random datetime np numpy pd pandas plt matplotlib torch tf requests "
    "df self cls console document window logging subprocess pathlib collections itertools functools "
    "asyncio sklearn scipy sns seaborn string typing app router sin cos tan log exp sqrt main "
    "client session openai anthropic boto3 s3 db conn cursor model tokenizer trainer parser spark".split()
) | frozenset(sys.stdlib_module_names)
# Method names of builtin types: `items.append(4)` is ordinary code.
_CODE_METHODS = frozenset(
    "append extend insert pop remove sort reverse split join strip lstrip rstrip replace format "
    "lower upper items keys values update read write close readlines copy count index".split()
)
_CAPWORDS = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*")


def _dotted_name(node: ast.AST) -> str | None:
    """`a.b.c` for Name/Attribute chains, None for anything fancier."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _literal_or_source(node: ast.AST) -> object:
    """A keyword value as data when literal, else its source text (never evaluated)."""
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ast.unparse(node)


def _ast_call_args(call: ast.Call) -> tuple[object, bool]:
    """Keyword arguments become a dict; one dict positional is taken as the
    arguments; other positional arguments cannot be named, so keep their text."""
    if not call.args and not call.keywords:
        return None, True
    if len(call.args) == 1 and not call.keywords and isinstance(call.args[0], ast.Dict):
        value = _literal_or_source(call.args[0])
        if isinstance(value, dict):
            return value, True
    if call.args or any(kw.arg is None for kw in call.keywords):
        parts = [ast.unparse(a) for a in call.args]
        parts += [
            f"{kw.arg}={ast.unparse(kw.value)}" if kw.arg else f"**{ast.unparse(kw.value)}" for kw in call.keywords
        ]
        return ", ".join(parts), False
    return {kw.arg: _literal_or_source(kw.value) for kw in call.keywords}, True


def _parse_python(src: str) -> ast.Module | None:
    """ast.parse, or None for anything that is not valid Python."""
    try:
        return ast.parse(src)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _only_calls(tree: ast.Module) -> list[ast.Call] | None:
    """The calls when the code is nothing but call expressions (or a list of them,
    BFCL-style `[f(a=1), g(b=2)]`); None when it contains any other code."""
    calls: list[ast.Call] = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.Expr):
            return None
        value = stmt.value
        if isinstance(value, ast.Call):
            calls.append(_unwrap_print(value))
        elif _is_call_list(value):
            calls.extend(value.elts)
        else:
            return None
    return calls or None


def _is_call_list(node: ast.AST) -> bool:
    """`[f(a=1), g(b=2)]`: a non-empty list or tuple made only of calls."""
    if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
        return False
    return all(isinstance(e, ast.Call) for e in node.elts)


def _unwrap_print(call: ast.Call) -> ast.Call:
    """`print(get_weather(...))` (Gemma's tool_code style) is a call to the inner function."""
    if _dotted_name(call.func) == "print" and len(call.args) == 1 and isinstance(call.args[0], ast.Call):
        return call.args[0]
    return call


def _plausible_tool(name: str, names: set[str] | None, defined: set[str]) -> bool:
    """Could `name` be a tool rather than ordinary code (builtins, modules, classes)?"""
    if _is_known(name, names):
        return True
    root, last = name.split(".")[0], name.split(".")[-1]
    if name in defined or root in defined or last in defined:
        return False
    if len(root) < 2 or _ordinary_code(name):
        return False  # f(x) is maths
    return not _CAPWORDS.fullmatch(root)  # Person(name=..) builds an object


def _ordinary_code(name: str) -> bool:
    """print(), np.mean(), items.append(), client.chat.completions.create(): builtins,
    stdlib and common modules, builtin-type methods, deep SDK attribute chains."""
    parts = name.split(".")
    root, last = parts[0], parts[-1]
    if root in _PY_BUILTINS or root in _CODE_ROOTS or len(parts) > 2:
        return True
    return len(parts) > 1 and last in _CODE_METHODS


def _calls_in_python(src: str, names: set[str] | None, defined: set[str]) -> list[RawCall]:
    """Tool calls in a piece of Python: any call to an offered tool, or code that
    is only calls to plausible tool names."""
    tree = _parse_python(src)
    if tree is None:
        return []
    only = _only_calls(tree)
    if only and all(_plausible_tool(_dotted_name(c.func) or "", names, defined) for c in only):
        chosen = only
    else:
        chosen = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and _is_known(_dotted_name(node.func) or "", names)
            and (_dotted_name(node.func) or "") not in defined
        ]
    return [(_dotted_name(c.func) or "", *_ast_call_args(c)) for c in chosen if _dotted_name(c.func)]


# --------------------------------------------------------------------------- style: native

# (pattern, whether any Python code after the tag counts: Llama 3.1's code interpreter)
_NATIVE_PATTERNS = (
    # Hermes / Qwen2.5 / Qwen3
    (re.compile(r"<tool_call>(?P<body>.*?)(?:</tool_call>|(?=<tool_call>)|\Z)", re.S), False),
    # Phi-4-mini and others
    (re.compile(r"<\|tool_call\|>(?P<body>.*?)(?:<\|/tool_call\|>|(?=<\|tool_call\|>)|\Z)", re.S), False),
    # glaive-function-calling-v2
    (re.compile(r"<functioncall>(?P<body>.*?)(?:</functioncall>|<\|endoftext\|>|(?=<functioncall>)|\Z)", re.S), False),
    # Mistral v3 list form (the [ARGS] form is in _NAMED_NATIVE)
    (re.compile(r"\[TOOL_CALLS\](?P<body>\s*\[.*?)(?:</s>|\Z)", re.S), False),
    # FireFunction / Phi-3 style
    (re.compile(r"functools(?P<body>\[.*?)(?:<\|eot_id\|>|\Z)", re.S), False),
    # Llama 3.1 / 3.2: JSON, built-in `brave_search.call(...)`, or code for the interpreter
    (re.compile(r"<\|python_tag\|>(?P<body>.*?)(?:<\|eom_id\|>|<\|eot_id\|>|\Z)", re.S), True),
    # InternLM2 (the Agent-FLAN lab's own template)
    (re.compile(r"<\|action_start\|>\s*<\|plugin\|>(?P<body>.*?)(?:<\|action_end\|>|\Z)", re.S), False),
    (re.compile(r"<\|action_start\|>\s*<\|interpreter\|>(?P<body>.*?)(?:<\|action_end\|>|\Z)", re.S), True),
)
# Templates that write the tool name outside the arguments: groups `name` and `body`.
_NAMED_NATIVE = (
    # Mistral v7+: [TOOL_CALLS]name[ARGS]{...}
    re.compile(r"\[TOOL_CALLS\]\s*(?P<name>[\w.\-]+)\s*\[ARGS\]\s*(?P<body>\{.*)", re.S),
    # Qwen-Agent
    re.compile(r"✿FUNCTION✿:\s*(?P<name>[\w.\-]+)\s*(?:✿ARGS✿:\s*(?P<body>.*?))?(?=✿|\Z)", re.S),
    # DeepSeek V3 / R1, then V3.1
    re.compile(r"<｜tool▁call▁begin｜>function<｜tool▁sep｜>(?P<name>[\w.\-]+)\s*"
               r"(?P<body>.*?)(?:<｜tool▁call▁end｜>|\Z)", re.S),
    re.compile(r"<｜tool▁call▁begin｜>(?!function<)(?P<name>[\w.\-]+)<｜tool▁sep｜>"
               r"(?P<body>.*?)(?:<｜tool▁call▁end｜>|\Z)", re.S),
    # Gorilla OpenFunctions v2
    re.compile(r"<<function>>\s*(?P<name>[A-Za-z_][\w.\-]*)(?P<body>\(.*?\))(?=\s*<<function>>|\s*$)", re.S | re.M),
    # gpt-oss (harmony): <|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{...}<|call|>
    re.compile(r"(?:\bto=functions\.|<\|channel\|>\w+\s+to=(?:functions\.)?)(?P<name>[\w.\-]+)\s*"
               r"(?:<\|channel\|>\w+)?[^<\n]*(?:<\|constrain\|>\s*\w+\s*)?<\|message\|>"
               r"(?P<body>.*?)(?:<\|call\|>|\Z)", re.S),
    # Functionary v2 / v3 (the recipient "all" means "talk to the user")
    re.compile(r"<\|recipient\|>\s*(?!all\b)(?P<name>[\w.\-]+)\s*(?:<\|content\|>)?(?P<body>.*?)(?=<\||\Z)", re.S),
    re.compile(r"^>>>(?!all\b)(?P<name>[A-Za-z_][\w.\-]*)[ \t]*\n(?P<body>\s*\{.*?)(?=^>>>|\Z)", re.S | re.M),
)
# GLM-4 / ChatGLM3: the whole reply is a tool name line followed by its arguments.
_GLM_CALL = re.compile(r"\A\s*(?P<name>[A-Za-z_][\w.\-]*)[ \t]*\n\s*(?P<body>\{.*\}|```.*```)\s*\Z", re.S)
_PY_CALL_START = re.compile(r"\[?\s*[A-Za-z_][\w.]*\s*\(")


def _payload_calls(body: str, code_ok: bool) -> list[RawCall]:
    """Calls inside a native tag: JSON object/list, or Python call syntax.

    The tag is a strong signal, so an object we cannot read still counts as a
    call with an unknown name; text that is neither JSON nor code does not
    (that is prose *about* the tag).
    """
    body = body.strip()
    if body.startswith("{") or re.match(r"\[\s*\{", body):
        return _calls_in_text(body) or [("", body, False)]
    if _PY_CALL_START.match(body):
        tree = _parse_python(body)
        only = _only_calls(tree) if tree else None
        if only:
            return [(_strip_call_suffix(_dotted_name(c.func) or ""), *_ast_call_args(c)) for c in only]
        name = re.match(r"\[?\s*([A-Za-z_][\w.]*)", body).group(1)
        return [(_strip_call_suffix(name), body, False)]
    if code_ok and body and _parse_python(body) is not None:
        return [("", body, False)]
    return []


def _strip_call_suffix(name: str) -> str:
    """Llama 3.1 writes built-ins as `brave_search.call(...)`: the tool is `brave_search`."""
    return name[: -len(".call")] if name.endswith(".call") else name


def _function_tag_calls(reply: str) -> list[RawCall]:
    """Llama 3.1 custom-tool form `<function=name>{...}</function>`."""
    calls: list[RawCall] = []
    for match in re.finditer(r"<function=(?P<name>[\w.\-]+)>", reply):
        rest = reply[match.end() :].lstrip()
        if rest.startswith("{"):
            end = _balanced_end(rest, 0)
            calls.append((match.group("name"), *_args_from_text(rest[:end] if end else rest)))
        elif rest.startswith("</function>"):
            calls.append((match.group("name"), None, True))
    return calls


def _named_args(body: str | None) -> tuple[object, bool]:
    """Arguments that follow a separately written name: JSON, (kw=..) or tool_call(kw=..)."""
    body = _strip_fence((body or "").strip()).strip()
    if body.startswith("{"):
        end = _balanced_end(body, 0)
        return _args_from_text(body[:end] if end else body)
    if body.startswith("(") or _PY_CALL_START.match(body):
        tree = _parse_python(body if not body.startswith("(") else "f" + body)
        only = _only_calls(tree) if tree else None
        if only:
            return _ast_call_args(only[0])
    return _args_from_text(body)


def _detect_native(reply: str, names: set[str] | None) -> list[RawCall]:
    """Tool-call tags and tokens of chat templates (Hermes, Llama, Mistral, glaive...)."""
    calls: list[RawCall] = []
    for pattern, code_ok in _NATIVE_PATTERNS:
        for match in pattern.finditer(reply):
            calls += _payload_calls(match.group("body"), code_ok)
    for pattern in _NAMED_NATIVE:
        for match in pattern.finditer(reply):
            calls.append((match.group("name"), *_named_args(match.group("body"))))
    calls += _function_tag_calls(reply)
    glm = _GLM_CALL.match(reply)
    if not calls and glm and _tool_like(glm.group("name"), names):
        calls.append((glm.group("name"), *_named_args(glm.group("body"))))
    return calls


# --------------------------------------------------------------------------- style: ReAct

_REACT_LINE = re.compile(
    r"^[ \t]*(?P<kw>thought|think|action[ _]?input|action[ _]?args|action|act|args|arguments"
    r"|observation|final[ _]answer)(?:[ \t]*\d+)?[ \t]*:[ \t]*(?P<val>.*)$",
    re.I | re.M,
)
_REACT_KIND = {"thought": "thought", "think": "thought", "action": "action", "act": "action",
               "observation": "observation", "final answer": "final"}  # anything else: the action's input
_NONE_ACTIONS = {"none", "n/a", "na", "no action", "nothing", "null", "-", "no tool", "no tool needed"}
_PLACEHOLDER = re.compile(r"^(?:the\s|a\s|an\s|your\s|name of|<|\[|\.\.\.|…)|\.\.\.|…", re.I)


def _react_segments(reply: str) -> list[tuple[str, str]]:
    """(kind, text) per ReAct keyword line; text runs until the next keyword line."""
    matches = list(_REACT_LINE.finditer(reply))
    segments = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(reply)
        keyword = re.sub(r"[ _]+", " ", match.group("kw").lower())
        kind = _REACT_KIND.get(keyword, "input")  # action input / args / arguments
        segments.append((kind, match.group("val") + reply[match.end() : end]))
    return segments


def _inline_args(tail: str) -> tuple[object, bool] | None:
    """Arguments written on the Action line itself: name(...), name[...] or name {...}."""
    tail = tail.strip()
    if tail.startswith("(") and tail.endswith(")"):
        tree = _parse_python("f" + tail)
        only = _only_calls(tree) if tree else None
        if only:
            return _ast_call_args(only[0])
        return tail[1:-1].strip(), False
    if tail.startswith("[") and tail.endswith("]"):
        return tail[1:-1].strip(), False
    if tail.startswith("{"):
        return _args_from_text(tail)
    return None


def _react_input(text: str) -> str:
    """Action Input text: a leading JSON object or fenced block only, so trailing
    chatter does not spoil valid arguments; otherwise the text verbatim."""
    stripped = text.strip()
    if stripped.startswith("```"):
        fence = re.match(r"```[^\n]*\n.*?```", stripped, re.S)
        return fence.group(0) if fence else stripped
    if stripped.startswith(("{", "[")):
        end = _balanced_end(stripped, 0)
        if end is not None:
            return stripped[:end]
    return stripped


def _react_calls(action: str, arg_text: str | None, has_thought: bool, names: set[str] | None) -> list[RawCall]:
    """Calls from one Action segment; empty when the Action line is not a call."""
    first, _, rest = action.strip().partition("\n")
    if first.strip().startswith(("{", "[{", "```")):  # Command-R style: Action: ```json [{...}] ```
        return _calls_in_text(action) or [("", action.strip(), False)]
    value = first.strip().strip("*`'\" ")
    if not value or value.lower().rstrip(".") in _NONE_ACTIONS or _PLACEHOLDER.search(value):
        return []
    call = _react_named_call(value, rest, arg_text, has_thought, names)
    return [call] if call else []


# ToolBench-style prose actions: "Action: Call the 'Finish' function to give up".
_ACTION_VERB = re.compile(r"(?:call|use|invoke|execute|run|query|trigger)\s+", re.I)


def _react_named_call(
    value: str, rest: str, arg_text: str | None, has_thought: bool, names: set[str] | None
) -> RawCall | None:
    """`Action: name`, `name(...)`, `name[...]` or a prose action, with its input."""
    match = re.match(r"`?(?P<name>[A-Za-z_][\w.\-/]*)`?(?P<tail>.*)$", value)
    if not match:
        return None
    name, tail = match.group("name"), match.group("tail").strip()
    inline = _inline_args(tail) if tail else None
    if tail and inline is None:  # prose action: "go to shelf 1", "Call the 'Finish' function"
        verb = _ACTION_VERB.match(value)
        named = _phrase_object(value[verb.end() :], names) if verb else None
        if named is None and not (has_thought or arg_text is not None):
            return None  # "Action: Call the airline" outside a ReAct block is advice
        name = value if named is None else named
    if arg_text is not None:
        args = _args_from_text(_react_input(arg_text))
    elif inline is not None:
        args = inline
    elif rest.strip():  # `Act: bash` followed by a code block
        args = (_strip_fence(rest.strip()).strip(), False)
    else:
        args = (None, True)
    return name, *args


# The `str` answer format of ToolBench/T-Eval "instruct" data, whose key names are
# randomised: "Command: x" / "Tool: x" / "API: x" then "Arguments:" / "Param:" (a
# goal/plan/thought line may sit between).  Both keys are required, and the
# arguments must start on their own key's line.
_KEY_VALUE_CALL = re.compile(
    r"^[ \t]*(?:command|tool|tool[ _]name|api|api[ _]name|function|function[ _]name|name)[ \t]*:[ \t]*"
    r"[`'\"]?(?P<name>[A-Za-z_][\w.\-]*)[`'\"]?[ \t]*\n"
    r"(?:[ \t]*(?:goal|thought|plan|reason)[ \t]*:[^\n]*\n)?"
    r"[ \t]*(?:arguments|args|param|params|parameters|input|tool[ _]input)[ \t]*:[ \t]*(?P<body>\S.*)",
    re.I | re.M | re.S,
)


def _key_value_calls(reply: str) -> list[RawCall]:
    """`Command: name` + `Arguments: {...}` lines (see _KEY_VALUE_CALL)."""
    match = _KEY_VALUE_CALL.search(reply)
    if not match:
        return []
    return [(match.group("name"), *_args_from_text(_react_input(match.group("body"))))]


def _detect_react(reply: str, names: set[str] | None) -> list[RawCall]:
    """ReAct blocks: Thought/Action(/Action Input), or Action + Action Input, or a tool-like
    Action; also the keyword-line `Command:` + `Arguments:` format."""
    segments = _react_segments(reply)
    has_thought = any(kind == "thought" for kind, _ in segments)
    calls: list[RawCall] = []
    for i, (kind, text) in enumerate(segments):
        if kind != "action":
            continue
        following = segments[i + 1] if i + 1 < len(segments) else None
        arg_text = following[1] if following and following[0] == "input" else None
        calls += _react_calls(text, arg_text, has_thought, names)
    return calls or _key_value_calls(reply)


# --------------------------------------------------------------------------- style: function

_FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+\-]*)[^\n]*\n(?P<code>.*?)```", re.S)
_PY_LANGS = {"", "python", "py", "python3", "tool_code", "tool_call", "ipython", "pycon"}
_CALL_LINE = re.compile(r"\[?\s*[A-Za-z_][\w.]*\(.*\)\s*\]?")  # no space before "(": "price (approx)" is prose
# "Function call: get_weather(city='Paris')" is a call line with a label in front.
_CALL_LABEL = re.compile(
    r"^(?:[-*]\s+)?(?:\*\*)?(?:function\s+call|tool\s+call|api\s+call|call|calling|tool|action)"
    r"(?:\*\*)?\s*:(?:\*\*)?\s*",
    re.I,
)
_DEFINED = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)


def _detect_function(reply: str, names: set[str] | None) -> list[RawCall]:
    """Python call syntax in a fenced python block or alone on a line."""
    defined = set(_DEFINED.findall(reply))
    for match in _FENCE.finditer(reply):
        if match.group("lang").lower() in _PY_LANGS:
            calls = _calls_in_python(match.group("code"), names, defined)
            if calls:
                return calls
    outside = _FENCE.sub("\n", reply)
    whole = outside.strip()
    candidates = ([whole] if _PY_CALL_START.match(whole) else []) + [
        _CALL_LABEL.sub("", line.strip()).strip().strip("`").rstrip(";").strip() for line in outside.splitlines()
    ]
    for candidate in candidates:
        if candidate is not whole and not _CALL_LINE.fullmatch(candidate):
            continue
        tree = _parse_python(candidate)
        only = _only_calls(tree) if tree else None
        if only and all(_plausible_tool(_dotted_name(c.func) or "", names, defined) for c in only):
            return [(_dotted_name(c.func) or "", *_ast_call_args(c)) for c in only]
    return []


# --------------------------------------------------------------------------- style: phrase

# First-person intent only: "you can call X" or "the X function does Y" describe, they do not act.
_SUBJECT = (
    r"\b(?:I\s+will|I'll|I\s+shall|I\s+am\s+(?:now\s+)?going\s+to|I'm\s+(?:now\s+)?going\s+to|I'm\s+gonna"
    r"|I\s+need\s+to|I\s+must|I\s+should|I\s+have\s+to|let\s+me|let's|I\s+want\s+to|I'd\s+like\s+to"
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
    "appropriate", "right", "relevant", "available", "following", "same", "correct", "proper",
    "necessary", "required", "provided", "given", "suitable", "best", "another", "other", "new",
}
_DETERMINERS = {"a", "an", "the", "my", "our", "this", "that", "any", "some", "your"}
# Objects of "use" that are never tools, and words after a name that make it code, not a tool.
_NOT_TOOLS = {
    "pandas", "numpy", "requests", "python", "javascript", "excel", "google", "regex", "sql",
    "formula", "method", "approach", "knowledge", "information", "data",
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
    lowered = name.lower()
    if lowered in _DETERMINERS:
        return None  # "using a tool like Excel": no particular tool
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


# --------------------------------------------------------------------------- entry point

def _detect_kit(reply: str, names: set[str] | None) -> list[RawCall]:
    """A call in one of the kit's own serialisations (what agent_instruct_tflan / toolbench_tflan rows hold)."""
    from dataset_builder.transforms.alignment import ELICITATIONS, parse_rendered_call

    parsed = parse_rendered_call(reply)
    if parsed is None:
        return []
    name, arguments = parsed
    if not any(sentence.format(name=name) in reply for sentence in ELICITATIONS):
        return []
    return [(name, arguments, isinstance(arguments, dict))]


_DETECTORS = (
    ("native", _detect_native),
    ("react", _detect_react),
    ("json", _detect_json),
    ("function", _detect_function),
    ("kit", _detect_kit),
    ("phrase", _detect_phrase),
)


def detect(reply: str, tools: list[dict] | str | None = None) -> Verdict:
    """Classify one reply; `tools=None` means "not told", `[]` means "none offered".

    Detectors run from most to least specific and the first that finds a call
    decides the style, so a ReAct block whose Action Input is JSON is "react".
    """
    names = tool_names(tools)
    reply = reply or ""
    for style, find in _DETECTORS:
        raw = find(reply, names)
        if raw:
            return _verdict(style, raw, names)
    return Verdict(calls_tool=False, style="none", calls=(), unknown_tools=())


def _verdict(style: str, raw: list[RawCall], names: set[str] | None) -> Verdict:
    """Attach known/unknown to the raw calls."""
    calls = tuple(
        ToolCall(
            name=name,
            arguments=args if isinstance(args, (dict, str)) or args is None else str(args),
            arguments_valid=valid,
            known=None if names is None else _is_known(name, names),
        )
        for name, args, valid in raw
    )
    unknown = tuple(dict.fromkeys(c.name for c in calls if c.known is False and c.name))
    return Verdict(calls_tool=True, style=style, calls=calls, unknown_tools=unknown)
