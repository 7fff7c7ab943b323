"""ToolBench trajectories -> the four ToolBench component configs.

Each trajectory goes to exactly one of `toolbench_react` / `toolbench_tflan` /
`toolbench_tflan_cot` (the release's 10p / 60p / 30p), chosen by a seeded hash of its id so
the assignment does not depend on read order. Every sampled choice (format, key names,
sentences, serialisations, kept losses) comes from an rng seeded by (seed, purpose, id).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from agent_flan.core.prompts import TOOL_CHAT_SYSTEMS
from agent_flan.core.toolcalls.language import choose_serialiser
from agent_flan.dataset_builder.records import ToolBenchTrajectory, ToolStep
from agent_flan.dataset_builder.transforms.rows import (
    as_function_schema,
    message,
    rng_for,
    row,
    step_message,
    unit_hash,
)
from agent_flan.dataset_builder.transforms.steps import always, answer_step, call_step, never, weighted

# ToolBench's own finishing function (rapidapi.py), used under the name a react format gives it.
FINISH_SCHEMA = {
    "description": "If you believe that you have obtained a result that can answer the task, please call this "
    "function to provide the final answer. Remember: you must ALWAYS call this function at the end "
    "of your attempt, and the only part that will be shown to the user is the final answer.",
    "parameters": {
        "type": "object",
        "properties": {
            "return_type": {"type": "string", "enum": ["give_answer", "give_up_and_restart"]},
            "final_answer": {"type": "string", "description": "The final answer you want to give the user."},
        },
        "required": ["return_type"],
    },
}


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
            return (
                "Reply at every step with one JSON object and nothing else:\n```json\n"
                f'{{"{self.thought}": "<your reasoning>", "{self.action}": "<one API name>", '
                f'"{self.arguments}": {{<arguments>}}}}\n```\n'
                f'"{self.thought}" may be left out when there is nothing to reason about. '
                f'When you can answer, use "{self.final_action}" as the API with arguments '
                '{"return_type": "give_answer", "final_answer": "<answer>"}.'
            )
        return (
            "Reply at every step in the following format:\n"
            f"{self.thought}: <your reasoning>\n{self.action}: <one API name>\n{self.arguments}: <arguments as JSON>\n"
            f"The {self.thought} line may be left out when there is nothing to reason about. "
            f"When you can answer, use {self.final_action} as the API with arguments "
            '{"return_type": "give_answer", "final_answer": "<answer>"}.'
        )

    def parts(self, thought: str, action: str, arguments: dict[str, Any] | str) -> list[tuple[str, str]]:
        """(text, capability) pieces of one step; they concatenate to what the format prescribes, and
        each piece starts at its separator (", " or a newline), so span boundaries fall between tokens.

        JSON: exactly `json.dumps` of {thought, action, arguments} (invalid-JSON arguments from the
        source stay verbatim as a string value); an empty thought leaves the key out."""
        if self.kind == "json":
            dumps = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
            head = f"{dumps(self.action)}: {dumps(action)}"
            pieces = (
                [(f"{{{dumps(self.thought)}: {dumps(thought)}", "reasoning"), (", " + head, "retrieval")]
                if thought
                else [("{" + head, "retrieval")]
            )
            pieces.append((f", {dumps(self.arguments)}: {dumps(arguments)}}}", "understanding"))
            return pieces
        text_args = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
        head = f"{self.action}: {action}"
        pieces = (
            [(f"{self.thought}: {thought}", "reasoning"), ("\n" + head, "retrieval")]
            if thought
            else [(head, "retrieval")]
        )
        return pieces + [(f"\n{self.arguments}: {text_args}", "understanding")]

    def render(self, thought: str, action: str, arguments: dict[str, Any] | str) -> str:
        return "".join(text for text, _ in self.parts(thought, action, arguments))


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


def offered_names(trajectory: ToolBenchTrajectory) -> frozenset[str]:
    return frozenset(str(tool.get("name", "")) for tool in trajectory.tools_without_finish)


def _call_arguments(step: ToolStep) -> dict[str, Any] | str:
    """Parsed arguments, or the verbatim text when the source's Action Input is not a JSON object."""
    arguments = step.arguments
    return arguments if arguments is not None else step.action_input


