"""agent_instruct_tflan: the trajectory as a tool conversation, with no AgentBench format instruction,
no in-context examples, one message per step, and nothing of the trajectory lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REAL_SAMPLES, REPO

from agent_flan.core.errors import Location, Rejected
from agent_flan.core.prompts import ENVIRONMENTS
from agent_flan.core.toolcalls.language import parse_rendered_call
from agent_flan.dataset_builder.records import AgentInstructRecord, Turn
from agent_flan.dataset_builder.sources.agentinstruct import read_agentinstruct
from agent_flan.dataset_builder.transforms.agentinstruct import (
    NATIVE_INSTRUCTION_MARKERS,
    TASK_TOOLS,
    react_row,
    task_text,
    tflan_row,
)
from agent_flan.dataset_builder.transforms.react_parsing import parse_agentinstruct_turn

EMBEDDED = REPO / "dataset_builder" / "samples" / "agentinstruct.jsonl"
REAL_DB = REAL_SAMPLES / "agentinstruct_db_sample.jsonl"


def record(task: str, turns: list[tuple[str, str, bool | None]], record_id: str | None = None) -> AgentInstructRecord:
    rid = record_id or f"{task}_0"
    return AgentInstructRecord(
        rid, task, [Turn(role, content, loss) for role, content, loss in turns], Location("t.jsonl", 1, rid)
    )


DB = record(
    "db",
    [
        (
            "user",
            "I will ask you a question ... your operation should be like this:\nAction: Operation\n```sql\n"
            'SELECT * FROM table WHERE condition;\n```\n... Action: Answer\nFinal Answer: ["ANSWER1"]',
            None,
        ),
        ("assistant", "Ok.", False),
        ("user", "How fast is Hearts?\nThere are 1 tables involved with this task.", None),
        ("assistant", "I average the speed.\nAction: Operation\n```sql\nSELECT AVG(`s`) FROM `t`\n```", True),
        ("user", "[(Decimal('59.6000'),)]", None),
        ("assistant", 'It is 59.6.\nAction: Answer\nFinal Answer: ["59.6"]', True),
    ],
)

KG = record(
    "kg",
    [
        ("user", "You are an agent that answers questions based on the knowledge stored in a knowledge base ...", None),
        ("assistant", "I've understood your instruction, start please.", False),
        ("user", "Question: which rocket engine did X design?\nEntities: [X]", None),
        ("assistant", "Thought: example.\nAction: get_relations(X)", False),
        ("user", "Observation: [a.b]", None),
        ("assistant", "Thought: example done.\nFinal Answer: #0", False),
        ("user", "A new question: which river flows through Mirova?\nEntities: [Mirova]", None),
        ("assistant", "Thought: Look at Mirova.\nAction: get_relations(Mirova)", True),
        ("user", "Observation: [geography.river.cities]", None),
        ("assistant", "Thought: typo in the function name.\nAction: get_relation(Mirova)", True),
        ("user", "No executable function found! Need to recheck the action.", None),
        ("assistant", "Thought: #0 is the answer.\nFinal Answer: #0", True),
    ],
)


def row_of(rec: AgentInstructRecord, seed: int = 0, inline_share: float = 0.33):
    out, counts = tflan_row(rec, seed, inline_share)
    assert not isinstance(out, Rejected), out.reason
    return out, counts


def test_db_row_is_a_tool_conversation_without_the_native_instruction():
    out, counts = row_of(DB, seed=3)
    assert (out["id"], out["source"], out["task"], out["format"]) == ("db_0_tflan", "agentinstruct", "db", "tflan")
    assert [m["role"] for m in out["messages"]] == ["system", "user", "assistant", "tool", "assistant"]
    assert out["messages"][0]["content"] in ENVIRONMENTS["db"]
    assert out["messages"][1]["content"] == "How fast is Hearts?\nThere are 1 tables involved with this task."
    assert out["messages"][3]["content"] == "[(Decimal('59.6000'),)]"
    step = out["messages"][2]
    assert step["content"].startswith("I average the speed.") and "Action:" not in step["content"]
    assert parse_rendered_call(step["content"]) == ("execute_sql", {"sql": "SELECT AVG(`s`) FROM `t`"})
    assert [s["capability"] for s in step["spans"]] == ["reasoning", "retrieval", "understanding"]
    final = out["messages"][4]
    assert final["content"].startswith("It is 59.6.") and '["59.6"]' in final["content"]
    assert [s["capability"] for s in final["spans"]] == ["reasoning", "answer"]
    assert json.loads(out["tools"]) == TASK_TOOLS["db"]
    assert counts == {"steps": 2, "empty_thoughts": 0}
    assert row_of(DB, seed=3)[0] == out


def test_in_context_examples_are_dropped_and_unknown_functions_never_trained():
    out, counts = row_of(KG)
    texts = [m["content"] for m in out["messages"]]
    assert not any("rocket engine" in text or "example" in text for text in texts)
    assert out["messages"][1]["content"] == "which river flows through Mirova?\nEntities: [Mirova]"
    assistant = [m for m in out["messages"] if m["role"] == "assistant"]
    assert len(assistant) == 3 and [m["loss"] for m in assistant] == [True, False, True]
    assert parse_rendered_call(assistant[1]["content"])[0] == "get_relation"  # kept as context ...
    assert not any(s["loss"] for s in assistant[1]["spans"])  # ... but never trained
    assert counts["calls_to_unknown_tools"] == 1
    assert out["messages"][-2]["role"] == "tool"


def test_task_lead_ins_are_removed():
    assert task_text("Now, I will start a new problem in a new OS. My problem is:\n\nCount files.") == "Count files."
    assert task_text("Here is your task. You are in a room.") == "You are in a room."
    assert task_text("A new question: who?\nEntities: [A]") == "who?\nEntities: [A]"
    assert task_text("long instruction ... Now, my problem is:\n\ntell me x") == "tell me x"


def test_unparseable_step_rejects_the_trajectory():
    bad = record("os", [("user", "instruction", None), ("assistant", "Think: hmm\n\nAct: bash\nls -l", True)])
    out, _ = tflan_row(bad, 0)
    assert isinstance(out, Rejected)
    assert (out.source, out.fatal, out.category, out.where) == ("agentinstruct", False, "unparseable_step", bad.where)
    assert "Think: hmm" in out.reason


def test_think_only_and_finish():
    alf = record(
        "alfworld",
        [
            ("user", "Interact with a household ...", None),
            ("assistant", "OK.", False),
            ("user", "Here is your task. You see a desk 1.", None),
            ("assistant", "THOUGHT: I should plan first.", True),
            ("user", "OK.", None),
            ("assistant", "ACTION: go to desk 1", True),
            ("user", "On the desk 1, you see a pen 1.", None),
        ],
    )
    out, counts = row_of(alf)
    assert out["messages"][2]["content"] == "I should plan first."
    assert out["messages"][2]["capability"] == "reasoning"
    assert [m["role"] for m in out["messages"]][2:] == ["assistant", "tool", "assistant", "tool"]
    assert parse_rendered_call(out["messages"][4]["content"]) == ("act", {"command": "go to desk 1"})
    assert "reasoning" not in {s["capability"] for s in out["messages"][4]["spans"]}  # no thought, no reasoning span
    assert counts["empty_thoughts"] == 1
    finish = record("os", [("user", "instruction", None), ("assistant", "Think: All set.\n\nAct: finish", True)])
    content = row_of(finish)[0]["messages"][2]["content"]
    assert content.startswith("All set.") and "Act:" not in content and content != "All set."


def _records(path: Path) -> list[AgentInstructRecord]:
    return [item for item in read_agentinstruct([path]) if isinstance(item, AgentInstructRecord)]


def assert_aligned(rec: AgentInstructRecord, out: dict) -> None:
    """Every step of the trajectory is there, in order, as one message; no native instruction survives."""
    messages = out["messages"]
    for m in messages:
        if m["role"] != "tool":
            assert not any(marker in m["content"] for marker in NATIVE_INSTRUCTION_MARKERS), (
                rec.id,
                m["content"][:200],
            )
    roles = [m["role"] for m in messages]
    assert not any(a == b == "assistant" for a, b in zip(roles, roles[1:])), rec.id
    first = next(i for i, t in enumerate(rec.turns) if t.role == "assistant" and t.loss)
    source = [t for t in rec.turns[first:] if t.role == "assistant"]
    aligned = [m for m in messages if m["role"] == "assistant"]
    assert len(source) == len(aligned), rec.id
    observations = [t.content for t in rec.turns[first:] if t.role == "user"]
    assert [m["content"] for m in messages if m["role"] == "tool"] == observations[
        : len([m for m in messages if m["role"] == "tool"])
    ]
    for turn, msg in zip(source, aligned):
        step = parse_agentinstruct_turn(rec.task, turn.content)
        assert msg["content"].startswith(step.thought), rec.id
        assert "".join(msg["content"][s["start"] : s["end"]] for s in msg["spans"]) == msg["content"]
        if step.final:
            assert step.arguments in msg["content"] and msg["spans"][-1]["capability"] == "answer", rec.id
        elif step.action:
            assert parse_rendered_call(msg["content"]) == (step.action, step.arguments), rec.id
        if not step.thought:
            assert all(s["capability"] != "reasoning" for s in msg["spans"]), rec.id


@pytest.mark.parametrize("path", [EMBEDDED, REAL_DB], ids=["embedded", "real_db"])
def test_nothing_lost_and_nothing_native(path):
    if not path.exists():
        pytest.skip(f"{path} is not there")
    records = _records(path)
    assert records
    for rec in records:
        for seed in (0, 1):
            out, _ = tflan_row(rec, seed, 0.5)
            if isinstance(out, Rejected):
                assert out.category == "unparseable_step", out.reason
                continue
            assert_aligned(rec, out)


@pytest.mark.parametrize("path", [EMBEDDED, REAL_DB], ids=["embedded", "real_db"])
def test_react_rows_keep_the_source_bytes_and_locate_the_capabilities(path):
    if not path.exists():
        pytest.skip(f"{path} is not there")
    for rec in _records(path):
        out = react_row(rec)
        assert [m["content"] for m in out["messages"]] == [t.content for t in rec.turns]
        for turn, msg in zip(rec.turns, out["messages"]):
            assert msg["loss"] == (turn.role == "assistant" and bool(turn.loss))
            if msg["role"] == "assistant" and msg["loss"]:
                assert "".join(msg["content"][s["start"] : s["end"]] for s in msg["spans"]) == msg["content"]
                step = parse_agentinstruct_turn(rec.task, turn.content)
                has_reasoning = any(s["capability"] == "reasoning" for s in msg["spans"])
                assert has_reasoning == bool(step.thought), (rec.id, turn.content[:100])


def test_embedded_samples_cover_every_task():
    if not EMBEDDED.exists():
        pytest.skip(f"{EMBEDDED} is not there")
    assert {rec.task for rec in _records(EMBEDDED)} == set(TASK_TOOLS)
