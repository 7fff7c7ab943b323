"""Training throughput and trained tokens: the kit's recipe vs TRL at its best settings, side by side in one run.

Variants (same rows, same model, same QLoRA setup, same max length, same packed sequences per step):

  kit        the kit's recipe: per-span loss masks (training/masks.py), BFD packing, padding-free batches,
             per-capability losses (AgentFlanSFTTrainer)
  trl        plain TRL SFTTrainer at its best settings for this data: `assistant_only_loss=True` with the kit's
             generation-marked chat template, `packing=True` (BFD, which turns padding-free on), TRL's own
             tokenisation of the `messages` + `tools` columns
  kit-whole  the kit's trainer and packing, but every assistant message trained whole (TRL's mask): the same
             trained tokens as `trl`, so kit-whole vs trl is the cost of the kit's trainer alone and kit vs
             kit-whole is what the per-span masks change

Each run of a variant is its own subprocess (its own peak RSS); the variants are interleaved repeat by repeat,
so machine load hits them alike; the warm-up steps of every run are not timed. Repeat r uses seed r for the
order of the packed sequences, the same for every variant, so kit-whole and trl train the very same packed
sequences step by step, and kit trains the same rows minus those with no trained token. Reported per variant: real
(computed) tokens/s and trained tokens/s, min and median over the repeats, s/step, tokens per step, peak RSS
(GPU: peak allocated). Before the runs the parent compares, token by token on every row, what the kit trains
with what TRL's assistant mask trains (the rendered token ids are checked to be the same).

  python benchmarks/bench_train.py                                    # CPU, SmolLM2-135M, ./agent-flan
  python benchmarks/bench_train.py --quick                            # tiny random Llama: the path in a minute
  python benchmarks/bench_train.py --device cuda --model-config llama2-7b --max-length 4096
  python benchmarks/bench_train.py --device cuda --model-config llama2-7b --max-length 8192 \\
      --attn-implementation flash_attention_2

`--model-config llama2-7b` builds a randomly initialised Llama-2-7B-architecture model from its config (GPU
speed and memory without downloading gated weights; the SmolLM2 tokenizer supplies the ids, so the vocabulary
is 49,152 instead of 32,000). `--model-config tiny` (or `--quick`) is a 2-layer stand-in.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LLAMA2_7B = {
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "max_position_embeddings": 8192,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
}
TINY = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 8192,
    "tie_word_embeddings": True,
}
VARIANTS = ("kit", "trl", "kit-whole")
LABELS = {
    "kit": "kit: per-span masks + BFD packing, padding-free, per-capability losses",
    "trl": "TRL best: assistant_only_loss + packing (BFD, padding-free)",
    "kit-whole": "kit trainer, every assistant message whole (TRL's mask)",
}
TEMPLATE = "chatml"  # SmolLM2's format, generation-marked; both sides use this exact template text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 3)[3],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default="smollm2", help="model (and tokenizer) name or path (default smollm2)")
    parser.add_argument(
        "--model-config",
        choices=("llama2-7b", "tiny"),
        default=None,
        help="random weights with this architecture instead of --model's weights (tokenizer from --model)",
    )
    parser.add_argument("--quick", action="store_true", help="--model-config tiny, 2 repeats of 2 timed steps")
    parser.add_argument(
        "--dataset", default=None, help="dataset folder/id (default: ./agent-flan if present, else a fresh build)"
    )
    parser.add_argument("--configs", default="default", help="dataset configs to mix, comma separated")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--attn-implementation", default=None, help="e.g. flash_attention_2 on a GPU (all variants)")
    parser.add_argument("--max-length", type=int, default=1024, help="pack length and truncation, all variants")
    parser.add_argument("--batch-size", type=int, default=1, help="packed sequences per step, all variants")
    parser.add_argument("--steps", type=int, default=3, help="timed optimizer steps per run")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first in every run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant, interleaved")
    parser.add_argument("--no-4bit", action="store_true", help="LoRA on a full-precision base instead of QLoRA")
    parser.add_argument("--no-gradient-checkpointing", action="store_true")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma separated, from " + ", ".join(VARIANTS))
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--scratch",
        type=Path,
        default=None,
        help="keep the built dataset and random model here for the next run (default: a temp dir, removed)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.model_config = args.model_config or "tiny"
        args.repeats, args.steps = min(args.repeats, 2), min(args.steps, 2)
    unknown = [v for v in args.variants.split(",") if v.strip() and v.strip() not in VARIANTS]
    if unknown or min(args.steps, args.repeats, args.batch_size, args.max_length) < 1 or args.warmup < 0:
        parser.error(f"unknown variant(s) {unknown}" if unknown else "steps, repeats, batch size, max length >= 1")
    return args


# --- inputs -------------------------------------------------------------------------------------------------
def _dataset(args: argparse.Namespace, scratch: Path) -> str:
    if args.dataset:
        return args.dataset
    if (Path("agent-flan") / "build_report.json").is_file():
        return "agent-flan"
    from agent_flan.pipeline import build_dataset as build

    folder = scratch / "agent-flan"
    build(folder, {}, progress=False)
    return str(folder)


def _model_dir(args: argparse.Namespace, scratch: Path) -> str:
    """A folder from_pretrained can load: the named model, or random weights with the chosen architecture."""
    from agent_flan.core.models import resolve_model

    path = resolve_model(args.model)
    if not args.model_config:
        return path
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    out = scratch / f"random-{args.model_config}"
    if (out / "config.json").is_file():
        return str(out)
    tokenizer = AutoTokenizer.from_pretrained(path)
    shape = LLAMA2_7B if args.model_config == "llama2-7b" else TINY
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **shape,
    )
    torch.manual_seed(0)
    with torch.device("cuda" if args.device == "cuda" else "cpu"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    del model
    return str(out)


def _rows(dataset: str, configs: str):
    from agent_flan.training.config import DataArguments
    from agent_flan.training.data import load_rows

    return load_rows(DataArguments(dataset_name=dataset, dataset_configs=configs.split(",")), 0)


def _tokenizer(path: str):
    from transformers import AutoTokenizer

    from agent_flan.training.templates import load_template

    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.chat_template = load_template(TEMPLATE).text
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def whole_messages(row: dict[str, Any]) -> dict[str, Any]:
    """The row with every assistant message trained whole, as TRL's assistant_only_loss trains it."""
    messages = []
    for message in row["messages"]:
        if message["role"] == "assistant":
            capability = next((s["capability"] for s in message.get("spans") or [] if s.get("capability")), None)
            message = {**message, "loss": True, "spans": [], "capability": capability or "none"}
            if message["capability"] == "mixed":
                message["capability"] = "none"
        messages.append(message)
    return {"messages": messages}


