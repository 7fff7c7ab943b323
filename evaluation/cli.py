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
  agent-flan eval --compare results/smollm2.json results/ours.json      # paired bootstrap on shared items
  agent-flan eval --model smollm2 --suite agent_h,bfcl,when2call --limit 30 --out results/all.json
  agent-flan eval --model smollm2 --suite bfcl --suite-data bfcl=./bfcl_data   # folder of BFCL_v4_*.json
  agent-flan eval --model smollm2 --suite when2call --suite-data when2call=./when2call_test_mcq.jsonl

what it measures (all 0-100, 95% bootstrap intervals):
  h_react / h_general  share of must-not-call items, by prompt style, whose reply calls a tool (detector);
                       *_keyword: the paper's keyword test ("Thought:"/"Action:", "I will use"...)
  hscore               ((100 - h_react) + (100 - h_general)) / 2, as in the Agent-FLAN paper
  relevance            share of must-call items whose reply calls a tool
  balanced             harmonic mean of hscore and relevance (a model that never calls scores 0)
  bfcl_*               BFCL v4 irrelevance / live_irrelevance / their mean / live_relevance, by BFCL's
                       own prompt and decoder (bfcl-eval when installed); the detector's verdict beside it
  when2call_*          When2Call macro-F1, acc-norm and tool hallucination (log-likelihood MCQ, local
                       models); endpoints: when2call_gen_* (generation + detector, call / no-call only)

