"""The BFCL suite: BFCL's own prompt and relevance rule, item by item, with or without bfcl-eval installed.

tests/data/bfcl_v4_sample/ holds 30 real BFCL v4 entries (copied from the bfcl-eval 2026.3.23 wheel, see
tests/data/SOURCES.md); tests/data/bfcl_smollm2_replies/ holds real SmolLM2 replies to BFCL items in
BFCL's result-file layout, with the verdict bfcl-eval's decoder gave each (labels.json, computed with the
package). The kit's port must reproduce those verdicts exactly; where the package is installed, the
port and the package are also compared directly, prompt by prompt and reply by reply.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_flan.core.errors import BadInputError
from agent_flan.evaluation import bfcl_port, suite_bfcl

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = DATA / "bfcl_v4_sample"
REPLIES = DATA / "bfcl_smollm2_replies"
PACKAGE = suite_bfcl.Backend().pkg is not None
needs_package = pytest.mark.skipif(not PACKAGE, reason="bfcl-eval is not installed")

EDGE_REPLIES = [
    "[get_weather(city='Paris')]",
    "get_weather(city='Paris')",
    "[]",
    "[{}]",
    "I cannot help with that.",
    '[integral(value="x^3", from=1, to=5)]',
    '[get_company(params_name="domain"="amazon.com")]',
    "[requests.get(url='a'), requests.get(url='b'),",
    "```python\n[f(a=1)]\n```",
    "[f(a=2*3)]",
    "[f(a=lambda x: x)]",
    "[f(a=x[0])]",
    "[f(a=-x)]",
    "[f(1, 2)]",
    "[f(a=1), 3]",
    "'[f(a=1)]'",
    "[f(**kwargs)]",
    "[f(a={**k})]",
    "[a.b.c(x=[1, 2], y={'k': -1})]",
    "[f(a=(1, 2))]",
    "print('hello')",
    "\n\n[f(a=True)]\n",
    '{"name": "f", "arguments": {}}',
]


def fixture_replies() -> list[dict]:
    rows = []
    for path in sorted(REPLIES.glob("BFCL_v4_*_result.json")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def test_sample_loads_in_the_published_layout():
    items, info = suite_bfcl.load(str(SAMPLE), suite_bfcl.Backend(prefer_package=False))
    counts = {c: sum(i.category == c for i in items) for c in suite_bfcl.CATEGORIES}
    assert counts == {"irrelevance": 9, "live_irrelevance": 14, "live_relevance": 7}
    assert info["missing_categories"] == [] and len(info["files"]["irrelevance"]["sha256"]) == 64
    assert any(i.question[0]["role"] == "system" for i in items)  # a live item with its own system turn
    one, _ = suite_bfcl.load(str(SAMPLE / "BFCL_v4_live_relevance.json"), suite_bfcl.Backend(prefer_package=False))
    assert {i.category for i in one} == {"live_relevance"}


def test_bad_sources_are_user_errors(tmp_path):
    port = suite_bfcl.Backend(prefer_package=False)
    with pytest.raises(BadInputError, match="no BFCL_v4_"):
        suite_bfcl.load(str(tmp_path), port)
    bad = tmp_path / "BFCL_v4_irrelevance.json"
    bad.write_text('{"id": "irrelevance_0"}\n', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"BFCL_v4_irrelevance.json:1: not a BFCL entry"):
        suite_bfcl.load(str(tmp_path), port)
    with pytest.raises(BadInputError, match="no such file"):
        suite_bfcl.load(str(tmp_path / "missing" / "BFCL_v4_irrelevance.json"), port)
    other = tmp_path / "BFCL_v4_simple_python.json"
    other.write_text("", encoding="utf-8")
    with pytest.raises(BadInputError, match="not a BFCL relevance file"):
        suite_bfcl.load(str(other), port)


def test_port_prompt_is_bfcls_default_prompt():
    """The port's system prompt, spelled out: persona + task glued as BFCL glues them, the Python format,
    the JSON docs with BFCL's Python hint, and a given system turn appended after it."""
    items, _ = suite_bfcl.load(str(SAMPLE), suite_bfcl.Backend(prefer_package=False))
    item = next(i for i in items if i.category == "irrelevance")
    messages = suite_bfcl.Backend(prefer_package=False).messages(item)
    system = messages[0]["content"]
    assert messages[0]["role"] == "system" and messages[1:] == list(item.question)
    assert system.startswith("You are an expert in composing functions.You are given a question")
    assert (
        "[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)].  You SHOULD"
        in system
    )
    assert system.endswith(
        "\n" + json.dumps(bfcl_port.functions_with_hint(list(item.functions), "irrelevance"), indent=4) + "\n"
    )
    assert " Note that the provided function is in Python 3 syntax." in system
    assert "Note that" not in item.functions[0]["description"]  # the item itself is not changed
    with_system = next(i for i in items if i.question[0]["role"] == "system")
    merged = suite_bfcl.Backend(prefer_package=False).messages(with_system)
    assert merged[0]["content"].endswith("\n\n" + with_system.question[0]["content"])


def test_port_matches_the_stored_bfcl_eval_verdicts_item_by_item():
    """Real SmolLM2 replies in BFCL's result layout: the kit's BFCL verdict equals bfcl-eval's, every item."""
    labels = json.loads((REPLIES / "labels.json").read_text(encoding="utf-8"))
    port = suite_bfcl.Backend(prefer_package=False)
    rows = fixture_replies()
    assert len(rows) >= 200
    mismatches = [
        r["id"] for r in rows if port.decode(r["result"]).contains_call != labels[r["id"]]["bfcl_contains_call"]
    ]
    assert mismatches == []
    # SmolLM2 never writes a call BFCL's decoder reads (0 of 236): the calls are in the published replies below.
    assert sum(labels[r["id"]]["bfcl_contains_call"] for r in rows) == 0


