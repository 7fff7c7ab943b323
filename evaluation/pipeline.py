"""One evaluation run: items -> (cache or runner) -> judgements -> summary.

Why here and not in the CLI: the benchmark and the tests drive the same steps with their own
runner objects, and the CLI only parses options into them.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agent_flan.core.runners import GenerationSettings, Request, Runner
from agent_flan.evaluation.cache import ReplyCache, cache_key
from agent_flan.evaluation.items import EvalItem, prompt_hash, request_messages
from agent_flan.evaluation.judge import Judgement, judge
from agent_flan.evaluation.metrics import Summary, summarize


@dataclass
class RunResult:
    """Everything the results file holds."""

    summary: Summary
    judgements: list[Judgement]
    run: dict[str, Any] = field(default_factory=dict)
    cached_ids: set[str] = field(default_factory=set)
    references: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for j in self.judgements:
            entry = j.to_dict()
            entry["cached"] = j.id in self.cached_ids
            entry["reference"] = self.references.get(j.id)
            items.append(entry)
        return {"summary": self.summary.to_dict(), "run": self.run, "items": items}


def build_requests(
    items: Sequence[EvalItem],
    model_key: str,
    settings: GenerationSettings,
    extra_settings: dict[str, Any] | None = None,
) -> list[Request]:
    """One request per item, keyed for the cache by item id + model + prompt hash (`extra_settings`, such as
    an endpoint's tool_choice, join the hash; without them the keys are those of earlier runs)."""
    requests = []
    for item in items:
        digest = prompt_hash(item, settings.to_dict() | (extra_settings or {}), settings.native_tools)
        requests.append(
            Request(
                key=cache_key(item.id, model_key, digest),
                item_id=item.id,
                messages=request_messages(item),
                tools=list(item.tools) or None,
                prompt_hash=digest,
            )
        )
    return requests


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for name in ("agent-flan-kit", "transformers", "torch", "peft", "datasets", "httpx", "bfcl-eval"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return versions


def evaluate(
    items: Sequence[EvalItem],
    runner: Runner,
    settings: GenerationSettings,
    cache: ReplyCache,
    progress: bool = True,
    resamples: int = 1000,
    seed: int = 0,
    run_info: dict[str, Any] | None = None,
    extra_settings: dict[str, Any] | None = None,
) -> RunResult:
    """Answer every item not yet in the cache, judge all of them, and summarise."""
    from tqdm.auto import tqdm

    requests = build_requests(items, runner.model_key, settings, extra_settings)
    cached = {r.item_id for r in requests if r.key in cache}
    pending = [r for r in requests if r.key not in cache]
    bar = tqdm(
        total=len(requests),
        initial=len(requests) - len(pending),
        desc="agent-h",
        unit="item",
        disable=not progress or None,
        dynamic_ncols=True,
    )
    model_key = runner.model_key

    def on_reply(request: Request, reply: str) -> None:
        cache.put(request.key, request.item_id, model_key, request.prompt_hash, reply)
        bar.update(1)

    started = time.perf_counter()
    try:
        runner.generate(pending, on_reply)
    finally:
        bar.close()
    elapsed = time.perf_counter() - started
    judgements = [judge(item, cache.get(request.key)) for item, request in zip(items, requests, strict=True)]
    summary = summarize(judgements, resamples=resamples, seed=seed)
    run = {
        **(run_info or {}),
        **runner.describe(),
        "settings": settings.to_dict() | {"temperature": settings.temperature},
        "model_key": model_key,
        "items": len(items),
        "cached": len(cached),
        "generated": len(pending),
        "generation_seconds": round(elapsed, 3),
        "items_per_second": round(len(pending) / elapsed, 3) if pending and elapsed > 0 else None,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    return RunResult(summary, judgements, run, cached, {item.id: item.reference for item in items})


def run_description(runner: Runner, settings: GenerationSettings, limit: int | None, cache: str | None) -> dict:
    """The `run` fields of a results file that do not depend on Agent-H (runs of other suites only)."""
    return {
        "limit": limit,
        "cache": cache,
        **runner.describe(),
        "settings": settings.to_dict() | {"temperature": settings.temperature},
        "model_key": runner.model_key,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
