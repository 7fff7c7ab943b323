"""Read stage bookkeeping: every source record is counted, and each one that does not become a row
is rejected with its reason, so `read = written + rejected` holds per source."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from agent_flan.core.errors import BadRecordError, Location, Rejected


@dataclass
class SourceCounts:
    read: int = 0
    written: int = 0
    rejected: Counter = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "written": self.written,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
        }


class Ledger:
    """Counts per source, the error policy (`fail` stops at malformed input, `skip` goes on) and rejected.jsonl."""

    def __init__(self, on_error: str, progress: bool, reject_log: Path | None):
        self.on_error = on_error
        self.progress = progress
        self.counts: dict[str, SourceCounts] = {}
        self._log = open(reject_log, "w", encoding="utf-8") if reject_log is not None else None  # noqa: SIM115

    def records(self, name: str, items: Iterable[Any]) -> Iterator[Any]:
        """Counts every item, applies the error policy, yields only good records."""
        counts = self.counts.setdefault(name, SourceCounts())
        bar = tqdm(items, desc=f"reading {name}", unit=" rec", disable=not self.progress, leave=False)
        for item in bar:
            counts.read += 1
            if isinstance(item, Rejected):
                self.reject(name, item)
                continue
            yield item
        bar.close()

    def reject(self, name: str, item: Rejected) -> None:
        if item.fatal and self.on_error == "fail":
            raise BadRecordError(item)
        self.counts.setdefault(name, SourceCounts()).rejected[item.category] += 1
        if self._log is not None:
            self._log.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")

    def dropped(self, name: str, where: Location, reason: str, category: str) -> None:
        """A good record left out by design (not malformed: never stops a build)."""
        self.reject(name, Rejected(name, where, reason, fatal=False, category=category))

    def written(self, name: str) -> None:
        self.counts.setdefault(name, SourceCounts()).written += 1

    def close(self, names: Iterable[str]) -> None:
        """Every named source has counts (zero when it yielded nothing); the reject log is flushed."""
        for name in names:
            self.counts.setdefault(name, SourceCounts())
        if self._log is not None:
            self._log.close()

    def to_json(self) -> dict[str, Any]:
        return {name: counts.to_json() for name, counts in sorted(self.counts.items())}
