"""Build throughput and peak memory: `agent-flan build` vs `datasets.load_dataset("json") + to_parquet`.

Makes synthetic ToolBench (training-conversation layout, one JSON array) and AgentInstruct (JSONL)
sources by repeating the embedded samples with fresh ids, at several scales, and runs every method on
the same files, in the same session, interleaved, `--repeats` times; each run is its own process, so
its peak RSS is its own:

- builder:  `agent_flan.pipeline.build_dataset(out, {...}, only_given=True)`, what `agent-flan build
  --toolbench F --agentinstruct F --only-given` runs: streaming readers, every Agent-FLAN transform,
  validation, the shuffled mixture, Parquet, statistics and the card;
- datasets: what a user of the library runs to turn the same files into Parquet, at its best settings:
  `load_dataset("json", data_files=F, split="train", cache_dir=fresh)` + `Dataset.to_parquet`, one call
  per source (the two layouts differ: only ToolBench turns lack `loss`);
- datasets, num_proc=N: one `load_dataset` over both files with `num_proc=N` and the features given
  (so the two schemas unify), then `to_parquet`. `num_proc` parallelises over files, and there are two.

The peer gets a fresh, empty cache directory per run (a warm cache would skip the work) and pyarrow's
threads; the builder runs on one core. Seconds are the work inside the process after its imports
(process wall time, imports included, is printed too); MB/s and records/s count the input.

The two do not do the same work: the peer converts records to Parquet as they are; the builder parses
every ReAct/ToolBench step, merges ToolBench's step-prefix records into trajectories, aligns them to
chat, decomposes capabilities, renders formats, validates every row and writes several configs. So
each line says what it produced (configs, rows, output MB) next to its throughput.

    python benchmarks/bench_build.py --scales 50 200 --repeats 3
    python benchmarks/bench_build.py --scales 800 --repeats 3 --json build.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
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


# Each child prints one JSON line: work seconds, peak RSS of itself and of its largest child process (the
# num_proc workers), and what it wrote.
_FINISH = """
import resource
files = [p for p in out.rglob("*") if p.is_file() and p.suffix == ".parquet"]
print(json.dumps({"seconds": seconds, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "children_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "rows": rows, "configs": configs, "parquet_files": len(files),
                  "out_bytes": sum(p.stat().st_size for p in files)}))
"""
BUILDER = (
    """
import json, sys, time
from pathlib import Path
from agent_flan.pipeline import build_dataset
out = Path(sys.argv[1])
started = time.perf_counter()
report = build_dataset(out, {"toolbench": sys.argv[2], "agentinstruct": sys.argv[3]}, only_given=True, progress=False)
seconds = time.perf_counter() - started
rows = sum(s["rows"] for c in report["configs"].values() for s in c["splits"].values())
configs = len(report["configs"])
"""
    + _FINISH
)
PEER = (
    """
import json, sys, time
from pathlib import Path
import datasets
from datasets import load_dataset
datasets.disable_progress_bars()
out, cache = Path(sys.argv[1]), sys.argv[1] + "-cache"
out.mkdir(parents=True)
started = time.perf_counter()
rows = 0
for name, path in (("toolbench", sys.argv[2]), ("agentinstruct", sys.argv[3])):
    ds = load_dataset("json", data_files=path, split="train", cache_dir=cache)
    ds.to_parquet(str(out / f"{name}.parquet"))
    rows += len(ds)
seconds = time.perf_counter() - started
configs = 2
"""
    + _FINISH
)
PEER_NUM_PROC = (
    """
import json, sys, time
from pathlib import Path
import datasets
from datasets import Features, List, Value, load_dataset
datasets.disable_progress_bars()
out, cache = Path(sys.argv[1]), sys.argv[1] + "-cache"
out.mkdir(parents=True)
features = Features({"id": Value("string"),
                     "conversations": List({"from": Value("string"), "value": Value("string"), "loss": Value("bool")})})
started = time.perf_counter()
ds = load_dataset("json", data_files=[sys.argv[2], sys.argv[3]], split="train", cache_dir=cache,
                  features=features, num_proc=int(sys.argv[4]))
ds.to_parquet(str(out / "train.parquet"))
rows = len(ds)
seconds = time.perf_counter() - started
configs = 1
"""
    + _FINISH
)


def run(name: str, script: str, out: Path, tb: Path, ai: Path, *extra: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(out) + "-hf-cache"}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", script, str(out), str(tb), str(ai), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[50, 200], help="multiples of the embedded samples")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each method per scale (default 3)")
    parser.add_argument("--num-proc", type=int, default=min(2, os.cpu_count() or 1), help="the peer's num_proc")
    parser.add_argument("--json", type=Path, help="also write every run here")
    args = parser.parse_args(argv)

    methods = [
        ("builder", BUILDER, ()),
        ("datasets", PEER, ()),
        (f"datasets np={args.num_proc}", PEER_NUM_PROC, (str(args.num_proc),)),
    ]
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
        f"{args.repeats} repeats per method, interleaved; seconds = work after imports (median, min)"
    )
    header = (
        f"{'scale':>5} {'src MB':>7} {'records':>7} | {'method':<14} {'median s':>8} {'min s':>6} {'process s':>9} "
        f"{'MB/s':>6} {'rec/s':>6} {'vs best peer':>12} {'peak RSS MB':>11} | {'configs':>7} {'rows':>7} {'out MB':>6}"
    )
    print(header)
    report: list[dict] = []
    for scale in args.scales:
        with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
            folder = Path(tmp)
            tb, ai, records = make_sources(folder, scale)
            megabytes = (tb.stat().st_size + ai.stat().st_size) / 1e6
            runs: dict[str, list[dict]] = {name: [] for name, _, _ in methods}
            for repeat in range(args.repeats):
                for name, script, extra in methods:
                    out = folder / f"out-{name.replace(' ', '-').replace('=', '')}-{repeat}"
                    runs[name].append(run(name, script, out, tb, ai, *extra))
            medians = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
            best_peer = min(v for k, v in medians.items() if k != "builder")
            for name, rs in runs.items():
                median, last = medians[name], rs[-1]
                peak = max(max(r["rss_kb"], r["children_rss_kb"]) for r in rs) / 1024
                row = {
                    "scale": scale,
                    "source_mb": megabytes,
                    "records": records,
                    "method": name,
                    "seconds_median": median,
                    "seconds_min": min(r["seconds"] for r in rs),
                    "process_seconds_median": statistics.median(r["wall"] for r in rs),
                    "mb_per_s": megabytes / median,
                    "records_per_s": records / median,
                    "time_vs_best_peer": median / best_peer,
                    "peak_rss_mb": peak,
                    "configs": last["configs"],
                    "rows": last["rows"],
                    "out_mb": last["out_bytes"] / 1e6,
                    "runs": rs,
                }
                report.append(row)
                print(
                    f"{scale:>5} {megabytes:>7.1f} {records:>7} | {name:<14} {median:>8.2f} {row['seconds_min']:>6.2f} "
                    f"{row['process_seconds_median']:>9.2f} {row['mb_per_s']:>6.2f} {row['records_per_s']:>6.0f} "
                    f"{row['time_vs_best_peer']:>11.2f}x {peak:>11.0f} | {row['configs']:>7} {row['rows']:>7} "
                    f"{row['out_mb']:>6.1f}"
                )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
