"""One agent step -> one assistant message whose spans carry the capabilities (Agent-FLAN §4.2).

A step reads: the thought (reasoning), a sentence naming the tool (retrieval), the arguments
(understanding). All three stay in one message, so a chat template never ends a turn in the middle
of a step; which parts are trained is decided per span, which is how the capability weighting of
`toolbench_tflan` (release r10r5u7, paper 1 : 0.25 : 0.75) survives in the published rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from agent_flan.core.toolcalls.language import SERIALISERS, Arguments, elicit, render_arguments
from agent_flan.dataset_builder.transforms.rows import step_message

Trained = Callable[[str], bool]  # capability -> is this part trained


def always(_: str) -> bool:
    return True


def never(_: str) -> bool:
    return False


def weighted(rng: random.Random, weights: dict[str, float]) -> Trained:
    """Each part keeps its loss with its capability's probability (one draw per non-empty part)."""
    return lambda capability: rng.random() < weights.get(capability, 1.0)


def _separator(rng: random.Random, thought: str) -> str:
    return "\n\n" if "\n" in thought else rng.choice((" ", "\n"))


# Separators open the part that follows them: tokenizers attach a space to the next word (" I",
# "▁I"), so a span boundary placed before the space falls between tokens, and a trained thought
# never drags the first token of an untrained tool sentence into the loss.


def call_step(
    rng: random.Random, thought: str, name: str, arguments: Arguments, serialiser: str | None, trained: Trained
) -> dict[str, Any]:
    """Thought, elicitation and arguments as one message; an empty thought leaves no reasoning span.

    `serialiser` is the trajectory's choice; a call it cannot carry gets another fenced one."""
    if serialiser is not None and not SERIALISERS[serialiser].accepts(name, arguments):
        serialiser = None
    parts: list[tuple[str, str]] = []
    if thought:
        parts.append((thought, "reasoning"))
    lead = _separator(rng, thought) if thought else ""
    parts.append((lead + elicit(rng, name), "retrieval"))
    parts.append((" " + render_arguments(rng, name, arguments, serialiser), "understanding"))
    return step_message([(text, capability, trained(capability)) for text, capability in parts])


def answer_step(rng: random.Random, thought: str, answer: str, trained: Trained) -> dict[str, Any]:
    """A closing message: the thought that leads to it (if any), then the answer."""
    parts: list[tuple[str, str]] = []
    if thought:
        parts.append((thought, "reasoning"))
    parts.append(((_separator(rng, thought) if thought else "") + answer, "answer"))
    return step_message([(text, capability, trained(capability)) for text, capability in parts])


def thought_step(thought: str, trained: Trained) -> dict[str, Any]:
    """A step that only thinks (alfworld's THOUGHT without ACTION)."""
    return step_message([(thought, "reasoning", trained("reasoning"))])
