"""Agent-H metrics from per-item judgements: H_ReAct, H_General, HScore, relevance, balanced score.

Why these and not HScore alone: HScore only looks at items where the model must NOT call a
tool, so a model that never calls anything scores 100 (BFCL's irrelevance category has the
same hole; anchors.md §3.2).  Relevance (should-call items that do call) closes it, and the
balanced score, the harmonic mean of the two, is low unless both are high.

All numbers are percentages (0-100).  A metric whose items are absent (e.g. `--limit 4`) is
None.  Intervals are stratified percentile bootstraps: every resample keeps the item count
of each (situation, prompt style, label) cell, so no resample loses a whole group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent_flan.core.schema import PROMPT_STYLES, SITUATIONS
from agent_flan.evaluation.judge import Judgement

# The order of the summary table; the first five are the CLI contract (DESIGN.md).
SUMMARY_KEYS = (
    "h_react",
    "h_general",
    "hscore",
    "relevance",
    "balanced",
    "h_react_keyword",
    "h_general_keyword",
    "hscore_keyword",
    "relevance_expected_tool",
    "relevance_args_valid",
    "accuracy",
)
DESCRIPTIONS = {
    "h_react": "H_ReAct: ReAct-prompt items that must not call, whose reply calls a tool (detector)",
    "h_general": "H_General: general-prompt items that must not call, whose reply calls a tool (detector)",
    "hscore": "HScore = ((100 - H_ReAct) + (100 - H_General)) / 2, higher is better",
    "relevance": "should-call items whose reply calls a tool",
    "balanced": "harmonic mean of HScore and relevance: low unless both are high",
    "h_react_keyword": "H_ReAct, paper's keyword test: reply contains 'Thought:' / 'Action:'",
    "h_general_keyword": "H_General, paper's keyword test: reply contains 'I will use', 'I need to call', ...",
    "hscore_keyword": "HScore from the two keyword rates (closest to the paper's Agent-H)",
    "relevance_expected_tool": "should-call items whose reply calls the expected tool",
    "relevance_args_valid": "... and whose arguments for it parse to an object",
    "accuracy": "all items: called exactly when it should",
}


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass
class Summary:
    """The numbers of one run; `to_dict()` is the `summary` object of the results file."""

    metrics: dict[str, float | None]
    intervals: dict[str, Interval | None]
    counts: dict[str, int]
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    by_situation: list[dict[str, Any]] = field(default_factory=list)
    by_prompt_style: list[dict[str, Any]] = field(default_factory=list)
    bootstrap: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {key: _round(self.metrics.get(key)) for key in SUMMARY_KEYS}
        data["ci95"] = {
            key: (None if iv is None else [_round(iv.low), _round(iv.high)]) for key, iv in self.intervals.items()
        }
        data["counts"] = dict(self.counts)
        data["breakdown"] = self.breakdown
        data["by_situation"] = self.by_situation
        data["by_prompt_style"] = self.by_prompt_style
        data["bootstrap"] = dict(self.bootstrap)
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


# --------------------------------------------------------------------------- core formulas


@dataclass(frozen=True)
class _Columns:
    """Per-item 0/1 columns and the fixed masks the formulas select with."""

    calls: np.ndarray
    keyword: np.ndarray
    expected: np.ndarray
    args: np.ndarray
    react_negative: np.ndarray  # react prompt, must not call
    general_negative: np.ndarray  # general prompt, must not call
    positive: np.ndarray  # must call
    should: np.ndarray


def _columns(items: Sequence[Judgement]) -> _Columns:
    def col(values) -> np.ndarray:
        return np.asarray(list(values), dtype=float)

    should = np.asarray([j.should_call for j in items], dtype=bool)
    react = np.asarray([j.prompt_style == "react" for j in items], dtype=bool)
    return _Columns(
        calls=col(j.calls_tool for j in items),
        keyword=col(j.keyword_hit for j in items),
        expected=col(j.called_expected for j in items),
        args=col(j.args_valid for j in items),
        react_negative=react & ~should,
        general_negative=~react & ~should,
        positive=should,
        should=should.astype(float),
    )


def _rate(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """100 * mean of `values` over `mask` along the last axis; NaN where the mask is empty."""
    total = mask.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * (values * mask).sum(axis=-1) / np.where(total == 0, np.nan, total)


def _harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(a + b == 0, 0.0, 2 * a * b / (a + b))


def _formulas(c: _Columns, idx: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every summary metric; with `idx` (B x N resample indices) one value per resample."""
    take = (lambda a: a) if idx is None else (lambda a: a[idx])
    calls, keyword, expected, args = take(c.calls), take(c.keyword), take(c.expected), take(c.args)
    rn, gn, pos, should = take(c.react_negative), take(c.general_negative), take(c.positive), take(c.should)
    out = {
        "h_react": _rate(calls, rn),
        "h_general": _rate(calls, gn),
        "h_react_keyword": _rate(keyword, rn),
        "h_general_keyword": _rate(keyword, gn),
        "relevance": _rate(calls, pos),
        "relevance_expected_tool": _rate(expected, pos),
        "relevance_args_valid": _rate(args, pos),
        "accuracy": _rate((calls == should).astype(float), np.ones_like(calls, dtype=bool)),
    }
    out["hscore"] = ((100 - out["h_react"]) + (100 - out["h_general"])) / 2
    out["hscore_keyword"] = ((100 - out["h_react_keyword"]) + (100 - out["h_general_keyword"])) / 2
    out["balanced"] = _harmonic(out["hscore"], out["relevance"])
    return out


