"""The six AgentInstruct turn grammars (agent_tuning.md §1.4), on hand-written turns."""

from __future__ import annotations

import pytest

from agent_flan.dataset_builder.transforms.react_parsing import ParsedStep, parse_agentinstruct_turn, split_top_level


def step(thought: str, action: str, arguments, final: bool = False) -> ParsedStep:
    return ParsedStep(thought, action, arguments, final)


# ---- os -------------------------------------------------------------------------------------


def test_os_bash_multiline_command_and_thought():
    turn = (
        "Think: Two steps:\n1. list files;\n2. count them.\n\nAct: bash\n\n"
        "```bash\nfind /etc -type f \\\n  | wc -l\n```"
    )
    assert parse_agentinstruct_turn("os", turn) == step(
        "Two steps:\n1. list files;\n2. count them.", "bash", {"command": "find /etc -type f \\\n  | wc -l"}
    )


def test_os_single_newline_layout_of_the_one_shot():
    turn = "Think: Look at /etc first.\nAct: bash\n```bash\nls /etc\n```"
    assert parse_agentinstruct_turn("os", turn) == step("Look at /etc first.", "bash", {"command": "ls /etc"})


def test_os_answer_and_finish_are_final():
    assert parse_agentinstruct_turn("os", "Think: It is 220.\n\nAct: answer(220)") == step(
        "It is 220.", "final_answer", "220", True
    )
    assert parse_agentinstruct_turn("os", "Think: x\n\nAct: answer(f(a) (b))") == step(
        "x", "final_answer", "f(a) (b)", True
    )
    assert parse_agentinstruct_turn("os", "Think: Done.\n\nAct: finish") == step("Done.", "final_answer", "", True)


@pytest.mark.parametrize(
    "turn",
    [
        "Think: no action here",
        "Think: x\n\nAct: bash\n\nls /etc",  # no code block
        "Think: x\n\nAct: bash\n\n```bash\nls\n```\nand some trailing words",  # text after the action would be lost
        "Think: x\n\nAct: bash\n\n```bash\nls\n```\n\n```bash\npwd\n```",  # two blocks: the env runs one
        "Think: x\n\nAct: python\n\n```python\nprint(1)\n```",
        "Think: x\n\nAct: answer 3",
        "",
    ],
)
def test_os_malformed(turn):
    assert parse_agentinstruct_turn("os", turn) is None


# ---- db -------------------------------------------------------------------------------------


def test_db_operation_and_answer():
    turn = "I need the average.\nIt is in Team_Attributes.\nAction: Operation\n```sql\nSELECT AVG(`x`) FROM `t`\n```"
    assert parse_agentinstruct_turn("db", turn) == step(
        "I need the average.\nIt is in Team_Attributes.", "execute_sql", {"sql": "SELECT AVG(`x`) FROM `t`"}
    )
    turn = 'The speed is 59.6.\nAction: Answer\nFinal Answer: ["59.6"]'
    assert parse_agentinstruct_turn("db", turn) == step("The speed is 59.6.", "final_answer", '["59.6"]', True)


def test_db_without_explanation():
    assert parse_agentinstruct_turn("db", "Action: Operation\n```sql\nSELECT 1\n```") == step(
        "", "execute_sql", {"sql": "SELECT 1"}
    )


@pytest.mark.parametrize(
    "turn",
    [
        "Just some text.",
        "Text\nAction: Operation\nSELECT 1",  # no sql block
        'Text\nAction: Answer\n["a"]',  # no Final Answer
        "Text\nAction: Answer\nFinal Answer:",  # empty answer
        "Text\nAction: Operation\n```sql\nSELECT 1\n```\nAction: Answer\nFinal Answer: [1]",
    ],
)
def test_db_malformed(turn):
    assert parse_agentinstruct_turn("db", turn) is None


# ---- kg -------------------------------------------------------------------------------------


def test_kg_actions_split_on_top_level_commas():
    assert parse_agentinstruct_turn("kg", "Thought: Find relations.\nAction: get_relations(Barack Obama)") == step(
        "Find relations.", "get_relations", {"args": ["Barack Obama"]}
    )
    assert parse_agentinstruct_turn("kg", "Thought: t\nAction: get_neighbors(#0, people.person.profession)") == step(
        "t", "get_neighbors", {"args": ["#0", "people.person.profession"]}
    )
    assert parse_agentinstruct_turn("kg", "Thought: t\nAction: get_relations(Paris (Texas), USA)").arguments == {
        "args": ["Paris (Texas)", "USA"]
    }


def test_kg_multiline_thought_and_misspelled_function_kept():
    turn = "Thought: wrong before.\nPlan:\n1. attributes\n\nAction: get_neigbors(#0, a.b)"
    assert parse_agentinstruct_turn("kg", turn) == step(
        "wrong before.\nPlan:\n1. attributes", "get_neigbors", {"args": ["#0", "a.b"]}
    )


