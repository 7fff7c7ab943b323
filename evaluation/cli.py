"""`agent-flan eval`: Agent-H style hallucination benchmark of a local model or an OpenAI-compatible server.

The main CLI registers it with `evaluation.cli.add_commands(commands)`; heavy imports
(torch, transformers, httpx, datasets) happen inside the handler so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EVAL_EPILOG = """\
examples:
  agent-flan build --out agent-flan                    # once: the dataset folder with the agent_h config
  agent-flan eval --model smollm2 --out results/smollm2.json
  agent-flan eval --model meta-llama/Llama-3.1-8B-Instruct --adapter out/agent-flan-qlora \\
                  --load-in-4bit --batch-size 16 --out results/ours.json
  agent-flan eval --endpoint http://127.0.0.1:8000/v1 --model-name Qwen/Qwen2.5-7B-Instruct \\
                  --concurrency 16 --out results/qwen.json     # e.g. a vLLM server; key from $OPENAI_API_KEY
  agent-flan eval --compare results/smollm2.json results/ours.json

what it measures (all 0-100, 95% bootstrap intervals):
  h_react / h_general  share of must-not-call items, by prompt style, whose reply calls a tool (detector);
                       *_keyword: the paper's keyword test ("Thought:"/"Action:", "I will use"...)
  hscore               ((100 - h_react) + (100 - h_general)) / 2, as in the Agent-FLAN paper
  relevance            share of must-call items whose reply calls a tool
  balanced             harmonic mean of hscore and relevance (a model that never calls scores 0)

Replies are cached in OUT.cache.jsonl as they arrive: run the same command again after an
interruption and only the missing items are generated. The Markdown table is printed and
written beside OUT (same name, .md).
"""


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `eval` on the main CLI's subparsers."""
    parser = subparsers.add_parser(
        "eval",
        help="measure tool-call hallucination (Agent-H) of a model or an endpoint",
        description="Run a model on the agent_h config of the Agent-FLAN dataset and score, with the shared "
        "tool-call detector, how often it calls tools it must not (HScore, as in the paper) and how "
        "often it calls them when it must (relevance), with a balanced score of the two.",
        epilog=EVAL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = parser.add_argument_group("what to evaluate (one of)")
    what.add_argument(
        "--model", metavar="PATH_OR_ID", help="local folder, Hub id, or `smollm2` (the prepared offline model)"
    )
    what.add_argument("--adapter", metavar="PATH_OR_ID", help="PEFT adapter to load on top of --model")
    what.add_argument(
        "--endpoint", metavar="URL", help="OpenAI-compatible server: http://host:port[/v1[/chat/completions]]"
    )
    what.add_argument("--model-name", metavar="NAME", help="model name to send to --endpoint")
    what.add_argument(
        "--compare",
        nargs=2,
        metavar=("A.json", "B.json"),
        type=Path,
        help="print two results files side by side instead of running anything",
    )

    data = parser.add_argument_group("data and output")
    data.add_argument(
        "--dataset",
        default="agent-flan",
        metavar="DIR_OR_ID",
        help="dataset folder or Hub id holding the agent_h config (default: ./agent-flan)",
    )
    data.add_argument("--split", default="test", help=argparse.SUPPRESS)
    data.add_argument("--limit", type=int, metavar="N", help="only the first N items (dataset order)")
    data.add_argument("--out", type=Path, default=Path("results.json"), help="results JSON (default: results.json)")
    data.add_argument("--cache", type=Path, metavar="FILE", help="reply cache (default: OUT with .cache.jsonl)")
    data.add_argument("--no-cache", action="store_true", help="neither read nor write the reply cache")
    data.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000)")
    data.add_argument("--seed", type=int, default=0, help="seed for bootstrap and sampling (default 0)")
    data.add_argument("--no-progress", action="store_true", help="no progress bar")

    gen = parser.add_argument_group("generation")
    gen.add_argument("--max-new-tokens", type=int, default=256, metavar="N", help="default 256")
    gen.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    gen.add_argument("--top-p", type=float, default=1.0, help="with --temperature > 0")
    gen.add_argument(
        "--native-tools",
        action="store_true",
        help="also pass the tools to the chat template / the API `tools` field (the system prompt "
        "already lists them in the item's style)",
    )

    local = parser.add_argument_group("local model")
    local.add_argument("--batch-size", type=int, default=8, metavar="N", help="prompts per generate() call (default 8)")
    local.add_argument("--load-in-4bit", action="store_true", help="NF4 quantisation through bitsandbytes")
    local.add_argument(
        "--dtype",
        default="auto",
        choices=("auto", "float32", "bfloat16", "float16"),
        help="auto: float32 on CPU, the checkpoint's dtype on GPU",
    )
    local.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    local.add_argument(
        "--chat-template", metavar="FILE.jinja", help="use this chat template instead of the tokenizer's"
    )
    local.add_argument("--trust-remote-code", action="store_true", help="allow the model repo's own Python code")
    local.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="CPU threads for generation (default: torch's; on a busy shared CPU, 1 can be much faster)",
    )

    remote = parser.add_argument_group("endpoint")
    remote.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="NAME",
        help="environment variable holding the API key (default OPENAI_API_KEY). The key is sent "
        "only in the Authorization header: never printed, and scrubbed from replies and errors "
        "before they reach the results, the reply cache or the terminal",
    )
    remote.add_argument("--concurrency", type=int, default=8, metavar="N", help="requests in flight (default 8)")
    remote.add_argument("--max-retries", type=int, default=5, metavar="N", help="retries per request (default 5)")
    remote.add_argument(
        "--retry-wait",
        type=float,
        default=1.0,
        metavar="S",
        help="first backoff in seconds, doubled per retry (default 1)",
    )
    remote.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="deadline of one whole request: connect, send and the complete answer (default 120); "
        "a server that drips its answer is cut off at S seconds and the attempt counts as a "
        "timeout in the results (run.timeouts)",
    )
    remote.add_argument(
        "--retry-budget",
        type=float,
        default=None,
        metavar="S",
        help="all attempts for one item, backoff waits included, end within S seconds "
        "(default 3 x --timeout); then the run stops with exit 1 and keeps the cache",
    )
    parser.set_defaults(handler=run_eval)


