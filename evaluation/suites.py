"""`agent-flan eval --suite agent_h,bfcl,when2call`: several benchmarks, one runner, one cache, one results file.

Why one harness: BFCL, When2Call and the kit's Agent-H each have their own items and rules, but a
comparison is only fair when the same model, runner, decoding settings, cache and detector produce
every number. Each suite here loads its own published data (`--suite-data SUITE=PATH_OR_ID`, else its
default source), is sampled by `--limit` within its own strata, prompts and judges by its own rules
(`suite_bfcl`, `suite_when2call`, `pipeline` for Agent-H), and contributes its summary keys to the one
`summary` object; `summary.suites.<name>` holds the details, `run.samples.<name>` which items ran.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_flan.core.errors import BadInputError
from agent_flan.core.runners import GenerationSettings, Request, Runner
from agent_flan.evaluation.cache import ReplyCache, cache_key
from agent_flan.evaluation.sampling import SampleInfo, stratified_sample

SUITES = ("agent_h", "bfcl", "when2call")
DEFAULT_SUITES = ("agent_h",)


def parse_suites(values: Sequence[str] | None) -> list[str]:
    """`--suite a --suite b,c` -> ["a", "b", "c"] in the order given, no repeats; default agent_h."""
    chosen: list[str] = []
    for value in values or DEFAULT_SUITES:
        for name in (part.strip() for part in value.split(",")):
            if not name:
                continue
            if name not in SUITES:
                raise BadInputError(f"--suite {name!r}: not a suite; choose from {', '.join(SUITES)}")
            if name not in chosen:
                chosen.append(name)
    return chosen or list(DEFAULT_SUITES)


def parse_suite_data(values: Sequence[str] | None, suites: Sequence[str]) -> dict[str, str]:
    """`--suite-data bfcl=PATH` (repeatable) -> {"bfcl": "PATH"}; the suite must be one that runs."""
    data: dict[str, str] = {}
    for value in values or ():
        name, sep, spec = value.partition("=")
        name, spec = name.strip(), spec.strip()
        if not sep or not name or not spec:
            raise BadInputError(f"--suite-data {value!r}: expected SUITE=PATH_OR_ID, e.g. bfcl=./bfcl_data")
        if name not in SUITES:
            raise BadInputError(f"--suite-data {value!r}: {name!r} is not a suite ({', '.join(SUITES)})")
        if name not in suites:
            raise BadInputError(f"--suite-data {value!r}: add --suite {name} to run it")
        if name == "agent_h":
            raise BadInputError("--suite-data agent_h=...: use --dataset DIR_OR_ID for Agent-H")
        data[name] = spec
    return data


@dataclass
class SuiteRun:
    """What one suite contributes to the results file."""

    name: str
    metrics: dict[str, Any]
    details: dict[str, Any]
    items: list[dict[str, Any]]
    sample: SampleInfo
    data: dict[str, Any] = field(default_factory=dict)
    cached: int = 0
    generated: int = 0
    seconds: float = 0.0


def prompt_digest(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def generate(
    runner: Runner, requests: list[Request], cache: ReplyCache, progress: bool, desc: str
) -> tuple[dict[str, str], set[str], int, float]:
    """Replies for `requests` (cache first); returns (reply by key, keys already cached, generated, seconds)."""
    from tqdm.auto import tqdm

    pending = [r for r in requests if r.key not in cache]
    bar = tqdm(
        total=len(requests),
        initial=len(requests) - len(pending),
        desc=desc,
        unit="item",
        disable=not progress or None,
        dynamic_ncols=True,
    )

    def on_reply(request: Request, reply: str) -> None:
        cache.put(request.key, request.item_id, runner.model_key, request.prompt_hash, reply)
        bar.update(1)

    started = time.perf_counter()
    try:
        runner.generate(pending, on_reply)
    finally:
        bar.close()
    replies = {r.key: cache.get(r.key) for r in requests}
    was_cached = {r.key for r in requests} - {r.key for r in pending}
    return replies, was_cached, len(pending), time.perf_counter() - started


# --------------------------------------------------------------------------- BFCL


@dataclass
class Prepared:
    """A suite's items, loaded and sampled before any model is (bad data fails fast)."""

    items: list
    data: dict[str, Any]
    sample: SampleInfo
    backend: Any = None


