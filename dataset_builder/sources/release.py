"""Reader for the official Agent-FLAN release (`internlm/Agent-FLAN`, 7 JSONL files).

Records are read line by line, not through Arrow: the release's declared features do not
match its records (`loss` missing on some messages, an extra `type` key on others).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent_flan.core.errors import Location, Rejected
from agent_flan.dataset_builder.records import ReleaseRecord, Turn
from agent_flan.dataset_builder.sources.files import iter_file

SOURCE = "release"
_ROLES = {"system", "user", "assistant"}

# Official file stem -> our component config.
RELEASE_FILES = {
    "agent_instruct_react": "agent_instruct_react",
    "agent_instruct_tflan": "agent_instruct_tflan",
    "toolbench_react_10p": "toolbench_react",
    "toolbench_tflan_60p_r10r5u7": "toolbench_tflan",
    "toolbench_tflan_cot_30p": "toolbench_tflan_cot",
    "toolbench_instruct_j1s1_3k": "toolbench_instruct",
    "toolbench_negative": "toolbench_negative",
}


def release_stem(path: Path) -> str | None:
    """Match a file to a release split, also for Hub-converted names like `toolbench_negative-00000-of-00001.parquet`."""
    stem = path.name.split(".", 1)[0].split("-", 1)[0]
    return stem if stem in RELEASE_FILES else None


def read_release(files: list[Path]) -> Iterator[ReleaseRecord | Rejected]:
    for path in files:
        stem = release_stem(path)
        if stem is None:
            yield Rejected(
                SOURCE,
                Location(str(path)),
                f"not an Agent-FLAN release file (expected one of: {', '.join(f'{s}.jsonl' for s in RELEASE_FILES)})",
            )
            continue
        seen: set[str] = set()
        for item in iter_file(path, SOURCE):
            if isinstance(item, Rejected):
                yield item
                continue
            result = parse_release_record(item.data, item.where, stem)
            if isinstance(result, ReleaseRecord):
                if result.id in seen:
                    yield Rejected(SOURCE, result.where, "duplicate id", raw=item.data)
                    continue
                seen.add(result.id)
            yield result


def parse_release_record(data: Any, where: Location, stem: str) -> ReleaseRecord | Rejected:
    if not isinstance(data, dict):
        return Rejected(SOURCE, where, f"expected a JSON object, got {type(data).__name__}", raw=data)
    record_id = data.get("id")
    record_id = str(record_id) if isinstance(record_id, (str, int)) and str(record_id) else f"{stem}_line{where.line}"
    where = where.with_id(record_id)
    conversation = data.get("conversation", data.get("messages"))
    if not isinstance(conversation, list) or not conversation:
        return Rejected(SOURCE, where, "missing 'conversation' list", raw=data)
    turns: list[Turn] = []
    extra: set[str] = set()
    for position, message in enumerate(conversation):
        if not isinstance(message, dict):
            return Rejected(SOURCE, where, f"conversation[{position}] is not an object", raw=data)
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES:
            return Rejected(SOURCE, where, f"conversation[{position}]: unknown role {role!r}", raw=data)
        if not isinstance(content, str):
            return Rejected(SOURCE, where, f"conversation[{position}]: 'content' must be a string", raw=data)
        loss = message.get("loss")
        if loss is not None and not isinstance(loss, bool):
            return Rejected(
                SOURCE, where, f"conversation[{position}]: 'loss' must be a boolean, got {loss!r}", raw=data
            )
        extra.update(set(message) - {"role", "content", "loss"})
        turns.append(Turn(role, content, loss))
    if not any(turn.role == "assistant" for turn in turns):
        return Rejected(SOURCE, where, "conversation has no assistant turn", raw=data)
    return ReleaseRecord(record_id, stem, turns, where, sorted(extra))
