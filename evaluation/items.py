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


def _one_line(exc: BaseException) -> str:
    """An exception as one short line (datasets' messages can span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _unreachable(exc: BaseException) -> bool:
    """The Hub could not be reached (offline mode, DNS, refused, timed out), as datasets and the client raise it."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (ConnectionError, TimeoutError)) or type(exc).__name__ in (
            "OfflineModeIsEnabled",
            "LocalEntryNotFoundError",
            "ConnectError",
            "ConnectTimeout",
            "ReadTimeout",
            "TransportError",
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def load_items(dataset: str, limit: int | None = None, split: str = "test") -> list[EvalItem]:
    """`datasets.load_dataset(dataset, "agent_h", split=split)` -> items; a missing dataset is a user error.

    The rules are train's (training/data.py `_load`): a bare name is a folder in the current directory, never
    a Hub lookup, so a missing `./agent-flan` is refused at once instead of falling back, after retrying
    the Hub, to an older build of that name in the datasets cache; a spec that can only be a path
    (`core.hub.looks_like_path`) is a missing file; a Hub id that cannot be reached is one line, exit 2."""
    import os

    import datasets

    from agent_flan.core.hub import bound_hub_requests, looks_like_path, missing_path_message

    spec = dataset.strip()
    where = f"--dataset {spec!r}"
    if not spec:
        raise BadInputError("--dataset: empty; give a dataset folder (./agent-flan) or a Hub id (ORG/NAME)")
    remote = "://" in spec
    if not remote and not os.path.exists(spec):
        if "/" not in spec.replace("\\", "/") and not looks_like_path(spec):
            raise BadInputError(
                f"{where}: no folder {os.path.abspath(spec)}; run `agent-flan build` here (it writes ./agent-flan), "
                "or pass --dataset FOLDER or a Hub id (ORG/NAME); a cached older build of that name is never used"
            )
        if looks_like_path(spec):
            raise BadInputError(f"{where}: {missing_path_message(spec)}; build it with `agent-flan build --out PATH`")
    if not os.path.exists(spec):
        bound_hub_requests()  # a Hub id: each request answers within HF_HUB_DOWNLOAD_TIMEOUT s, never a hang
    try:
        rows = datasets.load_dataset(spec, "agent_h", split=split)
    except Exception as exc:  # noqa: BLE001 - every failure below is the user's to fix, in one line
        if _unreachable(exc):
            raise BadInputError(
                f"{where}: not a local folder, and the Hugging Face Hub cannot be reached ({_one_line(exc)}); "
                "build the dataset here with `agent-flan build` and pass its folder, or connect and retry"
            ) from None
        known = (FileNotFoundError, ValueError, datasets.exceptions.DatasetNotFoundError)
        if isinstance(exc, known) or type(exc).__name__ in ("EmptyDatasetError", "DataFilesNotFoundError"):
            hint = " (build it first: `agent-flan build --out agent-flan`)" if spec == "agent-flan" else ""
            raise BadInputError(
                f"cannot load dataset {spec!r}, config agent_h, split {split}{hint}: {_one_line(exc)}"
            ) from None
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
