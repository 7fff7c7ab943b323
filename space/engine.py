"""Chat engines behind the panes: a transformers model (optionally with a PEFT adapter) that streams
its reply, and a scripted stand-in with the same interface for tests and screenshots.

Why an interface at all: the UI, the request checks, the detector and the queue are the part worth
testing in a browser, and they must not depend on what a random or 135M model happens to say.
The scripted engine goes through exactly the same wiring; only the text source differs.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from agent_flan.space.settings import Settings, resolve_model_path

# ChatML, for models whose tokenizer has no chat template of its own (plain base checkpoints).
FALLBACK_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class InputTooLong(ValueError):
    """The rendered prompt is longer than the configured cap; shown to the user inline."""


@dataclass(frozen=True)
class Variant:
    """A model choice in the selector: `base` or `tuned` (base + adapter)."""

    value: str
    label: str


class ChatEngine(Protocol):
    """What the panes need from a model."""

    variants: list[Variant]
    device: str

    def describe(self) -> str:
        """One Markdown line: model, adapter, device, chat template."""

    def stream(self, messages: list[dict[str, str]], variant: str, max_new_tokens: int) -> Iterator[str]:
        """Yield the reply so far (cumulative text) as it is generated."""


def gpu(duration: int = 120) -> Callable[[Callable], Callable]:
    """`spaces.GPU` on a ZeroGPU Space, the identity elsewhere.

    The `spaces` package is preinstalled on Spaces and its decorator is a no-op unless
    SPACES_ZERO_GPU is set; the import is guarded so the kit never needs it.
    """
    try:
        import spaces
    except ImportError:
        return lambda fn: fn
    return spaces.GPU(duration=duration)


def _short(name: str | None) -> str:
    """A readable model name: the last path segment of a folder or Hub id."""
    if not name:
        return "none"
    return Path(name.rstrip("/")).name or name


class TransformersEngine:
    """A causal LM from a folder or Hub id, with an optional PEFT adapter toggled per request.

    Greedy decoding, so the three panes differ only by the tools offered. Generation runs in a
    thread feeding a TextIteratorStreamer; closing the consumer stops the thread at the next token.
    """

    def __init__(
        self,
        model: str,
        adapter: str | None = None,
        trust_remote_code: bool = False,
        max_input_tokens: int = 3_072,
        device: str | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_name, self.adapter_name = model, adapter
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32  # fp32 is the fast path on CPU
        self.max_input_tokens = max_input_tokens
        self.tokenizer = self._load_tokenizer(AutoTokenizer, model, adapter, trust_remote_code)
        self.template_note = "its own chat template"
        if not getattr(self.tokenizer, "chat_template", None):
            self.tokenizer.chat_template = FALLBACK_TEMPLATE
            self.template_note = "ChatML (the tokenizer has no chat template)"
        base = AutoModelForCausalLM.from_pretrained(model, dtype=dtype, trust_remote_code=trust_remote_code)
        if adapter:
            from peft import PeftModel

            base = PeftModel.from_pretrained(base, adapter)
        self.model = base.to(self.device).eval()
        # A PeftModel switches its adapter off for `base` requests; that switch is model-wide, so
        # requests on such a model take turns. A plain model serves concurrent requests.
        self._lock = threading.Lock() if adapter else None
        self.variants = [Variant("base", f"Base: {_short(model)}")]
        if adapter:
            self.variants.append(Variant("tuned", f"Tuned: {_short(model)} + {_short(adapter)}"))

    @staticmethod
    def _load_tokenizer(auto: Any, model: str, adapter: str | None, trust_remote_code: bool) -> Any:
        """The adapter's tokenizer when it saved one (it carries the template it was trained with)."""
        if adapter:
            with contextlib.suppress(OSError, ValueError):
                return auto.from_pretrained(adapter, trust_remote_code=trust_remote_code)
        return auto.from_pretrained(model, trust_remote_code=trust_remote_code)

    def describe(self) -> str:
        adapter = f"`{self.adapter_name}`" if self.adapter_name else "none"
        dtype = str(self.model.dtype).removeprefix("torch.")
        return (
            f"**Model** `{self.model_name}` · **adapter** {adapter} · **device** {self.device} ({dtype}) · "
            f"**prompt** {self.template_note}, greedy decoding"
        )

    def stream(self, messages: list[dict[str, str]], variant: str, max_new_tokens: int) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        enc = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_dict=True, return_tensors="pt"
        )
        length = int(enc["input_ids"].shape[1])
        if length > self.max_input_tokens:
            raise InputTooLong(
                f"The prompt is {length:,} tokens (system prompt, tools and question); "
                f"the limit is {self.max_input_tokens:,}. Offer fewer tools or shorten the question."
            )
        enc = {key: value.to(self.device) for key, value in enc.items()}
        stop = threading.Event()

        class _StopWhenAsked(StoppingCriteria):
            def __call__(
                self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
            ) -> torch.BoolTensor:
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=300)
        failure: list[BaseException] = []
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id

        def generate() -> None:
            try:
                off = variant == "base" and self.adapter_name
                switch = self.model.disable_adapter() if off else contextlib.nullcontext()
                with torch.inference_mode(), switch:
                    self.model.generate(
                        **enc,
                        streamer=streamer,
                        max_new_tokens=max_new_tokens,
                        do_sample=False,
                        temperature=None,
                        top_p=None,
                        top_k=None,
                        pad_token_id=pad,
                        stopping_criteria=StoppingCriteriaList([_StopWhenAsked()]),
                    )
            except BaseException as exc:  # reported to the consumer, which re-raises it
                failure.append(exc)
                streamer.end()

        with self._lock or contextlib.nullcontext():
            thread = threading.Thread(target=generate, name="agent-flan-generate", daemon=True)
            thread.start()
            text = ""
            try:
                for piece in streamer:
                    text += piece
                    yield text
            finally:
                stop.set()  # the client went away or the pane is done: free the model now
                thread.join()
        if failure:
            raise failure[0]


