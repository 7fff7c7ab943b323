"""What the `agent-flan` commands run: the packages composed, each one knowing only its own job.

The builder writes the data and its report; the card is rendered from them by `cards`. Joining the
two happens here, so `dataset_builder` never imports `cards` (docs/architecture.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_dataset_card(folder: Path, report: dict[str, Any]) -> None:
    """README.md of a dataset folder: YAML `configs:` (what `load_dataset` reads) and the measured prose."""
    from agent_flan.cards.dataset_card import render_dataset_card

    (folder / "README.md").write_text(render_dataset_card(report, folder), encoding="utf-8")


def build_dataset(out: Path, sources: dict[str, str | None], **options: Any) -> dict[str, Any]:
    """`agent-flan build`: the builder with the dataset card, so the folder loads with `load_dataset`.

    Same arguments as `agent_flan.dataset_builder.build.build` (without `finish`)."""
    from agent_flan.dataset_builder.build import build

    return build(Path(out), sources, finish=write_dataset_card, **options)


def write_model_card(
    folder: Path, results: Path | None = None, repo_id: str | None = None, dataset_id: str | None = None
) -> Path:
    """README.md of a training output folder: the kit's model card (never TRL's placeholder from `save_model`),
    from metrics.json, training_config.yaml and, when there are any, the Agent-H results.

    Meant to run right after `agent_flan.training.run.train` returns its output folder (so `agent-flan train`
    leaves the kit's card, which says "Not measured" for Agent-H until `agent-flan card --eval` re-renders it)."""
    from agent_flan.cards.model_card import render_model_card

    folder = Path(folder)
    target = folder / "README.md"
    target.write_text(
        render_model_card(folder, results=results, repo_id=repo_id, dataset_id=dataset_id), encoding="utf-8"
    )
    return target
