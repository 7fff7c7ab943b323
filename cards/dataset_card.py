"""The dataset card (`README.md` of the dataset folder), rendered from `build_report.json`.

The YAML block is what `load_dataset` reads (`configs:` with explicit `data_files`, so no
extension vote can pick the wrong builder) and what the Hub shows (`dataset_info`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from huggingface_hub import DatasetCard, DatasetCardData
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from dataset_builder.schema import CONFIGS, features_for

TEMPLATES = Path(__file__).resolve().parent / "templates"
LICENSE_NOTE = ("AgentInstruct declares no licence (a downstream card lists CC-BY-NC-4.0); ToolBench and "
                "glaive-function-calling-v2 are Apache-2.0. Check the sources' terms before commercial use.")


def _configs_yaml(report: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    for name, info in report["configs"].items():
        entry: dict[str, Any] = {"config_name": name}
        if name == "default":
            entry["default"] = True
        entry["data_files"] = [{"split": split, "path": f"data/{name}/{split}-*.parquet"} for split in info["splits"]]
        entries.append(entry)
    return entries


def _size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return label
    return "1M<n<10M"


def card_data(report: dict[str, Any]) -> DatasetCardData:
    total = sum(split["rows"] for info in report["configs"].values() for split in info["splits"].values())
    data = DatasetCardData(
        license="other",
        license_name="mixed-sources",
        license_details=LICENSE_NOTE,
        language=["en"],
        pretty_name="Agent-FLAN (rebuilt)",
        task_categories=["text-generation"],
        tags=["agent", "function-calling", "tool-use", "agent-flan", "hallucination"],
        size_categories=[_size_category(total)],
        configs=_configs_yaml(report),
    )
    infos = DatasetInfosDict()
    for name, info in report["configs"].items():
        splits = SplitDict()
        for split, stats in info["splits"].items():
            splits.add(SplitInfo(name=split, num_examples=stats["rows"], dataset_name="agent-flan"))
        infos[name] = DatasetInfo(features=features_for(name), splits=splits, config_name=name)
    infos.to_dataset_card_data(data)
    return data


def render_dataset_card(report: dict[str, Any], folder: Path | None = None) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True)
    body = env.get_template("dataset_card.md.j2").render(report=report, license_note=LICENSE_NOTE, descriptions={k: v[1] for k, v in CONFIGS.items()})
    card = DatasetCard(f"---\n{card_data(report).to_yaml()}\n---\n{body}")
    return str(card)