def _request(head: dict, item_id: str, messages, tools, settings, extra_settings, runner) -> Request:
    """One cache-keyed request: the key hashes the suite, the prompt, the tools and the settings."""
    suite = head["suite"]
    digest = prompt_digest(
        head | {"messages": messages, "tools": tools, "settings": settings.to_dict() | (extra_settings or {})}
    )
    return Request(
        key=cache_key(f"{suite}/{item_id}", runner.model_key, digest),
        item_id=f"{suite}/{item_id}",
        messages=messages,
        tools=tools,
        prompt_hash=digest,
    )


def prepare_bfcl(source: str | None, limit: int | None, seed: int) -> Prepared:
    from agent_flan.evaluation import suite_bfcl

    backend = suite_bfcl.Backend()
    items, data = suite_bfcl.load(source, backend)
    items, sample = stratified_sample(items, limit, seed, suite_bfcl.stratum, lambda i: i.id, "bfcl")
    return Prepared(items, data, sample, backend)


def prepare_when2call(source: str | None, limit: int | None, seed: int) -> Prepared:
    from agent_flan.evaluation import suite_when2call as w2c

    items, data = w2c.load(source)
    items, sample = stratified_sample(items, limit, seed, w2c.stratum, lambda i: i.id, "when2call")
    return Prepared(items, data, sample)


def run_bfcl(
    runner: Runner,
    settings: GenerationSettings,
    cache: ReplyCache,
    prepared: Prepared,
    seed: int,
    resamples: int,
    progress: bool,
    extra_settings: dict[str, Any] | None = None,
) -> SuiteRun:
    from agent_flan.evaluation import suite_bfcl

    items, data, sample, backend = prepared.items, prepared.data, prepared.sample, prepared.backend
    native = settings.native_tools
    requests, tools_by_id = [], {}
    for item in items:
        if native:
            tools = backend.native_tools(item)
            messages = [dict(m) for m in item.question]
        else:
            tools, messages = None, backend.messages(item)
        tools_by_id[item.id] = tools
        requests.append(_request({"suite": "bfcl"}, item.id, messages, tools, settings, extra_settings, runner))
    replies, was_cached, generated, seconds = generate(runner, requests, cache, progress, "bfcl")
    cached = len(was_cached)
    rows = []
    for item, request in zip(items, requests, strict=True):
        row = suite_bfcl.judge(item, replies[request.key] or "", backend, native, tools_by_id[item.id])
        row["cached"] = request.key in was_cached
        rows.append(row)
    summary = suite_bfcl.summarize(rows, resamples, seed)
    details = summary["details"] | {"judge": backend.describe(), "mode": "fc" if native else "prompt"}
    return SuiteRun("bfcl", summary["metrics"], details, rows, sample, data, cached, generated, seconds)


# --------------------------------------------------------------------------- When2Call


def _mcq(
    runner: Runner, items: list, cache: ReplyCache, progress: bool
) -> tuple[list[dict[str, Any]], int, int, float]:
    """Score every item's four answers (log-likelihood), cached like replies."""
    import torch
    from tqdm.auto import tqdm

    from agent_flan.evaluation import suite_when2call as w2c

    rows, cached, computed = [], 0, 0
    started = time.perf_counter()
    previous = torch.get_num_threads()
    threads = getattr(runner, "threads", None)
    if threads:
        torch.set_num_threads(threads)
    bar = tqdm(total=len(items), desc="when2call", unit="item", disable=not progress or None, dynamic_ncols=True)
    try:
        for item in items:
            prompt = w2c.mcq_prompt(item)
            context = runner.render(Request(key="", item_id=item.id, messages=[{"role": "user", "content": prompt}]))
            choices = [text for _, text in item.answers]
            digest = prompt_digest({"suite": "when2call", "protocol": "mcq/v1", "context": context, "choices": choices})
            key = cache_key(f"when2call/{item.id}", runner.model_key, digest)
            stored = cache.get(key)
            scores = None
            if stored is not None:
                try:
                    scores = [float(s) for s in json.loads(stored)]
                except (ValueError, TypeError):
                    scores = None
            if scores is None or len(scores) != len(choices):
                scores = w2c.loglikelihoods(runner, context, choices)
                cache.put(key, f"when2call/{item.id}", runner.model_key, digest, json.dumps(scores))
                computed += 1
            else:
                cached += 1
            row = w2c.judge_mcq(item, scores)
            row["cached"] = stored is not None
            rows.append(row)
            bar.update(1)
    finally:
        bar.close()
        torch.set_num_threads(previous)
    return rows, cached, computed, time.perf_counter() - started


