"""Every network call has a deadline: real servers on 127.0.0.1 that drip their answer or never answer.

- `eval --endpoint`: `--timeout` bounds one whole request (connect to last byte), not one silent read;
  timed-out attempts are retried within `--retry-budget` and counted in the results.
- `push` and a Hub-id `build`: a Hub (HF_ENDPOINT) that accepts connections and never answers, or drips,
  fails with exit 2 and one line within the stated bound, in a child process (huggingface_hub reads
  HF_ENDPOINT at import).
- A missing local path that looks like a file is "no such file", never a Hub look-up.

Timeouts are set to 1 s here; every bound asserted is far below what the old behaviour took (the drip
servers need 10-60 s to finish an answer).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO
from test_cards import make_training_folder

FAKE_TOKEN = "hf_FAKEdeadline0123456789abcdefXYZ"


# --- servers ----------------------------------------------------------------------------------------------


class DripServer:
    """Answers every request with a complete status line and headers, then the body one byte per `interval`.

    `fast_after`: requests with a number above it (per prompt) are answered at once, so a retry succeeds.
    `stall_after`: send this many body bytes, then go silent (the connection stays open)."""

    def __init__(
        self, body: bytes, interval: float = 0.25, fast_after: int | None = None, stall_after: int | None = None
    ):
        self.body, self.interval, self.fast_after, self.stall_after = body, interval, fast_after, stall_after
        self.requests: list[tuple[float, str]] = []
        self.seen: dict[str, int] = {}
        self.lock = threading.Lock()
        self.closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                key = raw.decode("utf-8", "replace")
                with server.lock:
                    server.requests.append((time.monotonic(), self.path))
                    server.seen[key] = server.seen.get(key, 0) + 1
                    attempt = server.seen[key]
                body = server.body(raw) if callable(server.body) else server.body
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.flush()
                if server.fast_after is not None and attempt > server.fast_after:
                    self.wfile.write(body)
                    return
                for index, byte in enumerate(body):
                    if server.stall_after is not None and index >= server.stall_after:
                        server.closing.wait(60)
                        return
                    if server.closing.wait(server.interval):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return

            do_GET = do_POST = do_HEAD = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class SilentServer:
    """Accepts every connection, reads what is sent, never answers (until the test ends)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self.closing = threading.Event()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    def _drain(self, conn):
        conn.settimeout(0.2)
        while not self.closing.is_set():
            try:
                if not conn.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def __enter__(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.closing.set()
        for conn in self.connections:
            conn.close()
        self.sock.close()


def completion(text: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()


# --- eval --endpoint ------------------------------------------------------------------------------------------


def _eval(url: str, folder: Path, out: Path, *extra: str) -> tuple[int, float]:
    from agent_flan.cli import main

    started = time.monotonic()
    code = main(
        [
            "eval",
            "--endpoint",
            url,
            "--model-name",
            "m",
            "--dataset",
            str(folder),
            "--out",
            str(out),
            "--no-progress",
            "--bootstrap",
            "50",
            "--retry-wait",
            "0.01",
            *extra,
        ]
    )
    return code, time.monotonic() - started


def test_eval_timeout_bounds_the_whole_request_against_a_dripping_server(sample_build, tmp_path, capsys):
    """The body arrives a byte every 0.25 s (~15 s in all): each read is quick, so only a whole-request
    deadline stops it. 2 attempts x 1 s, not 2 x 15 s."""
    folder, _ = sample_build
    with DripServer(completion("x" * 20), interval=0.25) as server:
        code, elapsed = _eval(
            server.url,
            folder,
            tmp_path / "drip.json",
            "--limit",
            "1",
            "--timeout",
            "1",
            "--max-retries",
            "1",
            "--concurrency",
            "1",
        )
    err = capsys.readouterr().err
    assert code == 1, err
    assert elapsed < 4.5, elapsed
    assert "timed out: no complete answer within 1 s" in err and "2 attempt(s)" in err, err
    assert len(server.requests) == 2
    assert not (tmp_path / "drip.json").exists()


def test_eval_body_that_stalls_just_before_the_deadline_is_cut_at_it():
    """Headers, then 8 bytes over 0.8 s, then silence with the connection open. A per-read timeout (1 s)
    would wait until ~1.8 s; the deadline cuts the read in progress at 1 s."""
    from agent_flan.core.runners import GenerationSettings, Request
    from agent_flan.core.runners.endpoint import EndpointConfig, EndpointError, EndpointRunner

    with DripServer(completion("x" * 20), interval=0.1, stall_after=8) as server:
        runner = EndpointRunner(EndpointConfig(server.url, "m", timeout=1.0, max_retries=0), GenerationSettings())
        started = time.monotonic()
        with pytest.raises(EndpointError, match="timed out"):
            runner.generate(
                [Request(key="k", item_id="i", messages=[{"role": "user", "content": "hi"}])], lambda *_: None
            )
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 1.5, elapsed
    assert runner.timeouts == 1 and runner.requests_sent == 1


def test_eval_silent_server_and_retry_budget(sample_build, tmp_path, capsys):
    """A server that never answers: 10 retries allowed, but all attempts of the item end within the 2.5 s budget."""
    folder, _ = sample_build
    with SilentServer() as server:
        code, elapsed = _eval(
            server.url,
            folder,
            tmp_path / "silent.json",
            "--limit",
            "1",
            "--timeout",
            "1",
            "--max-retries",
            "10",
            "--retry-budget",
            "2.5",
        )
    err = capsys.readouterr().err
    assert code == 1, err
    assert elapsed < 4.0, elapsed
    attempts = int(err.split(" attempt(s)")[0].rsplit(" ", 1)[-1])
    assert 2 <= attempts <= 3, err
    assert "retry budget 2.5 s" in err


def test_eval_counts_timeouts_in_the_results(sample_build, tmp_path, capsys):
    """Each item's first attempt drips (timed out at 1 s), the retry is answered: the run succeeds and the
    results say how many attempts timed out."""
    folder, _ = sample_build
    with DripServer(completion("I cannot do that."), interval=0.3, fast_after=1) as server:
        code, elapsed = _eval(
            server.url, folder, tmp_path / "counted.json", "--limit", "4", "--timeout", "1", "--concurrency", "4"
        )
    capsys.readouterr()
    assert code == 0
    run = json.loads((tmp_path / "counted.json").read_text())["run"]
    assert run["timeouts"] == 4 and run["attempts"] == 8 and run["retries"] == 4 and run["failed_items"] == 0
    assert run["timeout_s"] == 1.0 and run["retry_budget_s"] == 3.0
    assert elapsed < 6, elapsed


def test_eval_help_states_the_deadlines(capsys):
    from agent_flan.cli import main

    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "deadline of one whole request: connect, send and the complete answer" in text
    assert "--retry-budget" in text and "default 3 x --timeout" in text


# --- push and build against a Hub that does not answer ----------------------------------------------------------


def _child_env(tmp_path: Path, endpoint: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_TOKEN=FAKE_TOKEN,
        HF_HOME=str(tmp_path / "hf_home"),
        PYTHONPATH=str(REPO),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_OFFLINE="0",
        **extra,
    )
    return env


def _model_folder(tmp_path: Path) -> Path:
    from agent_flan.cards.model_card import render_model_card

    folder = make_training_folder(tmp_path / "lora")
    (folder / "README.md").write_text(render_model_card(folder, repo_id="me/agent-flan-lora"), encoding="utf-8")
    return folder


def _run(argv: list[str], tmp_path: Path, endpoint: str, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, *argv],
        cwd=tmp_path,
        env=_child_env(tmp_path, endpoint, **env),
        capture_output=True,
        text=True,
        timeout=90,
    )
    return proc, time.monotonic() - started


def test_push_to_a_silent_hub_fails_within_the_timeout(tmp_path):
    folder = _model_folder(tmp_path)
    with SilentServer() as hub:
        proc, elapsed = _run(
            ["-m", "agent_flan", "push", str(folder), "--repo", "me/m", "--type", "model", "--timeout", "1"],
            tmp_path,
            hub.url,
        )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"agent-flan push: error: no answer: the Hub at {hub.url} did not answer within 1 s")
    assert FAKE_TOKEN not in proc.stdout + proc.stderr
    assert elapsed < 15, elapsed  # interpreter start + 1 s; it used to hang until killed


