"""Build throughput and peak memory: `agent-flan build` vs a naive load-everything baseline.

Makes synthetic ToolBench (training-conversation layout, one JSON array) and AgentInstruct
(JSONL) sources by repeating the embedded samples with fresh ids, at several scales, and
runs in the same session, each in its own process so peak RSS is its own:

- builder:  `build(out, {...}, only_given=True)` (streaming readers, Parquet row groups);
- baseline: `json.load` of each whole file + `Dataset.from_list` + `to_parquet`.

    python benchmarks/bench_build.py --scales 50 200
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "dataset_builder" / "samples"


def make_sources(folder: Path, scale: int) -> tuple[Path, Path, int]:
    """Write ToolBench and AgentInstruct sources `scale` times the embedded samples; return paths and records."""
    toolbench = json.loads((SAMPLES / "toolbench" / "toolllama_G123_dfs_sample.json").read_text(encoding="utf-8"))
    agentinstruct = [
        json.loads(line) for line in (SAMPLES / "agentinstruct.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    tb_path, ai_path = folder / "toolbench.json", folder / "agentinstruct.jsonl"
    records = 0
    with tb_path.open("w", encoding="utf-8") as handle:
        handle.write("[\n")
        first = True
        for copy in range(scale):
            for record in toolbench:
                step, _, query = record["id"].partition(": ")
                clone = {
                    "id": f"{step}: {query} (copy {copy})",
                    "conversations": [dict(t) for t in record["conversations"]],
                }
                for turn in clone["conversations"]:
                    if turn["from"] == "user" and query in turn["value"]:
                        turn["value"] = turn["value"].replace(query, f"{query} (copy {copy})", 1)
                handle.write(("" if first else ",\n") + json.dumps(clone, ensure_ascii=False))
                first = False
                records += 1
        handle.write("\n]\n")
    with ai_path.open("w", encoding="utf-8") as handle:
        for copy in range(scale):
            for record in agentinstruct:
                handle.write(json.dumps({**record, "id": f"{record['id']}{copy:05d}"}, ensure_ascii=False) + "\n")
                records += 1
    return tb_path, ai_path, records


BUILDER = """
import sys, resource
from pathlib import Path
from agent_flan.pipeline import build_dataset as build
build(Path(sys.argv[1]), {"toolbench": sys.argv[2], "agentinstruct": sys.argv[3]}, only_given=True, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
BASELINE = """
import sys, json, resource
from datasets import Dataset
rows = json.load(open(sys.argv[2], encoding="utf-8"))
rows += [json.loads(line) for line in open(sys.argv[3], encoding="utf-8")]
for row in rows:
    row["conversations"] = json.dumps(row.get("conversations"))  # one schema for both layouts
    row["id"] = str(row["id"])
Dataset.from_list(rows).to_parquet(sys.argv[1] + ".parquet")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(script: str, out: Path, tb: Path, ai: Path) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", script, str(out), str(tb), str(ai)], cwd=REPO, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, int(proc.stdout.strip().splitlines()[-1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[50, 200], help="multiples of the embedded samples")
    args = parser.parse_args()
    print(
        f"{'scale':>5} {'source MB':>9} {'records':>8} | {'method':<8} {'seconds':>7} {'MB/s':>6} {'rec/s':>7} {'peak RSS MB':>11}"
    )
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            tb, ai, records = make_sources(folder, scale)
            megabytes = (tb.stat().st_size + ai.stat().st_size) / 1e6
            for name, script in (("builder", BUILDER), ("baseline", BASELINE)):
                seconds, peak = run(script, folder / f"out-{name}", tb, ai)
                print(
                    f"{scale:>5} {megabytes:>9.1f} {records:>8} | {name:<8} {seconds:>7.1f} {megabytes / seconds:>6.2f} "
                    f"{records / seconds:>7.0f} {peak:>11}"
                )


if __name__ == "__main__":
    main()
