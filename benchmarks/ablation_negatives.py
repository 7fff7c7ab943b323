"""Do negatives make a tuned model call tools less when it should not? (Agent-FLAN Table 3, small scale.)

Arms, on the same budget (same steps, max length, batch, seed):
  base            the model as it is, no training
  no_negatives    LoRA on the `default` mixture without `toolbench_negative`
  with_negatives  LoRA on the full `default` mixture

Every arm is evaluated on the same Agent-H items with the kit's own commands (`agent-flan train`,
`agent-flan eval`, `agent-flan eval --compare`), so a second person gets the same numbers from the
same command. Writes, under --out: one folder per trained arm, results/<arm>-s<seed>.json, the
comparisons, losses.png (per-capability training loss) and summary.json.

    python benchmarks/ablation_negatives.py --dataset agent-flan --model smollm2 --steps 16 --seeds 0 1

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
SUMMARY_KEYS = ("hscore", "h_react", "h_general", "relevance", "balanced")


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


def eval_arm(args: argparse.Namespace, adapter: Path | None, out: Path, logs: Path) -> float:
    command = agent_flan(
        "eval",
        "--model",
        args.model,
        "--dataset",
        str(args.dataset),
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
    if adapter is not None:
        command += ["--adapter", str(adapter)]
    if args.limit:
        command += ["--limit", str(args.limit)]
    return run(command, logs / f"eval-{out.stem}.log")


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
        print("matplotlib is not installed: no loss plot (pip install matplotlib)", file=sys.stderr)
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
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3), squeeze=False)
    for axis, name in zip(axes[0], names):
        for arm, history in sorted(histories.items()):
            points = [
                (e["step"], e[f"loss_by_capability/{name}"]) for e in history if f"loss_by_capability/{name}" in e
            ]
            if points:
                axis.plot(*zip(*points), label=arm, marker=".")
        axis.set_title(name)
        axis.set_xlabel("step")
    axes[0][0].set_ylabel("loss")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


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
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("results/ablation"))
    args, args.train_args = parser.parse_known_args(argv)  # anything else goes to `agent-flan train`
    out, logs = args.out, args.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    data = {"with_negatives": args.dataset, "no_negatives": without_negatives(args.dataset, out / "data-no-negatives")}
    summary: dict[str, Any] = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "arms": {},
        "wall_s": {},
    }
    histories = {}
    (out / "results").mkdir(exist_ok=True)
    summary["wall_s"]["eval:base"] = eval_arm(args, None, out / "results" / "base.json", logs)
    summary["arms"]["base"] = json.loads((out / "results" / "base.json").read_text())["summary"]
    for seed in args.seeds:
        for arm in ("no_negatives", "with_negatives"):
            name = f"{arm}-s{seed}"
            run_dir = out / "runs" / name
            summary["wall_s"][f"train:{name}"] = train_arm(args, data[arm], run_dir, seed, logs)
            result = out / "results" / f"{name}.json"
            summary["wall_s"][f"eval:{name}"] = eval_arm(args, run_dir, result, logs)
            summary["arms"][name] = json.loads(result.read_text())["summary"]
            histories[name] = loss_history(run_dir)
        for a, b in (("no_negatives", "with_negatives"), ("base", "with_negatives")):
            left = out / "results" / ("base.json" if a == "base" else f"{a}-s{seed}.json")
            compare = agent_flan("eval", "--compare", str(left), str(out / "results" / f"{b}-s{seed}.json"))
            proc = subprocess.run(compare, capture_output=True, text=True)
            (out / f"compare-{a}-vs-{b}-s{seed}.md").write_text(proc.stdout + proc.stderr)
    summary["plot"] = plot_losses(histories, out / "losses.png")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("| arm | " + " | ".join(SUMMARY_KEYS) + " |")
    print("|---|" + "---|" * len(SUMMARY_KEYS))
    for name, values in summary["arms"].items():
        cells = []
        for key in SUMMARY_KEYS:
            value, ci = values.get(key), (values.get("ci95") or {}).get(key)
            cells.append("—" if value is None else f"{value:.1f}" + (f" [{ci[0]:.1f}–{ci[1]:.1f}]" if ci else ""))
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
