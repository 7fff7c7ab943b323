"""Results files and the tables people read: JSON for machines, Markdown for humans and cards.

Why Markdown from the JSON (not from live objects): `--compare` must render two old runs
exactly as each run printed itself, so both paths go through the same dict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent_flan.core.errors import BadInputError
from agent_flan.evaluation.metrics import SUMMARY_KEYS

LABELS = {
    "h_react": "H_ReAct (detector) ↓",
    "h_general": "H_General (detector) ↓",
    "hscore": "HScore (detector) ↑",
    "relevance": "Relevance: calls when it should ↑",
    "balanced": "Balanced (harmonic mean HScore, relevance) ↑",
    "h_react_keyword": "H_ReAct (paper keywords) ↓",
    "h_general_keyword": "H_General (paper keywords) ↓",
    "hscore_keyword": "HScore (paper keywords) ↑",
    "relevance_expected_tool": "Relevance: expected tool ↑",
    "relevance_args_valid": "Relevance: expected tool, arguments parse ↑",
    "accuracy": "Accuracy: calls exactly when it should ↑",
}
BFCL_LABELS = {
    "bfcl_irrelevance": "BFCL irrelevance: no call ↑",
    "bfcl_live_irrelevance": "BFCL live_irrelevance: no call ↑",
    "bfcl_irrelevance_detection": "BFCL Irrelevance Detection (mean of the two) ↑",
    "bfcl_relevance": "BFCL Relevance Detection (live_relevance): calls ↑",
}
W2C_LABELS = {
    "when2call_f1": "When2Call macro-F1 ↑",
    "when2call_acc_norm": "When2Call acc-norm ↑",
    "when2call_tool_hallucination": "When2Call tool hallucination ↓",
}
W2C_GEN_LABELS = {
    "when2call_gen_tool_hallucination": "When2Call (generation) tool hallucination: no-tools cannot_answer calls ↓",
    "when2call_gen_tool_call_recall": "When2Call (generation) tool_call items that call ↑",
    "when2call_gen_call_f1": "When2Call (generation) call / no-call F1 ↑",
    "when2call_gen_call_accuracy": "When2Call (generation) call / no-call accuracy ↑",
}


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}"


def _ci(interval: Any) -> str:
    return "–" if not interval else f"{interval[0]:.1f}–{interval[1]:.1f}"


def run_label(results: dict[str, Any]) -> str:
    run = results.get("run", {})
    name = run.get("model") or run.get("model_name") or "model"
    return f"{name} + {run['adapter']}" if run.get("adapter") else str(name)


def markdown(results: dict[str, Any]) -> str:
    """Agent-H's table (when it ran), then one table per other suite, then any endpoint warning."""
    suites = results.get("run", {}).get("suites") or ["agent_h"]
    parts = [_agent_h_markdown(results)] if "agent_h" in suites else []
    if "bfcl" in suites:
        parts.append(_bfcl_markdown(results))
    if "when2call" in suites:
        parts.append(_when2call_markdown(results))
    check = results.get("run", {}).get("native_tools_check")
    if isinstance(check, dict) and check.get("status") == "ignored":
        parts.append(
            "**WARNING: the server ignores the `tools` field** (same prompt token count with and without "
            f"tools: {check.get('prompt_tokens_with_tools')}). The --native-tools numbers above measure a model "
            "that never saw the tools.\n"
        )
    return "\n".join(parts)


def _suite_table(results: dict[str, Any], keys: list[tuple[str, str]]) -> list[str]:
    summary = results["summary"]
    ci = summary.get("ci95", {})
    lines = ["| metric | value | 95% CI |", "|---|---:|---:|"]
    for key, label in keys:
        lines.append(f"| {label} | {_fmt(summary.get(key))} | {_ci(ci.get(key))} |")
    return lines


def _sample_line(results: dict[str, Any], suite: str) -> str:
    sample = results.get("run", {}).get("samples", {}).get(suite) or {}
    if sample.get("method") == "stratified":
        return (
            f"a seeded stratified sample of {sample.get('sampled')} of {sample.get('population')} items "
            f"(seed {sample.get('seed')})"
        )
    return f"all {sample.get('population', '?')} items"


