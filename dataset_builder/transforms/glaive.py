"""glaive-function-calling-v2 conversations -> Agent-H items and plain-answer negatives.

A conversation is held out for Agent-H or usable for training, never both: the choice is a
seeded hash of its id, and `build_report.json` records the overlap check.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dataset_builder.records import ChatRecord, GlaiveConversation
from dataset_builder.transforms.rows import as_function_schema, message, row

_DECLINE = re.compile(
    r"\b(I'?m sorry|I am sorry|I apologi[sz]e|unfortunately|I (?:can ?not|can't|don't have|do not have|am unable|'m unable)"
    r"|as an AI|not able to|no access|don't have (?:the )?(?:ability|capability|access)|external functions?)\b",
    re.I,
)

REACT_STYLE = (
    "Answer the following question as best you can.{tools}\n"
    "If you use a tool, answer in this format:\nThought: <your reasoning>\nAction: <tool name>\n"
    "Action Input: <arguments as JSON>\nIf no tool is needed, answer the user directly."
)
GENERAL_STYLE = (
    "You are a helpful assistant.{tools}\n"
    "To call a function, reply with a JSON object {{\"name\": <function name>, \"arguments\": <object>}}; "
    "otherwise reply normally."
)
_NO_TOOLS = " You have no tools available."


def situation_of(conversation: GlaiveConversation) -> str:
    """Which Agent-H situation the conversation shows as written."""
    if conversation.calls_tool:
        return "tool_needed_tools_given"
    if conversation.tools:
        return "chat_tools_given"
    first_reply = next((t.content for t in conversation.turns if t.role == "assistant"), "")
    return "tool_needed_no_tools" if _DECLINE.search(first_reply) else "chat_no_tools"


def _tools_text(tools: list[dict[str, Any]]) -> str:
    if not tools:
        return _NO_TOOLS
    return " You have access to the following tools:\n" + "\n".join(json.dumps(tool, ensure_ascii=False) for tool in tools)


def system_prompt(style: str, tools: list[dict[str, Any]]) -> str:
    template = REACT_STYLE if style == "react" else GENERAL_STYLE
    return template.format(tools=_tools_text(tools))


def agent_h_rows(conversation: GlaiveConversation) -> list[dict[str, Any]]:
    """Every (situation, prompt style) item this conversation yields, labelled."""
    user = next(turn.content for turn in conversation.turns if turn.role == "user")
    reply = next((turn for turn in conversation.turns if turn.role == "assistant"), None)
    tools = [as_function_schema(tool) for tool in conversation.tools]
    situation = situation_of(conversation)
    variants: list[tuple[str, list[dict[str, Any]], bool, str, str | None]] = []
    if situation == "tool_needed_tools_given":
        expected = reply.tool_call["name"] if reply and reply.tool_call else ""
        first_call = next((t for t in conversation.turns if t.tool_call), None)
        expected = first_call.tool_call["name"] if first_call else expected
        variants.append((situation, tools, True, expected, first_call.content if first_call else None))
        variants.append(("tool_needed_no_tools", [], False, "", None))
    else:
        variants.append((situation, tools, False, "", reply.content if reply else None))
    items = []
    for name, offered, should_call, expected, reference in variants:
        for style in ("react", "general"):
            messages = [message("system", system_prompt(style, offered)), message("user", user)]
            if reference:
                messages.append(message("assistant", reference, False, "none"))
            items.append(row(
                f"{conversation.id}_{name}_{style}", "glaive", "chat", "react" if style == "react" else "chat",
                messages, offered, situation=name, prompt_style=style, should_call=should_call, expected_tool=expected,
            ))
    return items


def negative_from_glaive(conversation: GlaiveConversation) -> dict[str, Any] | None:
    """A plain-answer glaive exchange as a negative; None when it calls a tool."""
    if conversation.calls_tool:
        return None
    user = next(turn.content for turn in conversation.turns if turn.role == "user")
    reply = next((turn.content for turn in conversation.turns if turn.role == "assistant"), "")
    if not reply:
        return None
    tools = [as_function_schema(tool) for tool in conversation.tools]
    messages = [message("system", system_prompt("general", tools)), message("user", user),
                message("assistant", reply, True, "answer")]
    return row(f"{conversation.id}_negative", "glaive", "chat", "negative", messages, tools)


def negative_from_chat(record: ChatRecord, irrelevant_tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A general-chat exchange with irrelevant tools offered: the model must still just answer."""
    user = next((turn.content for turn in record.turns if turn.role == "user"), None)
    reply = next((turn.content for turn in record.turns if turn.role == "assistant"), "")
    if user is None or not reply.strip():
        return None
    messages = [message("system", system_prompt("general", irrelevant_tools)), message("user", user),
                message("assistant", reply, True, "answer")]
    return row(f"{record.id}_negative", "general", "chat", "negative", messages, irrelevant_tools)
