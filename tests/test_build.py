"""The embedded-sample build end to end: every config, loadable, valid, deterministic, staged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, write_jsonl

from agent_flan.core.errors import BadInputError, BadRecordError
from agent_flan.core.schema import CONFIGS
from agent_flan.dataset_builder.validate import validate_folder
from agent_flan.pipeline import build_dataset as build


def test_every_config_is_built_non_empty_and_valid(sample_build):
    out, report = sample_build
    assert list(report["configs"]) == list(CONFIGS)
    for name, (splits, _) in CONFIGS.items():
        assert set(report["configs"][name]["splits"]) == set(splits)
        for split in splits:
            assert report["configs"][name]["splits"][split]["rows"] > 0, (name, split)
    assert validate_folder(out) == []


def test_counts_add_up(sample_build):
    _, report = sample_build
    for name, counts in report["sources"].items():
        assert counts["read"] == counts["written"] + counts["rejected"], name
        assert counts["read"] > 0
    assert report["inputs"]["toolbench"]["origin"] == "embedded"
    assert report["sources"]["toolbench"]["rejected_by_reason"].get("give_up", 0) >= 3


def test_load_dataset_reads_every_config_offline(sample_build):
    """In a fresh interpreter with HF_HUB_OFFLINE=1, from the folder's parent, as a user would."""
    out, report = sample_build
    script = (
        "import json, datasets\n"
        "from agent_flan.core.schema import CONFIGS, features_for\n"
        "result = {}\n"
        "for name in CONFIGS:\n"
        "    ds = datasets.load_dataset('agent-flan', name) if name != 'default' else datasets.load_dataset('agent-flan')\n"
        "    assert ds[next(iter(ds))].features == features_for(name), name\n"
        "    result[name] = {split: ds[split].num_rows for split in ds}\n"
        "print(json.dumps(result))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(out.parent / "hf_home"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=out.parent, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = {
        name: {split: stats["rows"] for split, stats in info["splits"].items()}
        for name, info in report["configs"].items()
    }
    assert loaded == expected


def test_same_seed_same_bytes_other_seed_other_sample(tmp_path, sample_build):
    first, _ = sample_build
    second = tmp_path / "again"
    build(second, {}, progress=False)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    other = tmp_path / "seed1"
    from agent_flan.dataset_builder.recipe import BuildRecipe

    build(other, {}, recipe=BuildRecipe(seed=1), progress=False)
    assert (other / "data/default/train-00000-of-00001.parquet").read_bytes() != (
        first / "data/default/train-00000-of-00001.parquet"
    ).read_bytes()


def _bad_agentinstruct(tmp_path: Path) -> Path:
    good = {
        "conversations": [
            {"from": "human", "loss": None, "value": "q"},
            {"from": "gpt", "loss": True, "value": "Think: list.\n\nAct: answer(3)"},
        ],
        "id": "os_1",
    }
    path = tmp_path / "ai.jsonl"
    write_jsonl(path, [good])
    with path.open("a") as handle:
        handle.write('{"conversations": [{"from": "human", "value": "cut\n')
    return path


def test_bad_input_fails_with_file_and_line(tmp_path):
    source = _bad_agentinstruct(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(BadRecordError) as info:
        build(out, {"agentinstruct": str(source)}, progress=False)
    assert f"{source}, line 2" in str(info.value) and "invalid JSON" in str(info.value)
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))


def test_skip_mode_writes_every_rejected_record(tmp_path):
    source = _bad_agentinstruct(tmp_path)
    out = tmp_path / "out"
    report = build(out, {"agentinstruct": str(source)}, on_error="skip", progress=False)
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    counts = report["sources"]["agentinstruct"]
    assert counts == {"read": 2, "written": 1, "rejected": 1, "rejected_by_reason": {"malformed": 1}}
    malformed = [r for r in rejected if r["source"] == "agentinstruct"]
    assert malformed[0]["line"] == 2 and "invalid JSON" in malformed[0]["reason"]
    total_rejected = sum(c["rejected"] for c in report["sources"].values())
    assert len(rejected) == total_rejected


