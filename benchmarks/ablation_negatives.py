r"""Do negatives make a tuned model call tools less when it should not? (Agent-FLAN Table 3, small scale.)

Arms, on the same budget (same steps, max length, batch, seed):
  base            the model as it is, no training
  no_negatives    LoRA on the `default` mixture without `toolbench_negative`
  with_negatives  LoRA on the full `default` mixture

Every arm is evaluated on the same Agent-H items with the kit's own commands (`agent-flan train`,
`agent-flan eval`, `agent-flan eval --compare`), so a second person gets the same numbers from the
same command. Writes, under --out: one folder per trained arm (runs/), results/<arm>[.<suite>].json,
the paired comparisons compare-*.md (per seed, and pooled over seeds), losses.png (per-capability
training loss), table.md and summary.json. summary.json is rewritten after every step, so a long run
can be read as it goes; its wall_s are the seconds of the run that trained an arm or generated an
evaluation's replies, and its evals say what the last run generated. BFCL and When2Call run last, for
the arms of the first seed (--suite-seeds), so they never hold up the Agent-H arms.

The run behind docs/results.md (2 CPU cores, about 2 hours):

    agent-flan build                                   # the embedded default -> ./agent-flan
    python benchmarks/ablation_negatives.py --dataset agent-flan --model smollm2 \
        --steps 27 --max-length 512 --grad-accum 4 --seeds 0 1 --threads 2 \
        --suite bfcl=48 --suite when2call=24 \
        --suite-data when2call=when2call_test_llm_judge.jsonl \
        --out results/ablation --gradient_checkpointing false

Options this script does not know (`--gradient_checkpointing false` above) go to `agent-flan train`.
The same command again (after a kill, or with more --seeds or other suite sizes) keeps the arms that
finished training and answers evaluated items from each result's reply cache.
The driver itself is tested end to end on a tiny random model (tests/test_ablation.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RECIPE = REPO / "training" / "recipes" / "smollm2-135m.yaml"
ARMS = ("base", "no_negatives", "with_negatives")
SUMMARY_KEYS = (
    "hscore",
    "h_react",
    "h_general",
    "relevance",
    "balanced",
    "h_react_keyword",
    "h_general_keyword",
    "accuracy",
)
SUITE_KEYS = {
    "bfcl": ("bfcl_irrelevance", "bfcl_live_irrelevance", "bfcl_relevance"),
    "when2call": ("when2call_f1", "when2call_acc_norm", "when2call_tool_hallucination"),
}


def run(command: list[str], log: Path) -> float:
    """Run an `agent-flan` command, its output to `log`; seconds it took. Stops the driver on failure."""
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as handle:
        proc = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} ... failed (exit {proc.returncode}); see {log}")
    return time.perf_counter() - started


def agent_flan(*args: str) -> list[str]:
    return [sys.executable, "-m", "agent_flan", *args]


def without_negatives(dataset: Path, out: Path) -> Path:
    """A dataset folder holding `default` minus the negative rows, train and validation as they are."""
    import pyarrow.parquet as pq

    for split in ("train", "validation"):
        files = sorted((dataset / "data" / "default").glob(f"{split}-*.parquet"))
        if not files:
            continue
        table = pq.read_table(files)
        keep = [fmt != "negative" for fmt in table.column("format").to_pylist()]
        target = out / "data" / "default" / f"{split}-00000-of-00001.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.filter(keep), target)
    splits = sorted(p.name.split("-")[0] for p in (out / "data" / "default").glob("*.parquet"))
    files_yaml = "".join(f"  - split: {s}\n    path: data/default/{s}-*.parquet\n" for s in splits)
    (out / "README.md").write_text(
        f"---\nconfigs:\n- config_name: default\n  data_files:\n{files_yaml}---\n"
        "The `default` mixture without `toolbench_negative` (ablation arm).\n"
    )
    return out


def train_arm(args: argparse.Namespace, dataset: Path, out: Path, seed: int, logs: Path) -> float:
    """Train one arm; an arm that finished before (metrics.json is written last) is kept, so the same
    command with more --seeds, or after a kill, trains only what is missing."""
    finished = out / "metrics.json"
    if finished.exists() and (out / "adapter_model.safetensors").exists():
        print(f"{out.name}: trained before, kept ({finished})", file=sys.stderr)
        return float(json.loads(finished.read_text()).get("train", {}).get("wall_time_s") or 0.0)
    command = agent_flan(
        "train",
        "--config",
        str(args.recipe),
        "--model_name_or_path",
        args.model,
        "--dataset_name",
        str(dataset),
        "--output_dir",
        str(out),
        "--max_steps",
        str(args.steps),
        "--max_length",
        str(args.max_length),
        "--per_device_train_batch_size",
        "1",
        "--gradient_accumulation_steps",
        str(args.grad_accum),
        "--warmup_steps",
        str(max(1, args.steps // 8)),
        "--seed",
        str(seed),
        "--save_steps",
        str(args.steps),
        "--logging_steps",
        "1",
        "--dataset_test_split",
        "",  # no eval loss: the arms are compared on Agent-H
        "--report_to",
        "none",
        "--load_in_4bit",
        str(args.load_in_4bit).lower(),
        *args.train_args,
    )
    return run(command, logs / f"train-{out.name}.log")


def eval_arm(
    args: argparse.Namespace, adapter: Path | None, out: Path, logs: Path, suite: str = "agent_h", limit: int = 0
) -> float:
    command = agent_flan(
        "eval",
        "--model",
        args.model,
        "--suite",
        suite,
        "--out",
        str(out),
        "--threads",
        str(args.threads),
        "--max-new-tokens",
        str(args.max_new_tokens),
        "--bootstrap",
        str(args.bootstrap),
        "--no-progress",
    )
    if suite == "agent_h":
        command += ["--dataset", str(args.dataset)]
    for spec in args.suite_data:
        if spec.partition("=")[0] == suite:
            command += ["--suite-data", spec]
    if adapter is not None:
        command += ["--adapter", str(adapter)]
    if limit:
        command += ["--limit", str(limit)]
    return run(command, logs / f"eval-{out.stem}.log")


def parse_suites(specs: list[str]) -> dict[str, int]:
    """`bfcl=40` -> {"bfcl": 40}; a bare name means every item."""
    suites = {}
    for spec in specs:
        name, _, limit = spec.partition("=")
        if name not in ("bfcl", "when2call"):
            raise SystemExit(f"--suite {spec}: expected bfcl or when2call, optionally =N items")
        suites[name] = int(limit or 0)
    return suites


def loss_history(run_dir: Path) -> list[dict[str, Any]]:
    states = sorted(run_dir.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    if not states:
        return []
    return [entry for entry in json.loads(states[-1].read_text())["log_history"] if "loss" in entry]


def plot_losses(histories: dict[str, list[dict[str, Any]]], path: Path) -> bool:
    """Per-capability loss curves of the trained arms (matplotlib; skipped with a note when missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('matplotlib is not installed: no loss plot (pip install -e ".[bench]")', file=sys.stderr)
        return False
    names = sorted(
        {
            key.split("/", 1)[1]
            for h in histories.values()
            for e in h
            for key in e
            if key.startswith("loss_by_capability/")
        }
    )
    if not names:
        return False
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False)
    colours = {arm: f"C{i}" for i, arm in enumerate(ARMS[1:])}  # one colour per arm in every panel
    styles = ("-", "--", ":", "-.")
    for axis, name in zip(axes.flat, names):
        for label, history in sorted(histories.items()):
            arm, _, seed = label.rpartition("-s")
            key = f"loss_by_capability/{name}"
            steps = [e["step"] for e in history if key in e]
            values = [e[key] for e in history if key in e]
            if not values:
                continue
            colour, style = colours.get(arm, "C7"), styles[int(seed or 0) % len(styles)]
            axis.plot(steps, values, ".", color=colour, alpha=0.35)
            window = [
                sum(values[max(0, i - 4) : i + 1]) / len(values[max(0, i - 4) : i + 1]) for i in range(len(values))
            ]
            axis.plot(steps, window, style, color=colour, label=label)
        axis.set_title(f"{name} turns")
        axis.set_xlabel("optimizer step")
        axis.set_ylabel("loss")
    for axis in list(axes.flat)[len(names) :]:
        axis.set_visible(False)
    legend = {}  # every arm once, whichever panel it first appears in (no negative turns without negatives)
    for axis in axes.flat:
        for handle, label in zip(*axis.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    labels = sorted(legend)
    handles = [legend[label] for label in labels]
    fig.legend(handles, labels, loc="lower center", ncol=max(1, len(labels)), fontsize=8, frameon=False)
    fig.suptitle("training loss by capability (dots: logged steps; lines: mean of the last 5)", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def pooled_difference(
    suite: str, files_a: list[Path], files_b: list[Path], resamples: int = 1000, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """B − A over all seeds at once, on the items every file shares: a cluster bootstrap (an item is
    redrawn with every seed's reply to it; `stats.paired_difference(copies=...)`), since the seeds of one
    item are not independent evidence."""
    from agent_flan.evaluation import compare, stats

    columns, formulas, stratum = compare.TOOLS[suite]()
    runs_a = [compare._by_suite(json.loads(f.read_text())).get(suite, {}) for f in files_a]
    runs_b = [compare._by_suite(json.loads(f.read_text())).get(suite, {}) for f in files_b]
    shared = [i for i in runs_a[0] if all(i in r for r in runs_a + runs_b)]
    if not shared:
        return {}
    if len(runs_b) != len(runs_a):
        raise ValueError("pooled_difference wants one file per seed on both sides")
    cols_a = columns([run[i] for run in runs_a for i in shared])  # seed-major: row k*n + j is item j, seed k
    cols_b = columns([run[i] for run in runs_b for i in shared])
    keys = [stratum(runs_a[0][i]) for i in shared]
    table = stats.paired_difference(formulas, cols_a, cols_b, keys, resamples, seed, copies=len(runs_a))
    return {key: entry | {"items": len(shared)} for key, entry in table.items()}


def pooled_markdown(title: str, table: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"### {title}",
        "",
        "Mean over seeds; 95% cluster-bootstrap interval (items redrawn within strata, all seeds of an item"
        " together); * = the interval excludes 0.",
        "",
        "| metric | A | B | B − A | 95% CI | |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for key, e in table.items():
        ci = "–" if not e["ci95"] else f"{e['ci95'][0]:+.1f} … {e['ci95'][1]:+.1f}"
        cells = ["–" if e[k] is None else f"{e[k]:.1f}" for k in ("a", "b")]
        diff = "–" if e["diff"] is None else f"{e['diff']:+.1f}"
        lines.append(f"| {key} | {cells[0]} | {cells[1]} | {diff} | {ci} | {'*' if e['significant'] else ''} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--dataset", type=Path, default=Path("agent-flan"), help="folder written by `agent-flan build`")
    parser.add_argument("--model", default="smollm2", help="base model (default: the prepared SmolLM2)")
    parser.add_argument("--recipe", type=Path, default=RECIPE)
    parser.add_argument("--steps", type=int, default=16, help="optimizer steps per trained arm")
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--grad-accum", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--load-in-4bit", action="store_true", help="QLoRA (default: plain LoRA, faster on CPU)")
    parser.add_argument("--limit", type=int, default=0, help="evaluate on N Agent-H items (default: all)")
    parser.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME[=N]",
        help="also evaluate on bfcl / when2call (N: seeded stratified sample), after every Agent-H run",
    )
    parser.add_argument("--suite-data", action="append", default=[], metavar="SUITE=PATH", help="passed to eval")
    parser.add_argument(
        "--suite-seeds", type=int, nargs="*", default=None, help="seeds whose arms get the suites (default: the first)"
    )
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("results/ablation"))
    args, args.train_args = parser.parse_known_args(argv)  # anything else goes to `agent-flan train`
    suites = parse_suites(args.suite)
    suite_seeds = args.seeds[:1] if args.suite_seeds is None else args.suite_seeds
    out, logs = args.out, args.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    data = {"with_negatives": args.dataset, "no_negatives": without_negatives(args.dataset, out / "data-no-negatives")}
    summary: dict[str, Any] = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "hardware": hardware(),
        "arms": {},
        "wall_s": {},
        "evals": {},
    }
    earlier = (
        json.loads((out / "summary.json").read_text()).get("wall_s", {}) if (out / "summary.json").exists() else {}
    )
    histories: dict[str, list[dict[str, Any]]] = {}
    results = out / "results"
    results.mkdir(exist_ok=True)

    def record() -> None:  # after every step, so a long run can be read while it goes
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    def evaluate(name: str, adapter: Path | None, suite: str = "agent_h", limit: int = 0) -> None:
        stem = name if suite == "agent_h" else f"{name}.{suite}"
        result = results / f"{stem}.json"
        seconds = eval_arm(args, adapter, result, logs, suite, limit or args.limit)
        written = json.loads(result.read_text())
        scores, run_info = written["summary"], written.get("run", {})
        counts = {k: run_info.get(k) or 0 for k in ("cached", "generated")}
        summary["evals"][stem] = {"items": run_info.get("items") or sum(counts.values()), **counts}
        # a rerun answered from the reply cache keeps the seconds of the run that generated the replies
        cached_only = run_info.get("generated") == 0 and f"eval:{stem}" in earlier
        summary["wall_s"][f"eval:{stem}"] = earlier[f"eval:{stem}"] if cached_only else seconds
        summary["arms"].setdefault(name, {}).update(
            {k: v for k, v in scores.items() if k not in ("ci95", "suites")},
        )
        summary["arms"][name].setdefault("ci95", {}).update(scores.get("ci95") or {})
        record()

    def compare(a: str, b: str, suite: str = "agent_h") -> None:
        tail = "" if suite == "agent_h" else f".{suite}"
        command = agent_flan("eval", "--compare", str(results / f"{a}{tail}.json"), str(results / f"{b}{tail}.json"))
        proc = subprocess.run(command, capture_output=True, text=True)
        (out / f"compare-{a}-vs-{b}{tail}.md").write_text(proc.stdout + proc.stderr)

    def pooled(a: str, b: str, suite: str, seeds: list[int]) -> None:
        tail = "" if suite == "agent_h" else f".{suite}"

        def file(arm: str, seed: int) -> Path:
            return results / (f"base{tail}.json" if arm == "base" else f"{arm}-s{seed}{tail}.json")

        table = pooled_difference(suite, [file(a, s) for s in seeds], [file(b, s) for s in seeds], args.bootstrap)
        summary.setdefault("pooled", {})[f"{a}-vs-{b}{tail}"] = table
        title = f"{suite}: {b} − {a}, seeds {', '.join(map(str, seeds))}"
        (out / f"compare-pooled-{a}-vs-{b}{tail}.md").write_text(pooled_markdown(title, table))
        record()

    evaluate("base", None)
    for seed in args.seeds:
        for arm in ("no_negatives", "with_negatives"):
            name = f"{arm}-s{seed}"
            run_dir = out / "runs" / name
            summary["wall_s"][f"train:{name}"] = train_arm(args, data[arm], run_dir, seed, logs)
            histories[name] = loss_history(run_dir)
            evaluate(name, run_dir)
        compare(f"no_negatives-s{seed}", f"with_negatives-s{seed}")
        compare("base", f"with_negatives-s{seed}")
        summary["plot"] = plot_losses(histories, out / "losses.png")
        record()
    if len(args.seeds) > 1:
        pooled("no_negatives", "with_negatives", "agent_h", args.seeds)
        pooled("base", "with_negatives", "agent_h", args.seeds)
    for suite, limit in suites.items():  # last: the slow suites never hold up the Agent-H arms
        evaluate("base", None, suite, limit)
        for seed in suite_seeds:
            for arm in ("no_negatives", "with_negatives"):
                evaluate(f"{arm}-s{seed}", out / "runs" / f"{arm}-s{seed}", suite, limit)
            compare(f"no_negatives-s{seed}", f"with_negatives-s{seed}", suite)
            compare("base", f"with_negatives-s{seed}", suite)
        if len(suite_seeds) > 1:
            pooled("no_negatives", "with_negatives", suite, suite_seeds)
            pooled("base", "with_negatives", suite, suite_seeds)
    record()
    lines: list[str] = []
    for title, keys in [("agent_h", SUMMARY_KEYS), *((suite, SUITE_KEYS[suite]) for suite in suites)]:
        arms = [name for name, values in summary["arms"].items() if any(k in values for k in keys)]
        lines += [f"{title}:", "", "| arm | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for name in arms:
            values, cells = summary["arms"][name], []
            for key in keys:
                value, ci = values.get(key), (values.get("ci95") or {}).get(key)
                cells.append("—" if value is None else f"{value:.1f}" + (f" [{ci[0]:.1f}–{ci[1]:.1f}]" if ci else ""))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    (out / "table.md").write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {out}")
    return 0


def hardware() -> dict[str, Any]:
    import os
    import platform

    import torch

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


if __name__ == "__main__":
    raise SystemExit(main())
