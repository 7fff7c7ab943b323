"""`agent-flan build`: sources -> typed records -> component configs -> mixture -> dataset folder."""

from __future__ import annotations

import heapq
import json
import platform
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from agent_flan.core.errors import BadInputError, BadRecordError, Rejected
from agent_flan.core.prompts import PLAIN_SYSTEMS
from agent_flan.core.schema import CONFIGS, NEGATIVE_KINDS, TRAINING_CONFIGS
from agent_flan.dataset_builder.near_duplicates import THRESHOLD, NearDuplicateIndex
from agent_flan.dataset_builder.recipe import BuildRecipe
from agent_flan.dataset_builder.records import GlaiveConversation, Turn
from agent_flan.dataset_builder.responders import Responder, ResponderSpec
from agent_flan.dataset_builder.sources.agentinstruct import read_agentinstruct
from agent_flan.dataset_builder.sources.general import read_general
from agent_flan.dataset_builder.sources.glaive import read_glaive
from agent_flan.dataset_builder.sources.release import read_release
from agent_flan.dataset_builder.sources.resolve import SourceInput, resolve_source
from agent_flan.dataset_builder.sources.toolbench import read_toolbench
from agent_flan.dataset_builder.transforms import agentinstruct as ai_transforms
from agent_flan.dataset_builder.transforms import toolbench as tb_transforms
from agent_flan.dataset_builder.transforms.general import chat_row
from agent_flan.dataset_builder.transforms.glaive import (
    agent_h_rows,
    first_user,
    negative_from_chat,
    negative_from_glaive,
)
from agent_flan.dataset_builder.transforms.negatives import (
    Candidate,
    CandidatePool,
    NegativeSelection,
    query_key,
    unrelated,
    vet_reply,
)
from agent_flan.dataset_builder.transforms.release import release_row
from agent_flan.dataset_builder.transforms.rows import as_function_schema, message, rng_for, row, unit_hash
from agent_flan.dataset_builder.writer import MixtureBuckets, ShardedParquetSink, StagedFolder

SOURCE_NAMES = ("agentinstruct", "toolbench", "glaive", "general")


_TOOL_POOL_SIZE = 256
_EMPTY_THOUGHT_WARNING = 0.5  # warn when more than half of the ToolBench steps have no thought


@dataclass
class SourceCounts:
    read: int = 0
    written: int = 0
    rejected: Counter = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "written": self.written,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
        }


def _agentinstruct_rows(record, seed: int, inline_share: float):
    """Both renderings of one AgentInstruct trajectory (a top-level function so processes can run it)."""
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


def user_texts(item: dict[str, Any]) -> list[str]:
    return [m["content"] for m in item["messages"] if m["role"] == "user"]


