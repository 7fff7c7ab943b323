"""`agent-flan card` and `agent-flan push`, registered on the main CLI's subparsers.

Wiring (agent_flan/cli.py, in `make_parser()`): `from agent_flan.cards.cli import add_commands as add_card_commands`
then `add_card_commands(commands)`. Handlers return exit codes and raise `BadInputError` for user
errors (the main CLI prints it and exits 2). Heavy imports (datasets, huggingface_hub) happen inside
the handlers so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent_flan.core.errors import BadInputError

CARD_EPILOG = """examples:
  agent-flan card agent-flan                               # dataset folder: build_report.json + data files
  agent-flan card agent-flan --repo me/agent-flan          # snippets load the Hub id instead of the folder
  agent-flan card out/agent-flan-lora --type model --eval results.json --repo me/agent-flan-lora
  agent-flan card space --type space --model HuggingFaceTB/SmolLM2-135M-Instruct --adapter me/agent-flan-lora
  agent-flan card agent-flan --out -                       # print instead of writing README.md

The type is guessed from the folder when --type is left out: build_report.json -> dataset,
adapter_config.json / metrics.json -> model, app.py -> space. A Space card keeps the body of an
existing README.md and re-renders only its front matter (sdk_version = the installed gradio)."""

PUSH_EPILOG = """examples:
  agent-flan push agent-flan --repo me/agent-flan --dry-run            # list files and sizes, no network
  agent-flan push agent-flan --repo me/agent-flan --type dataset
  agent-flan push out/agent-flan-lora --repo me/agent-flan-lora --type model --private
  agent-flan push space --repo me/agent-flan-chat --type space --revision staging

