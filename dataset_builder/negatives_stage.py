"""Select and write stage for negatives (Agent-FLAN App. C): candidates gathered while the sources
stream, then chosen by kind, offered their irrelevant tools, answered by a responder where one is
named, vetted by the tool-call detector, and written; general chats not chosen become chat rows."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from agent_flan.core.errors import Rejected
from agent_flan.core.schema import NEGATIVE_KINDS
from agent_flan.dataset_builder.agent_h_split import user_texts
from agent_flan.dataset_builder.ledger import Ledger
from agent_flan.dataset_builder.recipe import BuildRecipe
from agent_flan.dataset_builder.records import Turn
from agent_flan.dataset_builder.responders import Responder
from agent_flan.dataset_builder.transforms.negatives import (
    Candidate,
    NegativeSelection,
    query_key,
    unrelated,
    vet_reply,
)
from agent_flan.dataset_builder.transforms.rows import as_function_schema, message, rng_for
from agent_flan.dataset_builder.writer import Outputs

_TOOL_POOL_SIZE = 256


class NegativesStage:
    def __init__(self, recipe: BuildRecipe, ledger: Ledger, outputs: Outputs, responder: Responder | None):
        self.recipe, self.ledger, self.outputs, self.responder = recipe, ledger, outputs, responder
        self.selection = NegativeSelection(recipe.negative_count, recipe.negative_kinds, recipe.seed, self._settle)
        self.tool_pool: dict[str, dict[str, Any]] = {}
        self.chat_queries: set[str] = set()
        self.general_rows = 0
        self.vetting: Counter = Counter()
        self.written: Counter = Counter()  # (kind, origin, offers tools) -> rows
        self.training_glaive_ids: set[str] = set()

    # -- while the sources stream --------------------------------------------------------------
    def remember_tools(self, tools: list[dict[str, Any]]) -> None:
        """The pool irrelevant tools are drawn from (ToolBench and glaive schemas, bounded)."""
        for tool in tools:
            if len(self.tool_pool) >= _TOOL_POOL_SIZE:
                return
            name = str(tool.get("name", ""))
            if name and name != "Finish":
                self.tool_pool.setdefault(name, as_function_schema(tool))

    def add(self, candidate: Candidate) -> None:
        self.selection.add(candidate)

    def add_chat(self, chat: dict[str, Any]) -> None:
        """A general chat row of the mixture (never also a negative)."""
        self.outputs.mixture.add(chat)
        self.general_rows += 1
        self.chat_queries.add(query_key([Turn("user", text) for text in user_texts(chat)[:1]]))

    # -- once every source is read ---------------------------------------------------------------
    def finish(self) -> tuple[list[str], list[str]]:
        """Choose, complete, vet and write the negatives; (notes, warnings) for the report."""
        chosen = self.selection.chosen()
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
            self.outputs.emit("toolbench_negative", negative)
            self.written[(negative["negative_kind"], candidate.origin, negative["tools"] != "[]")] += 1
            if candidate.origin == "glaive":
                self.training_glaive_ids.add(candidate.record_id)
            if not candidate.counted:
                self.ledger.written(candidate.origin)
        return self._shortfalls()

    def _shortfalls(self) -> tuple[list[str], list[str]]:
        notes, warnings = [], []
        kinds = {kind: sum(n for (k, _, _), n in self.written.items() if k == kind) for kind in NEGATIVE_KINDS}
        total = sum(kinds.values())
        missing = [kind for kind, n in kinds.items() if total and not n]
        if missing:
            warnings.append(
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
            notes.append(
                f"toolbench_negative: {total} of {self.recipe.negative_count} requested, from {where}; by kind {kinds}"
            )
        return notes, warnings

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
            self.add_chat(candidate.fallback)
            self.ledger.written(candidate.origin)
        elif not candidate.counted:
            self.ledger.reject(
                candidate.origin, Rejected(candidate.origin, candidate.where, reason, fatal=False, category=category)
            )

    def _irrelevant_tools(self, key: str, query: str, exclude: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        names = sorted(name for name in set(self.tool_pool) - exclude if unrelated(self.tool_pool[name], query))
        if not names:
            return []
        rng = rng_for(self.recipe.seed, "irrelevant-tools", key)
        return [self.tool_pool[name] for name in rng.sample(names, k=min(len(names), rng.randint(1, 3)))]

    def report(self) -> dict[str, Any]:
        by_kind: Counter = Counter()
        by_origin: Counter = Counter()
        with_tools = 0
        for (kind, origin, tools), n in self.written.items():
            by_kind[kind] += n
            by_origin[f"{kind}/{origin}"] += n
            with_tools += n if tools else 0
        return {
            "rows": sum(by_kind.values()),
            "by_kind": {k: by_kind.get(k, 0) for k in NEGATIVE_KINDS},
            "by_kind_and_origin": dict(sorted(by_origin.items())),
            "with_tools": with_tools,
            "candidates_by_kind": self.selection.available(),
            "shares_asked": self.recipe.negative_kinds,
        }