def _api_listing(tools: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{tool['name']}: {tool['description']}\nInput parameters are as follows: "
        f"{json.dumps(tool['parameters'], ensure_ascii=False)}"
        for tool in tools
    )


def step_counts(trajectory: ToolBenchTrajectory) -> Counter:
    """What the report says about a trajectory's steps: how many, how many without a thought, and
    how many call a tool that was not offered (ToolBench's `invalid_hallucination_function_name`,
    or any name outside the API list): those are kept as untrained context, never trained."""
    offered = offered_names(trajectory)
    return Counter(
        steps=len(trajectory.steps),
        empty_thoughts=sum(not s.thought for s in trajectory.steps),
        calls_to_unknown_tools=sum(s.action not in offered for s in trajectory.steps),
    )


def react_row(trajectory: ToolBenchTrajectory, seed: int) -> dict[str, Any]:
    fmt = react_format(rng_for(seed, "react-format", trajectory.id))
    offered = offered_names(trajectory)
    # The finishing call is a call like any other: the row offers it under the format's name.
    tools = _tools(trajectory) + [{"name": fmt.final_action, **FINISH_SCHEMA}]
    system = (
        f"Answer the following question as best you can. You have access to the following APIs:\n"
        f"{_api_listing(tools)}\n\n{fmt.spec()}"
    )
    messages = [message("system", system), message("user", trajectory.query)]
    for step in trajectory.steps:
        trained = step.action in offered
        pieces = fmt.parts(step.thought, step.action, _call_arguments(step))
        messages.append(step_message([(text, capability, trained) for text, capability in pieces]))
        messages.append(message("tool", step.observation or ""))
    final = {"return_type": "give_answer", "final_answer": trajectory.final_answer}
    pieces = fmt.parts(trajectory.finish_thought, fmt.final_action, final)
    messages.append(
        step_message(
            [(text, "reasoning" if capability == "reasoning" else "answer", True) for text, capability in pieces]
        )
    )
    return row(trajectory.id, "toolbench", "toolbench", "react", messages, tools)


# --- toolbench_tflan / toolbench_tflan_cot: conversation ----------------------------------------


def tflan_row(
    trajectory: ToolBenchTrajectory, seed: int, weights: dict[str, float], cot: bool, inline_share: float = 0.0
) -> dict[str, Any]:
    """Conversation form: one assistant message per step (thought, the sentence naming the tool, the
    arguments), one serialisation for the whole trajectory. `cot=False` (toolbench_tflan): each part
    keeps its loss with its capability's weight; `cot=True`: every part is trained. A step calling a
    tool that was not offered stays as untrained context, so the recovery after it is still learnt."""
    rng = rng_for(seed, "tflan-cot" if cot else "tflan", trajectory.id)
    offered = offered_names(trajectory)
    calls = [(s.action, _call_arguments(s)) for s in trajectory.steps if s.action in offered]
    serialiser = choose_serialiser(rng, calls, inline_share) if calls else None
    messages = [message("system", rng.choice(TOOL_CHAT_SYSTEMS)), message("user", trajectory.query)]
    for step in trajectory.steps:
        trained = never if step.action not in offered else always if cot else weighted(rng, weights)
        messages.append(call_step(rng, step.thought, step.action, _call_arguments(step), serialiser, trained))
        messages.append(message("tool", step.observation or ""))
    messages.append(answer_step(rng, "", trajectory.final_answer, always))
    return row(trajectory.id, "toolbench", "toolbench", "tflan_cot" if cot else "tflan", messages, _tools(trajectory))


# --- toolbench_instruct: format following ---------------------------------------------------------

GOAL_KEYS = ("goal", "thought", "purpose", "reason", "plan")
NAME_KEYS = ("name", "Tool", "NAME", "api", "action", "Command", "function")
ARGS_KEYS = ("args", "Param", "Args", "arguments", "parameters", "Arguments", "params")
STRING_TEMPLATES = (
    ("Goal: <goal>\nAPI: <api name>\nArgs: <arguments as JSON>", "Goal: {goal}\nAPI: {name}\nArgs: {args}"),
    (
        "Thought: <goal>\nAction: <api name>\nAction Input: <arguments as JSON>",
        "Thought: {goal}\nAction: {name}\nAction Input: {args}",
    ),
    ("<api name>(<arguments as JSON>) # <goal>", "{name}({args}) # {goal}"),
    ("Call <api name> with <arguments as JSON> because <goal>", "Call {name} with {args} because {goal}"),
)


