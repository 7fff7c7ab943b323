"""What the data teaches, checked: the invariants `agent-flan validate` adds to the schema checks.

Schema checks say a row is well-formed; these say it trains what Agent-FLAN means to train:
one assistant message per step, spans that tile each message, no call to a tool the row does
not offer in a trained part, no native AgentBench instruction in the aligned rows, negatives in
two kinds that never call and never repeat a chat row, and Agent-H kept apart from training
(no shared prompt line, no near-duplicate query).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from agent_flan.core.prompts import agent_h_lines
from agent_flan.core.schema import NEGATIVE_KINDS, SPAN_CAPABILITIES
from agent_flan.dataset_builder.near_duplicates import THRESHOLD, NearDuplicateIndex
from agent_flan.dataset_builder.transforms.agentinstruct import NATIVE_INSTRUCTION_MARKERS

MIN_NEGATIVES_FOR_SHARES = 10  # below this, kind shares are too coarse to judge
KIND_SHARE = (0.3, 0.7)
_CALL_CAPABILITIES = {"retrieval", "understanding", "answer", "instruction", "none"}


def _span_problems(index: int, msg: dict[str, Any]) -> Iterator[str]:
    content = msg.get("content") or ""
    spans = msg.get("spans") or []
    where = f"messages[{index}]"
    if msg.get("role") != "assistant":
        if spans:
            yield f"{where}: spans on a {msg.get('role')} turn"
        return
    if not spans:
        yield f"{where}: assistant message without spans"
        return
    cursor = 0
    for number, span in enumerate(spans):
        start, end = span.get("start"), span.get("end")
        if start != cursor or not isinstance(end, int) or end <= start:
            yield f"{where}: spans do not tile the content (span {number} is [{start}, {end}), expected to start at {cursor})"
            return
        cursor = end
        if span.get("capability") not in SPAN_CAPABILITIES:
            yield f"{where}: span {number} has capability {span.get('capability')!r}"
        if span.get("capability") == "reasoning" and not content[start:end].strip():
            yield f"{where}: span {number} is an empty reasoning part"
    if cursor != len(content):
        yield f"{where}: spans end at {cursor}, the content at {len(content)}"
    if bool(msg.get("loss")) != any(span.get("loss") for span in spans):
        yield f"{where}: loss is {msg.get('loss')} but its spans say {any(span.get('loss') for span in spans)}"
    capabilities = {span.get("capability") for span in spans}
    expected = capabilities.pop() if len(capabilities) == 1 else "mixed"
    if msg.get("capability") != expected:
        yield f"{where}: capability {msg.get('capability')!r} but its spans say {expected!r}"


def _calls_outside_tools(index: int, msg: dict[str, Any], tools: list[dict[str, Any]]) -> Iterator[str]:
    """A trained call part that names a tool the row does not offer (the detector reads the message)."""
    from agent_flan.core.toolcalls.detect import detect

    trained = {span["capability"] for span in msg.get("spans") or [] if span.get("loss")}
    if not trained & _CALL_CAPABILITIES:
        return
    verdict = detect(msg["content"], tools)
    if verdict.style == "phrase":
        return  # an intent phrase in prose ("... with the FX tool") is not a structured call
    unknown = sorted({call.name for call in verdict.calls if call.known is False})
    if verdict.calls_tool and unknown:
        yield f"messages[{index}]: a trained part calls {', '.join(map(repr, unknown))}, not among the row's tools"


def row_invariants(config: str, row: dict[str, Any]) -> Iterator[str]:
    """Every training-signal invariant this row breaks, as readable sentences."""
    messages = row.get("messages") or []
    roles = [m.get("role") for m in messages]
    for index in range(1, len(roles)):
        if roles[index] == roles[index - 1] == "assistant":
            yield f"messages[{index - 1}] and [{index}]: two assistant messages in a row (one message per step)"
    for index, msg in enumerate(messages):
        yield from _span_problems(index, msg)
    if config == "agent_h":
        return
    fmt, kind = row.get("format"), row.get("negative_kind", "")
    if fmt == "negative" and row.get("source") != "release" and kind not in NEGATIVE_KINDS:
        yield f"negative_kind {kind!r} (expected one of {', '.join(NEGATIVE_KINDS)})"
    if fmt != "negative" and kind:
        yield f"negative_kind {kind!r} on a {fmt} row"
    if row.get("source") == "agentinstruct" and fmt == "tflan":
        for index, msg in enumerate(messages):
            found = [
                marker
                for marker in NATIVE_INSTRUCTION_MARKERS
                if msg.get("role") != "tool" and marker in msg.get("content", "")
            ]
            if found:
                yield f"messages[{index}]: native AgentBench instruction left in an aligned row ({found[0]!r})"
    if fmt == "chat" or (fmt == "react" and row.get("tools") in ("", "[]")):
        return  # chat offers nothing; native AgentBench rows describe their actions in the instruction, not in `tools`
    try:
        tools = json.loads(row.get("tools") or "[]")
    except json.JSONDecodeError:
        return  # the schema checks report it
    for index, msg in enumerate(messages):
        if msg.get("role") == "assistant" and msg.get("loss"):
            if fmt == "negative":
                from agent_flan.core.toolcalls.detect import detect

                if detect(msg["content"], tools).calls_tool:
                    yield f"messages[{index}]: a negative's reply calls a tool"
            else:
                yield from _calls_outside_tools(index, msg, tools)


def _rows(files: list[Path], columns: list[str]) -> Iterator[dict[str, Any]]:
    for path in files:
        try:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=512, columns=columns):
                yield from batch.to_pylist()
        except (OSError, ValueError):
            continue  # unreadable shards are reported by the schema checks


def _query(row: dict[str, Any]) -> str:
    first = next((m["content"] for m in row["messages"] if m["role"] == "user"), "")
    return " ".join(first.lower().split())


def folder_invariants(files: dict[str, list[Path]]) -> list[str]:
    """Checks across rows: negative kinds and duplicates, Agent-H prompt lines and near-duplicates.

    `files` maps "config/split" to its Parquet shards."""
    problems: list[str] = []
    default = [path for key, paths in files.items() if key.startswith("default/") for path in paths]
    # `default` holds every trained row (the components and general chat) exactly once
    training = default or [path for key, paths in files.items() if not key.startswith("agent_h/") for path in paths]
    negatives = [path for key, paths in files.items() if key.startswith("toolbench_negative/") for path in paths]

    kinds = Counter(row["negative_kind"] for row in _rows(negatives, ["negative_kind"]) if row["negative_kind"])
    total = sum(kinds.values())
    if total >= MIN_NEGATIVES_FOR_SHARES:
        for kind in NEGATIVE_KINDS:
            share = kinds.get(kind, 0) / total
            if not KIND_SHARE[0] <= share <= KIND_SHARE[1]:
                problems.append(
                    f"toolbench_negative: {kind} is {100 * share:.0f}% of the {total} negatives "
                    f"(expected {100 * KIND_SHARE[0]:.0f}-{100 * KIND_SHARE[1]:.0f}%)"
                )

    chat, negative_queries = set(), []
    for row in _rows(default, ["id", "format", "messages"]):
        if row["format"] == "chat":
            chat.add(_query(row))
        elif row["format"] == "negative":
            negative_queries.append((row["id"], _query(row)))
    for row_id, query in negative_queries:
        if query and query in chat:
            problems.append(f"default: negative {row_id!r} repeats the query of a chat row")

    benchmark_lines = agent_h_lines()
    shared = Counter()
    for row in _rows(training, ["id", "messages"]):
        for msg in row["messages"]:
            if msg["role"] == "system":
                for line in msg["content"].split("\n"):
                    if line.strip() in benchmark_lines:
                        shared[line.strip()] += 1
    for line, n in sorted(shared.items()):
        problems.append(f"{n} training row(s) use the Agent-H prompt line {line!r}")

    agent_h = [path for key, paths in files.items() if key.startswith("agent_h/") for path in paths]
    if agent_h:
        index = NearDuplicateIndex(THRESHOLD)
        for row in _rows(agent_h, ["id", "messages"]):
            index.add(row["id"], next((m["content"] for m in row["messages"] if m["role"] == "user"), ""))
        seen: set[str] = set()
        for row in _rows(training, ["id", "messages"]):
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            for msg in row["messages"]:
                if msg["role"] == "user" and index.matches(msg["content"]):
                    problems.append(
                        f"training row {row['id']!r} nearly repeats an Agent-H query "
                        f"({index.matches(msg['content'])[0]!r}; word 3-gram Jaccard >= {THRESHOLD})"
                    )
                    break
    return problems
