"""ToolBench trajectories -> the four ToolBench component configs.

Each trajectory goes to exactly one of `toolbench_react` / `toolbench_tflan` /
`toolbench_tflan_cot` (the release's 10p / 60p / 30p), chosen by a seeded hash of its id so
the assignment does not depend on read order. Every sampled choice (format, key names,
sentences, serialisations, kept losses) comes from an rng seeded by (seed, purpose, id).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from dataset_builder.records import ToolBenchTrajectory, ToolStep
from dataset_builder.transforms.alignment import elicit, render_arguments, render_call
from dataset_builder.transforms.rows import as_function_schema, message, rng_for, row, unit_hash

TFLAN_SYSTEM = "You are a helpful assistant with access to the tools you are given. Call one only when it helps."

# --- toolbench_react: structured step formats, stated in the system prompt -------------------


@dataclass(frozen=True)
class ReactFormat:
    """One structured step format: JSON with chosen key names, or labelled text lines."""

    kind: str  # json | text
    thought: str
    action: str
    arguments: str
    final_action: str

    def spec(self) -> str:
        if self.kind == "json":
            return ("Reply at every step with one JSON object and nothing else:\n```json\n"
                    f'{{"{self.thought}": "<your reasoning>", "{self.action}": "<one API name>", '
                    f'"{self.arguments}": {{<arguments>}}}}\n```\n'
                    f'When you can answer, use "{self.final_action}" as the API with arguments '
                    '{"return_type": "give_answer", "final_answer": "<answer>"}.')
        return ("Reply at every step in the following format:\n"
                f"{self.thought}: <your reasoning>\n{self.action}: <one API name>\n{self.arguments}: <arguments as JSON>\n"
                f"When you can answer, use {self.final_action} as the API with arguments "
                '{"return_type": "give_answer", "final_answer": "<answer>"}.')

    def render(self, thought: str, action: str, arguments: dict[str, Any] | str) -> str:
        if self.kind == "json":
            value: Any = arguments
            if isinstance(arguments, str):
                value = arguments  # invalid JSON from the source stays verbatim, as a string
            return json.dumps({self.thought: thought, self.action: action, self.arguments: value}, ensure_ascii=False)
        text_args = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
        return f"{self.thought}: {thought}\n{self.action}: {action}\n{self.arguments}: {text_args}"


THOUGHT_KEYS = ("thought", "Thought", "goal", "reasoning", "analysis", "think")
ACTION_KEYS = ("action", "Action", "Tool", "tool_name", "API", "name", "Command", "NAME")
ARGUMENT_KEYS = ("action_input", "Action Input", "Arguments", "Args", "Param", "parameters", "params", "input")
FINAL_ACTIONS = ("FinalAction", "Finish", "final_answer", "FinalAnswer")


def react_format(rng: random.Random) -> ReactFormat:
    kind = rng.choice(("json", "text"))
    keys = [rng.choice(THOUGHT_KEYS), rng.choice(ACTION_KEYS), rng.choice(ARGUMENT_KEYS)]
    if len({key.lower() for key in keys}) < 3:  # e.g. "Action" and "action": keep keys distinct
        keys = ["thought", "action", "action_input"]
    return ReactFormat(kind, *keys, rng.choice(FINAL_ACTIONS))


def assign_config(trajectory_id: str, seed: int, split: dict[str, float]) -> str:
    point = unit_hash(seed, "toolbench-split", trajectory_id) * sum(split.values())
    for name, share in split.items():
        if point < share:
            return name
        point -= share
    return next(reversed(split))


def _tools(trajectory: ToolBenchTrajectory) -> list[dict[str, Any]]:
    return [as_function_schema(tool) for tool in trajectory.tools_without_finish]


def _call_arguments(step: ToolStep) -> dict[str, Any] | str:
    """Parsed arguments, or the verbatim text when the source's Action Input is not a JSON object."""
    arguments = step.arguments
    return arguments if arguments is not None else step.action_input


def _api_listing(trajectory: ToolBenchTrajectory) -> str:
    return "\n".join(f"{tool['name']}: {tool['description']}\nInput parameters are as follows: "
                     f"{json.dumps(tool['parameters'], ensure_ascii=False)}" for tool in _tools(trajectory))


def react_row(trajectory: ToolBenchTrajectory, seed: int) -> dict[str, Any]:
    fmt = react_format(rng_for(seed, "react-format", trajectory.id))
    system = (f"Answer the following question as best you can. You have access to the following APIs:\n"
              f"{_api_listing(trajectory)}\n\n{fmt.spec()}")
    messages = [message("system", system), message("user", trajectory.query)]
    for step in trajectory.steps:
        messages.append(message("assistant", fmt.render(step.thought, step.action, _call_arguments(step)), True, "reasoning"))
        messages.append(message("tool", step.observation or ""))
    final = {"return_type": "give_answer", "final_answer": trajectory.final_answer}
    messages.append(message("assistant", fmt.render(trajectory.finish_thought, fmt.final_action, final), True, "answer"))
    return row(trajectory.id, "toolbench", "toolbench", "react", messages, _tools(trajectory))


