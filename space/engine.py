"""Chat engines behind the panes: a transformers model (optionally with a PEFT adapter) that streams
its reply, and a scripted stand-in with the same interface for tests and screenshots.

Why an interface at all: the UI, the request checks, the detector and the queue are the part worth
testing in a browser, and they must not depend on what a random or 135M model happens to say.
The scripted engine goes through exactly the same wiring; only the text source differs.

The three panes are generated together (`stream_panes`): one batched `generate` call for a model, so the
first tokens of panes 2 and 3 arrive with those of pane 1 instead of after it; the stand-in and recorded
replies interleave word by word the same way.
"""

from __future__ import annotations

import contextlib
import json
import queue
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


PaneText = tuple[str, bool]  # (the reply so far, whether that pane is finished)
SMOLLM2_NOTICE = (
    "**SmolLM2-135M-Instruct is not an agent model.** It is here so the app runs offline; in our runs it never "
    "called a tool in any pane, so every badge reads *no tool call*, including pane ① where a call was expected. "
    "To see the contrast this app is for, start it with a tool-calling model (`--model`, or `--adapter` for one "
    "tuned with this kit)."
)


class ChatEngine(Protocol):
    """What the panes need from a model."""

    variants: list[Variant]
    device: str

    def describe(self) -> str:
        """One Markdown line: model, adapter, device, chat template."""

    def notice(self) -> str | None:
        """A warning about what this model can show (Markdown), or None."""

    def prompt_text(self, messages: list[dict[str, str]], variant: str) -> str:
        """The exact text the model is given for `messages` (its chat template applied)."""

    def unavailable(self, messages: list[dict[str, str]], variant: str) -> str | None:
        """Why this prompt cannot be answered by `variant` (a recording that does not cover it), or None."""

    def stream(self, messages: list[dict[str, str]], variant: str, max_new_tokens: int) -> Iterator[str]:
        """Yield the reply so far (cumulative text) as it is generated."""

    def stream_panes(
        self, prompts: list[list[dict[str, str]]], variant: str, max_new_tokens: int
    ) -> Iterator[list[PaneText]]:
        """Answer every prompt at once; yield (text so far, finished) for each after every step."""


def interleave(streams: list[Iterator[str]]) -> Iterator[list[PaneText]]:
    """Round-robin over per-pane streams: one step of each unfinished pane, then the whole picture."""
    state: list[PaneText] = [("", False) for _ in streams]
    live = list(range(len(streams)))
    while live:
        for index in list(live):
            try:
                state[index] = (next(streams[index]), False)
            except StopIteration:
                state[index] = (state[index][0], True)
                live.remove(index)
        yield list(state)


def messages_as_text(messages: list[dict[str, str]]) -> str:
    """Messages shown as they were given, for engines without a chat template."""
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)


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


