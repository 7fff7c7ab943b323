"""`agent-flan validate DIR`: the folder's card, files and every row against the schema's invariants.

Reads Parquet with pyarrow directly (no `datasets` cache is written) and lists every
violation instead of stopping at the first one: an unreadable shard is one violation (with the
reason) and the other checks go on. `validate_folder` collects everything in one list, so further
checks append to it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from agent_flan.core.schema import CAPABILITIES, PROMPT_STYLES, ROLES, SITUATIONS, features_for
from agent_flan.dataset_builder.invariants import folder_invariants, row_invariants

MAX_LISTED = 200


def _front_matter(readme: Path) -> dict[str, Any]:
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise ValueError("README.md has no YAML front matter")
    parts = text.split("---", 2)
    if len(parts) < 3:
        raise ValueError("README.md front matter has no closing '---' line")
    block = parts[1]
    data = yaml.safe_load(block)
    if not isinstance(data, dict):
        raise ValueError("README.md front matter is not a mapping")
    return data


def _tool_problem(tools_text: str) -> str | None:
    try:
        tools = json.loads(tools_text)
    except json.JSONDecodeError as exc:
        return f"tools is not JSON ({exc.msg})"
    if not isinstance(tools, list):
        return "tools is not a JSON list"
    for index, tool in enumerate(tools):
        function = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
            return f"tools[{index}] is not a function schema with a name"
        if "parameters" in function and not isinstance(function["parameters"], dict):
            return f"tools[{index}].parameters is not an object"
    return None


def row_problems(config: str, row: dict[str, Any]) -> Iterator[str]:
    """Every invariant a row of `config` breaks, as readable sentences."""
    messages = row.get("messages") or []
    if not messages:
        yield "no messages"
    for index, msg in enumerate(messages):
        role = msg.get("role")
        if role not in ROLES:
            yield f"messages[{index}]: invalid role {role!r}"
        if msg.get("loss") and role != "assistant":
            yield f"messages[{index}]: loss is true on a {role} turn"
        if role == "assistant":
            if not (msg.get("content") or "").strip():
                yield f"messages[{index}]: empty assistant content"
            if msg.get("capability") not in CAPABILITIES:
                yield f"messages[{index}]: invalid capability {msg.get('capability')!r}"
        elif msg.get("capability"):
            yield f"messages[{index}]: capability set on a {role} turn"
    if config != "agent_h" and not any(m.get("loss") for m in messages):
        yield "no trained assistant turn"
    problem = _tool_problem(row.get("tools", ""))
    if problem:
        yield problem
    if config == "agent_h":
        if row.get("situation") not in SITUATIONS:
            yield f"invalid situation {row.get('situation')!r}"
        if row.get("prompt_style") not in PROMPT_STYLES:
            yield f"invalid prompt_style {row.get('prompt_style')!r}"
        # should_call with an empty expected_tool is a relevance item: any call counts, as the judge and
        # BFCL's live_relevance treat it (evaluation/judge.py), so it is valid.
    yield from row_invariants(config, row)  # what the data teaches (dataset_builder/invariants.py)


def validate_folder(folder: Path) -> list[str]:
    """All violations found in `folder` (empty list: valid)."""
    folder = Path(folder)
    problems: list[str] = []
    readme = folder / "README.md"
    if not readme.is_file():
        return [f"{readme}: missing (the card declares the configs)"]
    try:
        meta = _front_matter(readme)
    except (ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [f"{readme}: {exc}"]
    declared_rows = {
        (info.get("config_name"), split.get("name")): split.get("num_examples")
        for info in _mappings(meta.get("dataset_info"))
        for split in _mappings(info.get("splits"))
    }
    configs = meta.get("configs") or []
    if not isinstance(configs, list) or not configs:
        problems.append(f"{readme}: no 'configs:' list in the front matter")
        configs = []
    declared_configs: set[str] = set()
    checked: dict[str, list[Path]] = {}  # "config/split" -> shards, for the checks across rows
    for entry in configs:
        if not isinstance(entry, dict) or not isinstance(entry.get("config_name"), str):
            problems.append(f"{readme}: configs entry {entry!r} has no config_name")
            continue
        name = entry["config_name"]
        declared_configs.add(name)
        for spec in _mappings(entry.get("data_files")):
            split, pattern = spec.get("split"), spec.get("path")
            where = f"{name}/{split}"
            outside = _outside(folder, pattern)
            if outside:
                problems.append(f"{where}: data_files path {pattern!r} {outside}")
                continue
            files = sorted(folder.glob(pattern))
            escaped = [path for path in files if not _inside(folder, path)]
            if escaped:
                problems.append(
                    f"{where}: data_files path {pattern!r} reaches outside the folder through a link "
                    f"({escaped[0].relative_to(folder).as_posix()})"
                )
                continue
            if not files:
                problems.append(f"{where}: no files match {pattern!r}")
                continue
            problems.extend(_check_split(name, split, files, declared_rows.get((name, split)), folder))
            checked[f"{name}/{split}"] = files
    problems.extend(_undeclared_configs(folder, declared_configs, readme))
    problems.extend(folder_invariants(checked))
    return problems


def _mappings(value: Any) -> list[dict[str, Any]]:
    """The dict items of a YAML list (anything else in the card is ignored here, never a crash)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _outside(folder: Path, pattern: Any) -> str | None:
    """Why a card's data_files path cannot be read from inside `folder` (None when it can)."""
    if not isinstance(pattern, str) or not pattern.strip():
        return "is not a path"
    if pattern.startswith(("/", "\\")) or (len(pattern) > 1 and pattern[1] == ":") or "://" in pattern:
        return "points outside the folder (an absolute path or URL); use a path relative to the folder"
    if ".." in Path(pattern).parts:
        return "points outside the folder ('..'); use a path relative to the folder"
    return None


