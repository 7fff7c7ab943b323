"""The When2Call suite (NVIDIA, NAACL 2025): when to call a tool, ask, or decline.

Their rule, for local models: the multiple-choice protocol of When2Call's lm-eval-harness task
(`evaluation/mcq/lm_eval_harness/when2call/`, task `when2call`, `process_docs_default`). The context is
the task's default prompt (system text, tool-use instructions, the tools in <tool> tags, the question),
given as one user turn through the model's chat template (lm-eval's `--apply_chat_template`); the four
written answers (direct, tool_call, request_for_info, cannot_answer, in the file's order) are scored by
their summed log-probability as continuations (`target_delimiter: ""`, lm-eval's `_encode_pair`).

- `when2call_acc_norm`: the argmax of log-likelihood / answer length in characters is the gold answer
  (lm-eval's `acc_norm`);
- `when2call_f1`: macro-F1 over the four answer types of the raw-log-likelihood argmax, the pair
  (gold, pred) that the harness logs as `macro_f1` (`additional_metrics.py` reads the prediction from it);
- `when2call_tool_hallucination`: of the cannot_answer items offered no tools, the share whose
  prediction is the tool call (`additional_metrics.calculate_hallucination_rate`), lower is better.

An OpenAI-compatible endpoint gives no log-probabilities of given text, so there the suite generates a
reply to the same prompt (or, with `--native-tools`, to the bare question with the tools in the API
field, converted as `llm_as_a_judge/run_openai_inference.py` does) and the kit's detector decides
whether it is a tool call. That supports only the call / no-call part of When2Call, under its own
names: `when2call_gen_tool_hallucination`, `when2call_gen_tool_call_recall`, `when2call_gen_call_f1`,
`when2call_gen_call_accuracy`. The three MCQ keys are then null: the judged 4-way labels need
When2Call's LLM judge, which this kit does not run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent_flan.core.errors import BadInputError
from agent_flan.core.toolcalls.detect import detect
from agent_flan.evaluation import stats

SUITE = "when2call"
HUB_ID = "nvidia/When2Call"
HUB_FILE = "test/when2call_test_mcq.jsonl"
UPSTREAM_REPO = "NVIDIA/When2Call"
UPSTREAM_COMMIT = "ecc8d42388e91ab37e7e737d48e16e8ecea3d1dc"
ANSWER_TYPES = ("direct", "tool_call", "request_for_info", "cannot_answer")
SUMMARY_KEYS = ("when2call_f1", "when2call_acc_norm", "when2call_tool_hallucination")
GENERATION_KEYS = (
    "when2call_gen_tool_hallucination",
    "when2call_gen_tool_call_recall",
    "when2call_gen_call_f1",
    "when2call_gen_call_accuracy",
)
DESCRIPTIONS = {
    "when2call_f1": "When2Call macro-F1 over the 4 answer types (log-likelihood MCQ)",
    "when2call_acc_norm": "When2Call accuracy, length-normalised log-likelihood (MCQ)",
    "when2call_tool_hallucination": "When2Call: no-tools cannot_answer items where the model picks the tool call ↓",
    "when2call_gen_tool_hallucination": "When2Call, generation + detector: no-tools cannot_answer items whose reply calls ↓",
    "when2call_gen_tool_call_recall": "When2Call, generation + detector: tool_call items whose reply calls",
    "when2call_gen_call_f1": "When2Call, generation + detector: F1 of 'reply calls' against 'answer is tool_call'",
    "when2call_gen_call_accuracy": "When2Call, generation + detector: calls exactly on tool_call items",
}

# evaluation/mcq/lm_eval_harness/when2call/utils.py at NVIDIA/When2Call@ecc8d42 (Apache-2.0), verbatim,
# including the trailing space after "assistant.".
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful AI assistant. \n"
    "You have access to the following tools described in <tool></tool> which you can use to answer the user's "
    "questions.\n"
    "Only use a tool if it directly answers the user's question.\n"
)
TOOL_USE_INSTRUCTIONS = (
    "To use a tool, return JSON in the following format:\n"
    '{"name": "tool_name", "arguments": {"argument1": "value1", "argument2": "value2", ...}}\n'
)


@dataclass(frozen=True)
class When2CallItem:
    id: str
    question: str
    correct_answer: str
    answers: tuple[tuple[str, str], ...]  # (answer type, written answer), in the file's order
    tools: tuple[str, ...]  # JSON strings, as published
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def has_tools(self) -> bool:
        return bool(self.tools)


def mcq_prompt(item: When2CallItem) -> str:
    """`process_docs_default`'s prompt (no space at the end: the config's target delimiter is "")."""
    tool_string = "\n\n".join(f"<tool>{tool}</tool>" for tool in item.tools)
    return f"{DEFAULT_SYSTEM_PROMPT}\n{TOOL_USE_INSTRUCTIONS}\n\n{tool_string}\n\n{item.question}"


def native_tools(item: When2CallItem) -> list[dict[str, Any]]:
    """The tools as `run_openai_inference.py` sends them (its string replacements, names without dots)."""
    out = []
    for text in item.tools:
        tool = json.loads(
            text.replace("float", "string")
            .replace("integer", "string")
            .replace("dict", "object")
            .replace("tuple", "object")
        )
        tool["name"] = tool["name"].replace(".", "_")
        tool["parameters"]["type"] = "object"
        for param in tool["parameters"].get("properties", {}):
            tool["parameters"]["properties"][param]["type"] = "string"
        out.append(tool)
    return out


# --------------------------------------------------------------------------- loading


def _parse(path: Path) -> list[When2CallItem]:
    items = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                answers = row["answers"]
                item = When2CallItem(
                    id=str(row["uuid"]),
                    question=str(row["question"]),
                    correct_answer=str(row["correct_answer"]),
                    answers=tuple((str(k), str(v)) for k, v in answers.items()),
                    tools=tuple(t if isinstance(t, str) else json.dumps(t) for t in row.get("tools") or []),
                    source=str(row.get("source", "")),
                )
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise BadInputError(
                    f"{path}:{number}: not a When2Call test record (uuid, question, correct_answer, answers, tools): {exc}"
                ) from exc
            if item.correct_answer not in dict(item.answers):
                raise BadInputError(f"{path}:{number}: correct_answer {item.correct_answer!r} is not among the answers")
            items.append(item)
    return items


def load(source: str | None) -> tuple[list[When2CallItem], dict[str, Any]]:
    """The MCQ test file (or the 300-item LLM-judge subset: same layout) from a path or the Hub."""
    from agent_flan.core.hub import looks_like_path, missing_path_message

    spec = source or HUB_ID
    path = Path(spec).expanduser()
    if path.is_dir():
        candidates = [path / "test" / "when2call_test_mcq.jsonl", path / "when2call_test_mcq.jsonl"]
        found = [p for p in candidates if p.is_file()]
        if not found:
            raise BadInputError(f"{path}: no when2call_test_mcq.jsonl (or test/when2call_test_mcq.jsonl) in it")
        path = found[0]
        origin = str(path)
    elif path.is_file():
        origin = str(path)
    elif looks_like_path(spec):
        raise BadInputError(missing_path_message(spec))
    else:
        from huggingface_hub import hf_hub_download

        from agent_flan.core.hub import bound_hub_requests

        bound_hub_requests()
        try:
            path = Path(hf_hub_download(spec, HUB_FILE, repo_type="dataset"))
        except Exception as exc:
            raise BadInputError(
                f"cannot read {HUB_FILE} from the Hub dataset {spec} ({type(exc).__name__}: {str(exc)[:200]}); "
                "offline, give a local copy: --suite-data when2call=PATH/when2call_test_mcq.jsonl"
            ) from exc
        origin = f"hub:{spec}/{HUB_FILE}"
    items = _parse(path)
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise BadInputError(f"{origin}: duplicate uuids")
    info = {
        "source": origin,
        "files": {
            "test": {"path": str(path), "name": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        },
        "benchmark": "When2Call",
        "upstream": f"{UPSTREAM_REPO}@{UPSTREAM_COMMIT}",
    }
    return items, info


def stratum(item: When2CallItem) -> str:
    return f"{item.correct_answer}/{'tools' if item.has_tools else 'no_tools'}"


# --------------------------------------------------------------------------- MCQ scoring (local models)


def encode_pair(tokenizer, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """lm-eval's `_encode_pair`: trailing whitespace of the context moves to the continuation, and the
    continuation's tokens are those of the whole text past the context's own tokens."""
    spaces = len(context) - len(context.rstrip())
    if spaces:
        continuation = context[-spaces:] + continuation
        context = context[:-spaces]
    whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
    ctx = tokenizer(context, add_special_tokens=False)["input_ids"]
    return ctx, whole[len(ctx) :]


def loglikelihoods(runner, context: str, choices: Sequence[str], max_length: int | None = None) -> list[float]:
    """Summed log-probability of each choice after `context`, in one batch (local runner only).

    The rows are padded on the left with explicit position ids, so every continuation ends at the
    last position and only those positions' logits are computed (`logits_to_keep`): a 7B model with
    a 150k vocabulary and 3k-token contexts would otherwise hold gigabytes of logits per item."""
    import torch

    model, tokenizer = runner.model, runner.tokenizer
    limit = max_length or int(getattr(model.config, "max_position_embeddings", 4096) or 4096)
    rows, conts = [], []
    for choice in choices:
        ctx, cont = encode_pair(tokenizer, context, choice)
        if not cont:
            raise BadInputError("a When2Call answer tokenises to nothing")
        full = (ctx + cont)[-(limit + 1) :]
        rows.append(full[:-1])
        conts.append(cont)
    width = max(len(r) for r in rows)
    keep = max(len(c) for c in conts)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row) :] = torch.tensor(row)
        mask[i, width - len(row) :] = 1
    positions = (mask.cumsum(dim=-1) - 1).clamp(min=0)
    inputs = {
        "input_ids": ids.to(runner.device),
        "attention_mask": mask.to(runner.device),
        "position_ids": positions.to(runner.device),
    }
    with torch.inference_mode():
        try:
            logits = model(**inputs, logits_to_keep=keep).logits
        except TypeError:  # a model without logits_to_keep
            logits = model(**inputs).logits
        logprobs = torch.log_softmax(logits[:, -keep:, :].float(), dim=-1)
    out = []
    for i, cont in enumerate(conts):
        # the prediction for the k-th continuation token sits at position -(len(cont) - k) of the kept tail
        positions_in_tail = torch.arange(keep - len(cont), keep, device=logprobs.device)
        target = torch.tensor(cont, device=logprobs.device)
        out.append(float(logprobs[i, positions_in_tail, target].sum()))
    return out


# --------------------------------------------------------------------------- judging


def judge_mcq(item: When2CallItem, scores: list[float]) -> dict[str, Any]:
    names = [name for name, _ in item.answers]
    texts = [text for _, text in item.answers]
    lengths = [float(len(t)) for t in texts]
    pred = names[int(np.argmax(scores))]
    pred_norm = names[int(np.argmax(np.asarray(scores) / np.asarray(lengths)))]
    return {
        "suite": SUITE,
        "id": item.id,
        "protocol": "mcq",
        "category": item.correct_answer,
        "has_tools": item.has_tools,
        "source": item.source,
        "gold": item.correct_answer,
        "choices": names,
        "loglikelihoods": [round(s, 4) for s in scores],
        "lengths": lengths,
        "pred": pred,
        "pred_norm": pred_norm,
        "correct": pred == item.correct_answer,
        "correct_norm": pred_norm == item.correct_answer,
    }


def judge_generation(item: When2CallItem, reply: str, tools: list | None = None) -> dict[str, Any]:
    offered = tools if tools is not None else [json.loads(t) for t in item.tools]
    verdict = detect(reply, offered)
    return {
        "suite": SUITE,
        "id": item.id,
        "protocol": "generate",
        "category": item.correct_answer,
        "has_tools": item.has_tools,
        "source": item.source,
        "gold": item.correct_answer,
        "reply": reply,
        "calls_tool": verdict.calls_tool,
        "correct": verdict.calls_tool == (item.correct_answer == "tool_call"),
        "verdict": verdict.to_dict(),
    }


# --------------------------------------------------------------------------- metrics


def columns(rows: Sequence[dict]) -> dict[str, np.ndarray]:
    index = {name: i for i, name in enumerate(ANSWER_TYPES)}
    gold = np.asarray([index.get(r["gold"], -1) for r in rows])
    cols = {
        "gold": gold,
        "hallucination_cell": np.asarray(
            [r["gold"] == "cannot_answer" and not r["has_tools"] for r in rows], dtype=bool
        ),
        "all": np.ones(len(rows), dtype=bool),
    }
    if rows and rows[0]["protocol"] == "mcq":
        cols["pred"] = np.asarray([index.get(r["pred"], -1) for r in rows])
        cols["pred_norm"] = np.asarray([index.get(r["pred_norm"], -1) for r in rows])
    else:
        cols["calls"] = np.asarray([bool(r.get("calls_tool")) for r in rows], dtype=float)
    return cols


def _macro_f1(gold: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """sklearn's f1_score(average="macro") per row: over the labels present in gold or pred."""
    total = np.zeros(gold.shape[0])
    present = np.zeros(gold.shape[0])
    for label in range(len(ANSWER_TYPES)):
        tp = ((pred == label) & (gold == label)).sum(axis=-1)
        fp = ((pred == label) & (gold != label)).sum(axis=-1)
        fn = ((pred != label) & (gold == label)).sum(axis=-1)
        denom = 2 * tp + fp + fn
        seen = denom > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            total += np.where(seen, 2 * tp / np.where(seen, denom, 1), 0.0)
        present += seen
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * total / np.where(present == 0, np.nan, present)


