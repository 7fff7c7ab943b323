"""Row and message constructors: the only place that spells the row schema's keys."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any


def span(start: int, end: int, capability: str, loss: bool) -> dict[str, Any]:
    return {"start": start, "end": end, "capability": capability, "loss": bool(loss)}


def message(role: str, content: str, loss: bool = False, capability: str = "") -> dict[str, Any]:
    """Loss and capability only ever on assistant turns; an assistant turn is one span of one capability."""
    if role != "assistant":
        return {"role": role, "content": content, "loss": False, "capability": "", "spans": []}
    capability = capability or "none"
    spans = [span(0, len(content), capability, loss)] if content else []
    return {"role": role, "content": content, "loss": bool(loss), "capability": capability, "spans": spans}


def step_message(parts: list[tuple[str, str, bool]]) -> dict[str, Any]:
    """One assistant message from its parts, in order: (text, capability, trained).

    A step's thought, the sentence naming the tool and the arguments stay in one message, so no chat
    template puts an end-of-turn inside a step; the capability weighting lives in the spans. Empty
    parts leave no span; neighbouring parts with the same capability and flag become one span.
    """
    content, spans = "", []
    for text, capability, trained in parts:
        if not text:
            continue
        start = len(content)
        content += text
        if spans and spans[-1]["capability"] == capability and spans[-1]["loss"] == bool(trained):
            spans[-1]["end"] = len(content)
        else:
            spans.append(span(start, len(content), capability, trained))
    capabilities = {s["capability"] for s in spans}
    return {
        "role": "assistant",
        "content": content,
        "loss": any(s["loss"] for s in spans),
        "capability": capabilities.pop() if len(capabilities) == 1 else "mixed" if capabilities else "none",
        "spans": spans,
    }


def span_texts(msg: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(text, capability, trained) per span of a message; what the report and the trainer count."""
    return [(msg["content"][s["start"] : s["end"]], s["capability"], s["loss"]) for s in msg.get("spans") or []]


def row(
    record_id: str,
    source: str,
    task: str,
    fmt: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    negative_kind: str = "",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": record_id,
        "source": source,
        "task": task,
        "format": fmt,
        "messages": messages,
        "tools": json.dumps(tools or [], ensure_ascii=False),
        "negative_kind": negative_kind,
        **extra,
    }


def unit_hash(seed: int, purpose: str, key: str) -> float:
    """A number in [0, 1) fixed by (seed, purpose, key): order-independent, so shards agree."""
    digest = hashlib.blake2b(f"{seed}\x1f{purpose}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def rng_for(seed: int, purpose: str, key: str) -> random.Random:
    return random.Random(f"{seed}\x1f{purpose}\x1f{key}")


def as_function_schema(tool: dict[str, Any]) -> dict[str, Any]:
    """OpenAI-style function schema: name, description, parameters (an object schema)."""
    schema = {"name": str(tool.get("name", "")), "description": str(tool.get("description", "") or "")}
    parameters = tool.get("parameters")
    schema["parameters"] = parameters if isinstance(parameters, dict) else {"type": "object", "properties": {}}
    return schema
