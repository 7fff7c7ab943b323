"""The Agent-FLAN method in the builder: nothing lost in conversion, split shares, loss retention,
Agent-H size and hygiene, negatives that never call."""

from __future__ import annotations

import json
import re
from collections import Counter

import pyarrow.parquet as pq
import pytest
from conftest import write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import glaive_records, write_toolbench

from agent_flan.core.errors import Location
from agent_flan.core.toolcalls.detect import detect
from agent_flan.core.toolcalls.language import parse_rendered_call
from agent_flan.dataset_builder.recipe import BuildRecipe
from agent_flan.dataset_builder.records import ToolBenchTrajectory, ToolStep
from agent_flan.dataset_builder.transforms.rows import rng_for
from agent_flan.dataset_builder.transforms.toolbench import instruct_rows, react_format, react_row, tflan_row
from agent_flan.pipeline import build_dataset as build

WEIGHTS = {"reasoning": 1.0, "retrieval": 0.5, "understanding": 0.7}
names = st.from_regex(r"[a-z][a-z0-9_]{0,20}_for_[a-z]{1,8}", fullmatch=True)
values = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=8), max_size=3),
)
argument_dicts = st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True), values, max_size=4)


@st.composite
def trajectories(draw) -> ToolBenchTrajectory:
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        arguments = draw(st.one_of(argument_dicts.map(json.dumps), st.just("{'q': 'single quotes',}")))
        steps.append(
            ToolStep(
                draw(st.text(max_size=40)).strip(),
                draw(names),
                arguments,
                json.dumps({"error": "", "response": draw(st.text(max_size=40))}),
            )
        )
    tools = [
        {"name": step.action, "description": "d", "parameters": {"type": "object", "properties": {}}} for step in steps
    ]
    if draw(st.booleans()):  # a step calling a tool that is not offered, as DFSDT writes it
        position = draw(st.integers(0, len(steps)))
        steps.insert(
            position,
            ToolStep(
                "",
                "invalid_hallucination_function_name",
                "{}",
                json.dumps({"error": "No such function name", "response": ""}),
            ),
        )
    return ToolBenchTrajectory(
        draw(st.from_regex(r"toolbench_[0-9a-f]{16}", fullmatch=True)),
        draw(st.text(min_size=1, max_size=40)),
        "system",
        tools,
        steps,
        "give_answer",
        draw(st.text(min_size=1, max_size=60)),
        "",
        "toolllama",
        Location("synthetic"),
    )


def _expected_arguments(step: ToolStep):
    return step.arguments if step.arguments is not None else step.action_input


def _offered(trajectory: ToolBenchTrajectory) -> set[str]:
    return {tool["name"] for tool in trajectory.tools}


def _span_text(msg, capability):
    return "".join(msg["content"][s["start"] : s["end"]] for s in msg["spans"] if s["capability"] == capability)


@settings(max_examples=150, deadline=None)
@given(trajectories(), st.integers(0, 3), st.sampled_from([0.0, 0.5, 1.0]))
def test_conversation_forms_lose_nothing_and_calls_parse_back(trajectory, seed, inline_share):
    for cot in (False, True):
        produced = tflan_row(trajectory, seed, WEIGHTS, cot=cot, inline_share=inline_share)
        messages = produced["messages"]
        roles = [m["role"] for m in messages]
        assert not any(a == b == "assistant" for a, b in zip(roles, roles[1:]))  # one message per step
        steps = [m for m in messages if m["role"] == "assistant"][:-1]
        assert len(steps) == len(trajectory.steps)
        assert [parse_rendered_call(m["content"]) for m in steps] == [
            (s.action, _expected_arguments(s)) for s in trajectory.steps
        ]
        assert [m["content"] for m in messages if m["role"] == "tool"] == [s.observation for s in trajectory.steps]
        final = messages[-1]
        assert (final["role"], final["content"], final["loss"], final["capability"]) == (
            "assistant",
            trajectory.final_answer,
            True,
            "answer",
        )
        for step, msg in zip(trajectory.steps, steps):
            assert "".join(msg["content"][s["start"] : s["end"]] for s in msg["spans"]) == msg["content"]
            assert _span_text(msg, "reasoning").strip() == step.thought  # no reasoning span on an empty thought
            if step.action not in _offered(trajectory):
                assert not msg["loss"] and not any(s["loss"] for s in msg["spans"])  # never trained
            elif cot:
                assert all(s["loss"] for s in msg["spans"])
        fenced = {
            "```" in m["content"]
            for m, s in zip(steps, trajectory.steps)
            if s.action in _offered(trajectory) and s.arguments is not None
        }
        assert len(fenced) <= 1  # one serialisation for the whole trajectory


