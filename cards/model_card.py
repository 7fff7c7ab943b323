"""The model card (`README.md` of a training output folder), rendered from what `agent-flan train` and
`agent-flan eval` wrote there.

Every input is optional: a run that was killed before `metrics.json`, or an adapter that was never
evaluated, still gets a card, and each missing value prints as "not measured" rather than a guess.

Files and keys read (all relative to the training output folder):

- `metrics.json` (written by `training/run.py`, schema `agent-flan/train-metrics/v1`):
  `model.{hub_id, name_or_path, path, quantization, dtype, lora.{r, alpha, dropout, target_modules}}`,
  `template.{name, end_of_turn, eos_token_ids}`,
  `data.{dataset, configs, rows, samples, tokens, trained_tokens, dropped_no_trained_turns, dropped_truncated,
  truncated_kept, max_length, packing, packed_sequences}`,
  `train.{global_step, max_steps, epochs, final_loss, train_loss, loss_by_capability, tokens_per_second,
  train_runtime_s, wall_time_s, learning_rate, max_length, effective_batch, packing}`,
  `eval` (a dict of `eval_*` numbers), `hardware.{device, gpu, gpu_count, gpu_memory_gib, cuda, cpu_count,
  torch, gpu_peak_allocated_gib, cpu_max_rss_gib, processes}`, `versions` (package -> version).
- `training_config.yaml` (or `resolved_config.yaml`): the resolved recipe; the `# recipe: PATH` header
  comment names the recipe file. Keys shown: see `RECIPE_KEYS`.
- `adapter_config.json` (PEFT): `base_model_name_or_path`, `r`, `lora_alpha`, `target_modules`, used when
  `metrics.json` lacks them.
- `chat_template.jinja`, `generation_config.json` (`eos_token_id`): the prompt format.
- Agent-H results: `results.json`, `eval/results.json` or `agent_h_results.json` (or a file given with
  `--eval`), as written by `agent-flan eval --out`: `summary.{h_react, h_general, hscore, relevance,
  balanced}` (0-100), optional `model`, `dataset`, `limit`, and `items` (a list; only its length is used).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_flan.cards.rendering import NOT_MEASURED, or_missing, render
from agent_flan.cards.upstream import BIBTEX, PAPER_AGENT_H, base_model_licence

METRICS_FILE = "metrics.json"
CONFIG_FILES = ("training_config.yaml", "resolved_config.yaml")
EVAL_FILES = ("results.json", "eval/results.json", "agent_h_results.json")
SUMMARY_KEYS = ("hscore", "h_react", "h_general", "relevance", "balanced")  # the eval contract (DESIGN.md)
# key -> (name, what it measures); the optional ones are shown only when the results file has them.
SUMMARY_NAMES = {
    "hscore": ("HScore", "½((100 − H_ReAct) + (100 − H_General)); higher is better"),
    "h_react": ("H_ReAct", "ReAct-prompt items that must not call a tool, whose reply calls one; lower is better"),
    "h_general": (
        "H_General",
        "general-prompt items that must not call a tool, whose reply calls one; lower is better",
    ),
    "relevance": ("Relevance", "items that must call a tool, whose reply calls one"),
    "balanced": ("Balanced", "harmonic mean of HScore and relevance: low unless both are high"),
    "hscore_keyword": ("HScore (keywords)", "HScore from the paper's keyword test, closest to the paper's Agent-H"),
    "h_react_keyword": ("H_ReAct (keywords)", "reply contains 'Thought:' / 'Action:'"),
    "h_general_keyword": ("H_General (keywords)", "reply contains 'I will use', 'I need to call', ..."),
    "relevance_expected_tool": ("Relevance (expected tool)", "must-call items whose reply calls the expected tool"),
    "relevance_args_valid": ("Relevance (valid arguments)", "... and whose arguments parse to an object"),
    "accuracy": ("Accuracy", "all items: calls exactly when it should"),
}
RECIPE_KEYS = (
    "model_name_or_path",
    "dataset_name",
    "dataset_configs",
    "chat_template_path",
    "load_in_4bit",
    "bnb_4bit_quant_type",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "lora_target_modules",
    "learning_rate",
    "lr_scheduler_type",
    "warmup_steps",
    "num_train_epochs",
    "max_steps",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "max_length",
    "packing",
    "seed",
)
# The first line of the card's body: `agent-flan push --type model` publishes only a README that carries it, so
# TRL's placeholder card (written by `save_model`: "fine-tuned version of [None]", a local `base_model`) never
# leaves. The repo the card was rendered for follows it (" for ORG/NAME"), so push can tell a card made for
# another repo.
KIT_CARD_MARKER = "agent-flan-kit model card"
_MARKER_LINE = re.compile(r"<!-- " + re.escape(KIT_CARD_MARKER) + r"(?: for (?P<repo>[^\s:]+))?:")
# model-index entries of the public benchmarks run by `agent-flan eval --suite bfcl / when2call`:
# key -> (task name, dataset id, dataset name, config, split, metric name, benchmark repo, commit)
_BFCL = ("gorilla-llm/Berkeley-Function-Calling-Leaderboard", "BFCL v4", "ShishirPatil/gorilla")
_BFCL_COMMIT = "6ea57973c7a6097fd7c5915698c54c17c5b1b6c8"  # bfcl-eval 2026.3.23
_W2C = ("nvidia/When2Call", "When2Call", "NVIDIA/When2Call")
_W2C_COMMIT = "ecc8d42388e91ab37e7e737d48e16e8ecea3d1dc"
SUITE_INDEX = {
    "bfcl_irrelevance": ("Function calling: irrelevance", *_BFCL[:2], "irrelevance", "BFCL irrelevance", _BFCL),
    "bfcl_live_irrelevance": (
        "Function calling: irrelevance",
        *_BFCL[:2],
        "live_irrelevance",
        "BFCL live_irrelevance",
        _BFCL,
    ),
    "bfcl_irrelevance_detection": (
        "Function calling: irrelevance",
        *_BFCL[:2],
        "irrelevance+live_irrelevance",
        "BFCL Irrelevance Detection",
        _BFCL,
    ),
    "bfcl_relevance": ("Function calling: relevance", *_BFCL[:2], "live_relevance", "BFCL Relevance Detection", _BFCL),
    "when2call_f1": ("When to call tools", *_W2C[:2], "test/mcq", "When2Call macro-F1 (log-likelihood MCQ)", _W2C),
    "when2call_acc_norm": ("When to call tools", *_W2C[:2], "test/mcq", "When2Call acc-norm (MCQ)", _W2C),
    "when2call_tool_hallucination": (
        "When to call tools",
        *_W2C[:2],
        "test/mcq",
        "When2Call tool hallucination rate (MCQ, lower is better)",
        _W2C,
    ),
    "when2call_gen_tool_hallucination": (
        "When to call tools",
        *_W2C[:2],
        "test",
        "When2Call tool hallucination, generation judged by the Agent-FLAN kit's detector (not the MCQ protocol)",
        _W2C,
    ),
}
CAPABILITY_ORDER = ("reasoning", "retrieval", "understanding", "instruction", "answer", "none", "negative")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class TrainingRun:
    """What a training output folder holds, each part None when absent or unreadable."""

    folder: Path
    metrics: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    recipe_file: str | None = None
    adapter: dict[str, Any] | None = None
    results: dict[str, Any] | None = None
    results_file: str | None = None
    chat_template: str | None = None
    generation: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    def get(self, *path: str) -> Any:
        """`metrics[path...]`, or None anywhere along the way."""
        value: Any = self.metrics
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value


def _read_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(f"{path.name}: unreadable ({exc})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path.name}: not a JSON object")
        return None
    return data


def read_training_run(folder: Path, results: Path | None = None) -> TrainingRun:
    """Collect the files of a training output folder; unreadable ones are noted, not fatal."""
    import yaml

    folder = Path(folder)
    run = TrainingRun(folder)
    run.metrics = _read_json(folder / METRICS_FILE, run.problems)
    for name in CONFIG_FILES:
        path = folder / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            match = re.search(r"^# recipe: (.+)$", text, flags=re.MULTILINE)
            run.recipe_file = match.group(1).strip() if match else None
            try:
                loaded = yaml.safe_load(text)
                run.config = loaded if isinstance(loaded, dict) else None
            except yaml.YAMLError as exc:
                run.problems.append(f"{name}: unreadable ({exc})")
            break
    run.adapter = _read_json(folder / "adapter_config.json", run.problems)
    run.generation = _read_json(folder / "generation_config.json", run.problems)
    template = folder / "chat_template.jinja"
    if template.is_file():
        run.chat_template = template.read_text(encoding="utf-8")
    candidates = [results] if results is not None else [folder / name for name in EVAL_FILES]
    for path in candidates:
        data = _read_json(Path(path), run.problems)
        if data is not None:
            run.results = data
            run.results_file = Path(path).name
            break
    return run


def _hub_id(value: Any) -> str | None:
    """A Hub id (org/name) that is not also a local path: only those belong in `base_model` / `datasets`."""
    if isinstance(value, str) and _HUB_ID.match(value) and not Path(value).exists():
        return value
    return None


def base_model(run: TrainingRun) -> str | None:
    for value in (
        run.get("model", "hub_id"),
        run.get("model", "name_or_path"),
        (run.config or {}).get("model_name_or_path"),
        (run.adapter or {}).get("base_model_name_or_path"),
    ):
        if _hub_id(value):
            return value
    return None


def _local_base_licence(run: TrainingRun) -> str | None:
    """The licence in a local base model's own card (a prepared offline model), when there is one."""
    import yaml

    path = run.get("model", "path")
    if not isinstance(path, str) or not (Path(path) / "README.md").is_file():
        return None
    text = (Path(path) / "README.md").read_text(encoding="utf-8", errors="replace")
    match = re.match(r"^---\r?\n(.*?)\r?\n---", text, flags=re.DOTALL)
    try:
        meta = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError:  # a foreign card that does not parse just means "unknown"
        return None
    licence_id = meta.get("license") if isinstance(meta, dict) else None
    return licence_id if isinstance(licence_id, str) else None