# --- toolbench_tflan / toolbench_tflan_cot: conversation ----------------------------------------


def tflan_row(trajectory: ToolBenchTrajectory, seed: int, weights: dict[str, float], cot: bool) -> dict[str, Any]:
    """Conversation form. Decomposed (`cot=False`): per step a reasoning turn (the thought), a
    retrieval turn (the sentence naming the tool) and an understanding turn (the arguments), each
    keeping its loss with the capability's weight. `cot=True`: one turn per step, whole thought kept."""
    rng = rng_for(seed, "tflan-cot" if cot else "tflan", trajectory.id)
    messages = [message("system", TFLAN_SYSTEM), message("user", trajectory.query)]
    for step in trajectory.steps:
        arguments = _call_arguments(step)
        if cot:
            call = render_call(rng, step.action, arguments)
            text = f"{step.thought}\n{call}" if step.thought else call
            messages.append(message("assistant", text, True, "reasoning"))
        else:
            parts = [("reasoning", step.thought), ("retrieval", elicit(rng, step.action)),
                     ("understanding", render_arguments(rng, step.action, arguments))]
            for capability, text in parts:
                if text:
                    keep = rng.random() < weights.get(capability, 1.0)
                    messages.append(message("assistant", text, keep, capability))
        messages.append(message("tool", step.observation or ""))
    messages.append(message("assistant", trajectory.final_answer, True, "answer"))
    return row(trajectory.id, "toolbench", "toolbench", "tflan_cot" if cot else "tflan", messages, _tools(trajectory))


# --- toolbench_instruct: format following ---------------------------------------------------------

GOAL_KEYS = ("goal", "thought", "purpose", "reason", "plan")
NAME_KEYS = ("name", "Tool", "NAME", "api", "action", "Command", "function")
ARGS_KEYS = ("args", "Param", "Args", "arguments", "parameters", "Arguments", "params")
STRING_TEMPLATES = (
    ("Goal: <goal>\nAPI: <api name>\nArgs: <arguments as JSON>", "Goal: {goal}\nAPI: {name}\nArgs: {args}"),
    ("Thought: <goal>\nAction: <api name>\nAction Input: <arguments as JSON>", "Thought: {goal}\nAction: {name}\nAction Input: {args}"),
    ("<api name>(<arguments as JSON>) # <goal>", "{name}({args}) # {goal}"),
    ("Call <api name> with <arguments as JSON> because <goal>", "Call {name} with {args} because {goal}"),
)


def instruct_rows(trajectory: ToolBenchTrajectory, seed: int, limit: int) -> list[dict[str, Any]]:
    """Single-turn samples: the system gives one API and a response template (a TypeScript-like
    schema with comments and random key names, or a string template); the user names the call;
    the reply follows the template exactly. JSON : string is 1 : 1 by a seeded hash."""
    schemas = {tool["name"]: tool for tool in _tools(trajectory)}
    rows = []
    for index, step in enumerate(trajectory.steps):
        arguments = step.arguments
        if step.action not in schemas or arguments is None or len(rows) >= limit:
            continue
        sample_id = f"{trajectory.id}_s{index}"
        rng = rng_for(seed, "instruct", sample_id)
        goal = step.thought or f"Call {step.action} to make progress on the user's request."
        spec = json.dumps(schemas[step.action], ensure_ascii=False)
        wanted = json.dumps([f"'{key}' is {json.dumps(value, ensure_ascii=False)}" for key, value in arguments.items()],
                            ensure_ascii=False)
        args_text = json.dumps(arguments, ensure_ascii=False)
        if unit_hash(seed, "instruct-format", sample_id) < 0.5:
            goal_key, name_key, args_key = rng.choice(GOAL_KEYS), rng.choice(NAME_KEYS), rng.choice(ARGS_KEYS)
            template = (f"```\n{{\n    // current thought to solve the problem\n    \"{goal_key}\": string;\n"
                        f"    // api name to call\n    \"{name_key}\": string;\n"
                        f"    // input params required by current action\n    \"{args_key}\": Record<string, any>;\n}}\n```")
            system = (f"You have access to the following API:\n{spec}\nPlease directly generate the response in JSON "
                      f"format. Do NOT add comments (//) in the response.\n{template}")
            keys = [(goal_key, goal), (name_key, step.action), (args_key, arguments)]
            rng.shuffle(keys)
            reply = json.dumps(dict(keys), ensure_ascii=False, indent=4)
            fmt, goal_label = "instruct_json", goal_key
        else:
            shape, filled = rng.choice(STRING_TEMPLATES)
            system = (f"You have access to the following API:\n{spec}\nPlease directly generate the response "
                      f"in exactly this format:\n{shape}")
            reply = filled.format(goal=goal, name=step.action, args=args_text)
            fmt, goal_label = "instruct_str", "goal"
        user = (f"You can input '{goal_label}' with: '{goal}'. Call the function {step.action} with the parameter "
                f"as follows: {wanted}.")
        messages = [message("system", system), message("user", user),
                    message("assistant", reply, True, "instruction")]
        rows.append(row(sample_id, "toolbench", "toolbench", fmt, messages, [schemas[step.action]]))
    return rows