@settings(max_examples=150, deadline=None)
@given(trajectories(), st.integers(0, 3))
def test_react_form_loses_nothing(trajectory, seed):
    produced = react_row(trajectory, seed)
    fmt = react_format(rng_for(seed, "react-format", trajectory.id))
    steps = [m for m in produced["messages"] if m["role"] == "assistant"]
    offered = {tool["name"] for tool in json.loads(produced["tools"])}
    assert fmt.final_action in offered  # the finishing call names a tool of the row
    for step, msg in zip(trajectory.steps, steps):
        text = msg["content"]
        assert "".join(text[s["start"] : s["end"]] for s in msg["spans"]) == text
        if fmt.kind == "json":
            decoded = json.loads(text)
            assert (decoded[fmt.action], decoded[fmt.arguments]) == (step.action, _expected_arguments(step))
            assert decoded.get(fmt.thought) == (step.thought or None)  # an empty thought is left out, not ""
        else:
            assert f"{fmt.action}: {step.action}\n" in text
            assert (f"{fmt.thought}: " in text) == bool(step.thought)
        assert msg["loss"] == (step.action in offered)
    assert [m["content"] for m in produced["messages"] if m["role"] == "tool"] == [
        s.observation for s in trajectory.steps
    ]
    assert (
        trajectory.final_answer in steps[-1]["content"]
        or json.dumps(trajectory.final_answer, ensure_ascii=False)[1:-1] in steps[-1]["content"]
    )


@settings(max_examples=40, deadline=None)
@given(trajectories(), st.integers(0, 3))
def test_instruct_replies_follow_their_template(trajectory, seed):
    for sample in instruct_rows(trajectory, seed, limit=10):
        system, user, reply = (m["content"] for m in sample["messages"])
        (tool,) = json.loads(sample["tools"])
        step = trajectory.steps[int(sample["id"].rsplit("_s", 1)[1])]
        assert step.action == tool["name"]
        assert ("You can input" in user) == bool(step.thought)  # the goal is the thought, never a filler
        if sample["format"] == "instruct_json":
            decoded = json.loads(reply)
            assert set(decoded) == set(re.findall(r'^    "([^"]+)": ', system, re.M))  # exactly the template's keys
            assert step.action in decoded.values() and step.arguments in decoded.values()
            assert (step.thought in decoded.values()) == bool(step.thought)
            assert detect(reply, [tool]).calls_tool
        else:
            assert step.action in reply and json.dumps(step.arguments, ensure_ascii=False) in reply