def licence(run: TrainingRun) -> tuple[str | None, str]:
    """(licence id, sentence): the adapter inherits the base model's licence."""
    base = base_model(run)
    found = base_model_licence(base) or _local_base_licence(run)
    if found:
        return found, f"`{found}`, inherited from the base model{f' `{base}`' if base else ''}"
    return None, (
        "The base model's licence applies; it could not be determined offline, so the metadata says "
        "`license: other` until you replace it with the base model's"
    )


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return NOT_MEASURED
    seconds = float(seconds)
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _hardware(run: TrainingRun) -> str:
    hw = run.get("hardware")
    if not isinstance(hw, dict):
        return NOT_MEASURED
    if hw.get("gpu"):
        count = hw.get("gpu_count") or 1
        memory = f" ({hw['gpu_memory_gib']} GiB each)" if hw.get("gpu_memory_gib") else ""
        cuda = f", CUDA {hw['cuda']}" if hw.get("cuda") else ""
        text = f"{count} x {hw['gpu']}{memory}{cuda}"
    else:
        text = f"CPU only ({hw.get('cpu_count') or '?'} cores)"
    if hw.get("torch"):
        text += f", torch {hw['torch']}"
    if hw.get("processes") and hw["processes"] > 1:
        text += f", {hw['processes']} processes"
    return text


