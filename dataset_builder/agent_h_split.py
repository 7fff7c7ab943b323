"""Select stage, first of all: which glaive conversations are held out for Agent-H, and the check that
keeps every training row away from them (word 3-gram Jaccard >= 0.8 with a held-out query)."""

from __future__ import annotations

import heapq
from collections import Counter
from pathlib import Path
from typing import Any

from agent_flan.dataset_builder.near_duplicates import THRESHOLD, NearDuplicateIndex
from agent_flan.dataset_builder.records import GlaiveConversation
from agent_flan.dataset_builder.sources.glaive import read_glaive
from agent_flan.dataset_builder.transforms.glaive import first_user
from agent_flan.dataset_builder.transforms.rows import unit_hash


def user_texts(item: dict[str, Any]) -> list[str]:
    return [m["content"] for m in item["messages"] if m["role"] == "user"]


class AgentHSplit:
    def __init__(self, seed: int, limit: int):
        self.seed, self.limit = seed, limit
        self.heldout_ids: set[str] = set()
        self.index = NearDuplicateIndex(THRESHOLD)
        self.near_duplicates: Counter = Counter()  # training config -> rows dropped

    def hold_out(self, files: list[Path]) -> None:
        """Pass 1 over glaive: the held-out conversations (by a seeded hash) and their queries.

        At most `limit`, and never more than half of glaive, so negatives keep a share.
        """
        smallest: list[tuple[float, str, str]] = []  # negated hash: a bounded max-heap of the smallest
        total = 0
        for item in read_glaive(files):
            if not isinstance(item, GlaiveConversation):
                continue
            total += 1
            entry = (-unit_hash(self.seed, "agent-h", item.id), item.id, first_user(item) or "")
            if len(smallest) < self.limit:
                heapq.heappush(smallest, entry)
            elif self.limit > 0:
                heapq.heappushpop(smallest, entry)
        wanted = min(self.limit, max(1, total // 2)) if total else 0
        for _, conversation_id, query in sorted(smallest, reverse=True)[:wanted]:
            self.heldout_ids.add(conversation_id)
            self.index.add(conversation_id, query)

    def is_held_out(self, conversation_id: str) -> bool:
        return conversation_id in self.heldout_ids

    def near_duplicate(self, config: str, *rows: dict[str, Any]) -> bool:
        """Whether any user turn of these rows nearly repeats an Agent-H query (counted under `config`)."""
        if not len(self.index):
            return False
        if any(self.index.matches(text) for item in rows for text in user_texts(item)):
            self.near_duplicates[config] += 1
            return True
        return False

    def report(self, training_glaive_ids: set[str]) -> dict[str, Any]:
        return {
            "heldout_conversations": len(self.heldout_ids),
            "overlap_with_training_by_id": len(self.heldout_ids & training_glaive_ids),
            "near_duplicate_rule": f"word 3-gram Jaccard >= {THRESHOLD} with any user turn of a training row",
            "near_duplicates_dropped": dict(sorted(self.near_duplicates.items())),
        }