@pytest.fixture(scope="module")
def big_toolbench(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    source = write_toolbench(folder / "toolllama.json", 1200)
    out = folder / "agent-flan"
    report = build(out, {"toolbench": str(source)}, only_given=True, progress=False)
    return out, report


def test_split_shares_match_the_recipe(big_toolbench):
    _, report = big_toolbench
    rows = {
        name: report["configs"][name]["splits"]["train"]["rows"]
        for name in ("toolbench_react", "toolbench_tflan", "toolbench_tflan_cot")
    }
    total = sum(rows.values())
    assert total == 1200 == report["sources"]["toolbench"]["written"]
    for name, share in BuildRecipe().toolbench_split.items():
        assert abs(rows[name] / total - share) <= 0.03, (name, rows[name] / total)


def _retention(out) -> dict[str, float]:
    """Share of each capability's characters that are trained, over every toolbench_tflan step."""
    kept, seen = Counter(), Counter()
    for path in (out / "data/toolbench_tflan").glob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            for m in row["messages"]:
                for s in m["spans"]:
                    if s["capability"] in WEIGHTS:
                        seen[s["capability"]] += s["end"] - s["start"]
                        kept[s["capability"]] += (s["end"] - s["start"]) * s["loss"]
    return {capability: kept[capability] / seen[capability] for capability in WEIGHTS}


def test_loss_retention_per_capability_matches_the_weights(big_toolbench):
    out, report = big_toolbench
    for capability, share in _retention(out).items():
        assert abs(share - WEIGHTS[capability]) <= 0.03, (capability, share)
    stats = report["configs"]["toolbench_tflan"]["splits"]["train"]
    for capability, weight in WEIGHTS.items():
        reported = stats["trained_characters_by_capability"][capability] / stats["characters_by_capability"][capability]
        assert abs(reported - weight) <= 0.03


def test_paper_weights_are_measured_too(tmp_path):
    from agent_flan.dataset_builder.recipe import DEFAULT_RECIPE

    recipe = BuildRecipe.load(DEFAULT_RECIPE.parent / "agent_flan_paper_weights.yaml")
    source = write_toolbench(tmp_path / "t.json", 1200)
    build(tmp_path / "out", {"toolbench": str(source)}, recipe=recipe, only_given=True, progress=False)
    for capability, share in _retention(tmp_path / "out").items():
        assert abs(share - recipe.loss_weights[capability]) <= 0.03, (capability, share)


def test_two_seeds_differ_in_assignment(tmp_path):
    source = write_toolbench(tmp_path / "t.json", 200)
    a = build(tmp_path / "a", {"toolbench": str(source)}, only_given=True, progress=False)
    b = build(tmp_path / "b", {"toolbench": str(source)}, recipe=BuildRecipe(seed=7), only_given=True, progress=False)
    assert a["configs"]["toolbench_react"] != b["configs"]["toolbench_react"]


def test_paper_weights_recipe_is_honoured(tmp_path):
    from agent_flan.dataset_builder.recipe import DEFAULT_RECIPE

    recipe = BuildRecipe.load(DEFAULT_RECIPE.parent / "agent_flan_paper_weights.yaml")
    assert recipe.loss_weights == {"reasoning": 1.0, "retrieval": 0.25, "understanding": 0.75}
    assert BuildRecipe.load(DEFAULT_RECIPE) == BuildRecipe()


def test_full_size_glaive_reaches_the_papers_agent_h_size_without_leaking(tmp_path):
    source = write_jsonl(tmp_path / "glaive.jsonl", glaive_records(2400))
    out = tmp_path / "agent-flan"
    report = build(out, {"glaive": str(source)}, only_given=True, progress=False)
    assert report["configs"]["agent_h"]["splits"]["test"]["rows"] >= 1845
    assert report["agent_h"]["overlap_with_training_by_id"] == 0
    agent_h = pq.read_table(next((out / "data/agent_h").glob("*.parquet"))).to_pylist()
    situations = Counter((r["situation"], r["prompt_style"]) for r in agent_h)
    assert len(situations) == 8
    held_queries = {r["messages"][1]["content"] for r in agent_h}
    negatives = pq.read_table(next((out / "data/toolbench_negative").glob("*.parquet"))).to_pylist()
    assert not held_queries & {r["messages"][1]["content"] for r in negatives}


def test_negatives_come_in_two_kinds_and_never_call(tmp_path):
    source = write_jsonl(tmp_path / "glaive.jsonl", glaive_records(800))
    out = tmp_path / "agent-flan"
    report = build(
        out, {"glaive": str(source)}, recipe=BuildRecipe(negative_count=200), only_given=True, progress=False
    )
    negatives = pq.read_table(next((out / "data/toolbench_negative").glob("*.parquet"))).to_pylist()
    assert len(negatives) == 200
    kinds = Counter(row["negative_kind"] for row in negatives)
    assert set(kinds) == {"tool_request", "chat_with_tools"}
    assert all(0.3 <= n / len(negatives) <= 0.7 for n in kinds.values()), kinds
    assert report["negatives"]["by_kind"] == dict(kinds)
    for row in negatives:
        assert row["messages"][-1]["capability"] == "answer" and row["messages"][-1]["loss"]
        # Judged with the keyword rule of the paper as well as the build's own detector.
        reply = row["messages"][-1]["content"]
        assert not any(word in reply for word in ("Action:", "Thought:", "<functioncall>", '"name":'))
        if row["negative_kind"] == "chat_with_tools":
            assert row["tools"] != "[]"
        system = row["messages"][0]["content"]
        assert not any(tool["name"] in system for tool in json.loads(row["tools"]))  # tools only in `tools`
    assert report["negatives_vetting"] == {"ok": 200}


def test_num_proc_gives_the_same_bytes(tmp_path):
    source = write_toolbench(tmp_path / "t.json", 600)
    one = tmp_path / "one"
    two = tmp_path / "two"
    build(one, {"toolbench": str(source)}, only_given=True, progress=False)
    build(two, {"toolbench": str(source)}, only_given=True, progress=False, num_proc=2)
    files = sorted(p.relative_to(one) for p in one.rglob("*.parquet"))
    assert files and files == sorted(p.relative_to(two) for p in two.rglob("*.parquet"))
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    assert (one / "build_report.json").read_text() == (two / "build_report.json").read_text()
