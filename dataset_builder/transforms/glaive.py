"""glaive-function-calling-v2 conversations -> Agent-H items and plain-answer negatives.

A conversation is held out for Agent-H or usable for training, never both: the choice is a
seeded hash of its id, and `build_report.json` records the overlap checks.

Situations follow the paper's two axes (§4.3): does the request need a tool, and does the system
prompt offer tools. A request needs a tool when the conversation calls one, or when the assistant
declines it ("I'm sorry, I can't book tickets ..."): that stays a tool-needed request when the
offered tools cannot serve it (the paper's own case study), and then the right answer is plain text.
"""

from __future__ import annotations

import random
import re
from typing import Any

from agent_flan.core.prompts import TOOL_CHAT_SYSTEMS, agent_h_system
from agent_flan.dataset_builder.records import ChatRecord, GlaiveConversation
from agent_flan.dataset_builder.transforms.rows import as_function_schema, message, row

_DECLINE = re.compile(
    r"\b(I'?m sorry|I am sorry|I apologi[sz]e|unfortunately|I (?:can ?not|can't|don't have|do not have|am unable|'m unable)"
    r"|as an AI|not able to|no access|don't have (?:the )?(?:ability|capability|access)|external functions?)\b",
    re.I,
)


def first_reply(conversation: GlaiveConversation | ChatRecord) -> str:
    return next((turn.content for turn in conversation.turns if turn.role == "assistant"), "")


def first_user(conversation: GlaiveConversation | ChatRecord) -> str | None:
    return next((turn.content for turn in conversation.turns if turn.role == "user"), None)


def needs_tool(conversation: GlaiveConversation) -> bool:
    """The request asks for something a tool would do: the assistant calls one or declines."""
    return conversation.calls_tool or bool(_DECLINE.search(first_reply(conversation)))


def situation_of(conversation: GlaiveConversation) -> str:
    """Which Agent-H situation the conversation shows as written."""
    if needs_tool(conversation):
        return "tool_needed_tools_given" if conversation.tools else "tool_needed_no_tools"
    return "chat_tools_given" if conversation.tools else "chat_no_tools"


def agent_h_rows(conversation: GlaiveConversation) -> list[dict[str, Any]]:
    """Every (situation, prompt style) item this conversation yields, labelled."""
    user = first_user(conversation)
    reply = first_reply(conversation)
    tools = [as_function_schema(tool) for tool in conversation.tools]
    situation = situation_of(conversation)
    variants: list[tuple[str, list[dict[str, Any]], bool, str, str | None]] = []
    if conversation.calls_tool:
        first_call = next(t for t in conversation.turns if t.tool_call)
        variants.append((situation, tools, True, first_call.tool_call["name"], first_call.content))
        variants.append(("tool_needed_no_tools", [], False, "", None))
    elif situation == "tool_needed_tools_given":
        # The offered tools cannot serve the request: a plain answer is right, with or without them.
        variants.append((situation, tools, False, "", reply))
        variants.append(("tool_needed_no_tools", [], False, "", None))
    else:
        variants.append((situation, tools, False, "", reply or None))
    items = []
    for name, offered, should_call, expected, reference in variants:
        for style in ("react", "general"):
            messages = [message("system", agent_h_system(style, offered)), message("user", user)]
            if reference:
                messages.append(message("assistant", reference, False, "none"))
            items.append(
                row(
                    f"{conversation.id}_{name}_{style}",
                    "glaive",
                    "chat",
                    "react" if style == "react" else "chat",
                    messages,
                    offered,
                    situation=name,
                    prompt_style=style,
                    should_call=should_call,
                    expected_tool=expected,
                )
            )
    return items


def negative_from_glaive(
    conversation: GlaiveConversation, rng: random.Random, offer_irrelevant_tools: bool = True
) -> tuple[str, dict[str, Any]] | None:
    """(kind, row) for a plain-answer glaive exchange, or None when it calls a tool or has no reply.

    A declined tool request becomes a `tool_request` negative with its own system sentence and tools
    (its reply usually refers to them). A chat request with tools offered is a `chat_with_tools`
    negative as written. A chat request with no tools is plain chat, not a negative, unless
    `offer_irrelevant_tools`: then it becomes `chat_with_tools` under a system prompt from the
    positives' bank (glaive's "no access to external functions" would contradict the tools), and the
    build fills in its irrelevant tools once every tool has been read (`tools` is "[]" until then).
    """
    if conversation.calls_tool:
        return None
    user, reply = first_user(conversation), first_reply(conversation)
    if user is None or not reply.strip():
        return None
    situation = situation_of(conversation)
    tools = [as_function_schema(tool) for tool in conversation.tools]
    system = conversation.system
    if situation.startswith("tool_needed"):
        kind = "tool_request"
    elif tools:
        kind = "chat_with_tools"
    elif offer_irrelevant_tools:
        kind, system = "chat_with_tools", rng.choice(TOOL_CHAT_SYSTEMS)
    else:
        return None
    messages = [message("system", system), message("user", user), message("assistant", reply, True, "answer")]
    return kind, row(f"{conversation.id}_negative", "glaive", "chat", "negative", messages, tools, negative_kind=kind)


def negative_from_chat(record: ChatRecord, rng: random.Random) -> dict[str, Any] | None:
    """A general-chat exchange as a `chat_with_tools` negative: the build offers it irrelevant tools
    (filled in once every tool has been read) and the model must still just answer."""
    user, reply = first_user(record), first_reply(record)
    if user is None or not reply.strip():
        return None
    messages = [
        message("system", rng.choice(TOOL_CHAT_SYSTEMS)),
        message("user", user),
        message("assistant", reply, True, "answer"),
    ]
    return row(f"{record.id}_negative", "general", "chat", "negative", messages, [], negative_kind="chat_with_tools")
