"""Build recipe: every ratio, count and seed of the mixture in one dataclass, loadable from YAML."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent_flan.core.errors import BadInputError
from agent_flan.core.schema import NEGATIVE_KINDS

DEFAULT_RECIPE = Path(__file__).resolve().parent / "recipes" / "agent_flan.yaml"


@dataclass
class BuildRecipe:
    seed: int = 0
    # Share of ToolBench trajectories per format (Agent-FLAN release: 10p / 60p / 30p).
    toolbench_split: dict[str, float] = field(
        default_factory=lambda: {"toolbench_react": 0.1, "toolbench_tflan": 0.6, "toolbench_tflan_cot": 0.3}
    )
    # Probability that a decomposed turn keeps its loss, by capability (release file name r10r5u7).
    loss_weights: dict[str, float] = field(
        default_factory=lambda: {"reasoning": 1.0, "retrieval": 0.5, "understanding": 0.7}
    )
    # Share of toolbench_tflan / agent_instruct_tflan trajectories whose calls stay in the sentence
    # (no code block); the rest use one fenced serialisation for the whole trajectory.
    inline_call_share: float = 0.33
    instruct_count: int = 3000
    negative_count: int = 761
    # Target share of each negative kind (App. C); each must be within 0.3-0.7.
    negative_kinds: dict[str, float] = field(default_factory=lambda: {"tool_request": 0.5, "chat_with_tools": 0.5})
    agent_h_conversations: int = 1000
    general_fraction: float = 1.0
    validation_fraction: float = 0.02
    rows_per_shard: int = 50_000
    # Tokenizer (Hub id or local folder) for the report's token counts; empty: characters / 4.
    tokenizer: str | None = None

    @classmethod
    def load(cls, path: Path | None) -> BuildRecipe:
        if path is None:
            return cls()
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise BadInputError(f"--recipe {path}: cannot read YAML: {exc}") from None
        if not isinstance(data, dict):
            raise BadInputError(f"--recipe {path}: expected a mapping of recipe fields")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise BadInputError(
                f"--recipe {path}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        recipe = cls(**data)
        recipe.check(str(path))
        return recipe

    def check(self, origin: str) -> None:
        if abs(sum(self.toolbench_split.values()) - 1.0) > 1e-6:
            raise BadInputError(f"{origin}: toolbench_split shares must add up to 1")
        if set(self.negative_kinds) != set(NEGATIVE_KINDS) or abs(sum(self.negative_kinds.values()) - 1.0) > 1e-6:
            raise BadInputError(
                f"{origin}: negative_kinds must give a share to each of {', '.join(NEGATIVE_KINDS)}, adding up to 1"
            )
        for name, value in self.negative_kinds.items():
            if not 0.3 <= float(value) <= 0.7:
                raise BadInputError(f"{origin}: negative_kinds.{name} must be between 0.3 and 0.7, got {value}")
        for name, value in {
            **self.loss_weights,
            "inline_call_share": self.inline_call_share,
            "general_fraction": self.general_fraction,
            "validation_fraction": self.validation_fraction,
        }.items():
            if not 0.0 <= float(value) <= 1.0:
                raise BadInputError(f"{origin}: {name} must be between 0 and 1, got {value}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)