def _value(x: np.ndarray) -> float | None:
    v = float(x)
    return None if np.isnan(v) else v


# --------------------------------------------------------------------------- bootstrap


def _strata(items: Sequence[Judgement]) -> list[np.ndarray]:
    cells: dict[tuple, list[int]] = {}
    for i, j in enumerate(items):
        cells.setdefault((j.situation, j.prompt_style, j.should_call), []).append(i)
    return [np.asarray(v) for _, v in sorted(cells.items())]


def bootstrap_intervals(
    items: Sequence[Judgement], resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> dict[str, Interval | None]:
    """Stratified percentile bootstrap; the same seed gives the same intervals."""
    if not items or resamples <= 0:
        return {key: None for key in SUMMARY_KEYS}
    rng = np.random.default_rng(seed)
    blocks = [cell[rng.integers(0, len(cell), size=(resamples, len(cell)))] for cell in _strata(items)]
    idx = np.concatenate(blocks, axis=1)
    values = _formulas(_columns(items), idx)
    tail = (1 - confidence) / 2 * 100
    intervals: dict[str, Interval | None] = {}
    for key in SUMMARY_KEYS:
        finite = values[key][np.isfinite(values[key])]
        if finite.size < resamples:  # the metric is undefined for this item set
            intervals[key] = None
            continue
        low, high = np.percentile(finite, [tail, 100 - tail])
        intervals[key] = Interval(float(low), float(high))
    return intervals


# --------------------------------------------------------------------------- breakdown


def _group_row(group: Sequence[Judgement], **keys: Any) -> dict[str, Any]:
    n = len(group)
    positives = [j for j in group if j.should_call]

    def pct(count: int, total: int) -> float | None:
        return None if total == 0 else round(100.0 * count / total, 2)

    return {
        **keys,
        "n": n,
        "n_should_call": len(positives),
        "call_rate": pct(sum(j.calls_tool for j in group), n),
        "keyword_rate": pct(sum(j.keyword_hit for j in group), n),
        "correct_rate": pct(sum(j.correct for j in group), n),
        "expected_tool_rate": pct(sum(j.called_expected for j in positives), len(positives)),
        "args_valid_rate": pct(sum(j.args_valid for j in positives), len(positives)),
    }


def _ordered(values: set[str], known: Sequence[str]) -> list[str]:
    return [v for v in known if v in values] + sorted(values - set(known))


def breakdown(items: Sequence[Judgement]) -> tuple[list[dict], list[dict], list[dict]]:
    """Rates per (situation, prompt style) cell, per situation and per prompt style."""
    situations = _ordered({j.situation for j in items}, SITUATIONS)
    styles = _ordered({j.prompt_style for j in items}, PROMPT_STYLES)
    cells = []
    for situation in situations:
        for style in styles:
            group = [j for j in items if j.situation == situation and j.prompt_style == style]
            if group:
                cells.append(_group_row(group, situation=situation, prompt_style=style))
    per_situation = [_group_row([j for j in items if j.situation == s], situation=s) for s in situations]
    per_style = [_group_row([j for j in items if j.prompt_style == s], prompt_style=s) for s in styles]
    return cells, per_situation, per_style


# --------------------------------------------------------------------------- entry point


def summarize(items: Sequence[Judgement], resamples: int = 1000, seed: int = 0, confidence: float = 0.95) -> Summary:
    """Point estimates, intervals, counts and breakdowns for one run."""
    if items:
        point = {key: _value(v) for key, v in _formulas(_columns(items)).items()}
    else:
        point = {key: None for key in SUMMARY_KEYS}
    cells, per_situation, per_style = breakdown(items)
    counts = {
        "items": len(items),
        "should_call": sum(j.should_call for j in items),
        "should_not_call_react": sum((not j.should_call) and j.prompt_style == "react" for j in items),
        "should_not_call_general": sum((not j.should_call) and j.prompt_style != "react" for j in items),
    }
    return Summary(
        metrics=point,
        intervals=bootstrap_intervals(items, resamples, seed, confidence),
        counts=counts,
        breakdown=cells,
        by_situation=per_situation,
        by_prompt_style=per_style,
        bootstrap={"resamples": resamples, "seed": seed, "confidence": confidence, "method": "stratified percentile"},
    )