def test_only_given_leaves_out_configs_it_cannot_feed(tmp_path):
    source = _bad_agentinstruct(tmp_path)
    report = build(tmp_path / "out", {"agentinstruct": str(source)}, on_error="skip", only_given=True, progress=False)
    assert set(report["configs"]) == {"default", "agent_instruct_react", "agent_instruct_tflan"}
    assert set(report["inputs"]) == {"agentinstruct"}
    assert validate_folder(tmp_path / "out") == []


def test_missing_source_path_is_a_clear_error(tmp_path):
    with pytest.raises(BadInputError, match="no such file or folder"):
        build(tmp_path / "out", {"toolbench": str(tmp_path / "nope.json")}, progress=False)


def test_hub_id_offline_fails_fast_and_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BadInputError, match="cannot reach the Hugging Face Hub"):
        build(tmp_path / "out", {"glaive": "glaiveai/glaive-function-calling-v2"}, progress=False)


def test_killed_build_leaves_no_output_folder(tmp_path):
    """SIGKILL in the middle of writing: nothing at --out, and the next build cleans the leftovers."""
    out = tmp_path / "killed"
    script = (
        "import os, signal\n"
        "from pathlib import Path\n"
        "import agent_flan.dataset_builder.writer as writer\n"
        "from agent_flan.pipeline import build_dataset as build\n"
        "def die(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "writer.MixtureBuckets.drain = die\n"
        f"build(Path({str(out)!r}), {{}}, progress=False)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, timeout=300)
    assert proc.returncode == -9
    assert not out.exists()
    assert list(tmp_path.glob(".killed.partial-*"))  # hidden, never mistaken for a dataset
    build(out, {}, progress=False)
    assert out.exists() and not list(tmp_path.glob(".killed.partial-*"))


def test_release_import_maps_every_file(tmp_path):
    report = build(
        tmp_path / "out", {}, release=str(REPO / "dataset_builder/samples/release"), only_given=True, progress=False
    )
    assert report["sources"]["release"]["rejected"] == 0
    for config in (
        "agent_instruct_react",
        "agent_instruct_tflan",
        "toolbench_react",
        "toolbench_tflan",
        "toolbench_tflan_cot",
        "toolbench_instruct",
        "toolbench_negative",
        "default",
    ):
        assert config in report["configs"], config
    assert validate_folder(tmp_path / "out") == []


def test_release_configs_come_from_the_release_alone(tmp_path):
    """`--release` without --only-given: no embedded sample is mixed into the imported configs."""
    report = build(tmp_path / "out", {}, release=str(REPO / "dataset_builder/samples/release"), progress=False)
    assert set(report["inputs"]) == {"release"}
    import pyarrow.parquet as pq

    sources = {
        row["source"]
        for path in (tmp_path / "out" / "data").rglob("*.parquet")
        for row in pq.read_table(path).to_pylist()
    }
    assert sources == {"release"}
    assert "agent_h" not in report["configs"]  # no glaive named: no benchmark invented from the samples
    with pytest.raises(BadInputError, match="--release .* cannot be combined with --toolbench"):
        build(
            tmp_path / "x",
            {"toolbench": "t.json"},
            release=str(REPO / "dataset_builder/samples/release"),
            progress=False,
        )


def test_release_with_glaive_adds_agent_h_only(tmp_path):
    report = build(
        tmp_path / "out",
        {"glaive": str(REPO / "dataset_builder/samples/glaive.jsonl")},
        release=str(REPO / "dataset_builder/samples/release"),
        progress=False,
    )
    assert "agent_h" in report["configs"]
    assert report["sources"]["glaive"]["rejected_by_reason"].get("not_used_release", 0) > 0
    assert report["negatives"]["rows"] == 0  # the release's own negatives only
