"""Rows -> trained tokens: load and mix the configs, tokenise with per-turn masks, truncate, pack.

Truncation never drops a sample silently: every row whose trained tokens were all cut off by
`max_length` is counted (and so are rows that had no `loss: true` turn to begin with); the counts
land in the run's logs and `metrics.json`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from agent_flan.core.errors import BadInputError
from agent_flan.core.schema import ROW_FEATURES
from agent_flan.training.config import DataArguments
from agent_flan.training.masks import IGNORE_INDEX, encode_conversation

logger = logging.getLogger(__name__)
MODEL_COLUMNS = ["input_ids", "labels", "capability_ids"]
_STAT_COLUMNS = ["_tokens", "_trained_before", "_trained_after", "_truncated"]


@dataclass
class DataReport:
    """What happened to the rows on the way to the model; written to metrics.json under `data`."""

    dataset: str
    configs: list[str]
    rows_by_config: dict[str, int] = field(default_factory=dict)
    general_rows_available: int = 0
    general_rows_used: int = 0
    rows: int = 0
    dropped_no_trained_turns: int = 0
    dropped_truncated: int = 0
    truncated_kept: int = 0
    trained_tokens_cut: int = 0
    samples: int = 0
    tokens: int = 0
    trained_tokens: int = 0
    max_length: int | None = None
    packing: bool = False
    packed_sequences: int | None = None
    pack_fill: float | None = None  # tokens / (packed sequences x max_length): how full each pack is

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        text = (
            f"{self.samples} samples ({self.tokens} tokens, {self.trained_tokens} trained) from {self.rows} rows; "
            f"dropped {self.dropped_no_trained_turns} with no `loss: true` turn and {self.dropped_truncated} "
            f"whose trained tokens were all cut by max_length={self.max_length}; "
            f"{self.truncated_kept} truncated but kept ({self.trained_tokens_cut} trained tokens cut)"
        )
        if self.packing and self.packed_sequences:
            text += f"; packed into {self.packed_sequences} sequences, {100 * (self.pack_fill or 0):.1f}% full"
        return text


def _load(name: str, config: str | None, split: str):
    import os

    import datasets

    if "/" not in name and not os.path.isdir(name) and not name.startswith(("hf://", "json", "parquet")):
        # A bare name is a folder in the current directory: it cannot be a Hub id (those need org/name),
        # and without this check datasets would silently fall back to a stale cached build of that name.
        raise BadInputError(
            f"dataset {name!r}: no folder {os.path.abspath(name)}; run `agent-flan build` here "
            "(it writes ./agent-flan), or set dataset_name to a folder path or a Hub id (org/name)"
        )
    if "://" not in name and not os.path.exists(name):
        from agent_flan.core.hub import looks_like_path, missing_path_message

        if looks_like_path(name):  # data/missing.jsonl, ./out/agent-flan: a missing path, not a Hub id
            raise BadInputError(
                f"dataset {name!r}: {missing_path_message(name)}; build it with `agent-flan build "
                "--out PATH` or set dataset_name to an existing folder or a Hub id (org/name)"
            )
    try:
        return datasets.load_dataset(name, config, split=split)
    except (FileNotFoundError, ValueError, datasets.exceptions.DatasetNotFoundError) as exc:
        raise BadInputError(
            f"dataset {name!r} config {config!r} split {split!r}: {exc}. Build it with "
            "`agent-flan build` (writes ./agent-flan) or name a Hub id as dataset_name"
        ) from exc
    except ConnectionError as exc:
        raise BadInputError(f"dataset {name!r}: not a local folder and the Hub is unreachable ({exc})") from exc


def _general_rows(spec: str, split: str):
    """A chat dataset (`messages` of role/content, optional loss) in the kit's row schema."""
    name, _, config = spec.partition(":")
    ds = _load(name, config or None, split)
    if "messages" not in ds.column_names:
        raise BadInputError(f"general dataset {spec!r}: needs a `messages` column, has {ds.column_names}")

    def to_row(example: dict[str, Any], index: int) -> dict[str, Any]:
        messages = []
        for message in example["messages"]:
            role = message["role"]
            assistant = role == "assistant"
            loss = message.get("loss")
            content = message.get("content") or ""
            trained = bool(assistant if loss is None else loss and assistant)
            capability = (message.get("capability") or "none") if assistant else ""
            spans = message.get("spans") or (
                [{"start": 0, "end": len(content), "capability": capability, "loss": trained}]
                if assistant and content
                else []
            )
            messages.append(
                {"role": role, "content": content, "loss": trained, "capability": capability, "spans": spans}
            )
        tools = example.get("tools") or "[]"
        return {
            "id": str(example.get("id") or f"general-{index}"),
            "source": "general",
            "task": "chat",
            "format": "chat",
            "messages": messages,
            "tools": tools if isinstance(tools, str) else json.dumps(tools),
            "negative_kind": "",
        }

    return ds.map(to_row, with_indices=True, remove_columns=ds.column_names, features=ROW_FEATURES, desc="general rows")


