"""The comparison itself, free of Gradio: check a request, prompt each pane, judge each reply.

Three panes ask the same question with the relevant tools, with none, and with irrelevant tools,
using the Agent-H prompt styles (dataset_builder.transforms.glaive), so what a user sees here is
what `agent-flan eval` scores. Each reply goes through the kit's detector (evaluation.detector);
a call is rendered as a collapsible step and is never executed.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_flan.core.prompts import agent_h_system as system_prompt
from agent_flan.core.toolcalls.detect import Verdict, detect
from agent_flan.space.engine import ChatEngine
from agent_flan.space.settings import MAX_NEW_TOKENS_CAP, MAX_OBSERVATION_CHARS, MAX_QUERY_CHARS
from agent_flan.space.tool_schema import ToolSchemaError, parse_tools
from agent_flan.space.untrusted import as_text, code_block, reply_markdown, shorten

STYLES = ("general", "react")


@dataclass(frozen=True)
class Pane:
    """One column of the comparison."""

    key: str
    title: str
    blurb: str


PANES: tuple[Pane, ...] = (
    Pane("tools", "① Relevant tools offered", "the tools from the editor"),
    Pane("none", "② No tools", "the prompt says no tools are available"),
    Pane("irrelevant", "③ Irrelevant tools", "tools that do not fit the question"),
)


class RequestError(ValueError):
    """A request the app refuses; the message is shown inline as it is."""


@dataclass(frozen=True)
class Request:
    """A checked comparison request."""

    query: str
    tools: list[dict[str, Any]]
    irrelevant: list[dict[str, Any]]
    needs_tool: bool
    variant: str
    style: str
    max_new_tokens: int
    observation: str = ""

    def pane_tools(self, key: str) -> list[dict[str, Any]]:
        return {"tools": self.tools, "none": [], "irrelevant": self.irrelevant}[key]

    def should_call(self, key: str) -> bool:
        """Only pane 1, and only for a query that needs a tool, should call."""
        return key == "tools" and self.needs_tool


def check_request(
    query: str | None,
    tools_json: str | None,
    irrelevant_json: str | None,
    needs_tool: bool | None,
    variant: str | None,
    style: str | None,
    max_new_tokens: float | None,
    observation: str | None,
    variants: Sequence[str],
) -> Request:
    """Validate everything a client can send (the API bypasses the UI's own limits)."""
    query = (query or "").strip()
    if not query:
        raise RequestError("Type a question first.")
    if len(query) > MAX_QUERY_CHARS:
        raise RequestError(f"The question is {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}.")
    try:
        tools = parse_tools(tools_json, "Relevant tools")
        irrelevant = parse_tools(irrelevant_json, "Irrelevant tools")
    except ToolSchemaError as exc:
        raise RequestError(str(exc)) from None
    variant = variant or variants[0]
    if variant not in variants:
        raise RequestError(f"Model {_quote(variant)} is not loaded here; choose one of: {', '.join(variants)}.")
    style = style or STYLES[0]
    if style not in STYLES:
        raise RequestError(f"Prompt style must be one of {', '.join(STYLES)}, not {_quote(style)}.")
    try:
        tokens = int(max_new_tokens if max_new_tokens is not None else 160)
    except (TypeError, ValueError, OverflowError):
        raise RequestError(f"Max new tokens must be a whole number, not {_quote(max_new_tokens)}.") from None
    if not 1 <= tokens <= MAX_NEW_TOKENS_CAP:
        raise RequestError(f"Max new tokens must be between 1 and {MAX_NEW_TOKENS_CAP}, not {tokens}.")
    observation = (observation or "").strip()
    if len(observation) > MAX_OBSERVATION_CHARS:
        raise RequestError(
            f"The simulated observation is {len(observation):,} characters; the limit is {MAX_OBSERVATION_CHARS:,}."
        )
    return Request(query, tools, irrelevant, bool(needs_tool), variant, style, tokens, observation)


def _quote(value: object) -> str:
    """A client-sent value quoted for a message: repr, cut short (the UI shows messages as text)."""
    return shorten(repr(value), 60)


def pane_messages(request: Request, key: str) -> list[dict[str, str]]:
    """The Agent-H prompt for one pane: style-specific system prompt listing that pane's tools."""
    return [
        {"role": "system", "content": system_prompt(request.style, request.pane_tools(key))},
        {"role": "user", "content": request.query},
    ]


# --------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class Badge:
    """The detector's finding for one pane: what the reply did with tools, and whether that is what this pane
    expected. It judges tool use only: a plain answer that invents a weather report is still "no tool call"."""

    kind: str  # correct_call | hallucinated_call | unknown_tool | plain_answer (the API's stable names)
    label: str  # what the detector found, in words
    as_expected: bool
    detail: str  # what was expected, and the tool names involved


# Under every badge: what the colour means, so a green badge on an invented answer does not read as "correct".
BADGE_SCOPE = "judges tool use only, not whether the answer is true"


def judge(verdict: Verdict, offered: list[dict[str, Any]], should_call: bool) -> Badge:
    """Turn a verdict into a badge, given what this pane offered and expected."""
    if not verdict.calls_tool:
        detail = "a tool call was expected here" if should_call else "no call expected here"
        return Badge("plain_answer", "no tool call", not should_call, detail)
    names = ", ".join(f"`{shorten(c.name, 60)}`" for c in verdict.calls if c.name) or "an unnamed tool"
    if not offered:
        return Badge(
            "hallucinated_call", "hallucinated call", False, f"called {names} with no tools offered: none expected"
        )
    if verdict.unknown_tools:
        missing = ", ".join(f"`{shorten(n, 60)}`" for n in verdict.unknown_tools)
        return Badge("unknown_tool", "call to an unknown tool", False, f"called {missing}, which is not offered")
    if should_call:
        return Badge("correct_call", "calls an offered tool", True, f"called {names}: a call was expected here")
    return Badge("hallucinated_call", "hallucinated call", False, f"called {names}: no call expected here")


_COLOURS = {True: ("#e6f4ea", "#137333"), False: ("#fce8e6", "#a50e0e"), None: ("#f1f3f4", "#3c4043")}


def badge_html(pane: Pane, badge: Badge | None, note: str = "") -> str:
    """A coloured badge with inline styles (no CSS file to ship or keep in sync): a tick or a cross for "as this
    pane expected" or not, the finding, what was expected, and what the badge does not judge."""
    background, colour = _COLOURS[None if badge is None else badge.as_expected]
    if badge is None:
        label = html.escape(note or "not run yet")
    else:
        label = ("✓ " if badge.as_expected else "✗ ") + html.escape(badge.label)
    detail = _inline_code(badge.detail) if badge else html.escape(pane.blurb)
    scope = f'<span class="af-scope" style="opacity:.6;font-size:.8em;flex-basis:100%">{BADGE_SCOPE}</span>'
    return (
        f'<div class="af-badge" data-kind="{badge.kind if badge else "none"}" style="display:flex;gap:.5em;'
        f'align-items:center;flex-wrap:wrap;min-height:4em"><span style="background:{background};color:{colour};'
        f'border:1px solid {colour};border-radius:999px;padding:2px 10px;font-weight:600">{label}</span>'
        f'<span style="opacity:.75;font-size:.9em">{detail}</span>{scope if badge else ""}</div>'
    )


def _inline_code(text: str) -> str:
    """Escape text (it quotes tool names a model wrote), keeping `name` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


# --------------------------------------------------------------------------- rendering
# Everything a user or a model wrote reaches the page as Markdown that renders as text (space/untrusted.py):
# questions through as_text, replies through reply_markdown, arguments, observations and raw output in
# code blocks. Step titles are Markdown too, so the tool name in them is escaped as well.

MAX_SHOWN_DEPTH = 16  # deeper arguments are shown (and sent in `verdicts`) as compact JSON text


def _arguments(arguments: object) -> str:
    if isinstance(arguments, (dict, list)):
        return code_block(json.dumps(_bounded(arguments), indent=2, ensure_ascii=False), "json")
    if arguments is None:
        return "*(no arguments)*"
    return code_block(str(arguments))


def _bounded(value: object, depth: int = 0) -> object:
    """`value` with anything nested deeper than MAX_SHOWN_DEPTH replaced by its compact JSON text.

    A reply can nest its arguments hundreds of levels deep; Gradio's JSON encoder (orjson) refuses more
    than 255, which would fail the whole update, and such a tree is unreadable anyway.
    """
    if not isinstance(value, (dict, list)):
        return value
    if depth >= MAX_SHOWN_DEPTH:
        try:
            return json.dumps(value, ensure_ascii=False)
        except RecursionError:
            return "(nested too deeply to show)"
    if isinstance(value, dict):
        return {key: _bounded(item, depth + 1) for key, item in value.items()}
    return [_bounded(item, depth + 1) for item in value]


def _pretty(text: str) -> str:
    """Observations are usually JSON on one line; indent them so the pane does not scroll sideways."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested past Python's recursion limit
        return text
    if _bounded(value) != value:  # too deep to indent readably: show it as typed
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)


