"""The per-source stages of a build: read (a reader yields records) -> parse and transform (pure
functions of one record, runnable in a process pool) -> the checks and routing that decide where
each resulting row goes (a component config, the mixture, a negative candidate, Agent-H, or a
counted rejection). `build.py` calls them in order; each stage is one function per source."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from agent_flan.core.errors import Rejected
from agent_flan.core.prompts import PLAIN_SYSTEMS
from agent_flan.dataset_builder.agent_h_split import AgentHSplit
from agent_flan.dataset_builder.ledger import Ledger
from agent_flan.dataset_builder.negatives_stage import NegativesStage
from agent_flan.dataset_builder.recipe import BuildRecipe
from agent_flan.dataset_builder.records import Turn
from agent_flan.dataset_builder.sources.agentinstruct import read_agentinstruct
from agent_flan.dataset_builder.sources.general import read_general
from agent_flan.dataset_builder.sources.glaive import read_glaive
from agent_flan.dataset_builder.sources.release import read_release
from agent_flan.dataset_builder.sources.resolve import SourceInput
from agent_flan.dataset_builder.sources.toolbench import read_toolbench
from agent_flan.dataset_builder.transforms import agentinstruct as ai_transforms
from agent_flan.dataset_builder.transforms import toolbench as tb_transforms
from agent_flan.dataset_builder.transforms.general import chat_row
from agent_flan.dataset_builder.transforms.glaive import agent_h_rows, negative_from_chat, negative_from_glaive
from agent_flan.dataset_builder.transforms.negatives import Candidate, CandidatePool, query_key
from agent_flan.dataset_builder.transforms.release import release_row
from agent_flan.dataset_builder.transforms.rows import message, rng_for, row, unit_hash
from agent_flan.dataset_builder.writer import Outputs

EMPTY_THOUGHT_WARNING = 0.5  # warn when more than half of the ToolBench steps have no thought
NEAR_DUPLICATE = "near_duplicate_of_agent_h"


@dataclass
class BuildRun:
    """What the stages share: the recipe, the books, the outputs, the Agent-H split and the selections."""

    recipe: BuildRecipe
    ledger: Ledger
    outputs: Outputs
    agent_h: AgentHSplit
    negatives: NegativesStage
    num_proc: int = 1
    release_mode: bool = False  # --release: glaive feeds Agent-H only, general feeds chat only
    instruct: CandidatePool = field(init=False)
    steps: dict[str, Counter] = field(default_factory=lambda: {"agentinstruct": Counter(), "toolbench": Counter()})
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.instruct = CandidatePool(self.recipe.instruct_count, self.recipe.seed, lambda *_: None)

    def transformed(self, worker, records: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """(record, worker(record)) in read order; with --num-proc > 1 the workers run in processes.

        `Pool.map` keeps the order, so the output is byte-identical whatever the number of processes.
        """
        if self.num_proc <= 1:
            for record in records:
                yield record, worker(record)
            return
        import multiprocessing

        # Records are read (and counted, and rejected) here in the main process, a batch at a time;
        # only the pure transforms run in the pool, so counts and rejected.jsonl stay in read order.
        size = 256 * self.num_proc
        with multiprocessing.get_context("spawn").Pool(self.num_proc) as pool:
            batch: list[Any] = []
            for record in records:
                batch.append(record)
                if len(batch) >= size:
                    yield from zip(batch, pool.map(worker, batch, chunksize=32))
                    batch = []
            if batch:
                yield from zip(batch, pool.map(worker, batch, chunksize=32))


# -- transforms (top-level functions, so a process pool can run them) ------------------------------


def _agentinstruct_rows(record, seed: int, inline_share: float):
    """Both renderings of one AgentInstruct trajectory."""
    aligned, counts = ai_transforms.tflan_row(record, seed, inline_share)
    return ai_transforms.react_row(record), aligned, counts


def _toolbench_rows(trajectory, recipe: BuildRecipe) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """(config, row, up to 2 instruct samples) for one ToolBench trajectory."""
    config = tb_transforms.assign_config(trajectory.id, recipe.seed, recipe.toolbench_split)
    if config == "toolbench_react":
        converted = tb_transforms.react_row(trajectory, recipe.seed)
    else:
        converted = tb_transforms.tflan_row(
            trajectory,
            recipe.seed,
            recipe.loss_weights,
            cot=config == "toolbench_tflan_cot",
            inline_share=recipe.inline_call_share,
        )
    return config, converted, tb_transforms.instruct_rows(trajectory, recipe.seed, 2)


# -- one stage per source ----------------------------------------------------------------------------


def release_stage(run: BuildRun, source: SourceInput) -> None:
    for record in run.ledger.records("release", read_release(source.files)):
        config, converted = release_row(record)
        if not any(m["loss"] for m in converted["messages"]):
            run.ledger.dropped(
                "release",
                record.where,
                "no trained assistant turn (every assistant turn has loss false)",
                "no_trained_turn",
            )
            continue
        if run.agent_h.near_duplicate(config, converted):
            run.ledger.dropped("release", record.where, "a user turn nearly repeats an Agent-H query", NEAR_DUPLICATE)
            continue
        run.outputs.emit(config, converted)
        run.ledger.written("release")


def agentinstruct_stage(run: BuildRun, source: SourceInput) -> None:
    work = partial(_agentinstruct_rows, seed=run.recipe.seed, inline_share=run.recipe.inline_call_share)
    records = run.ledger.records("agentinstruct", read_agentinstruct(source.files))
    for record, (react, aligned, counts) in run.transformed(work, records):
        if isinstance(aligned, Rejected):
            # Like the paper (App. B), a trajectory not in Thought-Action form is left out of both configs.
            run.ledger.reject("agentinstruct", aligned)
            continue
        if run.agent_h.near_duplicate("agent_instruct_react", react, aligned):
            run.ledger.dropped(
                "agentinstruct", record.where, "a user turn nearly repeats an Agent-H query", NEAR_DUPLICATE
            )
            continue
        run.steps["agentinstruct"].update(counts)
        run.outputs.emit("agent_instruct_react", react)
        run.outputs.emit("agent_instruct_tflan", aligned)
        run.ledger.written("agentinstruct")


def toolbench_stage(run: BuildRun, source: SourceInput) -> None:
    recipe = run.recipe
    work = partial(_toolbench_rows, recipe=recipe)
    records = run.ledger.records("toolbench", read_toolbench(source.files))
    for trajectory, (config, converted, instruct) in run.transformed(work, records):
        run.negatives.remember_tools(trajectory.tools)
        if run.agent_h.near_duplicate(config, converted):
            run.ledger.dropped(
                "toolbench", trajectory.where, "the query nearly repeats an Agent-H query", NEAR_DUPLICATE
            )
            continue
        run.steps["toolbench"].update(tb_transforms.step_counts(trajectory))
        run.outputs.emit(config, converted)
        if run.negatives.responder is not None:
            run.negatives.add(_responder_candidate(trajectory, recipe.seed))
        for sample in instruct:
            run.instruct.add(Candidate("toolbench", trajectory.where, sample["id"], "", sample, "", counted=True))
        run.ledger.written("toolbench")
    choose_instruct(run)
    steps = run.steps["toolbench"]
    if steps["steps"] and steps["empty_thoughts"] / steps["steps"] > EMPTY_THOUGHT_WARNING:
        run.warnings.append(
            f"{steps['empty_thoughts']} of {steps['steps']} ToolBench steps "
            f"({100 * steps['empty_thoughts'] / steps['steps']:.0f}%) have no thought, so most steps train no "
            "reasoning. The July-2023 DFSDT answers (and toolllama files converted from them) drop the thought "
            "when a message also calls a function; build from the ToolBench release of 2023-08-30 or later "
            '("intact reasoning thoughts") for the reasoning capability.'
        )


def _responder_candidate(trajectory, seed: int) -> Candidate:
    """The paper's negatives: a ToolBench query, to be answered with no tool information (App. C)."""
    rng = rng_for(seed, "negative-system", trajectory.id)
    query = [message("system", rng.choice(PLAIN_SYSTEMS)), message("user", trajectory.query)]
    negative = row(
        f"{trajectory.id}_negative", "toolbench", "toolbench", "negative", query, negative_kind="tool_request"
    )
    return Candidate(
        "toolbench",
        trajectory.where,
        trajectory.id,
        "tool_request",
        negative,
        query_key([Turn("user", trajectory.query)]),
        counted=True,
        own_tools=frozenset(t["name"] for t in trajectory.tools),
    )


