"""Row and message constructors: the only place that spells the row schema's keys."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any


def message(role: str, content: str, loss: bool = False, capability: str = "") -> dict[str, Any]:
    """Loss only ever on assistant turns; capability only ever on assistant turns."""
    if role != "assistant":
        loss, capability = False, ""
    elif not capability:
        capability = "none"
    return {"role": role, "content": content, "loss": bool(loss), "capability": capability}


def row(record_id: str, source: str, task: str, fmt: str, messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": record_id,
        "source": source,
        "task": task,
        "format": fmt,
        "messages": messages,
        "tools": json.dumps(tools or [], ensure_ascii=False),
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
