"""Agent-H metrics on hand-computed cases, the per-item judge, items, keywords and the reply cache.

Everything here is pure Python + numpy: no model, no network, well under a second per test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agent_flan.core.errors import BadInputError  # noqa: E402
from agent_flan.evaluation.cache import ReplyCache, cache_key  # noqa: E402
from agent_flan.evaluation.items import EvalItem, item_from_row, items_from_rows, prompt_hash  # noqa: E402
from agent_flan.evaluation.judge import Judgement, judge  # noqa: E402
from agent_flan.evaluation.keywords import general_keyword_hit, keyword_hit, react_keyword_hit  # noqa: E402
from agent_flan.evaluation.metrics import SUMMARY_KEYS, bootstrap_intervals, summarize  # noqa: E402

WEATHER = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


def J(
    style: str,
    should: bool,
    calls: bool,
    keyword: bool = False,
    expected: bool = False,
    args: bool = False,
    situation: str | None = None,
    n: int = 0,
) -> Judgement:
    """A judgement with chosen outcomes (the metrics only count these fields)."""
    situation = situation or ("tool_needed_tools_given" if should else "chat_tools_given")
    return Judgement(
        id=f"{situation}-{style}-{n}-{calls}",
        situation=situation,
        prompt_style=style,
        should_call=should,
        expected_tool="get_weather" if should else "",
        reply="",
        calls_tool=calls,
        keyword_hit=keyword,
        called_expected=expected,
        args_valid=args,
        verdict={},
    )


def population(react_neg: list[bool], general_neg: list[bool], positives: list[bool]) -> list[Judgement]:
    out = [J("react", False, c, n=i) for i, c in enumerate(react_neg)]
    out += [J("general", False, c, n=i) for i, c in enumerate(general_neg)]
    out += [J("react" if i % 2 == 0 else "general", True, c, expected=c, args=c, n=i) for i, c in enumerate(positives)]
    return out


# --------------------------------------------------------------------------- metrics by hand


def test_hand_computed_mixed_model():
    """4 ReAct negatives (1 calls), 4 general negatives (2 call), 2 positives (1 calls)."""
    items = population([True, False, False, False], [True, True, False, False], [True, False])
    s = summarize(items, resamples=200, seed=0)
    m = s.metrics
    assert m["h_react"] == pytest.approx(25.0)
    assert m["h_general"] == pytest.approx(50.0)
    assert m["hscore"] == pytest.approx(62.5)  # ((100-25) + (100-50)) / 2
    assert m["relevance"] == pytest.approx(50.0)
    assert m["balanced"] == pytest.approx(2 * 62.5 * 50 / (62.5 + 50))  # 55.56
    assert m["accuracy"] == pytest.approx(60.0)  # 3 + 2 silent negatives + 1 calling positive, of 10
    assert s.counts == {"items": 10, "should_call": 2, "should_not_call_react": 4, "should_not_call_general": 4}
    data = s.to_dict()
    for key in ("h_react", "h_general", "hscore", "relevance", "balanced"):  # the CLI contract
        assert 0 <= data[key] <= 100


def test_never_calling_model_has_perfect_hscore_but_low_balanced():
    items = population([False] * 6, [False] * 6, [False] * 4)
    m = summarize(items, resamples=100).metrics
    assert m["hscore"] == 100.0
    assert m["relevance"] == 0.0
    assert m["balanced"] == 0.0  # the reason the balanced score exists (BFCL's irrelevance loophole)
    assert m["accuracy"] == pytest.approx(100 * 12 / 16)


def test_always_calling_model_scores_zero_hscore_and_balanced():
    items = population([True] * 6, [True] * 6, [True] * 4)
    m = summarize(items, resamples=100).metrics
    assert (m["h_react"], m["h_general"], m["hscore"]) == (100.0, 100.0, 0.0)
    assert m["relevance"] == 100.0
    assert m["relevance_expected_tool"] == 100.0
    assert m["balanced"] == 0.0


def test_perfect_model():
    items = population([False] * 3, [False] * 3, [True] * 2)
    m = summarize(items, resamples=50).metrics
    assert m["hscore"] == m["relevance"] == m["balanced"] == m["accuracy"] == 100.0


def test_keyword_variant_is_separate_from_detector():
    items = [
        J("react", False, False, keyword=True),
        J("react", False, False),
        J("general", False, True, keyword=False),
        J("general", False, False, keyword=True),
        J("react", True, True, expected=True, args=False),
    ]
    m = summarize(items, resamples=50).metrics
    assert m["h_react"] == 0.0 and m["h_react_keyword"] == 50.0
    assert m["h_general"] == 50.0 and m["h_general_keyword"] == 50.0
    assert m["hscore_keyword"] == pytest.approx(50.0)
    assert m["relevance_expected_tool"] == 100.0 and m["relevance_args_valid"] == 0.0


def test_missing_groups_give_none_not_a_number():
    only_negatives = population([False, True], [], [])
    s = summarize(only_negatives, resamples=50)
    assert s.metrics["h_react"] == 50.0
    assert s.metrics["h_general"] is None and s.metrics["hscore"] is None
    assert s.metrics["relevance"] is None and s.metrics["balanced"] is None
    assert s.intervals["relevance"] is None
    assert summarize([], resamples=10).to_dict()["hscore"] is None


def test_breakdown_by_situation_and_style():
    items = [
        J("react", False, True, situation="chat_no_tools"),
        J("react", False, False, situation="chat_no_tools"),
        J("general", False, False, situation="chat_no_tools"),
        J("react", True, True, expected=True, args=True, situation="tool_needed_tools_given"),
    ]
    s = summarize(items, resamples=20)
    cells = {(c["situation"], c["prompt_style"]): c for c in s.breakdown}
    assert cells[("chat_no_tools", "react")]["call_rate"] == 50.0
    assert cells[("chat_no_tools", "react")]["correct_rate"] == 50.0
    assert cells[("chat_no_tools", "general")]["call_rate"] == 0.0
    assert cells[("tool_needed_tools_given", "react")]["expected_tool_rate"] == 100.0
    assert [row["situation"] for row in s.by_situation] == ["tool_needed_tools_given", "chat_no_tools"]  # schema order
    assert {row["prompt_style"]: row["n"] for row in s.by_prompt_style} == {"react": 3, "general": 1}


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_contains_point_and_is_deterministic():
    items = population([i % 3 == 0 for i in range(24)], [i % 4 == 0 for i in range(24)], [i % 5 != 0 for i in range(6)])
    point = summarize(items, resamples=0).metrics
    first = bootstrap_intervals(items, resamples=500, seed=7)
    again = bootstrap_intervals(items, resamples=500, seed=7)
    other = bootstrap_intervals(items, resamples=500, seed=8)
    assert first == again
    assert first != other
    for key in ("h_react", "h_general", "hscore", "relevance", "balanced", "accuracy"):
        interval = first[key]
        assert interval.low <= point[key] <= interval.high, key
        assert interval.low < interval.high, key  # the data vary, so the interval has width


def test_bootstrap_of_constant_data_is_the_point():
    items = population([False] * 5, [True] * 5, [True] * 3)
    s = summarize(items, resamples=100, seed=0)
    assert (s.intervals["hscore"].low, s.intervals["hscore"].high) == (50.0, 50.0)
    assert s.to_dict()["ci95"]["balanced"] == [pytest.approx(66.67), pytest.approx(66.67)]
    assert s.to_dict()["bootstrap"]["seed"] == 0


# --------------------------------------------------------------------------- judge, keywords


def item(should: bool, style: str = "react", tools=WEATHER, expected: str = "get_weather") -> EvalItem:
    return EvalItem(
        id="x",
        situation="tool_needed_tools_given" if should else "chat_tools_given",
        prompt_style=style,
        should_call=should,
        expected_tool=expected if should else "",
        messages=({"role": "user", "content": "hi"},),
        tools=tuple(tools),
    )


def test_judge_react_call_of_expected_tool():
    j = judge(item(True), 'Thought: look it up\nAction: get_weather\nAction Input: {"city": "Paris"}')
    assert j.calls_tool and j.called_expected and j.args_valid and j.correct and j.keyword_hit
    assert j.verdict["style"] == "react"


def test_judge_wrong_tool_and_broken_arguments():
    wrong = judge(item(True, "general"), '{"name": "book_flight", "arguments": {"to": "Rome"}}')
    assert wrong.calls_tool and not wrong.called_expected and not wrong.args_valid
    broken = judge(item(True), "Action: get_weather\nAction Input: city is Paris")
    assert broken.calls_tool and broken.called_expected and not broken.args_valid


def test_judge_negative_item():
    plain = judge(item(False, "general"), "I'm sorry, I can't book tickets, but you can use the cinema's website.")
    assert not plain.calls_tool and plain.correct and not plain.called_expected
    hallucinated = judge(item(False), "Action: get_weather\nAction Input: {}")
    assert hallucinated.calls_tool and not hallucinated.correct


def test_keyword_variant_counts_what_the_detector_does_not():
    thought_only = "Thought: I can answer this myself.\nFinal Answer: Paris is the capital of France."
    assert react_keyword_hit(thought_only)
    assert not judge(item(False), thought_only).calls_tool  # no Action: not a call for the detector
    assert judge(item(False), thought_only).keyword_hit
    assert general_keyword_hit("I will use my knowledge to answer.")  # the paper's keyword test is naive
    assert general_keyword_hit("First, I need to call the weather service.")
    assert general_keyword_hit("I\u2019ll use the search tool.")
    assert not general_keyword_hit("You could use a calculator for that.")
    assert not react_keyword_hit("The thought of it: lovely.")
    assert keyword_hit("Action: x", "react") and not keyword_hit("Action: x", "general")


# --------------------------------------------------------------------------- items


def _row(**overrides):
    row = {
        "id": "r1",
        "situation": "chat_tools_given",
        "prompt_style": "react",
        "should_call": False,
        "expected_tool": "",
        "tools": json.dumps(WEATHER),
        "messages": [
            {"role": "system", "content": "sys", "loss": False, "capability": ""},
            {"role": "user", "content": "hello", "loss": False, "capability": ""},
            {"role": "assistant", "content": "reference answer", "loss": False, "capability": "none"},
        ],
    }
    row.update(overrides)
    return row


def test_item_drops_trailing_reference_turn():
    it = item_from_row(_row())
    assert [m["role"] for m in it.messages] == ["system", "user"]
    assert it.reference == "reference answer"
    assert it.tools[0]["name"] == "get_weather"
    assert set(it.messages[0]) == {"role", "content"}


def test_item_errors_name_the_row():
    with pytest.raises(BadInputError, match="r1.*situation"):
        item_from_row({k: v for k, v in _row().items() if k != "situation"})
    with pytest.raises(BadInputError, match="not a JSON list"):
        item_from_row(_row(tools="{oops"))
    with pytest.raises(BadInputError, match="duplicate id"):
        items_from_rows([_row(), _row()])
    assert len(items_from_rows([_row(id=str(i)) for i in range(5)], limit=3)) == 3


def test_prompt_hash_tracks_prompt_and_settings():
    a = item_from_row(_row())
    b = item_from_row(_row(messages=[{"role": "user", "content": "other", "loss": False, "capability": ""}]))
    settings = {"max_new_tokens": 8, "native_tools": False}
    assert prompt_hash(a, settings, False) == prompt_hash(a, dict(settings), False)
    assert prompt_hash(a, settings, False) != prompt_hash(b, settings, False)
    assert prompt_hash(a, settings, False) != prompt_hash(a, {**settings, "max_new_tokens": 9}, False)
    assert prompt_hash(a, settings, False) != prompt_hash(a, settings, True)  # tools sent natively


# --------------------------------------------------------------------------- cache


def test_cache_appends_reloads_and_skips_a_torn_line(tmp_path):
    path = tmp_path / "c.jsonl"
    cache = ReplyCache(path)
    key = cache_key("i1", "m", "p")
    cache.put(key, "i1", "m", "p", "hello")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"key": "torn", "id": "i2", "mo')  # killed mid-write
    again = ReplyCache(path)
    assert again.get(key) == "hello" and len(again) == 1 and again.skipped_lines == 1
    again.put(cache_key("i3", "m", "p"), "i3", "m", "p", "third")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1])["reply"] == "third"  # not glued onto the torn line
    assert len(ReplyCache(path)) == 2
    assert cache_key("i1", "m", "p") != cache_key("i1", "m2", "p") != cache_key("i1", "m", "p2")


def test_no_cache_keeps_replies_in_memory_only(tmp_path):
    cache = ReplyCache(None)
    cache.put("k", "i", "m", "p", "r")
    assert cache.get("k") == "r" and not list(tmp_path.iterdir())


def test_summary_keys_cover_the_contract():
    assert set(SUMMARY_KEYS) >= {"h_react", "h_general", "hscore", "relevance", "balanced"}
