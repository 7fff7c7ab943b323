"""Decide whether a model reply calls a tool, and in which surface style.

Why this exists: hallucination metrics in the spirit of Agent-H (Agent-FLAN
paper, section 4.3) and BFCL's relevance/irrelevance checks all reduce to one
question, "did the model try to call a tool here?".  Models write calls in
many ways (chat-template tags, ReAct blocks, JSON objects, Python calls,
plain prose), and a parser that only knows one of them silently scores the
others as "no call".  This package recognises all of them with stdlib only, one module per style.

Only the final answer is judged: reasoning blocks (`<think>…</think>` and kin, see `reasoning.py`)
are set aside first, and `Verdict.reasoning_mentions_call` says whether they alone read as a call.

Styles, from most to least specific (the first that matches wins):
native > react > json > function > kit > phrase. `kit` is the call language the kit's own
aligned rows are written in (agent_flan.core.toolcalls.language: a sentence naming the tool,
then the arguments in a fenced block or inline), read back exactly by its own parser; it counts
only with the naming sentence, so a YAML or shell block in an explanation is not a call.
"""

from __future__ import annotations

from dataclasses import replace

from agent_flan.core.toolcalls.detect.common import (
    STYLES,
    RawCall,
    ToolCall,
    Verdict,
    _is_known,
    tool_names,
)
from agent_flan.core.toolcalls.detect.function import _detect_function
from agent_flan.core.toolcalls.detect.json_style import _detect_json
from agent_flan.core.toolcalls.detect.kit import _detect_kit
from agent_flan.core.toolcalls.detect.native import _detect_native
from agent_flan.core.toolcalls.detect.phrase import _detect_phrase
from agent_flan.core.toolcalls.detect.react import _detect_react
from agent_flan.core.toolcalls.detect.reasoning import split_reasoning

__all__ = ["STYLES", "ToolCall", "Verdict", "detect", "tool_names"]


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
    final, reasoning = split_reasoning(reply or "")
    verdict = _detect_text(final, names)
    if reasoning is None:
        return verdict
    return replace(verdict, reasoning_mentions_call=_detect_text(reasoning, names).calls_tool)


def _detect_text(reply: str, names: set[str] | None) -> Verdict:
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