def test_port_matches_bfcl_eval_on_published_leaderboard_replies():
    """Four models' published BFCL result files (tests/data/SOURCES.md): the port's verdict equals the package's
    on every reply, calls and non-calls, lambdas, bare names and `[None]` included."""
    folder = REPLIES.parent / "bfcl_public_replies"
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    port = suite_bfcl.Backend(prefer_package=False)
    seen, mismatches = 0, []
    for path in sorted(folder.glob("*.relevance_result.json")):
        model = path.name.removesuffix(".relevance_result.json")
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            seen += 1
            if port.decode(row["result"]).contains_call != labels[f"{model}/{row['id']}"]["bfcl_contains_call"]:
                mismatches.append(f"{model}/{row['id']}")
    assert seen == len(labels) >= 900 and mismatches == []
    by_package = [v for v in labels.values() if v["decoder"].startswith("bfcl-eval")]
    assert len(by_package) >= 0.98 * len(labels)  # all but the few replies the package would `eval`
    assert 300 < sum(v["bfcl_contains_call"] for v in labels.values()) < 700  # both verdicts, in numbers


@needs_package
def test_port_prompts_equal_the_package_for_every_shipped_item():
    package, port = suite_bfcl.Backend(), suite_bfcl.Backend(prefer_package=False)
    items, info = suite_bfcl.load(None, package)
    assert len(items) == 240 + 884 + 16 and "installed package" in info["source"]
    assert [i.id for i in items if package.messages(i) != port.messages(i)] == []


@needs_package
def test_port_decoder_equals_the_package_decoder():
    from bfcl_eval.constants.enums import ReturnFormat
    from bfcl_eval.model_handler.utils import default_decode_ast_prompting
    from bfcl_eval.utils import is_empty_output

    def package_verdict(reply: str) -> bool:  # eval_runner._evaluate_single_relevance_entry's decision
        try:
            return not is_empty_output(default_decode_ast_prompting(reply, ReturnFormat.PYTHON, False))
        except Exception:  # noqa: BLE001 - BFCL's own rule: a reply its decoder cannot read is "no call"
            return False

    replies = [r["result"] for r in fixture_replies()] + EDGE_REPLIES
    safe = [r for r in replies if not bfcl_port.needs_safe_decoder(r)]  # the package would eval the others
    port = suite_bfcl.Backend(prefer_package=False)
    assert [r for r in safe if port.decode(r).contains_call != package_verdict(r)] == []
    assert suite_bfcl.Backend().decode("[f(a=2*3)]").decoder.startswith("kit port")


def test_the_decoder_never_runs_code_from_a_reply(tmp_path):
    marker = tmp_path / "ran"
    reply = f"[f(a=open({str(marker)!r}, 'w').write('x') + 1)]"
    for backend in (suite_bfcl.Backend(), suite_bfcl.Backend(prefer_package=False)):
        decoded = backend.decode(reply)
        assert decoded.contains_call is False and "not a literal" in (decoded.error or "")
    assert not marker.exists()
    assert suite_bfcl.Backend(prefer_package=False).decode("[f(a=2**10, b='x' * 3)]").decoded == [
        {"f": {"a": 1024, "b": "xxx"}}
    ]
    assert suite_bfcl.Backend(prefer_package=False).decode("[f(a=9**9**9)]").contains_call is False


def test_judge_and_metrics_follow_bfcls_rules():
    items, _ = suite_bfcl.load(str(SAMPLE), suite_bfcl.Backend(prefer_package=False))
    backend = suite_bfcl.Backend(prefer_package=False)
    call, prose = "[some_tool(a=1)]", "I cannot answer that with these functions."
    rows = []
    for n, item in enumerate(items):
        reply = call if (item.category == "live_relevance" or n % 3 == 0) else prose
        rows.append(suite_bfcl.judge(item, reply, backend))
    irr = [r for r in rows if r["category"] == "irrelevance"]
    live = [r for r in rows if r["category"] == "live_irrelevance"]
    expect_irr = 100 * sum(r["reply"] == prose for r in irr) / len(irr)
    expect_live = 100 * sum(r["reply"] == prose for r in live) / len(live)
    summary = suite_bfcl.summarize(rows, resamples=200, seed=0)
    m = summary["metrics"]
    assert m["bfcl_irrelevance"] == pytest.approx(round(expect_irr, 2))
    assert m["bfcl_live_irrelevance"] == pytest.approx(round(expect_live, 2))
    assert m["bfcl_irrelevance_detection"] == pytest.approx(round((expect_irr + expect_live) / 2, 2), abs=0.01)
    assert m["bfcl_relevance"] == 100.0
    lo, hi = summary["details"]["ci95"]["bfcl_irrelevance"]
    assert lo <= m["bfcl_irrelevance"] <= hi
    assert summary["details"]["disagreements"]["count"] == 0  # the detector agrees on these clear replies
    copy = suite_bfcl.judge(items[0], json.dumps(list(items[0].functions)), backend)  # a definition copied back
    assert copy["bfcl_contains_call"] is False and copy["detector_calls_tool"] is False and copy["pass"]
    only_irrelevance = suite_bfcl.summarize([r for r in rows if r["category"] == "irrelevance"], 50, 0)["metrics"]
    assert only_irrelevance["bfcl_irrelevance_detection"] is None and only_irrelevance["bfcl_relevance"] is None
