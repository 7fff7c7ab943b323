"""Writes the dataset folder: Parquet shards streamed per config/split, staged then renamed.

Rows are flushed in row groups as they come, so memory does not grow with the input;
the `default` mixture is shuffled through on-disk buckets keyed by a seeded hash.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from agent_flan.core.schema import features_for
from agent_flan.dataset_builder.transforms.rows import span_texts, unit_hash

ROW_GROUP = 1000


@dataclass
class ConfigStats:
    """What the report and card say about one config/split, counted while writing."""

    rows: int = 0
    assistant_turns: int = 0
    trained_turns: int = 0
    untrained_turns: int = 0
    capabilities: Counter = field(default_factory=Counter)
    trained_capabilities: Counter = field(default_factory=Counter)
    formats: Counter = field(default_factory=Counter)
    tokens: int = 0
    trained_tokens_by_capability: Counter = field(default_factory=Counter)
    span_characters: Counter = field(default_factory=Counter)
    trained_span_characters: Counter = field(default_factory=Counter)
    with_tools: int = 0
    count_tokens: Callable[[list[str]], list[int]] | None = None
    tokenizer_name: str = ""

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        self.formats[row["format"]] += 1
        self.with_tools += row["tools"] != "[]"
        # Token counts per span of an assistant message (the unit the capability weighting acts on),
        # per message otherwise.
        pieces: list[tuple[str, str, bool, bool]] = []  # (text, capability, trained, is_span)
        for msg in row["messages"]:
            if msg["role"] == "assistant" and msg.get("spans"):
                pieces += [(text, capability, trained, True) for text, capability, trained in span_texts(msg)]
            else:
                pieces.append((msg["content"], "", False, False))
        texts = [text for text, *_ in pieces]
        lengths = self.count_tokens(texts) if self.count_tokens else [len(text) // 4 for text in texts]
        for (text, capability, trained, is_span), length in zip(pieces, lengths):
            self.tokens += length
            if is_span:
                self.span_characters[capability] += len(text)
                if trained:
                    self.trained_span_characters[capability] += len(text)
                    self.trained_tokens_by_capability[capability] += length
        for msg in row["messages"]:
            if msg["role"] != "assistant":
                continue
            self.assistant_turns += 1
            self.capabilities[msg["capability"]] += 1
            if msg["loss"]:
                self.trained_turns += 1
                self.trained_capabilities[msg["capability"]] += 1
            else:
                self.untrained_turns += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "assistant_turns": self.assistant_turns,
            "trained_turns": self.trained_turns,
            "untrained_turns": self.untrained_turns,
            "assistant_turns_by_capability": dict(sorted(self.capabilities.items())),
            "trained_turns_by_capability": dict(sorted(self.trained_capabilities.items())),
            "characters_by_capability": dict(sorted(self.span_characters.items())),
            "trained_characters_by_capability": dict(sorted(self.trained_span_characters.items())),
            "rows_by_format": dict(sorted(self.formats.items())),
            "rows_with_tools": self.with_tools,
            "tokens": self.tokens,
            "trained_tokens_by_capability": dict(sorted(self.trained_tokens_by_capability.items())),
            "token_counter": self.tokenizer_name or "approx: characters / 4",
        }


class ShardedParquetSink:
    """One config/split: row groups of ROW_GROUP rows, a new shard every `rows_per_shard` rows."""

    def __init__(
        self,
        folder: Path,
        config: str,
        split: str,
        rows_per_shard: int,
        count_tokens: Callable[[list[str]], list[int]] | None = None,
        tokenizer_name: str = "",
    ):
        self.folder = folder / "data" / config
        self.config, self.split = config, split
        self.rows_per_shard = rows_per_shard
        self.schema = features_for(config).arrow_schema
        self.stats = ConfigStats(count_tokens=count_tokens, tokenizer_name=tokenizer_name)
        self._buffer: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self._shard_rows = 0
        self._parts: list[Path] = []

    def write(self, row: dict[str, Any]) -> None:
        self.stats.add(row)
        self._buffer.append(row)
        if len(self._buffer) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        while self._buffer:
            if self._writer is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                part = self.folder / f".{self.split}-part{len(self._parts):05d}.parquet"
                self._parts.append(part)
                self._writer = pq.ParquetWriter(part, self.schema, compression="zstd")
                self._shard_rows = 0
            room = self.rows_per_shard - self._shard_rows
            batch, self._buffer = self._buffer[:room], self._buffer[room:]
            self._writer.write_table(pa.Table.from_pylist(batch, schema=self.schema), row_group_size=ROW_GROUP)
            self._shard_rows += len(batch)
            if self._shard_rows >= self.rows_per_shard:
                self._writer.close()
                self._writer = None

    def close(self) -> list[str]:
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        names = []
        for index, part in enumerate(self._parts):
            final = self.folder / f"{self.split}-{index:05d}-of-{len(self._parts):05d}.parquet"
            part.rename(final)
            names.append(final.name)
        return names


class MixtureBuckets:
    """Shuffles the `default` mixture on disk: rows go to buckets by a seeded hash, each bucket sorted."""

    def __init__(self, work: Path, seed: int, buckets: int = 64):
        self.work = work / "mixture"
        self.work.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.count = buckets
        self._handles = [open(self.work / f"{i:03d}.jsonl", "w", encoding="utf-8") for i in range(buckets)]
        self._rows = 0
        self._smallest_validation_key = 1.0

    def add(self, row: dict[str, Any]) -> None:
        key = unit_hash(self.seed, "mixture-order", f"{row['format']}\x1f{row['id']}")
        self._rows += 1
        self._smallest_validation_key = min(self._smallest_validation_key, self._validation_key(row))
        handle = self._handles[min(int(key * self.count), self.count - 1)]
        handle.write(json.dumps([key, row], ensure_ascii=False) + "\n")

    def __len__(self) -> int:
        return self._rows

    def _validation_key(self, row: dict[str, Any]) -> float:
        return unit_hash(self.seed, "validation", f"{row['format']}\x1f{row['id']}")

    def drain(self, train: ShardedParquetSink, validation: ShardedParquetSink, fraction: float) -> None:
        """Emit rows in hash order; rows whose validation hash falls below `fraction` go to validation
        (at least one row when there are two or more, so the split always exists)."""
        for handle in self._handles:
            handle.close()
        threshold = fraction if fraction > 0 and self._rows > 1 else -1.0
        if threshold >= 0:
            threshold = max(threshold, self._smallest_validation_key)
        for index in range(self.count):
            path = self.work / f"{index:03d}.jsonl"
            with open(path, encoding="utf-8") as handle:
                entries = [json.loads(line) for line in handle]
            entries.sort(key=lambda entry: (entry[0], entry[1]["id"]))
            for _, row in entries:
                (validation if self._validation_key(row) <= threshold else train).write(row)
            path.unlink()


# The output folder (staging, the --out rule, the lock) lives in output_folder.py; re-exported here
# because the build imports it from the writer.


class Outputs:
    """Write stage: one sink per config/split, and the `default` mixture every training row also joins."""

    def __init__(self, staging: Path, seed: int, rows_per_shard: int, tokenizer: str | None):
        self.staging, self.rows_per_shard = staging, rows_per_shard
        self.tokenizer = tokenizer or ""
        self.count_tokens = token_counter(tokenizer)
        self.sinks: dict[tuple[str, str], ShardedParquetSink] = {}
        self.mixture = MixtureBuckets(staging / "_work", seed)

    def sink(self, config: str, split: str = "train") -> ShardedParquetSink:
        key = (config, split)
        if key not in self.sinks:
            self.sinks[key] = ShardedParquetSink(
                self.staging, config, split, self.rows_per_shard, self.count_tokens, self.tokenizer
            )
        return self.sinks[key]

    def emit(self, config: str, row: dict[str, Any]) -> None:
        """A training row goes to its component config and to the default mixture."""
        self.sink(config).write(row)
        self.mixture.add(row)

    def has(self, config: str) -> bool:
        return any(key[0] == config for key in self.sinks)

    def finish(self, validation_fraction: float) -> dict[str, list[str]]:
        """Drain the mixture into `default` (train + validation), close every shard; the files per config/split."""
        if len(self.mixture):
            self.mixture.drain(self.sink("default", "train"), self.sink("default", "validation"), validation_fraction)
        return {f"{config}/{split}": sink.close() for (config, split), sink in sorted(self.sinks.items())}

    def stats(self, files: dict[str, list[str]]) -> dict[str, Any]:
        configs: dict[str, Any] = {}
        for (config, split), sink in sorted(self.sinks.items()):
            configs.setdefault(config, {"splits": {}})["splits"][split] = {
                **sink.stats.to_json(),
                "files": files[f"{config}/{split}"],
            }
        return configs


def token_counter(name: str | None) -> Callable[[list[str]], list[int]] | None:
    """Token lengths with the named tokenizer (loaded once, local files or Hub), or None for the fast proxy."""
    if not name:
        return None
    from transformers import AutoTokenizer

    from agent_flan.core.errors import BadInputError

    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise BadInputError(f"recipe tokenizer {name!r} cannot be loaded: {exc}") from None

    def count(texts: list[str]) -> list[int]:
        return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]

    return count
