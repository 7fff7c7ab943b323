"""The Space's three panes: generated together, each with the exact prompt it sent, judged by badges that say
what they judge; the played-back illustration beside the live model; a header without local paths.

Fast: the scripted stand-in and a 2-layer random Llama; nothing is served here (test_space.py serves the app).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_flan.space.engine import (
    ScriptedEngine,
    TransformersEngine,
    WithRecording,
    interleave,
    load_recording,
    prompt_key,
    shown_name,
)
from agent_flan.space.panes import BADGE_SCOPE, PANES, Request, badge_html, check_request, judge, run_comparison
from agent_flan.space.presets import EXAMPLES, TOOL_PRESETS
from agent_flan.space.tool_schema import tools_to_json

QUERY = "What's the weather like in Seattle, WA right now?"
REPO = Path(__file__).resolve().parents[1]


def _request(variant: str = "base", style: str = "general", tokens: int = 12) -> Request:
    return Request(QUERY, TOOL_PRESETS["Weather"], TOOL_PRESETS["Password and BMI"], True, variant, style, tokens, "")


@pytest.fixture(scope="module")
def tiny_engine(tmp_path_factory):
    from support.tiny_training import build_tiny_llama

    # a folder named like the offline default, to check the header and the SmolLM2 notice
    folder = build_tiny_llama(tmp_path_factory.mktemp("panes") / "smollm2-135m-instruct")
    return TransformersEngine(str(folder))


# --------------------------------------------------------------------------- generated together


def test_interleave_steps_every_pane_before_any_finishes():
    states = list(interleave([iter(["a", "ab", "abc"]), iter(["x"]), iter(["1", "12"])]))
    assert states[0] == [("a", False), ("x", False), ("1", False)]  # one step of each pane first
    assert states[-1] == [("abc", True), ("x", True), ("12", True)]


def test_first_words_of_every_pane_arrive_together_with_the_stand_in():
    states = [
        [json.dumps(chat, ensure_ascii=False) for chat in s.chats] for s in run_comparison(ScriptedEngine(), _request())
    ]
    streaming = [chats for chats in states if any("▌" in chat for chat in chats)]
    assert streaming, "no streamed state"
    first = streaming[0]
    assert all("▌" in chat for chat in first), "pane 2 or 3 waited for pane 1"


def test_batched_model_panes_match_one_prompt_at_a_time_and_start_together(tiny_engine):
    from agent_flan.space.panes import pane_messages

    request = _request(tokens=10)
    prompts = [pane_messages(request, p.key) for p in PANES]
    alone = [list(tiny_engine.stream(messages, "base", 10))[-1] for messages in prompts]
    steps = list(tiny_engine.stream_panes(prompts, "base", 10))
    assert [text for text, _ in steps[-1]] == alone  # left padding changes nothing (greedy)
    assert all(done for _, done in steps[-1])
    assert all(text for text, _ in steps[0]), "every pane gets its first token in the first step"


def test_each_pane_reports_the_exact_prompt_it_sent(tiny_engine):
    from agent_flan.space.panes import pane_messages

    request = _request()
    final = list(run_comparison(tiny_engine, request))[-1]
    for index, pane in enumerate(PANES):
        expected = tiny_engine.prompt_text(pane_messages(request, pane.key), "base")
        assert final.prompts[index] == expected == final.verdicts[pane.key]["prompt"]
        assert expected.startswith("<|im_start|>system") and QUERY in expected  # the chat template applied
    assert '"name": "get_weather"' in final.prompts[0] and "get_weather" not in final.prompts[1]
    assert "No functions are available" in final.prompts[1]
    assert '"name": "generate_password"' in final.prompts[2]


# --------------------------------------------------------------------------- badges


def test_badges_say_what_they_judge():
    from agent_flan.core.toolcalls.detect import detect

    weather = TOOL_PRESETS["Weather"]
    invented = "It is 14°C and sunny in Seattle right now."  # a made-up report: no call, but not "correct"
    expected_none = judge(detect(invented, []), [], False)
    expected_call = judge(detect(invented, weather), weather, True)
    assert (expected_none.label, expected_none.as_expected) == ("no tool call", True)
    assert (expected_call.label, expected_call.as_expected) == ("no tool call", False)
    green = badge_html(PANES[1], expected_none)
    assert "✓ no tool call" in green and "no call expected here" in green and BADGE_SCOPE in green
    assert "✗ no tool call" in badge_html(PANES[0], expected_call)
    call = judge(detect('{"name": "get_weather", "arguments": {"location": "Oslo"}}', weather), weather, True)
    assert call.label == "calls an offered tool" and "a call was expected here" in call.detail


# --------------------------------------------------------------------------- the played-back illustration


def test_the_illustration_covers_every_example_in_both_styles_and_says_what_it_is():
    recording = load_recording(None)
    assert recording is not None and "hand-written" in recording.label and "not a model" in recording.label
    assert recording.provenance["model"] is None and "no model produced them" in recording.provenance["how"]
    engine = WithRecording(ScriptedEngine(), recording)
    played = engine.variants[-1]
    assert played.value == "recorded" and "played back, not live" in played.label
    kinds = set()
    for example in EXAMPLES:
        for style in ("general", "react"):
            request = check_request(
                example.query,
                tools_to_json(TOOL_PRESETS[example.tools]),
                tools_to_json(TOOL_PRESETS[example.irrelevant]),
                example.needs_tool,
                "recorded",
                style,
                160,
                "",
                [v.value for v in engine.variants],
            )
            final = list(run_comparison(engine, request))[-1]
            for pane in PANES:  # a prompt change in core/prompts.py shows up here: re-key the file
                verdict = final.verdicts[pane.key]
                assert verdict.get("badge"), (example.query, style, pane.key, verdict)
                kinds.add((verdict["badge"], verdict["as_expected"]))
    assert {("correct_call", True), ("plain_answer", True), ("hallucinated_call", False)} <= kinds


def test_a_prompt_the_recording_does_not_cover_is_not_answered_and_live_choices_still_run():
    engine = WithRecording(ScriptedEngine(), load_recording(None))
    request = check_request("Tell me a joke.", "", "", False, "recorded", "general", 20, "", ["base", "recorded"])
    final = list(run_comparison(engine, request))[-1]
    assert all(final.verdicts[p.key]["badge"] is None for p in PANES)
    assert "no recorded reply for this exact prompt" in json.dumps(final.chats[0])
    assert "0 of 3 panes answered" in final.status
    live = list(run_comparison(engine, _request()))[-1]
    assert [live.verdicts[p.key]["badge"] for p in PANES] == ["correct_call", "plain_answer", "hallucinated_call"]


def test_recordings_are_looked_up_by_the_exact_messages():
    messages = [{"role": "system", "content": "a"}, {"role": "user", "content": "b"}]
    assert prompt_key(messages) == prompt_key([dict(m) for m in messages])
    assert prompt_key(messages) != prompt_key([messages[0], {"role": "user", "content": "b "}])
    assert load_recording("none") is None


# --------------------------------------------------------------------------- the header


def test_the_header_names_no_local_path_and_warns_about_smollm2(tiny_engine):
    folder = tiny_engine.model_name
    assert Path(folder).is_absolute()
    header = tiny_engine.describe()
    assert folder not in header and "smollm2-135m-instruct (a local folder)" in header
    assert "generated together" in header
    assert "never called a tool" in (tiny_engine.notice() or "")
    assert shown_name("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert shown_name("out/lora") == "out/lora"
    assert shown_name("/home/me/models/x") == "x (a local folder)"


def test_space_card_short_description_describes_the_comparison():
    from agent_flan.cards.space_card import SHORT_DESCRIPTION

    assert not SHORT_DESCRIPTION.startswith("Chat") and len(SHORT_DESCRIPTION) <= 60
    text = (REPO / "space" / "README.md").read_text(encoding="utf-8")
    assert f"short_description: {SHORT_DESCRIPTION}" in text
    assert "ORG/" not in text.split("\n---\n", 1)[1]  # the body names no placeholder repo
    assert "never called a tool" in text and "hand-written" in text