def trl_messages(row: dict[str, Any]) -> dict[str, Any]:
    """What a plain TRL user feeds SFTTrainer: role + content, the tools as the JSON string the dataset stores."""
    return {"messages": [{"role": m["role"], "content": m["content"]} for m in row["messages"]]}


# --- which tokens each trains ---------------------------------------------------------------------------------
def compare_masks(rows, tokenizer, max_length: int) -> dict[str, int]:
    """Token by token over every row (position 0 and tokens past max_length excluded: neither is ever a target):
    what the kit's per-span mask trains vs what TRL's assistant mask (`apply_chat_template(...,
    return_assistant_tokens_mask=True)`, the call SFTTrainer makes) trains."""
    from agent_flan.training.masks import IGNORE_INDEX, encode_conversation, parse_tools

    out = dict.fromkeys(
        (
            "rows",
            "rows_same_ids",
            "rows_kit_trains",
            "rows_trl_trains",
            "tokens",
            "trained_both",
            "trl_only",
            "trl_only_in_loss_false_messages",
            "trl_only_in_untrained_spans_of_trained_messages",
            "kit_only",
        ),
        0,
    )
    for row in rows:
        enc = encode_conversation(
            tokenizer,
            tokenizer.chat_template,
            row["messages"],
            row["tools"],
            negative=row["format"] == "negative",
            row_id=row["id"],
        )
        trl = tokenizer.apply_chat_template(
            trl_messages(row)["messages"],
            tools=parse_tools(row["tools"]),
            tokenize=True,
            return_dict=True,
            return_assistant_tokens_mask=True,
        )
        out["rows"] += 1
        if list(trl["input_ids"]) != enc.input_ids:
            continue  # counted as a mismatch (rows - rows_same_ids); the masks are compared on identical ids only
        out["rows_same_ids"] += 1
        n = min(len(enc.input_ids), max_length)
        kit = [enc.labels[i] != IGNORE_INDEX for i in range(1, n)]
        theirs = [bool(trl["assistant_masks"][i]) for i in range(1, n)]
        out["rows_kit_trains"] += any(kit)
        out["rows_trl_trains"] += any(theirs)
        out["tokens"] += n
        for index, (ours, peer) in enumerate(zip(kit, theirs, strict=True), start=1):
            out["trained_both"] += ours and peer
            out["kit_only"] += ours and not peer
            if peer and not ours:
                out["trl_only"] += 1
                start = enc.offsets[index][0]
                turn = next((t for t in enc.spans if t[0] <= start < t[1]), None)
                key = "trl_only_in_untrained_spans_of_trained_messages" if turn and turn[2] else None
                out[key or "trl_only_in_loss_false_messages"] += 1
    return out


