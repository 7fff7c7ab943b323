"""Ways to get replies: a local transformers model (`local.py`) or an OpenAI-compatible server (`endpoint.py`).

Both take the same `Request`s and report each reply through a callback as soon as it exists,
so the caller can cache it at once (an interrupted run loses only what was in flight).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding knobs shared by both runners; part of the cache key."""

    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    seed: int = 0
    native_tools: bool = False  # also pass the tools to the chat template / API `tools`

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0

    def to_dict(self) -> dict[str, Any]:
        data = {"max_new_tokens": self.max_new_tokens, "native_tools": self.native_tools}
        if not self.greedy:  # greedy replies do not depend on these, so they do not split the cache
            data.update(temperature=self.temperature, top_p=self.top_p, seed=self.seed)
        return data


@dataclass(frozen=True)
class Request:
    """One prompt to answer; `key` is the cache key the reply will be stored under."""

    key: str
    item_id: str
    messages: list[dict[str, str]]
    tools: list[dict[str, Any]] | None = field(default=None)
    prompt_hash: str = ""


OnReply = Callable[[Request, str], None]


class Runner(Protocol):
    """Anything that turns requests into replies."""

    model_key: str  # names the model in the cache key and the report

    def describe(self) -> dict[str, Any]: ...

    def generate(self, requests: Sequence[Request], on_reply: OnReply) -> None: ...
