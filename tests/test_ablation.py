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
    proc = subprocess.run(
        [
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
            "--out",
            str(out),
            "--chat_template_path",
            "chatml",
            "--gradient_checkpointing",
            "false",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["arms"]) == {"base", "no_negatives-s0", "with_negatives-s0"}
    for values in summary["arms"].values():
        assert "hscore" in values and "balanced" in values
    assert (out / "compare-no_negatives-vs-with_negatives-s0.md").read_text().strip()
    import pyarrow.parquet as pq

    trimmed = pq.read_table(next((out / "data-no-negatives" / "data" / "default").glob("train-*.parquet")))
    assert "negative" not in trimmed.column("format").to_pylist() and trimmed.num_rows > 0
    assert "| with_negatives-s0 |" in proc.stdout
