"""Time to first streamed token in the Space vs plain transformers streaming, on CPU, side by side.

Model: SmolLM2-135M-Instruct (or any --model), fp32 on CPU, greedy, the same torch threads for every
method (one process). The same three prompts (relevant tools, no tools, irrelevant tools; Agent-H system
prompt + the question) go to:

- engine: the Space's `TransformersEngine.stream()`, from the call to its first non-empty text;
- plain:  the transformers recipe a user would write without the kit and without Gradio: its own
  `AutoModelForCausalLM.from_pretrained` + `apply_chat_template(return_tensors="pt")`, `generate(**enc,
  do_sample=False, max_new_tokens=N)` in a thread feeding a `TextIteratorStreamer(skip_prompt=True,
  skip_special_tokens=True)`, from the call to the first non-empty text;
- app:    `gradio_client` submitting `/compare` to the first update whose pane 1 holds streamed text (queue,
  SSE and rendering included: what a user waits for), and until all three panes are done;
- plain, all three: the three prompts with plain transformers, at its best of two ways: one left-padded
  batched `generate` (what the app does; no streaming) and one streamed prompt after another.

Engine and plain runs alternate, `--repeats` each after one untimed warm-up per pane; the app runs
`--repeats` times after one warm-up request. Decode speed is new tokens after the first per second. Load
times follow one untimed load, so neither side pays the imports or a cold page cache.

    python benchmarks/bench_space_ttft.py --repeats 3 --max-new-tokens 16 --threads 1
    python benchmarks/bench_space_ttft.py --repeats 5 --max-new-tokens 32 --threads 2 --json ttft.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

QUERY = "What's the weather like in Seattle, WA right now?"


def _summary(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1], "n": len(ordered)}


def pane_prompts(engine, max_new_tokens: int) -> dict[str, list[dict[str, str]]]:
    """The three panes' messages exactly as the app builds them."""
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
    return {pane.key: pane_messages(request, pane.key) for pane in PANES}


class Plain:
    """Plain transformers streaming, as its documentation shows it: no kit code at all."""

    def __init__(self, path: str):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()

    def stream(self, messages: list[dict[str, str]], max_new_tokens: int):
        from transformers import TextIteratorStreamer

        enc = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_dict=True, return_tensors="pt"
        )
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        thread = threading.Thread(
            target=self.model.generate,
            kwargs={**enc, "streamer": streamer, "max_new_tokens": max_new_tokens, "do_sample": False},
        )
        thread.start()
        text = ""
        for piece in streamer:
            text += piece
            yield text
        thread.join()

    def batched(self, prompts: list[list[dict[str, str]]], max_new_tokens: int) -> list[str]:
        """All prompts in one left-padded greedy generate (no streaming)."""
        self.tokenizer.padding_side = "left"
        texts = [self.tokenizer.apply_chat_template(m, add_generation_prompt=True, tokenize=False) for m in prompts]
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        out = self.model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad)
        return self.tokenizer.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)


def timed_stream(stream, tokenizer) -> tuple[float, float | None, str]:
    """Seconds to the first non-empty text, decode tokens/s after it, the whole text."""
    started = time.perf_counter()
    first, text = None, ""
    for text in stream:
        if first is None and text.strip():
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    first = first if first is not None else total
    tokens = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    speed = (tokens - 1) / (total - first) if tokens > 1 and total > first else None
    return first, speed, text


def streams_side_by_side(engine, plain: Plain, prompts: dict, repeats: int, max_new_tokens: int) -> dict:
    results: dict[str, dict] = {}
    for key, messages in prompts.items():
        prompt_tokens = len(
            engine.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)["input_ids"]
        )
        list(engine.stream(messages, "base", 4))  # warm-up, both
        list(plain.stream(messages, 4))
        runs: dict[str, dict[str, list]] = {m: {"ttft": [], "speed": [], "text": []} for m in ("engine", "plain")}
        for _ in range(repeats):
            for method in ("engine", "plain"):  # both are generators: nothing runs before timed_stream starts
                stream = (
                    engine.stream(messages, "base", max_new_tokens)
                    if method == "engine"
                    else plain.stream(messages, max_new_tokens)
                )
                first, speed, text = timed_stream(stream, engine.tokenizer)
                runs[method]["ttft"].append(first)
                if speed:
                    runs[method]["speed"].append(speed)
                runs[method]["text"].append(text)
        results[key] = {
            "prompt_tokens": prompt_tokens,
            "same_text": runs["engine"]["text"][-1] == runs["plain"]["text"][-1],
            **{
                method: {"ttft_s": _summary(r["ttft"]), "decode_tok_per_s": _summary(r["speed"])}
                for method, r in runs.items()
            },
        }
    return results


