"""Streaming readers: arrays decoded element by element, every defect reported with file and line."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import agent_flan.dataset_builder.sources.files as files
from agent_flan.core.errors import Rejected

RECORDS = [{"id": i, "text": "héllo ✓ " * i, "values": [1, 2.5, None, True]} for i in range(60)]


@pytest.mark.parametrize("chunk", [5, 64, 1 << 20])
def test_json_array_is_streamed_in_any_chunk_size(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(files, "_CHUNK", chunk)
    path = tmp_path / "records.json"
    path.write_text(json.dumps(RECORDS, indent=2, ensure_ascii=False), encoding="utf-8")
    items = list(files.iter_file(path, "test"))
    assert [item.data for item in items] == RECORDS
    lines = path.read_text(encoding="utf-8").split("\n")
    for item in items:
        assert lines[item.where.line - 1].strip() == "{"


def test_truncated_array_names_the_line(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(RECORDS[:4], indent=2)[:-30])
    items = list(files.iter_file(path, "test"))
    assert [type(i).__name__ for i in items] == ["RawRecord"] * 3 + ["Rejected"]
    assert "truncated" in items[-1].reason and items[-1].where.line > 1


def test_jsonl_defects_are_per_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "\xff"}\n{"a": \n\n{"a": 4}\n')
    items = list(files.iter_file(path, "test"))
    assert [getattr(i, "data", None) for i in items] == [{"a": 1}, None, None, {"a": 4}]
    assert "UTF-8" in items[1].reason and items[1].where.line == 2
    assert "invalid JSON" in items[2].reason and items[2].where.line == 3


@pytest.mark.parametrize("name, content", [("empty.jsonl", b""), ("blank.jsonl", b"\n\n"), ("ws.json", b"  \n")])
def test_empty_files_are_rejected(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    (item,) = files.iter_file(path, "test")
    assert isinstance(item, Rejected) and "empty file" in item.reason


def test_parquet_rows_are_numbered(tmp_path):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "a"}, {"id": "b"}]), path)
    items = list(files.iter_file(path, "test"))
    assert [(i.data["id"], i.where.line, i.where.unit) for i in items] == [("a", 1, "row"), ("b", 2, "row")]


def test_folder_listing_is_sorted_and_filtered(tmp_path):
    for name in ("b.jsonl", "a/c.parquet", "a/z.json", "notes.md", ".hidden.jsonl"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    assert [p.relative_to(tmp_path).as_posix() for p in files.list_source_files(tmp_path)] == [
        "a/c.parquet",
        "a/z.json",
        "b.jsonl",
    ]
