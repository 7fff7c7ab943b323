"""AgentInstruct trajectories -> `agent_instruct_react` (native) rows.

The aligned `agent_instruct_tflan` rendering lives in `alignment.py`; here the source
turns are kept as they are, with AgentInstruct's loss flags preserved exactly.
"""

from __future__ import annotations

from typing import Any

from dataset_builder.records import AgentInstructRecord
from dataset_builder.transforms.rows import message, row

_FINAL_MARKERS = ("Final Answer:", "Act: answer(", "Act: finish", "Answer:")


def is_final_turn(task: str, content: str) -> bool:
    """The turn that ends the episode: answer for db/kg/os; the only turn for mind2web."""
    if task == "mind2web":
        return True
    return any(marker in content for marker in _FINAL_MARKERS[:3])


def react_row(record: AgentInstructRecord) -> dict[str, Any]:
    messages = []
    for turn in record.turns:
        trained = turn.role == "assistant" and bool(turn.loss)
        capability = ("answer" if is_final_turn(record.task, turn.content) else "reasoning") if trained else "none"
        messages.append(message(turn.role, turn.content, trained, capability))
    return row(record.id, "agentinstruct", record.task, "react", messages)
