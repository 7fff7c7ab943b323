"""General chat reader: ShareGPT `conversations[{from, value}]` or `messages[{role, content}]`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent_flan.core.errors import Location, Rejected
from agent_flan.dataset_builder.records import ChatRecord, Turn, stable_id
from agent_flan.dataset_builder.sources.files import parse_files

SOURCE = "general"
_SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "assistant": "assistant",
    "system": "system",
}
_MESSAGE_ROLES = {"system", "user", "assistant"}


def read_general(files: list[Path]) -> Iterator[ChatRecord | Rejected]:
    return parse_files(
        files, SOURCE, lambda data, where, path: parse_chat(data, where, SOURCE, "general"), duplicates_are_fatal=False
    )


def parse_chat(data: Any, where: Location, source: str, id_prefix: str) -> ChatRecord | Rejected:
    """Both chat layouts in one function, since corpora mix them freely."""
    if not isinstance(data, dict):
        return Rejected(source, where, f"expected a JSON object, got {type(data).__name__}", raw=data)
    turns: list[Turn] = []
    if isinstance(data.get("conversations"), list):
        for position, turn in enumerate(data["conversations"]):
            if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
                return Rejected(
                    source, where, f"conversations[{position}] must be an object with a string 'value'", raw=data
                )
            role = _SHAREGPT_ROLES.get(str(turn.get("from")).lower())
            if role is None:
                return Rejected(
                    source, where, f"conversations[{position}]: unknown 'from' value {turn.get('from')!r}", raw=data
                )
            turns.append(Turn(role, turn["value"]))
    elif isinstance(data.get("messages"), list):
        for position, message in enumerate(data["messages"]):
            if not isinstance(message, dict) or not isinstance(message.get("content"), str):
                return Rejected(
                    source, where, f"messages[{position}] must be an object with a string 'content'", raw=data
                )
            if message.get("role") not in _MESSAGE_ROLES:
                return Rejected(source, where, f"messages[{position}]: unknown role {message.get('role')!r}", raw=data)
            turns.append(Turn(message["role"], message["content"]))
    else:
        return Rejected(source, where, "missing 'conversations' (ShareGPT) or 'messages' list", raw=data)
    record_id = data.get("id")
    record_id = (
        f"{id_prefix}_{record_id}"
        if isinstance(record_id, (str, int)) and str(record_id)
        else stable_id(id_prefix, *(f"{turn.role}:{turn.content}" for turn in turns))
    )
    where = where.with_id(record_id)
    if not any(turn.role == "assistant" and turn.content.strip() for turn in turns):
        return Rejected(source, where, "conversation has no non-empty assistant turn", raw=data)
    return ChatRecord(record_id, turns, where)
