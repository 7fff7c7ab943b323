"""Bad input is reported with where it came from, so a user can open the file at the line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Location:
    """Where a source record lives: file, 1-based line (JSONL / JSON text) or row (Parquet), and id."""

    file: str
    line: int | None = None
    record_id: str | None = None
    unit: str = "line"

    def with_id(self, record_id: str | None) -> Location:
        return Location(self.file, self.line, record_id, self.unit)

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f", {self.unit} {self.line}"
        if self.record_id:
            text += f" (record id {self.record_id!r})"
        return text


@dataclass
class Rejected:
    """A source record that did not become output, and why.

    `fatal` distinguishes malformed input (stops the build unless --on-error skip) from
    records dropped by design (give-up trajectories), which never stop a build.
    """

    source: str
    where: Location
    reason: str
    fatal: bool = True
    raw: Any = None
    category: str = "malformed"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.where.file,
            self.where.unit: self.where.line,
            "id": self.where.record_id,
            "category": self.category,
            "reason": self.reason,
            "record": self.raw,
        }

    def message(self) -> str:
        return f"{self.where}: {self.reason}"


class BadInputError(Exception):
    """Raised for input a user must fix; the CLI maps it to exit code 2."""


class BadRecordError(BadInputError):
    def __init__(self, rejected: Rejected):
        super().__init__(f"{rejected.source}: {rejected.message()}")
        self.rejected = rejected
