"""Preset tool sets and example queries, one or more for each Agent-H situation.

The tools and queries follow the glaive-function-calling-v2 conversations the kit embeds
(dataset_builder/samples/glaive.jsonl), so what the Space shows is what `agent_h` measures:
a query that needs a tool, or a plain chat query, asked with and without tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _tool(name: str, description: str, properties: dict[str, tuple[str, str]], required: list[str]) -> dict[str, Any]:
    """A flat function schema from (type, description) pairs: keeps the table below readable."""
    return {
        "name": name,
        "description": description,
        "parameters": {
            "type": "object",
            "properties": {key: {"type": kind, "description": text} for key, (kind, text) in properties.items()},
            "required": required,
        },
    }


TOOL_PRESETS: dict[str, list[dict[str, Any]]] = {
    "Weather": [
        _tool(
            "get_weather",
            "Get the current weather for a location",
            {
                "location": ("string", "City and state or country, e.g. Seattle, WA"),
                "unit": ("string", "celsius or fahrenheit"),
            },
            ["location"],
        ),
    ],
    "Currency": [
        _tool(
            "convert_currency",
            "Convert an amount from one currency to another",
            {
                "amount": ("number", "The amount to convert"),
                "from_currency": ("string", "ISO code of the currency to convert from"),
                "to_currency": ("string", "ISO code of the currency to convert to"),
            },
            ["amount", "from_currency", "to_currency"],
        ),
    ],
    "News": [
        _tool(
            "get_news_headlines",
            "Get the latest news headlines",
            {"country": ("string", "The country for which headlines are needed")},
            ["country"],
        ),
    ],
    "Calendar and email": [
        _tool(
            "create_calendar_event",
            "Create an event in the user's calendar",
            {
                "title": ("string", "Title of the event"),
                "start_time": ("string", "ISO 8601 start time"),
                "end_time": ("string", "ISO 8601 end time"),
            },
            ["title", "start_time", "end_time"],
        ),
        _tool(
            "send_email",
            "Send an email",
            {
                "to": ("string", "Recipient address"),
                "subject": ("string", "Subject line"),
                "body": ("string", "Message body"),
            },
            ["to", "subject", "body"],
        ),
    ],
    "Password and BMI": [
        _tool(
            "generate_password",
            "Generate a random password",
            {
                "length": ("integer", "Number of characters"),
                "include_symbols": ("boolean", "Whether to include symbols"),
            },
            ["length"],
        ),
        _tool(
            "calculate_bmi",
            "Calculate the Body Mass Index (BMI)",
            {"weight": ("number", "Weight in kilograms"), "height": ("number", "Height in meters")},
            ["weight", "height"],
        ),
    ],
    "None": [],
}

DEFAULT_TOOLS = "Weather"
DEFAULT_IRRELEVANT = "Password and BMI"

SITUATIONS: dict[str, str] = {
    "tool_needed_tools_given": "needs a tool, tools given: a call is correct",
    "tool_needed_no_tools": "needs a tool, none given: a call is a hallucination",
    "chat_tools_given": "plain chat, tools given: a call is a hallucination",
    "chat_no_tools": "plain chat, no tools: a call is a hallucination",
}


@dataclass(frozen=True)
class Example:
    """One example row: which Agent-H situation it shows, and in which pane to look."""

    situation: str
    query: str
    tools: str
    irrelevant: str
    needs_tool: bool
    observation: str = ""

    @property
    def label(self) -> str:
        pane = {
            "tool_needed_tools_given": "pane 1",
            "tool_needed_no_tools": "pane 2",
            "chat_tools_given": "panes 1 and 3",
            "chat_no_tools": "pane 2",
        }[self.situation]
        return f"{self.situation} ({pane}): {self.query}"


EXAMPLES: list[Example] = [
    Example(
        "tool_needed_tools_given",
        "What's the weather like in Seattle, WA right now?",
        "Weather",
        "Password and BMI",
        True,
        '{"location": "Seattle, WA", "temperature_c": 11, "condition": "light rain"}',
    ),
    Example(
        "tool_needed_tools_given",
        "How much is 1500 Mexican pesos in US dollars?",
        "Currency",
        "News",
        True,
        '{"converted_amount": 87.6, "from_currency": "MXN", "to_currency": "USD"}',
    ),
    Example("tool_needed_no_tools", "Can you tell me the latest news headlines for Canada?", "News", "Weather", True),
    Example(
        "tool_needed_no_tools",
        'Please add a meeting called "Quarterly review" to my calendar tomorrow from 10:00 to 11:30.',
        "Calendar and email",
        "Currency",
        True,
    ),
    Example("chat_tools_given", "Write a haiku about autumn.", "News", "Password and BMI", False),
    Example("chat_tools_given", "What's the capital of Australia?", "Currency", "Weather", False),
    Example("chat_no_tools", "Explain recursion with a simple example.", "Weather", "Calendar and email", False),
    Example("chat_no_tools", "Give me three benefits of regular exercise.", "Password and BMI", "News", False),
]
