"""The chat templates the kit trains with, by name, and how a recipe's choice becomes template text.

Every shipped template wraps each assistant message, end-of-turn token included, in exactly one
`{% generation %}` block: `agent_flan.training.masks` relies on that to know which tokens belong to which turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from agent_flan.core.errors import BadInputError

TEMPLATE_DIR = Path(__file__).resolve().parent
GENERATION_RE = re.compile(r"\{%-?\s*generation\s*-?%\}")


@dataclass(frozen=True)
class ChatTemplate:
    """A template's text plus the end-of-turn string the model must learn to emit (None when unknown)."""

    name: str
    text: str
    end_of_turn: str | None
    path: str | None = None


# name -> (file, end-of-turn string, what it is for)
TEMPLATES: dict[str, tuple[str, str, str]] = {
    "agent_flan": (
        "agent_flan.jinja",
        "\u0d3f",
        "the paper's InternLM-style <|Human|>/<|Assistant|> format with U+0D46/U+0D3F (Llama-2 reproduction)",
    ),
    "chatml": ("chatml.jinja", "<|im_end|>", "ChatML (SmolLM2-Instruct and other ChatML models)"),
    "qwen2_5": ("qwen2_5.jinja", "<|im_end|>", "Qwen2.5-Instruct's own format"),
    "llama3_1": ("llama3_1.jinja", "<|eot_id|>", "Llama-3.1-Instruct's own format"),
}
MODEL_TEMPLATE = (
    "model"  # use the tokenizer's own template (it must carry generation markers, or TRL must know a patch)
)


def has_generation_markers(text: str | None) -> bool:
    return bool(text) and bool(GENERATION_RE.search(text))


def load_template(name: str) -> ChatTemplate:
    """A shipped template by name (`agent_flan`, `chatml`, `qwen2_5`, `llama3_1`)."""
    file, eot, _ = TEMPLATES[name]
    path = TEMPLATE_DIR / file
    return ChatTemplate(name, path.read_text(encoding="utf-8"), eot, str(path))


def resolve_template(choice: str | None, tokenizer=None) -> ChatTemplate:
    """Turn a recipe's `chat_template_path` (a shipped name, a .jinja file, or `model`/None) into a template.

    `model` means the tokenizer's own template: it is used when it already has `{% generation %}` markers,
    or replaced by TRL's bundled training variant when TRL recognises it (Qwen2.5, Llama-3 original, ...).
    """
    if choice and choice in TEMPLATES:
        return load_template(choice)
    if choice and choice != MODEL_TEMPLATE:
        path = Path(choice)
        if not path.is_file():
            raise BadInputError(
                f"chat template {choice!r}: not a shipped template ({', '.join(TEMPLATES)}) and not a .jinja file"
            )
        text = path.read_text(encoding="utf-8")
        if not has_generation_markers(text):
            raise BadInputError(
                f"{path}: the template has no {{% generation %}} block, so the trained tokens "
                "cannot be found; wrap each assistant message (and its end-of-turn token) in one"
            )
        return ChatTemplate(path.stem, text, None, str(path))
    own = getattr(tokenizer, "chat_template", None) if tokenizer is not None else None
    if isinstance(own, str) and has_generation_markers(own):
        return ChatTemplate(MODEL_TEMPLATE, own, None)
    if isinstance(own, str):
        try:
            from trl.chat_template_utils import get_training_chat_template

            patched = get_training_chat_template(tokenizer)
        except Exception:  # noqa: BLE001 - TRL raises ValueError for unknown templates; any failure means "no patch"
            patched = None
        if patched and has_generation_markers(patched):
            return ChatTemplate(f"{MODEL_TEMPLATE}+trl", patched, getattr(tokenizer, "eos_token", None))
    raise BadInputError(
        "the model's own chat template has no {% generation %} markers and TRL has no training "
        f"variant for it; set chat_template_path to one of {', '.join(TEMPLATES)} or a .jinja file"
    )
