"""Format alignment: the banks, exact round trips through every serialiser, and nothing lost in tflan rows."""

from __future__ import annotations

import json
import keyword
import math
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REAL_SAMPLES, REPO
from dataset_builder.errors import Location, Rejected
from dataset_builder.records import AgentInstructRecord, Turn
from dataset_builder.sources.agentinstruct import read_agentinstruct
from dataset_builder.transforms.alignment import (
    ELICITATIONS,
    SERIALISERS,
    TASK_TOOLS,
    agentinstruct_tflan_row,
    parse_rendered_call,
    render_call,
)
from dataset_builder.transforms.react_parsing import parse_agentinstruct_turn

EMBEDDED = REPO / "dataset_builder" / "samples" / "agentinstruct.jsonl"
REAL_DB = REAL_SAMPLES / "agentinstruct_db_sample.jsonl"


def same(a: Any, b: Any) -> bool:
    """Equality that also tells True from 1 and 1 from 1.0, which `==` does not."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def fenced_body(text: str) -> str:
    """The block of a render_call output (for the PyYAML cross-check)."""
    fence = re.search(r"\n(`{3,})\Z", text)[1]
    start = text.rfind(fence, 0, len(text) - len(fence))
    return text[text.index("\n", start) + 1:len(text) - len(fence) - 1]


# ---- banks -----------------------------------------------------------------------------------

def test_elicitation_bank():
    assert len(set(ELICITATIONS)) == len(ELICITATIONS) >= 20
    assert all("{name}" in sentence for sentence in ELICITATIONS)
    assert all(sentence.format(name="bash").count("bash") == 1 for sentence in ELICITATIONS)


def test_serialiser_bank():
    assert {"json", "python_dict", "yaml", "function_call", "cli", "key_value"} <= set(SERIALISERS)
    assert all(serialiser.intros for serialiser in SERIALISERS.values())


# ---- round trips -------------------------------------------------------------------------------

SIMPLE_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,24}", fullmatch=True)
ANY_NAMES = st.text(min_size=1, max_size=20).filter(lambda name: "\n" not in name)
IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda key: not keyword.iskeyword(key) and key != "__debug__")
LEAVES = (st.none() | st.booleans() | st.integers(-10**20, 10**20)
          | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
TRICKY_KEYS = st.sampled_from(["name", "arguments", "raw_arguments", "yes", "n", "--x", "a: b", "#"])
KEYS = IDENTIFIERS | st.text(max_size=12) | TRICKY_KEYS
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                      max_leaves=8)
ARGUMENTS = st.dictionaries(KEYS, VALUES, max_size=5)


def call_for(serialiser: str, name: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """function_call needs an identifier-like name and identifier keys at the top level: re-key, keep the values."""
    if serialiser != "function_call":
        return name, arguments
    name = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name) else "fallback.tool"
    return name, {(key if key.isidentifier() and key.isascii() and not keyword.iskeyword(key) and key != "__debug__"
                   else f"arg{index}"): value for index, (key, value) in enumerate(arguments.items())}


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=SIMPLE_NAMES | ANY_NAMES, arguments=ARGUMENTS, seed=st.integers(0, 2**32))
def test_every_serialiser_round_trips_dicts(name, arguments, seed):
    """Each example goes through all six serialisers, forced one by one."""
    for serialiser in SERIALISERS:
        call_name, call_arguments = call_for(serialiser, name, arguments)
        assert SERIALISERS[serialiser].accepts(call_name, call_arguments), serialiser
        text = render_call(random.Random(seed), call_name, call_arguments, serialiser=serialiser)
        parsed = parse_rendered_call(text)
        assert parsed is not None, text
        assert parsed[0] == call_name and same(parsed[1], call_arguments), text
        if serialiser == "yaml":
            assert same(yaml.safe_load(fenced_body(text)), {"name": name, "arguments": arguments}), text
        if serialiser == "json":
            assert same(json.loads(fenced_body(text)), {"name": name, "arguments": arguments})


@settings(max_examples=250, deadline=None)
@given(name=SIMPLE_NAMES | ANY_NAMES,
       raw=st.text(max_size=60) | st.sampled_from(["", "{}", "{\"q\": 1,}", "a\n", "\nEOF\nEOF", "```", "x\n)", " lead"]),
       seed=st.integers(0, 2**32))
def test_every_serialiser_keeps_raw_text_verbatim(name, raw, seed):
    for serialiser in SERIALISERS:
        call_name, _ = call_for(serialiser, name, {})
        text = render_call(random.Random(seed), call_name, raw, serialiser=serialiser)
        assert parse_rendered_call(text) == (call_name, raw), text
        if "\n" not in raw and all(char.isprintable() for char in raw) and serialiser != "yaml":
            assert raw in text  # literally there, not escaped
        if serialiser == "yaml":
            assert yaml.safe_load(fenced_body(text)) == {"name": name, "arguments": raw}


@settings(max_examples=200, deadline=None)
@given(name=SIMPLE_NAMES, arguments=ARGUMENTS | st.text(max_size=40),
       seed=st.integers(0, 2**32), thought=st.text(max_size=40))
def test_render_call_chooses_a_serialiser_that_round_trips(name, arguments, seed, thought):
    text = thought + "\n\n" + render_call(random.Random(seed), name, arguments)
    parsed = parse_rendered_call(text)
    assert parsed is not None and parsed[0] == name and same(parsed[1], arguments), text


def test_render_call_is_deterministic_and_varied():
    outputs = {render_call(random.Random(seed), "get_relations", {"args": ["Barack Obama"]}) for seed in range(200)}
    assert len(outputs) > 100
    assert all(parse_rendered_call(text) == ("get_relations", {"args": ["Barack Obama"]}) for text in outputs)
    used = {text.split("\n", 1)[1].split("\n", 1)[0].strip("`") for text in outputs}
    assert used == {"json", "python", "yaml", "bash", "text"}
    assert render_call(random.Random(7), "bash", {"command": "ls"}) == render_call(random.Random(7), "bash", {"command": "ls"})


def test_infinities_survive_where_the_format_has_them():
    arguments = {"high": math.inf, "low": -math.inf}
    for serialiser in ("json", "yaml", "cli", "key_value"):
        assert parse_rendered_call(render_call(random.Random(0), "f", arguments, serialiser)) == ("f", arguments)
    assert yaml.safe_load(fenced_body(render_call(random.Random(0), "f", arguments, "yaml")))["arguments"] == arguments
    assert not SERIALISERS["python_dict"].accepts("f", arguments)


def test_render_call_refuses_what_it_cannot_carry():
    with pytest.raises(TypeError):
        render_call(random.Random(0), "f", {"when": (1, 2)})
    with pytest.raises(ValueError):
        render_call(random.Random(0), "f", {"not an identifier": 1}, serialiser="function_call")
    with pytest.raises(ValueError):
        render_call(random.Random(0), "two\nlines", {})


def test_parse_rendered_call_rejects_other_text():
    for text in ["", "I will operate bash.", "```json\n{\"name\": \"x\"}\n```", "```sql\nSELECT 1\n```",
                 "```python\nprint('hi')\n```", "```json\n{\"name\": \"x\", \"arguments\": [1]}\n```", "``````"]:
        assert parse_rendered_call(text) is None, text


# ---- agentinstruct_tflan_row -----------------------------------------------------------------

def record(task: str, turns: list[tuple[str, str, bool | None]], record_id: str | None = None) -> AgentInstructRecord:
    rid = record_id or f"{task}_0"
    turns_ = [Turn(role, content, loss) for role, content, loss in turns]
    return AgentInstructRecord(rid, task, turns_, Location("t.jsonl", 1, rid))


DB = record("db", [
    ("user", "Operate MySQL. Action: Operation ... Final Answer: [...]", None),
    ("assistant", "Ok.", False),
    ("user", "How fast is Hearts?", None),
    ("assistant", "I average the speed.\nAction: Operation\n```sql\nSELECT AVG(`s`) FROM `t`\n```", True),
    ("user", "[(Decimal('59.6000'),)]", None),
    ("assistant", "It is 59.6.\nAction: Answer\nFinal Answer: [\"59.6\"]", True),
])


def test_tflan_row_shape():
    out = agentinstruct_tflan_row(DB, seed=3)
    assert isinstance(out, dict)
    assert (out["id"], out["source"], out["task"], out["format"]) == ("db_0", "agentinstruct", "db", "tflan")
    roles = [m["role"] for m in out["messages"]]
    assert roles == ["user", "assistant", "user", "assistant", "tool", "assistant"]
    assert [m["loss"] for m in out["messages"]] == [False, False, False, True, False, True]
    assert [m["capability"] for m in out["messages"] if m["role"] == "assistant"] == ["none", "reasoning", "answer"]
    for kept in (0, 1, 2, 4):
        assert out["messages"][kept]["content"] == DB.turns[kept].content
    step = out["messages"][3]["content"]
    assert step.startswith("I average the speed.") and "Action: Operation" not in step
    assert parse_rendered_call(step) == ("execute_sql", {"sql": "SELECT AVG(`s`) FROM `t`"})
    final = out["messages"][5]["content"]
    assert final.startswith("It is 59.6.") and '["59.6"]' in final and "Final Answer:" not in final
    assert json.loads(out["tools"]) == TASK_TOOLS["db"]
    assert agentinstruct_tflan_row(DB, seed=3) == out


def test_tflan_row_depends_on_seed_and_id_only():
    rows = {json.dumps(agentinstruct_tflan_row(DB, seed=seed)["messages"]) for seed in range(20)}
    assert len(rows) > 5


def test_tflan_row_rejects_an_unparseable_step():
    bad = record("os", [("user", "instruction", None), ("assistant", "Think: hmm\n\nAct: bash\nls -l", True)])
    out = agentinstruct_tflan_row(bad, seed=0)
    assert isinstance(out, Rejected)
    assert (out.source, out.fatal, out.category, out.where) == ("agentinstruct", False, "unparseable_step", bad.where)
    assert out.reason.startswith("os turn 1 does not follow the os grammar: ")
    assert "Think: hmm" in out.reason


def test_tflan_think_only_and_finish():
    alf = record("alfworld", [
        ("user", "Interact with a household ...", None), ("assistant", "OK.", False),
        ("user", "Here is your task.", None),
        ("assistant", "THOUGHT: I should plan first.", True), ("user", "OK.", None),
        ("assistant", "ACTION: go to desk 1", True), ("user", "On the desk 1, you see a pen 1.", None),
    ])
    out = agentinstruct_tflan_row(alf, seed=0)
    assert out["messages"][3]["content"] == "I should plan first."
    assert [m["role"] for m in out["messages"]][3:] == ["assistant", "tool", "assistant", "tool"]
    assert parse_rendered_call(out["messages"][5]["content"]) == ("act", {"command": "go to desk 1"})
    finish = record("os", [("user", "instruction", None), ("assistant", "Think: All set.\n\nAct: finish", True)])
    content = agentinstruct_tflan_row(finish, seed=0)["messages"][1]["content"]
    assert content.startswith("All set.\n\n") and "Act:" not in content


# ---- nothing lost, on every embedded sample and the real db rows -----------------------------

def assert_nothing_lost(rec: AgentInstructRecord, out: dict) -> None:
    messages = out["messages"]
    assert len(messages) == len(rec.turns)
    source_calls, aligned_calls = [], []
    previous_trained = False
    for index, (turn, msg) in enumerate(zip(rec.turns, messages)):
        trained = turn.role == "assistant" and bool(turn.loss)
        where = f"{rec.id} turn {index}"
        if not trained:
            expected_role = "tool" if turn.role == "user" and previous_trained else turn.role
            assert (msg["role"], msg["content"], msg["loss"]) == (expected_role, turn.content, False), where
        else:
            step = parse_agentinstruct_turn(rec.task, turn.content)
            assert step is not None, where
            assert msg["role"] == "assistant" and msg["loss"] is True, where
            assert step.thought in turn.content and msg["content"].startswith(step.thought), where
            if step.final:
                assert step.arguments in turn.content and step.arguments in msg["content"], where
                assert msg["capability"] == "answer", where
            elif step.action:
                leaves = [v for v in step.arguments.values() if isinstance(v, str)]
                leaves += [a for v in step.arguments.values() if isinstance(v, list) for a in v]
                assert all(leaf in turn.content for leaf in leaves), where  # values come from the source text
                source_calls.append((step.action, step.arguments))
                aligned_calls.append(parse_rendered_call(msg["content"]))
                assert msg["capability"] == "reasoning", where
            else:
                assert msg["content"] == step.thought, where
        previous_trained = trained
    assert aligned_calls == source_calls  # every action and argument, in order


def _records(path: Path) -> list[AgentInstructRecord]:
    return [item for item in read_agentinstruct([path]) if isinstance(item, AgentInstructRecord)]


@pytest.mark.parametrize("path", [EMBEDDED, REAL_DB], ids=["embedded", "real_db"])
def test_nothing_lost(path):
    if not path.exists():
        pytest.skip(f"{path} is not there")
    records = _records(path)
    assert records
    for rec in records:
        for seed in (0, 1):
            out = agentinstruct_tflan_row(rec, seed)
            assert not isinstance(out, Rejected), out.reason
            assert_nothing_lost(rec, out)


def test_embedded_samples_cover_every_task():
    if not EMBEDDED.exists():
        pytest.skip(f"{EMBEDDED} is not there")
    assert {rec.task for rec in _records(EMBEDDED)} == set(TASK_TOOLS)
