"""Tests for evaluation.detector and its CLI.

The hand-written corpus (tests/data/detector_corpus.jsonl) is a specification: every case must
come out exactly (calls or not, style, first tool name), so a regression in any one style shows.
It is not a measurement. How good the detector is on real model replies (precision and recall on a
held-out part of a corpus of public judged replies) is tests/test_detector_corpus.py's job.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # so plain `pytest` works without an installed package
    sys.path.insert(0, str(ROOT))

from agent_flan.core.toolcalls.detect import STYLES, ToolCall, Verdict, detect, tool_names  # noqa: E402
from agent_flan.evaluation import detect_cli  # noqa: E402

CORPUS_PATH = ROOT / "tests" / "data" / "detector_corpus.jsonl"
CORPUS = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]

WEATHER = [{"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]


# --------------------------------------------------------------------------- corpus


def test_corpus_shape():
    """The corpus covers every style with enough cases, including plenty of non-calls."""
    ids = [case["id"] for case in CORPUS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert len(CORPUS) >= 120
    counts = {style: sum(case["style"] == style for case in CORPUS) for style in STYLES}
    for style in ("react", "json", "function", "native", "phrase"):
        assert counts[style] >= 10, (style, counts)
    assert counts["none"] >= 45
    for case in CORPUS:
        assert set(case) == {"id", "reply", "tools", "calls_tool", "style", "name"}
        assert case["style"] in STYLES
        assert case["calls_tool"] == (case["style"] != "none")


@pytest.mark.parametrize("case", CORPUS, ids=[case["id"] for case in CORPUS])
def test_corpus_case(case):
    verdict = detect(case["reply"], case["tools"])
    assert verdict.calls_tool == case["calls_tool"]
    assert verdict.style == case["style"]
    first_name = verdict.calls[0].name if verdict.calls else ""
    assert first_name == case["name"]


# --------------------------------------------------------------------------- tool_names


def test_tool_names_accepts_both_schema_shapes_and_json():
    tools = [
        {"name": "get_weather", "parameters": {}},
        {"type": "function", "function": {"name": "get_stock_price", "parameters": {}}},
    ]
    assert tool_names(tools) == {"get_weather", "get_stock_price"}
    assert tool_names(json.dumps(tools)) == {"get_weather", "get_stock_price"}


def test_tool_names_none_and_empty():
    assert tool_names(None) is None
    assert tool_names([]) == set()
    assert tool_names("[]") == set()


def test_tool_names_rejects_bad_json():
    with pytest.raises(ValueError, match="not valid JSON"):
        tool_names("[{oops")
    with pytest.raises(ValueError, match="list"):
        tool_names('"get_weather"')


# --------------------------------------------------------------------------- known / unknown

CALL_BOOK = '<tool_call>{"name": "book_hotel", "arguments": {"city": "Paris"}}</tool_call>'
CALL_WEATHER = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'


def test_known_with_tools_given():
    verdict = detect(CALL_WEATHER, WEATHER)
    assert verdict.calls[0].known is True
    assert verdict.unknown_tools == ()
    verdict = detect(CALL_BOOK, WEATHER)
    assert verdict.calls[0].known is False
    assert verdict.unknown_tools == ("book_hotel",)


def test_empty_tool_list_means_every_call_is_unknown():
    verdict = detect(CALL_WEATHER, [])
    assert verdict.calls_tool
    assert verdict.calls[0].known is False
    assert verdict.unknown_tools == ("get_weather",)


def test_tools_none_means_not_told():
    verdict = detect(CALL_BOOK, None)
    assert verdict.calls[0].known is None
    assert verdict.unknown_tools == ()


def test_toolbench_dotted_name_matches_offered_api():
    verdict = detect('{"Tool": "weather.get_forecast", "Param": {"lat": 1}}', [{"name": "get_forecast"}])
    assert verdict.calls[0].known is True


def test_unknown_tools_are_deduplicated_in_order():
    reply = "\n".join(
        f'<tool_call>{{"name": "{name}", "arguments": {{}}}}</tool_call>' for name in ("b_tool", "a_tool", "b_tool")
    )
    assert detect(reply, []).unknown_tools == ("b_tool", "a_tool")


# --------------------------------------------------------------------------- arguments


def test_react_arguments_parsed_to_dict():
    call = detect('Action: get_weather\nAction Input: {"city": "Paris"}', WEATHER).calls[0]
    assert call == ToolCall(name="get_weather", arguments={"city": "Paris"}, arguments_valid=True, known=True)


def test_react_invalid_json_kept_verbatim():
    text = "{city: Paris,\n  units: metric"
    call = detect(f"Thought: weather\nAction: get_weather\nAction Input: {text}", WEATHER).calls[0]
    assert call.arguments == text
    assert call.arguments_valid is False


def test_glaive_single_quoted_arguments():
    reply = '<functioncall> {"name": "get_weather", "arguments": \'{"city": "Paris", "days": 3}\'} <|endoftext|>'
    call = detect(reply, WEATHER).calls[0]
    assert call.arguments == {"city": "Paris", "days": 3}
    assert call.arguments_valid


def test_openai_string_arguments_are_decoded():
    reply = json.dumps({"function_call": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}})
    assert detect(reply).calls[0].arguments == {"city": "Paris"}


def test_function_keyword_arguments_use_ast_not_eval():
    call = detect('get_weather(city="Paris", days=2, flags=[1, 2], when=__import__("os"))', WEATHER).calls[0]
    assert call.arguments == {"city": "Paris", "days": 2, "flags": [1, 2], "when": "__import__('os')"}
    assert call.arguments_valid


def test_function_positional_arguments_kept_as_text():
    call = detect("```python\ncalculate_bmi(70, 1.75)\n```").calls[0]
    assert call.arguments == "70, 1.75"
    assert call.arguments_valid is False


def test_no_arguments_is_valid():
    call = detect("<function=get_time></function>").calls[0]
    assert call.name == "get_time"
    assert call.arguments is None
    assert call.arguments_valid is True


def test_phrase_calls_have_no_arguments():
    call = detect("I will use the get_weather tool to check.", WEATHER).calls[0]
    assert call.arguments is None
    assert call.arguments_valid is False


def test_truncated_json_recovers_name():
    call = detect('{"name": "get_weather", "arguments": {"city": "Par').calls[0]
    assert call.name == "get_weather"
    assert isinstance(call.arguments, str)
    assert call.arguments_valid is False


def test_multiple_calls_are_all_returned():
    verdict = detect('[get_weather(city="Paris"), get_weather(city="Rome")]', WEATHER)
    assert [c.arguments for c in verdict.calls] == [{"city": "Paris"}, {"city": "Rome"}]


# --------------------------------------------------------------------------- verdict shape


def test_plain_verdict_and_to_dict():
    verdict = detect("The capital of France is Paris.", WEATHER)
    assert verdict == Verdict(calls_tool=False, style="none", calls=(), unknown_tools=())
    assert verdict.to_dict() == {
        "calls_tool": False,
        "style": "none",
        "calls": [],
        "unknown_tools": [],
        "reasoning_mentions_call": None,
    }


def test_to_dict_is_json_safe():
    verdict = detect("```python\nplot_points(points=(1, 2), tags={'a'})\n```")
    data = verdict.to_dict()
    json.dumps(data)
    assert data["calls"][0] == {
        "name": "plot_points",
        "arguments": {"points": [1, 2], "tags": ["a"]},
        "arguments_valid": True,
        "known": None,
    }


def test_empty_reply():
    assert detect("").calls_tool is False
    assert detect(None).calls_tool is False  # type: ignore[arg-type]


def test_long_degenerate_reply_does_not_hang():
    """A liveness guard, not a speed claim (speed belongs in benchmarks): it must finish, with the
    right verdict, well inside a generous subprocess deadline."""
    code = (
        "from agent_flan.core.toolcalls.detect import detect\n"
        "reply = \"Some text with {braces and 'quotes' [lists] \" * 2000 + '{' * 3000\n"
        "print(detect(reply).calls_tool)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "False", proc.stderr


# --------------------------------------------------------------------------- CLI


def run_main(monkeypatch, capsys, stdin: str, argv: list[str]) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = detect_cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_main_detects_call(monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, 'Action: get_weather\nAction Input: {"city": "Paris"}\n', [])
    assert code == 0
    data = json.loads(out)
    assert data["calls_tool"] is True
    assert data["style"] == "react"
    assert data["calls"][0]["arguments"] == {"city": "Paris"}


def test_cli_main_unescapes_echo_style_input(monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, 'Action: get_weather\\nAction Input: {"city": "Paris"}\n', [])
    assert code == 0
    assert json.loads(out)["calls"][0]["arguments"] == {"city": "Paris"}


def test_cli_main_tools_inline_and_file(monkeypatch, capsys, tmp_path):
    reply = '<tool_call>{"name": "book_hotel", "arguments": {}}</tool_call>'
    code, out, _ = run_main(monkeypatch, capsys, reply, ["--tools", json.dumps(WEATHER)])
    assert code == 0
    assert json.loads(out)["unknown_tools"] == ["book_hotel"]
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps([{"type": "function", "function": {"name": "book_hotel"}}]), encoding="utf-8")
    code, out, _ = run_main(monkeypatch, capsys, reply, ["--tools", str(tools_file)])
    assert code == 0
    assert json.loads(out)["calls"][0]["known"] is True


def test_cli_main_bad_tools_json(monkeypatch, capsys):
    code, out, err = run_main(monkeypatch, capsys, "hello", ["--tools", "[{oops"])
    assert code == 2
    assert out == ""
    assert "not valid JSON" in err


def test_cli_main_tools_not_a_list(monkeypatch, capsys):
    code, _, err = run_main(monkeypatch, capsys, "hello", ["--tools", '"get_weather"'])
    assert code == 2
    assert "list" in err


def test_cli_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "agent_flan", "detect", "--tools", "[]"],
        input="I will use the get_weather tool to check Paris.",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["style"] == "phrase"
    assert data["unknown_tools"] == ["get_weather"]


# --------------------------------------------------------------------------- judge-grade rules (issue #12)

BFCL_TOOLS = [
    {
        "name": "requests.get",
        "description": "Sends a GET request.",
        "parameters": {"type": "dict", "properties": {"url": {"type": "string"}}, "required": ["url"]},
    }
]


@pytest.mark.parametrize(
    "reply",
    [
        '[integral(value="x^3", from=1, to=5)]',  # `from` is a keyword: no parse, still an attempt
        '[get_company_info(params_name="domain"="amazon.com")]',
        "[requests.get(url='https://a.example'), requests.get(url='https://b.example'),",  # cut off
        'calculate_area(base=10, height="5',  # unterminated string
        "```python\n[integral(value='x', from=1)]\n```",
    ],
)
def test_broken_and_truncated_call_attempts_are_calls_with_invalid_arguments(reply):
    verdict = detect(reply, BFCL_TOOLS)
    assert verdict.calls_tool, reply
    assert verdict.calls[0].arguments_valid is False
    assert verdict.calls[0].name in {"integral", "get_company_info", "requests.get", "calculate_area"}


@pytest.mark.parametrize(
    "reply",
    [
        "print(hello world)",  # ordinary code, broken
        "Area(base=10) is what you get when",  # CapWords and prose
        "f(x) = x^2 + 1 is a parabola.",
        "compute(\n\nThen we add the numbers.",
    ],
)
def test_broken_code_and_prose_are_not_attempts(reply):
    assert detect(reply, BFCL_TOOLS).calls_tool is False, reply


def _schema(kind: str) -> dict:
    return {"type": kind, "properties": {"city": {"type": "string", "description": "a city"}}, "required": ["city"]}


@pytest.mark.parametrize(
    "reply",
    [
        json.dumps([{"name": "get_weather", "description": "Weather.", "parameters": _schema("dict")}]),  # BFCL
        json.dumps({"name": "get_weather", "description": "Weather.", "parameters": _schema("object")}),
        json.dumps({"type": "function", "function": {"name": "get_weather", "parameters": _schema("object")}}),
        json.dumps([{"type": "function", "function": {"name": "get_weather", "parameters": _schema("dict")}}]),
        json.dumps({"name": "get_weather", "description": "Weather.", "parameters": {"properties": {"city": {}}}}),
        json.dumps({"name": "get_weather", "description": "W.", "parameters": {"city": {"type": "string"}}}),
        "```json\n" + json.dumps({"name": "get_weather", "parameters": _schema("dict")}, indent=2) + "\n```",
    ],
)
def test_definition_copies_in_every_schema_dialect_are_not_calls(reply):
    assert detect(reply, WEATHER).calls_tool is False, reply


def test_a_call_whose_arguments_look_like_types_is_still_a_call():
    assert detect('{"name": "set_type", "arguments": {"type": "dict"}}').calls_tool
    assert detect('{"name": "get_weather", "arguments": {"city": "Paris"}}', WEATHER).calls_tool


@pytest.mark.parametrize(
    "reply",
    [
        "I'm sorry, I must tell you that the weather forecast cannot be provided through these tools.",
        "Let me know if there are other details I can assist with using the current tools!",
        "I'll gladly help you with your own tools if you share them.",
        "I should point out that these can't be handled with those functions.",
    ],
)
def test_prose_about_tools_is_not_a_call(reply):
    assert detect(reply, WEATHER).calls_tool is False, reply


def test_prose_intent_with_a_real_tool_still_counts():
    verdict = detect("Let me use the get_weather tool to check Paris.", WEATHER)
    assert verdict.calls_tool and verdict.calls[0].name == "get_weather"


CALL = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'


@pytest.mark.parametrize(
    ("reply", "calls", "mentions"),
    [
        ("<think>I should call get_weather(city='Paris').</think>\nIt is sunny in Paris today.", False, True),
        ("<think>The user greets me.</think>\n\nHello!", False, False),
        (f"<think>Let me use the get_weather tool.</think>\n{CALL}", True, True),
        ("Okay, I'll use the get_weather tool.\n</think>\n\nI can't check that.", False, True),  # template opened it
        ("<think>\nI need to call get_weather with city Paris and then", False, True),  # cut off while thinking
        (
            "<|channel|>analysis<|message|>Call get_weather?<|end|><|start|>assistant<|channel|>final<|message|>Hi",
            False,
            False,
        ),
        (CALL, True, None),  # no reasoning block at all
    ],
)
def test_only_the_final_answer_is_judged(reply, calls, mentions):
    verdict = detect(reply, WEATHER)
    assert verdict.calls_tool is calls, reply
    assert verdict.reasoning_mentions_call is mentions, reply
    assert verdict.to_dict()["reasoning_mentions_call"] is mentions


def test_code_listings_in_other_languages_are_not_calls():
    go = 'Here is the code:\npackage main\nfunc main() {\n fmt.Println("hi")\n return\n}\n'
    matlab = "Here you go.\n\npuns = {pun1, pun2};\ndisp(puns);"
    assert detect(go).calls_tool is False and detect(matlab).calls_tool is False
    offered = "x = 1;\ny = 2;\nget_weather(city='Paris');"
    assert detect(offered, WEATHER).calls_tool  # a listing that calls an offered tool still calls it