def _peak_memory(run: TrainingRun) -> str:
    hw = run.get("hardware") or {}
    if not isinstance(hw, dict):
        return NOT_MEASURED
    if hw.get("gpu_peak_allocated_gib") is not None:
        return f"{hw['gpu_peak_allocated_gib']} GiB GPU (peak allocated)"
    if hw.get("cpu_max_rss_gib") is not None:
        return f"{hw['cpu_max_rss_gib']} GiB RAM (peak RSS)"
    return NOT_MEASURED


def _capability_losses(run: TrainingRun) -> list[tuple[str, str]]:
    losses = run.get("train", "loss_by_capability")
    if not isinstance(losses, dict) or not losses:
        return []
    names = [n for n in CAPABILITY_ORDER if n in losses] + sorted(n for n in losses if n not in CAPABILITY_ORDER)
    return [(name, or_missing(losses[name], 4)) for name in names]


def _eval_rows(run: TrainingRun) -> list[dict[str, str]]:
    """The five contract metrics always (missing ones 'not measured'), then any optional one present."""
    summary = (run.results or {}).get("summary")
    if not isinstance(summary, dict):
        return []
    intervals = summary.get("ci95") if isinstance(summary.get("ci95"), dict) else {}
    keys = list(SUMMARY_KEYS) + [k for k in SUMMARY_NAMES if k not in SUMMARY_KEYS and summary.get(k) is not None]
    rows = []
    for key in keys:
        interval = intervals.get(key)
        ci = (
            f"{interval[0]:.1f} – {interval[1]:.1f}"
            if isinstance(interval, (list, tuple))
            and len(interval) == 2
            and all(isinstance(v, (int, float)) for v in interval)
            else "—"
        )
        name, meaning = SUMMARY_NAMES[key]
        rows.append({"key": key, "name": name, "meaning": meaning, "value": or_missing(summary.get(key), 1), "ci": ci})
    return rows


