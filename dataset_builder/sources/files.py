"""Streaming access to source files: JSONL, JSON (one object or an array) and Parquet.

Records are yielded one at a time with their location, so a multi-GB ToolBench JSON array
is never held in memory and every error names the file and the line.

Whatever a file holds, the reader yields records or `Rejected` items, never an exception: a record
nested deeper than MAX_DEPTH is rejected (Python's JSON decoder would raise RecursionError near 1,000
levels, and later steps recurse too), a UTF-8 byte-order mark is skipped, and a file whose suffix
does not match its layout is read by its content when that is unambiguous: a `.jsonl` file that starts
with `[` is a JSON array, a `.json` file whose first line is a whole object followed by more is JSONL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from agent_flan.core.errors import Location, Rejected

SUPPORTED_SUFFIXES = (".jsonl", ".json", ".parquet")
_CHUNK = 1 << 20
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"
_MAX_RECORD_CHARS = 256 << 20
MAX_DEPTH = 100  # levels of nested arrays/objects in one record; real records use well under 20
_BOM = "\ufeff"
_FOREIGN_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_TOO_DEEP = f"record nested too deeply (more than {MAX_DEPTH} levels of arrays/objects)"
_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.S)


@dataclass
class RawRecord:
    data: Any
    where: Location


RawItem = RawRecord | Rejected
T = TypeVar("T")


def parse_files(
    files: list[Path],
    source: str,
    parse: Callable[[Any, Location, Path], T | Rejected],
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
            try:
                result = parse(item.data, item.where, path)
            except RecursionError:  # a nested JSON string inside the record, decoded by the parser
                yield Rejected(source, item.where, f"{_TOO_DEEP} inside a field")
                continue
            if not isinstance(result, Rejected):
                if result.id in seen:
                    yield Rejected(
                        source,
                        result.where,
                        "duplicate id",
                        fatal=duplicates_are_fatal,
                        category="malformed" if duplicates_are_fatal else "duplicate",
                        raw=item.data if duplicates_are_fatal else None,
                    )
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


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays/objects nest more than `limit` levels (iterative: safe at any depth)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _record(data: Any, where: Location, source: str, raw: str | None = None) -> RawItem:
    if isinstance(data, (dict, list)) and too_deep(data):
        return Rejected(source, where, _TOO_DEEP, raw=raw[:2000] if raw else None)
    return RawRecord(data, where)


def iter_file(path: Path, source: str) -> Iterator[RawItem]:
    """Yield each record of one file; malformed parts come back as `Rejected` items."""
    name = str(path)
    if path.stat().st_size == 0:
        yield Rejected(source, Location(name), "empty file: no records")
        return
    if path.suffix in (".jsonl", ".json"):
        with path.open("rb") as handle:
            head = handle.read(4)
        for bom, encoding in _FOREIGN_BOMS:
            if head.startswith(bom):
                yield Rejected(
                    source,
                    Location(name),
                    f"the file is {encoding} text (it starts with a {encoding} byte-order mark); save it as UTF-8",
                )
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
            where = Location(name, lineno)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                seen_any = True
                yield Rejected(
                    source, where, f"not valid UTF-8 (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})", raw=None
                )
                continue
            text = text.lstrip(_BOM)  # a byte-order mark (also where files were concatenated)
            if not text.strip():
                continue
            if not seen_any and text.lstrip().startswith("["):
                # One JSON array (often pretty-printed) saved as .jsonl: no JSONL record starts with '['.
                yield from _as_array(path, source)
                return
            seen_any = True
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Rejected(source, where, f"invalid JSON at column {exc.colno}: {exc.msg}", raw=text[:2000])
                continue
            except RecursionError:
                yield Rejected(source, where, _TOO_DEEP, raw=text[:2000])
                continue
            yield _record(data, where, source, text)
    if not seen_any:
        yield Rejected(source, Location(name), "empty file: no records (only blank lines)")


def _as_array(path: Path, source: str) -> Iterator[RawItem]:
    """A .jsonl file holding a JSON array, read as one; its errors say how the file was read."""
    for item in _iter_json(path, source):
        if isinstance(item, Rejected):
            item.reason += " (this .jsonl file starts with '[', so it was read as one JSON array)"
        yield item


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
                if exc.msg == "Extra data" and _first_line_is_object(text):
                    yield from _iter_jsonl(path, source)  # JSONL saved as .json: one object per line
                    return
                hint = (
                    "; the file holds several JSON values one after another, but a .json file holds one object "
                    "or one array (JSONL puts one whole object on each line)"
                    if exc.msg == "Extra data"
                    else ""
                )
                yield Rejected(
                    source, Location(name, exc.lineno), f"invalid JSON at column {exc.colno}: {exc.msg}{hint}"
                )
                return
            except RecursionError:
                yield Rejected(source, Location(name, state.line_at(state.pos)), _TOO_DEEP)
                return
            yield _record(data, Location(name, state.line_at(state.pos)), source)
            return
        yield from state.elements(source, name)


def _first_line_is_object(text: str) -> bool:
    """Whether the text's first line is one complete JSON object: the mark of JSONL."""
    text = text.lstrip(_WHITESPACE)
    end = text.find("\n")
    try:
        return isinstance(json.loads(text[: end if end >= 0 else len(text)]), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


class _ArrayCursor:
    """Walks a JSON array held in a sliding text window; memory is bounded by the largest element."""

    def __init__(self, reader: _Utf8Chunks):
        self.reader = reader
        self.buffer = ""
        self.pos = 0
        # Line of buffer position `_mark`: counting moves forward only, so the cost is linear.
        self._mark = 0
        self._mark_line = 1

    def more(self) -> Rejected | None:
        if self.pos > 0:
            line = self.line_at(self.pos)
            self.buffer = self.buffer[self.pos :]
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
                yield Rejected(
                    source,
                    Location(name, self.line_at(self.pos)),
                    f"truncated JSON array after {index} elements: missing ']'",
                )
                return
            char = self.buffer[self.pos]
            if char == "]" and (not expect_value or index == 0):
                return
            if char == ",":
                if expect_value:
                    yield Rejected(
                        source,
                        Location(name, self.line_at(self.pos)),
                        f"invalid JSON array: unexpected ',' before element {index}",
                    )
                    return
                self.pos += 1
                expect_value = True
                continue
            if not expect_value:
                yield Rejected(
                    source,
                    Location(name, self.line_at(self.pos)),
                    f"invalid JSON array: expected ',' or ']' after element {index - 1}",
                )
                return
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.pos)
            except RecursionError:
                line = self.line_at(self.pos)
                end = self._end_of_value()
                if isinstance(end, Rejected):
                    yield end
                    return
                yield Rejected(source, Location(name, line), f"{_TOO_DEEP} in array element {index}")
                index += 1
                self.pos = end
                expect_value = False
                continue
            except json.JSONDecodeError as exc:
                incomplete = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buffer) - 64
                if incomplete and not self.reader.eof and len(self.buffer) - self.pos < _MAX_RECORD_CHARS:
                    failure = self.more()
                    if failure is not None:
                        yield failure
                        return
                    continue
                what = "truncated" if self.reader.eof and incomplete else "invalid"
                yield Rejected(
                    source, Location(name, self.line_at(exc.pos)), f"{what} JSON in array element {index}: {exc.msg}"
                )
                return
            if end >= len(self.buffer) and not self.reader.eof:
                failure = self.more()  # a bare number may continue in the next chunk
                if failure is not None:
                    yield failure
                    return
                continue
            yield _record(value, Location(name, self.line_at(self.pos)), source)
            index += 1
            self.pos = end
            expect_value = False

    def _end_of_value(self) -> int | Rejected:
        """End of the array or object at `pos`, found by matching brackets outside strings.

        Used only when the decoder gives up on the nesting depth, so the elements after it are still read.
        """
        depth, scan, in_string = 0, self.pos, False
        start_line = self.line_at(self.pos)
        while True:
            if in_string:
                match = _STRING_REST.match(self.buffer, scan)
                if match is not None:
                    scan, in_string = match.end(), False
                    if depth == 0:
                        return scan
                    continue
            else:
                match = _STRUCTURE.search(self.buffer, scan)
                if match is not None:
                    scan = match.end()
                    char = match.group()
                    if char == '"':
                        in_string = True
                    elif char in "[{":
                        depth += 1
                    else:
                        depth -= 1
                        if depth == 0:
                            return scan
                    continue
                scan = len(self.buffer)
            # The value goes on past the buffer: read more (the window keeps `pos`, offsets shift).
            if self.reader.eof:
                return Rejected(
                    self.reader.source,
                    Location(self.reader.name, start_line),
                    f"truncated JSON: an array element nested more than {MAX_DEPTH} levels deep runs to the end of the file",
                )
            if len(self.buffer) - self.pos >= _MAX_RECORD_CHARS:
                return Rejected(
                    self.reader.source,
                    Location(self.reader.name, start_line),
                    f"array element larger than {_MAX_RECORD_CHARS >> 20} MiB and nested more than {MAX_DEPTH} levels deep",
                )
            offset = scan - self.pos
            failure = self.more()
            if failure is not None:
                return failure
            scan = self.pos + offset


class _Utf8Chunks:
    """Reads UTF-8 text in chunks without splitting a multi-byte character."""

    def __init__(self, handle, name: str, source: str):
        self.handle = handle
        self.name = name
        self.source = source
        self.eof = False
        self._pending = b""
        self._line = 1
        self._first = True

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
            return Rejected(
                self.source, Location(self.name, line), f"not valid UTF-8 (byte {data[exc.start : exc.start + 1]!r})"
            )
        self._line += text.count("\n")
        if self._first and (text or self.eof):
            self._first = False
            text = text.removeprefix(_BOM)
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
    try:
        for batch in parquet.iter_batches(batch_size=256):
            for data in batch.to_pylist():
                row += 1
                yield _record(data, Location(name, row, unit="row"), source)
    except (OSError, ValueError, RecursionError) as exc:  # pyarrow's errors derive from these
        yield Rejected(source, Location(name, row + 1, unit="row"), f"unreadable Parquet data from here on: {exc}")
        return
    if row == 0:
        yield Rejected(source, Location(name), "empty file: Parquet file has no rows")
