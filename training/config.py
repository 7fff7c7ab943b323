"""Run configuration: one dataclass per concern, parsed by TRL's `TrlParser` (YAML recipe + CLI overrides).

`ModelArguments` is TRL's `ModelConfig` with the defaults this kit wants (4-bit NF4 + double
quantisation, LoRA on every linear projection), so recipes use `trl sft`'s key names. `DataArguments`
says which dataset folder/id and which configs to mix. Everything else is TRL's own `SFTConfig`, so any
SFTConfig field is an override (`--max_steps 2 --output_dir out`). A subcommand adds its own options as
one more dataclass in front (`make_parser(command=...)`), so its `--help` lists every field.
Precision is picked for the hardware before SFTConfig is built (it refuses bf16 on a CPU-only machine).

Secrets: `hub_token` (and any field in SECRET_FIELDS) is taken out of the parsed SFTConfig into
`TrainConfig.secrets` and its value is masked in the recorded overrides, so it never reaches
training_config.yaml, the pickled training_args.bin (output folder and checkpoints), logs or cards;
`export_secrets` hands it to huggingface_hub as HF_TOKEN for the Hub calls of the run.
A recipe that is not valid YAML is a user error naming the file and the line.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as _dt
import io
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trl import ModelConfig

from agent_flan.core.errors import BadInputError

# Arguments that carry credentials: never saved, pickled, logged or shown. The value goes to the env var.
SECRET_FIELDS: dict[str, str] = {"hub_token": "HF_TOKEN"}
MASK = "***"

# SFTConfig defaults this kit changes (a recipe or the command line still wins).
KIT_SFT_DEFAULTS: dict[str, Any] = {
    "packing": True,  # best-fit-decreasing packing, padding-free (turned off if the model can't)
    "packing_strategy": "bfd",
    "learning_rate": 2e-4,  # LoRA needs ~10x the full fine-tuning LR
    "lr_scheduler_type": "cosine",
    "warmup_steps": 0.03,
    "logging_steps": 10,
    "save_strategy": "steps",
    "save_steps": 200,
    "save_total_limit": 2,
    "report_to": "none",
    "output_dir": "out/agent-flan-lora",
}


@dataclass
class ModelArguments(ModelConfig):
    """TRL's `ModelConfig` (same field names, so a `trl sft` recipe's model block works here) with this kit's defaults:
    QLoRA (4-bit NF4 + double quantisation, LoRA on every linear layer), a dtype chosen for the hardware, and the
    named offline models. `training.run` turns it into BitsAndBytesConfig / LoraConfig with TRL's own
    `get_quantization_config` / `get_peft_config`, so the fields mean exactly what they mean in `trl sft`."""

    _argument_group_name = "model (trl.ModelConfig, with the kit's defaults)"

    model_name_or_path: str = field(
        default="smollm2",
        metadata={
            "help": "Hub id, local folder, or a named offline model (`smollm2`, see `agent-flan models prepare`)."
        },
    )
    dtype: str = field(
        default="auto",
        metadata={
            "help": "Weights/compute dtype (also the 4-bit compute dtype): auto = bf16 on GPUs that support it, fp16 "
            "on older GPUs, fp32 on CPU (the kit's meaning, not the checkpoint's dtype); or bfloat16, float16, "
            "float32.",
            "choices": ["auto", "bfloat16", "float16", "float32"],
        },
    )
    attn_implementation: str | None = field(
        default=None,
        metadata={
            "help": "sdpa (default), eager, flex_attention, or flash_attention_2 when flash-attn is installed; "
            "transformers checks that the model supports it."
        },
    )
    use_peft: bool = field(default=True, metadata={"help": "Train a LoRA adapter (off: full fine-tuning, no 4 bit)."})
    lora_target_modules: list[str] | None = field(
        default_factory=lambda: ["all-linear"],
        metadata={"help": "Modules that get adapters; `all-linear` = every linear projection except the output head."},
    )
    load_in_4bit: bool = field(default=True, metadata={"help": "QLoRA: load the base model in 4 bit (bitsandbytes)."})
    use_bnb_nested_quant: bool = field(
        default=True,
        metadata={"help": "Double quantisation: quantise the quantisation constants too (~0.4 bit/param saved)."},
    )
    bnb_4bit_quant_storage: str | None = field(
        default=None,
        metadata={
            "help": "Storage dtype of the 4-bit weights; FSDP+QLoRA needs it equal to the compute dtype (bfloat16)."
        },
    )

    def __post_init__(self) -> None:
        try:
            super().__post_init__()
        except ValueError as exc:  # "You can't use 8 bit and 4 bit precision at the same time"
            raise BadInputError(f"{exc}: set --load_in_4bit false to use --load_in_8bit") from None
        # TRL collapses a one-item list to a string; PEFT reads a string as a regex over full module names, so only
        # the special `all-linear` stays a string and a single module name stays a list (as PEFT matches names).
        modules = self.lora_target_modules
        if isinstance(modules, str) and modules != "all-linear":
            self.lora_target_modules = [modules]
        elif isinstance(modules, list) and modules == ["all-linear"]:
            self.lora_target_modules = "all-linear"
        if (self.load_in_4bit or self.load_in_8bit) and not self.use_peft:
            raise BadInputError(
                "load_in_4bit/load_in_8bit need use_peft: a quantised base model can only be trained through an adapter"
            )


@dataclass
class DataArguments:
    """Which rows to train on: a dataset folder or Hub id written by `agent-flan build`, and its configs to mix."""

    _argument_group_name = "data (the kit's DataArguments)"

    dataset_name: str = field(
        default="agent-flan",
        metadata={"help": "Dataset folder (./agent-flan after `agent-flan build`) or Hub id (org/agent-flan)."},
    )
    dataset_configs: list[str] = field(
        default_factory=lambda: ["default"],
        metadata={
            "help": "Configs to concatenate, e.g. `default`, or a list of component configs such as "
            "agent_instruct_tflan toolbench_tflan toolbench_negative."
        },
    )
    dataset_train_split: str = field(default="train", metadata={"help": "Split to train on."})
    dataset_test_split: str | None = field(
        default=None,
        metadata={"help": "Split to evaluate on (the `default` config has `validation`); none by default."},
    )
    general_dataset: str | None = field(
        default=None,
        metadata={
            "help": "Extra general chat data (folder or Hub id, `NAME:CONFIG` for a config) with a `messages` column."
        },
    )
    general_ratio: float | None = field(
        default=None,
        metadata={
            "help": "General rows per agent row. Unset: keep the data as built (the paper concatenates without "
            "resampling). A number: sample the general rows down to ratio x agent rows."
        },
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Keep only this many rows (smoke tests)."})
    render_tools: bool = field(
        default=True, metadata={"help": "Render a row's `tools` into the prompt through the chat template."}
    )

    def __post_init__(self) -> None:
        if isinstance(self.dataset_configs, str):
            self.dataset_configs = [name.strip() for name in self.dataset_configs.split(",") if name.strip()]
        if not self.dataset_configs:
            raise BadInputError("dataset_configs is empty: name at least one config (e.g. default)")
        if self.general_ratio is not None and self.general_ratio < 0:
            raise BadInputError(f"general_ratio must be >= 0, got {self.general_ratio}")


@dataclass
class TrainConfig:
    """The parsed run: the three dataclasses plus where they came from."""

    model: ModelArguments
    data: DataArguments
    sft: Any  # trl.SFTConfig
    recipe: str | None = None
    overrides: list[str] = field(default_factory=list)  # as given, secret values masked
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # SECRET_FIELDS taken out of `sft`
    command: Any = None  # the subcommand's own options (train: resume, merge; masks: n, format, color)


def _secret_flag(arg: str) -> str | None:
    """The secret field an override names (`--hub_token` / `--hub-token` / `--hub_token=...`), if any."""
    name = arg.split("=", 1)[0].lstrip("-").replace("-", "_")
    return name if arg.startswith("--") and name in SECRET_FIELDS else None


def mask_overrides(overrides: list[str]) -> list[str]:
    """The override list with the value of every secret option replaced by ***."""
    masked, hide_next = [], False
    for arg in overrides:
        if hide_next:
            masked.append(MASK)
            hide_next = False
            continue
        flag = _secret_flag(arg)
        if flag and "=" in arg:
            masked.append(arg.split("=", 1)[0] + "=" + MASK)
        else:
            masked.append(arg)
            hide_next = bool(flag)
    return masked


def _secret_values(overrides: list[str]) -> list[str]:
    values = [b for a, b in zip(overrides, overrides[1:]) if _secret_flag(a) and "=" not in a]
    values += [a.split("=", 1)[1] for a in overrides if _secret_flag(a) and "=" in a]
    return [v for v in values if v]


def scrub(text: str, secrets) -> str:
    for value in secrets:
        if value:
            text = text.replace(value, MASK)
    return text


def export_secrets(config: TrainConfig) -> None:
    """Put the run's secrets where the libraries read them (hub_token -> HF_TOKEN, which huggingface_hub's
    get_token reads on every call), never into the arguments the trainer saves."""
    for name, value in config.secrets.items():
        os.environ[SECRET_FIELDS[name]] = value


def check_recipe_yaml(path: Path) -> None:
    """A recipe must be a YAML mapping; a syntax error names the file, line and column (exit 2, no traceback)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        context = getattr(exc, "context", None)
        raise BadInputError(
            f"{path}: {where}YAML syntax error: {problem}" + (f" ({context})" if context else "")
        ) from None
    if data is not None and not isinstance(data, dict):
        raise BadInputError(f"{path}: a recipe is a YAML mapping of `field: value` lines, not a {type(data).__name__}")


