"""`--merge`: fold the LoRA adapter into the base weights and save a plain bf16 model.

The base is loaded in bf16, never 4-bit: merging into a quantised base re-quantises the sum and
loses accuracy (ecosystem.md §4).
"""

from __future__ import annotations

import json
from pathlib import Path

from agent_flan.core.models import resolve_model


def merge_adapter(
    adapter_dir: str | Path,
    out_dir: str | Path,
    base: str | None = None,
    dtype: str = "bfloat16",
    trust_remote_code: bool = False,
) -> Path:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    adapter_dir, out_dir = Path(adapter_dir), Path(out_dir)
    if base is None:
        base = json.loads((adapter_dir / "adapter_config.json").read_text())["base_model_name_or_path"]
    base_model = AutoModelForCausalLM.from_pretrained(
        resolve_model(base), dtype=getattr(torch, dtype), trust_remote_code=trust_remote_code
    )
    merged = PeftModel.from_pretrained(base_model, str(adapter_dir)).merge_and_unload()
    if (adapter_dir / "generation_config.json").is_file():
        merged.generation_config = GenerationConfig.from_pretrained(str(adapter_dir))
    merged.save_pretrained(out_dir, safe_serialization=True)
    AutoTokenizer.from_pretrained(str(adapter_dir)).save_pretrained(out_dir)
    return out_dir
