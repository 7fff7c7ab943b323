"""System prompts: the banks training rows draw from, and Agent-H's own templates, kept apart.

Training and the benchmark must not share a prompt line: a model that learned "this system line
means: do not call" would score well on Agent-H for the wrong reason. `agent_h_lines()` lists the
fixed lines of the Agent-H templates so the builder's invariants can check no training row uses them.

Tools are never written into these prompts: a row's `tools` column is rendered by the chat
template, the same way for positives and negatives.
"""

from __future__ import annotations

import json
import random
from typing import Any

# Conversation rows that offer tools (toolbench_tflan, toolbench_tflan_cot, negatives with tools).
TOOL_CHAT_SYSTEMS: tuple[str, ...] = (
    "You are a helpful assistant with access to the tools you are given. Call one only when it helps.",
    "You can use the tools listed for this conversation. Use a tool when the request needs one; otherwise reply directly.",
    "Help the user. Some tools are available to you: call one when it is the right way to get what the user asked for.",
    "You are an assistant that can call functions. Decide for each request whether a function call is needed.",
)

# Conversation rows with no tools at all (negatives of the tool-request kind from a responder).
PLAIN_SYSTEMS: tuple[str, ...] = (
    "You are a helpful assistant.",
    "You are a friendly and knowledgeable assistant. Answer as well as you can.",
    "Answer the user's questions clearly and honestly.",
)

# agent_instruct_tflan: a neutral tool-chat prompt per AgentBench environment. It names what the
# environment is, not how to format a reply: the native format instructions and in-context examples
# are dropped (Agent-FLAN App. B), and the pseudo-tools come in the row's `tools`.
ENVIRONMENTS: dict[str, tuple[str, ...]] = {
    "os": (
        "You are working in an Ubuntu Linux container. Run commands with the bash tool; long outputs come back "
        "truncated. Once you know the answer or the task is done, say so plainly.",
        "You operate a Linux (Ubuntu) shell for the user through the bash tool. Commands cannot read interactive "
        "input, and very long outputs are cut. Tell the user the result when you have it.",
    ),
    "db": (
        "You help the user answer questions from a MySQL database. Run one SQL statement at a time with "
        "execute_sql; results come back as raw MySQL output. Give the answer plainly when you have it.",
        "You have a MySQL database at hand through the execute_sql tool, one statement per call. Work out the "
        "answer to the user's question from the results and state it.",
    ),
    "kg": (
        "You answer questions from a knowledge base through the functions you are given. A query's result is "
        "stored as a variable (#0, #1, ...) that later queries can use. At most 15 queries; then name the "
        "variable that holds the answer.",
        "Answer the question by exploring a knowledge base with the given functions. Each result becomes a "
        "variable such as #0 for later calls. When a variable holds the answer, say which one.",
    ),
    "alfworld": (
        "You act in a simulated household to complete the task you are given, one action at a time with the act tool.",
        "You control an agent in a household environment. Use the act tool for each action (go to, take, "
        "put, open, clean, heat, cool, use, examine ...) until the task is done.",
    ),
    "webshop": (
        "You shop on a web store for the user. Search when the search bar is available, and click the "
        "page's buttons or items to find and buy what the user asked for.",
        "Find and buy the product the user describes on this web shop: search with keywords, then click "
        "results, options and Buy Now.",
    ),
    "mind2web": (
        "You operate a web browser for the user. For the page and task given, choose the next action with "
        "select_element.",
        "Help complete a task on a web page: pick the element to act on next, and how, with select_element.",
    ),
}

# Agent-H (evaluation only). Both styles state how to call a tool; the tool list is part of the
# prompt, as in the paper's case study, and `{tools}` is where it goes.
AGENT_H_REACT = (
    "Respond to the request below, thinking step by step.{tools}\n"
    "When a tool is needed, write exactly:\nThought: <what you think>\nAction: <the tool's name>\n"
    "Action Input: <the arguments, a JSON object>\nWhen no tool is needed, reply to the user in plain text."
)
AGENT_H_GENERAL = (
    "This session supports function calling.{tools}\n"
    'To call a function, reply only with a JSON object {{"name": <function name>, "arguments": <object>}}; '
    "when no function call is needed, reply in plain text."
)
_AGENT_H_NO_TOOLS = " No functions are available in this session."


def agent_h_tools_text(tools: list[dict[str, Any]]) -> str:
    if not tools:
        return _AGENT_H_NO_TOOLS
    return " Available functions:\n" + "\n".join(json.dumps(tool, ensure_ascii=False) for tool in tools)


def agent_h_system(style: str, tools: list[dict[str, Any]]) -> str:
    """The system prompt of an Agent-H item (style `react` or `general`)."""
    template = AGENT_H_REACT if style == "react" else AGENT_H_GENERAL
    return template.format(tools=agent_h_tools_text(tools))


def agent_h_lines() -> set[str]:
    """The fixed lines of the Agent-H templates (tool lists left out), for the no-shared-line check."""
    lines = set()
    for style in ("react", "general"):
        for tools_text in (_AGENT_H_NO_TOOLS, ""):
            template = AGENT_H_REACT if style == "react" else AGENT_H_GENERAL
            for line in template.format(tools=tools_text).split("\n"):
                if line.strip():
                    lines.add(line.strip())
    return lines


def pick(rng: random.Random, bank: tuple[str, ...]) -> str:
    return rng.choice(bank)
