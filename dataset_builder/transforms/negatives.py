"""Negatives must never teach a tool call: every reply is checked with the evaluation detector."""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dataset_builder.errors import Location
from dataset_builder.records import Turn
from dataset_builder.transforms.rows import unit_hash
from evaluation.detector import detect


@dataclass
class Candidate:
    """A possible negative and the source record it came from (for counting and the overlap check)."""

    origin: str
    where: Location
    record_id: str
    kind: str  # with_tools | tool_like | chat
    negative: dict[str, Any]
    query: str
    counted: bool = False  # the record is already written elsewhere (general chat in the mixture)
    own_tools: frozenset[str] = frozenset()  # tools the query really needs: never offered as "irrelevant"


class _Worst:
    """Heap entry ordered so that heapq's min-heap keeps the worst (largest hash) on top."""

    def __init__(self, rank: tuple[float, str], candidate: Candidate):
        self.rank, self.candidate = rank, candidate

    def __lt__(self, other: "_Worst") -> bool:
        return self.rank > other.rank


class CandidatePool:
    """Keeps the `size` candidates with the smallest seeded hash while streaming: memory stays bounded.

    Every candidate pushed out is handed to `settle`, so the build can count it.
    """

    def __init__(self, size: int, seed: int, settle: Callable[[Candidate, str, str], None]):
        self.size, self.seed, self.settle = size, seed, settle
        self._heap: list[_Worst] = []

    def add(self, candidate: Candidate) -> None:
        entry = _Worst((unit_hash(self.seed, "negative", candidate.negative["id"]), candidate.negative["id"]), candidate)
        if self.size <= 0:
            self.settle(candidate, "over negative_count", "not_selected")
        elif len(self._heap) < self.size:
            heapq.heappush(self._heap, entry)
        else:
            self.settle(heapq.heappushpop(self._heap, entry).candidate, "over negative_count", "not_selected")

    def chosen(self) -> list[Candidate]:
        return [entry.candidate for entry in sorted(self._heap, key=lambda entry: entry.rank)]


def query_key(turns: list[Turn]) -> str:
    """The first user turn, case- and space-folded: how a negative is matched to an Agent-H query."""
    first = next((turn.content for turn in turns if turn.role == "user"), "")
    return " ".join(first.lower().split())


def vet_reply(negative: dict[str, Any]) -> str:
    """'ok', or why the row must not be used ('calls_tool', 'empty_reply')."""
    reply = next((m["content"] for m in reversed(negative["messages"]) if m["role"] == "assistant"), "")
    if not reply.strip():
        return "empty_reply"
    verdict = detect(reply, json.loads(negative["tools"]))
    return "calls_tool" if verdict.calls_tool else "ok"
