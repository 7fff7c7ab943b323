"""Bootstrap machinery shared by every suite: stratified resamples, percentile intervals, paired differences.

Why one module: each suite has its own formulas (Agent-H's HScore, BFCL's category means, When2Call's
macro-F1), but intervals and `--compare` must resample the same way for all of them: items are redrawn
within their stratum (situation / category), so no resample loses a whole group, and a paired
comparison draws the *same* items for both runs.

A suite's formulas take a dict of per-item numpy columns and an index array (B x N, one resample per
row) and return one value per resample (NaN where a metric is undefined).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

Formulas = Callable[[dict[str, np.ndarray], np.ndarray], dict[str, np.ndarray]]


def strata(keys: Sequence[Hashable]) -> list[np.ndarray]:
    """Index arrays, one per distinct key, in a stable (sorted by key text) order."""
    cells: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        cells.setdefault(repr(key), []).append(i)
    return [np.asarray(cells[k]) for k in sorted(cells)]


def resample(cells: list[np.ndarray], resamples: int, seed: int) -> np.ndarray:
    """B x N indices: each row redraws every stratum with replacement, keeping its size."""
    rng = np.random.default_rng(seed)
    blocks = [cell[rng.integers(0, len(cell), size=(resamples, len(cell)))] for cell in cells if len(cell)]
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((resamples, 0), dtype=int)


def identity(n: int) -> np.ndarray:
    """The 1 x N index of the data as it is (point estimates through the same formulas)."""
    return np.arange(n)[None, :]


def rate(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """100 * mean of `values` over `mask` along the last axis; NaN where the mask is empty."""
    total = mask.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * (values * mask).sum(axis=-1) / np.where(total == 0, np.nan, total)


def point(formulas: Formulas, columns: dict[str, np.ndarray], n: int) -> dict[str, float | None]:
    values = formulas(columns, identity(n))
    return {key: _finite(v[0]) for key, v in values.items()}


def _finite(x: Any) -> float | None:
    v = float(x)
    return None if np.isnan(v) else round(v, 2)


def intervals(
    formulas: Formulas,
    columns: dict[str, np.ndarray],
    keys: Sequence[Hashable],
    resamples: int,
    seed: int,
    confidence: float = 0.95,
) -> dict[str, list[float] | None]:
    """Percentile intervals; None for a metric undefined in some resample (its items are absent)."""
    if not len(keys) or resamples <= 0:
        return {}
    values = formulas(columns, resample(strata(keys), resamples, seed))
    tail = (1 - confidence) / 2 * 100
    out: dict[str, list[float] | None] = {}
    for key, v in values.items():
        finite = v[np.isfinite(v)]
        if finite.size < resamples:
            out[key] = None
            continue
        low, high = np.percentile(finite, [tail, 100 - tail])
        out[key] = [round(float(low), 2), round(float(high), 2)]
    return out


def paired_difference(
    formulas: Formulas,
    columns_a: dict[str, np.ndarray],
    columns_b: dict[str, np.ndarray],
    keys: Sequence[Hashable],
    resamples: int,
    seed: int,
    confidence: float = 0.95,
    copies: int = 1,
) -> dict[str, dict[str, Any]]:
    """B − A on the same items: the point difference, a paired percentile interval, and whether it
    excludes 0 (`significant`). Both column sets must describe the same items in the same order.

    `copies` > 1: each column holds that many answers per item (seeds of one run, block after block of
    len(keys) rows). An item is redrawn with all its copies, so the interval counts it once while the
    point difference is the mean over copies."""
    n = len(keys)
    every = identity(n * copies)
    pa, pb = formulas(columns_a, every), formulas(columns_b, every)
    idx = None
    if n and resamples > 0:
        drawn = resample(strata(keys), resamples, seed)
        idx = np.concatenate([drawn + k * n for k in range(copies)], axis=1)
    ra = formulas(columns_a, idx) if idx is not None else {}
    rb = formulas(columns_b, idx) if idx is not None else {}
    tail = (1 - confidence) / 2 * 100
    out: dict[str, dict[str, Any]] = {}
    for key in pa:
        a, b = _finite(pa[key][0]), _finite(pb[key][0])
        entry: dict[str, Any] = {"a": a, "b": b, "diff": None, "ci95": None, "significant": None}
        if a is not None and b is not None:
            entry["diff"] = round(b - a, 2)
            if idx is not None:
                d = rb[key] - ra[key]
                d = d[np.isfinite(d)]
                if d.size == resamples:
                    low, high = np.percentile(d, [tail, 100 - tail])
                    entry["ci95"] = [round(float(low), 2), round(float(high), 2)]
                    entry["significant"] = bool(low > 0 or high < 0)
        out[key] = entry
    return out
