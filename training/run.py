"""`agent-flan train`: recipe -> QLoRA SFT run -> adapter, tokenizer, chat template, resolved config, metrics.

Output folder (`output_dir`):
  adapter_config.json, adapter_model.safetensors   the LoRA adapter (TRL/PEFT `save_model`)
  tokenizer files + chat_template.jinja             the tokenizer with the training template
  generation_config.json                            eos ids including the template's end-of-turn token
  training_config.yaml                              the resolved run, reusable as `--config`
  metrics.json                                      final loss, per-capability losses, tokens/s, wall time,
                                                    hardware, data report (read by the model card)
  checkpoint-N/                                     resumable checkpoints (`--resume`)
  merged/                                           with `--merge`: the adapter merged into a bf16 model

Secrets: `hub_token` (from a recipe or `--hub_token`) is taken out of the arguments when they are
parsed (training.config) and handed to huggingface_hub through HF_TOKEN, so the trainer never pickles it
into training_args.bin (output folder and every checkpoint) and it reaches neither
training_config.yaml nor the logs, metrics or model card.

Per-capability losses cover the whole run, also after `--resume`: every train log entry also records
how many tokens each capability had in that window (`trained_tokens_by_capability/NAME`), the trainer
restores that log history from the checkpoint, and metrics.json combines the restored entries with
this session's exact totals, token-weighted.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_flan.core.errors import BadInputError
from agent_flan.core.models import NAMED_MODELS, resolve_model
from agent_flan.training.config import TrainConfig, export_secrets, resolved_config_yaml, torch_dtype
from agent_flan.training.data import DataReport, load_rows, pack_rows, tokenize_rows
from agent_flan.training.templates import ChatTemplate, resolve_template

logger = logging.getLogger("agent_flan.train")
METRICS_FILE = "metrics.json"
CONFIG_FILE = "training_config.yaml"
METRICS_SCHEMA = "agent-flan/train-metrics/v1"
TOKENS_PREFIX = "trained_tokens_by_capability/"  # per train log entry: tokens behind each loss_by_capability/ mean


@dataclass
class PreparedData:
    train: Any
    eval: Any | None
    report: DataReport
    eval_report: DataReport | None


def load_tokenizer(config: TrainConfig):
    """The base model's tokenizer with the recipe's training template set on it (and a pad token)."""
    from transformers import AutoTokenizer

    path = resolve_model(config.model.model_name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            path, revision=config.model.model_revision, trust_remote_code=config.sft.trust_remote_code
        )
    except OSError as exc:
        raise BadInputError(f"model {config.model.model_name_or_path!r}: cannot load its tokenizer ({exc})") from exc
    template = resolve_template(config.sft.chat_template_path, tokenizer)
    tokenizer.chat_template = template.text
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # labels, not the pad id, decide what is trained
    return tokenizer, template, path


def prepare_data(config: TrainConfig, tokenizer, template: ChatTemplate) -> PreparedData:
    """Load, mix, tokenise with per-turn masks and truncate (counting drops) the train (and eval) rows."""
    sft, data = config.sft, config.data
    report = DataReport(dataset=data.dataset_name, configs=list(data.dataset_configs))
    rows = load_rows(data, sft.seed, report=report)
    train = tokenize_rows(
        rows, tokenizer, template.text, sft.max_length, data.render_tools, num_proc=sft.dataset_num_proc, report=report
    )
    if report.samples == 0:
        raise BadInputError(f"no trainable samples: {report.summary()}")
    eval_ds = eval_report = None
    if data.dataset_test_split:
        eval_report = DataReport(dataset=data.dataset_name, configs=list(data.dataset_configs))
        eval_rows = load_rows(data, sft.seed, split=data.dataset_test_split, report=eval_report)
        eval_ds = tokenize_rows(
            eval_rows,
            tokenizer,
            template.text,
            sft.max_length,
            data.render_tools,
            num_proc=sft.dataset_num_proc,
            report=eval_report,
        )
        if eval_report.samples == 0:  # e.g. a short --max_length cuts every validation sample: train, say so
            print(
                f"warning: the {data.dataset_test_split!r} split has no trainable samples at max_length "
                f"{sft.max_length} ({eval_report.summary()}); training without evaluation",
                file=sys.stderr,
            )
            eval_ds = eval_report = None
            if str(sft.eval_strategy) not in ("no", "IntervalStrategy.NO"):
                sft.eval_strategy = "no"
    return PreparedData(train, eval_ds, report, eval_report)


def pack_prepared(data: PreparedData, config: TrainConfig, packing: bool) -> PreparedData:
    """Best-fit-decreasing packing of the tokenised rows (eval rows too, unless eval_packing is false)."""
    sft = config.sft
    if packing:
        data.train = pack_rows(data.train, sft.max_length, sft.packing_strategy, data.report, seed=sft.seed)
        eval_packing = packing if sft.eval_packing is None else sft.eval_packing
        if data.eval is not None and eval_packing:
            data.eval = pack_rows(data.eval, sft.max_length, sft.packing_strategy, data.eval_report, shuffle=False)
    return data


def packing_problem(model) -> str | None:
    """Why `model` cannot keep padding-free packed sequences apart, or None when it can.

    A packed row has no attention mask, only position ids that restart at 0 for each conversation. Flash
    attention turns them into varlen boundaries; transformers accepted that implementation when it loaded the
    model only if the class declares `_supports_flash_attn`. SDPA, eager and flex attention get the
    block-diagonal mask from transformers' masking utilities, which models that declare
    `_supports_attention_backend` (the attention-interface contract) use; others (old remote code) would let
    one conversation attend to another."""
    from transformers.utils.generic import is_flash_attention_requested

    cls = type(model)
    attn = getattr(model.config, "_attn_implementation", None) or "sdpa"  # resolved and validated at load
    if is_flash_attention_requested(requested_attention_implementation=attn):
        return None if getattr(cls, "_supports_flash_attn", False) else f"{cls.__name__} has no flash attention"
    if getattr(cls, "_supports_attention_backend", False):
        return None
    return f"{cls.__name__} ({attn}) does not build its attention mask through transformers' attention interface"


def _dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


def load_model(config: TrainConfig, path: str):
    """The base model, quantised as the recipe asks (TRL's `get_quantization_config`), on this process's GPU (or CPU).

    TRL takes the 4-bit compute dtype from `dtype`, so `auto` is resolved for this machine first."""
    import dataclasses

    from accelerate import PartialState
    from transformers import AutoModelForCausalLM
    from trl import get_quantization_config

    margs, sft = config.model, config.sft
    dtype = torch_dtype(margs, sft)
    kwargs: dict[str, Any] = {
        "revision": margs.model_revision,
        "dtype": dtype,
        "trust_remote_code": sft.trust_remote_code,
    }
    if margs.attn_implementation:
        kwargs["attn_implementation"] = margs.attn_implementation
    quantization = get_quantization_config(dataclasses.replace(margs, dtype=_dtype_name(dtype)))
    if quantization is not None:
        kwargs["quantization_config"] = quantization
        if margs.load_in_4bit and margs.bnb_4bit_quant_storage:
            kwargs["dtype"] = quantization.bnb_4bit_quant_storage  # FSDP-QLoRA: one float dtype for every shard
    # trl 1.16 has no get_kbit_device_map any more (SFTTrainer picks "auto" for a model id); a loaded model
    # needs its place here: under DDP each rank holds its own quantised copy, FSDP shards from the CPU.
    state = PartialState()
    fsdp = os.environ.get("ACCELERATE_USE_FSDP", "false").lower() in ("1", "true") or bool(sft.fsdp)
    if state.device.type == "cuda" and not fsdp:
        kwargs["device_map"] = {"": state.local_process_index}
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except OSError as exc:
        raise BadInputError(f"model {margs.model_name_or_path!r}: cannot load it ({exc})") from exc
    except (ValueError, ImportError) as exc:
        if not margs.attn_implementation:
            raise
        # transformers' own validation of the attention implementation (class support, installed kernels)
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInputError(
            f"model {margs.model_name_or_path!r}: attn_implementation={margs.attn_implementation!r} is not usable: "
            f"{said}"
        ) from exc
    model.config.use_cache = False
    return model


def peft_config(config: TrainConfig):
    """TRL's `get_peft_config` (LoRA from the ModelConfig fields; None without use_peft)."""
    from trl import get_peft_config

    return get_peft_config(config.model)


def _available_loggers(report_to: list[str] | str | None, log) -> list[str]:
    """Drop loggers whose package is missing (a recipe asks for tensorboard; a laptop may not have it)."""
    from transformers.integrations import is_tensorboard_available, is_wandb_available

    wanted = [report_to] if isinstance(report_to, str) else list(report_to or [])
    checks = {
        "tensorboard": (is_tensorboard_available, "pip install tensorboard"),
        "wandb": (is_wandb_available, "pip install wandb"),
    }
    kept = []
    for name in wanted:
        available, how = checks.get(name, (lambda: True, ""))
        if name in ("none", "all") or available():
            kept.append(name)
        else:
            log(
                f"note: report_to={name} skipped: the package is not installed ({how}); "
                "the log history still goes to trainer_state.json and metrics.json"
            )
    return [name for name in kept if name != "none"]  # TrainingArguments' own spelling of "none" after validation


def _last_checkpoint(output_dir: str) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(output_dir) if os.path.isdir(output_dir) else None


def hardware() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
    }
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(
            device="cuda",
            gpu=props.name,
            gpu_count=torch.cuda.device_count(),
            gpu_memory_gib=round(props.total_memory / 2**30, 1),
            cuda=torch.version.cuda,
            bf16=torch.cuda.is_bf16_supported(),
        )
    else:
        info.update(device="cpu", gpu=None, gpu_count=0)
    return info


