"""`agent-flan build`: sources -> typed records -> component configs -> mixture -> dataset folder."""

from __future__ import annotations

import heapq
import json
import platform
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from dataset_builder.errors import BadInputError, BadRecordError, Rejected
from dataset_builder.recipe import BuildRecipe
from dataset_builder.responders import Responder, ResponderSpec
from dataset_builder.records import GlaiveConversation, Turn
from dataset_builder.schema import CONFIGS, TRAINING_CONFIGS
from dataset_builder.sources.agentinstruct import read_agentinstruct
from dataset_builder.sources.general import read_general
from dataset_builder.sources.glaive import read_glaive
from dataset_builder.sources.release import read_release
from dataset_builder.sources.resolve import SourceInput, resolve_source
from dataset_builder.sources.toolbench import read_toolbench
from dataset_builder.transforms import agentinstruct as ai_transforms
from dataset_builder.transforms import toolbench as tb_transforms
from dataset_builder.transforms.alignment import agentinstruct_tflan_row
from dataset_builder.transforms.general import chat_row
from dataset_builder.transforms.glaive import agent_h_rows, negative_from_chat, negative_from_glaive, situation_of, system_prompt
from dataset_builder.transforms.negatives import Candidate, CandidatePool, query_key, vet_reply
from dataset_builder.transforms.release import release_row
from dataset_builder.transforms.rows import as_function_schema, message, rng_for, row, unit_hash
from dataset_builder.writer import MixtureBuckets, ShardedParquetSink, StagedFolder

SOURCE_NAMES = ("agentinstruct", "toolbench", "glaive", "general")


_TOOL_POOL_SIZE = 256


@dataclass
class SourceCounts:
    read: int = 0
    written: int = 0
    rejected: Counter = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"read": self.read, "written": self.written, "rejected": sum(self.rejected.values()),
                "rejected_by_reason": dict(sorted(self.rejected.items()))}


def _agentinstruct_rows(record, seed: int) -> tuple[dict[str, Any], dict[str, Any] | Rejected]:
    """Both renderings of one AgentInstruct trajectory (a top-level function so processes can run it)."""
    aligned = agentinstruct_tflan_row(record, seed)
    if not isinstance(aligned, Rejected):
        aligned["id"] = f"{record.id}_tflan"  # the mixture holds both renderings of one trajectory
    return ai_transforms.react_row(record), aligned


def _toolbench_rows(trajectory, recipe: BuildRecipe) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """(config, row, up to 2 instruct samples) for one ToolBench trajectory."""
    config = tb_transforms.assign_config(trajectory.id, recipe.seed, recipe.toolbench_split)
    if config == "toolbench_react":
        converted = tb_transforms.react_row(trajectory, recipe.seed)
    else:
        converted = tb_transforms.tflan_row(trajectory, recipe.seed, recipe.loss_weights, cot=config == "toolbench_tflan_cot")
    return config, converted, tb_transforms.instruct_rows(trajectory, recipe.seed, 2)


