"""ToolBench reader: released training conversations and raw DFSDT answer files.

Both layouts become one `ToolBenchTrajectory` per query. The training layout stores one
record per step prefix (`"Step N: <query>"`), so a first pass finds the longest prefix of
each query and the second pass yields only that one: memory grows with the number of
queries, not with the size of the file.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent_flan.core.errors import Location, Rejected
from agent_flan.dataset_builder.records import ToolBenchTrajectory, ToolStep, parse_arguments, stable_id
from agent_flan.dataset_builder.sources.files import RawRecord, iter_file

SOURCE = "toolbench"
API_MARKER = "Specifically, you have access to the following APIs: "
_STEP_ID = re.compile(r"^Step (\d+): ", re.S)
_REACT = re.compile(r"^\s*Thought:(?P<thought>.*?)\nAction:\s?(?P<action>[^\n]*)\nAction Input:\s?(?P<input>.*)$", re.S)
_FINAL_ANSWER = re.compile(r'"final_answer"\s*:\s*"(?P<answer>.*)"\s*\}?\s*$', re.S)
_RETURN_TYPE = re.compile(r'"return_type"\s*:\s*"(?P<type>[a-z_]+)"')
_DIVERSITY_PREFIX = "This is not the first time you try this task"


def read_toolbench(files: list[Path]) -> Iterator[ToolBenchTrajectory | Rejected]:
    best = _longest_prefixes(files)
    seen: set[str] = set()
    for index, item in enumerate(_iter_all(files)):
        if isinstance(item, Rejected):
            yield item
            continue
        data = item.data
        if not isinstance(data, dict):
            yield Rejected(SOURCE, item.where, f"expected a JSON object, got {type(data).__name__}", raw=data)
            continue
        if "conversations" in data:
            key = _prefix_key(data)
            if key is None or best.get(key[0], (None, None))[1] != index:
                continue
            result = _from_training_record(data, item.where)
        elif "answer_generation" in data:
            result = _from_answer_file(data, item.where)
        else:
            yield Rejected(
                SOURCE,
                item.where,
                "not a ToolBench record: expected 'conversations' (toolllama_G123_dfs_*.json) or 'answer_generation' (DFSDT answer file)",
                raw=data,
            )
            continue
        if isinstance(result, ToolBenchTrajectory):
            if result.id in seen:
                yield Rejected(
                    SOURCE,
                    result.where.with_id(result.id),
                    "duplicate query: already read from another record",
                    fatal=False,
                    category="duplicate",
                )
                continue
            seen.add(result.id)
        yield result


def _iter_all(files: list[Path]) -> Iterator[RawRecord | Rejected]:
    for path in files:
        yield from iter_file(path, SOURCE)


def _prefix_key(data: dict[str, Any]) -> tuple[bytes, int] | None:
    """(digest of the query, prefix length): 8 bytes a query keeps memory small on 100k-query files."""
    conversations = data.get("conversations")
    if not isinstance(conversations, list):
        return None
    query = _query_of(data)
    if query is None:
        return None
    return hashlib.blake2b(query.encode("utf-8"), digest_size=8).digest(), len(conversations)


def _query_of(data: dict[str, Any]) -> str | None:
    record_id = data.get("id")
    if isinstance(record_id, str):
        match = _STEP_ID.match(record_id)
        if match:
            return record_id[match.end() :].strip()
    for turn in data.get("conversations") or []:
        if isinstance(turn, dict) and turn.get("from") == "user" and isinstance(turn.get("value"), str):
            return _clean_query(turn["value"])
    return None


def _longest_prefixes(files: list[Path]) -> dict[bytes, tuple[int, int]]:
    best: dict[bytes, tuple[int, int]] = {}
    for index, item in enumerate(_iter_all(files)):
        if isinstance(item, RawRecord) and isinstance(item.data, dict) and "conversations" in item.data:
            key = _prefix_key(item.data)
            if key is not None and key[1] > best.get(key[0], (-1, -1))[0]:
                best[key[0]] = (key[1], index)
    return best


def _clean_query(text: str) -> str:
    text = text.strip()
    if text.endswith("Begin!"):
        text = text[: -len("Begin!")].rstrip()
    return text


def _split_system(system: str, where: Location) -> tuple[str, list[dict[str, Any]]] | Rejected:
    head, marker, api_text = system.partition(API_MARKER)
    if not marker:
        return Rejected(SOURCE, where, f"system prompt has no API list (missing {API_MARKER.strip()!r})")
    try:
        tools = ast.literal_eval(api_text.strip())
    except (ValueError, SyntaxError) as exc:
        return Rejected(SOURCE, where, f"API list in the system prompt is not a Python literal: {exc}")
    if not isinstance(tools, list) or not all(isinstance(tool, dict) and "name" in tool for tool in tools):
        return Rejected(SOURCE, where, "API list in the system prompt is not a list of function schemas")
    return head.rstrip(), tools


def _finish(step: ToolStep) -> tuple[str, str]:
    arguments = parse_arguments(step.action_input)
    if arguments is not None:
        return str(arguments.get("return_type", "")), str(arguments.get("final_answer", "") or "")
    kind = _RETURN_TYPE.search(step.action_input)
    answer = _FINAL_ANSWER.search(step.action_input)
    return (kind.group("type") if kind else ""), (answer.group("answer") if answer else "")


def _assemble(
    record_id: str,
    query: str,
    system: str,
    tools: list[dict[str, Any]],
    steps: list[ToolStep],
    layout: str,
    where: Location,
) -> ToolBenchTrajectory | Rejected:
    where = where.with_id(record_id)
    if not steps:
        return Rejected(SOURCE, where, "trajectory has no assistant turn")
    last = steps[-1]
    finish_type, final_answer, finish_thought = "none", "", ""
    if last.action == "Finish":
        steps = steps[:-1]
        return_type, final_answer = _finish(last)
        finish_thought = last.thought
        finish_type = (
            "give_answer"
            if return_type == "give_answer"
            else "give_up"
            if return_type == "give_up_and_restart"
            else "none"
        )
    trajectory = ToolBenchTrajectory(
        record_id, query, system, tools, steps, finish_type, final_answer, finish_thought, layout, where
    )
    if finish_type == "give_up":
        return Rejected(
            SOURCE, where, "gave up (Finish with give_up_and_restart): no final answer", fatal=False, category="give_up"
        )
    if finish_type != "give_answer" or not final_answer.strip():
        return Rejected(
            SOURCE,
            where,
            "no final answer (trajectory does not end in Finish with give_answer)",
            fatal=False,
            category="no_final_answer",
        )
    return trajectory


def _from_training_record(data: dict[str, Any], where: Location) -> ToolBenchTrajectory | Rejected:
    conversations = data["conversations"]
    query = _query_of(data)
    if not isinstance(conversations, list) or not conversations or query is None:
        return Rejected(SOURCE, where, "'conversations' must be a non-empty list with a user turn", raw=data)
    record_id = stable_id("toolbench", query)
    where = where.with_id(record_id)
    first = conversations[0]
    if not isinstance(first, dict) or first.get("from") != "system" or not isinstance(first.get("value"), str):
        return Rejected(SOURCE, where, "first turn must be {'from': 'system', 'value': str}", raw=data)
    split = _split_system(first["value"], where)
    if isinstance(split, Rejected):
        split.raw = data
        return split
    system, tools = split
    steps: list[ToolStep] = []
    for position, turn in enumerate(conversations[1:], start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            return Rejected(SOURCE, where, f"turn {position} must be an object with a string 'value'", raw=data)
        role, value = turn.get("from"), turn["value"]
        if role == "user":
            continue  # the query (kept above) or a DFSDT diversity prompt
        if role == "assistant":
            match = _REACT.match(value)
            if match is None:
                return Rejected(
                    SOURCE,
                    where,
                    f"turn {position}: assistant value is not 'Thought: / Action: / Action Input:'",
                    raw=data,
                )
            steps.append(ToolStep(match["thought"].strip(), match["action"].strip(), match["input"].strip()))
        elif role == "function":
            if not steps or steps[-1].observation is not None:
                return Rejected(SOURCE, where, f"turn {position}: function result without a preceding call", raw=data)
            steps[-1].observation = value
        else:
            return Rejected(
                SOURCE,
                where,
                f"turn {position}: unknown 'from' value {role!r} (expected system/user/assistant/function)",
                raw=data,
            )
    return _assemble(record_id, query, system, tools, steps, "toolllama", where)


def _from_answer_file(data: dict[str, Any], where: Location) -> ToolBenchTrajectory | Rejected:
    generation = data["answer_generation"]
    if not isinstance(generation, dict):
        return Rejected(SOURCE, where, "'answer_generation' must be an object", raw=data)
    query = generation.get("query")
    if not isinstance(query, str) or not query.strip():
        return Rejected(SOURCE, where, "'answer_generation.query' is missing or empty", raw=data)
    record_id = stable_id("toolbench", query.strip())
    where = where.with_id(record_id)
    if not generation.get("valid_data", False):
        return Rejected(
            SOURCE, where, "valid_data is false: DFSDT produced no usable path", fatal=False, category="invalid_data"
        )
    prefixes = generation.get("train_messages")
    tools = generation.get("function")
    if not isinstance(prefixes, list) or not prefixes or not isinstance(prefixes[-1], list):
        return Rejected(SOURCE, where, "'train_messages' must be a non-empty list of message lists", raw=data)
    if not isinstance(tools, list):
        return Rejected(SOURCE, where, "'function' must be a list of function schemas", raw=data)
    messages = prefixes[-1]
    system = next((m.get("content") or "" for m in messages if isinstance(m, dict) and m.get("role") == "system"), "")
    steps: list[ToolStep] = []
    pending_thought = ""
    for position, message in enumerate(messages):
        if not isinstance(message, dict):
            return Rejected(SOURCE, where, f"train_messages[-1][{position}] is not an object", raw=data)
        role = message.get("role")
        if role in ("system", "user"):
            continue
        if role == "assistant":
            content = (message.get("content") or "").strip()
            call = message.get("function_call")
            if not call:
                pending_thought = f"{pending_thought}\n{content}".strip()  # thought-only message: joins the next call
                continue
            if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                return Rejected(SOURCE, where, f"message {position}: function_call must have a string 'name'", raw=data)
            thought = f"{pending_thought}\n{content}".strip()
            pending_thought = ""
            arguments = call.get("arguments", "")
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            steps.append(ToolStep(thought, call["name"], arguments.strip()))
        elif role == "function":
            if not steps or steps[-1].observation is not None:
                return Rejected(
                    SOURCE, where, f"message {position}: function result without a preceding call", raw=data
                )
            steps[-1].observation = message.get("content") or ""
        else:
            return Rejected(SOURCE, where, f"message {position}: unknown role {role!r}", raw=data)
    return _assemble(record_id, query.strip(), system.strip(), tools, steps, "dfsdt", where)
