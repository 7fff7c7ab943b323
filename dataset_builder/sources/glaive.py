"""glaive-function-calling-v2 reader: `system` and `chat` strings with USER/ASSISTANT/FUNCTION RESPONSE markers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent_flan.core.errors import Location, Rejected
from agent_flan.dataset_builder.records import GlaiveConversation, Turn, stable_id
from agent_flan.dataset_builder.sources.files import parse_files

SOURCE = "glaive"
_MARKER = re.compile(r"(?:^|\n+)\s*(USER|ASSISTANT|FUNCTION RESPONSE):[ \t]?")
_ROLES = {"USER": "user", "ASSISTANT": "assistant", "FUNCTION RESPONSE": "tool"}
_END = "<|endoftext|>"
_CALL = "<functioncall>"
_CALL_NAME = re.compile(r'"name"\s*:\s*"(?P<name>[^"]+)"')
_CALL_ARGS_QUOTED = re.compile(r""""arguments"\s*:\s*'(?P<args>.*)'\s*\}\s*$""", re.S)
_TOOLS_INTRO = re.compile(r"Use them if required\s*-?\s*", re.S)
_DECODER = json.JSONDecoder()


def read_glaive(files: list[Path]) -> Iterator[GlaiveConversation | Rejected]:
    return parse_files(files, SOURCE, lambda data, where, path: parse_glaive(data, where), duplicates_are_fatal=False)


def parse_call(text: str) -> dict[str, str] | None:
    """`<functioncall> {"name": "f", "arguments": '{...}'}` -> {"name", "arguments"} (arguments as text)."""
    body = text.split(_CALL, 1)[1].strip() if _CALL in text else text.strip()
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        arguments = value.get("arguments", "")
        return {
            "name": value["name"],
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False),
        }
    name = _CALL_NAME.search(body)
    if name is None:
        return None
    quoted = _CALL_ARGS_QUOTED.search(body)
    return {"name": name["name"], "arguments": quoted["args"] if quoted else ""}


def _parse_tools(text: str, where: Location) -> list[dict[str, Any]] | Rejected:
    tools: list[dict[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return Rejected(
                SOURCE, where, f"function list in the system prompt is not valid JSON: {exc.msg} at char {exc.pos}"
            )
        if not isinstance(value, dict) or "name" not in value:
            return Rejected(
                SOURCE, where, "function list in the system prompt holds something other than function schemas"
            )
        tools.append(value)
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
    return tools


def parse_glaive(data: Any, where: Location) -> GlaiveConversation | Rejected:
    if not isinstance(data, dict) or not isinstance(data.get("system"), str) or not isinstance(data.get("chat"), str):
        return Rejected(SOURCE, where, "expected an object with string fields 'system' and 'chat'", raw=data)
    record_id = stable_id("glaive", data["system"], data["chat"])
    where = where.with_id(record_id)
    system = data["system"].strip()
    if system.startswith("SYSTEM:"):
        system = system[len("SYSTEM:") :].strip()
    intro = _TOOLS_INTRO.search(system)
    tools: list[dict[str, Any]] = []
    if intro:
        parsed = _parse_tools(system[intro.end() :], where)
        if isinstance(parsed, Rejected):
            parsed.raw = data
            return parsed
        tools = parsed
        system = system[: intro.end()].rstrip(" -").rstrip()
    pieces = _MARKER.split(data["chat"])
    if pieces[0].strip():
        return Rejected(
            SOURCE, where, f"chat does not start with a USER:/ASSISTANT: marker: {pieces[0][:60]!r}", raw=data
        )
    turns: list[Turn] = []
    for marker, body in zip(pieces[1::2], pieces[2::2]):
        content = body.replace(_END, "").strip()
        role = _ROLES[marker]
        call = None
        if role == "assistant" and _CALL in content:
            call = parse_call(content)
            if call is None:
                return Rejected(SOURCE, where, f"unparseable <functioncall>: {content[:80]!r}", raw=data)
        turns.append(Turn(role, content, tool_call=call))
    if not any(turn.role == "user" for turn in turns):
        return Rejected(SOURCE, where, "chat has no USER turn", raw=data)
    if not any(turn.role == "assistant" and turn.content for turn in turns):
        return Rejected(SOURCE, where, "chat has no ASSISTANT turn", raw=data)
    return GlaiveConversation(record_id, system, tools, turns, where)