def formulas(c: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    gold, cell, everything = c["gold"][idx], c["hallucination_cell"][idx], c["all"][idx]
    tool = ANSWER_TYPES.index("tool_call")
    if "pred" in c:
        pred, pred_norm = c["pred"][idx], c["pred_norm"][idx]
        return {
            "when2call_f1": _macro_f1(gold, pred),
            "when2call_acc_norm": stats.rate((pred_norm == gold).astype(float), everything),
            "when2call_acc": stats.rate((pred == gold).astype(float), everything),
            "when2call_tool_hallucination": stats.rate((pred == tool).astype(float), cell),
            "when2call_tool_hallucination_norm": stats.rate((pred_norm == tool).astype(float), cell),
        }
    calls = c["calls"][idx]
    should = (gold == tool).astype(float)
    tp = (calls * should).sum(axis=-1)
    fp = (calls * (1 - should)).sum(axis=-1)
    fn = ((1 - calls) * should).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 100.0 * 2 * tp / np.where(2 * tp + fp + fn == 0, np.nan, 2 * tp + fp + fn)
    return {
        "when2call_gen_tool_hallucination": stats.rate(calls, cell),
        "when2call_gen_tool_call_recall": stats.rate(calls, gold == tool),
        "when2call_gen_call_f1": f1,
        "when2call_gen_call_accuracy": stats.rate((calls == should).astype(float), everything),
    }


def summarize(rows: Sequence[dict], resamples: int, seed: int) -> dict[str, Any]:
    cols = columns(rows)
    values = stats.point(formulas, cols, len(rows)) if rows else {}
    keys = [f"{r['gold']}/{r['has_tools']}" for r in rows]
    ci = stats.intervals(formulas, cols, keys, resamples, seed)
    protocol = rows[0]["protocol"] if rows else None
    metrics = {key: values.get(key) for key in SUMMARY_KEYS}
    if protocol == "generate":
        metrics.update({key: values.get(key) for key in GENERATION_KEYS})
    confusion: dict[str, dict[str, int]] = {}
    for r in rows:
        predicted = r["pred"] if protocol == "mcq" else ("tool_call" if r["calls_tool"] else "no_call")
        confusion.setdefault(r["gold"], {}).setdefault(predicted, 0)
        confusion[r["gold"]][predicted] += 1
    return {
        "metrics": metrics,
        "details": {
            "protocol": protocol,
            "extra": {k: v for k, v in values.items() if k not in metrics},
            "ci95": ci,
            "counts": {
                "items": len(rows),
                **{name: sum(r["gold"] == name for r in rows) for name in ANSWER_TYPES},
                "cannot_answer_no_tools": int(cols["hallucination_cell"].sum()) if rows else 0,
            },
            "confusion": confusion,
            "note": None
            if protocol != "generate"
            else "generation judged by the kit's detector: only call / no-call metrics (when2call_gen_*); "
            "the MCQ keys need log-probabilities, which an OpenAI-compatible endpoint does not give",
        },
    }
