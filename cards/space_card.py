"""The Space card: `README.md` front matter (and a default body) for the Gradio Space in `space/`.

The front matter is what the Hub reads to build the Space, so three values are not optional here:
`sdk_version` (the Space installs exactly this gradio; we take the installed one so the Space runs
what the tests ran), `python_version: "3.12"` (Spaces default to 3.10, and transformers 5 needs 3.11+),
and `app_file`. `render_space_card` keeps an existing body when given one, so the Space engineer's
prose survives a re-render of the metadata.
"""

from __future__ import annotations

import re
from typing import Any

from agent_flan.cards.rendering import render

PYTHON_VERSION = "3.12"
APP_FILE = "app.py"
TITLE = "Agent-FLAN Chat"
SHORT_DESCRIPTION = "Does a model call tools it must not? 3 prompts side by side"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def installed_gradio() -> str | None:
    """The gradio version installed here (metadata only: importing gradio takes seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gradio")
    except PackageNotFoundError:
        return None


def _hub_ids(*values: str | None) -> list[str] | None:
    ids = [v for v in values if v and _HUB_ID.match(v)]
    return list(dict.fromkeys(ids)) or None


def space_card_data(
    model_id: str | None = None,
    adapter_id: str | None = None,
    dataset_id: str | None = None,
    *,
    title: str = TITLE,
    license: str = "apache-2.0",
    sdk_version: str | None = None,
    hardware: str | None = None,
    short_description: str = SHORT_DESCRIPTION,
):
    """SpaceCardData for the kit's Gradio app; raises ValueError when no gradio version can be named."""
    from huggingface_hub import SpaceCardData

    version = sdk_version or installed_gradio()
    if not version:
        raise ValueError(
            "gradio is not installed here, so its version cannot be read: pass sdk_version "
            "(the gradio version the Space should install)"
        )
    extra: dict[str, Any] = {
        "emoji": "🤖",
        "colorFrom": "indigo",
        "colorTo": "green",
        "pinned": False,
        "short_description": short_description[:60],
    }
    if hardware:
        extra["suggested_hardware"] = hardware
    return SpaceCardData(
        title=title,
        sdk="gradio",
        sdk_version=version,
        python_version=PYTHON_VERSION,
        app_file=APP_FILE,
        license=license,
        models=_hub_ids(model_id, adapter_id),
        datasets=_hub_ids(dataset_id),
        tags=["agent-flan", "agent", "function-calling", "tool-use", "hallucination"],
        **extra,
    )


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(YAML block or None, body) of an existing README, so a re-render can keep the body."""
    match = re.match(r"^---\r?\n(.*?)\r?\n---\r?\n?", text, flags=re.DOTALL)
    if not match:
        return None, text
    return match.group(1), text[match.end() :]


def render_space_card(
    model_id: str | None = None,
    adapter_id: str | None = None,
    dataset_id: str | None = None,
    *,
    title: str = TITLE,
    license: str = "apache-2.0",
    sdk_version: str | None = None,
    hardware: str | None = None,
    body: str | None = None,
) -> str:
    """`space/README.md`: front matter from the arguments, then `body` (or the kit's default text).

    `model_id` is the base model (or a merged model) the app loads, `adapter_id` an optional LoRA adapter on
    top of it, `dataset_id` the dataset repo; Hub ids only (`org/name`) go into the metadata.
    """
    from huggingface_hub import SpaceCard

    data = space_card_data(
        model_id, adapter_id, dataset_id, title=title, license=license, sdk_version=sdk_version, hardware=hardware
    )
    if body is None:
        body = render(
            "space_card.md.j2",
            title=title,
            model_id=model_id,
            adapter_id=adapter_id,
            dataset_id=dataset_id,
            python_version=PYTHON_VERSION,
            sdk_version=data.sdk_version,
            app_file=APP_FILE,
        )
    return str(SpaceCard(f"---\n{data.to_yaml()}\n---\n{body.lstrip(chr(10))}"))
