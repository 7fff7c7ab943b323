"""Training throughput: this kit's recipe vs plain TRL defaults, same model, same data, same run.

  ours      per-turn loss masks, best-fit-decreasing packing, padding-free batches (training/)
  trl       plain `SFTTrainer` on the `messages` column: no packing, default padding (to the longest row
            of each batch), TRL's own tokenisation

Both use the same base model, the same 4-bit NF4 + LoRA setup (unless --no-4bit) and the same max length.
Each variant runs in its own subprocess, so peak memory is its own. Reported per variant: real
(non-pad) tokens per second, the share of computed tokens that are real, peak memory, seconds per step.

  python benchmarks/bench_train.py                                   # CPU, SmolLM2-135M, embedded samples
  python benchmarks/bench_train.py --device cuda --max-length 4096 --model-config llama2-7b
  python benchmarks/bench_train.py --device cuda --max-length 8192 --model-config llama2-7b --batch-size 1

`--model-config llama2-7b` builds a randomly initialised Llama-2-7B-architecture model from its config
(for GPU speed/memory measurements without downloading gated weights; the SmolLM2 tokenizer supplies
the ids, so the vocabulary is 49,152 instead of 32,000). `--model-config tiny` is a 2-layer stand-in
that exercises the same path in seconds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default="smollm2", help="model (and tokenizer) name or path (default smollm2)")
    parser.add_argument(
        "--model-config",
        choices=("llama2-7b", "tiny"),
        default=None,
        help="random weights with this architecture instead of --model's weights (tokenizer from --model)",
    )
    parser.add_argument("--dataset", default=None, help="dataset folder/id (default: build the embedded samples)")
    parser.add_argument("--configs", default="default", help="dataset configs to mix, comma separated")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=2, help="rows per step for the TRL baseline (TRL default: 8)")
    parser.add_argument("--packed-batch-size", type=int, default=1, help="packed sequences per step for ours")
    parser.add_argument("--steps", type=int, default=4, help="timed optimizer steps per variant")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (kernel selection, allocator)")
    parser.add_argument("--no-4bit", action="store_true", help="LoRA on a full-precision base instead of QLoRA")
    parser.add_argument("--no-gradient-checkpointing", action="store_true")
    parser.add_argument("--variants", default="ours,trl", help="which variants to run, comma separated")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--scratch",
        type=Path,
        default=None,
        help="keep the built dataset and random model here for the next run (default: a temp dir, removed)",
    )
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------------------------
def _dataset(args: argparse.Namespace, scratch: Path) -> str:
    if args.dataset:
        return args.dataset
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
    device = "cuda" if args.device == "cuda" else "cpu"
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    del model
    return str(out)


def _sft_args(args: argparse.Namespace, out: str, **extra):
    from trl import SFTConfig

    cuda = args.device == "cuda"
    return SFTConfig(
        output_dir=out,
        max_steps=args.warmup + args.steps,
        learning_rate=2e-4,
        logging_steps=1000,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        use_cpu=not cuda,
        bf16=cuda,
        gradient_checkpointing=not args.no_gradient_checkpointing,
        max_length=args.max_length,
        seed=0,
        **extra,
    )


def _load_model(args: argparse.Namespace, path: str):
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    kwargs = {"dtype": dtype}
    if not args.no_4bit:
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=dtype
        )
    if args.device == "cuda":
        kwargs["device_map"] = {"": 0}
    return AutoModelForCausalLM.from_pretrained(path, **kwargs)


def _lora():
    from peft import LoraConfig

    return LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")


class _Timer:
    """Seconds of each optimizer step after the warm-up ones."""

    def __init__(self, warmup: int):
        from transformers import TrainerCallback

        timer = self

        class Callback(TrainerCallback):
            def on_step_begin(self, a, state, control, **kw):
                timer._start = time.perf_counter()

            def on_step_end(self, a, state, control, **kw):
                if state.global_step > warmup:
                    timer.steps.append(time.perf_counter() - timer._start)

        self.steps: list[float] = []
        self._start = 0.0
        self.callback = Callback()


def _peak_memory(device: str) -> float:
    import resource

    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_ours(args: argparse.Namespace, model_path: str, dataset: str, tokenizer_path: str) -> dict:
    from transformers import AutoTokenizer

    from agent_flan.training.config import DataArguments
    from agent_flan.training.data import DataReport, load_rows, pack_rows, tokenize_rows
    from agent_flan.training.templates import load_template
    from agent_flan.training.trainer import AgentFlanSFTTrainer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    template = load_template("chatml")
    tokenizer.chat_template = template.text
    report = DataReport(dataset=dataset, configs=args.configs.split(","))
    rows = load_rows(DataArguments(dataset_name=dataset, dataset_configs=args.configs.split(",")), 0, report=report)
    encoded = tokenize_rows(rows, tokenizer, template.text, args.max_length, report=report)
    packed = pack_rows(encoded, args.max_length, "bfd", report)
    model = _load_model(args, model_path)
    with tempfile.TemporaryDirectory() as out:
        timer = _Timer(args.warmup)
        trainer = AgentFlanSFTTrainer(
            model=model,
            args=_sft_args(
                args,
                out,
                packing=True,
                per_device_train_batch_size=args.packed_batch_size,
                dataset_kwargs={"skip_prepare_dataset": True},
            ),
            train_dataset=packed,
            processing_class=tokenizer,
            peft_config=_lora(),
            callbacks=[timer.callback],
        )
        _reset_peak(args.device)
        trainer.train()
    per_step_real = trainer.token_totals["real"] / (args.warmup + args.steps)
    return _result(
        "ours: masks + BFD packing, padding-free",
        args,
        timer,
        per_step_real,
        trainer.token_totals["real"] / max(1, trainer.token_totals["total"]),
        trained_share=trainer.token_totals["trained"] / max(1, trainer.token_totals["real"]),
    )


def run_trl(args: argparse.Namespace, model_path: str, dataset: str, tokenizer_path: str) -> dict:
    from transformers import AutoTokenizer
    from trl import SFTTrainer

    from agent_flan.training.config import DataArguments
    from agent_flan.training.data import load_rows

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    rows = load_rows(DataArguments(dataset_name=dataset, dataset_configs=args.configs.split(",")), 0)
    rows = rows.map(
        lambda row: {"messages": [{"role": m["role"], "content": m["content"]} for m in row["messages"]]},
        remove_columns=[c for c in rows.column_names if c not in ("messages", "tools")],
    )
    counts = {"real": 0, "total": 0, "trained": 0}

    class CountingSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if self.model.training:
                counts["real"] += int(inputs["attention_mask"].sum())
                counts["total"] += int(inputs["attention_mask"].numel())
                counts["trained"] += int((inputs["labels"][..., 1:] != -100).sum())
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    model = _load_model(args, model_path)
    with tempfile.TemporaryDirectory() as out:
        timer = _Timer(args.warmup)
        trainer = CountingSFTTrainer(
            model=model,
            args=_sft_args(args, out, per_device_train_batch_size=args.batch_size),
            train_dataset=rows,
            processing_class=tokenizer,
            peft_config=_lora(),
            callbacks=[timer.callback],
        )
        _reset_peak(args.device)
        trainer.train()
    per_step_real = counts["real"] / (args.warmup + args.steps)
    return _result(
        "TRL defaults: no packing, padded batches",
        args,
        timer,
        per_step_real,
        counts["real"] / max(1, counts["total"]),
        trained_share=counts["trained"] / max(1, counts["real"]),
    )


def _reset_peak(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def _result(
    name: str, args: argparse.Namespace, timer: _Timer, per_step_real: float, real_share: float, trained_share: float
) -> dict:
    seconds = sum(timer.steps) / max(1, len(timer.steps))
    return {
        "variant": name,
        "timed_steps": len(timer.steps),
        "seconds_per_step": round(seconds, 3),
        "real_tokens_per_step": round(per_step_real, 1),
        "real_tokens_per_second": round(per_step_real / seconds, 1) if seconds else None,
        "real_token_share": round(real_share, 4),
        "trained_token_share": round(trained_share, 4),
        "peak_memory_gib": round(_peak_memory(args.device), 3),
        "peak_memory_kind": "GPU max allocated" if args.device == "cuda" else "process max RSS",
    }


def _child(variant: str, args: argparse.Namespace, model_path: str, dataset: str, tokenizer_path: str, queue) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        runner = run_ours if variant == "ours" else run_trl
        queue.put(runner(args, model_path, dataset, tokenizer_path))
    except BaseException as exc:  # noqa: BLE001 - report any failure (OOM included) as a table row
        queue.put({"variant": variant, "error": f"{type(exc).__name__}: {exc}"[:300]})


def hardware(device: str) -> str:
    import torch

    if device == "cuda" and torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"CPU {platform.processor() or platform.machine()}, {os.cpu_count()} cores (load average {load:.1f} at "
        f"start), torch {torch.__version__}"
    )


def table(results: list[dict]) -> str:
    lines = [
        "| variant | real tokens/s | real-token share | trained share of real | peak memory (GiB) | s/step | real tokens/step |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['variant']} | failed: {r['error']} | | | | | |")
            continue
        lines.append(
            f"| {r['variant']} | {r['real_tokens_per_second']} | {r['real_token_share']:.3f} | "
            f"{r['trained_token_share']:.3f} | {r['peak_memory_gib']} ({r['peak_memory_kind']}) | "
            f"{r['seconds_per_step']} | {r['real_tokens_per_step']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="bench-train-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, argv, scratch)
    finally:
        if args.scratch is None:
            shutil.rmtree(scratch, ignore_errors=True)


def _run(args: argparse.Namespace, argv: list[str] | None, scratch: Path) -> int:
    from agent_flan.core.models import resolve_model

    dataset = _dataset(args, scratch)
    tokenizer_path = resolve_model(args.model)
    model_path = _model_dir(args, scratch)
    started = time.time()
    context = mp.get_context("spawn")
    results = []
    for variant in [v.strip() for v in args.variants.split(",") if v.strip()]:
        queue = context.Queue()
        process = context.Process(target=_child, args=(variant, args, model_path, dataset, tokenizer_path, queue))
        process.start()
        process.join()
        results.append(
            queue.get() if not queue.empty() else {"variant": variant, "error": f"exit code {process.exitcode}"}
        )
    arch = args.model_config or args.model
    print(
        f"model: {arch} ({'QLoRA 4-bit NF4' if not args.no_4bit else 'LoRA, full-precision base'}, r=16, all-linear); "
        f"max length {args.max_length}; TRL batch {args.batch_size} rows, ours {args.packed_batch_size} packed "
        f"sequence(s) per step; {args.steps} timed steps after {args.warmup} warm-up"
    )
    print(f"hardware: {hardware(args.device)}; wall {time.time() - started:.0f} s")
    print(f"command: python benchmarks/bench_train.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print()
    print(table(results))
    if args.json:
        args.json.write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results}, indent=2) + "\n"
        )
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
