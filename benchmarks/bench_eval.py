"""Eval throughput: the batched local runner vs one-at-a-time generation, same model, same run.

Loads the model once, takes the first `--limit` agent_h items of the embedded-sample build,
and answers them with each `--batch-sizes` value in turn (batch size 1 = one at a time),
greedy, with `--max-new-tokens`.  One untimed warm-up item first.  Reports items/s, new
tokens/s (replies re-tokenised) and whether the replies equal the one-at-a-time ones.

    python benchmarks/bench_eval.py --model smollm2 --limit 16 --max-new-tokens 48 --threads 1
    python benchmarks/bench_eval.py --tiny              # random 2-layer Llama, seconds, no model needed
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2", help="model folder, Hub id or `smollm2` (default)")
    parser.add_argument("--tiny", action="store_true", help="use a tiny random Llama built on the spot instead")
    parser.add_argument("--dataset", help="dataset folder with agent_h (default: build the embedded samples)")
    parser.add_argument("--limit", type=int, default=16, help="items (default 16)")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8], help="default: 1 8")
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from agent_flan.core.runners import GenerationSettings
    from agent_flan.core.runners.local import LocalModelConfig, LocalRunner
    from agent_flan.evaluation.items import load_items
    from agent_flan.evaluation.pipeline import build_requests

    tmp = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    dataset = args.dataset
    if not dataset:
        from agent_flan.pipeline import build_dataset as build

        dataset = str(tmp / "agent-flan")
        build(Path(dataset), {}, progress=False)
    model = args.model
    if args.tiny:
        from support.tiny_eval import build_tiny_llama

        model = str(build_tiny_llama(tmp / "tiny-llama"))
    items = load_items(dataset, args.limit)
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    started = time.perf_counter()
    runner = LocalRunner.load(LocalModelConfig(model, device=args.device), settings, threads=args.threads)
    load_s = time.perf_counter() - started
    requests = build_requests(items, runner.model_key, settings)
    runner.batch_size = 1
    runner.generate(requests[:1], lambda request, reply: None)  # warm-up: first-call allocations

    rows, reference = [], None
    for batch_size in args.batch_sizes:
        runner.batch_size = batch_size
        replies: dict[str, str] = {}
        t0 = time.perf_counter()
        runner.generate(requests, lambda request, reply, into=replies: into.__setitem__(request.item_id, reply))
        seconds = time.perf_counter() - t0
        tokens = sum(len(runner.tokenizer(text, add_special_tokens=False)["input_ids"]) for text in replies.values())
        if reference is None:
            reference = replies
        same = sum(replies[k] == reference[k] for k in reference)
        rows.append((batch_size, seconds, len(replies) / seconds, tokens / seconds, same))

    base = rows[0][2]
    info = runner.describe()
    print(
        f"model: {'tiny random Llama' if args.tiny else args.model} ({info['dtype']}, {info['device']}, "
        f"{info['threads']} threads; loaded in {load_s:.1f} s); items: {len(items)} agent_h (embedded sample); "
        f"greedy, max {args.max_new_tokens} new tokens"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print()
    print(
        f"| runner | batch size | seconds | items/s | new tokens/s | speed-up | replies equal to batch {rows[0][0]} |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for batch_size, seconds, ips, tps, same in rows:
        label = "one at a time" if batch_size == 1 else "batched, left-padded"
        print(
            f"| {label} | {batch_size} | {seconds:.1f} | {ips:.2f} | {tps:.1f} | {ips / base:.2f}x | "
            f"{same}/{len(items)} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
