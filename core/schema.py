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
# Capabilities of an assistant turn (Agent-FLAN §4.2). A message that holds several (a step's thought,
# the sentence naming the tool and its arguments) says "mixed" and carries one span per part.
CAPABILITIES = ("reasoning", "retrieval", "understanding", "instruction", "answer", "none", "mixed")
SPAN_CAPABILITIES = tuple(name for name in CAPABILITIES if name != "mixed")
# The two kinds of negative samples (Agent-FLAN App. C); empty on every other row.
NEGATIVE_KINDS = ("tool_request", "chat_with_tools")

SITUATIONS = (
    "tool_needed_tools_given",
    "tool_needed_no_tools",
    "chat_tools_given",
    "chat_no_tools",
)
PROMPT_STYLES = ("react", "general")

# config name -> (splits, one-line description). Order is the order of the card.
CONFIGS: dict[str, tuple[tuple[str, ...], str]] = {
    "default": (
        ("train", "validation"),
        "The full training mixture: every component below except agent_h, plus general chat when given.",
    ),
    "agent_instruct_react": (("train",), "AgentInstruct trajectories in their native ReAct formats, all six tasks."),
    "agent_instruct_tflan": (("train",), "The same AgentInstruct trajectories aligned to natural conversation."),
    "toolbench_react": (("train",), "About 10% of ToolBench trajectories in structured ReAct/JSON formats."),
    "toolbench_tflan": (
        ("train",),
        "About 60%: conversation, one message per step, with the loss weighted per capability span.",
    ),
    "toolbench_tflan_cot": (
        ("train",),
        "About 30%: conversation keeping the full thought, one message per step, every span trained.",
    ),
    "toolbench_instruct": (("train",), "Instruction/format-following pairs (JSON : string = 1 : 1)."),
    "toolbench_negative": (("train",), "Negatives: tool-like query with no tools; chat query with irrelevant tools."),
    "agent_h": (("test",), "Agent-H hallucination benchmark: 4 situations x 2 prompt styles, labelled."),
}
TRAINING_CONFIGS = tuple(name for name in CONFIGS if name not in ("default", "agent_h"))

# A character span of one assistant message: [start, end) in Python string indices (code points),
# the capability it exercises and whether it is trained. The spans of an assistant message tile its
# content exactly; other messages have none.
SPAN_FEATURE = {
    "start": datasets.Value("int32"),
    "end": datasets.Value("int32"),
    "capability": datasets.Value("string"),
    "loss": datasets.Value("bool"),
}

MESSAGE_FEATURE = {
    "role": datasets.Value("string"),
    "content": datasets.Value("string"),
    "loss": datasets.Value("bool"),  # true when any span of the message is trained
    "capability": datasets.Value("string"),
    "spans": datasets.List(SPAN_FEATURE),
}

ROW_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "source": datasets.Value("string"),
        "task": datasets.Value("string"),
        "format": datasets.Value("string"),
        "messages": datasets.List(MESSAGE_FEATURE),
        "tools": datasets.Value("string"),
        "negative_kind": datasets.Value("string"),
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
