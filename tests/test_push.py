"""`agent-flan push` without the Hub: dry runs, the real huggingface_hub client against a local fake Hub,
and every failure a user can fix (offline, 401, 403, 404) as one line and exit code 2.

The fake Hub (below) speaks the part of the Hub API that `create_repo`, `create_branch` and
`upload_folder` use: repo creation, `validate-yaml`, `preupload` (it answers "regular" for every
file, so contents travel base64 in the commit and no LFS/Xet storage is needed) and `commit`.
huggingface_hub reads HF_ENDPOINT at import, so the pushes run in a child interpreter whose
environment points at the server; one child runs all scenarios to keep the suite fast.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO
from test_cards import make_space_folder, make_training_folder

FAKE_TOKEN = "hf_FAKEtoken0123456789abcdefSECRET"
PREFIX = {"dataset": "datasets/", "model": "", "space": "spaces/"}


# --- the fake Hub -------------------------------------------------------------------------------------------


class FakeHub:
    """Records every request; repo names choose the scenario: *-401, *-403 (create refused), *-404 (upload refused)."""

    def __init__(self, token: str):
        self.token = token
        self.requests: list[dict] = []
        self.repos: dict[str, dict] = {}  # "type:org/name" -> {"private": ..., "files": {path: bytes}, "branches": set}
        self.commits: list[dict] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                hub.handle(self, "GET")

            def do_POST(self) -> None:
                hub.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- plumbing
    def _reply(self, handler, status: int, payload, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    def _error(self, handler, status: int, message: str, code: str | None = None) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._reply(handler, status, {"error": message}, headers)

    def handle(self, handler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        path = handler.path.split("?", 1)[0]
        auth = handler.headers.get("Authorization", "")
        with self.lock:
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "body": raw.decode("utf-8", "replace"),
                    "authorized": auth == f"Bearer {self.token}",
                }
            )
        if auth != f"Bearer {self.token}":
            return self._error(handler, 401, "Invalid credentials in Authorization header")
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/api/repos/create":
            return self.create(handler, json.loads(raw))
        if method == "POST" and path == "/api/validate-yaml":
            return self._reply(handler, 200, {"errors": [], "warnings": []})
        if len(parts) >= 4 and parts[0] == "api" and parts[1] in ("models", "datasets", "spaces"):
            kind, repo_id = parts[1][:-1], f"{parts[2]}/{parts[3]}"
            action = parts[4] if len(parts) > 4 else None
            if repo_id.endswith("-401"):
                return self._error(handler, 401, "Invalid credentials in Authorization header")
            if repo_id.endswith("-403"):
                return self._error(handler, 403, "You don't have the rights to access this repo")
            if repo_id.endswith("-404") or f"{kind}:{repo_id}" not in self.repos:
                return self._error(handler, 404, "Repository not found", code="RepoNotFound")
            repo = self.repos[f"{kind}:{repo_id}"]
            if method == "GET" and action is None:
                return self._reply(handler, 200, {"id": repo_id, "sha": "0" * 40, "private": repo["private"]})
            if method == "POST" and action == "branch":
                repo["branches"].add("/".join(parts[5:]))
                return self._reply(handler, 200, {})
            if method == "POST" and action == "preupload":
                files = json.loads(raw)["files"]
                return self._reply(
                    handler,
                    200,
                    {
                        "files": [
                            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                            for f in files
                        ]
                    },
                )
            if method == "POST" and action == "commit":
                return self.commit(handler, kind, repo_id, "/".join(parts[5:]), raw)
        return self._error(handler, 404, f"fake hub: no route for {method} {path}")

    def create(self, handler, body: dict) -> None:
        repo_id = f"{body.get('organization')}/{body['name']}"
        kind = body.get("type") or "model"
        if repo_id.endswith("-401"):
            return self._error(handler, 401, "Invalid credentials in Authorization header")
        if repo_id.endswith("-403"):
            return self._error(
                handler,
                403,
                f'You don\'t have the rights to create a {kind} under the namespace "{body.get("organization")}"',
            )
        key = f"{kind}:{repo_id}"
        url = f"{self.endpoint}/{PREFIX[kind]}{repo_id}"
        if key in self.repos:  # the Hub answers 409 with the url; create_repo(exist_ok=True) reads it
            return self._reply(
                handler,
                409,
                {"error": "You already created this repo", "url": url},
                {"X-Error-Message": "You already created this repo"},
            )
        if not repo_id.endswith("-404"):
            self.repos[key] = {
                "private": body.get("visibility") == "private",
                "sdk": body.get("sdk"),
                "files": {},
                "branches": {"main"},
            }
        self._reply(handler, 200, {"url": url, "name": repo_id})

    def commit(self, handler, kind: str, repo_id: str, revision: str, raw: bytes) -> None:
        repo = self.repos[f"{kind}:{repo_id}"]
        if revision not in repo["branches"]:
            return self._error(handler, 404, "Revision not found", code="RevisionNotFound")
        header, files = None, {}
        for line in raw.decode().splitlines():
            item = json.loads(line)
            if item["key"] == "header":
                header = item["value"]
            elif item["key"] == "file":
                files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            else:
                return self._error(handler, 400, f"fake hub: unsupported commit entry {item['key']}")
        repo["files"].update(files)
        oid = hashlib.sha1(raw).hexdigest()
        self.commits.append(
            {"repo": f"{kind}:{repo_id}", "revision": revision, "header": header, "files": sorted(files)}
        )
        self._reply(
            handler,
            200,
            {
                "commitUrl": f"{self.endpoint}/{PREFIX[kind]}{repo_id}/commit/{oid}",
                "commitOid": oid,
                "pullRequestUrl": None,
            },
        )

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- helpers ------------------------------------------------------------------------------------------------

DRIVER = r"""
import contextlib, io, json, sys, time
from agent_flan.cli import main
results = {}
for name, argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code
        except BaseException as exc:  # report, do not hide: the test shows it
            rc = f"{type(exc).__name__}: {exc}"
    results[name] = {"rc": rc, "out": out.getvalue(), "err": err.getvalue(), "seconds": time.monotonic() - started}