# --- one run of one variant (in its own process) ------------------------------------------------------------
class StepMeter:
    """Seconds, real tokens and trained tokens of each optimizer step after the warm-up ones."""

    def __init__(self, warmup: int):
        from transformers import TrainerCallback

        meter = self
        self.steps: list[dict[str, float]] = []
        self._start = 0.0
        self._real = self._trained = 0

        class Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                meter._real = meter._trained = 0
                meter._start = time.perf_counter()

            def on_step_end(self, args, state, control, **kwargs):
                if args.device.type == "cuda":
                    import torch

                    torch.cuda.synchronize()
                if state.global_step > warmup:
                    seconds = time.perf_counter() - meter._start
                    meter.steps.append({"seconds": seconds, "real": meter._real, "trained": meter._trained})

        self.callback = Callback()

    def count(self, inputs: dict[str, Any]) -> None:
        """Called from compute_loss: padding-free batches are one row of real tokens."""
        mask = inputs.get("attention_mask")
        self._real += int(mask.sum()) if mask is not None else int(inputs["input_ids"].numel())
        self._trained += int((inputs["labels"][..., 1:] != -100).sum())


def _metered(trainer_class, meter: StepMeter):
    class Metered(trainer_class):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if self.model.training:
                meter.count(inputs)
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    return Metered


def _sft_args(args: argparse.Namespace, out: str, seed: int, **extra):
    from trl import SFTConfig

    cuda = args.device == "cuda"
    return SFTConfig(
        output_dir=out,
        max_steps=args.warmup + args.steps,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=1,
        learning_rate=2e-4,
        logging_steps=1000,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        use_cpu=not cuda,
        bf16=cuda,
        gradient_checkpointing=not args.no_gradient_checkpointing,
        max_length=args.max_length,
        packing=True,
        packing_strategy="bfd",
        seed=seed,  # the sampler's order: the same steps for every variant of one repeat
        **extra,
    )


def _model_args(args: argparse.Namespace):
    from trl import ModelConfig

    return ModelConfig(
        dtype="bfloat16" if args.device == "cuda" else "float32",
        attn_implementation=args.attn_implementation,
        use_peft=True,
        lora_r=16,
        lora_alpha=32,
        lora_dropout=0.05,
        lora_target_modules=["all-linear"],
        load_in_4bit=not args.no_4bit,
        bnb_4bit_quant_type="nf4",
        use_bnb_nested_quant=True,
    )


def _load_model(args: argparse.Namespace, path: str):
    """The same base for every variant, quantised by TRL's own helper."""
    from transformers import AutoModelForCausalLM
    from trl import get_quantization_config

    margs = _model_args(args)
    kwargs: dict[str, Any] = {"dtype": margs.dtype, "quantization_config": get_quantization_config(margs)}
    if margs.attn_implementation:
        kwargs["attn_implementation"] = margs.attn_implementation
    if args.device == "cuda":
        kwargs["device_map"] = {"": 0}
    return AutoModelForCausalLM.from_pretrained(path, **kwargs)


