"""Report stage: `build_report.json`, everything a reader (or the dataset card) needs to know about a build."""

from __future__ import annotations

import platform
from typing import Any

from agent_flan.core.schema import CONFIGS
from agent_flan.dataset_builder.sources.resolve import SourceInput
from agent_flan.dataset_builder.stages import BuildRun


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    import datasets
    import pyarrow

    try:
        kit = version("agent-flan-kit")
    except PackageNotFoundError:
        kit = "source"
    return {
        "agent-flan-kit": kit,
        "python": platform.python_version(),
        "datasets": datasets.__version__,
        "pyarrow": pyarrow.__version__,
    }


def build_report(
    run: BuildRun, inputs: dict[str, SourceInput], files: dict[str, list[str]], on_error: str
) -> dict[str, Any]:
    configs = run.outputs.stats(files)
    negatives = run.negatives
    return {
        "seed": run.recipe.seed,
        "on_error": on_error,
        "inputs": {name: source.describe() for name, source in inputs.items()},
        "versions": versions(),
        "recipe": run.recipe.to_dict(),
        "sources": run.ledger.to_json(),
        "steps": {name: dict(sorted(counts.items())) for name, counts in run.steps.items() if counts},
        "configs": {name: configs[name] for name in CONFIGS if name in configs},
        "agent_h": run.agent_h.report(negatives.training_glaive_ids),
        "negatives": negatives.report(),
        "negatives_vetting": dict(sorted(negatives.vetting.items())),
        "negatives_responder": negatives.responder.describe()
        if negatives.responder is not None
        else {"runner": "offline: source replies"},
        "general_rows_in_default": negatives.general_rows,
        "notes": run.notes,
        "warnings": run.warnings,
    }
