"""Facts about the upstream artefacts that the cards quote: one place, each with where it comes from.

Sources: shared/research/agent_flan.md §1.1 (official release row counts), §2 (paper numbers),
§7 (licences). Numbers marked `inferred` there are printed with "≈" and a note, never as exact.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReleaseFile:
    """One file of `internlm/Agent-FLAN` and the config of ours that corresponds to it."""

    file: str
    rows: int | None
    exact: bool
    note: str = ""


# Our config -> the official release file it corresponds to (agent_flan.md §1.1).
OFFICIAL_RELEASE: dict[str, ReleaseFile] = {
    "agent_instruct_react": ReleaseFile("agent_instruct_react.jsonl", 1731, True),
    "agent_instruct_tflan": ReleaseFile("agent_instruct_tflan.jsonl", 1731, True),
    "toolbench_react": ReleaseFile("toolbench_react_10p.jsonl", 2288, True),
    "toolbench_tflan": ReleaseFile(
        "toolbench_tflan_60p_r10r5u7.jsonl", 18071, False, "inferred: 34,442 minus the other files minus ≈30% of 22,867"
    ),
    "toolbench_tflan_cot": ReleaseFile(
        "toolbench_tflan_cot_30p.jsonl", 6860, False, "inferred: ≈30% of 22,867; a record numbered 6,770 exists"
    ),
    "toolbench_instruct": ReleaseFile("toolbench_instruct_j1s1_3k.jsonl", 3000, True, "the paper says 2,000"),
    "toolbench_negative": ReleaseFile("toolbench_negative.jsonl", 761, True),
    "default": ReleaseFile("all seven files", 34442, True, "plus unreleased ShareGPT in the paper's training"),
    "agent_h": ReleaseFile("not released", None, False, "the paper evaluates 1,845 glaive samples"),
}
RELEASE_TOTAL_ROWS = 34442
RELEASE_NEGATIVES = 761

# Source name -> (licence id when known, what the card says about its terms).
SOURCE_TERMS: dict[str, tuple[str | None, str]] = {
    "agentinstruct": (
        None,
        "THUDM/AgentInstruct declares **no licence** (its GitHub repo has no LICENSE file); a "
        "downstream card lists CC-BY-NC-4.0. Treat it as possibly non-commercial. Its trajectories "
        "were generated with GPT-4 / GPT-3.5.",
    ),
    "toolbench": (
        "apache-2.0",
        "OpenBMB/ToolBench: Apache-2.0 (research and education intent). Its trajectories were "
        "generated with ChatGPT over RapidAPI APIs, so OpenAI's terms may matter.",
    ),
    "glaive": ("apache-2.0", "glaiveai/glaive-function-calling-v2: Apache-2.0 as listed by its mirrors."),
    "general": (
        None,
        "your general chat data keeps its own terms (ShareGPT, the paper's choice, has no clear licence).",
    ),
    "release": (
        None,
        "internlm/Agent-FLAN declares Apache-2.0, but it contains the AgentInstruct trajectories, whose "
        "licence is unclear (see above), and gpt-3.5-turbo replies.",
    ),
}
EMBEDDED_TERMS = (
    "apache-2.0",
    "embedded sample written for this project (invented records): Apache-2.0, like the kit.",
)
KNOWN_HUB_SOURCES = {
    "agentinstruct": "THUDM/AgentInstruct",
    "glaive": "glaiveai/glaive-function-calling-v2",
    "release": "internlm/Agent-FLAN",
}

# Base model id prefix -> licence id on the Hub (for the model card: the adapter inherits it).
BASE_MODEL_LICENCES: tuple[tuple[str, str], ...] = (
    ("huggingfacetb/smollm2-", "apache-2.0"),
    ("meta-llama/llama-2-", "llama2"),
    ("meta-llama/llama-3.1-", "llama3.1"),
    ("meta-llama/meta-llama-3.1-", "llama3.1"),
    ("qwen/qwen2.5-7b", "apache-2.0"),
    ("qwen/qwen2.5-0.5b", "apache-2.0"),
    ("qwen/qwen2.5-1.5b", "apache-2.0"),
    ("qwen/qwen2.5-14b", "apache-2.0"),
    ("qwen/qwen2.5-32b", "apache-2.0"),
)

# Agent-H (HScore) from the paper's Table 1, Llama2-7B family (agent_flan.md §4).
PAPER_AGENT_H = {
    "Llama2-7B": 78.7,
    "AgentTuning* (same data, ReAct)": 84.5,
    "Agent-FLAN-7B": 89.1,
    "GPT-3.5": 92.1,
    "GPT-4": 94.2,
}

BIBTEX = """@inproceedings{chen2024agentflan,
  title     = {Agent-FLAN: Designing Data and Methods of Effective Agent Tuning for Large Language Models},
  author    = {Chen, Zehui and Liu, Kuikun and Wang, Qiuchen and Zhang, Wenwei and Liu, Jiangning and Lin, Dahua and Chen, Kai and Zhao, Feng},
  booktitle = {Findings of the Association for Computational Linguistics: ACL 2024},
  pages     = {9354--9366},
  year      = {2024},
  url       = {https://arxiv.org/abs/2403.12881}
}
@article{zeng2023agenttuning,
  title   = {AgentTuning: Enabling Generalized Agent Abilities for LLMs},
  author  = {Zeng, Aohan and Liu, Mingdao and Lu, Rui and Wang, Bowen and Liu, Xiao and Dong, Yuxiao and Tang, Jie},
  journal = {arXiv preprint arXiv:2310.12823},
  year    = {2023}
}"""


def base_model_licence(model_id: str | None) -> str | None:
    """The Hub licence id of a known base model, else None (the card then says to check it)."""
    if not model_id:
        return None
    key = model_id.lower()
    for prefix, licence in BASE_MODEL_LICENCES:
        if key.startswith(prefix):
            return licence
    return None
