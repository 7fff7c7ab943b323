"""`agent-flan validate` catches each kind of violation, and lists all of them."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agent_flan.cli import main
from agent_flan.dataset_builder.validate import validate_folder


def _mutate(folder, config, change):
    (path,) = sorted((folder / "data" / config).glob("train-*.parquet"))
    table = pq.read_table(path)
    rows = table.to_pylist()
    change(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


@pytest.fixture
def copy(sample_build, tmp_path):
    out, _ = sample_build
    target = tmp_path / "agent-flan"
    shutil.copytree(out, target)
    return target


def _set_message(index, **values):
    def change(rows):
        rows[0]["messages"][index].update(values)

    return change


@pytest.mark.parametrize(
    "config, change, expected",
    [
        ("toolbench_negative", _set_message(0, role="narrator"), "invalid role 'narrator'"),
        ("toolbench_negative", _set_message(1, loss=True), "loss is true on a user turn"),
        ("toolbench_negative", _set_message(2, content="  "), "empty assistant content"),
        ("toolbench_negative", _set_message(2, capability="magic"), "invalid capability 'magic'"),
        ("toolbench_negative", lambda rows: rows[0].update(tools="{not json"), "tools is not JSON"),
        (
            "toolbench_negative",
            lambda rows: rows[0].update(tools=json.dumps([{"description": "no name"}])),
            "not a function schema",
        ),
        ("toolbench_negative", lambda rows: rows[1].update(id=rows[0]["id"]), "duplicate id"),
        ("toolbench_negative", lambda rows: rows.pop(), "card says"),
        (
            "toolbench_negative",
            lambda rows: [m.update(loss=False) for m in rows[0]["messages"]],
            "no trained assistant turn",
        ),
    ],
)
def test_each_violation_is_reported(copy, config, change, expected):
    _mutate(copy, config, change)
    problems = validate_folder(copy)
    assert any(expected in problem for problem in problems), problems


def test_missing_config_files_and_exit_code(copy, capsys):
    shutil.rmtree(copy / "data" / "agent_h")
    assert main(["validate", str(copy)]) == 2
    assert "agent_h/test: no files match" in capsys.readouterr().out


def test_valid_folder_exits_zero(sample_build, capsys):
    out, _ = sample_build
    assert main(["validate", str(out)]) == 0
    assert "valid" in capsys.readouterr().out


def test_several_violations_are_all_listed(copy):
    _mutate(copy, "toolbench_negative", _set_message(0, role="narrator"))
    _mutate(copy, "agent_instruct_react", lambda rows: rows[0].update(tools="[1]"))
    problems = validate_folder(copy)
    assert any("narrator" in p for p in problems) and any("tools[0]" in p for p in problems)
