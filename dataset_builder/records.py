"""Typed records the source readers yield, before any Agent-FLAN transform.

Each reader turns one upstream layout into one of these, so transforms never look at
upstream key names (`from`/`value`, `function_call`, `USER:` markers ...).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from agent_flan.core.errors import Location


def stable_id(prefix: str, *parts: str) -> str:
    """An id derived from content, for sources that carry none (glaive, ToolBench queries)."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}_{digest}"


@dataclass(frozen=True)
class Turn:
    role: str  # system | user | assistant | tool
    content: str
    loss: bool | None = None  # None: the source did not say
    tool_call: dict[str, Any] | None = None  # {"name": str, "arguments": str} when the turn is a call


@dataclass
class AgentInstructRecord:
    id: str
    task: str
    turns: list[Turn]
    where: Location


def parse_arguments(text: str) -> dict[str, Any] | None:
    """The call's arguments as a dict when the text is a JSON object, else None (kept verbatim elsewhere)."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    return value if isinstance(value, dict) else None


@dataclass
class ToolStep:
    """One Thought / Action / Action Input step of a ToolBench trajectory, with what came back."""

    thought: str
    action: str
    action_input: str  # verbatim; may be multi-line or invalid JSON
    observation: str | None = None

    @property
    def arguments(self) -> dict[str, Any] | None:
        return parse_arguments(self.action_input)


@dataclass
class ToolBenchTrajectory:
    id: str
    query: str
    system: str  # the system prompt without the API list
    tools: list[dict[str, Any]]  # OpenAI-style schemas as offered, Finish included
    steps: list[ToolStep]  # every call before the closing Finish
    finish_type: str  # give_answer | give_up | none
    final_answer: str
    finish_thought: str
    layout: str  # toolllama | dfsdt
    where: Location

    @property
    def tools_without_finish(self) -> list[dict[str, Any]]:
        return [tool for tool in self.tools if tool.get("name") != "Finish"]


@dataclass
class GlaiveConversation:
    id: str
    system: str  # the instruction sentence, without the function list
    tools: list[dict[str, Any]]
    turns: list[Turn]  # user / assistant / tool; calls carry `tool_call`
    where: Location

    @property
    def calls_tool(self) -> bool:
        return any(turn.tool_call for turn in self.turns)


@dataclass
class ChatRecord:
    id: str
    turns: list[Turn]
    where: Location


@dataclass
class ReleaseRecord:
    """A record of the official `internlm/Agent-FLAN` release, with its file stem."""

    id: str
    file_stem: str
    turns: list[Turn]
    where: Location
    extra_keys: list[str] = field(default_factory=list)
