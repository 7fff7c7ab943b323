"""The Space: tool-schema checks, badges, request limits, rendering, settings and CLI (no server),
then the `/compare` endpoint through gradio_client against the app served on 127.0.0.1 with a tiny
random Llama (fast: a 2-layer model, a few tokens per pane)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agent_flan.core.toolcalls.detect import detect
from agent_flan.space.engine import ScriptedEngine, scripted_reply
from agent_flan.space.panes import (
    PANES,
    Request,
    RequestError,
    badge_html,
    check_request,
    final_view,
    judge,
    pane_messages,
    run_comparison,
)
from agent_flan.space.presets import EXAMPLES, SITUATIONS, TOOL_PRESETS
from agent_flan.space.settings import MAX_QUERY_CHARS, Settings
from agent_flan.space.tool_schema import ToolSchemaError, parse_tools, tools_to_json

REPO = Path(__file__).resolve().parents[1]
WEATHER = tools_to_json(TOOL_PRESETS["Weather"])
OTHER = tools_to_json(TOOL_PRESETS["Password and BMI"])
QUERY = "What's the weather like in Seattle, WA right now?"


# --------------------------------------------------------------------------- tool schemas


def test_parse_tools_accepts_flat_wrapped_single_and_empty():
    flat = {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    wrapped = {"type": "function", "function": {"name": "search", "description": "Search the web"}}
    tools = parse_tools(json.dumps([flat, wrapped]))
    assert [t["name"] for t in tools] == ["get_weather", "search"]
    assert tools[1] == {
        "name": "search",
        "description": "Search the web",
        "parameters": {"type": "object", "properties": {}},
    }
    assert parse_tools(json.dumps(flat))[0]["name"] == "get_weather"
    assert parse_tools("") == parse_tools("  ") == parse_tools("[]") == []
    for preset in TOOL_PRESETS.values():
        assert parse_tools(tools_to_json(preset)) == preset


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"name": "a",}', "not valid JSON at line 1, column 15"),
        ('"get_weather"', "expected a JSON list of function schemas, got a string"),
        ("[1]", "tool 1 is a number"),
        ('[{"description": "x"}]', "tool 1 has no `name`"),
        ('[{"name": "get weather"}]', 'name "get weather" must start with a letter'),
        ('[{"name": "a", "parameters": {"type": "string"}}]', 'parameters.type must be "object"'),
        (
            '[{"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": "text"}}}}]',
            'parameters.properties.x.type "text" is not a JSON Schema type',
        ),
        (
            '[{"name": "a", "parameters": {"properties": {}, "required": ["city"]}}]',
            "parameters.required names `city`, which is not in parameters.properties",
        ),
        ('[{"name": "a"}, {"name": "a"}]', "two tools are named `a`"),
        ('[{"type": "tool", "function": {"name": "a"}}]', '`type` must be "function"'),
        (json.dumps([{"name": f"t{i}"} for i in range(30)]), "30 tools; the limit is 24"),
    ],
)
def test_parse_tools_errors_are_one_readable_sentence(text, message):
    with pytest.raises(ToolSchemaError) as info:
        parse_tools(text, "Tools")
    assert message in str(info.value)
    assert str(info.value).startswith("Tools: ") and "Traceback" not in str(info.value)


def test_presets_and_examples_cover_the_four_situations():
    assert {e.situation for e in EXAMPLES} == set(SITUATIONS)
    for example in EXAMPLES:
        assert example.tools in TOOL_PRESETS and example.irrelevant in TOOL_PRESETS
        assert example.needs_tool == example.situation.startswith("tool_needed")
        assert example.situation in example.label


# --------------------------------------------------------------------------- judging and rendering


@pytest.mark.parametrize(
    ("reply", "offered", "should_call", "kind", "as_expected"),
    [
        ('{"name": "get_weather", "arguments": {"location": "Paris"}}', "weather", True, "correct_call", True),
        ('{"name": "get_weather", "arguments": {"location": "Paris"}}', "none", False, "hallucinated_call", False),
        (
            'Thought: look it up\nAction: get_weather\nAction Input: {"location": "Paris"}',
            "none",
            False,
            "hallucinated_call",
            False,
        ),
        ('{"name": "generate_password", "arguments": {"length": 8}}', "other", False, "hallucinated_call", False),
        ('{"name": "get_forecast", "arguments": {"city": "Paris"}}', "weather", True, "unknown_tool", False),
        ("It is probably mild in Paris today.", "weather", True, "plain_answer", False),
        ("The capital of Australia is Canberra.", "none", False, "plain_answer", True),
    ],
)
def test_badges_follow_the_detector(reply, offered, should_call, kind, as_expected):
    tools = {"weather": TOOL_PRESETS["Weather"], "none": [], "other": TOOL_PRESETS["Password and BMI"]}[offered]
    badge = judge(detect(reply, tools), tools, should_call)
    assert (badge.kind, badge.as_expected) == (kind, as_expected)
    rendered = badge_html(PANES[0], badge)
    assert f'data-kind="{kind}"' in rendered and badge.label in rendered


def test_final_view_shows_call_steps_simulated_observation_and_raw_reply():
    reply = 'Sure. {"name": "get_weather", "arguments": {"location": "Paris"}} ```'
    verdict = detect(reply, TOOL_PRESETS["Weather"])
    badge = judge(verdict, TOOL_PRESETS["Weather"], True)
    view = final_view("weather?", reply, verdict, badge, '{"temp_c": 18}', 1.234)
    titles = [m.get("metadata", {}).get("title", "") for m in view if m["role"] == "assistant"]
    assert titles[0] == "Tool call: get\\_weather"  # titles are Markdown: the name is escaped to show as text
    assert '"location": "Paris"' in view[1]["content"]
    assert "simulated" in titles[1].lower() and "not a real tool result" in titles[1]
    assert "not executed" in view[2]["metadata"]["log"]
    assert titles[2] == "Raw model output" and view[-1]["metadata"]["status"] == "done"
    assert view[-1]["content"].startswith("````text\n")  # a fence longer than the reply's own ```
    plain = final_view("hi", "  ", detect("  ", []), judge(detect("  ", []), [], False), "", 0.1)
    assert plain[-1] == {"role": "assistant", "content": "*(the model returned an empty reply)*"}


def test_check_request_refuses_what_the_ui_would_not_send():
    ok = check_request(QUERY, WEATHER, OTHER, True, None, None, None, None, ["base"])
    assert (ok.variant, ok.style, ok.max_new_tokens, ok.should_call("tools"), ok.should_call("none")) == (
        "base",
        "general",
        160,
        True,
        False,
    )
    bad = [
        ("", "Type a question first."),
        ("x" * (MAX_QUERY_CHARS + 1), "the limit is 2,000"),
        (QUERY, "Relevant tools: not valid JSON"),
    ]
    for query, message in bad:
        with pytest.raises(RequestError, match=message):
            tools = "[{" if "JSON" in message else WEATHER
            check_request(query, tools, OTHER, True, "base", "general", 32, "", ["base"])
    with pytest.raises(RequestError, match="not loaded here"):
        check_request(QUERY, WEATHER, OTHER, True, "tuned", "general", 32, "", ["base"])
    with pytest.raises(RequestError, match="between 1 and 512"):
        check_request(QUERY, WEATHER, OTHER, True, "base", "general", 100_000, "", ["base"])
    with pytest.raises(RequestError, match="Prompt style"):
        check_request(QUERY, WEATHER, OTHER, True, "base", "xml", 32, "", ["base"])


def test_pane_prompts_use_the_agent_h_styles():
    request = check_request(QUERY, WEATHER, OTHER, True, "base", "react", 32, "", ["base"])
    systems = [pane_messages(request, p.key)[0]["content"] for p in PANES]
    assert "get_weather" in systems[0] and "Action Input" in systems[0]
    assert "get_weather" not in systems[1] and "generate_password" not in systems[1]  # pane 2 offers nothing
    assert "Action Input" in systems[1]
    assert "generate_password" in systems[2] and "get_weather" not in systems[2]


def test_scripted_comparison_streams_and_ends_with_every_badge():
    request = Request(QUERY, TOOL_PRESETS["Weather"], TOOL_PRESETS["Password and BMI"], True, "base", "general", 64, "")
    states = [(json.dumps(s.chats), s.status) for s in run_comparison(ScriptedEngine(), request)]
    assert len(states) > 10  # every chunk is a new state: the panes stream
    final = list(run_comparison(ScriptedEngine(), request))[-1]
    assert [final.verdicts[p.key]["badge"] for p in PANES] == ["correct_call", "plain_answer", "hallucinated_call"]
    assert final.status.startswith("Done · ")
    assert "Action Input" in scripted_reply(
        pane_messages(Request(QUERY, TOOL_PRESETS["Weather"], [], True, "base", "react", 64), "tools")
    )


# --------------------------------------------------------------------------- settings and CLI


def test_settings_come_from_flags_then_env_then_defaults():
    assert Settings.from_env({}) == Settings()
    env = {
        "AGENT_FLAN_MODEL": "org/base",
        "AGENT_FLAN_ADAPTER": "org/lora",
        "AGENT_FLAN_TRUST_REMOTE_CODE": "1",
        "AGENT_FLAN_CONCURRENCY": "3",
        "AGENT_FLAN_TORCH_THREADS": "1",
    }
    settings = Settings.from_env(env, adapter="local/lora", model=None)
    assert (
        settings.model,
        settings.adapter,
        settings.trust_remote_code,
        settings.concurrency,
        settings.torch_threads,
    ) == ("org/base", "local/lora", True, 3, 1)
    assert Settings().trust_remote_code is False
    with pytest.raises(ValueError, match="AGENT_FLAN_CONCURRENCY"):
        Settings.from_env({"AGENT_FLAN_CONCURRENCY": "many"})


def test_queue_and_concurrency_limits_follow_the_device_unless_set():
    import types

    from agent_flan.space.ui import build_app, resolved_limits

    cpu, cuda = ScriptedEngine(), types.SimpleNamespace(device="cuda:0")
    assert resolved_limits(cpu, Settings()) == (1, 16)
    assert resolved_limits(cuda, Settings()) == (4, 64)
    assert resolved_limits(cpu, Settings(concurrency=3, queue_size=0)) == (3, 0)
    assert resolved_limits(cpu, Settings.from_env({"AGENT_FLAN_QUEUE_SIZE": "5"})) == (1, 5)
    demo = build_app(cpu, Settings())
    assert demo._queue.max_size == 16
    compare = next(fn for fn in demo.fns.values() if fn.api_name == "compare")
    assert compare.concurrency_limit == 1 and compare.concurrency_id == "compare"


def test_default_model_is_the_hub_copy_on_a_space_when_not_prepared(monkeypatch, tmp_path):
    from agent_flan.space.settings import SMOLLM2_HUB_ID, resolve_model_path

    monkeypatch.setenv("AGENT_FLAN_HOME", str(tmp_path))  # nothing prepared here
    assert resolve_model_path("smollm2", {"SPACE_ID": "me/space"}) == SMOLLM2_HUB_ID
    assert resolve_model_path("org/model", {}) == "org/model"
    with pytest.raises(Exception, match="agent-flan models prepare smollm2"):
        resolve_model_path("smollm2", {})


def test_cli_registers_space_with_its_options():
    from agent_flan.space.cli import add_commands, run_space

    parser = argparse.ArgumentParser(prog="agent-flan")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["space", "--model", "m", "--adapter", "a", "--port", "7999", "--threads", "1"])
    assert (args.model, args.adapter, args.host, args.port, args.threads, args.handler) == (
        "m",
        "a",
        "127.0.0.1",
        7999,
        1,
        run_space,
    )
    assert parser.parse_args(["space"]).trust_remote_code is None  # unset: the env may still decide
    text = subprocess.run(
        [
            sys.executable,
            "-c",
            "import argparse, sys; from agent_flan.space.cli import add_commands; "
            "p = argparse.ArgumentParser(prog='agent-flan'); add_commands(p.add_subparsers()); "
            "p.parse_args(['space', '--help'])",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout
    assert "examples:" in text and "agent-flan space --model" in text
    lazy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, space.cli; print(any(m in sys.modules for m in ('torch', 'gradio', 'transformers')))",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout.strip()
    assert lazy == "False"  # heavy imports only inside the handler


# --------------------------------------------------------------------------- served app, tiny random model


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from support.tiny_training import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("space") / "tiny-llama")


@pytest.fixture(scope="module")
def tiny_url(tiny_model):
    from support.space_fakes import serving

    from agent_flan.space.engine import TransformersEngine

    # queue_size 32: the concurrency test submits 20 jobs at once, more than the CPU default queue (16) holds
    with serving(TransformersEngine(str(tiny_model)), Settings(concurrency=4, max_new_tokens=8, queue_size=32)) as url:
        yield url


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


def _compare(client, query: str = QUERY, tools: str = WEATHER, **kwargs):
    return client.predict(
        query,
        tools,
        OTHER,
        True,
        "base",
        kwargs.get("style", "general"),
        kwargs.get("max_new_tokens", 8),
        kwargs.get("observation", ""),
        api_name="/compare",
    )


def _assert_three_replies(result) -> None:
    chats, badges, verdicts, status = result[:3], result[3:6], result[6], result[7]
    assert status.startswith("Done · "), status
    for chat in chats:
        assert chat[0]["role"] == "user" and chat[-1]["role"] == "assistant"
    assert set(verdicts) == {p.key for p in PANES}
    for badge, pane in zip(badges, PANES, strict=True):
        assert f'data-kind="{verdicts[pane.key]["badge"]}"' in badge


def test_compare_endpoint_returns_one_reply_per_pane(tiny_url):
    client = _client(tiny_url)
    assert "/compare" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    result = _compare(client)
    _assert_three_replies(result)
    assert result[0][0]["content"][0]["text"] == QUERY
    # the API's own defaults fill what a caller leaves out
    _assert_three_replies(client.predict("Tell me a joke.", max_new_tokens=4, api_name="/compare"))


def test_bad_tool_json_returns_the_inline_error_and_the_app_keeps_serving(tiny_url):
    client = _client(tiny_url)
    cases = [
        ('[{"name": "get_weather",', "not valid JSON at line 1"),
        ('[{"name": "x", "parameters": {"required": ["y"]}}]', "which is not in parameters.properties"),
    ]
    for tools, message in cases:
        result = _compare(client, tools=tools)
        assert result[7].startswith("**Not run.** Relevant tools:") and message in result[7]
        assert "Traceback" not in result[7]
        # a refusal changes only the status line: the last answers stay on the page ("update" = unchanged)
        assert all(value.get("__type__") == "update" for value in (*result[:7], *result[8:])), result
    _assert_three_replies(_compare(client))


def test_twenty_concurrent_requests_all_complete(tiny_url):
    """20 jobs submitted at once (the queue runs 4 at a time here); every one completes, in its own order."""
    client = _client(tiny_url)
    jobs = [
        client.submit(
            f"Question number {i}: what's the weather in Oslo?",
            WEATHER,
            OTHER,
            True,
            "base",
            "general",
            2,
            "",
            api_name="/compare",
        )
        for i in range(20)
    ]
    results = [job.result(timeout=120) for job in jobs]
    assert len(results) == 20
    for i, result in enumerate(results):
        _assert_three_replies(result)
        assert f"Question number {i}:" in result[0][0]["content"][0]["text"]


def test_adapter_adds_a_tuned_choice_and_both_generate(tiny_model, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from agent_flan.space.engine import TransformersEngine

    torch.manual_seed(0)
    lora = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_model),
        LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=False),
    )
    lora.save_pretrained(tmp_path / "lora")
    engine = TransformersEngine(str(tiny_model), adapter=str(tmp_path / "lora"))
    assert [v.value for v in engine.variants] == ["base", "tuned"]
    assert "lora" in engine.describe()
    for variant in ("tuned", "base"):
        request = check_request(QUERY, WEATHER, OTHER, True, variant, "general", 4, "", ["base", "tuned"])
        final = list(run_comparison(engine, request))[-1]
        assert set(final.verdicts) == {p.key for p in PANES}
    assert engine.model.active_adapters == ["default"]  # `base` switched it off only for its own request


def test_prompt_longer_than_the_cap_is_refused_inline(tiny_model):
    from support.space_fakes import serving

    from agent_flan.space.engine import TransformersEngine

    with serving(TransformersEngine(str(tiny_model), max_input_tokens=64)) as url:
        result = _compare(_client(url))
    assert "the limit is 64" in result[7] and result[7].startswith("**Not run.**")


def test_app_py_runs_as_the_space_app_file(tiny_model, tmp_path):
    """`python app.py` from inside the Space folder, configured by Space variables, serves /compare."""
    from support.space_fakes import free_port

    port = free_port()
    env = {
        **os.environ,
        "AGENT_FLAN_MODEL": str(tiny_model),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": "",
    }
    log = open(tmp_path / "app.log", "w")
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=REPO / "space", env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 90
        while True:
            try:
                client = _client(url)
                break
            except (httpx.HTTPError, ValueError):  # not listening yet, or its config not served yet
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "app.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        _assert_three_replies(_compare(client, max_new_tokens=4))
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


# --------------------------------------------------------------------------- the Space repository files


def test_space_readme_front_matter_and_requirements_deploy_as_they_are():
    from importlib.metadata import version

    import yaml

    text = (REPO / "space" / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == version("gradio")  # the gradio the tests ran
    assert meta["python_version"] == "3.12" and isinstance(meta["python_version"], str)
    assert (REPO / "space" / meta["app_file"]).is_file() and meta["app_file"] == "app.py"
    assert meta["license"] == "apache-2.0" and meta["models"] and meta["datasets"]
    requirements = [
        line.strip()
        for line in (REPO / "space" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(line.lower().startswith("gradio") for line in requirements)  # sdk_version decides it
    assert any(line.startswith("agent-flan-kit") for line in requirements) and "torch>=2.8" in requirements


def test_zerogpu_decorator_only_when_spaces_is_importable(monkeypatch):
    import types

    from agent_flan.space.engine import gpu

    monkeypatch.setitem(sys.modules, "spaces", None)  # "not installed": import raises ImportError
    identity = gpu(60)
    assert identity(len) is len
    seen: list[int] = []
    fake = types.SimpleNamespace(GPU=lambda duration: seen.append(duration) or (lambda fn: ("gpu", fn)))
    monkeypatch.setitem(sys.modules, "spaces", fake)
    assert gpu(150)(len) == ("gpu", len) and seen == [150]
