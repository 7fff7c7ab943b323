"""Official Agent-FLAN release records -> our typed rows.

Loss semantics follow the authors (issue #4 of InternLM/Agent-FLAN): an assistant turn
without `loss` is trained, `loss: false` is not, and only assistant turns ever are.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from agent_flan.dataset_builder.records import ReleaseRecord
from agent_flan.dataset_builder.sources.release import RELEASE_FILES
from agent_flan.dataset_builder.transforms.rows import as_function_schema, message, row
from agent_flan.dataset_builder.transforms.toolbench import FINISH_SCHEMA

_API_LIST = re.compile(r"Specifically, you have access to the following APIs:\s*(\[.*\])\s*$", re.S)
_SINGLE_API = re.compile(r"You have access to the following API:\s*\n(\{.*?\})\s*\n", re.S)
_API_BLOCK = re.compile(
    r"^(?P<name>[\w.\-]+): (?P<desc>.*?)\nInput parameters are as follows: (?P<params>\{.*?\})\s*$", re.S | re.M
)
_AGENTINSTRUCT_OBSERVATION = ("The output of the OS", "Observation:", "[(", "[]", "On the ", "You ", "Nothing happened")
_FINISHERS = ("FinalAction", "Finish", "FinalAnswer")
_TASK_HINTS = (
    ("linux", "os"),
    ("MySQL", "db"),
    ("household", "alfworld"),
    ("web shopping", "webshop"),
    ("get_relations", "kg"),
    ("HTML", "mind2web"),
)


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None


def tools_from_system(system: str) -> list[dict[str, Any]]:
    """The tool list written into a release system prompt, in any of its three layouts."""
    match = _API_LIST.search(system)
    if match:
        value = _literal(match.group(1))
        if isinstance(value, list):
            return [as_function_schema(t) for t in value if isinstance(t, dict) and "name" in t]
    match = _SINGLE_API.search(system + "\n")
    if match:
        value = _literal(match.group(1))
        if isinstance(value, dict) and "name" in value:
            return [as_function_schema(value)]
    tools = []
    for block in _API_BLOCK.finditer(system):
        params = _literal(block["params"])
        tools.append(
            as_function_schema(
                {
                    "name": block["name"],
                    "description": block["desc"].strip(),
                    "parameters": params if isinstance(params, dict) else None,
                }
            )
        )
    return tools


def _is_toolbench_observation(content: str) -> bool:
    value = _literal(content.strip()) if content.strip().startswith("{") else None
    return isinstance(value, dict) and "response" in value and "error" in value


def _task(record: ReleaseRecord) -> str:
    if record.file_stem.startswith("toolbench"):
        return "toolbench"
    opening = " ".join(turn.content[:2000] for turn in record.turns[:2])
    return next((task for hint, task in _TASK_HINTS if hint in opening), "chat")


def release_row(record: ReleaseRecord) -> tuple[str, dict[str, Any]]:
    """(config, row) for one release record."""
    config = RELEASE_FILES[record.file_stem]
    system = "\n".join(t.content for t in record.turns if t.role == "system")
    tools = tools_from_system(system)
    agentinstruct = record.file_stem.startswith("agent_instruct")
    messages = []
    seen_assistant = False
    for turn in record.turns:
        role = turn.role
        if role == "user" and seen_assistant and not record.file_stem.endswith(("negative", "j1s1_3k")):
            if _is_toolbench_observation(turn.content) or (
                agentinstruct and turn.content.startswith(_AGENTINSTRUCT_OBSERVATION)
            ):
                role = "tool"
        trained = role == "assistant" and turn.loss is not False
        capability = "instruction" if config == "toolbench_instruct" else "none"
        messages.append(message(role, turn.content, trained, capability))
        seen_assistant = seen_assistant or turn.role == "assistant"
    if config == "toolbench_react" and tools:
        # The release's react rows end with a FinalAction / Finish call their API list leaves out: offer it,
        # so the finishing call names a tool of the row, as ToolBench lists Finish among its functions.
        named = {tool["name"] for tool in tools}
        used = {name for name in _FINISHERS if any(name in m["content"] for m in messages if m["role"] == "assistant")}
        tools = tools + [{"name": name, **FINISH_SCHEMA} for name in sorted(used - named)]
    fmt = {
        "toolbench_react": "react",
        "agent_instruct_react": "react",
        "toolbench_tflan_cot": "tflan_cot",
        "toolbench_negative": "negative",
        "toolbench_instruct": "instruct_json",
    }.get(config, "tflan")
    if config == "toolbench_instruct" and "JSON" not in system:
        fmt = "instruct_str"
    return config, row(f"release_{record.id}", "release", _task(record), fmt, messages, tools)
