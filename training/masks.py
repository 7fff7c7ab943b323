"""Per-span loss masks: exactly the trained spans of the assistant messages are trained, end of turn included.

Why not TRL's `assistant_only_loss`: it trains every assistant message whole, and Agent-FLAN switches
the loss off on parts of a step (the capability re-weighting of the paper: a step's thought, the
sentence naming the tool and the arguments are spans of one message, each trained or not). So each
conversation is rendered once with the chat template, the character span of every `{% generation %}`
block is taken from the renderer (the same jinja machinery `apply_chat_template` uses), block k is
matched to assistant message k, the message's content is found inside its block (templates may trim
it), and each of the message's `spans` is mapped onto the rendered text. Text of the block around the
content (the end-of-turn token) goes with the nearest span: the last span decides whether the model
learns to stop there. The whole text is tokenised once with offsets; a token is trained when it
overlaps a trained span — the overlap rule transformers uses for `assistant_masks`, so a token
straddling a boundary is trained rather than a content character lost. Messages without `spans`
(chat data from elsewhere) are one span with the message's `loss`. The rows then carry `input_ids` +
`labels`, which `SFTTrainer` uses as they are.

Next to `labels`, every token gets a `capability_ids` entry: the capability of the turn it trains
(its index in `CAPABILITIES`, plus `NEGATIVE_OFFSET` when the row is a negative sample), or -100.
The trainer turns it into per-capability losses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agent_flan.core.errors import BadInputError
from agent_flan.core.schema import CAPABILITIES

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
    spans: list[tuple[int, int, bool, str]] = field(
        default_factory=list
    )  # (start, end, trained, capability) per assistant turn

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


def render_with_spans(
    tokenizer, template: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
) -> tuple[str, list[tuple[int, int]]]:
    """Render the conversation and return the text plus the character span of each generation block."""
    from transformers.utils.chat_template_utils import render_jinja_template

    plain = [{"role": m["role"], "content": m["content"] if m["content"] is not None else ""} for m in messages]
    rendered, indices = render_jinja_template(
        conversations=[plain],
        tools=tools,
        chat_template=template,
        return_assistant_tokens_mask=True,
        add_generation_prompt=False,
        **_template_kwargs(tokenizer),
    )
    return rendered[0], [tuple(span) for span in indices[0]]


def message_spans(message: dict[str, Any]) -> list[tuple[int, int, bool, str]]:
    """(start, end, trained, capability) over the message's content: its spans, or one for the whole message."""
    content = message.get("content") or ""
    spans = message.get("spans") or []
    if not spans:
        return [(0, len(content), bool(message.get("loss")), message.get("capability") or "none")]
    return [(int(s["start"]), int(s["end"]), bool(s["loss"]), s.get("capability") or "none") for s in spans]


def _content_in_block(text: str, start: int, end: int, content: str, row_id: str) -> tuple[int, int, int]:
    """(where content[0] would sit, where the visible content starts, where it ends) inside a block.

    Templates write the content as is or trimmed (Llama 3.1); anything else cannot be mapped."""
    at = text.find(content, start, end)
    if at >= 0:
        return at, at, at + len(content)
    stripped = content.strip()
    at = text.find(stripped, start, end) if stripped else start
    if at < 0:
        raise BadInputError(
            f"row {row_id!r}: an assistant message's content is not inside its generation block as "
            "written or trimmed; the chat template changes it, so its spans cannot be mapped"
        )
    lead = len(content) - len(content.lstrip())
    return at - lead, at, at + len(stripped)


def encode_conversation(
    tokenizer,
    template: str,
    messages: list[dict[str, Any]],
    tools: Any = None,
    negative: bool = False,
    render_tools: bool = True,
    row_id: str = "",
) -> EncodedConversation:
    """Tokenise one row; trained tokens are those of trained spans (content + end of turn)."""
    tool_list = parse_tools(tools) if render_tools else None
    text, blocks = render_with_spans(tokenizer, template, messages, tool_list)
    assistants = [m for m in messages if m["role"] == "assistant"]
    if len(blocks) != len(assistants):
        raise BadInputError(
            f"row {row_id!r}: the chat template produced {len(blocks)} generation block(s) for {len(assistants)} "
            "assistant message(s); a training template must wrap each assistant message in exactly one "
            "{% generation %} block"
        )
    ranges: list[tuple[int, int, bool, str]] = []  # character ranges of the rendered text, in order
    turn_spans: list[tuple[int, int, bool, str]] = []
    for (start, end), message in zip(blocks, assistants, strict=True):
        parts = message_spans(message)
        for _, _, _, capability in parts:
            if capability not in CAPABILITY_INDEX or capability == "mixed":
                raise BadInputError(
                    f"row {row_id!r}: unknown span capability {capability!r} (expected one of "
                    f"{', '.join(c for c in CAPABILITIES if c != 'mixed')})"
                )
        base, visible_start, visible_end = _content_in_block(text, start, end, message.get("content") or "", row_id)
        mapped = []
        for span_start, span_end, trained, capability in parts:
            lo = min(max(base + span_start, visible_start), visible_end)
            hi = min(max(base + span_end, visible_start), visible_end)
            if hi > lo:
                mapped.append([lo, hi, trained, capability])
        if not mapped:  # empty content: the block is the end of turn alone
            first = parts[0] if parts else (0, 0, bool(message.get("loss")), message.get("capability") or "none")
            mapped = [[start, end, first[2], first[3]]]
        mapped[0][0] = start  # the block's frame before the content goes with the first span ...
        mapped[-1][1] = end  # ... and the end of turn with the last
        ranges += [tuple(m) for m in mapped]
        turn_spans.append((start, end, any(m[2] for m in mapped), message.get("capability") or "none"))

    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    input_ids = list(encoding["input_ids"])
    offsets = [tuple(pair) for pair in encoding["offset_mapping"]]
    labels = [IGNORE_INDEX] * len(input_ids)
    groups = [IGNORE_INDEX] * len(input_ids)
    trained_ranges = [r for r in ranges if r[2] and r[1] > r[0]]
    cursor = 0
    for index, (token_start, token_end) in enumerate(offsets):
        # ranges and offsets are both in order: one pass over the tokens
        while cursor < len(trained_ranges) and token_start >= trained_ranges[cursor][1]:
            cursor += 1
        if cursor == len(trained_ranges):
            break
        range_start, _, _, capability = trained_ranges[cursor]
        if token_end > range_start:
            labels[index] = input_ids[index]
            groups[index] = CAPABILITY_INDEX[capability] + (NEGATIVE_OFFSET if negative else 0)
    return EncodedConversation(input_ids, labels, groups, text, offsets, turn_spans)


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
        if (
            segments
            and segments[-1]["trained"] == trained
            and segments[-1].get("capability") == segment.get("capability")
            and segments[-1].get("negative") == segment.get("negative")
        ):
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
