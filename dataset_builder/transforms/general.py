"""General chat -> `chat` rows: every assistant turn trained, as in ShareGPT/Vicuna training."""

from __future__ import annotations

from typing import Any

from agent_flan.dataset_builder.records import ChatRecord
from agent_flan.dataset_builder.transforms.rows import message, row


def chat_row(record: ChatRecord) -> dict[str, Any]:
    messages = [
        message(t.role, t.content, t.role == "assistant" and bool(t.content.strip()), "answer") for t in record.turns
    ]
    return row(record.id, "general", "chat", "chat", messages)
