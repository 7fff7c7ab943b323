"""Style `function`: Python-style calls written as the reply or in a code block."""

from __future__ import annotations

import re

from agent_flan.core.toolcalls.detect.common import RawCall
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