STRING_TEMPLATES_NO_GOAL = (
    ("API: <api name>\nArgs: <arguments as JSON>", "API: {name}\nArgs: {args}"),
    ("Action: <api name>\nAction Input: <arguments as JSON>", "Action: {name}\nAction Input: {args}"),
    ("<api name>(<arguments as JSON>)", "{name}({args})"),
    ("Call <api name> with <arguments as JSON>", "Call {name} with {args}"),
)


def instruct_rows(trajectory: ToolBenchTrajectory, seed: int, limit: int) -> list[dict[str, Any]]:
    """Single-turn samples: the system gives one API and a response template (a TypeScript-like
    schema with comments and random key names, or a string template); the user names the call;
    the reply follows the template exactly. JSON : string is 1 : 1 by a seeded hash. The goal field
    is the step's own thought; a step without one gets a template without a goal (never a filler).
    Up to `limit` eligible steps per trajectory, chosen by a seeded hash."""
    schemas = {tool["name"]: tool for tool in _tools(trajectory)}
    eligible = [
        (index, step)
        for index, step in enumerate(trajectory.steps)
        if step.action in schemas and step.arguments is not None
    ]
    eligible.sort(key=lambda item: unit_hash(seed, "instruct-step", f"{trajectory.id}_s{item[0]}"))
    rows = []
    for index, step in sorted(eligible[:limit], key=lambda item: item[0]):
        arguments = step.arguments
        sample_id = f"{trajectory.id}_s{index}"
        rng = rng_for(seed, "instruct", sample_id)
        goal = step.thought
        spec = json.dumps(schemas[step.action], ensure_ascii=False)
        wanted = json.dumps(
            [f"'{key}' is {json.dumps(value, ensure_ascii=False)}" for key, value in arguments.items()],
            ensure_ascii=False,
        )
        args_text = json.dumps(arguments, ensure_ascii=False)
        if unit_hash(seed, "instruct-format", sample_id) < 0.5:
            goal_key, name_key, args_key = rng.choice(GOAL_KEYS), rng.choice(NAME_KEYS), rng.choice(ARGS_KEYS)
            fields = [(goal_key, "current thought to solve the problem", "string", goal)] if goal else []
            fields += [
                (name_key, "api name to call", "string", step.action),
                (args_key, "input params required by current action", "Record<string, any>", arguments),
            ]
            template = (
                "```\n{\n"
                + "".join(f'    // {comment}\n    "{key}": {kind};\n' for key, comment, kind, _ in fields)
                + "}\n```"
            )
            system = (
                f"You have access to the following API:\n{spec}\nPlease directly generate the response in JSON "
                f"format. Do NOT add comments (//) in the response.\n{template}"
            )
            keys = [(key, value) for key, _, _, value in fields]
            rng.shuffle(keys)
            reply = json.dumps(dict(keys), ensure_ascii=False, indent=4)
            fmt, goal_label = "instruct_json", goal_key
        else:
            shape, filled = rng.choice(STRING_TEMPLATES if goal else STRING_TEMPLATES_NO_GOAL)
            system = (
                f"You have access to the following API:\n{spec}\nPlease directly generate the response "
                f"in exactly this format:\n{shape}"
            )
            reply = filled.format(goal=goal, name=step.action, args=args_text)
            fmt, goal_label = "instruct_str", "goal"
        user = (f"You can input '{goal_label}' with: '{goal}'. " if goal else "") + (
            f"Call the function {step.action} with the parameter as follows: {wanted}."
        )
        messages = [message("system", system), message("user", user), message("assistant", reply, True, "instruction")]
        rows.append(row(sample_id, "toolbench", "toolbench", fmt, messages, [schemas[step.action]]))
    return rows
