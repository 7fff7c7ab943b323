"""`agent-flan` subcommands. Heavy imports happen inside each command so `--help` stays instant.

Exit codes: 0 success, 2 bad input or usage (the message names the file, line or record id),
1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent_flan.cards.cli import add_commands as add_card_commands
from agent_flan.evaluation.cli import add_commands as add_eval_commands
from agent_flan.space.cli import add_commands as add_space_commands
from agent_flan.training.cli import COMMANDS as TRAINING_COMMANDS
from agent_flan.training.cli import add_commands as add_training_commands
from agent_flan.training.cli import run_command as run_training_command

BUILD_EXAMPLES = """examples:
  agent-flan build                                   # embedded samples, offline, writes ./agent-flan
  agent-flan build --agentinstruct THUDM/AgentInstruct --toolbench data/toolllama_G123_dfs_train.json \\
                   --glaive glaiveai/glaive-function-calling-v2 --out agent-flan --seed 0
  agent-flan build --release internlm/Agent-FLAN      # import and fix the official release
  agent-flan build --toolbench my_answers/ --only-given --on-error skip
  agent-flan build --out old-experiment --overwrite   # replace a folder agent-flan did not write
  agent-flan build --toolbench data/toolllama_G123_dfs_train.json \\
                   --responder-url http://localhost:8000 --responder-model Qwen/Qwen2.5-7B-Instruct

then, from the folder that holds agent-flan/:
  python -c "import datasets; print(datasets.load_dataset('agent-flan'))"