class Build:
    """One build run; holds the sinks, counters and reject log while sources stream through."""

    def __init__(
        self,
        recipe: BuildRecipe,
        staging: Path,
        on_error: str,
        progress: bool,
        responder: Responder | None = None,
        num_proc: int = 1,
        release_mode: bool = False,
    ):
        self.recipe = recipe
        self.num_proc = num_proc
        self.responder = responder
        self.release_mode = release_mode  # --release: glaive feeds Agent-H only, general feeds chat only
        self.negatives = NegativeSelection(recipe.negative_count, recipe.negative_kinds, recipe.seed, self._settle)
        self.instruct = CandidatePool(recipe.instruct_count, recipe.seed, lambda *_: None)
        self.staging = staging
        self.on_error = on_error
        self.progress = progress
        self.sinks: dict[tuple[str, str], ShardedParquetSink] = {}
        self.counts: dict[str, SourceCounts] = {}
        self.mixture = MixtureBuckets(staging / "_work", recipe.seed)
        self.reject_log = open(staging / "rejected.jsonl", "w", encoding="utf-8") if on_error == "skip" else None
        self.tool_pool: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.vetting: Counter = Counter()
        self.general_rows = 0
        self.training_glaive_ids: set[str] = set()
        self.count_tokens = _token_counter(recipe.tokenizer)
        self.heldout_ids: set[str] = set()
        self.agent_h_index = NearDuplicateIndex(THRESHOLD)
        self.near_duplicates: Counter = Counter()  # training config -> rows dropped as near-duplicates of Agent-H
        self.steps: dict[str, Counter] = {"agentinstruct": Counter(), "toolbench": Counter()}
        self.chat_queries: set[str] = set()
        self.negative_counts: Counter = Counter()

    # -- plumbing ---------------------------------------------------------------------------
    def sink(self, config: str, split: str = "train") -> ShardedParquetSink:
        key = (config, split)
        if key not in self.sinks:
            self.sinks[key] = ShardedParquetSink(
                self.staging, config, split, self.recipe.rows_per_shard, self.count_tokens, self.recipe.tokenizer or ""
            )
        return self.sinks[key]

    def emit(self, config: str, row: dict[str, Any]) -> None:
        """A training row goes to its component config and to the default mixture."""
        self.sink(config).write(row)
        self.mixture.add(row)

    def near_duplicate(self, config: str, *rows: dict[str, Any]) -> bool:
        """Whether any user turn of these rows nearly repeats an Agent-H query (counted under `config`)."""
        if not len(self.agent_h_index):
            return False
        if any(self.agent_h_index.matches(text) for item in rows for text in user_texts(item)):
            self.near_duplicates[config] += 1
            return True
        return False

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

    def dropped(self, name: str, where, reason: str, category: str) -> None:
        self.reject(name, Rejected(name, where, reason, fatal=False, category=category))

    def written(self, name: str) -> None:
        self.counts[name].written += 1

    def remember_tools(self, tools: list[dict[str, Any]]) -> None:
        for tool in tools:
            if len(self.tool_pool) >= _TOOL_POOL_SIZE:
                return
            name = str(tool.get("name", ""))
            if name and name != "Finish":
                self.tool_pool.setdefault(name, as_function_schema(tool))

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

    # -- Agent-H first: training rows are checked against it as they stream ---------------------
    def hold_out_agent_h(self, glaive: SourceInput) -> None:
        """Pass 1 over glaive: the held-out conversations (by a seeded hash) and their queries.

        At most `agent_h_conversations`, and never more than half of glaive, so negatives keep a share.
        """
        limit = self.recipe.agent_h_conversations
        smallest: list[tuple[float, str, str]] = []  # negated hash: a bounded max-heap of the smallest
        total = 0
        for item in read_glaive(glaive.files):
            if not isinstance(item, GlaiveConversation):
                continue
            total += 1
            entry = (-unit_hash(self.recipe.seed, "agent-h", item.id), item.id, first_user(item) or "")
            if len(smallest) < limit:
                heapq.heappush(smallest, entry)
            elif limit > 0:
                heapq.heappushpop(smallest, entry)
        wanted = min(limit, max(1, total // 2)) if total else 0
        for _, conversation_id, query in sorted(smallest, reverse=True)[:wanted]:
            self.heldout_ids.add(conversation_id)
            self.agent_h_index.add(conversation_id, query)

    # -- sources ----------------------------------------------------------------------------
    def agentinstruct(self, source: SourceInput) -> None:
        work = partial(_agentinstruct_rows, seed=self.recipe.seed, inline_share=self.recipe.inline_call_share)
        for record, (react, aligned, counts) in self.transformed(
            work, self.records("agentinstruct", read_agentinstruct(source.files))
        ):
            if isinstance(aligned, Rejected):
                # Like the paper (App. B), a trajectory not in Thought-Action form is left out of both configs.
                self.reject("agentinstruct", aligned)
                continue
            if self.near_duplicate("agent_instruct_react", react, aligned):
                self.dropped(
                    "agentinstruct",
                    record.where,
                    "a user turn nearly repeats an Agent-H query",
                    "near_duplicate_of_agent_h",
                )
                continue
            self.steps["agentinstruct"].update(counts)
            self.emit("agent_instruct_react", react)
            self.emit("agent_instruct_tflan", aligned)
            self.written("agentinstruct")

    def toolbench(self, source: SourceInput) -> None:
        recipe = self.recipe
        work = partial(_toolbench_rows, recipe=recipe)
        for trajectory, (config, converted, instruct) in self.transformed(
            work, self.records("toolbench", read_toolbench(source.files))
        ):
            self.remember_tools(trajectory.tools)
            if self.near_duplicate(config, converted):
                self.dropped(
                    "toolbench",
                    trajectory.where,
                    "the query nearly repeats an Agent-H query",
                    "near_duplicate_of_agent_h",
                )
                continue
            self.steps["toolbench"].update(tb_transforms.step_counts(trajectory))
            self.emit(config, converted)
            if self.responder is not None:
                # The paper's negatives: ToolBench queries answered with no tool information (App. C).
                rng = rng_for(recipe.seed, "negative-system", trajectory.id)
                query = [message("system", rng.choice(PLAIN_SYSTEMS)), message("user", trajectory.query)]
                self.negatives.add(
                    Candidate(
                        "toolbench",
                        trajectory.where,
                        trajectory.id,
                        "tool_request",
                        row(
                            f"{trajectory.id}_negative",
                            "toolbench",
                            "toolbench",
                            "negative",
                            query,
                            negative_kind="tool_request",
                        ),
                        query_key([Turn("user", trajectory.query)]),
                        counted=True,
                        own_tools=frozenset(t["name"] for t in trajectory.tools),
                    )
                )
            for sample in instruct:
                self.instruct.add(Candidate("toolbench", trajectory.where, sample["id"], "", sample, "", counted=True))
            self.written("toolbench")
        self._instruct()
        steps = self.steps["toolbench"]
        if steps["steps"] and steps["empty_thoughts"] / steps["steps"] > _EMPTY_THOUGHT_WARNING:
            self.warnings.append(
                f"{steps['empty_thoughts']} of {steps['steps']} ToolBench steps "
                f"({100 * steps['empty_thoughts'] / steps['steps']:.0f}%) have no thought, so most steps train no "
                "reasoning. The July-2023 DFSDT answers (and toolllama files converted from them) drop the thought "
                "when a message also calls a function; build from the ToolBench release of 2023-08-30 or later "
                '("intact reasoning thoughts") for the reasoning capability.'
            )

    def _instruct(self) -> None:
        """The instruct samples chosen by seeded hash (not the first ones read), in hash order."""
        chosen = self.instruct.chosen()
        for candidate in chosen:
            if self.near_duplicate("toolbench_instruct", candidate.negative):
                continue
            self.emit("toolbench_instruct", candidate.negative)
        if len(chosen) < self.recipe.instruct_count:
            self.notes.append(
                f"toolbench_instruct: {len(chosen)} of {self.recipe.instruct_count} samples (the ToolBench "
                "input has too few steps with JSON arguments to offered tools; at most 2 per trajectory)"
            )

    def glaive(self, glaive: SourceInput) -> None:
        """Held-out conversations become Agent-H items; the rest, negative candidates (not in --release mode)."""
        for conversation in self.records("glaive", read_glaive(glaive.files)):
            self.remember_tools(conversation.tools)
            if conversation.id in self.heldout_ids:
                for item in agent_h_rows(conversation):
                    self.sink("agent_h", "test").write(item)
                self.written("glaive")
                continue
            if self.release_mode:
                self.dropped("glaive", conversation.where, "--release: glaive feeds Agent-H only", "not_used_release")
                continue
            rng = rng_for(self.recipe.seed, "negative-system", conversation.id)
            made = negative_from_glaive(conversation, rng, offer_irrelevant_tools=True)
            if made is None:
                self.dropped("glaive", conversation.where, "calls a tool: not usable as a negative", "calls_tool")
                continue
            kind, negative = made
            if self.near_duplicate("toolbench_negative", negative):
                self.dropped(
                    "glaive",
                    conversation.where,
                    "the query nearly repeats an Agent-H query",
                    "near_duplicate_of_agent_h",
                )
                continue
            self.negatives.add(
                Candidate("glaive", conversation.where, conversation.id, kind, negative, query_key(conversation.turns))
            )

    def general(self, general: SourceInput) -> None:
        """General chat goes to the mixture as chat, or (chosen by hash) becomes a chat-with-tools negative:
        never both."""
        recipe = self.recipe
        for record in self.records("general", read_general(general.files)):
            if unit_hash(recipe.seed, "general-keep", record.id) >= recipe.general_fraction:
                self.dropped("general", record.where, "not sampled (general_fraction)", "not_sampled")
                continue
            chat = chat_row(record)
            if self.near_duplicate("default", chat):
                self.dropped(
                    "general", record.where, "a user turn nearly repeats an Agent-H query", "near_duplicate_of_agent_h"
                )
                continue
            negative = (
                None
                if self.release_mode
                else negative_from_chat(record, rng_for(recipe.seed, "negative-system", record.id))
            )
            if negative is None:
                self._add_chat(chat)
                self.written("general")
                continue
            self.negatives.add(
                Candidate(
                    "general",
                    record.where,
                    record.id,
                    "chat_with_tools",
                    negative,
                    query_key(record.turns),
                    fallback=chat,
                )
            )

    def _add_chat(self, chat: dict[str, Any]) -> None:
        self.mixture.add(chat)
        self.general_rows += 1
        self.chat_queries.add(query_key([Turn("user", text) for text in user_texts(chat)[:1]]))

    # -- negatives --------------------------------------------------------------------------
    def finish_negatives(self) -> None:
        """Choose by kind, give chat-with-tools candidates their irrelevant tools, vet, write."""
        chosen = self.negatives.chosen()
        if self.responder is not None:
            self._respond([c for c in chosen if c.origin == "toolbench"])
        for candidate in sorted(chosen, key=lambda c: c.negative["id"]):
            negative = candidate.negative
            if negative["negative_kind"] == "chat_with_tools" and negative["tools"] == "[]":
                tools = self._irrelevant_tools(negative["id"], candidate.query, exclude=candidate.own_tools)
                if not tools:
                    self._settle(
                        candidate,
                        "no tools to offer as irrelevant (no ToolBench or glaive tools read)",
                        "no_irrelevant_tools",
                    )
                    continue
                negative["tools"] = json.dumps(tools, ensure_ascii=False)
            if candidate.query in self.chat_queries:
                self._settle(candidate, "same user query as a chat row of the mixture", "duplicate_of_chat")
                continue
            verdict = vet_reply(negative)
            self.vetting[verdict] += 1
            if verdict != "ok":
                self._settle(candidate, f"reply rejected by the tool-call detector ({verdict})", f"vetting_{verdict}")
                continue
            self.emit("toolbench_negative", negative)
            self.negative_counts[(negative["negative_kind"], candidate.origin, negative["tools"] != "[]")] += 1
            if candidate.origin == "glaive":
                self.training_glaive_ids.add(candidate.record_id)
            if not candidate.counted:
                self.written(candidate.origin)
        kinds = {kind: sum(n for (k, _, _), n in self.negative_counts.items() if k == kind) for kind in NEGATIVE_KINDS}
        total = sum(kinds.values())
        missing = [kind for kind, n in kinds.items() if total and not n]
        if missing:
            self.warnings.append(
                f"toolbench_negative has no {' or '.join(missing)} negatives "
                "(glaive or general chat give chat_with_tools; declined requests in glaive, or "
                "--responder-url/--responder-model on ToolBench queries, give tool_request)"
            )
        if total < self.recipe.negative_count:
            where = (
                "ToolBench queries, glaive and general chat"
                if self.responder is not None
                else "the plain answers present in glaive and general chat (offline; --responder-url or "
                "--responder-model answer ToolBench queries as the paper did)"
            )
            self.notes.append(
                f"toolbench_negative: {total} of {self.recipe.negative_count} requested, from {where}; by kind {kinds}"
            )

    def _respond(self, chosen: list[Candidate]) -> None:
        """Replace each chosen candidate's reply with the responder's answer to its bare query."""
        prompts = {
            c.negative["id"]: next(m["content"] for m in c.negative["messages"] if m["role"] == "user") for c in chosen
        }
        replies = self.responder.answer(prompts) if prompts else {}
        for candidate in chosen:
            messages = [m for m in candidate.negative["messages"] if m["role"] != "assistant"]
            messages.append(message("assistant", replies.get(candidate.negative["id"], ""), True, "answer"))
            candidate.negative["messages"] = messages

    def _settle(self, candidate: Candidate, reason: str, category: str) -> None:
        """A candidate that did not become a negative: a chat row again (general chat), rejected, or
        nothing (its record is already written elsewhere)."""
        if candidate.fallback is not None:
            self._add_chat(candidate.fallback)
            self.written(candidate.origin)
        elif not candidate.counted:
            self.reject(
                candidate.origin, Rejected(candidate.origin, candidate.where, reason, fatal=False, category=category)
            )

    def _irrelevant_tools(self, key: str, query: str, exclude: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        names = sorted(name for name in set(self.tool_pool) - exclude if unrelated(self.tool_pool[name], query))
        if not names:
            return []
        rng = rng_for(self.recipe.seed, "irrelevant-tools", key)
        return [self.tool_pool[name] for name in rng.sample(names, k=min(len(names), rng.randint(1, 3)))]

    def release(self, source: SourceInput) -> None:
        for record in self.records("release", read_release(source.files)):
            config, converted = release_row(record)
            if not any(m["loss"] for m in converted["messages"]):
                self.reject(
                    "release",
                    Rejected(
                        "release",
                        record.where,
                        "no trained assistant turn (every assistant turn has loss false)",
                        fatal=False,
                        category="no_trained_turn",
                    ),
                )
                continue
            if self.near_duplicate(config, converted):
                self.dropped(
                    "release", record.where, "a user turn nearly repeats an Agent-H query", "near_duplicate_of_agent_h"
                )
                continue
            self.emit(config, converted)
            self.written("release")

    def agent_h_report(self) -> dict[str, Any]:
        return {
            "heldout_conversations": len(self.heldout_ids),
            "overlap_with_training_by_id": len(self.heldout_ids & self.training_glaive_ids),
            "near_duplicate_rule": f"word 3-gram Jaccard >= {THRESHOLD} with any user turn of a training row",
            "near_duplicates_dropped": dict(sorted(self.near_duplicates.items())),
        }

    def negatives_report(self) -> dict[str, Any]:
        by_kind = Counter()
        by_origin = Counter()
        with_tools = 0
        for (kind, origin, tools), n in self.negative_counts.items():
            by_kind[kind] += n
            by_origin[f"{kind}/{origin}"] += n
            with_tools += n if tools else 0
        return {
            "rows": sum(by_kind.values()),
            "by_kind": {k: by_kind.get(k, 0) for k in NEGATIVE_KINDS},
            "by_kind_and_origin": dict(sorted(by_origin.items())),
            "with_tools": with_tools,
            "candidates_by_kind": self.negatives.available(),
            "shares_asked": self.recipe.negative_kinds,
        }


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
        answering = Responder(responder) if responder is not None and responder.given else None
        run = Build(recipe, staged.staging, on_error, progress, answering, num_proc, release_mode=release is not None)
        if "glaive" in inputs:
            run.hold_out_agent_h(inputs["glaive"])  # first, so every training row can be checked against it
        if "release" in inputs:
            run.release(inputs["release"])
        if "agentinstruct" in inputs:
            run.agentinstruct(inputs["agentinstruct"])
        if "toolbench" in inputs:
            run.toolbench(inputs["toolbench"])
        if "glaive" in inputs:
            run.glaive(inputs["glaive"])
        if "general" in inputs:
            run.general(inputs["general"])
        run.finish_negatives()
        for name in inputs:
            run.counts.setdefault(name, SourceCounts())
        expected = _expected_configs(inputs, only_given or release is not None)
        empty = [name for name in expected if name != "default" and not any(key[0] == name for key in run.sinks)]
        if empty:
            raise BadInputError(
                f"these configs would be empty with the given inputs: {', '.join(empty)} "
                "(check the rejected counts, or use --only-given to leave them out)"
            )
        if len(run.mixture):
            run.mixture.drain(
                run.sink("default", "train"), run.sink("default", "validation"), recipe.validation_fraction
            )
        files = {f"{config}/{split}": sink.close() for (config, split), sink in sorted(run.sinks.items())}
        if run.reject_log is not None:
            run.reject_log.close()
        report = _report(run, inputs, recipe, files, on_error)
        (staged.staging / "build_report.json").write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staged.staging / "recipe.yaml").write_text(recipe.to_yaml(), encoding="utf-8")
        if finish is not None:
            finish(staged.staging, report)  # e.g. the dataset card, written before the folder appears
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


def _report(
    run: Build, inputs: dict[str, SourceInput], recipe: BuildRecipe, files: dict[str, list[str]], on_error: str
) -> dict[str, Any]:
    configs: dict[str, Any] = {}
    for (config, split), sink in sorted(run.sinks.items()):
        configs.setdefault(config, {"splits": {}})["splits"][split] = {
            **sink.stats.to_json(),
            "files": files[f"{config}/{split}"],
        }
    return {
        "seed": recipe.seed,
        "on_error": on_error,
        "inputs": {name: source.describe() for name, source in inputs.items()},
        "versions": _versions(),
        "recipe": recipe.to_dict(),
        "sources": {name: counts.to_json() for name, counts in sorted(run.counts.items())},
        "steps": {name: dict(sorted(counts.items())) for name, counts in run.steps.items() if counts},
        "configs": {name: configs[name] for name in CONFIGS if name in configs},
        "agent_h": run.agent_h_report(),
        "negatives": run.negatives_report(),
        "negatives_vetting": dict(sorted(run.vetting.items())),
        "negatives_responder": run.responder.describe()
        if run.responder is not None
        else {"runner": "offline: source replies"},
        "general_rows_in_default": run.general_rows,
        "notes": run.notes,
        "warnings": run.warnings,
    }