def peak_memory_gib() -> dict[str, float]:
    import resource

    import torch

    out = {"cpu_max_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)}
    if torch.cuda.is_available():
        out["gpu_peak_allocated_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
        out["gpu_peak_reserved_gib"] = round(torch.cuda.max_memory_reserved() / 2**30, 3)
    return out


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for name in ("transformers", "trl", "peft", "bitsandbytes", "accelerate", "datasets", "torch"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return out


def _save_generation_config(model, tokenizer, template: ChatTemplate, output_dir: str, write: bool = True) -> list[int]:
    """Stop generation at the template's end-of-turn token as well as at eos (e.g. U+0D3F for Agent-FLAN)."""
    generation_config = model.generation_config
    eos = generation_config.eos_token_id
    ids = [eos] if isinstance(eos, int) else list(eos or [])
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    if template.end_of_turn:
        eot_ids = tokenizer.encode(template.end_of_turn, add_special_tokens=False)
        if len(eot_ids) == 1 and eot_ids[0] not in ids:
            ids.append(eot_ids[0])
    generation_config.eos_token_id = ids
    generation_config.pad_token_id = tokenizer.pad_token_id
    if write:
        generation_config.save_pretrained(output_dir)
    return ids


def _capability_token_logger(trainer):
    """A callback that writes, into each train entry of the log history, the tokens per capability of
    its window (the difference of the trainer's running totals), so a resumed run can weight the
    restored means exactly; and a log entry at every checkpoint step, so no steps fall between the
    checkpoint's last logged window and the resumed session (save_steps need not be a multiple of
    logging_steps)."""
    import torch
    from transformers import TrainerCallback

    from agent_flan.training.trainer import GROUP_NAMES

    class CapabilityTokens(TrainerCallback):
        def __init__(self):
            self.seen = torch.zeros(len(GROUP_NAMES), dtype=torch.float64)

        def on_step_end(self, args, state, control, **kwargs):
            if control.should_save:  # log at every checkpoint step: its history then covers every step up to it
                control.should_log = True

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "loss" not in logs or not state.log_history:
                return
            counts = trainer.capability_totals[1].clone()
            window, self.seen = counts - self.seen, counts
            entry = state.log_history[-1]
            for index, name in enumerate(GROUP_NAMES):
                if window[index] > 0:
                    entry[f"{TOKENS_PREFIX}{name}"] = int(window[index])

    return CapabilityTokens()


def _checkpoint_step(checkpoint: str | None) -> int:
    if not checkpoint:
        return 0
    try:
        return int(json.loads((Path(checkpoint) / "trainer_state.json").read_text(encoding="utf-8"))["global_step"])
    except (OSError, ValueError, KeyError, TypeError):
        name = Path(checkpoint).name
        return int(name.rsplit("-", 1)[-1]) if name.rsplit("-", 1)[-1].isdigit() else 0


def whole_run_capability_losses(trainer, resumed_step: int) -> tuple[dict[str, float], dict[str, int], str]:
    """Token-weighted loss per capability over the whole run: the log entries restored from the checkpoint
    (steps <= resumed_step) plus this session's exact totals. Returns (losses, tokens, weighting)."""
    from agent_flan.training.trainer import GROUP_NAMES, LOSS_PREFIX

    sums, counts = (row.clone() for row in trainer.capability_totals)
    weighting = "tokens"
    if resumed_step > 0:
        session_steps = max(1, trainer.state.global_step - resumed_step)
        previous = 0
        for entry in trainer.state.log_history:
            step = entry.get("step", 0)
            if step > resumed_step:
                break
            if "loss" not in entry:
                continue
            for index, name in enumerate(GROUP_NAMES):
                mean = entry.get(f"{LOSS_PREFIX}{name}")
                if mean is None:
                    continue
                tokens = entry.get(f"{TOKENS_PREFIX}{name}")
                if tokens is None:  # a checkpoint written before token counts were logged: estimate them
                    weighting = "tokens (estimated for steps logged without token counts)"
                    tokens = max(1.0, float(trainer.capability_totals[1, index]) / session_steps) * (step - previous)
                sums[index] += float(mean) * float(tokens)
                counts[index] += float(tokens)
            previous = step
    losses = {name: round(float(sums[i] / counts[i]), 6) for i, name in enumerate(GROUP_NAMES) if counts[i] > 0}
    tokens = {name: int(round(float(counts[i]))) for i, name in enumerate(GROUP_NAMES) if counts[i] > 0}
    return losses, tokens, weighting


def train(
    config: TrainConfig, resume: bool | str = False, merge: bool = False, log=print, callbacks: list | None = None
) -> Path:
    """Run one training job; returns the output folder."""
    from accelerate import PartialState
    from transformers import set_seed

    from agent_flan.core.hub import bound_hub_requests
    from agent_flan.training.trainer import AgentFlanSFTTrainer

    started = time.time()
    export_secrets(config)  # hub_token -> HF_TOKEN for huggingface_hub; never in the saved arguments
    bound_hub_requests()  # Hub look-ups of a model or dataset id: HF_HUB_DOWNLOAD_TIMEOUT s, never a hang
    sft = config.sft
    set_seed(sft.seed)
    output_dir = Path(sft.output_dir)
    tokenizer, template, model_path = load_tokenizer(config)
    template_choice = sft.chat_template_path
    if template.path:
        sft.chat_template_path = template.path  # TRL sets the same file on the tokenizer it saves
    else:
        sft.chat_template_path = None  # already on the tokenizer
    sft.dataset_kwargs = {**(sft.dataset_kwargs or {}), "skip_prepare_dataset": True}  # our labels, as they are
    sft.report_to = _available_loggers(sft.report_to, log)
    state = PartialState()
    with state.main_process_first():  # rank 0 tokenises and fills the datasets cache, the others read it
        data = prepare_data(config, tokenizer, template)  # before the model: data errors surface in seconds
    model = load_model(config, model_path)
    packing = bool(sft.packing)
    problem = packing_problem(model) if packing else None
    if problem:
        log(f"note: packing off: {problem}, so packed conversations would attend to each other")
        packing = sft.packing = False
    if packing and sft.packing_strategy == "wrapped":
        log("note: packing_strategy=wrapped cuts conversations mid-turn; bfd keeps them whole")
    with state.main_process_first():
        data = pack_prepared(data, config, packing)
    log(f"data: {data.report.summary()}")
    if state.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        notes = {
            "model_path": model_path,
            "chat_template": template.path or template.name,
            "hardware": json.dumps(hardware()),
            "versions": json.dumps(_versions()),
        }
        (output_dir / CONFIG_FILE).write_text(
            resolved_config_yaml(config, notes, replace={"chat_template_path": template_choice, "packing": packing}),
            encoding="utf-8",
        )

    trainer = AgentFlanSFTTrainer(
        model=model,
        args=sft,
        train_dataset=data.train,
        eval_dataset=data.eval,
        processing_class=tokenizer,
        peft_config=peft_config(config),
        callbacks=callbacks,
    )
    trainer.add_callback(_capability_token_logger(trainer))
    checkpoint = None
    if resume:
        checkpoint = resume if isinstance(resume, str) else _last_checkpoint(str(output_dir))
        if checkpoint is None:
            log(f"note: --resume: no checkpoint in {output_dir}; starting from step 0")
        else:
            log(f"resuming from {checkpoint}")
    train_started = time.time()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    train_wall = time.time() - train_started
    trainer.save_model(str(output_dir))  # adapter + tokenizer + chat_template.jinja (main process writes)
    eos_ids = _save_generation_config(
        trainer.model, tokenizer, template, str(output_dir), write=trainer.accelerator.is_main_process
    )

    metrics = build_metrics(
        config, trainer, result, data, template, model_path, checkpoint, train_wall, time.time() - started, eos_ids
    )
    if trainer.accelerator.is_main_process:
        (output_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        log(f"final loss {metrics['train']['final_loss']}; per capability {metrics['train']['loss_by_capability']}")
    if merge and trainer.accelerator.is_main_process:
        from agent_flan.training.merge import merge_adapter

        merged = merge_adapter(
            output_dir, output_dir / "merged", base=model_path, trust_remote_code=sft.trust_remote_code
        )
        log(f"merged bf16 model: {merged}")
    return output_dir


def build_metrics(
    config: TrainConfig,
    trainer,
    result,
    data: PreparedData,
    template: ChatTemplate,
    model_path: str,
    checkpoint: str | None,
    train_wall: float,
    wall: float,
    eos_ids: list[int],
) -> dict[str, Any]:
    history = trainer.state.log_history
    last_loss = next((entry["loss"] for entry in reversed(history) if "loss" in entry), result.training_loss)
    last_caps = next(
        (
            {k.split("/", 1)[1]: v for k, v in entry.items() if k.startswith("loss_by_capability/")}
            for entry in reversed(history)
            if any(k.startswith("loss_by_capability/") for k in entry)
        ),
        {},
    )
    totals = trainer.token_totals
    losses, capability_tokens, weighting = whole_run_capability_losses(trainer, _checkpoint_step(checkpoint))
    runtime = result.metrics.get("train_runtime") or train_wall
    name = config.model.model_name_or_path
    named = NAMED_MODELS.get(name.lower())
    m = config.model
    return {
        "schema": METRICS_SCHEMA,
        "model": {
            "name_or_path": name,
            "path": model_path,
            "hub_id": named.hub_id if named else name,
            "quantization": (f"4-bit {m.bnb_4bit_quant_type}" + (" + double quant" if m.use_bnb_nested_quant else ""))
            if m.load_in_4bit
            else ("8-bit LLM.int8" if m.load_in_8bit else None),
            "dtype": str(torch_dtype(m, config.sft)).replace("torch.", ""),
            "lora": {
                "r": m.lora_r,
                "alpha": m.lora_alpha,
                "dropout": m.lora_dropout,
                "target_modules": m.lora_target_modules,
            }
            if m.use_peft
            else None,
        },
        "template": {"name": template.name, "end_of_turn": template.end_of_turn, "eos_token_ids": eos_ids},
        "data": data.report.to_json(),
        "eval_data": data.eval_report.to_json() if data.eval_report else None,
        "train": {
            "global_step": trainer.state.global_step,
            "max_steps": trainer.state.max_steps,
            "epochs": round(trainer.state.epoch or 0.0, 4),
            "final_loss": last_loss,
            "train_loss": result.training_loss,
            "loss_by_capability": losses,  # the whole run (steps 1..global_step), also after --resume
            "trained_tokens_by_capability": capability_tokens,
            "loss_by_capability_weighting": weighting,
            "loss_by_capability_last_log": last_caps,
            "tokens": totals["real"],
            "trained_tokens": totals["trained"],
            "tokens_per_second": round(totals["real"] / runtime, 2) if runtime else None,
            "trained_tokens_per_second": round(totals["trained"] / runtime, 2) if runtime else None,
            "real_token_share": round(totals["real"] / totals["total"], 4) if totals["total"] else None,
            "packing": bool(config.sft.packing),
            "train_runtime_s": round(runtime, 2),
            "wall_time_s": round(wall, 2),
            "resumed_from": checkpoint,
            "learning_rate": config.sft.learning_rate,
            "max_length": config.sft.max_length,
            "effective_batch": config.sft.per_device_train_batch_size
            * config.sft.gradient_accumulation_steps
            * max(1, trainer.accelerator.num_processes),
        },
        "eval": {k: v for k, v in (history[-1] if history else {}).items() if k.startswith("eval_")} or None,
        "hardware": {**hardware(), **peak_memory_gib(), "processes": trainer.accelerator.num_processes},
        "versions": _versions(),
    }