def scripted_reply(messages: list[dict[str, str]]) -> str:
    """An over-eager agent's reply, decided from the prompt alone (for tests and screenshots).

    Whenever tools are listed in the system prompt it calls the first one, in the prompt's style
    (ReAct or JSON), relevant or not; with no tools it answers in prose. So one comparison shows a
    correct call, a plain answer and a hallucinated call. Deterministic by construction.
    """
    import json
    import re

    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    query = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    schemas = []
    for line in system.splitlines():
        line = line.strip()
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                schemas.append(json.loads(line))
    if not schemas:
        return f"I can't look that up without a tool, but here is what I know about: {query.strip()}"
    tool = schemas[0]
    props = list(tool.get("parameters", {}).get("properties", {}))
    words = re.findall(r"[A-Z][\w,]*(?: [A-Z][\w]*)*", query) or [query.strip()]
    arguments = {props[0]: words[-1]} if props else {}
    if "Action Input" in system:
        return (
            f"Thought: I should use {tool['name']} for this.\nAction: {tool['name']}\n"
            f"Action Input: {json.dumps(arguments)}"
        )
    return json.dumps({"name": tool["name"], "arguments": arguments})


class ScriptedEngine:
    """Streams a fixed function of the prompt word by word, through the same interface as a model."""

    device = "cpu"

    def __init__(
        self,
        reply: Callable[[list[dict[str, str]]], str] = scripted_reply,
        delay: float = 0.0,
        with_adapter: bool = True,
    ) -> None:
        self.reply, self.delay = reply, delay
        self.variants = [Variant("base", "Base: scripted stand-in")]
        if with_adapter:
            self.variants.append(Variant("tuned", "Tuned: scripted stand-in + adapter"))

    def describe(self) -> str:
        return "**Model** scripted stand-in (replies follow a fixed rule, for tests and screenshots) · **device** cpu"

    def stream(self, messages: list[dict[str, str]], variant: str, max_new_tokens: int) -> Iterator[str]:
        text = ""
        for word in self.reply(messages).split(" ")[:max_new_tokens]:
            text = f"{text} {word}" if text else word
            if self.delay:
                time.sleep(self.delay)
            yield text


def load_engine(settings: Settings) -> TransformersEngine:
    """The engine `settings` asks for; `smollm2` resolves to the prepared offline folder."""
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    return TransformersEngine(
        resolve_model_path(settings.model),
        adapter=settings.adapter,
        trust_remote_code=settings.trust_remote_code,
        max_input_tokens=settings.max_input_tokens,
    )
