"""AgentInstruct trajectories -> `agent_instruct_react` (native) rows.

The aligned `agent_instruct_tflan` rendering lives in `alignment.py`; here the source
turns are kept as they are, with AgentInstruct's loss flags preserved exactly.
"""

from __future__ import annotations

from typing import Any

from dataset_builder.records import AgentInstructRecord
from dataset_builder.transforms.react_parsing import parse_agentinstruct_turn
from dataset_builder.transforms.rows import message, row


def is_final_turn(task: str, content: str) -> bool:
    """The turn that ends the episode, by the same grammar the aligned rendering uses."""
    parsed = parse_agentinstruct_turn(task, content)
    return parsed is not None and parsed.final


def react_row(record: AgentInstructRecord) -> dict[str, Any]:
    messages = []
    for turn in record.turns:
        trained = turn.role == "assistant" and bool(turn.loss)
        capability = ("answer" if is_final_turn(record.task, turn.content) else "reasoning") if trained else "none"
        messages.append(message(turn.role, turn.content, trained, capability))
    return row(record.id, "agentinstruct", record.task, "react", messages)