--limit N takes a seeded sample stratified by each suite's categories (not the first N rows); the
results list the ids that ran (run.samples).

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
        help="print two results files side by side, with paired bootstrap intervals (--bootstrap, --seed) "
        "for the difference on the items both ran, instead of running anything",
    )

    data = parser.add_argument_group("data and output")
    data.add_argument(
        "--dataset",
        default="agent-flan",
        metavar="DIR_OR_ID",
        help="dataset folder or Hub id holding the agent_h config (default: ./agent-flan)",
    )
    data.add_argument("--split", default="test", help=argparse.SUPPRESS)
    data.add_argument(
        "--suite",
        action="append",
        metavar="NAME",
        help="benchmark(s) to run: agent_h (default), bfcl, when2call; repeat or give a comma list",
    )
    data.add_argument(
        "--suite-data",
        action="append",
        metavar="SUITE=PATH_OR_ID",
        help="where a suite reads its published data: bfcl=FOLDER (BFCL_v4_*.json as published) or a Hub id "
        "(default: the installed bfcl-eval package's files, else the Hub); when2call=FILE.jsonl or a Hub id "
        "(default nvidia/When2Call). Repeatable",
    )
    data.add_argument(
        "--when2call-protocol",
        choices=("auto", "mcq", "generate"),
        default="auto",
        help="mcq: log-likelihood of the four written answers (local models); generate: a reply judged by the "
        "detector (call / no-call metrics only). auto (default): mcq for --model, generate for --endpoint",
    )
    data.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="a seeded sample of N items per suite, stratified by situation / category (--seed)",
    )
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
        "already lists them in the item's style); for BFCL this is its FC mode. An endpoint is checked "
        "first: one request with and one without tools, and a server whose prompt token count does not "
        "change is reported as ignoring the tools",
    )
    gen.add_argument(
        "--tool-choice",
        choices=("auto", "required", "none"),
        help="with --endpoint and --native-tools: send this `tool_choice` (default: not sent)",
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
    if args.tool_choice and not (args.endpoint and args.native_tools):
        raise BadInputError("--tool-choice applies to --endpoint with --native-tools")
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
    names = (args.compare[0].name, args.compare[1].name)
    print(compare_markdown(first, second, names, resamples=args.bootstrap, seed=args.seed), end="")
    return 0


def _not_agent_h(dataset: str) -> None:
    """`--dataset` given BFCL or When2Call files: say which option reads them (datasets cannot)."""
    from agent_flan.core.errors import BadInputError

    path = Path(dataset).expanduser()
    names = [p.name for p in path.iterdir()] if path.is_dir() else [path.name] if path.is_file() else []
    if any(name.startswith("BFCL_v") and name.endswith(".json") for name in names):
        raise BadInputError(
            f"--dataset {dataset}: these are BFCL question files, not the agent_h config; run them with "
            f"--suite bfcl --suite-data bfcl={dataset}"
        )
    if any(name.startswith("when2call_") and name.endswith(".jsonl") for name in names):
        raise BadInputError(
            f"--dataset {dataset}: this is When2Call data, not the agent_h config; run it with "
            f"--suite when2call --suite-data when2call={dataset}"
        )


def run_eval(args: argparse.Namespace) -> int:
    """Handler of `agent-flan eval`; returns the exit code (bad input raises BadInputError -> 2)."""
    _check(args)
    if args.compare:
        return _compare(args)
    from agent_flan.core.errors import BadInputError
    from agent_flan.core.runners import GenerationSettings
    from agent_flan.evaluation import suites as suite_runs
    from agent_flan.evaluation.cache import ReplyCache
    from agent_flan.evaluation.items import load_items
    from agent_flan.evaluation.pipeline import evaluate
    from agent_flan.evaluation.report import markdown, write_results
    from agent_flan.evaluation.sampling import stratified_sample

    chosen = suite_runs.parse_suites(args.suite)
    suite_data = suite_runs.parse_suite_data(args.suite_data, chosen)
    settings = GenerationSettings(
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
        native_tools=args.native_tools,
    )
    extra = {"tool_choice": args.tool_choice} if args.tool_choice else None  # part of the prompt hash
    items, agent_h_sample = [], None
    if "agent_h" in chosen:
        _not_agent_h(args.dataset)
        everything = load_items(args.dataset, None, args.split)
        if not everything:
            raise BadInputError(f"{args.dataset}: the agent_h {args.split} split has no items")
        items, agent_h_sample = stratified_sample(
            everything,
            args.limit,
            args.seed,
            lambda i: f"{i.situation}/{i.prompt_style}/{'call' if i.should_call else 'no_call'}",
            lambda i: i.id,
            "agent_h",
        )
    prepared = {}  # the other suites' data, read and sampled before a model is loaded: bad data fails fast
    if "bfcl" in chosen:
        prepared["bfcl"] = suite_runs.prepare_bfcl(suite_data.get("bfcl"), args.limit, args.seed)
        if args.native_tools and prepared["bfcl"].items:  # FC mode needs bfcl-eval: say so before loading a model
            prepared["bfcl"].backend.native_tools(prepared["bfcl"].items[0])
    if "when2call" in chosen:
        prepared["when2call"] = suite_runs.prepare_when2call(suite_data.get("when2call"), args.limit, args.seed)
    checked = None
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
                tool_choice=args.tool_choice,
            ),
            settings,
        )
        failures: tuple[type[BaseException], ...] = (EndpointError,)
        if args.native_tools:
            runner = checked = _CheckedRunner(runner)
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
    common = {"seed": args.seed, "resamples": args.bootstrap, "progress": progress}
    try:
        result = None
        if items:
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
                extra_settings=extra,
            )
        runs = []
        if "bfcl" in chosen:
            runs.append(suite_runs.run_bfcl(runner, settings, cache, prepared["bfcl"], extra_settings=extra, **common))
        if "when2call" in chosen:
            runs.append(
                suite_runs.run_when2call(
                    runner,
                    settings,
                    cache,
                    prepared["when2call"],
                    protocol=args.when2call_protocol,
                    extra_settings=extra,
                    **common,
                )
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
    data = suite_runs.merge(result.to_dict() if result else None, runs, chosen)
    run = data["run"]
    if result is None:  # what evaluate() records for Agent-H, for runs without it
        from agent_flan.evaluation.pipeline import run_description

        run.update(run_description(runner, settings, args.limit, str(cache_path) if cache_path else None))
    run.update(runner.describe())  # attempt counters over every suite
    if agent_h_sample is not None:
        run["samples"]["agent_h"] = agent_h_sample.to_dict()
    if args.tool_choice:
        run["tool_choice"] = args.tool_choice
    if checked is not None:
        run["native_tools_check"] = checked.check or {
            "status": "not checked",
            "reason": "every reply came from the cache, or no item offered tools",
        }
    json_path, md_path = write_results(data, args.out)
    print(markdown(data), end="")
    print(f"\nwrote {json_path} and {md_path} ({run['cached']} cached, {run['generated']} generated)")
    return 0


class _CheckedRunner:
    """An endpoint runner that, before its first request with tools, checks that the server reads them."""

    def __init__(self, runner):
        self._runner = runner
        self.model_key = runner.model_key
        self.check: dict | None = None

    def __getattr__(self, name):
        return getattr(self._runner, name)

    def describe(self) -> dict:
        return self._runner.describe()

    def generate(self, requests, on_reply) -> None:
        if self.check is None and any(r.tools for r in requests):
            from agent_flan.evaluation.suites import native_tools_check

            self.check = native_tools_check(self._runner, requests)
        self._runner.generate(requests, on_reply)
