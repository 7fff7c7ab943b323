"""Who writes the replies of negative samples.

The paper had gpt-3.5-turbo answer ToolBench queries with no tool information (App. C). Here the
user picks the model: any OpenAI-compatible server (vLLM, TGI, OpenAI) or a local transformers
model, through the same runners `agent-flan eval` uses. With neither, the builder stays offline
and takes the plain answers already present in glaive and general chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent_flan.core.errors import BadInputError

RESPONDER_SYSTEM = "You are a helpful assistant."


@dataclass(frozen=True)
class ResponderSpec:
    url: str | None = None  # OpenAI-compatible server; `model` is then the served model name
    model: str | None = None  # local model path / Hub id / "smollm2" when no url
    api_key_env: str = "OPENAI_API_KEY"
    max_new_tokens: int = 512
    concurrency: int = 8
    timeout: float = 120.0  # one whole request to the server, connect to last byte
    retry_budget: float | None = None  # all attempts for one query; None: 3 x timeout

    @property
    def given(self) -> bool:
        return bool(self.url or self.model)


class Responder:
    """Answers plain prompts (system + user, never tools) in one batch."""

    def __init__(self, spec: ResponderSpec):
        from agent_flan.core.runners import GenerationSettings

        settings = GenerationSettings(max_new_tokens=spec.max_new_tokens)
        if spec.url:
            from agent_flan.core.runners.endpoint import EndpointConfig, EndpointRunner

            self.runner = EndpointRunner(
                EndpointConfig(
                    spec.url,
                    spec.model or "default",
                    spec.api_key_env,
                    concurrency=spec.concurrency,
                    timeout=spec.timeout,
                    retry_budget=spec.retry_budget,
                ),
                settings,
            )
        elif spec.model:
            from agent_flan.core.runners.local import LocalModelConfig, LocalRunner, resolve_model_name

            self.runner = LocalRunner.load(LocalModelConfig(resolve_model_name(spec.model)), settings)
        else:
            raise BadInputError("a responder needs --responder-url or --responder-model")

    def describe(self) -> dict[str, Any]:
        return self.runner.describe()

    def answer(self, prompts: dict[str, str]) -> dict[str, str]:
        """{id: user query} -> {id: reply}; the prompt carries no tool information, as in the paper."""
        from agent_flan.core.runners import Request

        replies: dict[str, str] = {}
        requests = [
            Request(
                key=key,
                item_id=key,
                messages=[{"role": "system", "content": RESPONDER_SYSTEM}, {"role": "user", "content": query}],
            )
            for key, query in sorted(prompts.items())
        ]
        from agent_flan.core.runners.endpoint import EndpointError

        try:
            self.runner.generate(requests, lambda request, reply: replies.__setitem__(request.key, reply))
        except EndpointError as exc:  # a server that stays down or silent: one line, exit 2, nothing written
            raise BadInputError(f"--responder-url: {exc}") from None
        return replies