def choose_instruct(run: BuildRun) -> None:
    """The instruct samples chosen by seeded hash (not the first ones read), in hash order."""
    chosen = run.instruct.chosen()
    for candidate in chosen:
        if run.agent_h.near_duplicate("toolbench_instruct", candidate.negative):
            continue
        run.outputs.emit("toolbench_instruct", candidate.negative)
    if len(chosen) < run.recipe.instruct_count:
        run.notes.append(
            f"toolbench_instruct: {len(chosen)} of {run.recipe.instruct_count} samples (the ToolBench "
            "input has too few steps with JSON arguments to offered tools; at most 2 per trajectory)"
        )


def glaive_stage(run: BuildRun, source: SourceInput) -> None:
    """Held-out conversations become Agent-H items; the rest, negative candidates (not in --release mode)."""
    for conversation in run.ledger.records("glaive", read_glaive(source.files)):
        run.negatives.remember_tools(conversation.tools)
        if run.agent_h.is_held_out(conversation.id):
            for item in agent_h_rows(conversation):
                run.outputs.sink("agent_h", "test").write(item)
            run.ledger.written("glaive")
            continue
        if run.release_mode:
            run.ledger.dropped("glaive", conversation.where, "--release: glaive feeds Agent-H only", "not_used_release")
            continue
        rng = rng_for(run.recipe.seed, "negative-system", conversation.id)
        made = negative_from_glaive(conversation, rng, offer_irrelevant_tools=True)
        if made is None:
            run.ledger.dropped("glaive", conversation.where, "calls a tool: not usable as a negative", "calls_tool")
            continue
        kind, negative = made
        if run.agent_h.near_duplicate("toolbench_negative", negative):
            run.ledger.dropped(
                "glaive", conversation.where, "the query nearly repeats an Agent-H query", NEAR_DUPLICATE
            )
            continue
        run.negatives.add(
            Candidate("glaive", conversation.where, conversation.id, kind, negative, query_key(conversation.turns))
        )


def general_stage(run: BuildRun, source: SourceInput) -> None:
    """General chat goes to the mixture as chat, or becomes a chat-with-tools candidate: never both
    (a candidate not chosen comes back as chat)."""
    recipe = run.recipe
    for record in run.ledger.records("general", read_general(source.files)):
        if unit_hash(recipe.seed, "general-keep", record.id) >= recipe.general_fraction:
            run.ledger.dropped("general", record.where, "not sampled (general_fraction)", "not_sampled")
            continue
        chat = chat_row(record)
        if run.agent_h.near_duplicate("default", chat):
            run.ledger.dropped("general", record.where, "a user turn nearly repeats an Agent-H query", NEAR_DUPLICATE)
            continue
        negative = (
            None if run.release_mode else negative_from_chat(record, rng_for(recipe.seed, "negative-system", record.id))
        )
        if negative is None:
            run.negatives.add_chat(chat)
            run.ledger.written("general")
            continue
        run.negatives.add(
            Candidate(
                "general", record.where, record.id, "chat_with_tools", negative, query_key(record.turns), fallback=chat
            )
        )
