"""Negatives must never teach a tool call: every reply is checked with the evaluation detector."""

from __future__ import annotations

import json
from typing import Any

from evaluation.detector import detect


def vet_reply(negative: dict[str, Any]) -> str:
    """'ok', or why the row must not be used ('calls_tool', 'empty_reply')."""
    reply = next((m["content"] for m in reversed(negative["messages"]) if m["role"] == "assistant"), "")
    if not reply.strip():
        return "empty_reply"
    verdict = detect(reply, json.loads(negative["tools"]))
    return "calls_tool" if verdict.calls_tool else "ok"