def waiting_view(query: str, note: str) -> list[dict[str, Any]]:
    """A pane before its turn: the question and a pending step."""
    return [
        {"role": "user", "content": as_text(query)},
        {"role": "assistant", "content": "", "metadata": {"title": note, "status": "pending"}},
    ]


def streaming_view(query: str, text: str) -> list[dict[str, Any]]:
    """A pane while its reply streams in: the raw text so far."""
    return [
        {"role": "user", "content": as_text(query)},
        {"role": "assistant", "content": reply_markdown(text, cursor="▌")},
    ]


def final_view(
    query: str, reply: str, verdict: Verdict, badge: Badge, observation: str, seconds: float
) -> list[dict[str, Any]]:
    """A finished pane: each call as a collapsible step (name + arguments), the simulated
    observation if one was given, then the model's raw reply so parser misses stay visible."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": as_text(query)}]
    if not verdict.calls_tool:
        shown = reply_markdown(reply) if reply.strip() else "*(the model returned an empty reply)*"
        messages.append({"role": "assistant", "content": shown})
        return messages
    for call in verdict.calls:
        known = {True: "offered", False: "not offered", None: "unknown"}[call.known]
        log = f"{verdict.style} style · {known}" + ("" if call.arguments_valid else " · arguments are not valid JSON")
        messages.append(
            {
                "role": "assistant",
                "content": _arguments(call.arguments),
                "metadata": {"title": f"Tool call: {as_text(shorten(call.name)) or '(unnamed)'}", "log": log},
            }
        )
    if observation:
        messages.append(
            {
                "role": "assistant",
                "content": code_block(_pretty(observation)),
                "metadata": {
                    "title": "Simulated observation (not a real tool result)",
                    "log": "canned text; the call was not executed",
                },
            }
        )
    messages.append(
        {
            "role": "assistant",
            "content": code_block(reply, "text"),
            "metadata": {
                "title": "Raw model output",
                "status": "done",
                "duration": round(seconds, 2),
                "log": f"detector: {badge.label}",
            },
        }
    )
    return messages


# --------------------------------------------------------------------------- the run


@dataclass
class State:
    """Everything the UI shows, updated as the panes stream."""

    chats: list[list[dict[str, Any]]]
    badges: list[str]
    verdicts: dict[str, Any] = field(default_factory=dict)
    status: str = ""
    prompts: list[str] = field(default_factory=lambda: ["" for _ in PANES])  # the exact text each pane sent


def empty_state(query: str = "", status: str = "") -> State:
    """Blank panes."""
    return State([[] for _ in PANES], [badge_html(p, None) for p in PANES], {}, status)


def unavailable_view(query: str, reason: str) -> list[dict[str, Any]]:
    """A pane this engine cannot answer (a recording that does not cover the prompt)."""
    return [
        {"role": "user", "content": as_text(query)},
        {"role": "assistant", "content": f"*Not answered: {as_text(reason)}.*"},
    ]


def run_comparison(engine: ChatEngine, request: Request) -> Iterator[State]:
    """Ask the three panes together, yielding the whole state after every step.

    The engine answers all panes at once (`stream_panes`: one batched generation for a model), so pane 2's
    first words do not wait for pane 1's last; each pane is judged the moment it finishes."""
    started = time.perf_counter()
    prompts = [pane_messages(request, pane.key) for pane in PANES]
    state = State(
        [waiting_view(request.query, "generating…") for _ in PANES],
        [badge_html(p, None, "generating") for p in PANES],
        {},
        "",
        [engine.prompt_text(messages, request.variant) for messages in prompts],
    )
    variant = next((v.label for v in engine.variants if v.value == request.variant), request.variant)
    asked = []
    for index, (pane, messages) in enumerate(zip(PANES, prompts, strict=True)):
        reason = engine.unavailable(messages, request.variant)
        if reason:
            state.chats[index] = unavailable_view(request.query, reason)
            state.badges[index] = badge_html(pane, None, "not answered")
            state.verdicts[pane.key] = {"badge": None, "unavailable": reason}
        else:
            asked.append(index)
    finished: set[int] = set()
    state.status = f"{variant}: generating {len(asked)} panes at once…"
    yield state
    texts: list[tuple[str, bool]] = []
    if asked:
        for texts in engine.stream_panes([prompts[i] for i in asked], request.variant, request.max_new_tokens):
            for (text, done), index in zip(texts, asked, strict=True):
                if index in finished:
                    continue
                if done:
                    _finish(state, index, request, text, started)
                    finished.add(index)
                elif text:
                    state.chats[index] = streaming_view(request.query, text)
            writing = ", ".join(f"{'①②③'[i]} {'done' if i in finished else 'writing'}" for i in asked if len(asked) > 1)
            state.status = f"{variant}: generating {len(asked)} panes at once" + (f" ({writing})" if writing else "…")
            yield state
        for (text, _), index in zip(texts, asked, strict=True):  # an engine that stopped without saying so
            if index not in finished:
                _finish(state, index, request, text, started)
    state.status = (
        f"Done · {variant} · {request.style} prompt style · {len(asked)} of {len(PANES)} panes answered in "
        f"{time.perf_counter() - started:.1f} s · tool calls are shown, never executed"
    )
    yield state


def _finish(state: State, index: int, request: Request, reply: str, started: float) -> None:
    """Judge a finished pane and show its steps, badge and verdict."""
    pane = PANES[index]
    offered = request.pane_tools(pane.key)
    verdict = detect(reply, offered)
    badge = judge(verdict, offered, request.should_call(pane.key))
    state.chats[index] = final_view(
        request.query, reply, verdict, badge, request.observation, time.perf_counter() - started
    )
    state.badges[index] = badge_html(pane, badge)
    state.verdicts[pane.key] = {
        "badge": badge.kind,
        "label": badge.label,
        "as_expected": badge.as_expected,
        "expected_call": request.should_call(pane.key),
        "tools_offered": [t["name"] for t in offered],
        "prompt": state.prompts[index],
        "reply": reply,
        **_bounded(verdict.to_dict()),
    }
