"""Style `native`: chat-template call tags (Hermes/Qwen, glaive, Mistral, Llama, InternLM, gpt-oss ...)."""

from __future__ import annotations

import re

from agent_flan.core.toolcalls.detect.common import (
    RawCall,
    _args_from_text,
    _balanced_end,
    _calls_in_text,
    _strip_fence,
)
from agent_flan.core.toolcalls.detect.phrase import _tool_like
from agent_flan.core.toolcalls.detect.python_code import (
    _ast_call_args,
    _dotted_name,
    _only_calls,
    _parse_python,
)

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
    re.compile(
        r"<｜tool▁call▁begin｜>function<｜tool▁sep｜>(?P<name>[\w.\-]+)\s*"
        r"(?P<body>.*?)(?:<｜tool▁call▁end｜>|\Z)",
        re.S,
    ),
    re.compile(
        r"<｜tool▁call▁begin｜>(?!function<)(?P<name>[\w.\-]+)<｜tool▁sep｜>"
        r"(?P<body>.*?)(?:<｜tool▁call▁end｜>|\Z)",
        re.S,
    ),
    # Gorilla OpenFunctions v2
    re.compile(r"<<function>>\s*(?P<name>[A-Za-z_][\w.\-]*)(?P<body>\(.*?\))(?=\s*<<function>>|\s*$)", re.S | re.M),
    # gpt-oss (harmony): <|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{...}<|call|>
    re.compile(
        r"(?:\bto=functions\.|<\|channel\|>\w+\s+to=(?:functions\.)?)(?P<name>[\w.\-]+)\s*"
        r"(?:<\|channel\|>\w+)?[^<\n]*(?:<\|constrain\|>\s*\w+\s*)?<\|message\|>"
        r"(?P<body>.*?)(?:<\|call\|>|\Z)",
        re.S,
    ),
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
