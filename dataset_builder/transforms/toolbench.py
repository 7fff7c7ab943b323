"""ToolBench trajectories -> the four ToolBench component configs.

Each trajectory goes to exactly one of `toolbench_react` / `toolbench_tflan` /
`toolbench_tflan_cot` (the paper's 10 / 60 / 30 split), chosen by a seeded hash of its id
so the assignment does not depend on read order. Instruction-following samples are cut
from single steps of every trajectory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.records import ToolBenchTrajectory, ToolStep
from dataset_builder.transforms.rows import as_function_schema, message, rng_for, row, unit_hash

REACT_FORMAT_NOTE = (
    "At each step, give your thought, then the call, in this format:\n"
    "Thought: <your reasoning>\nAction: <one API name>\nAction Input: <the arguments as a JSON object>\n"
    "When you can answer, call Finish with {\"return_type\": \"give_answer\", \"final_answer\": \"...\"}."
)
ELICITATIONS = (
    "I will use {name}.",
    "Next, I'll call {name}.",
    "To do that, I am going to execute {name}.",
    "The right tool here is {name}.",
)


@dataclass
class ToolBenchOptions:
    split: dict[str, float] = field(default_factory=lambda: {"toolbench_react": 0.1, "toolbench_tflan": 0.6, "toolbench_tflan_cot": 0.3})
    loss_weights: dict[str, float] = field(default_factory=lambda: {"reasoning": 1.0, "retrieval": 0.5, "understanding": 0.7})
    instruct_per_trajectory: int = 2


def assign_config(trajectory_id: str, seed: int, split: dict[str, float]) -> str:
    point = unit_hash(seed, "toolbench-split", trajectory_id) * sum(split.values())
    for name, share in split.items():
        if point < share:
            return name
        point -= share
    return next(reversed(split))


def _tools(trajectory: ToolBenchTrajectory) -> list[dict[str, Any]]:
    return [as_function_schema(tool) for tool in trajectory.tools_without_finish]


def _arguments_text(step: ToolStep) -> str:
    arguments = step.arguments
    return json.dumps(arguments, ensure_ascii=False) if arguments is not None else step.action_input


def _system(trajectory: ToolBenchTrajectory, note: str) -> str:
    listing = "\n".join(f"- {tool['name']}: {tool['description']}" for tool in _tools(trajectory))
    return f"You are a helpful assistant that can call APIs to answer the user's request.\nAvailable APIs:\n{listing}\n\n{note}".strip()


def react_row(trajectory: ToolBenchTrajectory) -> dict[str, Any]:
    messages = [message("system", _system(trajectory, REACT_FORMAT_NOTE)), message("user", trajectory.query)]
    for step in trajectory.steps:
        text = f"Thought: {step.thought}\nAction: {step.action}\nAction Input: {step.action_input}"
        messages.append(message("assistant", text, True, "reasoning"))
        messages.append(message("tool", step.observation or ""))
    finish = json.dumps({"return_type": "give_answer", "final_answer": trajectory.final_answer}, ensure_ascii=False)
    messages.append(message("assistant", f"Thought: {trajectory.finish_thought}\nAction: Finish\nAction Input: {finish}", True, "answer"))
    return row(trajectory.id, "toolbench", "toolbench", "react", messages, _tools(trajectory))


def tflan_row(trajectory: ToolBenchTrajectory, seed: int, weights: dict[str, float], cot: bool) -> dict[str, Any]:
    """Conversation form: thought, then a sentence naming the tool, then the arguments."""
    rng = rng_for(seed, "tflan", trajectory.id)
    messages = [message("system", "You are a helpful assistant with access to the tools below. Call one when it helps."),
                message("user", trajectory.query)]
    for index, step in enumerate(trajectory.steps):
        elicitation = rng.choice(ELICITATIONS).format(name=step.action)
        arguments = f"```json\n{_arguments_text(step)}\n```"
        if cot:
            text = "\n".join(part for part in (step.thought, elicitation, arguments) if part)
            messages.append(message("assistant", text, True, "reasoning"))
        else:
            parts = [("reasoning", step.thought), ("retrieval", elicitation), ("understanding", arguments)]
            for capability, text in parts:
                if text:
                    keep = rng.random() < weights.get(capability, 1.0)
                    messages.append(message("assistant", text, keep, capability))
        messages.append(message("tool", step.observation or ""))
    messages.append(message("assistant", trajectory.final_answer, True, "answer"))
    fmt = "tflan_cot" if cot else "tflan"
    return row(trajectory.id, "toolbench", "toolbench", fmt, messages, _tools(trajectory))


def instruct_rows(trajectory: ToolBenchTrajectory, seed: int, limit: int) -> list[dict[str, Any]]:
    """Single-turn format-following samples: the user names the call, the reply follows a template."""
    schemas = {tool["name"]: tool for tool in _tools(trajectory)}
    rows = []
    for index, step in enumerate(trajectory.steps):
        arguments = step.arguments
        if step.action not in schemas or arguments is None or len(rows) >= limit:
            continue
        sample_id = f"{trajectory.id}_s{index}"
        as_json = unit_hash(seed, "instruct-format", sample_id) < 0.5
        spec = json.dumps(schemas[step.action], ensure_ascii=False)
        wanted = "; ".join(f"'{key}' is {json.dumps(value, ensure_ascii=False)}" for key, value in arguments.items()) or "no parameters"
        user = f"Call the function {step.action} with the parameters as follows: {wanted}."
        if as_json:
            system = (f"You have access to the following API:\n{spec}\nReply only with JSON in this format:\n"
                      '{"name": string, "arguments": object}')
            reply = json.dumps({"name": step.action, "arguments": arguments}, ensure_ascii=False)
            fmt = "instruct_json"
        else:
            system = f"You have access to the following API:\n{spec}\nReply only in this format:\nAPI: <name>\nArgs: <arguments as JSON>"
            reply = f"API: {step.action}\nArgs: {json.dumps(arguments, ensure_ascii=False)}"
            fmt = "instruct_str"
        messages = [message("system", system), message("user", user), message("assistant", reply, True, "instruction")]
        rows.append(row(sample_id, "toolbench", "toolbench", fmt, messages, [schemas[step.action]]))
    return rows
