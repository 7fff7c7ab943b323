"""Style `react`: Thought / Action / Action Input blocks and their key-value cousins."""

from __future__ import annotations

import re

from agent_flan.core.toolcalls.detect.common import (
    RawCall,
    _args_from_text,
    _balanced_end,
    _calls_in_text,
    _strip_fence,
)
from agent_flan.core.toolcalls.detect.phrase import _phrase_object
from agent_flan.core.toolcalls.detect.python_code import (
    _ast_call_args,
    _only_calls,
    _parse_python,
)

_REACT_LINE = re.compile(
    r"^[ \t]*(?P<kw>thought|think|action[ _]?input|action[ _]?args|action|act|args|arguments"
    r"|observation|final[ _]answer)(?:[ \t]*\d+)?[ \t]*:[ \t]*(?P<val>.*)$",
    re.I | re.M,
)


_REACT_KIND = {
    "thought": "thought",
    "think": "thought",
    "action": "action",
    "act": "action",
    "observation": "observation",
    "final answer": "final",
}  # anything else: the action's input


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
