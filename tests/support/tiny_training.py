"""Tiny offline fixtures for tests and CPU smoke runs: a random Llama with a tokenizer trained on the spot.

Nothing here downloads anything (offline_models.md §3, fixture B): a byte-level BPE is trained with
`tokenizers` on a few kilobytes of text, so every character — the Agent-FLAN template's Malayalam
marks included — round-trips exactly, and a 2-layer Llama of ~0.2 M parameters is saved beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
_CORPUS = [
    "You are a helpful assistant with access to the tools below. Call one when it helps.",
    'Thought: I need to look up the weather first. Action: get_weather Action Input: {"city": "Paris"}',
    "The capital of France is Paris. The answer is 42. I'm sorry, but I cannot do that without a tool.",
    json.dumps(
        {
            "name": "search",
            "description": "Search the web",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        }
    ),
    "SELECT name FROM users WHERE id = 3; ls -la /home; Observation: OK. Final Answer: done.",
    "<|Human|>\u0d46hello\n <|Assistant|>\u0d46hi there\u0d3f\n ",
    "def main():\n    return 0\n\n# Tools\n\nYou may call one or more functions.",
]


def build_tiny_tokenizer(out_dir: Path, vocab_size: int = 512):
    """Byte-level BPE with ChatML specials; returned as a transformers tokenizer and saved to `out_dir`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(_CORPUS * 20, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    from agent_flan.training.templates import load_template

    tokenizer.chat_template = load_template("chatml").text
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def build_tiny_llama(
    out_dir: Path, seed: int = 0, hidden_size: int = 64, layers: int = 2, max_positions: int = 4096
) -> Path:
    """A random LlamaForCausalLM + the BPE above, saved as an ordinary model folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out_dir = Path(out_dir)
    tokenizer = build_tiny_tokenizer(out_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(out_dir, safe_serialization=True)
    (out_dir / "README.md").write_text(
        "Random tiny Llama for tests (tests/support/tiny_training.py); not a real model.\n"
    )
    return out_dir


def synthetic_rows() -> list[dict]:
    """Rows in the dataset schema covering every role, trained and untrained spans inside one step,
    tools, and a negative."""
    from agent_flan.dataset_builder.transforms.rows import message as m
    from agent_flan.dataset_builder.transforms.rows import step_message

    tools = json.dumps(
        [
            {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            }
        ]
    )
    return [
        {
            "id": "s1",
            "source": "toolbench",
            "task": "toolbench",
            "format": "tflan",
            "tools": tools,
            "negative_kind": "",
            "messages": [
                m("system", "You are a helpful assistant with access to the tools below."),
                m("user", "What is the weather in Paris?"),
                step_message(
                    [
                        ("I should look it up.", "reasoning", True),
                        (" I will call get_weather.", "retrieval", False),
                        (' Its arguments are {"city": "Paris"}.', "understanding", True),
                    ]
                ),
                m("tool", '{"temp": 21}'),
                m("assistant", "It is 21 degrees in Paris.", True, "answer"),
            ],
        },
        {
            "id": "s2",
            "source": "toolbench",
            "task": "toolbench",
            "format": "negative",
            "tools": "[]",
            "negative_kind": "tool_request",
            "messages": [
                m("system", "You are a helpful assistant."),
                m("user", "Book me a flight to Rome."),
                m("assistant", "I'm sorry, but I cannot book flights.", True, "answer"),
            ],
        },
        {
            "id": "s3",
            "source": "toolbench",
            "task": "toolbench",
            "format": "instruct_json",
            "tools": tools,
            "negative_kind": "",
            "messages": [
                m("user", "Call get_weather with city Paris, reply in JSON."),
                m("assistant", '{"Tool": "get_weather", "Param": {"city": "Paris"}}', True, "instruction"),
            ],
        },
        {
            "id": "s4",
            "source": "general",
            "task": "chat",
            "format": "chat",
            "tools": "[]",
            "negative_kind": "",
            "messages": [m("user", "Hello!"), m("assistant", "Hi! How can I help?", True, "none")],
        },
        {
            "id": "s5",
            "source": "toolbench",
            "task": "toolbench",
            "format": "tflan",
            "tools": "[]",
            "negative_kind": "",
            "messages": [m("user", "Nothing is trained here."), m("assistant", "Right.", False, "reasoning")],
        },
    ]