def _bfcl_markdown(results: dict[str, Any]) -> str:
    detail = results["summary"].get("suites", {}).get("bfcl", {})
    counts = detail.get("counts", {})
    judge = detail.get("judge", {})
    lines = [
        f"### BFCL v4 relevance: {run_label(results)}",
        "",
        f"{_sample_line(results, 'bfcl')}: {counts.get('irrelevance', 0)} irrelevance, "
        f"{counts.get('live_irrelevance', 0)} live_irrelevance, {counts.get('live_relevance', 0)} live_relevance; "
        f"{detail.get('mode', 'prompt')} mode, judged by {judge.get('judge', '?')}.",
        "",
    ]
    lines += _suite_table(results, [(k, BFCL_LABELS[k]) for k in BFCL_LABELS])
    detector = detail.get("detector", {})
    dis = detail.get("disagreements", {})
    lines += [
        "",
        "Our detector beside BFCL's decoder: irrelevance "
        f"{_fmt(detector.get('bfcl_detector_irrelevance'))}, live_irrelevance "
        f"{_fmt(detector.get('bfcl_detector_live_irrelevance'))}, relevance {_fmt(detector.get('bfcl_detector_relevance'))}; "
        f"the two disagree on {dis.get('count', 0)} items ({dis.get('detector_call_bfcl_not', 0)} where only the "
        f"detector sees a call, {dis.get('bfcl_call_detector_not', 0)} where only BFCL does).",
    ]
    for ex in dis.get("examples", [])[:3]:
        reply = ex["reply"][:120].replace("\n", " ").replace("|", "\\|")
        lines.append(
            f"- `{ex['id']}` (BFCL call: {ex['bfcl_contains_call']}, detector: {ex['detector_style']}): {reply!r}"
        )
    return "\n".join(lines) + "\n"


def _when2call_markdown(results: dict[str, Any]) -> str:
    detail = results["summary"].get("suites", {}).get("when2call", {})
    counts = detail.get("counts", {})
    protocol = detail.get("protocol")
    how = (
        "multiple choice by log-likelihood of the four written answers"
        if protocol == "mcq"
        else "generation judged by the kit's detector (call / no-call metrics only)"
    )
    lines = [
        f"### When2Call: {run_label(results)}",
        "",
        f"{_sample_line(results, 'when2call')} ({counts.get('tool_call', 0)} tool_call, "
        f"{counts.get('cannot_answer', 0)} cannot_answer of which {counts.get('cannot_answer_no_tools', 0)} with no "
        f"tools, {counts.get('request_for_info', 0)} request_for_info, {counts.get('direct', 0)} direct); {how}.",
        "",
    ]
    keys = W2C_LABELS if protocol == "mcq" else W2C_GEN_LABELS
    lines += _suite_table(results, list(keys.items()))
    return "\n".join(lines) + "\n"


