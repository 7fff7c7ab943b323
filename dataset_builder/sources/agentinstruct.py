"""AgentInstruct reader (`THUDM/AgentInstruct`): `conversations[{from, loss, value}]`, id `<task>_<n>`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent_flan.core.errors import Location, Rejected
from agent_flan.core.schema import AGENTINSTRUCT_TASKS
from agent_flan.dataset_builder.records import AgentInstructRecord, Turn
from agent_flan.dataset_builder.sources.files import parse_files

SOURCE = "agentinstruct"
_ROLES = {"human": "user", "gpt": "assistant"}


def read_agentinstruct(files: list[Path]) -> Iterator[AgentInstructRecord | Rejected]:
    return parse_files(files, SOURCE, lambda data, where, path: parse_record(data, where, _task_from_filename(path)))


def _task_from_filename(path: Path) -> str | None:
    """HF parquet shards are named `<split>-00000-of-00001-<hash>.parquet`, the split being the task."""
    stem = path.name.split("-", 1)[0].split(".", 1)[0]
    return stem if stem in AGENTINSTRUCT_TASKS else None


def parse_record(data: Any, where: Location, default_task: str | None = None) -> AgentInstructRecord | Rejected:
    if not isinstance(data, dict):
        return Rejected(SOURCE, where, f"expected a JSON object, got {type(data).__name__}", raw=data)
    record_id = data.get("id")
    if not isinstance(record_id, str) or not record_id:
        return Rejected(SOURCE, where, "missing 'id' (AgentInstruct ids look like 'db_12')", raw=data)
    where = where.with_id(record_id)
    task = record_id.rsplit("_", 1)[0] if "_" in record_id else default_task
    if task not in AGENTINSTRUCT_TASKS:
        task = default_task
    if task not in AGENTINSTRUCT_TASKS:
        return Rejected(
            SOURCE,
            where,
            f"cannot tell the task from id {record_id!r} (expected one of {', '.join(AGENTINSTRUCT_TASKS)})",
            raw=data,
        )
    conversations = data.get("conversations")
    if not isinstance(conversations, list):
        return Rejected(SOURCE, where, "missing 'conversations' list", raw=data)
    turns: list[Turn] = []
    for position, turn in enumerate(conversations):
        if not isinstance(turn, dict):
            return Rejected(SOURCE, where, f"turn {position} is not an object", raw=data)
        speaker = turn.get("from")
        if speaker not in _ROLES:
            return Rejected(
                SOURCE,
                where,
                f"turn {position}: unknown 'from' value {speaker!r} (expected 'human' or 'gpt')",
                raw=data,
            )
        value = turn.get("value")
        if not isinstance(value, str):
            return Rejected(SOURCE, where, f"turn {position}: 'value' must be a string", raw=data)
        loss = turn.get("loss")
        if loss is not None and not isinstance(loss, bool):
            return Rejected(
                SOURCE, where, f"turn {position}: 'loss' must be true, false or null, got {loss!r}", raw=data
            )
        turns.append(Turn(_ROLES[speaker], value, loss))
    if not any(turn.role == "assistant" for turn in turns):
        return Rejected(SOURCE, where, "trajectory has no assistant ('gpt') turn", raw=data)
    trained = [turn for turn in turns if turn.role == "assistant" and turn.loss]
    if not trained:
        return Rejected(SOURCE, where, "trajectory has no assistant turn with loss true", raw=data)
    if any(not turn.content.strip() for turn in trained):
        # Known upstream quirk (some mind2web rows): an empty answer teaches nothing.
        return Rejected(
            SOURCE, where, "empty assistant reply on a trained turn", fatal=False, category="empty_reply", raw=data
        )
    return AgentInstructRecord(record_id, task, turns, where)
