"""The dataset card (`README.md` of the dataset folder), rendered from `build_report.json` and the data files.

The YAML block is what `load_dataset` reads (`configs:` with explicit `data_files`, so no
extension vote can pick the wrong builder) and what the Hub shows (`dataset_info` with the
features and row counts). The prose explains each config with the numbers of *this* build.

Nothing time- or path-dependent goes into the card: the builder renders it inside a staging
folder with a temporary name, and two builds with the same inputs must give the same bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from agent_flan.cards.folder_stats import PERCENTILES, PROXY_PATTERN, SplitStats, folder_stats, percentiles
from agent_flan.cards.rendering import md_cell, render
from agent_flan.cards.upstream import (
    BIBTEX,
    EMBEDDED_TERMS,
    KNOWN_HUB_SOURCES,
    OFFICIAL_RELEASE,
    RELEASE_NEGATIVES,
    RELEASE_TOTAL_ROWS,
    SOURCE_TERMS,
)

PRETTY_NAME = "Agent-FLAN (rebuilt)"
TAGS = ["agent", "function-calling", "tool-use", "agent-flan", "hallucination", "sft", "conversational"]
LICENSE_NAME = "agent-flan-mixed-sources"
MAX_FILES_LISTED = 8
CAPABILITY_ORDER = ("reasoning", "retrieval", "understanding", "instruction", "answer", "none", "mixed")


def _size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return label
    return "1M<n<10M"


def _rows(report: dict[str, Any], config: str) -> int:
    info = report["configs"].get(config)
    return sum(s["rows"] for s in info["splits"].values()) if info else 0


def distinct_rows(report: dict[str, Any]) -> int:
    """Rows a user downloads once: the mixture already holds every component, so count it plus agent_h."""
    if "default" in report["configs"]:
        return _rows(report, "default") + _rows(report, "agent_h")
    return sum(_rows(report, name) for name in report["configs"])


def source_terms(report: dict[str, Any]) -> list[dict[str, str]]:
    """Each input's terms: embedded samples are the kit's own; real sources carry theirs."""
    rows = []
    for name, source in report["inputs"].items():
        licence, text = (
            EMBEDDED_TERMS if source["origin"] == "embedded" else SOURCE_TERMS.get(name, (None, "unknown terms"))
        )
        rows.append({"source": name, "origin": source["origin"], "licence": licence or "unclear", "terms": text})
    return rows


def licence_metadata(report: dict[str, Any]) -> dict[str, Any]:
    """`license: apache-2.0` only when every input is; otherwise `other`, with the reason in `license_details`."""
    terms = source_terms(report)
    unclear = [t["source"] for t in terms if t["licence"] != "apache-2.0"]
    if not unclear:
        return {"license": "apache-2.0"}
    details = (
        f"Mixed sources; terms unclear for: {', '.join(unclear)}. "
        + (
            "AgentInstruct declares no licence (a downstream card lists CC-BY-NC-4.0): treat as possibly "
            "non-commercial. "
            if any(u in ("agentinstruct", "release") for u in unclear)
            else ""
        )
        + "ToolBench and glaive-function-calling-v2 are Apache-2.0. See the Licence section of README.md."
    )
    return {"license": "other", "license_name": LICENSE_NAME, "license_link": "README.md", "license_details": details}


def _configs_yaml(report: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    for name, info in report["configs"].items():
        entry: dict[str, Any] = {"config_name": name}
        if name == "default":
            entry["default"] = True
        entry["data_files"] = [{"split": split, "path": f"data/{name}/{split}-*.parquet"} for split in info["splits"]]
        entries.append(entry)
    return entries


def card_data(report: dict[str, Any], stats: dict[str, dict[str, SplitStats]] | None = None):
    """The YAML metadata: licence, tasks, size, `configs:` and `dataset_info:` (features + row counts)."""
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from huggingface_hub import DatasetCardData

    from agent_flan.core.schema import features_for

    sources = sorted(
        {
            KNOWN_HUB_SOURCES[name]
            for name, source in report["inputs"].items()
            if source["origin"] == "hub" and name in KNOWN_HUB_SOURCES
        }
    )
    data = DatasetCardData(
        **licence_metadata(report),
        language=["en"],
        pretty_name=PRETTY_NAME,
        task_categories=["text-generation"],
        size_categories=[_size_category(distinct_rows(report))],
        source_datasets=sources or None,
        tags=TAGS,
        configs=_configs_yaml(report),
    )
    infos = DatasetInfosDict()
    for name, info in report["configs"].items():
        splits = SplitDict(dataset_name="agent-flan")
        download = size = 0
        for split, split_report in info["splits"].items():
            measured = stats[name][split] if stats else None
            num_bytes = measured.arrow_bytes if measured else 0
            splits.add(
                SplitInfo(name=split, num_bytes=num_bytes, num_examples=split_report["rows"], dataset_name="agent-flan")
            )
            download += measured.file_bytes if measured else 0
            size += num_bytes
        infos[name] = DatasetInfo(
            features=features_for(name),
            splits=splits,
            config_name=name,
            download_size=download or None,
            dataset_size=size or None,
        )
    infos.to_dataset_card_data(data)
    return data


def check_counts(report: dict[str, Any], stats: dict[str, dict[str, SplitStats]]) -> None:
    """The card must never state a row count the files do not hold."""
    for name, info in report["configs"].items():
        for split, split_report in info["splits"].items():
            found = stats[name][split].rows
            if found != split_report["rows"]:
                raise ValueError(
                    f"build_report.json says {split_report['rows']} rows for {name}/{split}, "
                    f"but data/{name}/{split}-*.parquet hold {found}"
                )


def _fingerprint(files: list[dict[str, Any]]) -> str:
    """One sha256 over (path, sha256) of every input file: two builds from the same bytes share it."""
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda f: f["path"]):
        digest.update(f"{item['path']}\t{item['sha256']}\n".encode())
    return digest.hexdigest()


def _lengths(stats: SplitStats | None) -> dict[str, Any] | None:
    if stats is None or not stats.rows:
        return None
    all_p = percentiles(stats.lengths)
    trained_p = percentiles(stats.trained_lengths)
    return {
        "all": [all_p[p] for p in PERCENTILES],
        "trained": [trained_p[p] for p in PERCENTILES],
        "max": max(stats.lengths),
        "total": sum(stats.lengths),
    }


def _config_context(
    name: str, info: dict[str, Any], report: dict[str, Any], stats: dict[str, dict[str, SplitStats]] | None
) -> dict[str, Any]:
    from agent_flan.core.schema import CONFIGS

    splits = []
    totals: dict[str, Any] = {"rows": 0, "assistant_turns": 0, "trained_turns": 0, "rows_with_tools": 0}
    caps: dict[str, list[int]] = {}
    formats: dict[str, int] = {}
    tokens: dict[str, Any] = {"total": 0, "counter": None, "trained_by_capability": {}}
    characters: dict[str, list[int]] = {}
    for split, s in info["splits"].items():
        splits.append(
            {
                "name": split,
                "rows": s["rows"],
                "files": len(s.get("files", [])),
                "lengths": _lengths(stats[name][split] if stats else None),
            }
        )
        for key in totals:
            totals[key] += s.get(key, 0)
        for cap, n in s.get("assistant_turns_by_capability", {}).items():
            caps.setdefault(cap, [0, 0])[0] += n
        for cap, n in s.get("trained_turns_by_capability", {}).items():
            caps.setdefault(cap, [0, 0])[1] += n
        for fmt, n in s.get("rows_by_format", {}).items():
            formats[fmt] = formats.get(fmt, 0) + n
        for cap, n in s.get("characters_by_capability", {}).items():
            characters.setdefault(cap, [0, 0])[0] += n
        for cap, n in s.get("trained_characters_by_capability", {}).items():
            characters.setdefault(cap, [0, 0])[1] += n
        if isinstance(s.get("tokens"), int):  # counted by the builder (recipe tokenizer, else characters / 4)
            tokens["total"] += s["tokens"]
            tokens["counter"] = s.get("token_counter") or "the builder's counter"
            for cap, n in s.get("trained_tokens_by_capability", {}).items():
                tokens["trained_by_capability"][cap] = tokens["trained_by_capability"].get(cap, 0) + n
    ordered_caps = [(cap, *caps[cap]) for cap in CAPABILITY_ORDER if cap in caps]
    ordered_caps += [(cap, *counts) for cap, counts in sorted(caps.items()) if cap not in CAPABILITY_ORDER]
    trained_tokens = tokens["trained_by_capability"]
    tokens["trained_by_capability"] = [
        (cap, trained_tokens[cap]) for cap in CAPABILITY_ORDER if cap in trained_tokens
    ] + [(cap, n) for cap, n in sorted(trained_tokens.items()) if cap not in CAPABILITY_ORDER]
    official = OFFICIAL_RELEASE.get(name)
    return {
        "name": name,
        "description": CONFIGS[name][1] if name in CONFIGS else "",
        "splits": splits,
        **totals,
        "capabilities": ordered_caps,
        # (capability, all characters, trained characters): the spans inside assistant messages
        "span_characters": [(cap, *characters[cap]) for cap in CAPABILITY_ORDER if cap in characters],
        "formats": sorted(formats.items()),
        "tokens": tokens if tokens["counter"] else None,
        "official": official,
    }


def _agent_h_cells(stats: dict[str, dict[str, SplitStats]] | None) -> list[dict[str, Any]] | None:
    from agent_flan.core.schema import PROMPT_STYLES, SITUATIONS

    if not stats or "agent_h" not in stats:
        return None
    cells: dict[tuple, int] = {}
    for split_stats in stats["agent_h"].values():
        for key, n in split_stats.cells.items():
            cells[key] = cells.get(key, 0) + n
    rows = []
    for situation in SITUATIONS:
        counts = {
            style: sum(n for (s, p, _), n in cells.items() if s == situation and p == style) for style in PROMPT_STYLES
        }
        should = sorted({c for (s, _, c) in cells if s == situation})
        rows.append(
            {"situation": situation, **counts, "should_call": " / ".join("yes" if c else "no" for c in should) or "—"}
        )
    return rows


def context(
    report: dict[str, Any], stats: dict[str, dict[str, SplitStats]] | None, repo_id: str | None = None
) -> dict[str, Any]:
    """Everything the template prints, computed here so the template only lays it out."""
    configs = [_config_context(name, info, report, stats) for name, info in report["configs"].items()]
    by_name = {c["name"]: c for c in configs}
    default = by_name.get("default")
    negatives_in_default = dict(default["formats"]).get("negative", 0) if default else 0
    negative_cfg = by_name.get("toolbench_negative")
    inputs = []
    for name, source in report["inputs"].items():
        files = source["files"]
        inputs.append(
            {
                "name": name,
                "origin": source["origin"],
                "spec": source["spec"],
                "count": len(files),
                "bytes": sum(f["bytes"] for f in files),
                "fingerprint": _fingerprint(files),
                "files": files[:MAX_FILES_LISTED],
                "more": max(0, len(files) - MAX_FILES_LISTED),
            }
        )
    origins = {source["origin"] for source in report["inputs"].values()}
    return {
        "report": report,
        "recipe": report["recipe"],
        "configs": configs,
        "by_name": by_name,
        "inputs": inputs,
        "all_embedded": origins == {"embedded"},
        "any_embedded": "embedded" in origins,
        "embedded_names": [n for n, s in report["inputs"].items() if s["origin"] == "embedded"],
        "from_release": "release" in report["inputs"],
        "distinct_rows": distinct_rows(report),
        "negatives": {
            "in_default": negatives_in_default,
            "default_rows": default["rows"] if default else 0,
            "rows": negative_cfg["rows"] if negative_cfg else 0,
            "with_tools": negative_cfg["rows_with_tools"] if negative_cfg else 0,
            "by_kind": (report.get("negatives") or {}).get("by_kind", {}),
            "release": RELEASE_NEGATIVES,
            "release_total": RELEASE_TOTAL_ROWS,
        },
        "general_rows": report.get("general_rows_in_default", 0),
        "agent_h": report.get("agent_h") or {},
        "agent_h_cells": _agent_h_cells(stats),
        "measured": stats is not None,
        "percentiles": PERCENTILES,
        "proxy_pattern": PROXY_PATTERN,
        "terms": source_terms(report),
        "licence": licence_metadata(report),
        "repo_id": repo_id,
        "load_id": repo_id or "agent-flan",
        "bibtex": BIBTEX,
        "cell": md_cell,
    }


def render_dataset_card(report: dict[str, Any], folder: Path | None = None, repo_id: str | None = None) -> str:
    """The full README.md. With `folder`, the files are re-read: counts checked, lengths and sizes measured."""
    from huggingface_hub import DatasetCard

    stats = folder_stats(Path(folder), report["configs"]) if folder is not None else None
    if stats is not None:
        check_counts(report, stats)
    body = render("dataset_card.md.j2", **context(report, stats, repo_id))
    card = DatasetCard(f"---\n{card_data(report, stats).to_yaml()}\n---\n{body}")
    return str(card)