def _hardware_defaults() -> dict[str, Any]:
    """Precision and device defaults for this machine, applied before SFTConfig validates them."""
    import torch

    if not torch.cuda.is_available():
        return {"use_cpu": True, "bf16": False, "fp16": False}
    if not torch.cuda.is_bf16_supported():
        return {"bf16": False, "fp16": True}  # T4 / V100: fp16 autocast (QLoRA paper: bf16 is the safer choice)
    return {"bf16": True, "fp16": False}


RECIPE_DIR = Path(__file__).resolve().parent / "recipes"


def resolve_recipe(config_path: str | os.PathLike) -> Path:
    """A recipe file path, or the name of a shipped recipe (`smollm2-135m`), so an installed kit finds its recipes."""
    path = Path(config_path)
    if path.is_file():
        return path
    shipped = RECIPE_DIR / (path.name if path.suffix in (".yaml", ".yml") else f"{path.name}.yaml")
    if shipped.is_file() and (path.parent == Path(".") or path.parent.as_posix().endswith("training/recipes")):
        return shipped
    names = ", ".join(sorted(p.stem for p in RECIPE_DIR.glob("*.yaml")))
    raise BadInputError(f"{config_path}: recipe file not found (shipped recipes: {names})")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults after each option's help (HfArgumentParser's choice) and the examples epilog as written."""


def make_parser(command: type | None = None, **parser_kwargs: Any):
    """The TrlParser for one run: [the command's own options,] ModelArguments, DataArguments, TRL SFTConfig.

    The kit's SFTConfig defaults and this machine's precision are set as parser defaults, so a recipe or
    `--key value` still wins and `--help` shows what a run would use."""
    from trl import SFTConfig, TrlParser

    types = ((command,) if command is not None else ()) + (ModelArguments, DataArguments, SFTConfig)
    parser_kwargs.setdefault("formatter_class", _HelpFormatter)
    parser_kwargs.setdefault("allow_abbrev", False)  # --max_step is a typo, not --max_steps
    parser = TrlParser(types, **parser_kwargs)
    parser.set_defaults(**KIT_SFT_DEFAULTS, **_hardware_defaults())
    if command is not None:  # TrlParser reads --config itself; listed so --help shows it
        parser.add_argument_group("recipe").add_argument(
            "--config",
            metavar="RECIPE.yaml",
            help="the recipe (training/recipes/*.yaml, or a shipped recipe's name such as smollm2-135m); "
            "every other option can be a `key: value` line in it, and `--key value` overrides it",
        )
    return parser


def parse_train_config(
    config_path: str | os.PathLike | None,
    overrides: list[str] | None = None,
    command: type | None = None,
    **parser_kwargs: Any,
) -> TrainConfig:
    """YAML recipe + `--key value` overrides -> TrainConfig, the TRL way (`TrlParser.parse_args_and_config`).

    `command` is an extra dataclass of the subcommand's own options (parsed into `TrainConfig.command`).
    `--help` prints the parser's help and raises SystemExit(0); every other parse failure is a BadInputError
    of one line, with secret values masked."""
    overrides = list(overrides or [])
    shown = mask_overrides(overrides)
    given_secrets = _secret_values(overrides)
    argv: list[str] = []
    if config_path is not None:
        path = resolve_recipe(config_path)
        check_recipe_yaml(path)
        argv = ["--config", str(path)]
    parser = make_parser(command, **parser_kwargs)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stderr(printed):  # argparse prints its whole usage; keep only its error line
            *parsed, recipe_left, cli_left = parser.parse_args_and_config(
                argv + overrides, return_remaining_strings=True, separate_remaining_strings=True
            )
    except SystemExit as exc:
        if exc.code in (0, None):  # --help: printed to stdout
            raise SystemExit(0) from None
        said = next(
            (line.split("error: ", 1)[1] for line in reversed(printed.getvalue().splitlines()) if "error: " in line), ""
        )
        raise BadInputError(
            scrub(f"bad option in {' '.join(shown) or config_path}" + (f": {said}" if said else ""), given_secrets)
        ) from None
    except (ValueError, TypeError) as exc:
        where = f"{config_path}: " if config_path else ""
        raise BadInputError(scrub(f"{where}{exc}", given_secrets)) from None
    if recipe_left:  # names only: a value may be a secret
        keys = ", ".join(item[2:] for item in recipe_left[::2])
        raise BadInputError(f"{config_path}: unknown recipe key(s): {keys} (see `--help` for the fields)")
    if cli_left:
        flags = " ".join(item for item in cli_left if item.startswith("-")) or "an extra value"
        raise BadInputError(scrub(f"unknown option(s): {flags} (see `--help` for the fields)", given_secrets))
    if printed.getvalue():  # warnings printed while parsing (deprecated fields): pass them on
        sys.stderr.write(scrub(printed.getvalue(), given_secrets))
    options = parsed[0] if command is not None else None
    model_args, data_args, sft_args = parsed[1:4] if command is not None else parsed[:3]  # then --config's Namespace
    secrets = {}
    for name in SECRET_FIELDS:
        value = getattr(sft_args, name, None)
        if value:
            secrets[name] = str(value)
            setattr(sft_args, name, None)  # the trainer pickles its arguments into training_args.bin
    return TrainConfig(
        model_args, data_args, sft_args, str(config_path) if config_path else None, shown, secrets, options
    )


def torch_dtype(model_args: ModelArguments, sft_args):
    """The dtype `auto` stands for on this run: the mixed-precision mode decides it."""
    import torch

    if model_args.dtype != "auto":
        return getattr(torch, model_args.dtype)
    if getattr(sft_args, "bf16", False):
        return torch.bfloat16
    if getattr(sft_args, "fp16", False):
        return torch.float16
    return torch.float32


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and type(value).__module__ != "builtins":  # enums
        return _plain(value.value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _changed_fields(instance: Any) -> dict[str, Any]:
    """Fields of a dataclass whose value differs from its class default (what a recipe needs to say)."""
    changed = {}
    for item in dataclasses.fields(instance):
        if not item.init or item.name.startswith("_"):
            continue
        if item.default is not dataclasses.MISSING:
            default = item.default
        elif item.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = item.default_factory()  # type: ignore[misc]
        else:
            default = object()
        value = getattr(instance, item.name)
        if _plain(value) != _plain(default):
            changed[item.name] = _plain(value)
    return changed


def resolved_config_yaml(
    config: TrainConfig, notes: dict[str, Any] | None = None, replace: dict[str, Any] | None = None
) -> str:
    """The run as one YAML recipe (reusable with `--config`), every resolved value spelled out.

    Model and data fields are all written; SFTConfig fields only where they differ from TRL's defaults
    (SFTConfig has ~140 fields). `notes` (hardware, resolved paths, versions) go in as comments.
    """
    import yaml

    sft = _changed_fields(config.sft)
    for secret in SECRET_FIELDS:
        sft.pop(secret, None)
    body = {**_plain(config.model), **_plain(config.data), **sft, **(replace or {})}
    body.pop("dataset_kwargs", None)  # set by the trainer itself (pre-tokenised rows), not a user choice
    header = [f"# resolved by agent-flan train at {_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}"]
    if config.recipe:
        header.append(f"# recipe: {config.recipe}")
    if config.overrides:
        header.append(f"# overrides: {' '.join(config.overrides)}")
    for key, value in (notes or {}).items():
        header.append(f"# {key}: {value}")
    text = "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    return scrub(text, config.secrets.values())  # belt and braces: a secret pasted into any other field
