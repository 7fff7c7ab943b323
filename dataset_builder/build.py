"""`agent-flan build`: the named stages, in order.

    read       sources/*          one streaming reader per upstream layout -> typed records (or Rejected)
    parse      transforms/react_parsing, the readers     steps out of each record
    transform  transforms/*       records -> rows in each config's format (pure, process-pool safe)
    select     agent_h_split, negatives_stage, stages.choose_instruct   Agent-H held out first; quotas
    write      writer.Outputs     Parquet shards per config/split, the shuffled `default` mixture
    report     report.py          build_report.json (read = written + rejected per source)

`stages.py` holds one function per source that runs read -> transform and routes each row;
`ledger.py` counts every record. The folder is staged and appears only when complete.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_flan.core.errors import BadInputError
from agent_flan.core.schema import CONFIGS, TRAINING_CONFIGS
from agent_flan.dataset_builder.agent_h_split import AgentHSplit
from agent_flan.dataset_builder.ledger import Ledger
from agent_flan.dataset_builder.negatives_stage import NegativesStage
from agent_flan.dataset_builder.output_folder import StagedFolder
from agent_flan.dataset_builder.recipe import BuildRecipe
from agent_flan.dataset_builder.report import build_report
from agent_flan.dataset_builder.responders import Responder, ResponderSpec
from agent_flan.dataset_builder.sources.resolve import SourceInput, resolve_source
from agent_flan.dataset_builder.stages import (
    BuildRun,
    agentinstruct_stage,
    general_stage,
    glaive_stage,
    release_stage,
    toolbench_stage,
)
from agent_flan.dataset_builder.writer import Outputs

SOURCE_NAMES = ("agentinstruct", "toolbench", "glaive", "general")
# the order sources stream in (glaive's Agent-H hold-out runs before all of them)
STAGES = (
    ("release", release_stage),
    ("agentinstruct", agentinstruct_stage),
    ("toolbench", toolbench_stage),
    ("glaive", glaive_stage),
    ("general", general_stage),
)


def _start(
    recipe: BuildRecipe,
    staging: Path,
    on_error: str,
    progress: bool,
    responder: ResponderSpec | None,
    num_proc: int,
    release_mode: bool,
) -> BuildRun:
    ledger = Ledger(on_error, progress, staging / "rejected.jsonl" if on_error == "skip" else None)
    outputs = Outputs(staging, recipe.seed, recipe.rows_per_shard, recipe.tokenizer)
    answering = Responder(responder) if responder is not None and responder.given else None
    return BuildRun(
        recipe,
        ledger,
        outputs,
        AgentHSplit(recipe.seed, recipe.agent_h_conversations),
        NegativesStage(recipe, ledger, outputs, answering),
        num_proc=num_proc,
        release_mode=release_mode,
    )


def build(
    out: Path,
    sources: dict[str, str | None],
    release: str | None = None,
    recipe: BuildRecipe | None = None,
    on_error: str = "fail",
    only_given: bool = False,
    progress: bool = True,
    responder: ResponderSpec | None = None,
    num_proc: int = 1,
    overwrite: bool = False,
    finish: Callable[[Path, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run a build and return its report; the folder appears at `out` only when complete.

    `finish(staging, report)` runs on the complete staged folder just before it is moved into place:
    `agent_flan.pipeline.build_dataset` uses it to write the dataset card, which this package does
    not render itself."""
    recipe = recipe or BuildRecipe()
    given = {name: spec for name, spec in sources.items() if spec is not None}
    if only_given and not given and release is None:
        raise BadInputError(
            "--only-given needs at least one source (--agentinstruct, --toolbench, --glaive, --general or --release)"
        )
    inputs: dict[str, SourceInput] = {}
    if release is not None:
        # The release's configs come from the release alone: no embedded sample is mixed in. glaive
        # (when named) adds Agent-H, general chat (when named) adds chat to the mixture.
        clash = [f"--{name}" for name in ("agentinstruct", "toolbench") if name in given]
        if clash:
            raise BadInputError(
                f"--release imports the official configs as they are; it cannot be combined with "
                f"{' or '.join(clash)} (build those in a separate folder)"
            )
        for name in ("glaive", "general"):
            if name in given:
                inputs[name] = resolve_source(name, given[name])
        inputs["release"] = resolve_source("release", release)
    else:
        for name in SOURCE_NAMES:
            if name in given or not only_given:
                inputs[name] = resolve_source(name, given.get(name))
    with StagedFolder(out, sources=inputs.values(), overwrite=overwrite) as staged:
        run = _start(recipe, staged.staging, on_error, progress, responder, num_proc, release is not None)
        # select, first: Agent-H is held out before anything is read, so every training row can be checked
        if "glaive" in inputs:
            run.agent_h.hold_out(inputs["glaive"].files)
        # read -> parse -> transform -> route, one source after the other
        for name, stage in STAGES:
            if name in inputs:
                stage(run, inputs[name])
        # select: the negatives, once every candidate is known
        notes, warnings = run.negatives.finish()
        run.notes += notes
        run.warnings += warnings
        run.ledger.close(inputs)
        expected = _expected_configs(inputs, only_given or release is not None)
        empty = [name for name in expected if name != "default" and not run.outputs.has(name)]
        if empty:
            raise BadInputError(
                f"these configs would be empty with the given inputs: {', '.join(empty)} "
                "(check the rejected counts, or use --only-given to leave them out)"
            )
        # write, then report
        files = run.outputs.finish(recipe.validation_fraction)
        report = build_report(run, inputs, files, on_error)
        (staged.staging / "build_report.json").write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staged.staging / "recipe.yaml").write_text(recipe.to_yaml(), encoding="utf-8")
        if finish is not None:
            finish(staged.staging, report)  # e.g. the dataset card, written before the folder appears
        staged.commit()
    return report


def _expected_configs(inputs: dict[str, SourceInput], only_given: bool) -> list[str]:
    if not only_given:
        return list(CONFIGS)
    feeds = {
        "agentinstruct": ["agent_instruct_react", "agent_instruct_tflan"],
        "toolbench": ["toolbench_react", "toolbench_tflan", "toolbench_tflan_cot", "toolbench_instruct"],
        "glaive": ["agent_h"],
        "release": [c for c in TRAINING_CONFIGS],
    }
    return [config for name in inputs for config in feeds.get(name, [])]
