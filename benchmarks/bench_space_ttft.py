"""Time to first streamed token in the Space, on CPU, with SmolLM2-135M-Instruct (or any --model).

Two views of the same number:
- engine: from `TransformersEngine.stream()` being called to its first non-empty text, per pane
  (the three prompts differ in length: relevant tools, no tools, irrelevant tools);
- app: from `gradio_client` submitting `/compare` to the first update whose pane ① holds streamed
  text (queue, SSE and rendering included: what a user waits for).
Also reported: model load time and greedy decode speed after the first token.

    python benchmarks/bench_space_ttft.py                      # smollm2, 5 repeats
    python benchmarks/bench_space_ttft.py --repeats 10 --threads 2 --json ttft.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

QUERY = "What's the weather like in Seattle, WA right now?"


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "p90": ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))],
    }


def engine_ttft(engine, repeats: int, max_new_tokens: int) -> dict[str, dict]:
    """First-token latency and decode speed per pane, calling the engine directly."""
    from agent_flan.space.panes import PANES, check_request, pane_messages
    from agent_flan.space.presets import TOOL_PRESETS
    from agent_flan.space.tool_schema import tools_to_json

    request = check_request(
        QUERY,
        tools_to_json(TOOL_PRESETS["Weather"]),
        tools_to_json(TOOL_PRESETS["Password and BMI"]),
        True,
        "base",
        "general",
        max_new_tokens,
        "",
        [v.value for v in engine.variants],
    )
    results: dict[str, dict] = {}
    for pane in PANES:
        messages = pane_messages(request, pane.key)
        prompt_tokens = int(
            engine.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)[
                "input_ids"
            ].__len__()
        )
        list(engine.stream(messages, "base", 4))  # warm-up
        firsts, speeds = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            first, text = None, ""
            for text in engine.stream(messages, "base", max_new_tokens):
                if first is None and text.strip():
                    first = time.perf_counter() - started
            total = time.perf_counter() - started
            tokens = len(engine.tokenizer(text, add_special_tokens=False)["input_ids"])
            firsts.append(first if first is not None else total)
            if tokens > 1 and total > firsts[-1]:
                speeds.append((tokens - 1) / (total - firsts[-1]))
        results[pane.key] = {
            "prompt_tokens": prompt_tokens,
            "ttft_s": _summary(firsts),
            "decode_tok_per_s": _summary(speeds) if speeds else None,
        }
    return results


def app_ttft(engine, repeats: int, max_new_tokens: int) -> dict:
    """First streamed update of pane ① as a gradio_client user sees it."""
    from gradio_client import Client
    from support.space_fakes import serving

    from agent_flan.space.settings import Settings

    firsts, totals = [], []
    with serving(engine, Settings(max_new_tokens=max_new_tokens)) as url:
        client = Client(url, verbose=False)
        for attempt in range(repeats + 1):
            started = time.perf_counter()
            job = client.submit(QUERY, max_new_tokens=max_new_tokens, api_name="/compare")
            first = None
            for update in job:
                pane = update[0]
                if first is None and pane and len(pane) > 1 and _text(pane[-1]).strip(" ▌"):
                    first = time.perf_counter() - started
            job.result()
            if attempt:  # the first run warms the server up
                firsts.append(first if first is not None else time.perf_counter() - started)
                totals.append(time.perf_counter() - started)
    return {"ttft_s": _summary(firsts), "three_panes_s": _summary(totals)}


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2", help="folder, Hub id or `smollm2` (default)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from agent_flan.space.engine import TransformersEngine
    from agent_flan.space.settings import resolve_model_path

    path = resolve_model_path(args.model)
    started = time.perf_counter()
    engine = TransformersEngine(path, device="cpu")
    load_s = time.perf_counter() - started
    report = {
        "model": args.model,
        "path": path,
        "device": "cpu",
        "dtype": str(engine.model.dtype),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_avg_before": os.getloadavg(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "max_new_tokens": args.max_new_tokens,
        "repeats": args.repeats,
        "load_s": load_s,
        "engine": engine_ttft(engine, args.repeats, args.max_new_tokens),
        "app": app_ttft(engine, args.repeats, args.max_new_tokens),
        "load_avg_after": os.getloadavg(),
    }
    print(
        f"model {args.model} ({report['dtype']}, {report['torch_threads']} torch threads, "
        f"{report['cpu_count']} CPUs, load avg {report['load_avg_before'][0]:.1f}); load {load_s:.1f} s"
    )
    print(f"{'pane':<12}{'prompt tok':>11}{'TTFT median':>13}{'min':>8}{'max':>8}{'decode tok/s':>14}")
    for key, row in report["engine"].items():
        speed = row["decode_tok_per_s"]["median"] if row["decode_tok_per_s"] else float("nan")
        print(
            f"{key:<12}{row['prompt_tokens']:>11}{row['ttft_s']['median']:>12.3f}s"
            f"{row['ttft_s']['min']:>7.3f}s{row['ttft_s']['max']:>7.3f}s{speed:>14.1f}"
        )
    app = report["app"]
    print(
        f"app (/compare via gradio_client): TTFT median {app['ttft_s']['median']:.3f} s "
        f"(min {app['ttft_s']['min']:.3f}, max {app['ttft_s']['max']:.3f}); all three panes "
        f"{app['three_panes_s']['median']:.1f} s median at {args.max_new_tokens} new tokens each"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
