"""Streaming access to source files: JSONL, JSON (one object or an array) and Parquet.

Records are yielded one at a time with their location, so a multi-GB ToolBench JSON array
is never held in memory and every error names the file and the line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from dataset_builder.errors import Location, Rejected

SUPPORTED_SUFFIXES = (".jsonl", ".json", ".parquet")
_CHUNK = 1 << 20
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"
_MAX_RECORD_CHARS = 256 << 20


@dataclass
class RawRecord:
    data: Any
    where: Location


RawItem = RawRecord | Rejected
T = TypeVar("T")


def parse_files(
    files: list[Path], source: str, parse: Callable[[Any, Location, Path], T | Rejected],
    duplicates_are_fatal: bool = True,
) -> Iterator[T | Rejected]:
    """Every record of every file through `parse`; malformed input and repeated ids come back as `Rejected`.

    Records must have `.id` and `.where`. A repeated id is malformed input in sources whose ids
    are given (AgentInstruct, the release), and a mere duplicate where ids are content hashes.
    """
    seen: set[str] = set()
    for path in files:
        for item in iter_file(path, source):
            if isinstance(item, Rejected):
                yield item
                continue
            result = parse(item.data, item.where, path)
            if not isinstance(result, Rejected):
                if result.id in seen:
                    yield Rejected(source, result.where, "duplicate id", fatal=duplicates_are_fatal,
                                   category="malformed" if duplicates_are_fatal else "duplicate",
                                   raw=item.data if duplicates_are_fatal else None)
                    continue
                seen.add(result.id)
            yield result


def list_source_files(path: Path) -> list[Path]:
    """Every supported file under `path`, in a stable order (sorted relative paths)."""
    if path.is_file():
        return [path]
    files = sorted(
        (p for p in path.rglob("*") if p.is_file() and p.suffix in SUPPORTED_SUFFIXES and not p.name.startswith(".")),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def iter_file(path: Path, source: str) -> Iterator[RawItem]:
    """Yield each record of one file; malformed parts come back as `Rejected` items."""
    name = str(path)
    if path.stat().st_size == 0:
        yield Rejected(source, Location(name), "empty file: no records")
        return
    if path.suffix == ".parquet":
        yield from _iter_parquet(path, source)
    elif path.suffix == ".jsonl":
        yield from _iter_jsonl(path, source)
    elif path.suffix == ".json":
        yield from _iter_json(path, source)
    else:
        yield Rejected(source, Location(name), f"unsupported file type {path.suffix!r} (use .jsonl, .json or .parquet)")


def _iter_jsonl(path: Path, source: str) -> Iterator[RawItem]:
    name = str(path)
    seen_any = False
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            seen_any = True
            where = Location(name, lineno)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Rejected(source, where, f"not valid UTF-8 (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})", raw=None)
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Rejected(source, where, f"invalid JSON at column {exc.colno}: {exc.msg}", raw=text[:2000])
                continue
            yield RawRecord(data, where)
    if not seen_any:
        yield Rejected(source, Location(name), "empty file: no records (only blank lines)")


def _iter_json(path: Path, source: str) -> Iterator[RawItem]:
    """A .json file holds one object or an array of objects; arrays are decoded element by element."""
    name = str(path)
    with path.open("rb") as handle:
        reader = _Utf8Chunks(handle, name, source)
        state = _ArrayCursor(reader)
        failure = state.fill_until_content()
        if failure is not None:
            yield failure
            return
        if state.pos >= len(state.buffer):
            yield Rejected(source, Location(name), "empty file: no records (only whitespace)")
            return
        if state.buffer[state.pos] != "[":
            rest = reader.read_all()
            if isinstance(rest, Rejected):
                yield rest
                return
            text = state.buffer + rest
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Rejected(source, Location(name, exc.lineno), f"invalid JSON at column {exc.colno}: {exc.msg}")
                return
            yield RawRecord(data, Location(name, 1))
            return
        yield from state.elements(source, name)


class _ArrayCursor:
    """Walks a JSON array held in a sliding text window; memory is bounded by the largest element."""

    def __init__(self, reader: "_Utf8Chunks"):
        self.reader = reader
        self.buffer = ""
        self.pos = 0
        # Line of buffer position `_mark`: counting moves forward only, so the cost is linear.
        self._mark = 0
        self._mark_line = 1

    def more(self) -> Rejected | None:
        if self.pos > 0:
            line = self.line_at(self.pos)
            self.buffer = self.buffer[self.pos:]
            self.pos = 0
            self._mark, self._mark_line = 0, line
        chunk = self.reader.read()
        if isinstance(chunk, Rejected):
            return chunk
        self.buffer += chunk
        return None

    def fill_until_content(self) -> Rejected | None:
        while True:
            self.pos = _skip_ws(self.buffer, self.pos)
            if self.pos < len(self.buffer) or self.reader.eof:
                return None
            failure = self.more()
            if failure is not None:
                return failure

    def line_at(self, pos: int) -> int:
        if pos < self._mark:  # an error position behind the mark: count afresh from it backwards
            return self._mark_line - self.buffer.count("\n", pos, self._mark)
        self._mark_line += self.buffer.count("\n", self._mark, pos)
        self._mark = pos
        return self._mark_line

    def elements(self, source: str, name: str) -> Iterator[RawItem]:
        self.pos += 1  # past '['
        index = 0
        expect_value = True
        while True:
            failure = self.fill_until_content()
            if failure is not None:
                yield failure
                return
            if self.pos >= len(self.buffer):
                yield Rejected(source, Location(name, self.line_at(self.pos)), f"truncated JSON array after {index} elements: missing ']'")
                return
            char = self.buffer[self.pos]
            if char == "]" and (not expect_value or index == 0):
                return
            if char == ",":
                if expect_value:
                    yield Rejected(source, Location(name, self.line_at(self.pos)), f"invalid JSON array: unexpected ',' before element {index}")
                    return
                self.pos += 1
                expect_value = True
                continue
            if not expect_value:
                yield Rejected(source, Location(name, self.line_at(self.pos)), f"invalid JSON array: expected ',' or ']' after element {index - 1}")
                return
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                incomplete = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buffer) - 64
                if incomplete and not self.reader.eof and len(self.buffer) - self.pos < _MAX_RECORD_CHARS:
                    failure = self.more()
                    if failure is not None:
                        yield failure
                        return
                    continue
                what = "truncated" if self.reader.eof and incomplete else "invalid"
                yield Rejected(source, Location(name, self.line_at(exc.pos)), f"{what} JSON in array element {index}: {exc.msg}")
                return
            if end >= len(self.buffer) and not self.reader.eof:
                failure = self.more()  # a bare number may continue in the next chunk
                if failure is not None:
                    yield failure
                    return
                continue
            yield RawRecord(value, Location(name, self.line_at(self.pos)))
            index += 1
            self.pos = end
            expect_value = False


class _Utf8Chunks:
    """Reads UTF-8 text in chunks without splitting a multi-byte character."""

    def __init__(self, handle, name: str, source: str):
        self.handle = handle
        self.name = name
        self.source = source
        self.eof = False
        self._pending = b""
        self._line = 1

    def read(self) -> str | Rejected:
        block = self.handle.read(_CHUNK)
        if not block:
            self.eof = True
        data = self._pending + block
        cut = len(data)
        if not self.eof:
            # Keep up to 3 trailing bytes of an unfinished character for the next chunk.
            for back in range(1, min(4, len(data)) + 1):
                byte = data[-back]
                if byte & 0xC0 != 0x80:
                    if byte >= 0xC0:
                        cut = len(data) - back
                    break
        self._pending = data[cut:]
        try:
            text = data[:cut].decode("utf-8")
        except UnicodeDecodeError as exc:
            line = self._line + data[: exc.start].count(b"\n")
            return Rejected(self.source, Location(self.name, line), f"not valid UTF-8 (byte {data[exc.start:exc.start + 1]!r})")
        self._line += text.count("\n")
        return text

    def read_all(self) -> str | Rejected:
        parts = []
        while not self.eof:
            part = self.read()
            if isinstance(part, Rejected):
                return part
            parts.append(part)
        return "".join(parts)


def _skip_ws(text: str, pos: int) -> int:
    length = len(text)
    while pos < length and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _iter_parquet(path: Path, source: str) -> Iterator[RawItem]:
    import pyarrow.parquet as pq

    name = str(path)
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        yield Rejected(source, Location(name), f"not a readable Parquet file: {exc}")
        return
    row = 0
    for batch in parquet.iter_batches(batch_size=256):
        for data in batch.to_pylist():
            row += 1
            yield RawRecord(data, Location(name, row, unit="row"))
    if row == 0:
        yield Rejected(source, Location(name), "empty file: Parquet file has no rows")