class Build:
    """One build run; holds the sinks, counters and reject log while sources stream through."""

    def __init__(self, recipe: BuildRecipe, staging: Path, on_error: str, progress: bool,
                 responder: Responder | None = None, num_proc: int = 1):
        self.recipe = recipe
        self.num_proc = num_proc
        self.responder = responder
        self.candidates = CandidatePool(recipe.negative_count, recipe.seed, self._settle)
        self.staging = staging
        self.on_error = on_error
        self.progress = progress
        self.sinks: dict[tuple[str, str], ShardedParquetSink] = {}
        self.counts: dict[str, SourceCounts] = {}
        self.mixture = MixtureBuckets(staging / "_work", recipe.seed)
        self.reject_log = open(staging / "rejected.jsonl", "w", encoding="utf-8") if on_error == "skip" else None
        self.tool_pool: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []
        self.vetting: Counter = Counter()
        self.general_rows = 0
        self.training_glaive_ids: set[str] = set()
        self.count_tokens = _token_counter(recipe.tokenizer)
        self.query_overlap_dropped = 0

    # -- plumbing ---------------------------------------------------------------------------
    def sink(self, config: str, split: str = "train") -> ShardedParquetSink:
        key = (config, split)
        if key not in self.sinks:
            self.sinks[key] = ShardedParquetSink(self.staging, config, split, self.recipe.rows_per_shard,
                                                 self.count_tokens, self.recipe.tokenizer or "")
        return self.sinks[key]

    def emit(self, config: str, row: dict[str, Any]) -> None:
        """A training row goes to its component config and to the default mixture."""
        self.sink(config).write(row)
        self.mixture.add(row)

    def records(self, name: str, items: Iterable[Any]) -> Iterator[Any]:
        """Counts every item, applies the error policy, yields only good records."""
        counts = self.counts.setdefault(name, SourceCounts())
        bar = tqdm(items, desc=f"reading {name}", unit=" rec", disable=not self.progress, leave=False)
        for item in bar:
            counts.read += 1
            if isinstance(item, Rejected):
                self.reject(name, item)
                continue
            yield item
        bar.close()

    def reject(self, name: str, item: Rejected) -> None:
        if item.fatal and self.on_error == "fail":
            raise BadRecordError(item)
        self.counts[name].rejected[item.category] += 1
        if self.reject_log is not None:
            self.reject_log.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")

    def written(self, name: str) -> None:
        self.counts[name].written += 1

    def remember_tools(self, tools: list[dict[str, Any]]) -> None:
        for tool in tools:
            if len(self.tool_pool) >= _TOOL_POOL_SIZE:
                return
            name = str(tool.get("name", ""))
            if name and name != "Finish":
                self.tool_pool.setdefault(name, as_function_schema(tool))

    # -- sources ----------------------------------------------------------------------------
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

    def agentinstruct(self, source: SourceInput) -> None:
        work = partial(_agentinstruct_rows, seed=self.recipe.seed)
        for record, (react, aligned) in self.transformed(work, self.records("agentinstruct", read_agentinstruct(source.files))):
            if isinstance(aligned, Rejected):
                # Like the paper (App. B), a trajectory not in Thought-Action form is left out of both configs.
                self.reject("agentinstruct", aligned)
                continue
            self.emit("agent_instruct_react", react)
            self.emit("agent_instruct_tflan", aligned)
            self.written("agentinstruct")

    def toolbench(self, source: SourceInput) -> None:
        recipe = self.recipe
        instruct_left = recipe.instruct_count
        work = partial(_toolbench_rows, recipe=recipe)
        for trajectory, (config, converted, instruct) in self.transformed(
                work, self.records("toolbench", read_toolbench(source.files))):
            self.remember_tools(trajectory.tools)
            self.emit(config, converted)
            if self.responder is not None:
                # The paper's negatives: ToolBench queries answered with no tool information (App. C).
                query = [message("system", system_prompt("general", [])), message("user", trajectory.query)]
                self.candidates.add(Candidate("toolbench", trajectory.where, trajectory.id, "tool_like",
                                               row(f"{trajectory.id}_negative", "toolbench", "toolbench", "negative", query),
                                               query_key([Turn("user", trajectory.query)]), counted=True,
                                               own_tools=frozenset(t["name"] for t in trajectory.tools)))
            for sample in instruct[: max(0, instruct_left)]:
                self.emit("toolbench_instruct", sample)
                instruct_left -= 1
            self.written("toolbench")
        made = recipe.instruct_count - instruct_left
        if instruct_left > 0:
            self.notes.append(f"toolbench_instruct: {made} of {recipe.instruct_count} samples (the ToolBench input has "
                              "too few steps with JSON arguments; at most 2 are cut per trajectory)")

    def glaive_and_general(self, glaive: SourceInput | None, general: SourceInput | None) -> dict[str, Any]:
        """Agent-H from held-out glaive conversations; negatives from the rest and from general chat."""
        recipe = self.recipe
        candidates = self.candidates
        heldout_ids: set[str] = set()
        heldout_queries: set[str] = set()
        if glaive is not None:
            threshold = self._heldout_threshold(glaive)
            for conversation in self.records("glaive", read_glaive(glaive.files)):
                self.remember_tools(conversation.tools)
                if unit_hash(recipe.seed, "agent-h", conversation.id) <= threshold:
                    heldout_ids.add(conversation.id)
                    heldout_queries.add(query_key(conversation.turns))
                    for item in agent_h_rows(conversation):
                        self.sink("agent_h", "test").write(item)
                    self.written("glaive")
                    continue
                negative = negative_from_glaive(conversation)
                if negative is None:
                    self.reject("glaive", Rejected("glaive", conversation.where, "calls a tool: not usable as a negative "
                                                   "without a responder", fatal=False, category="calls_tool"))
                    continue
                kind = "with_tools" if conversation.tools else (
                    "tool_like" if situation_of(conversation) == "tool_needed_no_tools" else "chat")
                candidates.add(Candidate("glaive", conversation.where, conversation.id, kind, negative,
                                             query_key(conversation.turns)))
        if general is not None:
            for record in self.records("general", read_general(general.files)):
                in_mixture = unit_hash(recipe.seed, "general-keep", record.id) < recipe.general_fraction
                if in_mixture:
                    self.mixture.add(chat_row(record))
                    self.general_rows += 1
                negative = negative_from_chat(record, [])
                if negative is not None:
                    candidates.add(Candidate("general", record.where, record.id, "chat", negative,
                                                 query_key(record.turns), counted=in_mixture))
                if in_mixture:
                    self.written("general")
                elif negative is None:
                    self.reject("general", Rejected("general", record.where, "not sampled (general_fraction)",
                                                    fatal=False, category="not_sampled"))
        self._negatives(candidates, heldout_queries)
        return {"heldout_conversations": len(heldout_ids),
                "overlap_with_training_by_id": len(heldout_ids & self.training_glaive_ids),
                "overlap_with_training_by_query": self.query_overlap_dropped}

    def _negatives(self, candidates: CandidatePool, heldout_queries: set[str]) -> None:
        """Offer irrelevant tools to about half of the chosen candidates; vet each reply; write them."""
        recipe = self.recipe
        chosen = candidates.chosen()
        if self.responder is not None:
            self._respond(chosen)
        target = round(recipe.negative_tools_share * len(chosen))
        have = sum(c.negative["tools"] != "[]" for c in chosen)
        bare = sorted((c for c in chosen if c.negative["tools"] == "[]"),
                      key=lambda c: (unit_hash(recipe.seed, "negative-tools", c.negative["id"]), c.negative["id"]))
        for candidate in bare[: max(0, target - have)]:
            tools = self._irrelevant_tools(candidate.negative["id"], exclude=candidate.own_tools)
            if tools:
                candidate.negative["tools"] = json.dumps(tools, ensure_ascii=False)
                candidate.negative["messages"][0]["content"] = system_prompt("general", tools)
        for candidate in sorted(chosen, key=lambda c: c.negative["id"]):
            if candidate.query in heldout_queries:
                self.query_overlap_dropped += 1
                self._settle(candidate, "same user query as a held-out Agent-H item", "overlaps_agent_h")
                continue
            verdict = vet_reply(candidate.negative)
            self.vetting[verdict] += 1
            if verdict != "ok":
                self._settle(candidate, f"reply rejected by the tool-call detector ({verdict})", f"vetting_{verdict}")
                continue
            self.emit("toolbench_negative", candidate.negative)
            if candidate.origin == "glaive":
                self.training_glaive_ids.add(candidate.record_id)
            if not candidate.counted:
                self.written(candidate.origin)
        if len(chosen) < recipe.negative_count:
            where = ("ToolBench queries, glaive and general chat" if self.responder is not None else
                     "the plain answers present in glaive and general chat (offline; --responder-url or "
                     "--responder-model answer ToolBench queries as the paper did)")
            self.notes.append(f"toolbench_negative: {len(chosen)} candidates for {recipe.negative_count} requested, from {where}")

    def _respond(self, chosen: list[Candidate]) -> None:
        """Replace each chosen candidate's reply with the responder's answer to its bare query."""
        prompts = {c.negative["id"]: next(m["content"] for m in c.negative["messages"] if m["role"] == "user") for c in chosen}
        replies = self.responder.answer(prompts)
        for candidate in chosen:
            messages = [m for m in candidate.negative["messages"] if m["role"] != "assistant"]
            messages.append(message("assistant", replies.get(candidate.negative["id"], ""), True, "answer"))
            candidate.negative["messages"] = messages

    def _settle(self, candidate: Candidate, reason: str, category: str) -> None:
        """A candidate that did not become a negative: rejected, unless its record is already used elsewhere."""
        if not candidate.counted:
            self.reject(candidate.origin, Rejected(candidate.origin, candidate.where, reason, fatal=False, category=category))

    def _heldout_threshold(self, glaive: SourceInput) -> float:
        """Pass 1 over glaive: the hash at or below which the held-out conversations fall.

        At most `agent_h_conversations`, and never more than half of glaive, so negatives keep a share.
        """
        limit = self.recipe.agent_h_conversations
        smallest: list[float] = []  # negated: a bounded max-heap of the `limit` smallest hashes
        total = 0
        for item in read_glaive(glaive.files):
            if not isinstance(item, GlaiveConversation):
                continue
            total += 1
            key = -unit_hash(self.recipe.seed, "agent-h", item.id)
            if len(smallest) < limit:
                heapq.heappush(smallest, key)
            elif limit > 0:
                heapq.heappushpop(smallest, key)
        wanted = min(limit, max(1, total // 2)) if total else 0
        if not wanted:
            return -1.0
        return sorted(-key for key in smallest)[wanted - 1]

    def _irrelevant_tools(self, key: str, exclude: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        names = sorted(set(self.tool_pool) - exclude)
        if not names:
            return []
        rng = rng_for(self.recipe.seed, "irrelevant-tools", key)
        return [self.tool_pool[name] for name in rng.sample(names, k=min(len(names), rng.randint(1, 3)))]

    def release(self, source: SourceInput) -> None:
        for record in self.records("release", read_release(source.files)):
            config, converted = release_row(record)
            if not any(m["loss"] for m in converted["messages"]):
                self.reject("release", Rejected("release", record.where, "no trained assistant turn (every assistant "
                                                "turn has loss false)", fatal=False, category="no_trained_turn"))
                continue
            self.emit(config, converted)
            self.written("release")



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
) -> dict[str, Any]:
    """Run a build and return its report; the folder appears at `out` only when complete."""
    recipe = recipe or BuildRecipe()
    given = {name: spec for name, spec in sources.items() if spec is not None}
    if only_given and not given and release is None:
        raise BadInputError("--only-given needs at least one source (--agentinstruct, --toolbench, --glaive, --general or --release)")
    inputs: dict[str, SourceInput] = {}
    wanted = ("glaive", "general") if release is not None else SOURCE_NAMES
    for name in wanted:
        if name in given or not only_given:
            inputs[name] = resolve_source(name, given.get(name))
    if release is not None:
        inputs["release"] = resolve_source("release", release)
    with StagedFolder(out) as staged:
        answering = Responder(responder) if responder is not None and responder.given else None
        run = Build(recipe, staged.staging, on_error, progress, answering, num_proc)
        if "release" in inputs:
            run.release(inputs["release"])
        if "agentinstruct" in inputs:
            run.agentinstruct(inputs["agentinstruct"])
        if "toolbench" in inputs:
            run.toolbench(inputs["toolbench"])
        agent_h = run.glaive_and_general(inputs.get("glaive"), inputs.get("general"))
        for name in inputs:
            run.counts.setdefault(name, SourceCounts())
        expected = _expected_configs(inputs, only_given)
        empty = [name for name in expected if name != "default" and not any(key[0] == name for key in run.sinks)]
        if empty:
            raise BadInputError(f"these configs would be empty with the given inputs: {', '.join(empty)} "
                                "(check the rejected counts, or use --only-given to leave them out)")
        if len(run.mixture):
            run.mixture.drain(run.sink("default", "train"), run.sink("default", "validation"), recipe.validation_fraction)
        files = {f"{config}/{split}": sink.close() for (config, split), sink in sorted(run.sinks.items())}
        if run.reject_log is not None:
            run.reject_log.close()
        report = _report(run, inputs, recipe, files, agent_h, on_error)
        (staged.staging / "build_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (staged.staging / "recipe.yaml").write_text(recipe.to_yaml(), encoding="utf-8")
        from cards.dataset_card import render_dataset_card

        (staged.staging / "README.md").write_text(render_dataset_card(report, staged.staging), encoding="utf-8")
        staged.commit()
    return report


def _token_counter(name: str | None):
    """Token lengths with the named tokenizer (loaded once, local files or Hub), or None for the fast proxy."""
    if not name:
        return None
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise BadInputError(f"recipe tokenizer {name!r} cannot be loaded: {exc}") from None

    def count(texts: list[str]) -> list[int]:
        return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]

    return count


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


def _versions() -> dict[str, str]:
    import datasets
    import pyarrow

    from importlib.metadata import PackageNotFoundError, version

    try:
        kit = version("agent-flan-kit")
    except PackageNotFoundError:
        kit = "source"
    return {"agent-flan-kit": kit, "python": platform.python_version(), "datasets": datasets.__version__,
            "pyarrow": pyarrow.__version__}


def _report(run: Build, inputs: dict[str, SourceInput], recipe: BuildRecipe, files: dict[str, list[str]],
            agent_h: dict[str, Any], on_error: str) -> dict[str, Any]:
    configs: dict[str, Any] = {}
    for (config, split), sink in sorted(run.sinks.items()):
        configs.setdefault(config, {"splits": {}})["splits"][split] = {**sink.stats.to_json(), "files": files[f"{config}/{split}"]}
    return {
        "seed": recipe.seed,
        "on_error": on_error,
        "inputs": {name: source.describe() for name, source in inputs.items()},
        "versions": _versions(),
        "recipe": recipe.to_dict(),
        "sources": {name: counts.to_json() for name, counts in sorted(run.counts.items())},
        "configs": {name: configs[name] for name in CONFIGS if name in configs},
        "agent_h": agent_h,
        "negatives_vetting": dict(sorted(run.vetting.items())),
        "negatives_responder": run.responder.describe() if run.responder is not None else {"runner": "offline: source replies"},
        "general_rows_in_default": run.general_rows,
        "notes": run.notes,
    }
