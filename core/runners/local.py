"""Replies from a local transformers model: batched, left-padded, greedy by default.

Why these choices: decoder-only models continue from the *end* of the prompt, so a batch
must be padded on the left (right padding puts pad tokens between prompt and reply and
changes the answer); prompts are sorted by length so a batch wastes little on padding;
greedy decoding makes a run repeatable, which the reply cache relies on.
Optional: a PEFT adapter on top, 4-bit NF4 loading through bitsandbytes (transformers 5
takes only `quantization_config=`; `load_in_4bit=` was removed), remote code only when
asked (`trust_remote_code`).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_flan.core.errors import BadInputError
from agent_flan.core.runners import GenerationSettings, OnReply, Request

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".json", ".model", ".jinja")


@dataclass(frozen=True)
class LocalModelConfig:
    """What to load; every field is a CLI option of `agent-flan eval`."""

    model: str
    adapter: str | None = None
    load_in_4bit: bool = False
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    trust_remote_code: bool = False
    chat_template: str | None = None  # a .jinja file to use instead of the tokenizer's


def resolve_model_name(name: str) -> str:
    """`smollm2` -> its prepared folder (training.models, when that module exists); else unchanged."""
    try:
        from agent_flan.core.models import resolve_model
    except ImportError:
        return name
    return resolve_model(name)


def fingerprint(path: str | None) -> str:
    """Short hash of a local folder's weight/config files (name, size, mtime), so retraining into the
    same folder does not serve cached replies of the old weights; Hub ids hash to their name."""
    if not path:
        return ""
    folder = Path(path)
    if not folder.is_dir():
        return path
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for file in sorted(folder.iterdir()):
        if file.is_file() and file.name.endswith(_WEIGHT_SUFFIXES):
            stat = file.stat()
            digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"{folder.name}@{digest.hexdigest()[:12]}"


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BadInputError(f"--device {name}: CUDA is not available on this machine")
    return name


def _dtype(name: str, device: str):
    import torch

    if name == "auto":
        # CPU: fp32 is faster than bf16 on most CPUs and exact; GPU: the checkpoint's own dtype.
        return torch.float32 if device == "cpu" else "auto"
    try:
        return getattr(torch, name)
    except AttributeError:
        raise BadInputError(f"--dtype {name}: not a torch dtype") from None


def load_model(config: LocalModelConfig):
    """(model, tokenizer, device) ready for batched generation."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model_name(config.model)
    device = _device(config.device)
    kwargs: dict[str, Any] = {"trust_remote_code": config.trust_remote_code, "dtype": _dtype(config.dtype, device)}
    if config.load_in_4bit:
        from transformers import BitsAndBytesConfig

        compute = torch.bfloat16 if device != "cpu" else torch.float32
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=compute
        )
        if device != "cpu":
            kwargs["device_map"] = {"": device}
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as exc:
        raise BadInputError(f"cannot load model {config.model!r} ({path}): {exc}") from exc
    if not config.load_in_4bit:
        model = model.to(device)
    tokenizer_source = path
    if config.adapter:
        from peft import PeftModel

        try:
            model = PeftModel.from_pretrained(model, config.adapter)
        except (OSError, ValueError) as exc:
            raise BadInputError(f"cannot load adapter {config.adapter!r}: {exc}") from exc
        if (Path(config.adapter) / "tokenizer_config.json").is_file():
            tokenizer_source = config.adapter  # training may have saved its own template/tokens
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source, trust_remote_code=config.trust_remote_code)
    if config.chat_template:
        try:
            tokenizer.chat_template = Path(config.chat_template).read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"--chat-template {config.chat_template}: {exc}") from exc
    if not tokenizer.chat_template:
        raise BadInputError(f"model {config.model!r} has no chat template; pass --chat-template FILE.jinja")
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer, device


