"""A tiny random Llama with a byte-level BPE trained on the spot, for offline tests and `bench_eval --tiny`.

Why: the eval plumbing (chat template, left padding, batching, cache, report) must be tested
without downloading anything; random weights give junk text, which is fine for that.  Built
as in shared/research/offline_models.md §3, fixture B (no model package needed, < 2 s).
"""

from __future__ import annotations

from pathlib import Path

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
_CORPUS = [
    "You are a helpful assistant. You have access to the following tools:",
    "Answer the following question as best you can. If no tool is needed, answer the user directly.",
    'Thought: I need the weather.\nAction: get_weather\nAction Input: {"city": "Paris"}',
    '{"name": "get_weather", "arguments": {"city": "Paris"}} {"type": "object", "properties": {}}',
    "I'm sorry, but I cannot do that. The capital of France is Paris. I will use the tool.",
]


def build_tiny_llama(out_dir: Path, seed: int = 0, vocab_size: int = 512) -> Path:
    """Write a ~0.1 M-parameter LlamaForCausalLM + tokenizer (ChatML) to `out_dir`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=_SPECIALS,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    core.train_from_iterator(_CORPUS * 10, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHATML
    tokenizer.save_pretrained(out_dir)
    # 64 wide: bitsandbytes packs 4-bit CPU weights in blocks of 64 input features (0.50 fails on 32)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=0.2,
    )  # wide enough that greedy text varies with the prompt
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(out_dir, safe_serialization=True)
    return out_dir