def run_variant(
    variant: str, args: argparse.Namespace, model_path: str, dataset: str, tokenizer_path: str, seed: int = 0
) -> dict:
    import resource

    import torch
    from trl import SFTTrainer, get_peft_config

    from agent_flan.training.data import pack_rows, tokenize_rows
    from agent_flan.training.trainer import AgentFlanSFTTrainer

    tokenizer = _tokenizer(tokenizer_path)
    rows = _rows(dataset, args.configs)
    meter = StepMeter(args.warmup)
    if variant == "trl":
        train = rows.map(trl_messages, remove_columns=[c for c in rows.column_names if c != "tools"])
        trainer_class, extra = SFTTrainer, {"assistant_only_loss": True}
    else:
        if variant == "kit-whole":
            rows = rows.map(whole_messages)
        encoded = tokenize_rows(rows, tokenizer, tokenizer.chat_template, args.max_length)
        # BFD over the rows in dataset order, as TRL packs them (its shuffle_dataset is off by default): with the
        # same rows (kit-whole) the packed sequences are TRL's, and the sampler's seed makes the steps the same
        train = pack_rows(encoded, args.max_length, "bfd", shuffle=False)
        trainer_class, extra = AgentFlanSFTTrainer, {"dataset_kwargs": {"skip_prepare_dataset": True}}
    model = _load_model(args, model_path)
    with tempfile.TemporaryDirectory() as out:
        trainer = _metered(trainer_class, meter)(
            model=model,
            args=_sft_args(args, out, seed, **extra),
            train_dataset=train,
            processing_class=tokenizer,
            peft_config=get_peft_config(_model_args(args)),
            callbacks=[meter.callback],
        )
        if args.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        trainer.train()
    seconds = sum(s["seconds"] for s in meter.steps)
    real = sum(s["real"] for s in meter.steps)
    trained = sum(s["trained"] for s in meter.steps)
    return {
        "variant": variant,
        "padding_free": bool(getattr(trainer, "padding_free", False)),
        "packed_sequences": len(train) if variant != "trl" else len(trainer.train_dataset),
        "timed_steps": len(meter.steps),
        "seconds_per_step": seconds / max(1, len(meter.steps)),
        "real_tokens_per_step": real / max(1, len(meter.steps)),
        "trained_tokens_per_step": trained / max(1, len(meter.steps)),
        "real_tokens_per_second": real / seconds if seconds else None,
        "trained_tokens_per_second": trained / seconds if seconds else None,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "rss_before_training_gib": rss_before,
        "peak_gpu_gib": torch.cuda.max_memory_allocated() / 2**30 if args.device == "cuda" else None,
    }


def _child(
    variant: str, args: argparse.Namespace, model_path: str, dataset: str, tokenizer_path: str, seed: int, queue
) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    sys.stdout = sys.stderr  # the trainers' own log lines; the parent's stdout is the report
    try:
        queue.put(run_variant(variant, args, model_path, dataset, tokenizer_path, seed))
    except BaseException as exc:  # noqa: BLE001 - report any failure (OOM included) as a table row
        queue.put({"variant": variant, "error": f"{type(exc).__name__}: {exc}"[:300]})


# --- report ---------------------------------------------------------------------------------------------------
def hardware(device: str) -> str:
    import torch

    if device == "cuda" and torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"CPU {platform.processor() or platform.machine()}, {os.cpu_count()} cores (load average {load:.1f} at "
        f"start), torch {torch.__version__}"
    )


def summarise(runs: list[dict]) -> dict[str, dict]:
    """Per variant: min and median over its repeats (a failed run is reported, not averaged)."""
    summary: dict[str, dict] = {}
    for variant in dict.fromkeys(r["variant"] for r in runs):
        mine = [r for r in runs if r["variant"] == variant]
        good = [r for r in mine if "error" not in r]
        if not good:
            summary[variant] = {"error": mine[0]["error"]}
            continue

        def stat(key: str, runs: list[dict] = good) -> tuple[float, float, float]:
            values = [r[key] for r in runs if r[key] is not None]
            return (min(values), statistics.median(values), max(values)) if values else (float("nan"),) * 3

        summary[variant] = {
            "repeats": len(good),
            "failed": len(mine) - len(good),
            **{key: stat(key) for key in good[0] if isinstance(good[0][key], float)},
            "padding_free": good[0]["padding_free"],
            "packed_sequences": good[0]["packed_sequences"],
        }
    return summary


