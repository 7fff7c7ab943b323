"""Per-turn loss masks: exactly the assistant turns with `loss: true` are trained, end-of-turn token included.

Why not TRL's `assistant_only_loss`: it trains every assistant turn, and Agent-FLAN switches the loss
off on some assistant turns (`loss: false`, the capability re-weighting of the paper). So each
conversation is rendered once with the chat template, the character span of every `{% generation %}`
block is taken from the renderer (the same jinja machinery `apply_chat_template` uses), block k is
matched to assistant message k, and the whole text is tokenised once with offsets. A token is
trained when it overlaps the span of an assistant message whose `loss` is true — the same overlap
rule transformers uses for `assistant_masks`, so a token straddling a boundary is trained rather
than a content character lost. The rows then carry `input_ids` + `labels`, which `SFTTrainer`
uses as they are.

Next to `labels`, every token gets a `capability_ids` entry: the capability of the turn it trains
(its index in `CAPABILITIES`, plus `NEGATIVE_OFFSET` when the row is a negative sample), or -100.
The trainer turns it into per-capability losses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.errors import BadInputError
from dataset_builder.schema import CAPABILITIES

IGNORE_INDEX = -100
NEGATIVE_OFFSET = 16  # capability id + 16 marks a token of a negative sample (format == "negative")
CAPABILITY_INDEX = {name: index for index, name in enumerate(CAPABILITIES)}


def capability_name(group: int) -> tuple[str, bool]:
    """Decode a `capability_ids` value into (capability, is_negative)."""
    negative = group >= NEGATIVE_OFFSET
    return CAPABILITIES[group - NEGATIVE_OFFSET if negative else group], negative


@dataclass
class EncodedConversation:
    """One tokenised conversation: model inputs plus what the mask printer needs."""

    input_ids: list[int]
    labels: list[int]
    capability_ids: list[int]
    text: str
    offsets: list[tuple[int, int]]
    spans: list[tuple[int, int, bool, str]] = field(default_factory=list)  # (start, end, trained, capability) per assistant turn

    @property
    def trained_tokens(self) -> int:
        """Tokens that produce a loss; position 0 never does (nothing predicts it)."""
        return sum(1 for label in self.labels[1:] if label != IGNORE_INDEX)


def _template_kwargs(tokenizer) -> dict[str, Any]:
    """What `apply_chat_template` exposes to templates (bos_token, eos_token, ...), so both render alike."""
    special = getattr(tokenizer, "special_tokens_map", {}) or {}
    return {key: value for key, value in special.items() if isinstance(value, str)}


def parse_tools(tools: Any) -> list[dict[str, Any]] | None:
    """The dataset stores tools as a JSON string; `[]`/empty means none (templates test `if tools`)."""
    if tools is None or tools == "":
        return None
    if isinstance(tools, str):
        try:
            tools = json.loads(tools)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"`tools` is not valid JSON: {exc}") from exc
    return list(tools) or None


def render_with_spans(tokenizer, template: str, messages: list[dict[str, Any]],
                      tools: list[dict[str, Any]] | None) -> tuple[str, list[tuple[int, int]]]:
    """Render the conversation and return the text plus the character span of each generation block."""
    from transformers.utils.chat_template_utils import render_jinja_template

    plain = [{"role": m["role"], "content": m["content"] if m["content"] is not None else ""} for m in messages]
    rendered, indices = render_jinja_template(
        conversations=[plain], tools=tools, chat_template=template, return_assistant_tokens_mask=True,
        add_generation_prompt=False, **_template_kwargs(tokenizer))
    return rendered[0], [tuple(span) for span in indices[0]]


def encode_conversation(tokenizer, template: str, messages: list[dict[str, Any]], tools: Any = None,
                        negative: bool = False, render_tools: bool = True, row_id: str = "") -> EncodedConversation:
    """Tokenise one row; trained tokens are those of `loss: true` assistant turns (content + end of turn)."""
    tool_list = parse_tools(tools) if render_tools else None
    text, blocks = render_with_spans(tokenizer, template, messages, tool_list)
    assistants = [m for m in messages if m["role"] == "assistant"]
    if len(blocks) != len(assistants):
        raise BadInputError(
            f"row {row_id!r}: the chat template produced {len(blocks)} generation block(s) for {len(assistants)} "
            "assistant message(s); a training template must wrap each assistant message in exactly one "
            "{% generation %} block")
    spans: list[tuple[int, int, bool, str]] = []
    for (start, end), message in zip(blocks, assistants, strict=True):
        capability = message.get("capability") or "none"
        if capability not in CAPABILITY_INDEX:
            raise BadInputError(f"row {row_id!r}: unknown capability {capability!r} (expected one of "
                                f"{', '.join(CAPABILITIES)})")
        spans.append((start, end, bool(message.get("loss")), capability))

    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    input_ids = list(encoding["input_ids"])
    offsets = [tuple(pair) for pair in encoding["offset_mapping"]]
    labels = [IGNORE_INDEX] * len(input_ids)
    groups = [IGNORE_INDEX] * len(input_ids)
    trained_spans = [span for span in spans if span[2] and span[1] > span[0]]
    cursor = 0
    for index, (token_start, token_end) in enumerate(offsets):
        # spans and offsets are both in order: one pass over the tokens
        while cursor < len(trained_spans) and token_start >= trained_spans[cursor][1]:
            cursor += 1
        if cursor == len(trained_spans):
            break
        span_start, _, _, capability = trained_spans[cursor]
        if token_end > span_start:
            labels[index] = input_ids[index]
            groups[index] = CAPABILITY_INDEX[capability] + (NEGATIVE_OFFSET if negative else 0)
    return EncodedConversation(input_ids, labels, groups, text, offsets, spans)


def trained_segments(encoded: EncodedConversation) -> list[dict[str, Any]]:
    """The rendered text cut into runs of trained / untrained tokens: `[{text, trained, capability?}, ...]`.

    Cuts fall on token starts, so the segments concatenate back to the exact rendered text.
    """
    segments: list[dict[str, Any]] = []
    text = encoded.text
    boundaries: list[tuple[int, bool, int]] = []
    previous: tuple[bool, int] | None = None
    for index, (start, _end) in enumerate(encoded.offsets):
        trained = encoded.labels[index] != IGNORE_INDEX
        state = (trained, encoded.capability_ids[index] if trained else IGNORE_INDEX)
        if state != previous:
            boundaries.append((start if boundaries else 0, *state))
            previous = state
    for number, (start, trained, group) in enumerate(boundaries):
        end = boundaries[number + 1][0] if number + 1 < len(boundaries) else len(text)
        if end <= start:
            continue
        segment: dict[str, Any] = {"text": text[start:end], "trained": trained}
        if trained:
            capability, negative = capability_name(group)
            segment["capability"] = capability
            if negative:
                segment["negative"] = True
        if segments and segments[-1]["trained"] == trained and segments[-1].get("capability") == segment.get("capability") \
                and segments[-1].get("negative") == segment.get("negative"):
            segments[-1]["text"] += segment["text"]
        else:
            segments.append(segment)
    return segments


def format_marked(segments: list[dict[str, Any]], color: bool = False) -> str:
    """Text with trained spans marked: ⟦capability│ ... ⟧ (or green on a terminal)."""
    parts = []
    for segment in segments:
        if not segment["trained"]:
            parts.append(segment["text"])
        elif color:
            parts.append(f"\x1b[1;32m{segment['text']}\x1b[0m\x1b[2m[{segment['capability']}]\x1b[0m")
        else:
            tag = segment["capability"] + ("/negative" if segment.get("negative") else "")
            parts.append(f"⟦{tag}│{segment['text']}⟧")
    return "".join(parts)
