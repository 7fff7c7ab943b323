"""Synthetic sources in the real upstream layouts, at any size, for method and scale tests."""

from __future__ import annotations

import json
import random
from pathlib import Path

from agent_flan.dataset_builder.sources.toolbench import API_MARKER

FINISH = {"name": "Finish", "description": "finish", "parameters": {"type": "object", "properties": {}}}


def toolbench_records(count: int, seed: int = 0) -> list[dict]:
    """`count` trajectories in the toolllama layout (longest prefix only), 1-4 steps each."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        tools = [
            {
                "name": f"api_{index % 37}_{k}_for_tool{index % 11}",
                "description": f"API {k}",
                "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            }
            for k in range(3)
        ]
        system = {"from": "system", "value": f"You are AutoGPT...\n{API_MARKER}{tools + [FINISH]!r}"}
        query = f"Synthetic request number {index}: please look up item {rng.randint(0, 10**6)}"
        turns = [system, {"from": "user", "value": f"\n{query}\nBegin!\n"}]
        for step in range(rng.randint(1, 4)):
            tool = rng.choice(tools)["name"]
            thought = rng.choice(["", f"I should query step {step}."])
            arguments = json.dumps({"q": f"value-{index}-{step}", "n": rng.randint(0, 99)}, indent=2)
            turns.append(
                {"from": "assistant", "value": f"\nThought: {thought}\nAction: {tool}\nAction Input: {arguments}"}
            )
            turns.append({"from": "function", "value": json.dumps({"error": "", "response": f"result {index}-{step}"})})
        final = json.dumps(
            {"return_type": "give_answer", "final_answer": f"The answer for {index} is {rng.randint(0, 9)}."}
        )
        turns.append({"from": "assistant", "value": f"\nThought: \nAction: Finish\nAction Input: {final}"})
        records.append({"id": f"Step {len(turns) - 1}: {query}", "conversations": turns})
    return records


def write_toolbench(path: Path, count: int, seed: int = 0) -> Path:
    path.write_text(json.dumps(toolbench_records(count, seed)), encoding="utf-8")
    return path


def glaive_records(count: int, seed: int = 0) -> list[dict]:
    """glaive rows cycling through the four situations."""
    rng = random.Random(seed)
    tool = {
        "name": "get_stock_price",
        "description": "Get a stock price",
        "parameters": {"type": "object", "properties": {"symbol": {"type": "string"}}},
    }
    with_tools = (
        "SYSTEM: You are a helpful assistant with access to the following functions. Use them if required -\n"
        + json.dumps(tool, indent=4)
        + "\n"
    )
    without = "SYSTEM: You are a helpful assistant, with no access to external functions.\n\n"
    rows = []
    for index in range(count):
        kind = index % 4
        n = rng.randint(0, 10**6)
        if kind == 0:
            chat = (
                f'USER: What is the price of stock {n}?\n\n\nASSISTANT: <functioncall> {{"name": "get_stock_price", '
                f'"arguments": \'{{"symbol": "S{n}"}}\'}} <|endoftext|>\n\n\nFUNCTION RESPONSE: {{"price": 1}}\n\n\n'
                "ASSISTANT: It costs 1. <|endoftext|>\n\n\n"
            )
            rows.append({"system": with_tools, "chat": chat})
        elif kind == 1:
            rows.append(
                {
                    "system": without,
                    "chat": f"USER: Book flight {n} for me\n\n\nASSISTANT: I'm sorry, but I can't "
                    "book flights as I don't have that capability. <|endoftext|>\n\n\n",
                }
            )
        elif kind == 2:
            rows.append(
                {
                    "system": with_tools,
                    "chat": f"USER: Tell me a fact about the number {n}\n\n\nASSISTANT: "
                    f"{n} is a number with {len(str(n))} digits. <|endoftext|>\n\n\n",
                }
            )
        else:
            rows.append(
                {
                    "system": without,
                    "chat": f"USER: Write a haiku about {n}\n\n\nASSISTANT: Quiet number {n} / "
                    "counting softly in the night / dawn forgets it all <|endoftext|>\n\n\n",
                }
            )
    return rows
