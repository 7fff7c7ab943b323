"""Each source reader on small fixtures written here, including every kind of bad record."""

from __future__ import annotations

import json

import pytest
from conftest import write_jsonl

from agent_flan.core.errors import Rejected
from agent_flan.dataset_builder.records import AgentInstructRecord, ChatRecord, GlaiveConversation, ReleaseRecord
from agent_flan.dataset_builder.sources.agentinstruct import read_agentinstruct
from agent_flan.dataset_builder.sources.general import read_general
from agent_flan.dataset_builder.sources.glaive import parse_call, read_glaive
from agent_flan.dataset_builder.sources.release import read_release
from agent_flan.dataset_builder.sources.toolbench import API_MARKER, read_toolbench

DB_ROW = {
    "conversations": [
        {"from": "human", "loss": None, "value": "I will ask you a question about a MySQL database..."},
        {"from": "gpt", "loss": False, "value": "Ok."},
        {"from": "human", "loss": None, "value": "How many rows?"},
        {"from": "gpt", "loss": True, "value": "Count them.\nAction: Operation\n```sql\nSELECT COUNT(*) FROM t;\n```"},
        {"from": "human", "loss": None, "value": "[(3,)]"},
        {"from": "gpt", "loss": True, "value": 'There are 3.\nAction: Answer\nFinal Answer: ["3"]'},
    ],
    "id": "db_7",
}


def _ok(items):
    return [i for i in items if not isinstance(i, Rejected)]


def _bad(items):
    return [i for i in items if isinstance(i, Rejected)]


def test_agentinstruct_keeps_turns_and_loss_flags(tmp_path):
    (record,) = read_agentinstruct([write_jsonl(tmp_path / "ai.jsonl", [DB_ROW])])
    assert isinstance(record, AgentInstructRecord)
    assert record.task == "db" and record.id == "db_7"
    assert [(t.role, t.loss) for t in record.turns] == [
        ("user", None),
        ("assistant", False),
        ("user", None),
        ("assistant", True),
        ("user", None),
        ("assistant", True),
    ]


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda r: r.pop("conversations"), "missing 'conversations'"),
        (lambda r: r.pop("id"), "missing 'id'"),
        (lambda r: r["conversations"][1].update({"from": "robot"}), "unknown 'from' value 'robot'"),
        (
            lambda r: r.update({"conversations": [t for t in r["conversations"] if t["from"] == "human"]}),
            "no assistant",
        ),
        (
            lambda r: [t.update({"loss": False}) for t in r["conversations"] if t["from"] == "gpt"],
            "no assistant turn with loss true",
        ),
        (lambda r: r["conversations"][3].update({"loss": "yes"}), "'loss' must be true, false or null"),
        (lambda r: r.update({"id": "chess_1"}), "cannot tell the task"),
    ],
)
def test_agentinstruct_bad_records_name_line_and_id(tmp_path, mutate, reason):
    bad = json.loads(json.dumps(DB_ROW))
    mutate(bad)
    items = list(read_agentinstruct([write_jsonl(tmp_path / "ai.jsonl", [DB_ROW | {"id": "db_1"}, bad])]))
    (rejected,) = _bad(items)
    assert reason in rejected.reason and rejected.fatal
    assert rejected.where.line == 2 and str(tmp_path / "ai.jsonl") in str(rejected.where)


def test_agentinstruct_empty_answer_is_dropped_not_fatal(tmp_path):
    row = {
        "conversations": [
            {"from": "human", "loss": None, "value": "<html>..."},
            {"from": "gpt", "loss": True, "value": ""},
        ],
        "id": "mind2web_3",
    }
    (rejected,) = read_agentinstruct([write_jsonl(tmp_path / "m.jsonl", [row])])
    assert rejected.category == "empty_reply" and not rejected.fatal


