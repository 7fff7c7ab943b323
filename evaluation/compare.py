"""`agent-flan eval --compare A.json B.json`: which differences between two runs are real.

Why paired: two runs over the same items differ on a few replies, and the uncertainty that matters is
that of the difference, not of each number alone. For every suite both files ran, the items they share
(same suite and id) are resampled together, within the suite's strata, and each metric's B − A is
recomputed per resample; a difference is *significant* when its 95% percentile interval excludes 0.
The number of shared items whose reply (or, for When2Call's MCQ, whose chosen answer) changed is
printed with a few examples, so a reader can see what moved a number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agent_flan.evaluation import stats


def _agent_h_tools() -> tuple[Callable, Callable, Callable]:
    from agent_flan.evaluation.judge import Judgement
    from agent_flan.evaluation.metrics import SUMMARY_KEYS, _columns, _formulas

    def columns(rows: Sequence[dict]) -> dict[str, np.ndarray]:
        c = _columns([Judgement.from_dict(r) for r in rows])
        return dict(c.__dict__)

    def formulas(c: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
        from agent_flan.evaluation.metrics import _Columns

        values = _formulas(_Columns(**c), idx)
        return {key: values[key] for key in SUMMARY_KEYS}

    def stratum(row: dict) -> tuple:
        return (row["situation"], row["prompt_style"], bool(row["should_call"]))

    return columns, formulas, stratum


def _bfcl_tools() -> tuple[Callable, Callable, Callable]:
    from agent_flan.evaluation import suite_bfcl

    def formulas(c: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
        values = suite_bfcl.formulas(c, idx)
        return {key: values[key] for key in suite_bfcl.SUMMARY_KEYS}

    return suite_bfcl.columns, formulas, lambda row: row["category"]


def _when2call_tools() -> tuple[Callable, Callable, Callable]:
    from agent_flan.evaluation import suite_when2call

    return suite_when2call.columns, suite_when2call.formulas, lambda row: (row["gold"], bool(row["has_tools"]))


TOOLS = {"agent_h": _agent_h_tools, "bfcl": _bfcl_tools, "when2call": _when2call_tools}


def _by_suite(results: dict[str, Any]) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for row in results.get("items") or []:
        if isinstance(row, dict) and "id" in row:
            out.setdefault(row.get("suite", "agent_h"), {})[str(row["id"])] = row
    return out


def _answer(row: dict) -> str:
    """What the model did on one item: its reply, or its chosen When2Call answer."""
    if row.get("protocol") == "mcq":
        return f"chose {row.get('pred')} (normalised: {row.get('pred_norm')})"
    return str(row.get("reply", ""))


def paired(a: dict[str, Any], b: dict[str, Any], resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Per suite: shared item count, per-metric paired differences, and the items whose answer changed."""
    rows_a, rows_b = _by_suite(a), _by_suite(b)
    out: dict[str, Any] = {}
    for suite in [s for s in TOOLS if s in rows_a and s in rows_b]:
        shared = [i for i in rows_a[suite] if i in rows_b[suite]]
        entry: dict[str, Any] = {"shared": len(shared), "only_a": len(rows_a[suite]) - len(shared)}
        entry["only_b"] = len(rows_b[suite]) - len(shared)
        if not shared:
            out[suite] = entry | {"metrics": {}, "changed": 0, "examples": []}
            continue
        xs, ys = [rows_a[suite][i] for i in shared], [rows_b[suite][i] for i in shared]
        if suite == "when2call" and {r.get("protocol") for r in xs} != {r.get("protocol") for r in ys}:
            out[suite] = entry | {"metrics": {}, "note": "the runs used different When2Call protocols"}
            continue
        columns, formulas, stratum = TOOLS[suite]()
        keys = [stratum(r) for r in xs]
        entry["metrics"] = stats.paired_difference(formulas, columns(xs), columns(ys), keys, resamples, seed)
        changed = [(x, y) for x, y in zip(xs, ys, strict=True) if _answer(x) != _answer(y)]
        entry["changed"] = len(changed)
        entry["examples"] = [{"id": x["id"], "a": _answer(x)[:200], "b": _answer(y)[:200]} for x, y in changed[:3]]
        out[suite] = entry
    return out


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}"


def paired_markdown(result: dict[str, Any], names: tuple[str, str] = ("A", "B")) -> str:
    if not result:
        return "\nno suite has per-item results in both files: no paired comparison.\n"
    lines = [
        "",
        f"Paired bootstrap on the items both runs share ({names[1]} − {names[0]}; 95% percentile intervals; "
        "* = the interval excludes 0).",
        "",
        "| suite | metric | A | B | B − A | 95% CI | significant |",
        "|---|---|---:|---:|---:|---:|:---:|",
    ]
    for suite, entry in result.items():
        for key, m in entry.get("metrics", {}).items():
            ci = "–" if not m["ci95"] else f"{m['ci95'][0]:+.1f} … {m['ci95'][1]:+.1f}"
            sig = "–" if m["significant"] is None else ("*" if m["significant"] else "")
            diff = "–" if m["diff"] is None else f"{m['diff']:+.1f}"
            lines.append(f"| {suite} | {key} | {_fmt(m['a'])} | {_fmt(m['b'])} | {diff} | {ci} | {sig} |")
    lines.append("")
    for suite, entry in result.items():
        line = f"- {suite}: {entry['shared']} shared items"
        if entry.get("only_a") or entry.get("only_b"):
            line += f" ({entry['only_a']} only in A, {entry['only_b']} only in B, left out)"
        if "changed" in entry:
            line += f"; {entry['changed']} changed their answer"
        if entry.get("note"):
            line += f"; {entry['note']}"
        lines.append(line)
        for ex in entry.get("examples", []):
            a, b = (ex[k].replace("\n", " ").replace("|", "\\|") for k in ("a", "b"))
            lines.append(f"  - `{ex['id']}`: A: {a!r} → B: {b!r}")
    return "\n".join(lines) + "\n"