def app_runs(engine, repeats: int, max_new_tokens: int) -> dict:
    """First streamed update of pane 1, and all three panes, as a gradio_client user sees them."""
    from gradio_client import Client
    from support.space_fakes import serving

    from agent_flan.space.settings import Settings

    firsts: list[list[float]] = [[], [], []]  # per pane: the first update holding streamed text
    totals = []
    with serving(engine, Settings(max_new_tokens=max_new_tokens)) as url:
        client = Client(url, verbose=False)
        for attempt in range(repeats + 1):
            started = time.perf_counter()
            job = client.submit(QUERY, max_new_tokens=max_new_tokens, api_name="/compare")
            first: list[float | None] = [None, None, None]
            for update in job:
                for index in range(3):
                    pane = update[index]
                    if first[index] is None and pane and len(pane) > 1 and _text(pane[-1]).strip(" ▌"):
                        first[index] = time.perf_counter() - started
            job.result()
            if attempt:  # the first run warms the server up
                done = time.perf_counter() - started
                for index in range(3):
                    firsts[index].append(first[index] if first[index] is not None else done)
                totals.append(done)
    return {
        "ttft_s": _summary(firsts[0]),
        "pane_first_text_s": [_summary(f) for f in firsts],
        "three_panes_s": _summary(totals),
    }


def plain_three(plain: Plain, prompts: dict, repeats: int, max_new_tokens: int) -> dict:
    messages = list(prompts.values())
    plain.batched(messages, 4)  # warm-up
    batched, sequential = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        plain.batched(messages, max_new_tokens)
        batched.append(time.perf_counter() - started)
        started = time.perf_counter()
        for m in messages:
            list(plain.stream(m, max_new_tokens))
        sequential.append(time.perf_counter() - started)
    return {"batched_s": _summary(batched), "sequential_streamed_s": _summary(sequential)}


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
    parser.add_argument("--threads", type=int, help="torch.set_num_threads, for every method (default: torch's)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from agent_flan.space.engine import TransformersEngine
    from agent_flan.space.settings import resolve_model_path

    path = resolve_model_path(args.model)
    load_avg_before = os.getloadavg()
    del Plain(path).model  # untimed: imports and the weights in the page cache, so neither load below pays them
    started = time.perf_counter()
    engine = TransformersEngine(path, device="cpu")
    engine_load = time.perf_counter() - started
    started = time.perf_counter()
    plain = Plain(path)
    plain_load = time.perf_counter() - started
    prompts = pane_prompts(engine, args.max_new_tokens)
    report = {
        "model": args.model,
        "path": path,
        "device": "cpu",
        "dtype": str(engine.model.dtype),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_avg_before": load_avg_before,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "max_new_tokens": args.max_new_tokens,
        "repeats": args.repeats,
        "load_s": {"engine": engine_load, "plain": plain_load},
        "panes": streams_side_by_side(engine, plain, prompts, args.repeats, args.max_new_tokens),
        "app": app_runs(engine, args.repeats, args.max_new_tokens),
        "plain_three": plain_three(plain, prompts, args.repeats, args.max_new_tokens),
        "load_avg_after": os.getloadavg(),
    }
    print(
        f"model {args.model} ({report['dtype']}, {report['torch_threads']} torch threads, {report['cpu_count']} CPUs, "
        f"load avg {load_avg_before[0]:.1f} -> {report['load_avg_after'][0]:.1f}); {args.repeats} repeats, "
        f"{args.max_new_tokens} new tokens; load: engine {engine_load:.1f} s, plain transformers {plain_load:.1f} s"
    )
    print(
        f"{'pane':<12}{'prompt tok':>11} | {'TTFT engine':>12}{'plain':>9}{'ratio':>7} | "
        f"{'decode tok/s engine':>20}{'plain':>8} | same text"
    )
    for key, row in report["panes"].items():
        e, p = row["engine"], row["plain"]
        es = e["decode_tok_per_s"]["median"] if e["decode_tok_per_s"] else float("nan")
        ps = p["decode_tok_per_s"]["median"] if p["decode_tok_per_s"] else float("nan")
        print(
            f"{key:<12}{row['prompt_tokens']:>11} | {e['ttft_s']['median']:>11.3f}s{p['ttft_s']['median']:>8.3f}s"
            f"{e['ttft_s']['median'] / p['ttft_s']['median']:>6.2f}x | {es:>20.1f}{ps:>8.1f} | {row['same_text']}"
        )
        print(
            f"{'':<12}{'':>11} | min {e['ttft_s']['min']:.3f} / {p['ttft_s']['min']:.3f} s, "
            f"max {e['ttft_s']['max']:.3f} / {p['ttft_s']['max']:.3f} s"
        )
    app, three = report["app"], report["plain_three"]
    first_pane = next(iter(report["panes"].values()))["plain"]["ttft_s"]["median"]
    best_three = min(three["batched_s"]["median"], three["sequential_streamed_s"]["median"])
    print(
        f"app (/compare via gradio_client): TTFT median {app['ttft_s']['median']:.3f} s "
        f"(min {app['ttft_s']['min']:.3f}, max {app['ttft_s']['max']:.3f}) vs plain pane 1 {first_pane:.3f} s "
        f"= {app['ttft_s']['median'] / first_pane:.2f}x"
    )
    print(
        "first text in each pane through the app (median): "
        + ", ".join(f"pane {i + 1} {t['median']:.2f} s" for i, t in enumerate(app["pane_first_text_s"]))
    )
    print(
        f"all three panes: app {app['three_panes_s']['median']:.1f} s median; plain transformers batched "
        f"{three['batched_s']['median']:.1f} s, one streamed after another {three['sequential_streamed_s']['median']:.1f} s"
        f" -> app / best plain = {app['three_panes_s']['median'] / best_three:.2f}x"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
