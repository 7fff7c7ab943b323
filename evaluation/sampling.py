"""`--limit N` as a sample: seeded, stratified by each suite's own categories, never the first N rows.

Why: the files are ordered (BFCL by category and topic, Agent-H by conversation, When2Call by source), so
the first N rows are a biased slice; a run cut short must still be a small version of the whole.

Allocation is proportional to each stratum's size (largest remainder), with at least one item per
stratum while N allows it (below that, one item each from the N largest strata, so that a short run still
covers as many categories as it can); inside a stratum the items are drawn with `random.Random` seeded by
(seed, suite), so the same command picks the same items on every machine.  The chosen items keep
their file order, and `SampleInfo` says which strata and ids ran (it goes into the results' `run`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SampleInfo:
    """What `--limit` did to one suite."""

    method: str  # "all" or "stratified"
    limit: int | None
    seed: int
    population: int
    strata: dict[str, dict[str, int]] = field(default_factory=dict)  # stratum -> {"population", "sampled"}
    ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "limit": self.limit,
            "seed": self.seed,
            "population": self.population,
            "sampled": len(self.ids),
            "strata": self.strata,
            "ids": list(self.ids),
        }


def _allocate(sizes: list[int], total: int) -> list[int]:
    """Proportional allocation of `total` over strata of `sizes` (largest remainder, >= 1 each while possible)."""
    population = sum(sizes)
    if total >= population:
        return list(sizes)
    if total < len(sizes):  # too few items for every stratum: one each for as many (the largest) strata as possible
        largest = sorted(range(len(sizes)), key=lambda k: (-sizes[k], k))[:total]
        return [int(k in largest) for k in range(len(sizes))]
    quotas = [total * size / population for size in sizes]
    counts = [max(1, int(q)) for q in quotas]  # every stratum is represented
    while sum(counts) > total:  # the floor of 1 overshot: take from the largest strata
        i = max(range(len(counts)), key=lambda k: (counts[k] - quotas[k], counts[k]))
        counts[i] -= 1
    order = sorted(range(len(sizes)), key=lambda k: (-(quotas[k] - int(quotas[k])), k))
    k = 0
    while sum(counts) < total:
        i = order[k % len(order)]
        if counts[i] < sizes[i]:
            counts[i] += 1
        k += 1
    return counts


def stratified_sample(
    items: Sequence[T],
    limit: int | None,
    seed: int,
    stratum: Callable[[T], Hashable],
    item_id: Callable[[T], str],
    suite: str,
) -> tuple[list[T], SampleInfo]:
    """The items to run and a record of the draw; `limit=None` (or >= len) keeps everything."""
    cells: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        cells.setdefault(str(stratum(item)), []).append(index)
    names = sorted(cells)
    if limit is None or limit >= len(items):
        strata = {name: {"population": len(cells[name]), "sampled": len(cells[name])} for name in names}
        ids = tuple(item_id(item) for item in items)
        return list(items), SampleInfo("all", limit, seed, len(items), strata, ids)
    counts = _allocate([len(cells[name]) for name in names], limit)
    rng = random.Random(f"agent-flan-sample:{suite}:{seed}")
    chosen: list[int] = []
    for name, count in zip(names, counts, strict=True):
        chosen += rng.sample(cells[name], count)
    chosen.sort()
    picked = [items[i] for i in chosen]
    strata = {
        name: {"population": len(cells[name]), "sampled": count} for name, count in zip(names, counts, strict=True)
    }
    return picked, SampleInfo("stratified", limit, seed, len(items), strata, tuple(item_id(i) for i in picked))
