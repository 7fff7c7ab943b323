"""AgentInstruct trajectories -> `agent_instruct_react` (native) and `agent_instruct_tflan` (aligned) rows.

`agent_instruct_react` keeps the source turns byte for byte, with AgentInstruct's loss flags; only
the capability spans are added, located by each task's grammar.

`agent_instruct_tflan` is the same trajectory as a tool conversation (Agent-FLAN §4.1, App. B): a
neutral system prompt for the environment, the task's pseudo-tools in `tools`, the task itself as
the user turn, every step re-rendered as one assistant message, observations as `tool` turns. The
AgentBench format instruction ("your operation should be like this: ...") and the in-context
example turns are dropped, as the paper dropped AgentInstruct's few-shot examples: keeping them
would train JSON/YAML answers under a prompt that demands `Action: Operation` lines.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from typing import Any

from agent_flan.core.errors import Rejected
from agent_flan.core.prompts import ENVIRONMENTS
from agent_flan.core.toolcalls.language import FINAL_ANSWERS, TASK_DONE, choose_serialiser
from agent_flan.dataset_builder.records import AgentInstructRecord, Turn
from agent_flan.dataset_builder.transforms.react_parsing import THINK_ONLY, ParsedStep, parse_agentinstruct_turn
from agent_flan.dataset_builder.transforms.rows import message, rng_for, row, span
from agent_flan.dataset_builder.transforms.steps import always, answer_step, call_step, never, thought_step


def _tool(name: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": properties, "required": list(properties)},
    }


def _kg_tool(name: str, description: str) -> dict[str, Any]:
    args = {"type": "array", "items": {"type": "string"}, "description": "Positional arguments, in order."}
    return _tool(name, description, {"args": args})


_TEXT = {"type": "string"}

TASK_TOOLS: dict[str, list[dict[str, Any]]] = {
    "os": [
        _tool(
            "bash",
            "Run a bash command in the Ubuntu container and return its output.",
            {"command": {**_TEXT, "description": "The bash code to run."}},
        )
    ],
    "db": [
        _tool(
            "execute_sql",
            "Execute one SQL statement on the MySQL database and return the raw result.",
            {"sql": {**_TEXT, "description": "One SQL statement."}},
        )
    ],
    "kg": [
        _kg_tool("get_relations", "get_relations(variable): the relations of an entity or a variable such as #0."),
        _kg_tool(
            "get_neighbors", "get_neighbors(variable, relation): the entities linked to the variable by the relation."
        ),
        _kg_tool("intersection", "intersection(variable1, variable2): the entities in both variables (same type)."),
        _kg_tool("get_attributes", "get_attributes(variable): the numerical attributes of the variable."),
        _kg_tool("argmax", "argmax(variable, attribute): the entity with the largest value of the attribute."),
        _kg_tool("argmin", "argmin(variable, attribute): the entity with the smallest value of the attribute."),
        _kg_tool("count", "count(variable): the number of entities in the variable."),
    ],
    "alfworld": [
        _tool(
            "act",
            "Perform one action in the household, e.g. 'go to cabinet 1' or 'take mug 2 from countertop 2'.",
            {"command": {**_TEXT, "description": "The action, chosen from the available actions."}},
        )
    ],
    "webshop": [
        _tool(
            "search",
            "Search the shop with keywords (when the search bar is available).",
            {"query": {**_TEXT, "description": "The search keywords."}},
        ),
        _tool(
            "click",
            "Click one of the clickable buttons or items on the page.",
            {"target": {**_TEXT, "description": "The value of a clickable element."}},
        ),
    ],
    "mind2web": [
        {
            "name": "select_element",
            "description": "Choose the next web action: the letter of an element from the choices, the operation and its value.",
            "parameters": {
                "type": "object",
                "properties": {
                    "choice": {**_TEXT, "description": "The letter of the chosen element (A means none of the above)."},
                    "operation": {"type": "string", "enum": ["CLICK", "SELECT", "TYPE"]},
                    "value": {**_TEXT, "description": "The option to select or the text to type."},
                },
                "required": ["choice"],
            },
        }
    ],
}
TASK_TOOL_NAMES = {task: frozenset(tool["name"] for tool in tools) for task, tools in TASK_TOOLS.items()}

# Phrases of the AgentBench format instructions and acknowledgements: none may survive alignment
# (dataset_builder.invariants checks every agent_instruct_tflan row for them).
NATIVE_INSTRUCTION_MARKERS: tuple[str, ...] = (
    "you should print like this",
    "your operation should be like this",
    "Your output must strictly follow this format",
    "Your response should use the following format",
    "I've understood your instruction",
    "Act: bash",
    "Act: answer(",
    "Action: Operation",
    "Action: Answer",
    "THOUGHT:",
    "ACTION:",
    "Final Answer:",
    "Here is one example",
)
# Lead-ins of the first task turn that only make sense after the native instruction.
_TASK_LEAD_INS = (
    re.compile(r"\A\s*Now, I will start a new problem in a new OS\. My problem is:\s*"),
    re.compile(r"\A.*?\bNow, my problem is:\s*", re.S),
    re.compile(r"\A\s*Here is your task\.\s*"),
    re.compile(r"\A\s*A new question:\s*"),
    re.compile(r"\A\s*Question:\s*"),
)


def is_final_turn(task: str, content: str) -> bool:
    """The turn that ends the episode, by the same grammar the aligned rendering uses."""
    parsed = parse_agentinstruct_turn(task, content)
    return parsed is not None and parsed.final


def _native_message(content: str, trained: bool, step: ParsedStep | None) -> dict[str, Any]:
    """A source turn as written, with the spans its grammar locates (one `none` span when untrained)."""
    if not trained or step is None or not step.parts:
        return message("assistant", content, trained, "none" if not trained else "answer")
    spans: list[dict[str, Any]] = []
    for start, end, capability in step.parts:
        if spans and spans[-1]["capability"] == capability:
            spans[-1]["end"] = end
        else:
            spans.append(span(start, end, capability, True))
    capabilities = {s["capability"] for s in spans}
    return {
        "role": "assistant",
        "content": content,
        "loss": True,
        "capability": capabilities.pop() if len(capabilities) == 1 else "mixed",
        "spans": spans,
    }


def react_row(record: AgentInstructRecord) -> dict[str, Any]:
    messages = []
    for turn in record.turns:
        if turn.role != "assistant":
            messages.append(message(turn.role, turn.content))
            continue
        trained = bool(turn.loss)
        messages.append(
            _native_message(
                turn.content, trained, parse_agentinstruct_turn(record.task, turn.content) if trained else None
            )
        )
    return row(record.id, "agentinstruct", record.task, "react", messages)


def _task_turn(record: AgentInstructRecord) -> int | None:
    """Index of the user turn that states the task: the last user turn before the first trained step."""
    first_trained = next((i for i, t in enumerate(record.turns) if t.role == "assistant" and t.loss), None)
    if first_trained is None:
        return None
    return next((i for i in range(first_trained - 1, -1, -1) if record.turns[i].role == "user"), None)


def task_text(content: str) -> str:
    """The task as a user would ask it: the native lead-ins removed, the rest kept as written."""
    for lead_in in _TASK_LEAD_INS:
        content = lead_in.sub("", content, count=1)
    return content.strip()


def _render(rng: random.Random, step: ParsedStep, serialiser: str | None, trained: bool) -> dict[str, Any]:
    flag = always if trained else never
    if step.final:
        answer = step.arguments if isinstance(step.arguments, str) else json.dumps(step.arguments, ensure_ascii=False)
        closing = rng.choice(FINAL_ANSWERS).format(answer=answer) if answer.strip() else rng.choice(TASK_DONE)
        return answer_step(rng, step.thought, closing, flag)
    if step.action == THINK_ONLY:
        return thought_step(step.thought, flag)
    return call_step(rng, step.thought, step.action, step.arguments, serialiser, flag)


def tflan_row(
    record: AgentInstructRecord, seed: int, inline_share: float = 0.0
) -> tuple[dict[str, Any] | Rejected, Counter]:
    """The aligned trajectory and its step counts (steps, empty thoughts, calls to tools not offered)."""
    counts: Counter = Counter()
    rng = rng_for(seed, "agentinstruct-tflan", record.id)
    start = _task_turn(record)
    if start is None:
        return Rejected(
            "agentinstruct",
            record.where,
            "no trained assistant turn after a user turn",
            fatal=False,
            category="no_task_turn",
        ), counts
    parsed: list[tuple[Turn, ParsedStep | None]] = []
    for index, turn in enumerate(record.turns[start:], start=start):
        step = parse_agentinstruct_turn(record.task, turn.content) if turn.role == "assistant" else None
        if turn.role == "assistant" and step is None:
            return Rejected(
                "agentinstruct",
                record.where,
                f"{record.task} turn {index} does not follow the {record.task} grammar: {turn.content[:80]!r}",
                fatal=False,
                raw={"turn": index, "value": turn.content},
                category="unparseable_step",
            ), counts
        parsed.append((turn, step))
    offered = TASK_TOOL_NAMES[record.task]
    calls = [(s.action, s.arguments) for _, s in parsed if s is not None and not s.final and s.action in offered]
    serialiser = choose_serialiser(rng, calls, inline_share) if calls else None
    messages = [
        message("system", rng.choice(ENVIRONMENTS[record.task])),
        message("user", task_text(record.turns[start].content)),
    ]
    for turn, step in parsed[1:]:
        if step is None:
            messages.append(message("tool" if messages[-1]["role"] == "assistant" else "user", turn.content))
            continue
        counts["steps"] += 1
        counts["empty_thoughts"] += not step.thought
        trained = bool(turn.loss)
        if not step.final and step.action != THINK_ONLY and step.action not in offered:
            counts["calls_to_unknown_tools"] += 1  # kept as context, never trained
            trained = False
        messages.append(_render(rng, step, serialiser, trained))
    return row(f"{record.id}_tflan", "agentinstruct", record.task, "tflan", messages, TASK_TOOLS[record.task]), counts
