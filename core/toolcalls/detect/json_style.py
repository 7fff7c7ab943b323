"""Style `json`: a JSON (or Python-literal) object or list naming a function and its arguments."""

from __future__ import annotations

from agent_flan.core.toolcalls.detect.common import (
    RawCall,
    _blank_inline_mentions,
    _calls_in_text,
)


def _detect_json(reply: str, names: set[str] | None) -> list[RawCall]:
    """JSON / Python-dict call objects anywhere in the reply (bare or fenced).

    An object in inline backticks inside a sentence is a mention ("an agent
    outputs `{"action": ...}`"), so such spans are blanked first.
    """
    return _calls_in_text(_blank_inline_mentions(reply))
