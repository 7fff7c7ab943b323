"""The training-signal invariants `agent-flan validate` checks: each one fires on a row that breaks it,
and the embedded and real-sample builds break none."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_flan.core.prompts import agent_h_lines, agent_h_system
from agent_flan.core.schema import features_for
from agent_flan.dataset_builder.invariants import folder_invariants, row_invariants
from agent_flan.dataset_builder.near_duplicates import NearDuplicateIndex, jaccard, shingles
from agent_flan.dataset_builder.transforms.rows import message, row, step_message

TOOL = {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {}}}


def good_row(**extra) -> dict:
    step = step_message(
        [
            ("I need the weather.", "reasoning", True),
            (" I will operate get_weather.", "retrieval", True),
            (' Its arguments are {"city": "Paris"}.', "understanding", True),
        ]
    )
    messages = [
        message("system", "You can use tools."),
        message("user", "Weather in Paris?"),
        step,
        message("tool", "{}"),
        message("assistant", "It is sunny.", True, "answer"),
    ]
    return row("r1", "toolbench", "toolbench", "tflan", messages, [TOOL], **extra)


def problems(config: str, item: dict) -> list[str]:
    return list(row_invariants(config, item))


def test_a_good_row_passes():
    assert problems("toolbench_tflan", good_row()) == []


def test_two_assistant_messages_in_a_row():
    item = good_row()
    item["messages"].insert(3, message("assistant", "I'll call get_weather now.", True, "retrieval"))
    assert any("two assistant messages in a row" in p for p in problems("toolbench_tflan", item))


def test_spans_must_tile_the_content():
    item = good_row()
    item["messages"][2]["spans"][1]["start"] += 1
    assert any("do not tile" in p for p in problems("toolbench_tflan", item))
    item = good_row()
    item["messages"][2]["spans"].pop()
    assert any("spans end at" in p for p in problems("toolbench_tflan", item))
    item = good_row()
    item["messages"][2]["loss"] = False
    assert any("loss is False" in p for p in problems("toolbench_tflan", item))


def test_empty_reasoning_span():
    item = good_row()
    item["messages"][2] = step_message(
        [
            ("   ", "reasoning", True),
            (" I will operate get_weather.", "retrieval", True),
            (' Its arguments are {"city": "Paris"}.', "understanding", True),
        ]
    )
    assert any("empty reasoning part" in p for p in problems("toolbench_tflan", item))


def test_a_trained_call_to_a_tool_not_offered():
    item = good_row()
    item["messages"][2] = step_message(
        [
            ("I will operate get_forecast.", "retrieval", True),
            (' Its arguments are {"city": "Paris"}.', "understanding", True),
        ]
    )
    assert any("'get_forecast', not among the row's tools" in p for p in problems("toolbench_tflan", item))
    item["messages"][2]["spans"] = [{**s, "loss": False} for s in item["messages"][2]["spans"]]
    item["messages"][2]["loss"] = False
    assert problems("toolbench_tflan", item) == []  # kept as untrained context: fine


def test_native_instruction_in_an_aligned_row():
    item = good_row()
    item.update(source="agentinstruct", task="db")
    item["messages"][1] = message("user", "your operation should be like this:\nAction: Operation\n```sql\n...")
    assert any("native AgentBench instruction" in p for p in problems("agent_instruct_tflan", item))


def test_negative_rows_need_a_kind_and_must_not_call():
    negative = row(
        "n1",
        "glaive",
        "chat",
        "negative",
        [
            message("system", "Hi."),
            message("user", "Weather?"),
            message("assistant", '{"name": "get_weather", "arguments": {}}', True, "answer"),
        ],
        [TOOL],
    )
    found = problems("toolbench_negative", negative)
    assert any("negative_kind ''" in p for p in found) and any("calls a tool" in p for p in found)
    assert any(
        "negative_kind 'tool_request' on a tflan row" in p
        for p in problems("toolbench_tflan", good_row(negative_kind="tool_request"))
    )


def write_config(folder: Path, config: str, rows: list[dict]) -> Path:
    path = folder / "data" / config / "train-00000-of-00001.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=features_for(config).arrow_schema), path)
    return path


def negative(index: int, kind: str, query: str | None = None) -> dict:
    return row(
        f"n{index}",
        "glaive",
        "chat",
        "negative",
        [
            message("system", "Hi."),
            message("user", query or f"q {index}"),
            message("assistant", "Plain answer.", True, "answer"),
        ],
        [TOOL] if kind == "chat_with_tools" else [],
        negative_kind=kind,
    )


def test_folder_invariants_fire(tmp_path):
    negatives = [negative(i, "tool_request") for i in range(9)] + [negative(9, "chat_with_tools", "Tell me a joke")]
    chat = row(
        "c1",
        "general",
        "chat",
        "chat",
        [message("user", "Tell me a joke"), message("assistant", "A joke.", True, "answer")],
    )
    leaked = row(
        "t1",
        "toolbench",
        "toolbench",
        "tflan",
        [
            message("system", agent_h_system("general", [])),
            message("user", "Please book a table for two at Luigi's tonight at 8"),
            message("assistant", "Done.", True, "answer"),
        ],
    )
    heldout = row(
        "h1",
        "glaive",
        "chat",
        "chat",
        [message("system", "s"), message("user", "Please book a table for two at Luigi's tonight at 8 pm")],
        situation="tool_needed_no_tools",
        prompt_style="general",
        should_call=False,
        expected_tool="",
    )
    files = {
        "toolbench_negative/train": [write_config(tmp_path, "toolbench_negative", negatives)],
        "default/train": [write_config(tmp_path, "default", [*negatives, chat, leaked])],
        "agent_h/test": [write_config(tmp_path, "agent_h", [heldout])],
    }
    found = folder_invariants(files)
    assert any("tool_request is 90% of the 10 negatives" in p for p in found)
    assert any("negative 'n9' repeats the query of a chat row" in p for p in found)
    assert any("use the Agent-H prompt line" in p for p in found)
    assert any("training row 't1' nearly repeats an Agent-H query" in p for p in found)


def test_agent_h_lines_are_its_fixed_lines():
    lines = agent_h_lines()
    assert "This session supports function calling. No functions are available in this session." in lines
    assert not any("get_weather" in line for line in lines)


# ---- near duplicates -----------------------------------------------------------------------------------

WORDS = st.lists(
    st.sampled_from(["book", "a", "table", "for", "two", "at", "eight", "please", "tonight", "pizza"]),
    min_size=0,
    max_size=12,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=8), WORDS, st.sampled_from([0.5, 0.8, 1.0]))
def test_prefix_filter_finds_exactly_what_brute_force_finds(protected, probe, threshold):
    index = NearDuplicateIndex(threshold)
    for number, text in enumerate(protected):
        index.add(str(number), text)
    expected = sorted(
        str(n)
        for n, text in enumerate(protected)
        if shingles(text)
        and shingles(probe)
        and jaccard(shingles(text), shingles(probe)) >= threshold
        and str(n) in index._sets
    )
    assert index.matches(probe) == expected


def test_near_duplicate_examples():
    index = NearDuplicateIndex()
    index.add("a", "Can you book a movie ticket for Dune tonight at the Odeon?")
    assert index.matches("can you book a movie ticket for Dune tonight at the Odeon") == ["a"]  # case, punctuation
    assert index.matches("Can you book a movie ticket for Barbie tonight at the Odeon?") == []  # 0.5: not near
    rng = random.Random(0)
    assert all(index.matches(" ".join(rng.choice(["x", "y", "z"]) for _ in range(8))) == [] for _ in range(50))