Token: huggingface_hub's get_token() (HF_TOKEN, else the login cache of `hf auth login`); never printed or written.
Checks (the dry run lists them): a model README that is not the kit's card (TRL's placeholder), a local path in
a card's metadata, or a placeholder owner ORG/ in a Space's requirements.txt refuses the push (exit 2); examples
that load another repo, ORG/ placeholders in a card and a model card without Agent-H numbers are warnings.
A file that contains that token (text or binary, e.g. a pickled training_args.bin) is never
uploaded: push (and --dry-run) stops with exit 2 and names the file.
Deadline: each Hub API call (create repo, branch, preupload, commit) must be answered in full within
--timeout seconds (default 60), and a file transfer fails after --timeout seconds without data; a Hub
that accepts the connection and never answers is reported (exit 2) after about --timeout seconds.
Exit 2 with one line for a folder that does not validate, a bare repo name, no token, a file holding
the token, no network, a Hub that does not answer in time, and the Hub's 401 / 403 / 404 answers."""


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `card` and `push` on the main `agent-flan` subparsers."""
    card = subparsers.add_parser(
        "card",
        help="(re)render the README.md card of a dataset, model or Space folder",
        description="Render the Hub card (YAML metadata + prose) for a folder: a dataset folder from "
        "`agent-flan build` (reads build_report.json and the Parquet files), a training output "
        "folder from `agent-flan train` (metrics.json, training_config.yaml, eval results), or "
        "a Gradio Space folder (front matter for space/README.md).",
        epilog=CARD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    card.add_argument("folder", type=Path, help="the folder to render a card for")
    card.add_argument("--type", choices=("dataset", "model", "space"), help="what the folder holds (default: guessed)")
    card.add_argument("--repo", metavar="ORG/NAME", help="the Hub id it will be pushed to (used in the examples)")
    card.add_argument(
        "--out", metavar="FILE", help="where to write the card (default: FOLDER/README.md; '-' prints it)"
    )
    card.add_argument(
        "--eval",
        type=Path,
        metavar="RESULTS.json",
        help="model: `agent-flan eval --out` results (default: results.json in the folder, if any)",
    )
    card.add_argument("--dataset", metavar="ORG/NAME", help="model / space: the dataset repo it was trained on")
    card.add_argument("--model", metavar="ID", help="space: the base (or merged) model the app loads")
    card.add_argument("--adapter", metavar="ID", help="space: the LoRA adapter the app puts on the model")
    card.add_argument("--hardware", metavar="FLAVOR", help="space: suggested_hardware, e.g. zero-a10g or t4-small")
    card.add_argument("--title", help="space: the Space's title")
    card.set_defaults(handler=run_card)

    push = subparsers.add_parser(
        "push",
        help="validate a folder and publish it to the Hugging Face Hub",
        description="Check the folder (a dataset must pass `agent-flan validate`; a model needs weights and a card; "
        "a Space needs its app file and front matter), create the repo if missing and upload the "
        "folder in one commit with huggingface_hub. --dry-run lists every file and its size and makes "
        "no network call.",
        epilog=PUSH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    push.add_argument("folder", type=Path, help="the folder to upload")
    push.add_argument("--repo", required=True, metavar="ORG/NAME", help="target repo id, owner included")
    push.add_argument(
        "--type", choices=("dataset", "model", "space"), help="repo type (default: guessed from the folder)"
    )
    push.add_argument(
        "--private", action="store_true", help="create the repo private (an existing repo keeps its setting)"
    )
    push.add_argument("--revision", metavar="BRANCH", help="commit to this branch, created if missing (default: main)")
    push.add_argument("--dry-run", action="store_true", help="print what would be uploaded; no network call")
    push.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="also skip files matching this glob (repeatable), e.g. rejected.jsonl",
    )
    push.add_argument("--message", metavar="TEXT", help="commit message (default: one made from the folder's report)")
    push.add_argument(
        "--own-card",
        action="store_true",
        help="model: publish a README.md that `agent-flan card` did not write (by default only the kit's card is "
        "published, never TRL's placeholder); the metadata and placeholder checks still apply",
    )
    push.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds each Hub API call may take in all, and a file transfer may stay silent, before "
        "the push fails with exit 2 (default 60)",
    )
    push.set_defaults(handler=run_push)


def _guess_card_type(folder: Path) -> str:
    from agent_flan.cards.push import detect_type

    return detect_type(folder)


def _render_dataset(args: argparse.Namespace) -> str:
    import json

    from agent_flan.cards.dataset_card import render_dataset_card

    report_path = args.folder / "build_report.json"
    if not report_path.is_file():
        raise BadInputError(f"{args.folder}: no build_report.json (not a folder written by `agent-flan build`)")
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{report_path}: line {exc.lineno}: not JSON ({exc.msg})") from exc
    try:
        return render_dataset_card(report, args.folder, repo_id=args.repo)
    except (KeyError, TypeError) as exc:
        raise BadInputError(
            f"{report_path}: missing or malformed field {exc} (was it written by this kit's build?)"
        ) from exc
    except ValueError as exc:
        raise BadInputError(str(exc)) from exc


def _render_model(args: argparse.Namespace) -> str:
    from agent_flan.cards.model_card import render_model_card

    if args.eval is not None and not args.eval.is_file():
        raise BadInputError(f"--eval {args.eval}: no such file")
    return render_model_card(args.folder, results=args.eval, repo_id=args.repo, dataset_id=args.dataset)


def _render_space(args: argparse.Namespace) -> str:
    from agent_flan.cards.space_card import render_space_card, split_front_matter

    readme = args.folder / "README.md"
    body = None
    existing: dict = {}
    if readme.is_file():
        import yaml

        block, rest = split_front_matter(readme.read_text(encoding="utf-8"))
        body = rest if rest.strip() else None
        loaded = yaml.safe_load(block) if block else None
        existing = loaded if isinstance(loaded, dict) else {}
    models = existing.get("models") or []
    datasets = existing.get("datasets") or []
    try:
        return render_space_card(
            args.model or (models[0] if models else None),
            args.adapter or (models[1] if len(models) > 1 else None),
            args.dataset or (datasets[0] if datasets else None),
            title=args.title or existing.get("title") or "Agent-FLAN Chat",
            license=existing.get("license") or "apache-2.0",
            hardware=args.hardware or existing.get("suggested_hardware"),
            body=body,
        )
    except ValueError as exc:
        raise BadInputError(str(exc)) from exc


def run_card(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise BadInputError(f"{args.folder}: not a folder")
    if args.repo is not None:
        from agent_flan.cards.push import check_repo_id

        check_repo_id(args.repo)
    kind = args.type or _guess_card_type(args.folder)
    text = {"dataset": _render_dataset, "model": _render_model, "space": _render_space}[kind](args)
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    target = Path(args.out) if args.out else args.folder / "README.md"
    target.write_text(text, encoding="utf-8")
    print(f"wrote {kind} card {target} ({len(text.splitlines())} lines)")
    return 0


def run_push(args: argparse.Namespace) -> int:
    from agent_flan.cards.push import push

    try:
        return push(
            args.folder,
            args.repo,
            args.type,
            private=args.private,
            revision=args.revision,
            dry_run=args.dry_run,
            excludes=args.exclude,
            message=args.message,
            timeout=args.timeout,
            own_card=args.own_card,
        )
    except RuntimeError as exc:  # an HTTP failure that is not the user's to fix (5xx, malformed answer)
        print(f"agent-flan push: error: {exc}", file=sys.stderr)
        return 1
