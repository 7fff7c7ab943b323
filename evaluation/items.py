"""Agent-H rows -> generation requests: what the model is asked, and the label it is judged by.

Why a module of its own: both runners, the cache and the report must agree on exactly
which prompt an item sends (the cache key hashes it), so the prompt is built once, here.
The system prompt of an `agent_h` row already lists the offered tools in the row's prompt
style (dataset_builder/transforms/glaive.py), so by default the tools are *not* passed to
the chat template a second time; `native_tools=True` does that too (the "FC mode" of BFCL).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agent_flan.core.errors import BadInputError

REQUIRED_COLUMNS = ("id", "messages", "tools", "situation", "prompt_style", "should_call", "expected_tool")


@dataclass(frozen=True)
class EvalItem:
    """One labelled Agent-H item, ready to send."""

    id: str
    situation: str
    prompt_style: str
    should_call: bool
    expected_tool: str
    messages: tuple[dict[str, str], ...]  # role/content only, no trailing reference answer
    tools: tuple[dict[str, Any], ...] = field(default=())
    reference: str | None = None  # the dropped reference assistant turn, kept for the report

    @property
    def tools_json(self) -> str:
        return json.dumps(list(self.tools), ensure_ascii=False)


def item_from_row(row: dict[str, Any], position: int = 0) -> EvalItem:
    """Validate one `agent_h` row and strip it to the prompt; user errors name the row."""
    where = f"agent_h row {position} (id {row.get('id')!r})"
    missing = [column for column in REQUIRED_COLUMNS if column not in row]
    if missing:
        raise BadInputError(f"{where}: missing column(s) {', '.join(missing)}; is this the agent_h config?")
    try:
        tools = json.loads(row["tools"] or "[]")
    except (TypeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"{where}: `tools` is not a JSON list: {exc}") from exc
    if not isinstance(tools, list):
        raise BadInputError(f"{where}: `tools` must be a JSON list, got {type(tools).__name__}")
    messages = [{"role": str(m["role"]), "content": str(m["content"] or "")} for m in row["messages"] or []]
    reference = None
    # Rows may end with a reference answer (loss false): it is the label's evidence, not the prompt.
    while messages and messages[-1]["role"] == "assistant":
        reference = messages.pop()["content"] if reference is None else reference
    if not messages or messages[-1]["role"] not in ("user", "tool"):
        raise BadInputError(f"{where}: no user turn to answer")
    return EvalItem(
        id=str(row["id"]),
        situation=str(row["situation"]),
        prompt_style=str(row["prompt_style"]),
        should_call=bool(row["should_call"]),
        expected_tool=str(row["expected_tool"] or ""),
        messages=tuple(messages),
        tools=tuple(tools),
        reference=reference,
    )


def items_from_rows(rows: Iterable[dict[str, Any]], limit: int | None = None) -> list[EvalItem]:
    """The first `limit` rows in dataset order (all when None); ids must be unique (they key the cache)."""
    items: list[EvalItem] = []
    seen: set[str] = set()
    for position, row in enumerate(rows):
        if limit is not None and len(items) >= limit:
            break
        item = item_from_row(row, position)
        if item.id in seen:
            raise BadInputError(f"agent_h row {position}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    return items


def load_items(dataset: str, limit: int | None = None, split: str = "test") -> list[EvalItem]:
    """`datasets.load_dataset(dataset, "agent_h", split=split)` -> items; a missing dataset is a user error."""
    import datasets

    try:
        rows = datasets.load_dataset(dataset, "agent_h", split=split)
    except (FileNotFoundError, ValueError) as exc:
        hint = " (build it first: `agent-flan build --out agent-flan`)" if dataset == "agent-flan" else ""
        raise BadInputError(f"cannot load dataset {dataset!r}, config agent_h, split {split}{hint}: {exc}") from exc
    except Exception as exc:  # DatasetNotFoundError and friends have no common public base
        if type(exc).__name__ in ("DatasetNotFoundError", "EmptyDatasetError", "DataFilesNotFoundError"):
            raise BadInputError(f"cannot load dataset {dataset!r}, config agent_h: {exc}") from exc
        raise
    return items_from_rows(rows, limit)


def request_messages(item: EvalItem) -> list[dict[str, str]]:
    """A fresh, mutable copy of the prompt (templates and HTTP clients may touch it)."""
    return [dict(m) for m in item.messages]


def prompt_hash(item: EvalItem, settings: dict[str, Any], native_tools: bool) -> str:
    """Hash of everything that decides the reply besides the model: messages, tools when sent, settings."""
    payload = {
        "messages": list(item.messages),
        "tools": list(item.tools) if native_tools else None,
        "settings": settings,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
