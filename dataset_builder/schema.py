"""The typed row schema of the `agent-flan` dataset: one place for every name users rely on.

Column, config, role and label names are the contract of `shared/DESIGN.md`; tests,
training and evaluation import them from here instead of spelling them again.
"""

from __future__ import annotations

import datasets

ROLES = ("system", "user", "assistant", "tool")
SOURCES = ("agentinstruct", "toolbench", "glaive", "general", "release")
TASKS = ("os", "db", "kg", "alfworld", "webshop", "mind2web", "toolbench", "chat")
AGENTINSTRUCT_TASKS = ("os", "db", "kg", "alfworld", "webshop", "mind2web")
FORMATS = ("react", "tflan", "tflan_cot", "instruct_json", "instruct_str", "negative", "chat")
CAPABILITIES = ("reasoning", "retrieval", "understanding", "instruction", "answer", "none")

SITUATIONS = (
    "tool_needed_tools_given",
    "tool_needed_no_tools",
    "chat_tools_given",
    "chat_no_tools",
)
PROMPT_STYLES = ("react", "general")

# config name -> (splits, one-line description). Order is the order of the card.
CONFIGS: dict[str, tuple[tuple[str, ...], str]] = {
    "default": (("train", "validation"), "The full training mixture: every component below except agent_h, plus general chat when given."),
    "agent_instruct_react": (("train",), "AgentInstruct trajectories in their native ReAct formats, all six tasks."),
    "agent_instruct_tflan": (("train",), "The same AgentInstruct trajectories aligned to natural conversation."),
    "toolbench_react": (("train",), "About 10% of ToolBench trajectories in structured ReAct/JSON formats."),
    "toolbench_tflan": (("train",), "About 60%: multi-turn capability-decomposed conversation with per-turn loss weighting."),
    "toolbench_tflan_cot": (("train",), "About 30%: conversation keeping the full thought in one turn per step."),
    "toolbench_instruct": (("train",), "Instruction/format-following pairs (JSON : string = 1 : 1)."),
    "toolbench_negative": (("train",), "Negatives: tool-like query with no tools; chat query with irrelevant tools."),
    "agent_h": (("test",), "Agent-H hallucination benchmark: 4 situations x 2 prompt styles, labelled."),
}
TRAINING_CONFIGS = tuple(name for name in CONFIGS if name not in ("default", "agent_h"))

MESSAGE_FEATURE = {
    "role": datasets.Value("string"),
    "content": datasets.Value("string"),
    "loss": datasets.Value("bool"),
    "capability": datasets.Value("string"),
}

ROW_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "source": datasets.Value("string"),
        "task": datasets.Value("string"),
        "format": datasets.Value("string"),
        "messages": datasets.List(MESSAGE_FEATURE),
        "tools": datasets.Value("string"),
    }
)

AGENT_H_FEATURES = datasets.Features(
    {
        **ROW_FEATURES,
        "situation": datasets.Value("string"),
        "prompt_style": datasets.Value("string"),
        "should_call": datasets.Value("bool"),
        "expected_tool": datasets.Value("string"),
    }
)


def features_for(config: str) -> datasets.Features:
    """Every training config shares one schema so configs can be concatenated freely."""
    return AGENT_H_FEATURES if config == "agent_h" else ROW_FEATURES
