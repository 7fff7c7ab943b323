"""`agent-flan eval` finds its dataset by train's rules: exit 2 and one line, never a cache the user did not name.

The reported case: in a folder without ./agent-flan, `eval --model smollm2 --limit 1` retried the Hub five
times, then scored an older build that the datasets cache still held under the name `agent-flan`, and exited
0. Here the cache really holds such a build (loaded once from a folder that is then deleted), and eval must
refuse at once, without loading a model or reaching the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from agent_flan.core.errors import BadInputError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_HOME=str(tmp_path / "hf_home"),
        HF_DATASETS_CACHE=str(tmp_path / "datasets_cache"),
        PYTHONPATH=str(REPO),
        HF_HUB_DISABLE_TELEMETRY="1",
        **extra,
    )
    return env


def test_a_stale_cached_build_is_never_scored(sample_build, tmp_path):
    old = tmp_path / "old" / "agent-flan"
    shutil.copytree(sample_build[0], old)
    fill = "import datasets, sys; print(len(datasets.load_dataset(sys.argv[1], 'agent_h', split='test')))"
    filled = subprocess.run(
        [sys.executable, "-c", fill, "agent-flan"],
        cwd=old.parent,
        env=_env(tmp_path, HF_HUB_OFFLINE="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert filled.returncode == 0 and int(filled.stdout.split()[-1]) > 0, filled.stderr[-2000:]
    assert any((tmp_path / "datasets_cache").rglob("*.arrow")), "the cache should now hold that build"
    shutil.rmtree(old)  # what is left is the cache: a stale build named agent-flan

    empty = tmp_path / "empty"
    empty.mkdir()
    started = time.monotonic()
    proc = subprocess.run(  # HF_HUB_OFFLINE unset: nothing may try the Hub either
        [sys.executable, "-m", "agent_flan", "eval", "--model", "smollm2", "--limit", "1", "--out", "r.json"],
        cwd=empty,
        env=_env(tmp_path, HF_ENDPOINT="http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"agent-flan eval: error: --dataset 'agent-flan': no folder {empty / 'agent-flan'}")
    assert "run `agent-flan build` here" in lines[0] and "never used" in lines[0]
    assert not (empty / "r.json").exists() and proc.stdout == ""
    assert elapsed < 60, elapsed  # no Hub retries (they took 31 s) and no model load before the refusal


def test_missing_paths_and_unreachable_hub_ids_are_one_line(monkeypatch, tmp_path):
    import datasets

    from agent_flan.evaluation.items import load_items

    monkeypatch.chdir(tmp_path)
    calls: list[str] = []

    def never(*args, **kwargs):
        calls.append(args[0])
        raise AssertionError("load_dataset must not be called for a missing local path")

    monkeypatch.setattr(datasets, "load_dataset", never)
    for spec, expected in (
        ("agent-flan", "no folder"),
        ("data/agent-flan.parquet", "no such file: data/agent-flan.parquet"),
        ("./builds/agent-flan", "no such file: ./builds/agent-flan"),
        ("  ", "--dataset: empty"),
    ):
        with pytest.raises(BadInputError, match=expected) as info:
            load_items(spec)
        assert "\n" not in str(info.value)
    assert calls == []

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'me/agent-flan' on the Hub (LocalEntryNotFoundError)\nmore detail")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(BadInputError) as info:
        load_items("me/agent-flan")
    message = str(info.value)
    assert message.startswith(
        "--dataset 'me/agent-flan': not a local folder, and the Hugging Face Hub cannot be reached"
    )
    assert "\n" not in message and "build the dataset here with `agent-flan build`" in message


def test_an_offline_hub_id_exits_2_through_the_cli(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_flan",
            "eval",
            "--model",
            "smollm2",
            "--dataset",
            "me/agent-flan",
            "--limit",
            "1",
        ],
        cwd=tmp_path,
        env=_env(tmp_path, HF_HUB_OFFLINE="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "the Hugging Face Hub cannot be reached" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_local_folder_still_loads(sample_build, monkeypatch):
    from agent_flan.evaluation.items import load_items

    out, _ = sample_build
    monkeypatch.chdir(out.parent)
    items = load_items(out.name, limit=3)
    assert len(items) == 3 and all(item.messages for item in items)