def _recipe_rows(run: TrainingRun) -> list[tuple[str, str]]:
    config = run.config or {}
    rows = []
    for key in RECIPE_KEYS:
        if key in config:
            value = config[key]
            rows.append((key, ", ".join(map(str, value)) if isinstance(value, list) else str(value)))
    return rows


def _dataset_id(run: TrainingRun, dataset_id: str | None) -> tuple[str | None, str]:
    """(Hub id for the metadata or None, what to print)."""
    name = dataset_id or run.get("data", "dataset") or (run.config or {}).get("dataset_name")
    return (_hub_id(name), str(name)) if name else (None, NOT_MEASURED)


def _suite_results(summary: dict[str, Any]) -> list:
    """model-index entries for the BFCL and When2Call keys a results file holds, each citing the
    benchmark's version and commit (from the results' `summary.suites`, else the kit's pinned ones)."""
    from huggingface_hub import EvalResult

    suites = summary.get("suites") if isinstance(summary.get("suites"), dict) else {}
    out = []
    for key, (task, dataset_type, dataset_name, config, metric_name, source) in SUITE_INDEX.items():
        value = summary.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        suite = "bfcl" if key.startswith("bfcl") else "when2call"
        detail = suites.get(suite) if isinstance(suites.get(suite), dict) else {}
        data = detail.get("data") if isinstance(detail.get("data"), dict) else {}
        upstream = str(data.get("upstream") or f"{source[2]}@{_BFCL_COMMIT if suite == 'bfcl' else _W2C_COMMIT}")
        repo, _, commit = upstream.partition("@")
        judge = (detail.get("judge") or {}).get("judge") if isinstance(detail.get("judge"), dict) else None
        out.append(
            EvalResult(
                task_type="text-generation",
                task_name=task,
                dataset_type=dataset_type,
                dataset_name=dataset_name,
                dataset_config=config,
                dataset_split="test",
                metric_type=key,
                metric_name=metric_name,
                metric_value=round(float(value), 2),
                source_name=f"{dataset_name} ({repo}@{commit[:8]}" + (f", judged by {judge})" if judge else ")"),
                source_url=f"https://github.com/{repo}/tree/{commit}" if commit else f"https://github.com/{repo}",
            )
        )
    return out


