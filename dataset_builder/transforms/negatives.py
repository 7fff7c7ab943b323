"""Negative samples (Agent-FLAN App. C): two kinds, each a bounded share, chosen by a seeded hash.

- `tool_request`: a request that needs a tool no offered tool provides (none offered, or only
  unsuitable ones), answered in plain text.
- `chat_with_tools`: a chat request with irrelevant tools offered, answered in plain text.

Plain chat with no tools is chat, not a negative. Every chosen reply is checked with the tool-call
detector, so a negative never teaches a call.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent_flan.core.errors import Location
from agent_flan.core.schema import NEGATIVE_KINDS
from agent_flan.core.toolcalls.detect import detect
from agent_flan.dataset_builder.records import Turn
from agent_flan.dataset_builder.transforms.rows import unit_hash

MAX_KIND_SHARE = 0.7  # each kind stays within 30-70 % of the negatives when both kinds exist


@dataclass
class Candidate:
    """A possible negative and the source record it came from (for counting and the overlap checks)."""

    origin: str
    where: Location
    record_id: str
    kind: str  # one of NEGATIVE_KINDS
    negative: dict[str, Any]
    query: str
    counted: bool = False  # the record is already written elsewhere
    own_tools: frozenset[str] = frozenset()  # tools the query really needs: never offered as "irrelevant"
    fallback: dict[str, Any] | None = None  # the chat row the record becomes when it is not chosen


class _Worst:
    """Heap entry ordered so that heapq's min-heap keeps the worst (largest hash) on top."""

    def __init__(self, rank: tuple[float, str], candidate: Candidate):
        self.rank, self.candidate = rank, candidate

    def __lt__(self, other: _Worst) -> bool:
        return self.rank > other.rank


class CandidatePool:
    """Keeps the `size` candidates with the smallest seeded hash while streaming: memory stays bounded.

    Every candidate pushed out is handed to `settle`, so the build can count it.
    """

    def __init__(self, size: int, seed: int, settle: Callable[[Candidate, str, str], None]):
        self.size, self.seed, self.settle = size, seed, settle
        self._heap: list[_Worst] = []

    def add(self, candidate: Candidate) -> None:
        entry = _Worst(
            (unit_hash(self.seed, "negative", candidate.negative["id"]), candidate.negative["id"]), candidate
        )
        if self.size <= 0:
            self.settle(candidate, "over negative_count", "not_selected")
        elif len(self._heap) < self.size:
            heapq.heappush(self._heap, entry)
        else:
            self.settle(heapq.heappushpop(self._heap, entry).candidate, "over negative_count", "not_selected")

    def chosen(self) -> list[Candidate]:
        return [entry.candidate for entry in sorted(self._heap, key=lambda entry: entry.rank)]

    def __len__(self) -> int:
        return len(self._heap)


def kind_quotas(available: dict[str, int], count: int, shares: dict[str, float]) -> dict[str, int]:
    """How many of each kind: the recipe's shares of `count`, topped up from the other kind when one
    is short, never letting a kind pass MAX_KIND_SHARE of the total while the other kind exists."""
    take = {kind: min(available.get(kind, 0), round(shares.get(kind, 0.0) * count)) for kind in NEGATIVE_KINDS}
    present = [kind for kind in NEGATIVE_KINDS if available.get(kind, 0)]

    def within(kind: str, value: int, total: int) -> bool:
        return len(present) < 2 or value <= MAX_KIND_SHARE * total

    while take and not all(within(k, v, sum(take.values())) for k, v in take.items()) and sum(take.values()):
        largest = max(take, key=lambda k: take[k])
        take[largest] -= 1
    grew = True
    while sum(take.values()) < count and grew:
        grew = False
        for kind in NEGATIVE_KINDS:
            if sum(take.values()) >= count:
                break
            if take[kind] < available.get(kind, 0) and within(kind, take[kind] + 1, sum(take.values()) + 1):
                take[kind] += 1
                grew = True
    return take


class NegativeSelection:
    """One bounded pool per kind; `chosen()` applies the kind quotas and settles everything else."""

    def __init__(self, count: int, shares: dict[str, float], seed: int, settle: Callable[[Candidate, str, str], None]):
        self.count, self.shares, self.settle = count, shares, settle
        # Each pool may have to fill `count` alone (when the other kind has no candidate at all).
        self.pools = {kind: CandidatePool(max(0, count), seed, settle) for kind in NEGATIVE_KINDS}

    def add(self, candidate: Candidate) -> None:
        self.pools[candidate.kind].add(candidate)

    def available(self) -> dict[str, int]:
        return {kind: len(pool) for kind, pool in self.pools.items()}

    def chosen(self) -> list[Candidate]:
        ranked = {kind: pool.chosen() for kind, pool in self.pools.items()}
        quotas = kind_quotas({kind: len(items) for kind, items in ranked.items()}, self.count, self.shares)
        chosen = []
        for kind in NEGATIVE_KINDS:
            chosen += ranked[kind][: quotas[kind]]
            for candidate in ranked[kind][quotas[kind] :]:
                self.settle(candidate, f"over the {kind} quota of negative_count", "not_selected")
        return chosen


_WORD = re.compile(r"[a-z0-9]+")
_GENERIC = {
    "for",
    "get",
    "the",
    "and",
    "with",
    "from",
    "api",
    "tool",
    "tools",
    "data",
    "info",
    "list",
    "search",
    "find",
    "by",
    "to",
    "of",
    "all",
    "new",
    "v1",
    "v2",
    "lite",
    "pro",
    "live",
    "free",
}


def _stems(text: str) -> set[str]:
    """Five-letter stems of the words of 4+ letters: 'translate_text' and 'Translate ...' share 'trans'."""
    return {word[:5] for word in _WORD.findall(text.lower()) if len(word) >= 4 and word not in _GENERIC}


def unrelated(tool: dict[str, Any], query: str) -> bool:
    """A tool is offered as irrelevant only when no word of its name echoes the request: a random
    draw must not offer `translate_text` to "Translate 'thank you' into French"."""
    return not (_stems(str(tool.get("name", "")).replace("_", " ")) & _stems(query))


def query_key(turns: list[Turn]) -> str:
    """The first user turn, case- and space-folded: how a negative is matched to a chat row or Agent-H."""
    first = next((turn.content for turn in turns if turn.role == "user"), "")
    return " ".join(first.lower().split())


def vet_reply(negative: dict[str, Any]) -> str:
    """'ok', or why the row must not be used ('calls_tool', 'empty_reply')."""
    reply = next((m["content"] for m in reversed(negative["messages"]) if m["role"] == "assistant"), "")
    if not reply.strip():
        return "empty_reply"
    verdict = detect(reply, json.loads(negative["tools"]))
    return "calls_tool" if verdict.calls_tool else "ok"