def _check(args: argparse.Namespace) -> None:
    from agent_flan.core.errors import BadInputError

    if args.compare:
        if args.model or args.endpoint:
            raise BadInputError("--compare reads two results files; do not combine it with --model/--endpoint")
        return
    if bool(args.model) == bool(args.endpoint):
        raise BadInputError("give exactly one of --model PATH_OR_ID or --endpoint URL (or --compare A.json B.json)")
    if args.endpoint and not args.model_name:
        raise BadInputError("--endpoint needs --model-name NAME (the model the server serves)")
    if args.adapter and not args.model:
        raise BadInputError("--adapter applies to a local --model")
    for name in ("limit", "max_new_tokens", "batch_size", "concurrency", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise BadInputError(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_retries < 0 or args.bootstrap < 0:
        raise BadInputError("--max-retries and --bootstrap cannot be negative")
    if not args.timeout > 0 or (args.retry_budget is not None and not args.retry_budget > 0):
        raise BadInputError("--timeout and --retry-budget must be positive numbers of seconds")


def _compare(args: argparse.Namespace) -> int:
    from agent_flan.evaluation.report import compare_markdown, load_results

    first, second = (load_results(path) for path in args.compare)
    print(compare_markdown(first, second, (args.compare[0].name, args.compare[1].name)), end="")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """Handler of `agent-flan eval`; returns the exit code (bad input raises BadInputError -> 2)."""
    _check(args)
    if args.compare:
        return _compare(args)
    from agent_flan.core.errors import BadInputError
    from agent_flan.core.runners import GenerationSettings
    from agent_flan.evaluation.cache import ReplyCache
    from agent_flan.evaluation.items import load_items
    from agent_flan.evaluation.pipeline import evaluate
    from agent_flan.evaluation.report import markdown, write_results

    settings = GenerationSettings(
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
        native_tools=args.native_tools,
    )
    items = load_items(args.dataset, args.limit, args.split)
    if not items:
        raise BadInputError(f"{args.dataset}: the agent_h {args.split} split has no items")
    if args.endpoint:
        from agent_flan.core.runners.endpoint import (
            EndpointConfig,
            EndpointError,
            EndpointRunner,
        )

        runner = EndpointRunner(
            EndpointConfig(
                url=args.endpoint,
                model_name=args.model_name,
                api_key_env=args.api_key_env,
                concurrency=args.concurrency,
                max_retries=args.max_retries,
                timeout=args.timeout,
                backoff_base=args.retry_wait,
                retry_budget=args.retry_budget,
            ),
            settings,
        )
        failures: tuple[type[BaseException], ...] = (EndpointError,)
    else:
        from agent_flan.core.runners.local import LocalModelConfig, LocalRunner

        runner = LocalRunner.load(
            LocalModelConfig(
                model=args.model,
                adapter=args.adapter,
                load_in_4bit=args.load_in_4bit,
                dtype=args.dtype,
                device=args.device,
                trust_remote_code=args.trust_remote_code,
                chat_template=args.chat_template,
            ),
            settings,
            batch_size=args.batch_size,
            threads=args.threads,
        )
        failures = ()
    cache_path = None if args.no_cache else (args.cache or args.out.with_suffix(".cache.jsonl"))
    cache = ReplyCache(cache_path)
    progress = not args.no_progress
    try:
        result = evaluate(
            items,
            runner,
            settings,
            cache,
            progress=progress,
            resamples=args.bootstrap,
            seed=args.seed,
            run_info={
                "dataset": args.dataset,
                "split": args.split,
                "limit": args.limit,
                "cache": str(cache_path) if cache_path else None,
            },
        )
    except (KeyboardInterrupt, *failures) as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        kept = (
            f"{len(cache)} replies are cached in {cache_path}; run the same command again to resume"
            if cache_path
            else "--no-cache: nothing was kept"
        )
        print(f"agent-flan eval: {reason}\n{kept}", file=sys.stderr)
        return 1
    data = result.to_dict()
    json_path, md_path = write_results(data, args.out)
    print(markdown(data), end="")
    print(f"\nwrote {json_path} and {md_path} ({result.run['cached']} cached, {result.run['generated']} generated)")
    return 0