def _inside(folder: Path, path: Path) -> bool:
    root = folder.resolve()
    resolved = path.resolve()
    return resolved == root or root in resolved.parents


def _undeclared_configs(folder: Path, declared: set[str], readme: Path) -> list[str]:
    """Config folders in data/ that the card's `configs:` does not list (load_dataset never sees them)."""
    data = folder / "data"
    if not data.is_dir():
        return []
    return [
        f"data/{entry.name}: config folder not declared in the card's configs: ({readme.name})"
        for entry in sorted(os.scandir(data), key=lambda e: e.name)
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in declared
    ]


def _check_split(config: str, split: str, files: list[Path], declared: int | None, folder: Path) -> list[str]:
    problems: list[str] = []
    expected_schema = features_for(config).arrow_schema
    seen: set[str] = set()
    rows = 0
    unreadable = False
    for path in files:
        relative = path.relative_to(folder).as_posix()
        try:
            parquet = pq.ParquetFile(path)
            schema = parquet.schema_arrow
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid/ArrowIOError derive from these
            problems.append(f"{relative}: not a readable Parquet file ({_arrow_reason(path, exc)})")
            unreadable = True
            continue
        if not schema.remove_metadata().equals(expected_schema.remove_metadata()):
            problems.append(f"{relative}: columns/types differ from the {config} schema")
            continue
        try:
            for batch in parquet.iter_batches(batch_size=512):
                for row in batch.to_pylist():
                    rows += 1
                    row_id = row.get("id")
                    if row_id in seen:
                        problems.append(f"{relative}: duplicate id {row_id!r} in {config}/{split}")
                    seen.add(row_id)
                    for problem in row_problems(config, row):
                        if len(problems) < MAX_LISTED:
                            problems.append(f"{relative}: row id {row_id!r}: {problem}")
        except (OSError, ValueError) as exc:
            problems.append(f"{relative}: damaged Parquet data after {rows} rows ({_arrow_reason(path, exc)})")
            unreadable = True
    if unreadable:
        return problems  # the row count of an unreadable shard is unknown: no count comparison
    if declared is not None and declared != rows:
        problems.append(f"{config}/{split}: card says {declared} rows, files hold {rows}")
    if declared is None:
        problems.append(f"{config}/{split}: no row count in the card's dataset_info")
    return problems


def _arrow_reason(path: Path, exc: Exception) -> str:
    """Arrow's message, made short: a zero-byte file says so; the rest is the first line of Arrow's text."""
    try:
        if path.stat().st_size == 0:
            return "the file is empty (0 bytes)"
    except OSError:
        pass
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return reason.replace(str(path), "").replace("''", "").strip(" :.") or type(exc).__name__