def _agent_h_markdown(results: dict[str, Any]) -> str:
    """Summary table with 95% intervals, then the breakdown by situation and prompt style."""
    summary, run = results["summary"], results.get("run", {})
    counts = summary.get("counts", {})
    lines = [
        f"### Agent-H: {run_label(results)}",
        "",
        f"{counts.get('items', '?')} items ({counts.get('should_call', '?')} should call, "
        f"{counts.get('should_not_call_react', '?')} + {counts.get('should_not_call_general', '?')} should not, "
        f"ReAct + general prompts) from `{run.get('dataset', '?')}`; "
        f"{'greedy' if run.get('settings', {}).get('temperature', 0) <= 0 else 'sampled'}, "
        f"max {run.get('settings', {}).get('max_new_tokens', '?')} new tokens.",
        "",
        "| metric | value | 95% CI |",
        "|---|---:|---:|",
    ]
    ci = summary.get("ci95", {})
    for key in SUMMARY_KEYS:
        lines.append(f"| {LABELS[key]} | {_fmt(summary.get(key))} | {_ci(ci.get(key))} |")
    lines += [
        "",
        "| situation | prompt | n | should call | calls a tool % | keywords % | correct % |",
        "|---|---|---:|:---:|---:|---:|---:|",
    ]
    for cell in summary.get("breakdown", []):
        should = "yes" if cell["n_should_call"] == cell["n"] else ("no" if cell["n_should_call"] == 0 else "mixed")
        lines.append(
            f"| {cell['situation']} | {cell['prompt_style']} | {cell['n']} | {should} | "
            f"{_fmt(cell['call_rate'])} | {_fmt(cell['keyword_rate'])} | {_fmt(cell['correct_rate'])} |"
        )
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """`out` (JSON) and the Markdown table beside it (same name, .md)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    md_path = out.with_suffix(".md") if out.suffix != ".md" else out.with_suffix(".table.md")
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)  # a reader never sees half a file
    md_path.write_text(markdown(results), encoding="utf-8")
    return out, md_path


def load_results(path: Path) -> dict[str, Any]:
    """A results file written by `agent-flan eval --out`; anything else is a user error."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path}: not JSON (line {exc.lineno}): {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        raise BadInputError(f"{path}: no `summary` object; is this an `agent-flan eval --out` file?")
    return data


def _delta(a: Any, b: Any) -> str:
    return "–" if a is None or b is None else f"{b - a:+.1f}"


def compare_markdown(
    a: dict[str, Any], b: dict[str, Any], names: tuple[str, str] = ("A", "B"), resamples: int = 1000, seed: int = 0
) -> str:
    """Two runs side by side: summary metrics, tool-call rate per (situation, prompt) cell, then the
    paired bootstrap of every shared suite (evaluation.compare)."""
    from agent_flan.evaluation.compare import paired, paired_markdown

    sa, sb = a["summary"], b["summary"]
    head_a, head_b = f"{names[0]}: {run_label(a)}", f"{names[1]}: {run_label(b)}"
    lines = [f"| metric | {head_a} | {head_b} | B − A |", "|---|---:|---:|---:|"]
    other = {**BFCL_LABELS, **W2C_LABELS, **W2C_GEN_LABELS}
    for key, label in other.items():
        if sa.get(key) is not None or sb.get(key) is not None:
            lines.append(
                f"| {label} | {_fmt(sa.get(key))} | {_fmt(sb.get(key))} | {_delta(sa.get(key), sb.get(key))} |"
            )
    if not any("hscore" in summary for summary in (sa, sb)):  # neither run has Agent-H
        return "\n".join(lines) + "\n" + paired_markdown(paired(a, b, resamples, seed), names)
    for key in SUMMARY_KEYS:
        lines.append(
            f"| {LABELS[key]} | {_fmt(sa.get(key))} | {_fmt(sb.get(key))} | {_delta(sa.get(key), sb.get(key))} |"
        )
    items_a, items_b = sa.get("counts", {}).get("items"), sb.get("counts", {}).get("items")
    lines.append(f"| items | {items_a} | {items_b} | |")
    cells_b = {(c["situation"], c["prompt_style"]): c for c in sb.get("breakdown", [])}
    cells = [(c["situation"], c["prompt_style"]) for c in sa.get("breakdown", [])]
    cells += [key for key in cells_b if key not in cells]
    cells_a = {(c["situation"], c["prompt_style"]): c for c in sa.get("breakdown", [])}
    lines += ["", "| situation | prompt | calls a tool % A | calls a tool % B | B − A |", "|---|---|---:|---:|---:|"]
    for key in cells:
        ra = cells_a.get(key, {}).get("call_rate")
        rb = cells_b.get(key, {}).get("call_rate")
        lines.append(f"| {key[0]} | {key[1]} | {_fmt(ra)} | {_fmt(rb)} | {_delta(ra, rb)} |")
    if items_a != items_b:
        lines += ["", f"note: the runs cover different item counts ({items_a} vs {items_b}); compare with care."]
    return "\n".join(lines) + "\n" + paired_markdown(paired(a, b, resamples, seed), names)
