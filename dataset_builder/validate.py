"""`agent-flan validate DIR`: the folder's card, files and every row against the schema's invariants.

Reads Parquet with pyarrow directly (no `datasets` cache is written) and lists every
violation instead of stopping at the first one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from dataset_builder.schema import CAPABILITIES, PROMPT_STYLES, ROLES, SITUATIONS, features_for

MAX_LISTED = 200


def _front_matter(readme: Path) -> dict[str, Any]:
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise ValueError("README.md has no YAML front matter")
    _, block, _ = text.split("---", 2)
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
        if row.get("should_call") and not row.get("expected_tool"):
            yield "should_call is true but expected_tool is empty"


def validate_folder(folder: Path) -> list[str]:
    """All violations found in `folder` (empty list: valid)."""
    folder = Path(folder)
    problems: list[str] = []
    readme = folder / "README.md"
    if not readme.is_file():
        return [f"{readme}: missing (the card declares the configs)"]
    try:
        meta = _front_matter(readme)
    except (ValueError, yaml.YAMLError) as exc:
        return [f"{readme}: {exc}"]
    declared_rows = {
        (info.get("config_name"), split.get("name")): split.get("num_examples")
        for info in meta.get("dataset_info") or [] for split in info.get("splits") or []
    }
    configs = meta.get("configs") or []
    if not configs:
        problems.append(f"{readme}: no 'configs:' in the front matter")
    for entry in configs:
        name = entry.get("config_name")
        for spec in entry.get("data_files") or []:
            split, pattern = spec.get("split"), spec.get("path")
            files = sorted(folder.glob(pattern)) if isinstance(pattern, str) else []
            where = f"{name}/{split}"
            if not files:
                problems.append(f"{where}: no files match {pattern!r}")
                continue
            problems.extend(_check_split(name, split, files, declared_rows.get((name, split)), folder))
    return problems


def _check_split(config: str, split: str, files: list[Path], declared: int | None, folder: Path) -> list[str]:
    problems: list[str] = []
    expected_schema = features_for(config).arrow_schema
    seen: set[str] = set()
    rows = 0
    for path in files:
        relative = path.relative_to(folder).as_posix()
        parquet = pq.ParquetFile(path)
        if not parquet.schema_arrow.remove_metadata().equals(expected_schema.remove_metadata()):
            problems.append(f"{relative}: columns/types differ from the {config} schema")
            continue
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
    if declared is not None and declared != rows:
        problems.append(f"{config}/{split}: card says {declared} rows, files hold {rows}")
    if declared is None:
        problems.append(f"{config}/{split}: no row count in the card's dataset_info")
    return problems
