"""The endpoint runner against a real OpenAI-compatible HTTP server on 127.0.0.1.

The server (stdlib http.server in a thread) answers /v1/chat/completions from a table of
replies keyed by the prompt, and can be told to fail: HTTP 500, dropped connections, 429
with Retry-After, or going down for good after N replies.  No model is loaded here.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agent_flan.cli import main as agent_flan_main  # noqa: E402
from agent_flan.core.errors import BadInputError  # noqa: E402
from agent_flan.core.runners.endpoint import chat_completions_url, public_url, reply_text  # noqa: E402
from agent_flan.evaluation.items import load_items  # noqa: E402
from agent_flan.evaluation.judge import judge  # noqa: E402
from agent_flan.evaluation.metrics import summarize  # noqa: E402

SECRET = "sk-test-DO-NOT-PRINT-1234567890"


def prompt_key(messages: list[dict]) -> str:
    return json.dumps([[m["role"], m["content"]] for m in messages], ensure_ascii=False)


def recorded_reply(item, index: int) -> str:
    """What our pretend model answers: calls when it should, hallucinates on a few items on purpose."""
    tool = json.loads(item.tools_json)[0]["name"] if item.tools else "web_search"
    if item.should_call:
        if item.prompt_style == "react":
            return f"Thought: I should use a tool.\nAction: {tool}\nAction Input: {{}}"
        return json.dumps({"name": item.expected_tool, "arguments": {}})
    if index % 7 == 0:  # planted hallucination
        return (
            f"Thought: let me look.\nAction: {tool}\nAction Input: {{}}"
            if item.prompt_style == "react"
            else f"I will use the {tool} tool to find out."
        )
    if index % 11 == 0 and item.prompt_style == "react":  # keyword hit, but not a call
        return "Thought: I know this one.\nFinal Answer: here you go."
    return "I'm sorry, I can't do that directly, but here is what I know."


class Behaviour:
    """Shared, thread-safe state: the table, the failure plan and a log of what was asked."""

    def __init__(self, table: dict[str, str]):
        self.table = table
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.log: list[str] = []  # prompt keys of every request, in order
        self.auth: list[str | None] = []
        self.flaky = False  # per prompt: 1st attempt 500, 2nd dropped, 3rd 429, then OK
        self.serve_ok_then_die: int | None = None  # after N good replies, 503 forever
        self.ok = 0
        self.known_models = {"recorded-model"}

    def decide(self, key: str) -> str:
        with self.lock:
            self.attempts[key] += 1
            self.log.append(key)
            attempt = self.attempts[key]
            if self.serve_ok_then_die is not None and self.ok >= self.serve_ok_then_die:
                return "503"
            if self.flaky and attempt <= 3:
                return {1: "500", 2: "drop", 3: "429"}[attempt]
            self.ok += 1
            return "ok"


def make_handler(behaviour: Behaviour):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep pytest output clean
            pass

        def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path != "/v1/chat/completions":
                return self._send(404, {"error": "no such route"})
            behaviour.auth.append(self.headers.get("Authorization"))
            if body.get("model") not in behaviour.known_models:
                return self._send(404, {"error": {"message": f"model {body.get('model')} does not exist"}})
            key = prompt_key(body["messages"])
            action = behaviour.decide(key)
            if action == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # no status line at all
                return
            if action in ("500", "503"):
                return self._send(int(action), {"error": "internal error"})
            if action == "429":
                return self._send(429, {"error": "slow down"}, {"Retry-After": "0"})
            reply = behaviour.table.get(key, "no recording for this prompt")
            self._send(
                200,
                {
                    "id": "cmpl-1",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}
                    ],
                },
            )

    return Handler


@pytest.fixture(scope="module")
def agent_h(sample_build):
    folder, _ = sample_build
    items = load_items(str(folder))
    table = {prompt_key(list(it.messages)): recorded_reply(it, i) for i, it in enumerate(items)}
    return folder, items, table


@pytest.fixture
def server(agent_h):
    _, _, table = agent_h
    behaviour = Behaviour(table)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(behaviour))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    behaviour.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield behaviour
    httpd.shutdown()
    httpd.server_close()


def run_cli(argv: list[str]) -> int:
    """Through the `agent-flan` entry point, as a user runs it (BadInputError -> 2)."""
    return agent_flan_main(argv)


def eval_args(server, folder, out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--endpoint",
        server.url,
        "--model-name",
        "recorded-model",
        "--dataset",
        str(folder),
        "--out",
        str(out),
        "--no-progress",
        "--retry-wait",
        "0.01",
        "--bootstrap",
        "200",
        *extra,
    ]


# --------------------------------------------------------------------------- tests


def test_endpoint_run_scores_the_recorded_replies(server, agent_h, tmp_path, capsys, monkeypatch):
    folder, items, table = agent_h
    monkeypatch.setenv("EVAL_TEST_KEY", SECRET)
    out = tmp_path / "run.json"
    assert run_cli(eval_args(server, folder, out, "--concurrency", "4", "--api-key-env", "EVAL_TEST_KEY")) == 0
    printed = capsys.readouterr()
    results = json.loads(out.read_text())
    assert len(results["items"]) == len(items)
    assert len(server.log) == len(items)  # one request per item, nothing retried
    assert set(server.auth) == {f"Bearer {SECRET}"}
    assert SECRET not in printed.out + printed.err + out.read_text() + out.with_suffix(".md").read_text()
    expected = summarize([judge(it, table[prompt_key(list(it.messages))]) for it in items], resamples=200).to_dict()
    for key in ("h_react", "h_general", "hscore", "relevance", "balanced", "h_react_keyword", "ci95", "breakdown"):
        assert results["summary"][key] == expected[key], key
    planted = sum(1 for i, it in enumerate(items) if not it.should_call and i % 7 == 0)
    assert planted > 0
    assert sum(not x["should_call"] and x["calls_tool"] for x in results["items"]) == planted
    assert results["summary"]["relevance"] == 100.0
    assert results["summary"]["h_react_keyword"] >= results["summary"]["h_react"]  # Thought-only replies
    assert results["run"]["endpoint"] == server.url + "/chat/completions"
    assert results["run"]["api_key_set"] is True
    assert "| HScore (detector)" in printed.out and out.with_suffix(".md").is_file()


def test_endpoint_retries_500_dropped_connections_and_429(server, agent_h, tmp_path):
    folder, _, _ = agent_h
    server.flaky = True
    out = tmp_path / "flaky.json"
    assert run_cli(eval_args(server, folder, out, "--limit", "6", "--concurrency", "3", "--max-retries", "4")) == 0
    results = json.loads(out.read_text())
    assert len(results["items"]) == 6
    assert all(server.attempts[key] == 4 for key in server.attempts)  # 500, drop, 429, then the answer
    assert len(server.attempts) == 6
    assert all(x["reply"] != "no recording for this prompt" for x in results["items"])


def test_interrupted_run_resumes_from_cache_without_asking_again(server, agent_h, tmp_path, capsys):
    folder, items, _ = agent_h
    out = tmp_path / "resume.json"
    server.serve_ok_then_die = 20  # the server goes away after 20 replies
    code = run_cli(eval_args(server, folder, out, "--concurrency", "4", "--max-retries", "1"))
    assert code == 1
    err = capsys.readouterr().err
    assert "run the same command again to resume" in err and "still failing" in err
    assert not out.exists()  # no results from a partial run
    cache_file = out.with_suffix(".cache.jsonl")
    cached = [json.loads(line) for line in cache_file.read_text().splitlines()]
    assert len(cached) == 20

    server.serve_ok_then_die = None  # back up
    server.log.clear()
    assert run_cli(eval_args(server, folder, out, "--concurrency", "4")) == 0
    results = json.loads(out.read_text())
    cached_ids = {c["id"] for c in cached}
    assert len(server.log) == len(items) - 20  # only the missing items were requested
    asked_again = {prompt_key(list(it.messages)) for it in items if it.id in cached_ids} & set(server.log)
    assert not asked_again
    assert sum(x["cached"] for x in results["items"]) == 20
    assert results["run"]["cached"] == 20 and results["run"]["generated"] == len(items) - 20

    server.log.clear()  # a third run is served entirely from the cache
    assert run_cli(eval_args(server, folder, out)) == 0
    assert server.log == []


def test_ctrl_c_keeps_the_replies_that_arrived(server, agent_h, tmp_path, capsys, monkeypatch):
    from agent_flan.evaluation.cache import ReplyCache

    folder, _, _ = agent_h
    put = ReplyCache.put

    def put_then_interrupt(self, *args):
        put(self, *args)
        if len(self) == 10:
            raise KeyboardInterrupt  # as if Ctrl-C landed while the 10th reply was being stored

    monkeypatch.setattr(ReplyCache, "put", put_then_interrupt)
    out = tmp_path / "ctrl_c.json"
    assert run_cli(eval_args(server, folder, out, "--concurrency", "2")) == 1
    assert "interrupted" in capsys.readouterr().err
    monkeypatch.setattr(ReplyCache, "put", put)
    server.log.clear()
    assert run_cli(eval_args(server, folder, out, "--concurrency", "2")) == 0
    assert len(server.log) == len(agent_h[1]) - 10


def test_wrong_model_name_is_a_user_error_without_retries(server, agent_h, tmp_path, capsys):
    folder, _, _ = agent_h
    argv = eval_args(server, folder, tmp_path / "x.json", "--limit", "3")
    argv[argv.index("recorded-model")] = "no-such-model"
    assert run_cli(argv) == 2
    assert "HTTP 404" in capsys.readouterr().err
    assert server.log == []  # 404 is answered before the table; nothing was retried


def test_unreachable_server_fails_after_retries(agent_h, tmp_path, capsys):
    folder, _, _ = agent_h
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [
        "eval",
        "--endpoint",
        f"http://127.0.0.1:{port}",
        "--model-name",
        "m",
        "--dataset",
        str(folder),
        "--out",
        str(tmp_path / "u.json"),
        "--limit",
        "2",
        "--retry-wait",
        "0.01",
        "--max-retries",
        "2",
        "--no-progress",
    ]
    assert run_cli(argv) == 1
    assert "ConnectError" in capsys.readouterr().err


def test_url_helpers_and_tool_calls_in_responses():
    assert chat_completions_url("http://h:8000") == "http://h:8000/v1/chat/completions"
    assert chat_completions_url("http://h:8000/v1/") == "http://h:8000/v1/chat/completions"
    assert chat_completions_url("https://x/v1/chat/completions") == "https://x/v1/chat/completions"
    with pytest.raises(BadInputError):
        chat_completions_url("localhost:8000")
    assert public_url("http://user:pw@h:8000/v1?key=s") == "http://h:8000/v1"
    text = reply_text(
        {
            "choices": [
                {
                    "message": {
                        "content": None,
                        "tool_calls": [
                            {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
                        ],
                    }
                }
            ]
        }
    )
    assert text == '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'
    parts = {"choices": [{"message": {"content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]}}]}
    assert reply_text(parts) == "Hello"
    tools = [{"name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
    from agent_flan.core.toolcalls.detect import detect

    assert detect(text, tools).calls[0].name == "get_weather"


def test_cli_usage_errors(tmp_path):
    assert run_cli(["eval", "--endpoint", "http://127.0.0.1:1"]) == 2  # no --model-name
    assert run_cli(["eval"]) == 2
    assert run_cli(["eval", "--model", "m", "--endpoint", "http://x", "--model-name", "n"]) == 2
    assert run_cli(["eval", "--adapter", "a", "--endpoint", "http://x", "--model-name", "n"]) == 2
    assert run_cli(["eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 2
    assert run_cli(["eval", "--model", "m", "--dataset", str(tmp_path / "nothing-here")]) == 2


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(["eval", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "usage: agent-flan eval" in text and "examples:" in text and "--compare" in text
    assert "agent-flan eval --model smollm2" in text