"""


def _add_build(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "build",
        help="build the Agent-FLAN dataset folder from its sources",
        description="Rebuild the Agent-FLAN mixture from AgentInstruct, ToolBench, glaive and general chat "
        "(or import the official release) into a typed, Hub-ready dataset folder. A source you do not "
        "name falls back to its embedded sample, so the command runs offline with no arguments.",
        epilog=BUILD_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for name, what in (
        ("agentinstruct", "AgentInstruct (THUDM/AgentInstruct)"),
        ("toolbench", "ToolBench training conversations or DFSDT answer files"),
        ("glaive", "glaive-function-calling-v2 (Agent-H and negatives)"),
        ("general", "general chat, ShareGPT or messages layout (optional)"),
        ("release", "the official Agent-FLAN release (internlm/Agent-FLAN): import and fix it"),
    ):
        parser.add_argument(f"--{name}", metavar="SRC", help=f"{what}: a file, a folder or a Hub dataset id")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("agent-flan"),
        help="output folder (default: ./agent-flan). It is replaced only when it is missing, empty, or "
        "a dataset folder agent-flan build wrote (build_report.json, README.md, recipe.yaml, "
        "data/<config>/*.parquet, rejected.jsonl, nothing else); anything else is refused with "
        "exit 2. Never a file, a symlink, the current or home folder (or one holding them), a "
        "folder holding an input, or one inside an input folder. One build per --out at a time "
        "(.NAME.lock beside it; a second build exits 2)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --out even when it is a folder agent-flan build did not write (its files are "
        "deleted); the never-cases above still apply",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed for every sampled choice (default: the recipe's, 0)"
    )
    parser.add_argument(
        "--recipe", type=Path, help="YAML file with ratios, counts and knobs (see dataset_builder/recipes/)"
    )
    parser.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="fail: stop at the first malformed record (exit 2); skip: go on and write rejected.jsonl",
    )
    parser.add_argument(
        "--only-given",
        action="store_true",
        help="use only the sources named here; configs they cannot feed are left out",
    )
    responder = parser.add_argument_group(
        "negatives' replies",
        "By default negatives reuse the plain answers in glaive and general chat (offline). "
        "With a responder, ToolBench queries are answered with no tool information, as in the paper.",
    )
    responder.add_argument(
        "--responder-url",
        metavar="URL",
        help="OpenAI-compatible server (vLLM, TGI, ...); --responder-model names its model",
    )
    responder.add_argument(
        "--responder-model",
        metavar="PATH_OR_ID",
        help="served model name with --responder-url; otherwise a local transformers model",
    )
    responder.add_argument(
        "--responder-key-env",
        metavar="VAR",
        default="OPENAI_API_KEY",
        help="environment variable holding the server's API key (default: OPENAI_API_KEY)",
    )
    parser.add_argument(
        "--num-proc",
        type=int,
        default=1,
        metavar="N",
        help="processes for the transforms (output is identical for any N; default 1)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(handler=_run_build)


def _run_build(args: argparse.Namespace) -> int:
    from agent_flan.dataset_builder.recipe import BuildRecipe
    from agent_flan.dataset_builder.responders import ResponderSpec
    from agent_flan.pipeline import build_dataset as build

    recipe = BuildRecipe.load(args.recipe)
    if args.seed is not None:
        recipe.seed = args.seed
    report = build(
        args.out,
        {
            "agentinstruct": args.agentinstruct,
            "toolbench": args.toolbench,
            "glaive": args.glaive,
            "general": args.general,
        },
        release=args.release,
        recipe=recipe,
        on_error=args.on_error,
        only_given=args.only_given,
        progress=not args.no_progress and sys.stderr.isatty(),
        responder=ResponderSpec(args.responder_url, args.responder_model, args.responder_key_env),
        num_proc=args.num_proc,
        overwrite=args.overwrite,
    )
    for name, counts in report["sources"].items():
        print(
            f"{name:>14}: read {counts['read']}, written {counts['written']}, rejected {counts['rejected']}"
            + (f" {counts['rejected_by_reason']}" if counts["rejected"] else "")
        )
    for name, info in report["configs"].items():
        splits = ", ".join(f"{split} {stats['rows']}" for split, stats in info["splits"].items())
        print(f"{name:>22}: {splits}")
    for note in report["notes"]:
        print(f"note: {note}")
    for warning in report.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.out.resolve()}")
    return 0


def _add_validate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "validate",
        help="check a dataset folder against the schema and its card",
        description="Check every config declared in the card: files present, row counts as stated, roles valid, "
        "loss only on assistant turns, no empty assistant content, tools parse as function schemas, "
        "ids unique per config. Exit 0 when valid, 2 with every violation listed.",
        epilog="example:\n  agent-flan validate agent-flan",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=Path, help="dataset folder written by `agent-flan build`")
    parser.set_defaults(handler=_run_validate)


def _run_validate(args: argparse.Namespace) -> int:
    from agent_flan.dataset_builder.validate import validate_folder

    if not args.folder.is_dir():
        print(f"agent-flan validate: {args.folder}: not a folder", file=sys.stderr)
        return 2
    problems = validate_folder(args.folder)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found in {args.folder}", file=sys.stderr)
        return 2
    print(f"{args.folder}: valid")
    return 0


def _add_detect(commands: argparse._SubParsersAction) -> None:
    # Listed here for `agent-flan --help`; `main` hands its arguments to evaluation.detect_cli untouched.
    commands.add_parser("detect", help="judge whether one model reply (stdin) calls a tool; prints JSON")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-flan",
        description="Build, validate and evaluate the Agent-FLAN agent-tuning dataset.",
        epilog="run `agent-flan COMMAND --help` for a command's options and examples",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_build(commands)
    _add_validate(commands)
    _add_detect(commands)
    add_training_commands(commands)
    add_eval_commands(commands)
    add_card_commands(commands)
    add_space_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["detect"]:
        from agent_flan.evaluation.detect_cli import main as detect_main

        return detect_main(argv[1:])
    if argv[:1] and argv[0] in TRAINING_COMMANDS:
        # As `trl sft`: the command's own TrlParser reads everything after its name (recipe + --key value).
        command = argv[0]

        def handler() -> int:
            return run_training_command(command, argv[1:])
    else:
        args = make_parser().parse_args(argv)
        command = args.command

        def handler() -> int:
            return args.handler(args)

    from agent_flan.core.errors import BadInputError

    try:
        return int(handler() or 0)
    except BadInputError as exc:
        print(f"agent-flan {command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        after = {
            "build": "nothing was written to the output folder",
            "train": "checkpoints saved so far are kept; continue with --resume",
        }.get(command, "stopped")
        print(f"agent-flan {command}: interrupted; {after}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
