"""Reasoning blocks: what a reasoning model thinks is not what it answers.

Why: Qwen3, DeepSeek-R1, QwQ and gpt-oss write a reasoning trace before the answer ("I should call
get_weather with city=Paris ..."). A judge that reads the trace counts a call the model only thought
about, or, when the trace ends without an answer, a call that was never made. The detector judges the
final answer only, and reports separately whether the reasoning mentions a call.

Recognised: `<think>…</think>` (also `<thinking>`, `<reasoning>`, `<reflection>`), a reply that starts
inside the block because the chat template opened it (`…</think> answer`), a block cut off by the token
limit (`<think> …` with no end: all reasoning, no answer), `<|begin_of_thought|>…<|end_of_thought|>`,
and gpt-oss's analysis channel (`<|channel|>analysis<|message|>…<|end|>`).
"""

from __future__ import annotations

import re

_TAGS = ("think", "thinking", "reasoning", "reflection")
_OPEN = re.compile(r"<(?P<tag>" + "|".join(_TAGS) + r")>", re.I)
_PAIRED = re.compile(r"<(?P<tag>" + "|".join(_TAGS) + r")>(?P<body>.*?)</(?P=tag)>", re.I | re.S)
_THOUGHT = re.compile(r"<\|begin_of_thought\|>(?P<body>.*?)(?:<\|end_of_thought\|>|\Z)", re.S)
_ANALYSIS = re.compile(
    r"(?:<\|start\|>assistant)?<\|channel\|>analysis<\|message\|>(?P<body>.*?)(?:<\|end\|>|\Z)", re.S
)


def split_reasoning(reply: str) -> tuple[str, str | None]:
    """(final answer, reasoning text or None when the reply has no reasoning block)."""
    reasoning: list[str] = []

    def keep(match: re.Match) -> str:
        reasoning.append(match.group("body"))
        return "\n"

    text = _PAIRED.sub(keep, reply)
    text = _THOUGHT.sub(keep, text)
    text = _ANALYSIS.sub(keep, text)
    # The template opened the block, the reply holds only its end: everything before the close is reasoning.
    close = re.search(r"</(?:" + "|".join(_TAGS) + r")>", text, re.I)
    if close and not _OPEN.search(text[: close.start()]):
        reasoning.append(text[: close.start()])
        text = text[close.end() :]
    # A block that never ends (cut off by the token limit): the rest is reasoning, there is no answer after it.
    opened = _OPEN.search(text)
    if opened:
        reasoning.append(text[opened.end() :])
        text = text[: opened.start()]
    if not reasoning:
        return reply, None
    return text.strip(), "\n".join(part.strip() for part in reasoning)