def _toolllama_records(query: str, finish: dict, thought: str = "") -> list[dict]:
    tools = [
        {"name": "search_for_books", "description": "find books", "parameters": {"type": "object", "properties": {}}},
        {"name": "Finish", "description": "finish", "parameters": {}},
    ]
    system = {"from": "system", "value": f"You are AutoGPT...\n{API_MARKER}{tools!r}"}
    call = {
        "from": "assistant",
        "value": f'\nThought: {thought}\nAction: search_for_books\nAction Input: {{\n  "q": "dune"\n}}',
    }
    obs = {"from": "function", "value": '{"error": "", "response": "[...]"}'}
    end = {"from": "assistant", "value": f"\nThought: \nAction: Finish\nAction Input: {json.dumps(finish)}"}
    user = {"from": "user", "value": f"\n{query}\nBegin!\n"}
    return [
        {"id": f"Step 2: {query}", "conversations": [system, user, call]},
        {"id": f"Step 4: {query}", "conversations": [system, user, call, obs, end]},
    ]


def test_toolbench_step_prefixes_merge_into_one_trajectory(tmp_path):
    records = _toolllama_records(
        "Find Dune", {"return_type": "give_answer", "final_answer": "Dune by Herbert"}, "look it up"
    ) + _toolllama_records("Give up", {"return_type": "give_up_and_restart"})
    path = tmp_path / "toolllama.json"
    path.write_text(json.dumps(records[::-1], indent=1))  # order must not matter
    items = list(read_toolbench([path]))
    (trajectory,) = _ok(items)
    assert trajectory.query == "Find Dune" and trajectory.final_answer == "Dune by Herbert"
    assert [(s.thought, s.action, s.arguments) for s in trajectory.steps] == [
        ("look it up", "search_for_books", {"q": "dune"})
    ]
    assert trajectory.steps[0].observation.startswith('{"error"')
    (gave_up,) = _bad(items)
    assert gave_up.category == "give_up" and not gave_up.fatal


def test_toolbench_invalid_json_arguments_are_kept_verbatim(tmp_path):
    records = _toolllama_records("Q", {"return_type": "give_answer", "final_answer": "A"})
    records[1]["conversations"][2]["value"] = "\nThought: \nAction: search_for_books\nAction Input: {'q': 'dune',}"
    path = write_jsonl(tmp_path / "t.jsonl", records)
    (trajectory,) = _ok(read_toolbench([path]))
    assert trajectory.steps[0].action_input == "{'q': 'dune',}" and trajectory.steps[0].arguments is None


def test_toolbench_bad_api_list_and_unknown_layout(tmp_path):
    records = _toolllama_records("Q", {"return_type": "give_answer", "final_answer": "A"})
    records[1]["conversations"][0]["value"] = f"sys\n{API_MARKER}[{{'name': 'x'"
    path = write_jsonl(tmp_path / "t.jsonl", [records[1], {"foo": 1}])
    reasons = [item.reason for item in _bad(read_toolbench([path]))]
    assert any("not a Python literal" in r for r in reasons)
    assert any("not a ToolBench record" in r for r in reasons)


def test_toolbench_raw_answer_file(tmp_path):
    generation = {
        "valid_data": True,
        "query": "Weather in Oslo?",
        "finish_type": "give_answer",
        "function": [{"name": "weather_for_met", "description": "", "parameters": {}}, {"name": "Finish"}],
        "train_messages": [
            [
                {"role": "system", "content": "You are AutoGPT"},
                {"role": "user", "content": "Weather in Oslo?"},
                {"role": "assistant", "content": "I should check.", "function_call": None},
                {
                    "role": "assistant",
                    "content": None,
                    "function_call": {"name": "weather_for_met", "arguments": '{"city": "Oslo"}'},
                },
                {"role": "function", "name": "weather_for_met", "content": '{"error": "", "response": "5C"}'},
                {"role": "user", "content": "This is not the first time you try this task, ...", "valid": False},
                {
                    "role": "assistant",
                    "content": None,
                    "function_call": {
                        "name": "Finish",
                        "arguments": '{"return_type": "give_answer", "final_answer": "5C"}',
                    },
                },
            ]
        ],
    }
    invalid = {"answer_generation": {"valid_data": False, "query": "Nothing"}}
    items = list(read_toolbench([write_jsonl(tmp_path / "a.jsonl", [{"answer_generation": generation}, invalid])]))
    (trajectory,) = _ok(items)
    assert trajectory.layout == "dfsdt" and trajectory.steps[0].thought == "I should check."
    assert trajectory.final_answer == "5C" and len(trajectory.tools_without_finish) == 1
    assert _bad(items)[0].category == "invalid_data"


