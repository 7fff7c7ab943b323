"""What the dataset card measures in the Parquet files themselves, not in `build_report.json`.

The report counts rows while the builder writes them; the card re-reads the files so the
numbers it prints (rows, sizes, sequence lengths, Agent-H cells) describe what is actually
shipped. Lengths use a cheap, model-free proxy tokenizer so every build measures the same way:

    PROXY_PATTERN = r"[A-Za-z0-9_]+|[^A-Za-z0-9_ \\t\\n\\r\\f\\v]"

i.e. every run of ASCII letters, digits and underscores is one piece, and every other
non-space character (punctuation, each CJK character, each Malayalam mark) is one piece.
It is not any model's tokenizer: the numbers compare configs and builds with each other and
give a first idea of the `max_length` a run needs; measure with your tokenizer before
choosing one (`agent-flan masks` shows real token counts). It runs in C++
(`pyarrow.compute.count_substring_regex`, RE2): about 20 MB of message text per second on one
core of a busy 2-core machine, so the full 34k-row release-sized mixture adds roughly ten seconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROXY_PATTERN = r"[A-Za-z0-9_]+|[^A-Za-z0-9_ \t\n\r\f\v]"
_PROXY = re.compile(PROXY_PATTERN)
PERCENTILES = (50, 90, 99)
_BATCH_ROWS = 2048


@dataclass
class SplitStats:
    """One config/split as found on disk."""

    rows: int = 0
    files: list[str] = field(default_factory=list)
    file_bytes: int = 0
    arrow_bytes: int = 0
    lengths: list[int] = field(default_factory=list)  # proxy pieces per row: all messages + the tools JSON
    trained_lengths: list[int] = field(default_factory=list)  # proxy pieces in trained spans per row
    cells: Counter = field(default_factory=Counter)  # agent_h only: (situation, prompt_style, should_call) -> rows

    def percentiles(self, values: list[int] | None = None) -> dict[int, int]:
        return percentiles(self.lengths if values is None else values)


def percentiles(values: list[int]) -> dict[int, int]:
    """Nearest-rank percentiles (integers, no interpolation): stable across numpy versions."""
    if not values:
        return {p: 0 for p in PERCENTILES}
    ordered = sorted(values)
    return {p: ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] for p in PERCENTILES}


def _row_sums(counts, parents, rows: int) -> list[int]:
    import numpy as np

    if rows == 0:
        return []
    sums = np.bincount(parents, weights=counts, minlength=rows) if len(parents) else np.zeros(rows)
    return [int(v) for v in sums]


def _batch_stats(batch, stats: SplitStats) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    stats.rows += batch.num_rows
    stats.arrow_bytes += batch.nbytes
    messages = batch.column("messages")
    flat = pc.list_flatten(messages)
    parents = pc.list_parent_indices(messages).to_numpy(zero_copy_only=False)
    content = pc.fill_null(flat.field("content"), "")
    pieces = pc.count_substring_regex(content, pattern=PROXY_PATTERN).to_numpy(zero_copy_only=False)
    trained_mask = pc.fill_null(flat.field("loss"), False).to_numpy(zero_copy_only=False)
    tools = pc.fill_null(batch.column("tools"), "")
    tool_pieces = pc.count_substring_regex(tools, pattern=PROXY_PATTERN).to_numpy(zero_copy_only=False)
    trained_pieces = np.where(trained_mask, pieces, 0)
    if "spans" in flat.type.names:
        # A trained message may hold untrained spans (a step whose tool sentence is off): leave them out.
        spans = flat.field("spans").to_pylist()
        texts = content.to_pylist()
        for index in np.flatnonzero(trained_mask):
            for span in spans[index] or []:
                if not span["loss"]:
                    trained_pieces[index] -= len(_PROXY.findall(texts[index][span["start"] : span["end"]]))
    totals = _row_sums(pieces, parents, batch.num_rows)
    trained = _row_sums(trained_pieces, parents, batch.num_rows)
    stats.lengths.extend(int(a) + int(b) for a, b in zip(totals, tool_pieces, strict=True))
    stats.trained_lengths.extend(trained)
    if "situation" in batch.schema.names:
        table = pa.Table.from_batches([batch]).select(["situation", "prompt_style", "should_call"])
        for situation, style, should in zip(*(table.column(i).to_pylist() for i in range(3)), strict=True):
            stats.cells[(situation, style, bool(should))] += 1


def split_stats(folder: Path, config: str, split: str) -> SplitStats:
    """Rows, sizes and proxy lengths of `data/<config>/<split>-*.parquet` under `folder`."""
    import pyarrow.parquet as pq

    stats = SplitStats()
    for path in sorted((Path(folder) / "data" / config).glob(f"{split}-*.parquet")):
        stats.files.append(path.name)
        stats.file_bytes += path.stat().st_size
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
            _batch_stats(batch, stats)
    return stats


def folder_stats(folder: Path, configs: dict[str, Any]) -> dict[str, dict[str, SplitStats]]:
    """`split_stats` for every config/split the report names."""
    return {
        name: {split: split_stats(folder, name, split) for split in info["splits"]} for name, info in configs.items()
    }
