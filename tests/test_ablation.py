"""The negatives ablation driver runs end to end (tiny random model, two steps, four Agent-H items), so
it cannot rot; no outcome is asserted: a random 2-layer model says nothing about negatives."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.slow
def test_ablation_driver_end_to_end(tmp_path, sample_build):
    from support.tiny_training import build_tiny_llama

    folder, _ = sample_build
    model = build_tiny_llama(tmp_path / "tiny")
    out = tmp_path / "ablation"
    command = [
        sys.executable,
        str(REPO / "benchmarks" / "ablation_negatives.py"),
        "--dataset",
        str(folder),
        "--model",
        str(model),
        "--steps",
        "2",
        "--max-length",
        "256",
        "--grad-accum",
        "1",
        "--limit",
        "4",
        "--max-new-tokens",
        "4",
        "--bootstrap",
        "20",
        "--suite",
        "bfcl=3",
        "--suite-data",
        f"bfcl={REPO / 'tests' / 'data' / 'bfcl_v4_sample'}",
        "--out",
        str(out),
        "--chat_template_path",
        "chatml",
        "--gradient_checkpointing",
        "false",
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["arms"]) == {"base", "no_negatives-s0", "with_negatives-s0"}
    for values in summary["arms"].values():
        assert "hscore" in values and "balanced" in values
        assert "bfcl_irrelevance" in values  # the suite ran for every arm of seed 0 (When2Call goes the same way)
    assert {"eval:base.bfcl", "eval:with_negatives-s0.bfcl", "train:no_negatives-s0"} <= set(summary["wall_s"])
    assert summary["hardware"]["cores"] >= 1
    for suite in ("", ".bfcl"):
        assert (out / f"compare-base-vs-with_negatives-s0{suite}.md").read_text().strip()
    assert (out / "compare-no_negatives-s0-vs-with_negatives-s0.md").read_text().strip()
    import pyarrow.parquet as pq

    trimmed = pq.read_table(next((out / "data-no-negatives" / "data" / "default").glob("train-*.parquet")))
    assert "negative" not in trimmed.column("format").to_pylist() and trimmed.num_rows > 0
    assert "| with_negatives-s0 |" in proc.stdout and "| base |" in (out / "table.md").read_text()

    # the same command again (without the suite, to keep the test short) keeps the trained arms and
    # answers from the reply caches
    suite_args = command.index("--suite")
    again = subprocess.run(
        command[:suite_args] + command[suite_args + 4 :], capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert again.stderr.count("trained before, kept") == 2
    rerun = json.loads((out / "summary.json").read_text())
    assert all(e["generated"] == 0 and e["cached"] == e["items"] for e in rerun["evals"].values())

    def agent_h_only(values: dict) -> dict:
        kept = {k: v for k, v in values.items() if not k.startswith("bfcl")}
        kept["ci95"] = {k: v for k, v in values["ci95"].items() if not k.startswith("bfcl")}
        return kept

    assert rerun["arms"] == {arm: agent_h_only(values) for arm, values in summary["arms"].items()}

    # one seed pooled is exactly `eval --compare`'s paired bootstrap (same strata, same draws)
    sys.path.insert(0, str(REPO / "benchmarks"))
    from ablation_negatives import pooled_difference

    from agent_flan.evaluation import compare

    res = out / "results"
    for suite, tail in (("agent_h", ""), ("bfcl", ".bfcl")):
        a, b = res / f"no_negatives-s0{tail}.json", res / f"with_negatives-s0{tail}.json"
        pooled = pooled_difference(suite, [a], [b], resamples=20, seed=0)
        paired = compare.paired(json.loads(a.read_text()), json.loads(b.read_text()), resamples=20, seed=0)
        for key, entry in paired[suite]["metrics"].items():
            assert (pooled[key]["diff"], pooled[key]["ci95"]) == (entry["diff"], entry["ci95"]), (suite, key)
        # two identical "seeds": the cluster bootstrap keeps an item's copies together, so nothing changes
        twice = pooled_difference(suite, [a, a], [b, b], resamples=20, seed=0)
        assert {k: (e["diff"], e["ci95"]) for k, e in twice.items()} == {
            k: (e["diff"], e["ci95"]) for k, e in pooled.items()
        }