print("RESULTS " + json.dumps(results))
"""


def child_env(tmp_path: Path, endpoint: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_TOKEN=FAKE_TOKEN,
        HF_HOME=str(tmp_path / "hf_home"),
        PYTHONPATH=str(REPO),
        HF_HUB_DISABLE_TELEMETRY="1",
        **extra,
    )
    return env


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test: dry runs and user errors must not touch the network."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network call attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def folders(sample_build, tmp_path):
    import shutil

    out, _ = sample_build
    dataset = tmp_path / "agent-flan"
    shutil.copytree(out, dataset)
    (dataset / "data" / "default" / ".train-part00099.parquet").write_bytes(b"stale staging part")
    model = make_training_folder(tmp_path / "lora")
    from agent_flan.cards.model_card import render_model_card

    (model / "README.md").write_text(render_model_card(model, repo_id="me/agent-flan-lora"), encoding="utf-8")
    space = make_space_folder(tmp_path / "space")
    return {"dataset": dataset, "model": model, "space": space}


# --- dry run -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dataset", "model", "space"])
def test_dry_run_lists_every_file_with_its_size_and_makes_no_network_call(
    kind, folders, monkeypatch, capsys, no_network
):
    from agent_flan.cards.push import plan_upload
    from agent_flan.cli import main

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    folder = folders[kind]
    assert main(["push", str(folder), "--repo", f"me/dry-{kind}", "--type", kind, "--dry-run"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    plan = plan_upload(folder, f"me/dry-{kind}", kind)
    for rel, size in plan.files:
        assert f"{size:,} B  {rel}\n" in out, rel
    assert f"files ({len(plan.files)}, " in out and "found in HF_TOKEN (not shown)" in out
    assert FAKE_TOKEN not in out + captured.err
    assert f"/{'datasets/' if kind == 'dataset' else 'spaces/' if kind == 'space' else ''}me/dry-{kind} " in out
    listed = {rel for rel, _ in plan.files}
    if kind == "dataset":
        assert "README.md" in listed and "build_report.json" in listed
        assert "data/default/.train-part00099.parquet" in plan.skipped
        assert "commit:  Agent-FLAN dataset: 9 configs" in out
    if kind == "model":
        assert {"adapter_model.safetensors", "adapter_config.json", "README.md", "metrics.json"} <= listed
        assert "checkpoint-100/optimizer.pt" in plan.skipped and "merged/model.safetensors" in plan.skipped
        assert "final loss 0.8123" in out
    if kind == "space":
        assert {"app.py", "README.md", "requirements.txt"} <= listed
        assert "__pycache__/app.cpython-312.pyc" in plan.skipped


def test_dry_run_extra_excludes_and_no_token(folders, monkeypatch, tmp_path, capsys, no_network):
    from huggingface_hub import constants

    from agent_flan.cli import main

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token-here"))
    assert main(["push", str(folders["dataset"]), "--repo", "me/x", "--dry-run", "--exclude", "build_report.json"]) == 0
    out = capsys.readouterr().out
    assert "B  build_report.json" not in out and "  build_report.json\n" in out  # listed as not uploaded
    assert "none found: set HF_TOKEN" in out


# --- user errors before any network call ---------------------------------------------------------------------


def test_bare_repo_name_and_invalid_folders_exit_2_without_network(folders, monkeypatch, capsys, no_network):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from agent_flan.cli import main

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    assert main(["push", str(folders["dataset"]), "--repo", "agent-flan"]) == 2
    err = capsys.readouterr().err
    assert "give the owner too, as ORG/NAME" in err and len(err.strip().splitlines()) == 1
    assert main(["push", str(folders["dataset"]), "--repo", "me/bad--name"]) == 2
    capsys.readouterr()

    (path,) = (folders["dataset"] / "data" / "toolbench_negative").glob("train-*.parquet")
    table = pq.read_table(path)
    rows = table.to_pylist()[:-1]  # one row fewer than the card says
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    assert main(["push", str(folders["dataset"]), "--repo", "me/agent-flan"]) == 2
    err = capsys.readouterr().err
    assert "not a valid dataset folder" in err and "card says" in err and len(err.strip().splitlines()) == 1

    (folders["model"] / "adapter_model.safetensors").unlink()
    assert main(["push", str(folders["model"]), "--repo", "me/m", "--type", "model"]) == 2
    assert "no model weights" in capsys.readouterr().err
    (folders["space"] / "app.py").unlink()
    assert main(["push", str(folders["space"]), "--repo", "me/s", "--type", "space"]) == 2
    assert "app_file 'app.py'" in capsys.readouterr().err


def test_no_token_and_hub_offline_mode_exit_2(folders, monkeypatch, tmp_path, capsys, no_network):
    from huggingface_hub import constants

    from agent_flan.cli import main

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "absent"))
    assert main(["push", str(folders["model"]), "--repo", "me/m"]) == 2
    assert "no Hugging Face token: set HF_TOKEN or run `hf auth login`" in capsys.readouterr().err

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert main(["push", str(folders["model"]), "--repo", "me/m"]) == 2
    err = capsys.readouterr().err
    assert "HF_HUB_OFFLINE=1 is set" in err and FAKE_TOKEN not in err


def test_token_from_the_login_cache_only(monkeypatch, tmp_path):
    from huggingface_hub import constants

    from agent_flan.cards.push import find_token

    cache = tmp_path / "token"
    cache.write_text(FAKE_TOKEN + "\n", encoding="utf-8")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", "legacy-variable-is-not-read")
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(cache))
    assert find_token() == (FAKE_TOKEN, "the login cache (`hf auth login`)")
    monkeypatch.setenv("HF_TOKEN", "from-env")
    assert find_token() == ("from-env", "HF_TOKEN")


# --- the real client against the fake Hub --------------------------------------------------------------------


def test_push_through_huggingface_hub_to_a_local_fake_hub(folders, tmp_path):
    """create_repo + create_branch + upload_folder for each type, then 401/403/404: the real client code runs."""
    from agent_flan.cards.push import plan_upload

    scenarios = [
        ("dataset", ["push", str(folders["dataset"]), "--repo", "me/agent-flan", "--type", "dataset"]),
        ("model", ["push", str(folders["model"]), "--repo", "me/agent-flan-lora", "--private"]),
        (
            "space",
            [
                "push",
                str(folders["space"]),
                "--repo",
                "me/agent-flan-chat",
                "--revision",
                "staging",
                "--message",
                "Space: first version",
            ],
        ),
        ("again", ["push", str(folders["model"]), "--repo", "me/agent-flan-lora", "--type", "model"]),
        ("e401", ["push", str(folders["model"]), "--repo", "me/denied-401", "--type", "model"]),
        ("e403", ["push", str(folders["model"]), "--repo", "other-org/denied-403", "--type", "model"]),
        ("e404", ["push", str(folders["model"]), "--repo", "me/gone-404", "--type", "model"]),
    ]
    with FakeHub(FAKE_TOKEN) as hub:
        proc = subprocess.run(
            [sys.executable, "-c", DRIVER, json.dumps(scenarios)],
            cwd=tmp_path,
            env=child_env(tmp_path, hub.endpoint),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.split("RESULTS ", 1)[1])

    # the token: sent to the Hub in the Authorization header, and nowhere else
    assert hub.requests and all(r["authorized"] for r in hub.requests)
    assert FAKE_TOKEN not in proc.stdout + proc.stderr
    assert not files_containing(tmp_path, FAKE_TOKEN.encode())
    for repo in hub.repos.values():
        assert not any(FAKE_TOKEN.encode() in content for content in repo["files"].values())

    for name in ("dataset", "model", "space", "again"):
        assert results[name]["rc"] == 0, results[name]
        assert results[name]["out"].startswith("pushed "), results[name]
    for kind, repo_id in (
        ("dataset", "me/agent-flan"),
        ("model", "me/agent-flan-lora"),
        ("space", "me/agent-flan-chat"),
    ):
        remote = hub.repos[f"{kind}:{repo_id}"]["files"]
        plan = plan_upload(folders[kind], repo_id, kind)
        assert sorted(remote) == [rel for rel, _ in plan.files], kind  # exactly what the dry run lists
        for rel in remote:
            assert remote[rel] == (folders[kind] / rel).read_bytes(), rel
    assert hub.repos["model:me/agent-flan-lora"]["private"] is True
    assert hub.repos["dataset:me/agent-flan"]["private"] is False
    assert hub.repos["space:me/agent-flan-chat"]["sdk"] == "gradio"
    assert "staging" in hub.repos["space:me/agent-flan-chat"]["branches"]
    commits = {c["repo"]: c for c in hub.commits}
    assert commits["space:me/agent-flan-chat"]["revision"] == "staging"
    assert commits["space:me/agent-flan-chat"]["header"]["summary"] == "Space: first version"
    report = json.loads((folders["dataset"] / "build_report.json").read_text())
    rows = {name: sum(s["rows"] for s in info["splits"].values()) for name, info in report["configs"].items()}
    assert commits["dataset:me/agent-flan"]["header"]["summary"].startswith(
        f"Agent-FLAN dataset: 9 configs, {rows['default'] + rows['agent_h']} rows"
    )
    assert "pushed with `agent-flan push`" in commits["dataset:me/agent-flan"]["header"]["description"]
    assert commits["model:me/agent-flan-lora"]["header"]["summary"] == (
        "Agent-FLAN adapter for Qwen/Qwen2.5-7B-Instruct: 120 steps, final loss 0.8123"
    )
    assert results["dataset"]["out"].strip().endswith(")") and "/datasets/me/agent-flan" in results["dataset"]["out"]

    expected = {
        "e401": "401 Unauthorized: the Hub rejected the token from HF_TOKEN",
        "e403": "403 Forbidden: the token from HF_TOKEN may not write to model repo other-org/denied-403",
        "e404": "404 Not Found: model repo me/gone-404 does not exist or is not visible",
    }
    for name, start in expected.items():
        result = results[name]
        assert result["rc"] == 2, result
        lines = result["err"].strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"agent-flan push: error: {start}"), result["err"]
        assert result["out"] == "" and FAKE_TOKEN not in result["err"]
    assert "'other-org' namespace" in results["e403"]["err"] and "The Hub said:" in results["e403"]["err"]


def test_offline_fails_fast_with_one_line(folders, tmp_path):
    """Nothing listens on the endpoint (as with no network): one line, exit 2 (a refused connection
    fails at once; the subprocess deadline only guards against a hang)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: connections are refused
    proc = subprocess.run(
        [sys.executable, "-m", "agent_flan", "push", str(folders["model"]), "--repo", "me/m", "--type", "model"],
        cwd=tmp_path,
        env=child_env(tmp_path, f"http://127.0.0.1:{port}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"agent-flan push: error: offline: cannot reach http://127.0.0.1:{port}"
    )
    assert proc.stdout == "" and FAKE_TOKEN not in proc.stderr
