"""A resumable, append-only cache of model replies (JSONL), so an interrupted run continues.

Why JSONL and append-only: each reply is written and flushed the moment it arrives, so a
crash, a Ctrl-C or a server that goes away loses at most the replies in flight; a torn last
line (killed mid-write) is skipped on reading.  Entries are keyed by item id + model +
prompt hash (evaluation.items.prompt_hash), so changing the prompt, the generation settings
or the model never serves a stale reply.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def cache_key(item_id: str, model: str, prompt_hash: str) -> str:
    """One string naming (item, model, prompt); stable across runs and machines."""
    text = json.dumps([item_id, model, prompt_hash], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class CachedReply:
    key: str
    item_id: str
    model: str
    prompt_hash: str
    reply: str


class ReplyCache:
    """Replies already obtained, read from `path` at start; `put` appends and flushes one line.

    `path=None` is a cache that remembers nothing (`--no-cache`).
    """

    def __init__(self, path: Path | None):
        self.path = Path(path) if path is not None else None
        self._entries: dict[str, CachedReply] = {}
        self._lock = threading.Lock()
        self.skipped_lines = 0
        if self.path is not None and self.path.is_file():
            self._load()

    def _load(self) -> None:
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    data = json.loads(line)
                    entry = CachedReply(data["key"], data["id"], data["model"], data["prompt_hash"], data["reply"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    self.skipped_lines += 1  # a torn line from an interrupted write
                    continue
                if isinstance(entry.reply, str):
                    self._entries[entry.key] = entry

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        return None if entry is None else entry.reply

    def put(self, key: str, item_id: str, model: str, prompt_hash: str, reply: str) -> None:
        """Remember a reply and append it to the file at once (thread-safe)."""
        entry = CachedReply(key, item_id, model, prompt_hash, reply)
        line = json.dumps(
            {
                "key": key,
                "id": item_id,
                "model": model,
                "prompt_hash": prompt_hash,
                "reply": reply,
                "time": round(time.time(), 3),
            },
            ensure_ascii=False,
        )
        with self._lock:
            self._entries[key] = entry
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                if handle.tell() > 0 and not _ends_with_newline(self.path):
                    handle.write("\n")  # never glue a new entry onto a torn line
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