def test_push_to_a_dripping_hub_fails_within_the_timeout(tmp_path):
    """Every read gets a byte within 0.3 s, so only the per-call deadline can stop it (the body takes 30 s)."""
    folder = _model_folder(tmp_path)
    with DripServer(json.dumps({"url": "x", "padding": "p" * 100}).encode(), interval=0.3) as hub:
        proc, elapsed = _run(
            ["-m", "agent_flan", "push", str(folder), "--repo", "me/m", "--type", "model", "--timeout", "1"],
            tmp_path,
            hub.url,
        )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "did not answer within 1 s" in lines[0], proc.stderr
    assert len(hub.requests) == 1  # create_repo: not retried
    assert elapsed < 15, elapsed


def test_push_help_states_the_bound(capsys):
    from agent_flan.cli import main

    with pytest.raises(SystemExit):
        main(["push", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--timeout S" in text and "(default 60)" in text
    assert "never answers is reported (exit 2) after about --timeout seconds" in text


@pytest.mark.parametrize("kind", ["silent", "drip"])
def test_build_from_a_hub_id_against_a_hub_that_does_not_answer(kind, tmp_path):
    """repo_info has no timeout in huggingface_hub: the build now fails in HF_HUB_DOWNLOAD_TIMEOUT seconds."""
    server = (
        SilentServer()
        if kind == "silent"
        else DripServer(b'{"id": "org/name", "sha": "' + b"0" * 40 + b'"}', interval=0.3)
    )
    with server as hub:
        proc, elapsed = _run(
            [
                "-m",
                "agent_flan",
                "build",
                "--glaive",
                "org/glaive-like",
                "--only-given",
                "--out",
                str(tmp_path / "out"),
                "--no-progress",
            ],
            tmp_path,
            hub.url,
            HF_HUB_DOWNLOAD_TIMEOUT="1",
        )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(
        "agent-flan build: error: --glaive org/glaive-like: the Hugging Face Hub at "
        f"{hub.url} did not answer within 1 s"
    ), lines[0]
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()
    assert elapsed < 15, elapsed


# --- a missing path is not a Hub id -------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network call attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    "spec",
    [
        "data/missing.jsonl",
        "missing.parquet",
        "./data",
        "../elsewhere/x",
        "~/no-such-dir-agent-flan",
        "/no/such/place",
        "a/b/c",
        "org/name.json",
    ],
)
def test_missing_path_is_no_such_file_not_a_hub_lookup(spec, tmp_path, monkeypatch, capsys, no_network):
    from huggingface_hub import constants

    from agent_flan.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # it must not even try
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert main(["build", "--toolbench", spec, "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"agent-flan build: error: --toolbench: no such file: {spec} "), err
    assert "Hub (offline" not in err and "cannot reach" not in err and len(err.splitlines()) == 1


def test_hub_ids_are_still_hub_ids():
    from agent_flan.core.hub import looks_like_path

    for spec in ("THUDM/AgentInstruct", "glaiveai/glaive-function-calling-v2", "org/name.v2", "internlm/Agent-FLAN"):
        assert not looks_like_path(spec), spec
    for spec in ("data/x.jsonl", "x.json", "./x", "../x", "/x", "~/x", "a/b/c", "a/b.PARQUET"):
        assert looks_like_path(spec), spec


def test_training_dataset_name_that_is_a_missing_path(tmp_path, monkeypatch, no_network):
    from agent_flan.core.errors import BadInputError
    from agent_flan.training.config import DataArguments
    from agent_flan.training.data import load_rows

    monkeypatch.chdir(tmp_path)
    with pytest.raises(BadInputError, match=r"no such file: data/missing\.jsonl"):
        load_rows(DataArguments(dataset_name="data/missing.jsonl"), seed=0)
    with pytest.raises(BadInputError, match="no such file: out/agent-flan/x"):
        load_rows(DataArguments(dataset_name="out/agent-flan/x"), seed=0)


def test_build_responder_that_never_answers_is_one_line_within_the_budget(tmp_path):
    """Negatives answered by a server that accepts and never answers: exit-2 error, bounded by the budget."""
    from synthetic import write_toolbench

    from agent_flan.core.errors import BadInputError
    from agent_flan.dataset_builder.recipe import BuildRecipe
    from agent_flan.dataset_builder.responders import ResponderSpec
    from agent_flan.pipeline import build_dataset as build

    source = write_toolbench(tmp_path / "t.json", 30)
    with SilentServer() as server:
        started = time.monotonic()
        with pytest.raises(BadInputError, match=r"--responder-url: item .* still failing .* timed out"):
            build(
                tmp_path / "out",
                {"toolbench": str(source)},
                only_given=True,
                progress=False,
                recipe=BuildRecipe(negative_count=20),
                responder=ResponderSpec(server.url, "m", timeout=1.0, retry_budget=2.0),
            )
        elapsed = time.monotonic() - started
    assert elapsed < 8, elapsed
    assert not (tmp_path / "out").exists()