def run_when2call(
    runner: Runner,
    settings: GenerationSettings,
    cache: ReplyCache,
    prepared: Prepared,
    seed: int,
    resamples: int,
    progress: bool,
    protocol: str = "auto",
    extra_settings: dict[str, Any] | None = None,
) -> SuiteRun:
    from agent_flan.evaluation import suite_when2call as w2c

    items, data, sample = prepared.items, prepared.data, prepared.sample
    local = hasattr(runner, "tokenizer") and hasattr(runner, "model")
    if protocol == "auto":
        protocol = "mcq" if local else "generate"
    if protocol == "mcq" and not local:
        raise BadInputError(
            "--when2call-protocol mcq needs a local --model (log-probabilities of given answers); "
            "an endpoint runs When2Call by generation (--when2call-protocol generate)"
        )
    if protocol == "mcq":
        rows, cached, generated, seconds = _mcq(runner, items, cache, progress)
    else:
        native = settings.native_tools
        requests, tools_by_id = [], {}
        for item in items:
            if native:
                tools = w2c.native_tools(item) or None
                messages = [{"role": "user", "content": item.question}]
            else:
                tools, messages = None, [{"role": "user", "content": w2c.mcq_prompt(item)}]
            tools_by_id[item.id] = tools
            head = {"suite": "when2call", "protocol": "generate"}
            requests.append(_request(head, item.id, messages, tools, settings, extra_settings, runner))
        replies, was_cached, generated, seconds = generate(runner, requests, cache, progress, "when2call")
        cached = len(was_cached)
        rows = []
        for item, request in zip(items, requests, strict=True):
            row = w2c.judge_generation(item, replies[request.key] or "", tools_by_id[item.id])
            row["cached"] = request.key in was_cached
            rows.append(row)
    summary = w2c.summarize(rows, resamples, seed)
    details = summary["details"] | {
        "prompt": "When2Call lm-eval task `when2call` default prompt (process_docs_default) as one user turn "
        "through the model's chat template"
        if protocol == "mcq" or not settings.native_tools
        else "the bare question with the tools in the API field (run_openai_inference.py)",
    }
    return SuiteRun("when2call", summary["metrics"], details, rows, sample, data, cached, generated, seconds)


# --------------------------------------------------------------------------- all suites


def native_tools_check(runner: Runner, requests: Sequence[Request]) -> dict[str, Any] | None:
    """Ask an endpoint whether it reads the `tools` field at all (first request with tools)."""
    check = getattr(runner, "check_native_tools", None)
    first = next((r for r in requests if r.tools), None)
    if check is None or first is None:
        return None
    result = check(first)
    if result.get("status") == "ignored":
        bar = "!" * 78
        print(
            f"\n{bar}\nagent-flan eval: WARNING: the server ignores the `tools` field: the prompt used "
            f"{result.get('prompt_tokens_with_tools')} tokens with tools and "
            f"{result.get('prompt_tokens_without_tools')} without.\n--native-tools numbers from this server "
            f"measure a model that was never shown the tools.\n{bar}",
            file=sys.stderr,
        )
    return result


def merge(results: dict[str, Any] | None, runs: Sequence[SuiteRun], suites: Sequence[str]) -> dict[str, Any]:
    """One results dict: Agent-H's (when it ran) plus each other suite's keys, details and items."""
    data: dict[str, Any] = results or {"summary": {}, "run": {}, "items": []}
    summary, run = data["summary"], data["run"]
    for item in data["items"]:
        item.setdefault("suite", "agent_h")
    summary.setdefault("ci95", {})
    suites_detail = summary.setdefault("suites", {})
    if results is not None:
        suites_detail["agent_h"] = {"counts": summary.get("counts", {})}
    samples = run.setdefault("samples", {})
    per_suite = run.setdefault("suite_runs", {})
    if results is not None:
        per_suite["agent_h"] = {"cached": run.get("cached", 0), "generated": run.get("generated", 0)}
    for r in runs:
        summary.update(r.metrics)
        for key, interval in r.details.get("ci95", {}).items():
            summary["ci95"][key] = interval
        suites_detail[r.name] = {"metrics": r.metrics, **r.details, "data": r.data}
        samples[r.name] = r.sample.to_dict()
        per_suite[r.name] = {"cached": r.cached, "generated": r.generated, "seconds": round(r.seconds, 3)}
        data["items"].extend(r.items)
    run["suites"] = list(suites)
    run["cached"] = sum(v["cached"] for v in per_suite.values())
    run["generated"] = sum(v["generated"] for v in per_suite.values())
    return data
