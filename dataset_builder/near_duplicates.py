"""Near-duplicate queries by word 3-gram Jaccard similarity, exact, with a prefix-filter index.

Agent-H must stay out of training: no held-out query may have a near-duplicate (Jaccard >= 0.8 on
word 3-grams) in any training row. glaive holds many paraphrased requests, so an exact-text check
is not enough. The index holds the (small) benchmark side; every training text is probed against it.

Prefix filtering (Chaudhuri et al., 2006; Bayardo et al., 2007) keeps this exact: if J(A, B) >= t,
the first |A| - ceil(t |A|) + 1 shingles of A and the first |B| - ceil(t |B|) + 1 of B, in any fixed
global order, share at least one shingle. Only the pairs that do are compared.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict

THRESHOLD = 0.8
_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 3) -> frozenset[int]:
    """Hashed word n-grams of the case-folded text; a text shorter than n words is one shingle."""
    words = _WORD.findall(text.lower())
    grams = [" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))] if words else []
    return frozenset(int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _prefix(items: frozenset[int], threshold: float) -> list[int]:
    ordered = sorted(items)
    return ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1]


class NearDuplicateIndex:
    """The texts to protect (Agent-H queries); `matches(text)` names those it nearly duplicates."""

    def __init__(self, threshold: float = THRESHOLD):
        self.threshold = threshold
        self._sets: dict[str, frozenset[int]] = {}
        self._by_prefix: dict[int, list[str]] = defaultdict(list)

    def add(self, key: str, text: str) -> None:
        items = shingles(text)
        if not items or key in self._sets:
            return
        self._sets[key] = items
        for shingle in _prefix(items, self.threshold):
            self._by_prefix[shingle].append(key)

    def __len__(self) -> int:
        return len(self._sets)

    def matches(self, text: str) -> list[str]:
        """Keys of the protected texts whose Jaccard similarity with `text` is at least the threshold."""
        if not self._sets:
            return []
        items = shingles(text)
        if not items:
            return []
        found: set[str] = set()
        for shingle in _prefix(items, self.threshold):
            for key in self._by_prefix.get(shingle, ()):
                if key in found:
                    continue
                other = self._sets[key]
                if (
                    self.threshold * len(other) <= len(items) <= len(other) / self.threshold
                    and jaccard(items, other) >= self.threshold
                ):
                    found.add(key)
        return sorted(found)