def card_data(run: TrainingRun, repo_id: str | None, dataset_id: str | None):
    from huggingface_hub import EvalResult, ModelCardData

    base = base_model(run)
    licence_id, _ = licence(run)
    hub_dataset, _ = _dataset_id(run, dataset_id)
    quantized = bool(run.get("model", "quantization"))
    tags = ["agent-flan", "agent", "function-calling", "tool-use", "trl", "sft"]
    if run.adapter is not None:
        tags += ["lora", "qlora"] if quantized else ["lora"]
    eval_results = []
    summary = (run.results or {}).get("summary") or {}
    for key in SUMMARY_KEYS:
        value = summary.get(key) if isinstance(summary, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            eval_results.append(
                EvalResult(
                    task_type="text-generation",
                    task_name="Agent hallucination (Agent-H, rebuilt)",
                    dataset_type=hub_dataset or "agent-flan",
                    dataset_name="Agent-H (rebuilt)",
                    dataset_config="agent_h",
                    dataset_split="test",
                    metric_type=key,
                    metric_name=SUMMARY_NAMES[key][0],
                    metric_value=round(float(value), 2),
                )
            )
    eval_results += _suite_results(summary if isinstance(summary, dict) else {})
    extra: dict[str, Any] = {}
    if licence_id is None:
        extra.update(license_name="base-model-licence", license_link="README.md")
    return ModelCardData(
        base_model=base,
        library_name="peft" if run.adapter is not None else "transformers",
        license=licence_id or "other",
        datasets=[hub_dataset] if hub_dataset else None,
        language=["en"],
        pipeline_tag="text-generation",
        tags=tags,
        model_name=(repo_id.split("/")[-1] if repo_id else "agent-flan-lora") if eval_results else None,
        eval_results=eval_results or None,
        **extra,
    )


def context(run: TrainingRun, repo_id: str | None = None, dataset_id: str | None = None) -> dict[str, Any]:
    base = base_model(run)
    licence_id, licence_text = licence(run)
    hub_dataset, dataset_text = _dataset_id(run, dataset_id)
    lora = run.get("model", "lora") or {}
    adapter = run.adapter or {}
    data = run.get("data") or {}
    train = run.get("train") or {}
    template_name = run.get("template", "name") or (run.config or {}).get("chat_template_path")
    eos = run.get("template", "eos_token_ids") or (run.generation or {}).get("eos_token_id")
    summary = (run.results or {}).get("summary") or {}
    items = (run.results or {}).get("items")
    return {
        "repo": repo_id or "ORG/agent-flan-lora",
        "repo_given": repo_id is not None,
        "base": base
        or run.get("model", "name_or_path")
        or (run.config or {}).get("model_name_or_path")
        or adapter.get("base_model_name_or_path")
        or NOT_MEASURED,
        "base_is_hub": base is not None,
        "is_adapter": run.adapter is not None,
        "quantization": run.get("model", "quantization") or ("not quantized" if run.metrics else NOT_MEASURED),
        "dtype": or_missing(run.get("model", "dtype")),
        "lora_r": or_missing(lora.get("r", adapter.get("r"))),
        "lora_alpha": or_missing(lora.get("alpha", adapter.get("lora_alpha"))),
        "lora_dropout": or_missing(lora.get("dropout", adapter.get("lora_dropout"))),
        "lora_targets": or_missing(_targets(lora.get("target_modules", adapter.get("target_modules")))),
        "recipe_file": _short_recipe(run.recipe_file) or NOT_MEASURED,
        "recipe_rows": _recipe_rows(run),
        "dataset": dataset_text,
        "dataset_hub": hub_dataset,
        "configs": ", ".join(data.get("configs") or (run.config or {}).get("dataset_configs") or []) or NOT_MEASURED,
        "rows": or_missing(data.get("rows")),
        "samples": or_missing(data.get("samples")),
        "tokens": or_missing(data.get("tokens")),
        "trained_tokens": or_missing(data.get("trained_tokens")),
        "dropped_no_trained": or_missing(data.get("dropped_no_trained_turns")),
        "dropped_truncated": or_missing(data.get("dropped_truncated")),
        "truncated_kept": or_missing(data.get("truncated_kept")),
        "max_length": or_missing(train.get("max_length", data.get("max_length"))),
        "packing": or_missing(train.get("packing", data.get("packing"))),
        "steps": or_missing(train.get("global_step")),
        "epochs": or_missing(train.get("epochs")),
        "learning_rate": or_missing(train.get("learning_rate")),
        "effective_batch": or_missing(train.get("effective_batch")),
        "final_loss": or_missing(train.get("final_loss"), 4),
        "train_loss": or_missing(train.get("train_loss"), 4),
        "capability_losses": _capability_losses(run),
        "eval_loss": or_missing((run.get("eval") or {}).get("eval_loss"), 4),
        "tokens_per_second": or_missing(train.get("tokens_per_second"), 1),
        "runtime": _duration(train.get("train_runtime_s")),
        "wall": _duration(train.get("wall_time_s")),
        "hardware": _hardware(run),
        "peak_memory": _peak_memory(run),
        "versions": ", ".join(f"{k} {v}" for k, v in sorted((run.get("versions") or {}).items())) or NOT_MEASURED,
        "template_name": template_name or NOT_MEASURED,
        "end_of_turn": _visible(run.get("template", "end_of_turn")),
        "eos": ", ".join(map(str, eos)) if isinstance(eos, list) else or_missing(eos),
        "chat_template": run.chat_template,
        "eval_rows": _eval_rows(run),
        "eval_file": run.results_file,
        "eval_items": len(items) if isinstance(items, list) else None,
        "eval_model": (run.results or {}).get("model"),
        "has_hscore": isinstance(summary, dict) and isinstance(summary.get("hscore"), (int, float)),
        "paper_agent_h": PAPER_AGENT_H,
        "has_metrics": run.metrics is not None,
        "problems": run.problems,
        "licence_id": licence_id,
        "licence_text": licence_text,
        "bibtex": BIBTEX,
        "marker": KIT_CARD_MARKER,
    }


def kit_card_marker(text: str) -> tuple[bool, str | None]:
    """(whether `text` is a model card this module rendered, the repo id it was rendered for or None)."""
    match = _MARKER_LINE.search(text)
    return (match is not None, match.group("repo") if match else None)


def _short_recipe(path: str | None) -> str | None:
    """`/home/me/kit/training/recipes/x.yaml` -> `training/recipes/x.yaml`: where it lives in the kit, not on a disk."""
    if not path:
        return None
    marker = "training/recipes/"
    return path[path.index(marker) :] if marker in path else path


def _visible(text: Any) -> str | None:
    """An end-of-turn marker as a reader can see it: `<|im_end|>`, or U+0D3F for the Agent-FLAN template."""
    if not isinstance(text, str) or not text:
        return None
    if text.isascii() and text.isprintable():
        return f"`{text}`"
    return " ".join(f"U+{ord(ch):04X}" for ch in text)


def _targets(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set)):
        return ", ".join(sorted(map(str, value)))
    return str(value)


def render_model_card(
    folder: Path, results: Path | None = None, repo_id: str | None = None, dataset_id: str | None = None
) -> str:
    """README.md for a training output folder (adapter or full model), whatever subset of files it holds."""
    from huggingface_hub import ModelCard

    run = read_training_run(Path(folder), results)
    data = card_data(run, repo_id, dataset_id)
    body = render("model_card.md.j2", **context(run, repo_id, dataset_id))
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n{body}"))
