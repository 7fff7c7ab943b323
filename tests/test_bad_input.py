"""Hostile input never ends in a traceback: the readers reject it with file and line, `validate` lists it.

Readers: records nested far too deep, byte-order marks, and files whose suffix does not match their
layout. Validate: damaged Parquet shards, config folders the card does not declare, and card paths
that point outside the dataset folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO, write_jsonl

import agent_flan.dataset_builder.sources.files as files
from agent_flan.cli import main
from agent_flan.core.errors import Rejected
from agent_flan.dataset_builder.sources.files import RawRecord
from agent_flan.dataset_builder.sources.glaive import read_glaive
from agent_flan.dataset_builder.validate import validate_folder
from agent_flan.pipeline import build_dataset as build

AGENTINSTRUCT = (REPO / "dataset_builder" / "samples" / "agentinstruct.jsonl").read_text(encoding="utf-8").splitlines()
GLAIVE = (REPO / "dataset_builder" / "samples" / "glaive.jsonl").read_text(encoding="utf-8").splitlines()


def _nested(depth: int) -> str:
    """A JSON object nested `depth` levels deep (10,000 is far past Python's recursion limit)."""
    return '{"a": ' * depth + "1" + "}" * depth


def _kinds(items) -> list[str]:
    return ["ok" if isinstance(item, RawRecord) else "rejected" for item in items]


# -- records nested too deep -----------------------------------------------------------------------------


def test_deep_record_is_rejected_with_file_and_line_in_skip_mode(tmp_path):
    path = tmp_path / "ai.jsonl"
    path.write_text("\n".join([AGENTINSTRUCT[0], _nested(10_000), AGENTINSTRUCT[1]]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    report = build(out, {"agentinstruct": str(path)}, on_error="skip", only_given=True, progress=False)
    counts = report["sources"]["agentinstruct"]
    assert (counts["read"], counts["written"], counts["rejected"]) == (3, 2, 1)
    (rejected,) = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert rejected["file"] == str(path) and rejected["line"] == 2 and "nested too deeply" in rejected["reason"]


def test_deep_record_fails_the_build_with_exit_2_and_one_line(tmp_path):
    """A real `agent-flan build` process: no RecursionError traceback, the file and line named."""
    path = tmp_path / "ai.jsonl"
    path.write_text("\n".join([AGENTINSTRUCT[0], _nested(10_000)]) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_flan.cli",
            "build",
            "--no-progress",
            "--only-given",
            "--agentinstruct",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert f"{path}, line 2" in line and "nested too deeply" in line and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_deep_element_of_a_json_array_is_rejected_and_the_rest_is_read(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(files, "_CHUNK", chunk)
    tricky = {"id": 3, "text": 'brackets in a string: ]}[{ and a quote \\" ]'}
    path = tmp_path / "records.json"
    path.write_text("[\n" + json.dumps({"id": 1}) + ",\n" + _nested(10_000) + ",\n" + json.dumps(tricky) + "\n]\n")
    items = list(files.iter_file(path, "test"))
    assert _kinds(items) == ["ok", "rejected", "ok"]
    assert items[1].where.line == 3 and "nested too deeply" in items[1].reason
    assert items[2].data == tricky and items[2].where.line == 4


def test_deep_single_object_file_is_rejected(tmp_path):
    path = tmp_path / "answer.json"
    path.write_text("\n" + _nested(10_000))
    (item,) = files.iter_file(path, "test")
    assert isinstance(item, Rejected) and item.where.line == 2 and "nested too deeply" in item.reason


def test_nesting_is_limited_below_the_decoder_limit(tmp_path):
    """500 levels decode, but later steps recurse too: the limit is MAX_DEPTH, checked without recursion."""
    path = tmp_path / "depths.jsonl"
    path.write_text("\n".join(_nested(depth) for depth in (files.MAX_DEPTH - 1, files.MAX_DEPTH + 1, 500)) + "\n")
    assert _kinds(files.iter_file(path, "test")) == ["ok", "rejected", "rejected"]


def test_deep_json_inside_a_field_is_rejected_with_its_line(tmp_path):
    """glaive keeps its function list as JSON text inside the system prompt: the parser decodes it."""
    deep_system = json.loads(GLAIVE[0])
    deep_system["system"] = (
        "SYSTEM: You are a helpful assistant with access to the following functions. "
        "Use them if required -\n" + _nested(10_000)
    )
    path = write_jsonl(tmp_path / "glaive.jsonl", [deep_system, json.loads(GLAIVE[1])])
    items = list(read_glaive([path]))
    assert isinstance(items[0], Rejected) and items[0].where.line == 1 and "nested too deeply" in items[0].reason
    assert not isinstance(items[1], Rejected)


# -- byte-order marks ------------------------------------------------------------------------------------


def test_bom_keeps_the_first_record_in_skip_mode(tmp_path):
    path = tmp_path / "ai.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(AGENTINSTRUCT[:2]).encode("utf-8") + b"\n")
    report = build(tmp_path / "out", {"agentinstruct": str(path)}, on_error="skip", only_given=True, progress=False)
    counts = report["sources"]["agentinstruct"]
    assert (counts["read"], counts["written"], counts["rejected"]) == (2, 2, 0)


@pytest.mark.parametrize("chunk", [1, 2, 1 << 20])
def test_bom_json_array_is_read_in_any_chunk_size(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(files, "_CHUNK", chunk)
    path = tmp_path / "records.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"id": "é"}, {"id": 2}]).encode("utf-8"))
    assert [item.data for item in files.iter_file(path, "test")] == [{"id": "é"}, {"id": 2}]


def test_utf16_file_is_one_clear_rejection(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_bytes('{"id": 1}\n{"id": 2}\n'.encode("utf-16"))
    (item,) = files.iter_file(path, "test")
    assert isinstance(item, Rejected) and "UTF-16" in item.reason and "UTF-8" in item.reason


# -- suffix and layout disagree ----------------------------------------------------------------------------


def test_json_array_saved_as_jsonl_is_read_as_an_array(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps([{"id": 1}, {"id": 2}], indent=2))
    items = list(files.iter_file(path, "test"))
    assert [item.data for item in items] == [{"id": 1}, {"id": 2}]
    assert [item.where.line for item in items] == [2, 5]


def test_broken_json_array_saved_as_jsonl_says_how_it_was_read(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text('[\n{"id": 1},\n{"id": 2\n')
    items = list(files.iter_file(path, "test"))
    assert _kinds(items) == ["ok", "rejected"]
    assert "read as one JSON array" in items[1].reason and "truncated" in items[1].reason and items[1].where.line > 2


def test_jsonl_saved_as_json_is_read_line_by_line(tmp_path):
    path = tmp_path / "records.json"
    path.write_text('{"id": 1}\n{"id": \n{"id": 3}\n')
    items = list(files.iter_file(path, "test"))
    assert _kinds(items) == ["ok", "rejected", "ok"]
    assert [item.where.line for item in items] == [1, 2, 3] and "invalid JSON" in items[1].reason


def test_several_pretty_printed_objects_in_json_get_a_hint(tmp_path):
    path = tmp_path / "records.json"
    path.write_text(json.dumps({"id": 1}, indent=2) + "\n" + json.dumps({"id": 2}, indent=2) + "\n")
    (item,) = files.iter_file(path, "test")
    assert isinstance(item, Rejected) and item.where.line == 4 and "one object or one array" in item.reason


def test_mislabelled_files_keep_read_counts_adding_up(tmp_path):
    array = tmp_path / "array.jsonl"
    array.write_text("[\n" + ",\n".join(AGENTINSTRUCT[:2]) + ",\n{broken\n]\n")
    report = build(tmp_path / "out", {"agentinstruct": str(array)}, on_error="skip", only_given=True, progress=False)
    counts = report["sources"]["agentinstruct"]
    assert (counts["read"], counts["written"], counts["rejected"]) == (3, 2, 1)


# -- validate ----------------------------------------------------------------------------------------------


@pytest.fixture
def copy(sample_build, tmp_path) -> Path:
    out, _ = sample_build
    target = tmp_path / "agent-flan"
    shutil.copytree(out, target)
    return target


def _shard(folder: Path, config: str) -> Path:
    (path,) = sorted((folder / "data" / config).glob("*.parquet"))
    return path


def _edit_card(folder: Path, old: str, new: str) -> None:
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert old in text
    readme.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_damaged_shards_are_listed_and_the_other_checks_go_on(copy, capsys):
    truncated, empty, garbage = (_shard(copy, c) for c in ("agent_h", "toolbench_react", "toolbench_instruct"))
    truncated.write_bytes(truncated.read_bytes()[:300])
    empty.write_bytes(b"")
    garbage.write_bytes(b"this is not parquet\n" * 20)
    negative = _shard(copy, "toolbench_negative")
    table = pq.read_table(negative)
    rows = table.to_pylist()
    rows[0]["messages"][0]["role"] = "narrator"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), negative)
    assert main(["validate", str(copy)]) == 2
    out = capsys.readouterr().out.splitlines()
    for path, reason in (
        (truncated, "not a readable Parquet file"),
        (empty, "empty (0 bytes)"),
        (garbage, "not a readable Parquet file"),
    ):
        relative = path.relative_to(copy).as_posix()
        assert any(line.startswith(f"{relative}: ") and reason in line for line in out), out
    assert any("invalid role 'narrator'" in line for line in out)  # the other checks still ran
    assert not any("card says" in line and "agent_h" in line for line in out)  # no count for an unreadable shard


def test_config_folder_missing_from_the_card_is_flagged(copy):
    _edit_card(
        copy,
        "- config_name: toolbench_react\n  data_files:\n  - split: train\n"
        "    path: data/toolbench_react/train-*.parquet\n",
        "",
    )
    problems = validate_folder(copy)
    assert any(p.startswith("data/toolbench_react: config folder not declared") for p in problems), problems


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("../elsewhere/train-*.parquet", "points outside the folder ('..')"),
        ("/etc/train-*.parquet", "points outside the folder (an absolute path"),
        ("data/linked/train-*.parquet", "reaches outside the folder through a link"),
    ],
)
def test_card_paths_outside_the_folder_are_flagged(copy, tmp_path, pattern, expected):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(_shard(copy, "toolbench_react"), elsewhere / "train-00000-of-00001.parquet")
    (copy / "data" / "linked").symlink_to(elsewhere, target_is_directory=True)
    _edit_card(copy, "path: data/toolbench_react/train-*.parquet", f"path: {pattern}")
    problems = validate_folder(copy)
    assert any(p.startswith("toolbench_react/train: ") and expected in p for p in problems), problems
