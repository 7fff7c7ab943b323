"""Load on the Space: N users each submit one `/compare` at the same moment, through `gradio_client`.

Each simulated user has its own `gradio_client.Client` (its own session, as separate browsers would), all
created before the clock starts; a barrier releases their submits together. Per request it records:
- wait: submit -> first streamed update (the job left Gradio's queue and started generating);
- latency: submit -> final result (all three panes done);
- outcome: ok, rejected (gradio_client.QueueError: the queue was full) or error.
It prints success count, rejections, p50/p95 of wait and latency, and throughput, for each N.

The app is the real one (space.ui.build_app via space.testing.serving, the launch path the CLI and the
Space use) with the queue settings under test. The engine is the scripted stand-in (no model: what the
app, queue and streaming cost by themselves, or a model-like pace with --delay) or a real model.

    python benchmarks/bench_space_load.py --engine scripted --users 20 50
    python benchmarks/bench_space_load.py --engine scripted --users 50 --queue-size 16
    python benchmarks/bench_space_load.py --engine smollm2 --users 20 50 --max-new-tokens 32 --threads 1
    python benchmarks/bench_space_load.py --engine smollm2 --users 20 --concurrency 2 --json load.json
    python benchmarks/bench_space_load.py --engine ORG/model --device cuda --users 20 50   # a GPU machine
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

QUERY = "Question {i}: what's the weather like in Seattle, WA right now?"


def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def run_load(url: str, users: int, max_new_tokens: int, timeout: float) -> dict:
    """`users` clients submit one comparison each at once; per-request wait, latency and outcome."""
    from gradio_client import Client
    from gradio_client.utils import QueueError, Status

    STARTED = {Status.PROCESSING, Status.ITERATING, Status.PROGRESS, Status.FINISHED}

    from agent_flan.space.presets import TOOL_PRESETS
    from agent_flan.space.tool_schema import tools_to_json

    tools, irrelevant = tools_to_json(TOOL_PRESETS["Weather"]), tools_to_json(TOOL_PRESETS["Password and BMI"])
    clients = [Client(url, verbose=False) for _ in range(users)]
    barrier = threading.Barrier(users + 1)
    rows: list[dict] = [{} for _ in range(users)]

    def user(i: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        row = rows[i]
        try:
            job = clients[i].submit(
                QUERY.format(i=i), tools, irrelevant, True, "base", "general", max_new_tokens, "", api_name="/compare"
            )
            # poll rather than iterate: a job the queue turns away never reaches FINISHED, and iterating
            # it would block for ever (gradio_client 2.7)
            while not job.done():
                if "wait_s" not in row and job.status().code in STARTED:
                    row["wait_s"] = time.perf_counter() - started
                time.sleep(0.02)
            result = job.result(timeout=timeout)
            row.setdefault("wait_s", time.perf_counter() - started)
            status = result[7]
            row["outcome"] = "ok" if status.startswith("Done") else f"refused: {status[:80]}"
        except QueueError:
            row["outcome"] = "rejected"
        except Exception as exc:  # noqa: BLE001 (a load test counts every failure)
            row["outcome"] = f"error: {type(exc).__name__}: {str(exc)[:120]}"
        row["latency_s"] = time.perf_counter() - started

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout + 60)
    wall = time.perf_counter() - started
    ok = [r for r in rows if r.get("outcome") == "ok"]
    latencies = [r["latency_s"] for r in ok]
    waits = [r["wait_s"] for r in ok if "wait_s" in r]
    errors = sorted({r.get("outcome", "no answer") for r in rows} - {"ok", "rejected"})
    return {
        "users": users,
        "ok": len(ok),
        "rejected": sum(r.get("outcome") == "rejected" for r in rows),
        "errors": len(rows) - len(ok) - sum(r.get("outcome") == "rejected" for r in rows),
        "error_kinds": errors,
        "wall_s": wall,
        "comparisons_per_min": 60 * len(ok) / wall if wall else None,
        "latency_p50_s": _percentile(latencies, 50),
        "latency_p95_s": _percentile(latencies, 95),
        "latency_max_s": max(latencies, default=None),
        "wait_p50_s": _percentile(waits, 50),
        "wait_p95_s": _percentile(waits, 95),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--engine", default="scripted", help="`scripted` (the stand-in), or a model: `smollm2`, a folder or a Hub id"
    )
    parser.add_argument("--users", type=int, nargs="+", default=[20, 50], help="concurrent users (default 20 50)")
    parser.add_argument("--concurrency", type=int, help="comparisons at once (default: the app's, 1 on CPU)")
    parser.add_argument("--queue-size", type=int, help="waiting requests before rejection (default: the app's)")
    parser.add_argument("--max-new-tokens", type=int, default=32, help="per pane (default 32)")
    parser.add_argument("--delay", type=float, default=0.0, help="scripted engine: seconds per streamed word")
    parser.add_argument("--device", default="cpu", help="model device: cpu (default) or cuda")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads for a model (default: torch's choice)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one request may take (default 1800)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    from support.space_fakes import serving

    from agent_flan.space.settings import Settings

    settings = Settings.from_env(
        {}, concurrency=args.concurrency, queue_size=args.queue_size, max_new_tokens=args.max_new_tokens
    )
    if args.engine == "scripted":
        from agent_flan.space.engine import ScriptedEngine

        engine, described = ScriptedEngine(delay=args.delay), f"scripted stand-in, {args.delay:g} s per word"
    else:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        from agent_flan.space.engine import TransformersEngine
        from agent_flan.space.settings import resolve_model_path

        engine = TransformersEngine(resolve_model_path(args.engine), device=args.device)
        described = f"{args.engine} on {args.device}, {torch.get_num_threads()} torch threads"
    from agent_flan.space.ui import resolved_limits

    concurrency, queue_size = resolved_limits(engine, settings)
    report = {
        "engine": described,
        "concurrency": concurrency,
        "queue_size": queue_size,
        "max_new_tokens": args.max_new_tokens,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg_before": os.getloadavg(),
        "runs": [],
    }
    print(
        f"{described}; concurrency {concurrency}, queue {queue_size}, {args.max_new_tokens} new tokens per pane; "
        f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'users':>5} {'ok':>4} {'rejected':>8} {'errors':>6} {'p50 s':>8} {'p95 s':>8} {'max s':>8} "
        f"{'wait p50':>9} {'wait p95':>9} {'per min':>8} {'wall s':>8}"
    )

    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    with serving(engine, settings) as url:
        run_load(url, 1, args.max_new_tokens, args.timeout)  # warm-up: first request pays for imports
        for users in args.users:
            row = run_load(url, users, args.max_new_tokens, args.timeout)
            report["runs"].append(row)
            print(
                f"{users:>5} {row['ok']:>4} {row['rejected']:>8} {row['errors']:>6} {cell(row['latency_p50_s']):>8} "
                f"{cell(row['latency_p95_s']):>8} {cell(row['latency_max_s']):>8} {cell(row['wait_p50_s']):>9} "
                f"{cell(row['wait_p95_s']):>9} {cell(row['comparisons_per_min']):>8} {row['wall_s']:>8.1f}"
            )
            for kind in row["error_kinds"]:
                print(f"      {kind}")
    report["load_avg_after"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
