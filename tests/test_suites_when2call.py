"""The When2Call suite: its MCQ protocol (prompt, log-likelihoods, metrics) and the generation fallback.

tests/data/when2call_sample/when2call_test_sample.jsonl holds 26 real When2Call test records in the
published layout (NVIDIA/When2Call@ecc8d42, see tests/data/SOURCES.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_flan.core.errors import BadInputError
from agent_flan.evaluation import suite_when2call as w2c

SAMPLE = Path(__file__).resolve().parent / "data" / "when2call_sample" / "when2call_test_sample.jsonl"


@pytest.fixture(scope="module")
def items():
    loaded, info = w2c.load(str(SAMPLE))
    assert info["upstream"] == f"NVIDIA/When2Call@{w2c.UPSTREAM_COMMIT}" and len(info["files"]["test"]["sha256"]) == 64
    return loaded


def test_records_load_with_answers_in_file_order(items):
    assert len(items) == 26
    assert all([name for name, _ in i.answers] == list(w2c.ANSWER_TYPES) for i in items)
    strata = {w2c.stratum(i) for i in items}
    assert strata == {"tool_call/tools", "request_for_info/tools", "cannot_answer/tools", "cannot_answer/no_tools"}


def test_bad_records_are_user_errors(tmp_path):
    bad = tmp_path / "w.jsonl"
    bad.write_text('{"uuid": "u", "question": "q"}\n', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"w.jsonl:1: not a When2Call test record"):
        w2c.load(str(bad))
    row = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])
    row["correct_answer"] = "maybe"
    bad.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="not among the answers"):
        w2c.load(str(bad))
    with pytest.raises(BadInputError, match="no such file"):
        w2c.load(str(tmp_path / "nope.jsonl"))


def test_mcq_prompt_is_the_default_task_prompt(items):
    """process_docs_default, spelled out: system text (its trailing space kept), the JSON instruction, the
    tools in <tool> tags separated by blank lines, then the question, with nothing after it."""
    item = next(i for i in items if len(i.tools) >= 2)
    prompt = w2c.mcq_prompt(item)
    head = (
        "You are a helpful AI assistant. \nYou have access to the following tools described in <tool></tool> which "
        "you can use to answer the user's questions.\nOnly use a tool if it directly answers the user's question.\n"
        '\nTo use a tool, return JSON in the following format:\n{"name": "tool_name", "arguments": {"argument1": '
        '"value1", "argument2": "value2", ...}}\n\n\n'
    )
    assert prompt == head + "\n\n".join(f"<tool>{t}</tool>" for t in item.tools) + "\n\n" + item.question
    empty = next(i for i in items if not i.tools)
    assert w2c.mcq_prompt(empty).endswith("...}}\n\n\n\n\n" + empty.question)


def test_encode_pair_moves_trailing_whitespace_into_the_continuation():
    class Chars:  # a tokenizer with one token per character
        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": [ord(c) for c in text]}

    ctx, cont = w2c.encode_pair(Chars(), "assistant\n", "Hello")
    assert ctx == [ord(c) for c in "assistant"] and cont == [ord(c) for c in "\nHello"]


def test_loglikelihoods_match_a_direct_forward_pass(tmp_path_factory):
    import torch
    from support.tiny_eval import build_tiny_llama

    from agent_flan.core.runners import GenerationSettings
    from agent_flan.core.runners.local import LocalModelConfig, LocalRunner

    folder = build_tiny_llama(tmp_path_factory.mktemp("tiny-w2c") / "tiny")
    runner = LocalRunner.load(LocalModelConfig(str(folder)), GenerationSettings(), threads=1)
    context = "<|im_start|>user\nPick one<|im_end|>\n<|im_start|>assistant\n"
    choices = ["Yes, I can.", "No.", '{"name": "get_weather", "arguments": {}}']
    scores = w2c.loglikelihoods(runner, context, choices)
    for choice, score in zip(choices, scores, strict=True):  # one sequence at a time, no padding
        ctx, cont = w2c.encode_pair(runner.tokenizer, context, choice)
        ids = torch.tensor([ctx + cont])
        with torch.inference_mode():
            logprobs = torch.log_softmax(runner.model(input_ids=ids).logits.float(), dim=-1)[0]
        expected = sum(float(logprobs[len(ctx) + k - 1, t]) for k, t in enumerate(cont))
        assert score == pytest.approx(expected, abs=1e-3)
    assert scores[1] != scores[0]


def _row(gold: str, pred: str, pred_norm: str | None = None, tools: bool = True) -> dict:
    return {
        "protocol": "mcq",
        "gold": gold,
        "pred": pred,
        "pred_norm": pred_norm or pred,
        "has_tools": tools,
    }


def test_mcq_metrics_by_hand():
    rows = [
        _row("tool_call", "tool_call"),
        _row("tool_call", "direct"),
        _row("cannot_answer", "tool_call", "cannot_answer", tools=False),
        _row("cannot_answer", "cannot_answer", tools=False),
        _row("request_for_info", "request_for_info", "direct"),
        _row("cannot_answer", "cannot_answer"),
    ]
    m = w2c.summarize(rows, resamples=100, seed=0)
    metrics = m["metrics"]
    # per class F1 (raw argmax): tool_call 2*1/(2+1+1)=0.5; direct 0 (fp 1); request_for_info 1; cannot_answer
    # 2*2/(4+0+1)=0.8 -> macro (0.5+0+1+0.8)/4
    assert metrics["when2call_f1"] == pytest.approx(100 * (0.5 + 0 + 1 + 0.8) / 4, abs=0.01)
    assert metrics["when2call_acc_norm"] == pytest.approx(100 * 4 / 6, abs=0.01)  # norm: 1,0,1,1,0,1
    assert metrics["when2call_tool_hallucination"] == 50.0  # of the 2 no-tools cannot_answer items, 1 picks the call
    assert m["details"]["extra"]["when2call_acc"] == pytest.approx(100 * 4 / 6, abs=0.01)
    assert m["details"]["extra"]["when2call_tool_hallucination_norm"] == 0.0
    assert m["details"]["confusion"]["cannot_answer"] == {"tool_call": 1, "cannot_answer": 2}


def test_judge_mcq_uses_raw_and_length_normalised_argmax(items):
    item = items[0]
    lengths = [len(text) for _, text in item.answers]
    scores = [-1.0 * n for n in lengths]  # per character all equal: normalised ties go to the first answer
    scores[1] = -0.5 * lengths[1]  # the tool call: best per character
    row = w2c.judge_mcq(item, scores)
    assert row["pred_norm"] == "tool_call"
    assert row["pred"] == item.answers[int(max(range(4), key=lambda k: scores[k]))][0]


def test_generation_metrics_are_named_as_such(items):
    call = '{"name": "some_tool", "arguments": {"a": 1}}'
    rows = [
        w2c.judge_generation(i, call if i.correct_answer == "tool_call" or not i.tools else "I can't.") for i in items
    ]
    summary = w2c.summarize(rows, resamples=100, seed=0)
    metrics = summary["metrics"]
    assert metrics["when2call_f1"] is None and metrics["when2call_acc_norm"] is None
    assert metrics["when2call_tool_hallucination"] is None
    assert metrics["when2call_gen_tool_hallucination"] == 100.0  # every no-tools item called
    assert metrics["when2call_gen_tool_call_recall"] == 100.0
    n_no_tools = sum(not i.tools for i in items)
    n_calls = sum(i.correct_answer == "tool_call" for i in items)
    assert metrics["when2call_gen_call_f1"] == pytest.approx(100 * 2 * n_calls / (2 * n_calls + n_no_tools), abs=0.01)
    assert "generation judged by the kit's detector" in summary["details"]["note"]


def test_native_tools_follow_run_openai_inference(items):
    item = next(i for i in items if i.tools)
    tools = w2c.native_tools(item)
    assert all("." not in t["name"] and t["parameters"]["type"] == "object" for t in tools)
    assert all(p["type"] == "string" for t in tools for p in t["parameters"].get("properties", {}).values())