GLAIVE_CALL = {
    "system": "SYSTEM: You are a helpful assistant with access to the following functions. Use them if required -\n"
    '{\n    "name": "get_weather",\n    "description": "Weather",\n    "parameters": {"type": "object", "properties": {}}\n}\n\n'
    '{\n    "name": "get_time",\n    "description": "Time",\n    "parameters": {"type": "object", "properties": {}}\n}\n',
    "chat": 'USER: Weather in Paris?\n\n\nASSISTANT: <functioncall> {"name": "get_weather", "arguments": \'{"city": "Paris"}\'} <|endoftext|>\n\n\n'
    'FUNCTION RESPONSE: {"temp": 20}\n\n\nASSISTANT: It is 20 degrees. <|endoftext|>\n\n\n',
}
GLAIVE_PLAIN = {
    "system": "SYSTEM: You are a helpful assistant, with no access to external functions.\n",
    "chat": "USER: Tell me a joke\n\n\nASSISTANT: Why did the chicken cross the road? <|endoftext|>\n\n\n",
}


def test_glaive_parses_tools_turns_and_calls(tmp_path):
    items = list(read_glaive([write_jsonl(tmp_path / "g.jsonl", [GLAIVE_CALL, GLAIVE_PLAIN, {"chat": "x"}])]))
    call, plain = _ok(items)
    assert isinstance(call, GlaiveConversation) and [t["name"] for t in call.tools] == ["get_weather", "get_time"]
    assert [t.role for t in call.turns] == ["user", "assistant", "tool", "assistant"]
    assert call.turns[1].tool_call == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert plain.tools == [] and not plain.calls_tool and plain.id.startswith("glaive_")
    assert "'system' and 'chat'" in _bad(items)[0].reason


def test_glaive_call_parser_handles_json_and_quoted_arguments():
    assert parse_call('<functioncall> {"name": "f", "arguments": {"a": 1}}') == {"name": "f", "arguments": '{"a": 1}'}
    assert parse_call('<functioncall> {"name": "f", "arguments": \'{"a": "it\'s"}\'}')["name"] == "f"


def test_general_reads_both_layouts_and_rejects_unknown_roles(tmp_path):
    records = [
        {"id": "s1", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey"}]},
        {"conversations": [{"from": "alien", "value": "?"}]},
        {"text": "no chat here"},
    ]
    items = list(read_general([write_jsonl(tmp_path / "c.jsonl", records)]))
    first, second = _ok(items)
    assert isinstance(first, ChatRecord) and first.id == "general_s1" and second.id.startswith("general_")
    reasons = [r.reason for r in _bad(items)]
    assert "unknown 'from' value 'alien'" in reasons[0] and "missing 'conversations'" in reasons[1]


def test_release_reader_tolerates_missing_loss_and_extra_keys(tmp_path):
    record = {
        "conversation": [
            {"role": "system", "content": "sys", "type": "x"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
            {"role": "assistant", "content": "b", "loss": False},
        ],
        "id": "toolbench_negative_0",
    }
    path = write_jsonl(tmp_path / "toolbench_negative.jsonl", [record])
    (item,) = read_release([path])
    assert isinstance(item, ReleaseRecord) and item.extra_keys == ["type"]
    assert [t.loss for t in item.turns] == [None, None, None, False]
    (rejected,) = read_release([write_jsonl(tmp_path / "unknown_file.jsonl", [record])])
    assert "not an Agent-FLAN release file" in rejected.reason