def test_kg_final_answer():
    assert parse_agentinstruct_turn("kg", "Thought: #3 is the answer.\nFinal Answer: #3") == step(
        "#3 is the answer.", "final_answer", "#3", True
    )


@pytest.mark.parametrize(
    "turn",
    [
        "Thought: only a thought",
        "Thought: t\nAction: get_relations",
        "Thought: t\nAction: get_relations((Obama)",
        "Thought: t\nAction: intersection(#0, )",
        "Thought: t\nFinal Answer: the river",
        "Thought: t\nAction: count(#1)\nFinal Answer: #1",
    ],
)
def test_kg_malformed(turn):
    assert parse_agentinstruct_turn("kg", turn) is None


def test_split_top_level():
    assert split_top_level("a, f(b, c), [d, e]") == ["a", "f(b, c)", "[d, e]"]
    assert split_top_level("") == []
    assert split_top_level("a)(") is None


# ---- alfworld -------------------------------------------------------------------------------


def test_alfworld_thought_action_bare_action_and_think_only():
    assert parse_agentinstruct_turn(
        "alfworld", "THOUGHT: Mugs are on countertops.\n ACTION: go to countertop 1"
    ) == step("Mugs are on countertops.", "act", {"command": "go to countertop 1"})
    assert parse_agentinstruct_turn("alfworld", "ACTION: put mug 2 in/on coffeemachine 1") == step(
        "", "act", {"command": "put mug 2 in/on coffeemachine 1"}
    )
    assert parse_agentinstruct_turn("alfworld", "THOUGHT: First, I plan.\nThen I look.") == step(
        "First, I plan.\nThen I look.", "", {}
    )


@pytest.mark.parametrize(
    "turn",
    ["go to cabinet 1", "ACTION:", "ACTION: go to x\nACTION: go to y", "THOUGHT: a\n ACTION: go to x\nmore words", ""],
)
def test_alfworld_malformed(turn):
    assert parse_agentinstruct_turn("alfworld", turn) is None


# ---- webshop --------------------------------------------------------------------------------


def test_webshop_search_and_click():
    assert parse_agentinstruct_turn(
        "webshop", "Thought:\nI think I should search.\n\nAction:\nsearch[32 oz bottle]"
    ) == step("I think I should search.", "search", {"query": "32 oz bottle"})
    turn = "Thought:\nI think the second one:\n- left hand;\n- wireless.\n\nAction: \nclick[B0B8W4F2TQ]"
    assert parse_agentinstruct_turn("webshop", turn) == step(
        "I think the second one:\n- left hand;\n- wireless.", "click", {"target": "B0B8W4F2TQ"}
    )
    assert parse_agentinstruct_turn("webshop", "Thought:\nx\n\nAction:\nclick[4.25 ounce (pack of 12)]").arguments == {
        "target": "4.25 ounce (pack of 12)"
    }


@pytest.mark.parametrize(
    "turn",
    [
        "Thought:\nI think so.",
        "Thought:\nx\n\nAction:\nbuy[now]",
        "Thought:\nx\n\nAction:\nclick[a]\nclick[b]",
        "click[Buy Now] please",
    ],
)
def test_webshop_malformed(turn):
    assert parse_agentinstruct_turn("webshop", turn) is None


# ---- mind2web -------------------------------------------------------------------------------


def test_mind2web_forms():
    assert parse_agentinstruct_turn(
        "mind2web", "Thought: Pick the option.\nAnswer: C.\nAction: SELECT\nValue: Pickup"
    ) == step("Pick the option.", "select_element", {"choice": "C", "operation": "SELECT", "value": "Pickup"})
    assert parse_agentinstruct_turn("mind2web", "Thought: Submit.\nAnswer: F.\nAction: CLICK") == step(
        "Submit.", "select_element", {"choice": "F", "operation": "CLICK"}
    )
    assert parse_agentinstruct_turn("mind2web", "Answer: A.") == step("", "select_element", {"choice": "A"})
    assert parse_agentinstruct_turn(
        "mind2web", "Thought: t\nAnswer: B.\nAction: TYPE\nValue: vegetarian lasagna"
    ).arguments == {"choice": "B", "operation": "TYPE", "value": "vegetarian lasagna"}


@pytest.mark.parametrize("turn", ["", "Thought: no answer", "Answer: C.\nAction: HOVER", "Answer: the third one"])
def test_mind2web_malformed(turn):
    assert parse_agentinstruct_turn("mind2web", turn) is None


def test_unknown_task_is_a_bug():
    with pytest.raises(ValueError):
        parse_agentinstruct_turn("toolbench", "Thought: x")