def load_rows(args: DataArguments, seed: int, split: str | None = None, report: DataReport | None = None):
    """Concatenate the configs named in `args`, add/sample general chat rows, optionally cap the row count."""
    import datasets

    split = split or args.dataset_train_split
    parts = []
    for config in args.dataset_configs:
        ds = _load(args.dataset_name, config, split)
        missing = {"messages", "tools", "format", "source", "id"} - set(ds.column_names)
        if missing:
            raise BadInputError(
                f"dataset {args.dataset_name!r} config {config!r}: missing columns {sorted(missing)}; "
                "is this a folder written by `agent-flan build`?"
            )
        keep = list(ROW_FEATURES)  # the row schema's columns, whatever else a folder holds
        parts.append(ds.select_columns([c for c in keep if c in ds.column_names]))
        if report is not None:
            report.rows_by_config[config] = len(ds)
    rows = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    if args.general_dataset:
        extra = _general_rows(args.general_dataset, split)
        rows = datasets.concatenate_datasets([rows, extra.select_columns(rows.column_names)])

    if args.general_ratio is not None:
        sources = rows["source"]
        general = [i for i, s in enumerate(sources) if s == "general"]
        agent = [i for i, s in enumerate(sources) if s != "general"]
        target = round(args.general_ratio * len(agent))
        if target > len(general):
            logger.warning(
                "general_ratio %.3g asks for %d general rows, only %d available: using all of them",
                args.general_ratio,
                target,
                len(general),
            )
        import random

        chosen = random.Random(seed).sample(general, min(target, len(general)))
        rows = rows.select(sorted(agent + chosen))
        if report is not None:
            report.general_rows_available, report.general_rows_used = len(general), len(chosen)
    elif report is not None:
        report.general_rows_available = report.general_rows_used = sum(1 for s in rows["source"] if s == "general")

    if args.max_train_samples is not None and args.max_train_samples < len(rows):
        rows = rows.shuffle(seed=seed).select(range(args.max_train_samples))
    if report is not None:
        report.rows = len(rows)
    return rows


def tokenize_rows(
    rows,
    tokenizer,
    template: str,
    max_length: int | None,
    render_tools: bool = True,
    num_proc: int | None = None,
    report: DataReport | None = None,
):
    """Rows -> `input_ids`, `labels`, `capability_ids` (keep_start truncation), dropping and counting
    samples with nothing left to train."""

    def encode(example: dict[str, Any]) -> dict[str, Any]:
        encoded = encode_conversation(
            tokenizer,
            template,
            example["messages"],
            example["tools"],
            negative=example.get("format") == "negative",
            render_tools=render_tools,
            row_id=example.get("id", ""),
        )
        ids, labels, groups = encoded.input_ids, encoded.labels, encoded.capability_ids
        trained_before = encoded.trained_tokens
        truncated = max_length is not None and len(ids) > max_length
        if truncated:
            ids, labels, groups = ids[:max_length], labels[:max_length], groups[:max_length]
        trained_after = sum(1 for label in labels[1:] if label != IGNORE_INDEX)
        return {
            "input_ids": ids,
            "labels": labels,
            "capability_ids": groups,
            "_tokens": len(ids),
            "_trained_before": trained_before,
            "_trained_after": trained_after,
            "_truncated": truncated,
        }

    import datasets

    ints = datasets.List(datasets.Value("int64"))
    features = datasets.Features(
        {"input_ids": ints, "labels": ints, "capability_ids": ints}
        | {name: datasets.Value("int64") for name in _STAT_COLUMNS[:3]}
        | {"_truncated": datasets.Value("bool")}
    )
    if len(rows) == 0:  # `map` over no rows returns no columns at all
        encoded = datasets.Dataset.from_dict({name: [] for name in features}, features=features)
    else:
        encoded = rows.map(
            encode,
            remove_columns=rows.column_names,
            features=features,
            num_proc=num_proc,
            desc="tokenising with loss masks",
        )
    before = encoded["_trained_before"]
    after = encoded["_trained_after"]
    truncated = encoded["_truncated"]
    tokens = encoded["_tokens"]
    keep = [i for i, n in enumerate(after) if n > 0]
    if report is not None:
        report.max_length = max_length
        report.dropped_no_trained_turns = sum(1 for n in before if n == 0)
        report.dropped_truncated = sum(1 for b, a in zip(before, after) if b > 0 and a == 0)
        report.truncated_kept = sum(1 for i in keep if truncated[i])
        report.trained_tokens_cut = sum(b - a for b, a in zip(before, after))
        report.samples = len(keep)
        report.tokens = sum(tokens[i] for i in keep)
        report.trained_tokens = sum(after[i] for i in keep)
    if report is not None and report.dropped_truncated:
        logger.warning(
            "%d sample(s) lost every trained token to max_length=%s and were dropped",
            report.dropped_truncated,
            max_length,
        )
    if len(keep) < len(encoded):
        encoded = encoded.select(keep)
    return encoded.remove_columns(_STAT_COLUMNS)


def pack_rows(
    encoded,
    max_length: int,
    strategy: str = "bfd",
    report: DataReport | None = None,
    seed: int = 0,
    shuffle: bool = True,
):
    """Best-fit-decreasing packing (TRL's `pack_dataset`); `seq_lengths` keeps the sequence boundaries."""
    from trl.data_utils import pack_dataset

    if shuffle:
        encoded = encoded.shuffle(seed=seed)
    packed = pack_dataset(encoded.select_columns(MODEL_COLUMNS), max_length, strategy)
    if report is not None:
        report.packing = True
        report.packed_sequences = len(packed)
        report.pack_fill = report.tokens / (len(packed) * max_length) if len(packed) else 0.0
    return packed
