"""`agent-flan eval --suite ...` end to end, offline: a tiny local model and a local OpenAI-compatible server,
on BFCL and When2Call fixtures in their published layouts and the embedded-sample agent_h; sampling,
--compare's paired bootstrap, the endpoint's native-tools check and tool_choice, and validate's
relevance rule.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent_flan.cli import main as agent_flan_main

DATA = Path(__file__).resolve().parent / "data"
BFCL = DATA / "bfcl_v4_sample"
W2C = DATA / "when2call_sample" / "when2call_test_sample.jsonl"
AGENT_H_KEYS = ("h_react", "h_general", "hscore", "relevance", "balanced")
BFCL_KEYS = ("bfcl_irrelevance", "bfcl_live_irrelevance", "bfcl_irrelevance_detection", "bfcl_relevance")
W2C_KEYS = ("when2call_f1", "when2call_acc_norm", "when2call_tool_hallucination")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from support.tiny_eval import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-suites") / "tiny-llama")


def suite_args(out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--suite",
        "bfcl",
        "--suite",
        "when2call",
        "--suite",
        "agent_h",
        "--suite-data",
        f"bfcl={BFCL}",
        "--suite-data",
        f"when2call={W2C}",
        "--limit",
        "30",
        "--out",
        str(out),
        "--max-new-tokens",
        "8",
        "--bootstrap",
        "100",
        "--no-progress",
        *extra,
    ]


@pytest.fixture(scope="module")
def local_run(tiny_model, sample_build, tmp_path_factory):
    folder, _ = sample_build
    out = tmp_path_factory.mktemp("suites") / "all.json"
    code = agent_flan_main(suite_args(out, "--model", str(tiny_model), "--dataset", str(folder), "--threads", "1"))
    assert code == 0
    return out


def test_all_three_suites_write_every_summary_key(local_run):
    results = json.loads(local_run.read_text())
    summary, run = results["summary"], results["run"]
    for key in AGENT_H_KEYS + BFCL_KEYS + W2C_KEYS:
        assert key in summary, key
    for key in AGENT_H_KEYS + ("bfcl_irrelevance", "bfcl_live_irrelevance", "bfcl_irrelevance_detection"):
        assert summary[key] is not None and 0 <= summary[key] <= 100, key
    assert summary["when2call_f1"] is not None and summary["when2call_acc_norm"] is not None
    assert summary["when2call_tool_hallucination"] is not None  # the fixture has no-tools cannot_answer items
    assert run["suites"] == ["bfcl", "when2call", "agent_h"]
    assert {x["suite"] for x in results["items"]} == {"agent_h", "bfcl", "when2call"}
    assert summary["suites"]["when2call"]["protocol"] == "mcq"
    assert summary["suites"]["bfcl"]["data"]["upstream"].startswith("ShishirPatil/gorilla@6ea5797")
    assert summary["suites"]["when2call"]["data"]["upstream"].startswith("NVIDIA/When2Call@ecc8d42")
    assert "disagreements" in summary["suites"]["bfcl"] and "judge" in summary["suites"]["bfcl"]
    samples = run["samples"]
    assert samples["agent_h"]["method"] == "stratified" and samples["agent_h"]["sampled"] == 30
    assert samples["bfcl"]["sampled"] == 30 and samples["when2call"]["sampled"] == 26  # the fixtures are smaller
    agent_h_ids = [x["id"] for x in results["items"] if x["suite"] == "agent_h"]
    assert agent_h_ids == samples["agent_h"]["ids"]
    md = local_run.with_suffix(".md").read_text()
    assert "### BFCL v4 relevance" in md and "### When2Call" in md and "### Agent-H" in md


def test_second_run_is_served_from_the_cache(local_run, tiny_model, sample_build, capsys):
    folder, _ = sample_build
    first = json.loads(local_run.read_text())
    args = suite_args(local_run, "--model", str(tiny_model), "--dataset", str(folder), "--threads", "1")
    assert agent_flan_main(args) == 0
    again = json.loads(local_run.read_text())
    assert again["run"]["generated"] == 0 and again["run"]["cached"] == len(first["items"])
    assert again["summary"]["bfcl_irrelevance"] == first["summary"]["bfcl_irrelevance"]
    assert again["summary"]["when2call_f1"] == first["summary"]["when2call_f1"]


def test_limit_is_a_seeded_stratified_sample():
    from agent_flan.evaluation.sampling import stratified_sample

    items = [(f"id{i}", "big" if i < 80 else ("mid" if i < 95 else "small")) for i in range(100)]
    picked, info = stratified_sample(items, 10, 0, lambda x: x[1], lambda x: x[0], "t")
    again, _ = stratified_sample(items, 10, 0, lambda x: x[1], lambda x: x[0], "t")
    other, _ = stratified_sample(items, 10, 1, lambda x: x[1], lambda x: x[0], "t")
    assert picked == again and picked != other
    assert {k: v["sampled"] for k, v in info.strata.items()} == {"big": 8, "mid": 1, "small": 1}
    assert picked != items[:10] and [p[0] for p in picked] == list(info.ids)
    assert [items.index(p) for p in picked] == sorted(items.index(p) for p in picked)  # file order kept
    few, info_few = stratified_sample(items, 2, 0, lambda x: x[1], lambda x: x[0], "t")  # fewer than the strata
    assert {k: v["sampled"] for k, v in info_few.strata.items()} == {"big": 1, "mid": 1, "small": 0}
    everything, info_all = stratified_sample(items, None, 0, lambda x: x[1], lambda x: x[0], "t")
    assert everything == items and info_all.method == "all"


def test_suite_options_are_checked(tiny_model, tmp_path, capsys):
    base = ["eval", "--model", str(tiny_model), "--out", str(tmp_path / "x.json")]
    assert agent_flan_main([*base, "--suite", "bfcl,nope"]) == 2
    assert "not a suite" in capsys.readouterr().err
    assert agent_flan_main([*base, "--suite", "bfcl", "--suite-data", "when2call=x.jsonl"]) == 2
    assert "add --suite when2call" in capsys.readouterr().err
    assert agent_flan_main([*base, "--suite", "bfcl", "--suite-data", "bfcl"]) == 2
    assert "SUITE=PATH_OR_ID" in capsys.readouterr().err
    assert agent_flan_main([*base, "--dataset", str(BFCL)]) == 2
    assert f"--suite bfcl --suite-data bfcl={BFCL}" in capsys.readouterr().err
    assert agent_flan_main([*base, "--tool-choice", "required"]) == 2
    assert "--tool-choice applies to --endpoint with --native-tools" in capsys.readouterr().err


def test_compare_gives_paired_intervals_and_changed_replies(local_run, tmp_path, capsys):
    a = json.loads(local_run.read_text())
    b = json.loads(local_run.read_text())
    changed = 0
    for row in b["items"]:  # B: a model that calls a tool on every BFCL irrelevance item
        if row["suite"] == "bfcl" and "irrelevance" in row["category"]:
            changed += row["reply"] != "[x(a=1)]"
            row["reply"], row["pass"], row["bfcl_contains_call"] = "[x(a=1)]", False, True
    second = tmp_path / "b.json"
    second.write_text(json.dumps(b))
    assert agent_flan_main(["eval", "--compare", str(local_run), str(second), "--bootstrap", "200"]) == 0
    out = capsys.readouterr().out
    assert "Paired bootstrap on the items both runs share" in out
    assert "| bfcl | bfcl_irrelevance_detection |" in out and "| agent_h | hscore |" in out
    assert f"bfcl: 30 shared items; {changed} changed their answer" in out
    from agent_flan.evaluation.compare import paired

    result = paired(a, b, resamples=200, seed=0)
    same = result["agent_h"]["metrics"]["hscore"]
    assert same["diff"] == 0.0 and same["significant"] is False
    live = result["bfcl"]["metrics"]["bfcl_live_irrelevance"]
    assert live["b"] == 0.0 and live["diff"] == -live["a"]
    assert live["significant"] is (live["a"] > 0)  # a drop from a rate above 0 to 0 on all 14 items
    assert result["bfcl"]["metrics"]["bfcl_relevance"]["diff"] == 0.0  # relevance items unchanged


# --------------------------------------------------------------------------- endpoint


class Server:
    """An OpenAI-compatible chat server: a call for every third prompt, usage counted from the request."""

    def __init__(self, reads_tools: bool):
        self.reads_tools = reads_tools
        self.bodies: list[dict] = []
        self.lock = threading.Lock()

    def answer(self, body: dict) -> dict:
        with self.lock:
            self.bodies.append(body)
        text = json.dumps(body["messages"])
        tools = json.dumps(body.get("tools") or [])
        calls = sum(map(ord, text)) % 3 == 0
        reply = "[search_engine.query(prompt='x')]" if calls else "I cannot do that with these functions."
        prompt_tokens = len(text) // 4 + (len(tools) // 4 if self.reads_tools and body.get("tools") else 0)
        return {
            "choices": [{"message": {"role": "assistant", "content": reply}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 5},
        }


@pytest.fixture
def serve():
    servers = []

    def start(reads_tools: bool = True) -> tuple[Server, str]:
        state = Server(reads_tools)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                data = json.dumps(state.answer(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return state, f"http://127.0.0.1:{httpd.server_address[1]}/v1"

    yield start
    for httpd in servers:
        httpd.shutdown()


def endpoint_args(url: str, folder: Path, out: Path, *extra: str) -> list[str]:
    return suite_args(out, "--endpoint", url, "--model-name", "m", "--dataset", str(folder), *extra)


def test_all_suites_through_an_endpoint(serve, sample_build, tmp_path):
    state, url = serve()
    folder, _ = sample_build
    out = tmp_path / "endpoint.json"
    assert agent_flan_main(endpoint_args(url, folder, out, "--concurrency", "4")) == 0
    results = json.loads(out.read_text())
    summary = results["summary"]
    for key in AGENT_H_KEYS + BFCL_KEYS + W2C_KEYS:
        assert key in summary, key
    assert summary["when2call_f1"] is None  # no log-probabilities through the API: named generation metrics
    assert summary["when2call_gen_tool_hallucination"] is not None
    assert summary["suites"]["when2call"]["protocol"] == "generate"
    bfcl = [x for x in results["items"] if x["suite"] == "bfcl"]
    for row in bfcl:  # BFCL's verdict per item follows its rule on the recorded reply
        calls = row["reply"].startswith("[search_engine")
        assert row["bfcl_contains_call"] is calls
        assert row["pass"] is ((not calls) if "irrelevance" in row["category"] else calls)
    assert all("tools" not in body for body in state.bodies)  # prompt mode: tools only in the prompt
    assert "native_tools_check" not in results["run"]


def test_native_tools_server_that_ignores_tools_is_reported(serve, sample_build, tmp_path, capsys):
    state, url = serve(reads_tools=False)
    folder, _ = sample_build
    out = tmp_path / "ignored.json"
    args = endpoint_args(url, folder, out, "--native-tools", "--tool-choice", "required")
    assert agent_flan_main(_agent_h_only(args)) == 0  # Agent-H only: BFCL's FC mode needs bfcl-eval
    check = json.loads(out.read_text())["run"]["native_tools_check"]
    assert check["status"] == "ignored"
    assert check["prompt_tokens_with_tools"] == check["prompt_tokens_without_tools"]
    err = capsys.readouterr().err
    assert "WARNING: the server ignores the `tools` field" in err
    assert "WARNING: the server ignores the `tools` field" in out.with_suffix(".md").read_text()
    with_tools = [b for b in state.bodies if b.get("tools")]
    assert with_tools and all(b["tool_choice"] == "required" for b in with_tools)
    assert json.loads(out.read_text())["run"]["tool_choice"] == "required"


def test_native_tools_server_that_reads_tools_passes_the_check(serve, sample_build, tmp_path):
    _, url = serve(reads_tools=True)
    folder, _ = sample_build
    out = tmp_path / "read.json"
    assert agent_flan_main(_agent_h_only(endpoint_args(url, folder, out, "--native-tools"))) == 0
    check = json.loads(out.read_text())["run"]["native_tools_check"]
    assert check["status"] == "read" and check["prompt_tokens_with_tools"] > check["prompt_tokens_without_tools"]


def _agent_h_only(args: list[str]) -> list[str]:
    """The same command with only --suite agent_h (and no --suite-data)."""
    out, skip = [], 0
    for arg in args:
        if skip:
            skip -= 1
            continue
        if arg in ("--suite", "--suite-data"):
            skip = 1
            continue
        out.append(arg)
    return out + ["--suite", "agent_h"]


# --------------------------------------------------------------------------- validate


def test_validate_accepts_relevance_items_without_an_expected_tool(sample_build, tmp_path):
    import pyarrow.parquet as pq

    from agent_flan.dataset_builder.validate import validate_folder

    folder, _ = sample_build
    copy = tmp_path / "agent-flan"
    shutil.copytree(folder, copy)
    for path in sorted((copy / "data" / "agent_h").glob("*.parquet")):
        table = pq.read_table(path)
        rows = table.to_pylist()
        for row in rows:
            if row["should_call"]:
                row["expected_tool"] = ""  # BFCL-style relevance: any call counts
        pq.write_table(table.from_pylist(rows, schema=table.schema), path)
    assert not [p for p in validate_folder(copy) if "expected_tool" in p]


@pytest.mark.slow
def test_smollm2_runs_every_suite(sample_build, tmp_path):
    """The real offline model through all three suites (a few items each: 2 shared CPU cores)."""
    from agent_flan.core.models import is_prepared, named_model_dir

    if not is_prepared(named_model_dir("smollm2")):
        pytest.skip("SmolLM2 is not prepared (agent-flan models prepare smollm2)")
    folder, _ = sample_build
    out = tmp_path / "smollm2.json"
    args = suite_args(out, "--model", "smollm2", "--dataset", str(folder), "--threads", "1")
    args[args.index("--limit") + 1] = "3"
    args[args.index("--max-new-tokens") + 1] = "32"
    assert agent_flan_main(args) == 0
    summary = json.loads(out.read_text())["summary"]
    for key in AGENT_H_KEYS + BFCL_KEYS + W2C_KEYS:
        assert key in summary, key
    assert summary["when2call_acc_norm"] is not None and summary["bfcl_irrelevance"] is not None