class LocalRunner:
    """Generate with an already loaded model; `batch_size=1` is one-at-a-time generation."""

    def __init__(
        self,
        model,
        tokenizer,
        device: str,
        settings: GenerationSettings,
        batch_size: int = 8,
        model_key: str = "",
        info: dict[str, Any] | None = None,
        threads: int | None = None,
    ):
        if batch_size < 1:
            raise BadInputError("--batch-size must be at least 1")
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.settings, self.batch_size = settings, batch_size
        self.threads = threads  # CPU threads while generating; None = torch's default
        self.model_key = model_key or f"local:{getattr(model, 'name_or_path', 'model')}"
        self.info = info or {}
        self.generation_config = self._generation_config()
        self.stop_ids = self._stop_ids()

    @classmethod
    def load(
        cls, config: LocalModelConfig, settings: GenerationSettings, batch_size: int = 8, threads: int | None = None
    ) -> LocalRunner:
        model, tokenizer, device = load_model(config)
        dtype = str(model.dtype).removeprefix("torch.")
        key = "local:" + fingerprint(resolve_model_name(config.model))
        if config.adapter:
            key += "+adapter:" + fingerprint(config.adapter)
        key += "+nf4" if config.load_in_4bit else f"+{dtype}"  # precision changes greedy replies too
        if config.chat_template:
            key += "+template:" + hashlib.sha256(tokenizer.chat_template.encode()).hexdigest()[:8]
        info = {
            "runner": "local",
            "model": config.model,
            "adapter": config.adapter,
            "load_in_4bit": config.load_in_4bit,
            "dtype": dtype,
            "device": device,
            "batch_size": batch_size,
            "chat_template": config.chat_template,
        }
        return cls(model, tokenizer, device, settings, batch_size, key, info, threads)

    def describe(self) -> dict[str, Any]:
        import torch

        return dict(self.info, batch_size=self.batch_size, threads=self.threads or torch.get_num_threads())

    def _generation_config(self):
        gen = copy.deepcopy(self.model.generation_config)
        gen.max_new_tokens = self.settings.max_new_tokens
        gen.max_length = None
        gen.do_sample = not self.settings.greedy
        if self.settings.greedy:
            gen.temperature, gen.top_p, gen.top_k = None, None, None  # silence "ignored when greedy" warnings
        else:
            gen.temperature, gen.top_p = self.settings.temperature, self.settings.top_p
        gen.pad_token_id = self.tokenizer.pad_token_id
        if gen.eos_token_id is None:
            gen.eos_token_id = self.tokenizer.eos_token_id
        return gen

    def _stop_ids(self) -> set[int]:
        eos = self.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, (list, tuple)) else [eos])
        ids.add(self.tokenizer.pad_token_id)
        return {i for i in ids if i is not None}

    def render(self, request: Request) -> str:
        """The prompt text exactly as the model sees it."""
        tools = request.tools if self.settings.native_tools and request.tools else None
        return self.tokenizer.apply_chat_template(
            request.messages, tools=tools, tokenize=False, add_generation_prompt=True
        )

    def _decode(self, ids: list[int]) -> str:
        for position, token in enumerate(ids):
            if token in self.stop_ids:
                ids = ids[:position]
                break
        # Special tokens stay: some templates mark tool calls with them (<|python_tag|>, <tool_call>).
        return self.tokenizer.decode(ids, skip_special_tokens=False).strip()

    def generate(self, requests: Sequence[Request], on_reply: OnReply) -> None:
        import torch

        if not requests:
            return
        previous = torch.get_num_threads()
        if self.threads:
            # On a shared CPU, fewer OpenMP threads than cores can be several times faster (no spin-waiting
            # on busy cores); the setting is process-wide, so it is restored afterwards.
            torch.set_num_threads(self.threads)
        try:
            self._generate(requests, on_reply)
        finally:
            torch.set_num_threads(previous)

    def _generate(self, requests: Sequence[Request], on_reply: OnReply) -> None:
        import torch

        if not self.settings.greedy:
            from transformers import set_seed

            set_seed(self.settings.seed)
        texts = [self.render(r) for r in requests]
        lengths = [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]
        order = sorted(range(len(requests)), key=lambda i: -lengths[i])  # similar lengths share a batch
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            enc = self.tokenizer(
                [texts[i] for i in chosen], return_tensors="pt", padding=True, add_special_tokens=False
            ).to(self.device)
            with torch.inference_mode():
                out = self.model.generate(**enc, generation_config=self.generation_config)
            new_tokens = out[:, enc["input_ids"].shape[1] :].tolist()
            for i, ids in zip(chosen, new_tokens, strict=True):
                on_reply(requests[i], self._decode(ids))
