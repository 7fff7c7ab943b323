"""Negatives answered by a responder: a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow.parquet as pq
import pytest
from synthetic import write_toolbench

from agent_flan.dataset_builder.recipe import BuildRecipe
from agent_flan.dataset_builder.responders import ResponderSpec
from agent_flan.pipeline import build_dataset as build


class _Chat(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Chat.seen.append(body)
        query = body["messages"][-1]["content"]
        # One reply in ten calls a tool: the detector must keep it out of the negatives.
        reply = (
            'Action: lookup_item\nAction Input: {"id": 1}'
            if query.endswith("0")
            else f"I can't look that up myself, but here is how you could: {query[:20]}"
        )
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Chat)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Chat.seen = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_endpoint_responder_answers_toolbench_queries_and_is_vetted(tmp_path, server, monkeypatch):
    monkeypatch.setenv("TEST_RESPONDER_KEY", "sk-secret-value")
    source = write_toolbench(tmp_path / "t.json", 60)
    out = tmp_path / "agent-flan"
    report = build(
        out,
        {"toolbench": str(source)},
        only_given=True,
        progress=False,
        recipe=BuildRecipe(negative_count=40),
        responder=ResponderSpec(server, "served-model", "TEST_RESPONDER_KEY"),
    )
    assert len(_Chat.seen) == 40
    assert all(body["model"] == "served-model" and "tools" not in body for body in _Chat.seen)
    assert all(len(body["messages"]) == 2 and body["messages"][0]["role"] == "system" for body in _Chat.seen)
    negatives = pq.read_table(next((out / "data/toolbench_negative").glob("*.parquet"))).to_pylist()
    calling = sum(body["messages"][-1]["content"].endswith("0") for body in _Chat.seen)
    assert calling > 0 and len(negatives) == 40 - calling
    assert report["negatives_vetting"] == {"ok": 40 - calling, "calls_tool": calling}
    assert all(row["source"] == "toolbench" and row["messages"][-1]["loss"] for row in negatives)
    # ToolBench queries answered with no tool information: the tool-request kind, offered nothing.
    assert all(row["negative_kind"] == "tool_request" and row["tools"] == "[]" for row in negatives)
    assert any("no chat_with_tools negatives" in warning for warning in report["warnings"])
    assert report["negatives_responder"]["model_name"] == "served-model"
    assert "sk-secret-value" not in (out / "build_report.json").read_text()


def test_responder_spec_without_url_or_model_is_offline():
    assert not ResponderSpec().given