def shown_name(name: str) -> str:
    """How the header names a model: a Hub id or a relative folder as given; an absolute folder by its own name
    (`/home/me/.cache/agent-flan/models/smollm2-135m-instruct` says nothing a visitor needs, and tells them where
    the operator keeps their files)."""
    text = name.strip()
    if text.startswith(("/", "~")) or (len(text) > 2 and text[1] == ":" and text[2] in "\\/"):
        return f"{_short(text)} (a local folder)"
    return text


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
        display_name: str | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_name, self.adapter_name = model, adapter
        self.display_name = display_name or shown_name(model)
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
        eos = getattr(self.model.generation_config, "eos_token_id", None)
        eos = eos if isinstance(eos, list) else [eos]
        self.eos_ids = {int(i) for i in [*eos, self.tokenizer.eos_token_id] if i is not None}

    @staticmethod
    def _load_tokenizer(auto: Any, model: str, adapter: str | None, trust_remote_code: bool) -> Any:
        """The adapter's tokenizer when it saved one (it carries the template it was trained with)."""
        if adapter:
            with contextlib.suppress(OSError, ValueError):
                return auto.from_pretrained(adapter, trust_remote_code=trust_remote_code)
        return auto.from_pretrained(model, trust_remote_code=trust_remote_code)

    def describe(self) -> str:
        adapter = f"`{shown_name(self.adapter_name)}`" if self.adapter_name else "none"
        dtype = str(self.model.dtype).removeprefix("torch.")
        return (
            f"**Model** `{self.display_name}` · **adapter** {adapter} · **device** {self.device} ({dtype}) · "
            f"**prompt** {self.template_note}, greedy decoding; the three panes are generated together"
        )

    def notice(self) -> str | None:
        names = f"{self.model_name} {self.display_name}".lower()
        return SMOLLM2_NOTICE if not self.adapter_name and "smollm2-135m" in names else None

    def prompt_text(self, messages: list[dict[str, str]], variant: str) -> str:
        return str(self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))

    def unavailable(self, messages: list[dict[str, str]], variant: str) -> str | None:
        return None

    def _encode(self, messages: list[dict[str, str]]) -> list[int]:
        enc = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)
        ids = list(enc["input_ids"])
        if len(ids) > self.max_input_tokens:
            raise InputTooLong(
                f"The prompt is {len(ids):,} tokens (system prompt, tools and question); "
                f"the limit is {self.max_input_tokens:,}. Offer fewer tools or shorten the question."
            )
        return ids

    def stream_panes(
        self, prompts: list[list[dict[str, str]]], variant: str, max_new_tokens: int
    ) -> Iterator[list[PaneText]]:
        """One batched, left-padded greedy `generate` for all panes: each step adds a token to every pane."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList
        from transformers.generation.streamers import BaseStreamer

        encoded = [self._encode(messages) for messages in prompts]  # every prompt is checked before any runs
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        width = max(len(ids) for ids in encoded)
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in encoded], device=self.device)
        attention = torch.tensor(
            [[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded], device=self.device, dtype=torch.long
        )
        steps: queue.Queue = queue.Queue()
        stop = threading.Event()
        failure: list[BaseException] = []

        class _Steps(BaseStreamer):
            """Receives one token per row per decoding step (the prompt, sent first, is skipped)."""

            started = False

            def put(self, value: Any) -> None:
                if not self.started:
                    self.started = True
                    if value.dim() == 2:
                        return
                steps.put([int(token) for token in value.reshape(-1).tolist()])

            def end(self) -> None:
                steps.put(None)

        class _StopWhenAsked(StoppingCriteria):
            def __call__(
                self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
            ) -> torch.BoolTensor:
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

        def generate() -> None:
            try:
                off = variant == "base" and self.adapter_name
                switch = self.model.disable_adapter() if off else contextlib.nullcontext()
                with torch.inference_mode(), switch:
                    self.model.generate(
                        input_ids=input_ids,
                        attention_mask=attention,
                        streamer=_Steps(),
                        max_new_tokens=max_new_tokens,
                        do_sample=False,
                        temperature=None,
                        top_p=None,
                        top_k=None,
                        pad_token_id=pad,
                        eos_token_id=sorted(self.eos_ids) or None,
                        stopping_criteria=StoppingCriteriaList([_StopWhenAsked()]),
                    )
            except BaseException as exc:  # reported to the consumer, which re-raises it
                failure.append(exc)
            finally:
                steps.put(None)

        tokens: list[list[int]] = [[] for _ in prompts]
        done = [False] * len(prompts)
        texts = [""] * len(prompts)
        with self._lock or contextlib.nullcontext():
            thread = threading.Thread(target=generate, name="agent-flan-generate", daemon=True)
            thread.start()
            try:
                while (step := steps.get(timeout=300)) is not None:
                    for row, token in enumerate(step[: len(prompts)]):
                        if done[row]:
                            continue
                        if token in self.eos_ids:
                            done[row] = True
                            continue
                        tokens[row].append(token)
                        texts[row] = self.tokenizer.decode(tokens[row], skip_special_tokens=True)
                        if len(tokens[row]) >= max_new_tokens:
                            done[row] = True
                    yield list(zip(texts, done, strict=True))
            finally:
                stop.set()  # the client went away or every pane is done: free the model now
                thread.join()
        if failure:
            raise failure[0]
        yield [(text, True) for text in texts]

    def stream(self, messages: list[dict[str, str]], variant: str, max_new_tokens: int) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        self._encode(messages)  # the length check
        enc = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_dict=True, return_tensors="pt"
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

    def notice(self) -> str | None:
        return (
            "**Scripted stand-in, not a model:** every reply follows a fixed rule (call the first tool offered), so "
            "each badge shows up. Used by the tests."
        )

    def prompt_text(self, messages: list[dict[str, str]], variant: str) -> str:
        return messages_as_text(messages)

    def unavailable(self, messages: list[dict[str, str]], variant: str) -> str | None:
        return None

    def stream(self, messages: list[dict[str, str]], variant: str, max_new_tokens: int) -> Iterator[str]:
        text = ""
        for word in self.reply(messages).split(" ")[:max_new_tokens]:
            text = f"{text} {word}" if text else word
            if self.delay:
                time.sleep(self.delay)
            yield text

    def stream_panes(
        self, prompts: list[list[dict[str, str]]], variant: str, max_new_tokens: int
    ) -> Iterator[list[PaneText]]:
        delay, self.delay = self.delay, 0.0  # one pause per step of all panes, not per pane
        try:
            for state in interleave([self.stream(m, variant, max_new_tokens) for m in prompts]):
                if delay:
                    time.sleep(delay)
                yield state
        finally:
            self.delay = delay


# --------------------------------------------------------------------------- recorded replies


def prompt_key(messages: list[dict[str, str]]) -> str:
    """What a recording is looked up by: the exact messages (system prompt with its tools, and the question)."""
    import hashlib

    text = json.dumps([{"role": m["role"], "content": m["content"]} for m in messages], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Recording:
    """Replies recorded earlier from a real model, with where they came from; played back, never generated here.

    File format (JSON): {"label": ..., "provenance": {...}, "entries": [{"messages": [...], "prompt": ...,
    "reply": ...}, ...]}: `prompt` is the text the model was given (its chat template applied), `reply` what it
    answered, greedy, as the live app would have asked it."""

    label: str
    provenance: dict[str, Any]
    entries: dict[str, dict[str, Any]]
    path: str

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = {prompt_key(e["messages"]): e for e in data["entries"]}
        return cls(str(data["label"]), dict(data.get("provenance") or {}), entries, Path(path).name)

    def summary(self) -> str:
        p = self.provenance
        parts = [f"replies of `{p['model']}`" if p.get("model") else None, p.get("how"), p.get("recorded")]
        return " · ".join(str(x) for x in parts if x)


class WithRecording:
    """A live engine plus a `recorded` choice that plays back a Recording for the prompts it covers."""

    RECORDED = "recorded"

    def __init__(self, live: ChatEngine, recording: Recording, delay: float = 0.0) -> None:
        self.live, self.recording, self.delay = live, recording, delay
        self.device = live.device
        self.variants = [*live.variants, Variant(self.RECORDED, f"{recording.label} · played back, not live")]

    def describe(self) -> str:
        from agent_flan.space.untrusted import as_text  # a recording file's words are shown as text

        return (
            f"{self.live.describe()}  \n**{as_text(self.recording.label)}**: {as_text(self.recording.summary())}; "
            f"played back from {as_text(self.recording.path)} for the examples below (both prompt styles), never "
            "generated here"
        )

    def notice(self) -> str | None:
        from agent_flan.space.untrusted import as_text

        live = self.live.notice()
        played = (
            f"Choose *{as_text(self.recording.label)}* in *Model* to see what each badge looks like on the examples "
            "below; those replies are played back, and the header says where they come from."
        )
        return f"{live} {played}" if live else None

    def _entry(self, messages: list[dict[str, str]]) -> dict[str, Any] | None:
        return self.recording.entries.get(prompt_key(messages))

    def prompt_text(self, messages: list[dict[str, str]], variant: str) -> str:
        if variant != self.RECORDED:
            return self.live.prompt_text(messages, variant)
        entry = self._entry(messages)
        return str(entry["prompt"]) if entry and entry.get("prompt") else messages_as_text(messages)

    def unavailable(self, messages: list[dict[str, str]], variant: str) -> str | None:
        if variant != self.RECORDED:
            return self.live.unavailable(messages, variant)
        if self._entry(messages) is None:
            return (
                "no recorded reply for this exact prompt: the recording covers the examples below with their preset "
                "tools, in both prompt styles; choose one, or a live model"
            )
        return None

    def _played(self, messages: list[dict[str, str]], max_new_tokens: int) -> Iterator[str]:
        entry = self._entry(messages)
        text = ""
        for word in str(entry["reply"] if entry else "").split(" ")[:max_new_tokens]:
            text = f"{text} {word}" if text else word
            yield text

    def stream(self, messages: list[dict[str, str]], variant: str, max_new_tokens: int) -> Iterator[str]:
        if variant != self.RECORDED:
            yield from self.live.stream(messages, variant, max_new_tokens)
            return
        yield from self._played(messages, max_new_tokens)

    def stream_panes(
        self, prompts: list[list[dict[str, str]]], variant: str, max_new_tokens: int
    ) -> Iterator[list[PaneText]]:
        if variant != self.RECORDED:
            yield from self.live.stream_panes(prompts, variant, max_new_tokens)
            return
        for state in interleave([self._played(m, max_new_tokens) for m in prompts]):
            if self.delay:
                time.sleep(self.delay)
            yield state


RECORDINGS = Path(__file__).resolve().parent / "recordings"


def load_recording(spec: str | None) -> Recording | None:
    """`spec`: a recording file, `none`, or None for the one shipped in space/recordings/ (if any)."""
    if spec and spec.strip().lower() == "none":
        return None
    if spec:
        return Recording.load(spec)
    shipped = sorted(RECORDINGS.glob("*.json")) if RECORDINGS.is_dir() else []
    return Recording.load(shipped[0]) if shipped else None


def load_engine(settings: Settings) -> ChatEngine:
    """The engine `settings` asks for; `smollm2` resolves to the prepared offline folder (or the Hub copy on a
    Space). The shipped recording, if any, is offered beside it as the `recorded` choice."""
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    display = None
    if settings.model.strip().lower() == "smollm2":
        display = "SmolLM2-135M-Instruct (`smollm2`)"
    engine: ChatEngine = TransformersEngine(
        resolve_model_path(settings.model),
        adapter=settings.adapter,
        trust_remote_code=settings.trust_remote_code,
        max_input_tokens=settings.max_input_tokens,
        display_name=display,
    )
    recording = load_recording(settings.recording)
    return WithRecording(engine, recording) if recording else engine