def table(summary: dict[str, dict], device: str) -> str:
    memory = "peak GPU allocated (GiB)" if device == "cuda" else "peak RSS (GiB)"
    lines = [
        f"| variant | real tokens/s min / median | trained tokens/s min / median | s/step median | real tokens/step | "
        f"trained tokens/step | {memory} max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for variant, s in summary.items():
        if "error" in s:
            lines.append(f"| {LABELS[variant]} | failed: {s['error']} | | | | | |")
            continue
        peak = s["peak_gpu_gib"] if device == "cuda" else s["peak_rss_gib"]
        lines.append(
            f"| {LABELS[variant]} | {s['real_tokens_per_second'][0]:.1f} / {s['real_tokens_per_second'][1]:.1f} | "
            f"{s['trained_tokens_per_second'][0]:.1f} / {s['trained_tokens_per_second'][1]:.1f} | "
            f"{s['seconds_per_step'][1]:.2f} | {s['real_tokens_per_step'][1]:.0f} | "
            f"{s['trained_tokens_per_step'][1]:.0f} | {peak[2]:.2f} |"
        )
    return "\n".join(lines)


def ratios(summary: dict[str, dict], device: str) -> list[str]:
    """Median-vs-median ratios against TRL's best settings, measured in this run."""
    base = summary.get("trl")
    if not base or "error" in base:
        return []
    out, key = [], "peak_gpu_gib" if device == "cuda" else "peak_rss_gib"
    for variant, s in summary.items():
        if variant == "trl" or "error" in s:
            continue
        real = s["real_tokens_per_second"][1] / base["real_tokens_per_second"][1]
        trained = s["trained_tokens_per_second"][1] / base["trained_tokens_per_second"][1]
        memory = s[key][1] / base[key][1]
        out.append(
            f"{variant} / trl (medians): real tokens/s x{real:.2f}, trained tokens/s x{trained:.2f}, "
            f"peak memory x{memory:.2f}"
        )
    return out


def mask_lines(counts: dict[str, int]) -> list[str]:
    both, trl_only, kit_only = counts["trained_both"], counts["trl_only"], counts["kit_only"]
    kit_total, trl_total = both + kit_only, both + trl_only
    return [
        f"rows: {counts['rows']} ({counts['rows_same_ids']} with the same token ids on both sides); rows with a "
        f"trained token: kit {counts['rows_kit_trains']}, TRL {counts['rows_trl_trains']}",
        f"trained tokens (within max length, of {counts['tokens']}): kit {kit_total}, TRL assistant_only_loss "
        f"{trl_total} (x{trl_total / max(1, kit_total):.2f}); both {both}; kit only {kit_only}",
        f"TRL-only tokens: {counts['trl_only_in_loss_false_messages']} in `loss: false` assistant messages, "
        f"{counts['trl_only_in_untrained_spans_of_trained_messages']} in untrained spans of trained messages",
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="bench-train-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, argv, scratch)
    finally:
        if args.scratch is None:
            shutil.rmtree(scratch, ignore_errors=True)


def _run(args: argparse.Namespace, argv: list[str] | None, scratch: Path) -> int:
    from agent_flan.core.models import resolve_model

    started = time.time()
    where = hardware(args.device)
    dataset = _dataset(args, scratch)
    tokenizer_path = resolve_model(args.model)
    model_path = _model_dir(args, scratch)
    counts = compare_masks(_rows(dataset, args.configs), _tokenizer(tokenizer_path), args.max_length)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    context = mp.get_context("spawn")
    runs = []
    for repeat in range(args.repeats):
        for variant in variants:
            queue = context.Queue()
            process = context.Process(
                target=_child, args=(variant, args, model_path, dataset, tokenizer_path, repeat, queue)
            )
            process.start()
            process.join()
            result = queue.get() if not queue.empty() else {"variant": variant, "error": f"exit {process.exitcode}"}
            result["repeat"] = repeat
            runs.append(result)
            print(f"# repeat {repeat + 1}/{args.repeats} {variant}: " + json.dumps(result), file=sys.stderr)
    summary = summarise(runs)
    arch = args.model_config or args.model
    print(
        f"model: {arch} ({'QLoRA 4-bit NF4' if not args.no_4bit else 'LoRA, full-precision base'}, r=16, all-linear); "
        f"data: {dataset} ({args.configs}); max length {args.max_length}; {args.batch_size} packed sequence(s) per "
        f"step for every variant; {args.repeats} repeats x {args.steps} timed steps after {args.warmup} warm-up, "
        f"variants interleaved"
    )
    print(f"hardware: {where}; wall {time.time() - started:.0f} s")
    print(f"command: python benchmarks/bench_train.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print()
    print(table(summary, args.device))
    print()
    for line in ratios(summary, args.device) + mask_lines(counts):
        print(line)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": {k: str(v) for k, v in vars(args).items()}, "masks": counts, "runs": runs, "summary": summary},
                indent=2,
            )
            + "\n"
        )
    return 0 if all("error" not in r for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
