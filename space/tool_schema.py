"""Validate the tool-schema editor's JSON and turn it into the flat function schemas the prompts use.

Why a hand-written checker: users paste schemas from OpenAI, glaive and ToolBench docs, and a
mistake there must come back as one readable sentence next to the editor ("tool 2 (`get_weather`):
parameters.required names `city`, which is not in parameters.properties"), never as a stack trace
or a silently ignored tool. Only stdlib, so it is cheap to call on every keystroke.

Messages quote what the user typed (names, property names, types) through `_quote`: JSON-quoted and cut
short. The UI shows them as text (space/untrusted.as_text), so markup in a quote is never rendered.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_TOOLS = 24
MAX_TOOLS_CHARS = 20_000
MAX_DEPTH = 32  # JSON nesting levels; real schemas stay under 15, and deeper input only costs recursion
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
_JSON_TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}


class ToolSchemaError(ValueError):
    """A tool list the app refuses, with a message meant for the user as it is."""


def parse_tools(text: str | None, label: str = "Tools") -> list[dict[str, Any]]:
    """Parse and check an editor's JSON; return flat `{name, description, parameters}` schemas.

    An empty editor means "no tools". A single schema object is accepted as a list of one.
    OpenAI's `{"type": "function", "function": {...}}` wrapper is unwrapped, because the
    Agent-H prompt styles (dataset_builder.transforms.glaive) list flat schemas.
    """
    text = (text or "").strip()
    if not text:
        return []
    if len(text) > MAX_TOOLS_CHARS:
        raise ToolSchemaError(f"{label}: the JSON is {len(text):,} characters; the limit is {MAX_TOOLS_CHARS:,}.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolSchemaError(f"{label}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    except RecursionError:  # json's decoder recurses per level: 10,000 brackets exhaust Python's stack
        raise ToolSchemaError(
            f"{label}: the JSON is nested more than {MAX_DEPTH} levels deep; the limit is {MAX_DEPTH}."
        ) from None
    depth = _depth(value)
    if depth > MAX_DEPTH:
        raise ToolSchemaError(f"{label}: the JSON is nested {depth} levels deep; the limit is {MAX_DEPTH}.")
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ToolSchemaError(f"{label}: expected a JSON list of function schemas, got {_kind(value)}.")
    if len(value) > MAX_TOOLS:
        raise ToolSchemaError(f"{label}: {len(value)} tools; the limit is {MAX_TOOLS}.")
    tools = [_check_tool(entry, index, label) for index, entry in enumerate(value, start=1)]
    seen: set[str] = set()
    for tool in tools:
        if tool["name"] in seen:
            raise ToolSchemaError(f"{label}: two tools are named `{tool['name']}`; names must be unique.")
        seen.add(tool["name"])
    return tools


def tools_to_json(tools: list[dict[str, Any]]) -> str:
    """Pretty JSON for the editor (the inverse of parse_tools for valid input)."""
    return json.dumps(tools, indent=2, ensure_ascii=False)


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _quote(value: object, limit: int = 60) -> str:
    """A user's value for a message: JSON-quoted (so newlines and quotes show) and cut to `limit`."""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path(prop: str) -> str:
    """`parameters.properties.<prop>` as written in a message: bare when it is a plain name, else quoted."""
    return f".{prop}" if _NAME.fullmatch(prop) else f"[{_quote(prop)}]"


def _required(prop: str) -> str:
    """A `required` entry in a message: in backticks when it is a plain name, else quoted."""
    return f"`{prop}`" if _NAME.fullmatch(prop) else _quote(prop)


def _kind(value: object) -> str:
    """JSON name of a Python value's type, for messages."""
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _check_tool(entry: object, index: int, label: str) -> dict[str, Any]:
    """One schema: checked, unwrapped, and reduced to name/description/parameters."""
    where = f"{label}: tool {index}"
    if not isinstance(entry, dict):
        raise ToolSchemaError(f"{where} is {_kind(entry)}; each tool must be an object with a `name`.")
    if "function" in entry and isinstance(entry["function"], dict):
        if entry.get("type", "function") != "function":
            raise ToolSchemaError(f'{where}: `type` must be "function", got {_quote(entry["type"])}.')
        entry = entry["function"]
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ToolSchemaError(f"{where} has no `name` (a non-empty string).")
    if not _NAME.fullmatch(name):
        raise ToolSchemaError(
            f"{where}: name {_quote(name)} must start with a letter or _ and use only "
            "letters, digits, _ . - (64 characters at most)."
        )
    where = f"{where} (`{name}`)"
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise ToolSchemaError(f"{where}: `description` must be a string, got {_kind(description)}.")
    parameters = entry.get("parameters", {"type": "object", "properties": {}})
    _check_parameters(parameters, where)
    return {"name": name, "description": description, "parameters": parameters}


def _check_parameters(parameters: object, where: str) -> None:
    """`parameters` is a JSON Schema object: type object, properties of schemas, required ⊆ properties."""
    if not isinstance(parameters, dict):
        raise ToolSchemaError(f"{where}: `parameters` must be an object (a JSON Schema), got {_kind(parameters)}.")
    if parameters.get("type", "object") != "object":
        raise ToolSchemaError(f'{where}: parameters.type must be "object", got {_quote(parameters["type"])}.')
    properties = parameters.get("properties", {})
    if not isinstance(properties, dict):
        raise ToolSchemaError(f"{where}: parameters.properties must be an object, got {_kind(properties)}.")
    for prop, schema in properties.items():
        if not isinstance(schema, dict):
            raise ToolSchemaError(
                f"{where}: parameters.properties{_path(prop)} must be an object, got {_kind(schema)}."
            )
        kinds = schema.get("type")
        listed = kinds if isinstance(kinds, list) else [kinds] if kinds is not None else []
        bad = [k for k in listed if k not in _JSON_TYPES]
        if bad:
            raise ToolSchemaError(
                f"{where}: parameters.properties{_path(prop)}.type {_quote(bad[0])} is not a JSON "
                f"Schema type ({', '.join(sorted(_JSON_TYPES))})."
            )
    required = parameters.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise ToolSchemaError(f"{where}: parameters.required must be a list of property names.")
    missing = [r for r in required if r not in properties]
    if missing:
        raise ToolSchemaError(
            f"{where}: parameters.required names {_required(missing[0])}, which is not in parameters.properties."
        )
