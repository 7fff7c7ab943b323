"""`agent-flan push` without the Hub: dry runs, the real huggingface_hub client against a local fake Hub,
and every failure a user can fix (offline, 401, 403, 404) as one line and exit code 2.

The fake Hub (below) speaks the part of the Hub API that `create_repo`, `create_branch` and
`upload_folder` use: repo creation, `validate-yaml`, `preupload`, the Git LFS batch API (basic transfer),
a storage URL that the file bodies are PUT to, LFS verify, and `commit`. Like the real Hub, `preupload`
answers "lfs" for Parquet, safetensors and other binary files (the patterns of a new repo's
`.gitattributes`, and any file whose first 512 bytes hold a NUL byte) and "regular" for small text files, so
a dataset's Parquet files and a model's weights travel the LFS way: batch -> PUT to storage (no token
sent) -> verify -> an `lfsFile` entry in the commit that the fake Hub resolves by sha256.

huggingface_hub 2.x uploads LFS files through Xet whenever `hf_xet` is installed (it is, on x86-64 and arm64),
and the Xet CAS protocol is not something a test server can speak. The push child therefore runs with
`HF_HUB_DISABLE_XET=1`, the library's own switch, which sends the same files through the LFS batch API
instead; the Xet transfer itself is not exercised offline.

huggingface_hub reads HF_ENDPOINT at import, so the pushes run in a child interpreter whose
environment points at the server; one child runs all scenarios to keep the suite fast.

The last tests check the huggingface_hub internals that `agent_flan.core.hub.bound_hub_requests` relies on
(a private client factory, the shared client, the per-phase `timeout` request extension), so a library
release that moves them fails here by name instead of silently dropping every deadline.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import os
import re
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
# What a new Hub repo's .gitattributes stores with LFS (a subset of the Hub's default list).
LFS_PATTERNS = ("*.parquet", "*.arrow", "*.safetensors", "*.bin", "*.pt", "*.pth", "*.ckpt", "*.gguf", "*.zip")
LFS_BATCH = re.compile(r"^/(?:(datasets|spaces)/)?([^/]+)/([^/]+)\.git/info/lfs/objects/(batch|verify)$")
STORAGE = "/fake-lfs-storage/"  # stands in for the pre-signed object-store URLs the batch API hands out


# --- the fake Hub -------------------------------------------------------------------------------------------


class FakeHub:
    """Records every request; repo names choose the scenario: *-401, *-403 (create refused), *-404 (upload refused)."""

    def __init__(self, token: str):
        self.token = token
        self.requests: list[dict] = []
        # "type:org/name" -> {"private", "sdk", "files": {path: bytes}, "lfs": {path}, "branches": set}
        self.repos: dict[str, dict] = {}
        self.commits: list[dict] = []
        self.lfs_objects: dict[str, bytes] = {}  # sha256 hex -> the bytes PUT to storage
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

            def do_PUT(self) -> None:
                hub.handle(self, "PUT")

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

    @staticmethod
    def _body(handler) -> bytes:
        """The request body, sent with a Content-Length or chunked (httpx streams file bodies either way)."""
        if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(handler.rfile.read(size))
                handler.rfile.readline()  # the CRLF after each chunk
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    def handle(self, handler, method: str) -> None:
        raw = self._body(handler)
        path = handler.path.split("?", 1)[0]
        auth = handler.headers.get("Authorization", "")
        with self.lock:
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "body": raw.decode("utf-8", "replace") if not path.startswith(STORAGE) else f"<{len(raw)} bytes>",
                    "authorized": auth == f"Bearer {self.token}",
                    "has_auth": bool(auth),
                }
            )
        if method == "PUT" and path.startswith(STORAGE):  # pre-signed: the URL is the credential, no token
            return self.store(handler, path[len(STORAGE) :], handler.path.partition("?")[2], raw)
        if auth != f"Bearer {self.token}":
            return self._error(handler, 401, "Invalid credentials in Authorization header")
        lfs = LFS_BATCH.match(path)
        if method == "POST" and lfs:
            kind = {"datasets": "dataset", "spaces": "space", None: "model"}[lfs.group(1)]
            repo_id = f"{lfs.group(2)}/{lfs.group(3)}"
            if f"{kind}:{repo_id}" not in self.repos:
                return self._error(handler, 404, "Repository not found", code="RepoNotFound")
            if lfs.group(4) == "verify":
                return self.verify(handler, json.loads(raw))
            return self.lfs_batch(handler, kind, repo_id, json.loads(raw))
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
                return self._reply(handler, 200, {"files": [self.upload_mode(f) for f in json.loads(raw)["files"]]})
            if method == "POST" and action == "commit":
                return self.commit(handler, kind, repo_id, "/".join(parts[5:]), raw)
        return self._error(handler, 404, f"fake hub: no route for {method} {path}")

    @staticmethod
    def upload_mode(file: dict) -> dict:
        """As the Hub decides: LFS for what .gitattributes routes there and for binary content, else regular."""
        sample = base64.b64decode(file.get("sample") or "")
        lfs = any(fnmatch.fnmatch(file["path"].rsplit("/", 1)[-1], p) for p in LFS_PATTERNS) or b"\x00" in sample
        return {"path": file["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": None}

    def lfs_batch(self, handler, kind: str, repo_id: str, body: dict) -> None:
        """Git LFS batch API, upload operation, basic transfer: one storage URL per object not stored yet."""
        if body.get("operation") != "upload" or "basic" not in body.get("transfers", ["basic"]):
            return self._error(handler, 422, f"fake hub: only basic LFS uploads, got {body}")
        if body.get("hash_algo", "sha256") != "sha256":
            return self._error(handler, 422, "fake hub: sha256 only")
        objects = []
        for obj in body["objects"]:
            oid, size = obj["oid"], obj["size"]
            entry = {"oid": oid, "size": size, "authenticated": True}
            if oid not in self.lfs_objects:  # already stored: no actions, the client skips the upload
                signature = hashlib.sha256(f"{oid}:{self.token}".encode()).hexdigest()[:16]
                entry["actions"] = {
                    "upload": {"href": f"{self.endpoint}{STORAGE}{oid}?X-Fake-Signature={signature}"},
                    "verify": {"href": f"{self.endpoint}/{PREFIX[kind]}{repo_id}.git/info/lfs/objects/verify"},
                }
            objects.append(entry)
        self._reply(handler, 200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"})

    def store(self, handler, oid: str, query: str, raw: bytes) -> None:
        signature = hashlib.sha256(f"{oid}:{self.token}".encode()).hexdigest()[:16]
        if query != f"X-Fake-Signature={signature}":
            return self._error(handler, 403, "fake storage: bad signature")
        if hashlib.sha256(raw).hexdigest() != oid:
            return self._error(handler, 400, f"fake storage: body does not hash to {oid}")
        with self.lock:
            self.lfs_objects[oid] = raw
        handler.send_response(200)
        handler.send_header("ETag", f'"{hashlib.md5(raw).hexdigest()}"')
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def verify(self, handler, body: dict) -> None:
        stored = self.lfs_objects.get(body.get("oid"))
        if stored is None or len(stored) != body.get("size"):
            return self._error(handler, 404, f"fake hub: LFS object {body.get('oid')} not stored")
        self._reply(handler, 200, {"success": True})

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
                "lfs": set(),
                "branches": {"main"},
            }
        self._reply(handler, 200, {"url": url, "name": repo_id})

    def commit(self, handler, kind: str, repo_id: str, revision: str, raw: bytes) -> None:
        repo = self.repos[f"{kind}:{repo_id}"]
        if revision not in repo["branches"]:
            return self._error(handler, 404, "Revision not found", code="RevisionNotFound")
        header, files, lfs_paths = None, {}, set()
        for line in raw.decode().splitlines():
            item = json.loads(line)
            if item["key"] == "header":
                header = item["value"]
            elif item["key"] == "file":
                files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            elif item["key"] == "lfsFile":
                value = item["value"]
                stored = self.lfs_objects.get(value["oid"]) if value.get("algo") == "sha256" else None
                if stored is None or len(stored) != value.get("size", len(stored)):
                    return self._error(handler, 400, f"fake hub: LFS object for {value['path']} was never uploaded")
                files[value["path"]] = stored
                lfs_paths.add(value["path"])
            else:
                return self._error(handler, 400, f"fake hub: unsupported commit entry {item['key']}")
        repo["files"].update(files)
        repo["lfs"] = (repo["lfs"] - set(files)) | lfs_paths
        oid = hashlib.sha1(raw).hexdigest()
        self.commits.append(
            {
                "repo": f"{kind}:{repo_id}",
                "revision": revision,
                "header": header,
                "files": sorted(files),
                "lfs": sorted(lfs_paths),
            }
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
        # hf_xet is installed with huggingface_hub on x86-64/arm64 and would take every LFS file to a Xet CAS
        # server, which the fake Hub cannot be; the library's own switch sends them through the LFS batch API.
        HF_HUB_DISABLE_XET="1",
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
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)  # get_token reads it (test_token_lookup_is_get_tokens)
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

    # the token: sent to the Hub in the Authorization header, never to the storage URLs, and nowhere else
    hub_calls = [r for r in hub.requests if not r["path"].startswith(STORAGE)]
    storage_puts = [r for r in hub.requests if r["path"].startswith(STORAGE)]
    assert hub_calls and all(r["authorized"] for r in hub_calls)
    assert storage_puts, f"no file reached LFS storage (another upload path, e.g. Xet?): {results['dataset']}"
    assert not any(r["has_auth"] for r in storage_puts)
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
        lfs = hub.repos[f"{kind}:{repo_id}"]["lfs"]  # what reached the Hub through the LFS batch API and storage
        assert lfs == {rel for rel in remote if rel.endswith((".parquet", ".safetensors"))}, (kind, sorted(lfs))

    # the LFS path, step by step: each Parquet file and the weights were announced to the batch API, PUT to
    # storage as their exact bytes (the fake storage checks the sha256), verified, and committed as `lfsFile`
    # pointers, not inline
    batched = {
        obj["oid"]
        for r in hub_calls
        if r["path"].endswith("/objects/batch")
        for obj in json.loads(r["body"])["objects"]
    }
    parquet = sorted(rel for rel in hub.repos["dataset:me/agent-flan"]["files"] if rel.endswith(".parquet"))
    assert len(parquet) >= 10
    for rel in [*parquet, "adapter_model.safetensors"]:
        data = (folders["dataset" if rel.endswith(".parquet") else "model"] / rel).read_bytes()
        oid = hashlib.sha256(data).hexdigest()
        assert oid in batched and hub.lfs_objects[oid] == data, rel
        assert any(r["path"] == f"{STORAGE}{oid}" for r in storage_puts), rel
    dataset_commit = {c["repo"]: c for c in hub.commits}["dataset:me/agent-flan"]
    assert dataset_commit["lfs"] == parquet
    assert set(dataset_commit["files"]) - set(parquet) == {"README.md", "build_report.json", "recipe.yaml"}
    assert sum(r["path"].endswith("/objects/verify") for r in hub_calls) == len(storage_puts)
    # pushing the same model again: the batch API says the weights are stored, so they are not sent twice
    weights = hashlib.sha256((folders["model"] / "adapter_model.safetensors").read_bytes()).hexdigest()
    assert sum(r["path"] == f"{STORAGE}{weights}" for r in storage_puts) == 1
    model_commits = [c for c in hub.commits if c["repo"] == "model:me/agent-flan-lora"]
    assert len(model_commits) == 2 and all(c["lfs"] == ["adapter_model.safetensors"] for c in model_commits)
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


# --- the huggingface_hub internals core/hub.py relies on -------------------------------------------------------


@pytest.fixture
def hub_client(monkeypatch):
    """huggingface_hub online for this test (conftest sets HF_HUB_OFFLINE=1), and its own client factory back
    afterwards, so no other test runs with the deadlines installed here."""
    from huggingface_hub import constants, set_client_factory
    from huggingface_hub.utils import _http

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    yield _http
    set_client_factory(_http.default_client_factory)


def test_the_private_huggingface_hub_hook_core_hub_wraps_is_still_there():
    """`bound_hub_requests` builds its client from huggingface_hub's private
    `huggingface_hub.utils._http.default_client_factory`, installs it with `set_client_factory`, and returns
    quietly when that import fails. So a huggingface_hub release that renames or moves it would drop every
    Hub deadline (push, Hub-id builds, training) without a word: this test says what moved."""
    from importlib.metadata import version

    import httpx2
    import huggingface_hub

    where = f"huggingface_hub {version('huggingface_hub')}: core/hub.py bound_hub_requests needs updating"
    try:
        from huggingface_hub.utils import _http
    except ImportError as exc:  # pragma: no cover - only on a library change
        pytest.fail(f"{where}: huggingface_hub.utils._http is gone ({exc})")
    assert callable(getattr(huggingface_hub, "set_client_factory", None)), f"{where}: no set_client_factory"
    assert callable(getattr(_http, "get_session", None)), f"{where}: no utils._http.get_session"
    factory = getattr(_http, "default_client_factory", None)
    assert callable(factory), f"{where}: no utils._http.default_client_factory"
    client = factory()
    try:
        assert isinstance(client, httpx2.Client), f"{where}: the factory returns {type(client)}"
        # the library's own request hook (offline mode, request ids), which our factory keeps
        assert _http.hf_request_event_hook in client.event_hooks.get("request", []), where
    finally:
        client.close()
    for name in ("SyncByteStream", "Timeout", "ReadTimeout", "TimeoutException"):
        assert hasattr(httpx2, name), f"httpx2 {version('httpx2')}: no {name}; core/hub.py uses it"


def test_the_bounded_client_is_the_one_huggingface_hub_calls_use(hub_client):
    """Through the public `HfApi`: the answer drips a byte every 0.2 s (about 20 s for the body), so each read
    is well within the 1 s timeout and only the whole-call deadline of `bound_hub_requests` can stop it. If
    huggingface_hub stopped building its shared client from the factory, the call would succeed instead."""
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.utils import get_session
    from test_deadlines import DripServer

    from agent_flan.core.hub import bound_hub_requests, timed_out

    body = json.dumps({"id": "me/m", "sha": "0" * 40, "padding": "p" * 40}).encode()
    with DripServer(body, interval=0.2) as server:
        assert bound_hub_requests(1) == 1.0
        client = get_session()
        assert client.timeout == httpx2.Timeout(1.0)
        assert hub_client.hf_request_event_hook in client.event_hooks["request"]
        with pytest.raises(Exception) as caught:
            HfApi(endpoint=server.url, token=FAKE_TOKEN).model_info("me/m")
    assert timed_out(caught.value), repr(caught.value)
    chain, exc = [], caught.value
    while exc is not None and len(chain) < 10:
        chain.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    assert any("no complete answer within 1 s" in text for text in chain), chain  # our deadline, not a read timeout
    assert [path for _, path in server.requests] == ["/api/models/me/m"]


def test_httpx2_reads_the_deadline_at_every_phase(hub_client, monkeypatch):
    """The deadline of a whole call works because httpcore2 asks the request's `timeout` extension for
    `connect`, `write` and `read` as each phase starts, and `_TimeLeft` answers with the time left. If
    httpx2/httpcore2 stopped asking (copied the dict, say), a slow connect and a slow answer would add up
    again, each within its own timeout; this fails first."""
    from huggingface_hub import HfApi
    from test_deadlines import DripServer

    from agent_flan.core import hub

    asked: list[tuple[str, float]] = []
    original = hub._TimeLeft.get

    def recording(self, key, default=None):
        value = original(self, key, default)
        asked.append((key, value))
        return value

    monkeypatch.setattr(hub._TimeLeft, "get", recording)
    with DripServer(json.dumps({"id": "me/m", "sha": "0" * 40}).encode(), fast_after=0) as server:
        hub.bound_hub_requests(30)
        info = HfApi(endpoint=server.url, token=FAKE_TOKEN).model_info("me/m")  # answered at once
    assert info.id == "me/m"
    assert {"connect", "write", "read"} <= {key for key, _ in asked}, asked
    assert all(0 < value <= 30 for _, value in asked), asked


# --- what the dry run flags besides the file list (checks on the card and the build files) ------------------

TRL_CARD = """---
library_name: peft
model_name: lora
tags:
- base_model:adapter:/home/me/.cache/agent-flan/models/smollm2-135m-instruct
- trl
licence: license
base_model: /home/me/.cache/agent-flan/models/smollm2-135m-instruct
pipeline_tag: text-generation
---

# Model Card for lora

This model is a fine-tuned version of [None](https://huggingface.co/None).
It has been trained using [TRL](https://github.com/huggingface/trl).
"""


def test_push_refuses_trls_placeholder_card_and_names_the_kits_card(folders, monkeypatch, capsys, no_network):
    from agent_flan.cards.model_card import render_model_card
    from agent_flan.cli import main

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    model = folders["model"]
    (model / "README.md").write_text(TRL_CARD, encoding="utf-8")
    for extra in (["--dry-run"], []):  # the real push stops too, before any network call
        assert main(["push", str(model), "--repo", "me/agent-flan-lora", "--type", "model", *extra]) == 2
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "not the kit's model card (TRL's placeholder card" in lines[0], captured.err
        assert f"agent-flan card {model} --type model --repo me/agent-flan-lora --eval RESULTS.json" in lines[0]
        assert FAKE_TOKEN not in captured.out + captured.err
    assert main(["push", str(model), "--repo", "me/agent-flan-lora", "--type", "model", "--dry-run"]) == 2
    out = capsys.readouterr().out
    assert "checks:  3 error(s), 0 warning(s); the push would be refused" in out
    assert "`base_model` holds a local path (/home/me/.cache" in out and "`tags` holds a local path" in out

    # --own-card: your own card may go, but never with a local path in its metadata
    assert main(["push", str(model), "--repo", "me/agent-flan-lora", "--type", "model", "--dry-run", "--own-card"]) == 2
    assert "holds a local path" in capsys.readouterr().err

    # the kit's card, with the Agent-H numbers measured by eval, goes through and the dry run shows them
    (model / "README.md").write_text(render_model_card(model, repo_id="me/agent-flan-lora"), encoding="utf-8")
    assert main(["push", str(model), "--repo", "me/agent-flan-lora", "--type", "model", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "card:    README.md, Agent-H as the Hub will show it: HScore 89.75" in out and "Relevance 70" in out
    assert "checks:  nothing wrong found" in out


def test_model_card_without_agent_h_or_for_another_repo_is_a_warning(folders, monkeypatch, capsys, no_network):
    from agent_flan.cards.model_card import render_model_card
    from agent_flan.cli import main

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    model = folders["model"]
    (model / "results.json").unlink()
    (model / "README.md").write_text(render_model_card(model, repo_id="me/other"), encoding="utf-8")
    assert main(["push", str(model), "--repo", "me/agent-flan-lora", "--type", "model", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "checks:  0 error(s), 2 warning(s); the push would go ahead" in out
    assert "rendered for me/other, so its examples load that repo, not me/agent-flan-lora" in out
    assert 'no Agent-H numbers (the card says "Not measured")' in out
    assert "card:    README.md, no Agent-H numbers in its metadata" in out
    (model / "README.md").write_text(render_model_card(model), encoding="utf-8")  # rendered without --repo
    assert main(["push", str(model), "--repo", "me/agent-flan-lora", "--type", "model", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "`ORG/agent-flan-lora`: the placeholder owner ORG, not a real repo" in out


def test_dry_run_flags_placeholders_the_hub_would_trip_on(folders, monkeypatch, capsys, no_network):
    """A Space whose requirements.txt still installs from github.com/ORG/... would fail to build: refused. A dataset
    card whose examples load "agent-flan" (the local folder name) instead of the repo id: listed as a warning,
    with the command that fixes it."""
    from agent_flan.cli import main

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    space = folders["space"]
    (space / "requirements.txt").write_text(
        "# point this at your fork: github.com/ORG/agent-flan-kit\n"
        "agent-flan-kit @ git+https://github.com/ORG/agent-flan-kit@main\ntorch>=2.8\n",
        encoding="utf-8",
    )
    assert main(["push", str(space), "--repo", "me/agent-flan-chat", "--type", "space", "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert "  error    requirements.txt line 2: `agent-flan-kit @ git+https://github.com/ORG/" in captured.out
    assert "line 1" not in captured.out  # a comment is not installed
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "the Space would fail to build" in lines[0]
    assert main(["push", str(space), "--repo", "me/agent-flan-chat", "--type", "space"]) == 2  # and is not pushed
    assert "nothing was pushed" in capsys.readouterr().err
    (space / "requirements.txt").write_text("agent-flan-kit @ git+https://github.com/me/agent-flan-kit@v0.1.0\n")
    assert main(["push", str(space), "--repo", "me/agent-flan-chat", "--type", "space", "--dry-run"]) == 0
    assert "checks:  nothing wrong found" in capsys.readouterr().out

    dataset = folders["dataset"]  # its card was rendered without --repo: load_dataset("agent-flan")
    assert main(["push", str(dataset), "--repo", "me/agent-flan", "--type", "dataset", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "checks:  0 error(s), 1 warning(s)" in out
    assert 'its examples call load_dataset("agent-flan", "ORG/agent-flan")' in out and 'not "me/agent-flan"' in out
    assert f"re-render with `agent-flan card {dataset} --repo me/agent-flan`" in out
    assert main(["card", str(dataset), "--repo", "me/agent-flan"]) == 0
    capsys.readouterr()
    assert main(["push", str(dataset), "--repo", "me/agent-flan", "--type", "dataset", "--dry-run"]) == 0
    assert "checks:  nothing wrong found" in capsys.readouterr().out


def test_token_lookup_is_get_tokens(monkeypatch, tmp_path, capsys, folders, no_network):
    """push takes the token where huggingface_hub's get_token() does, and names the place, never the value; a dry
    run with HF_OIDC_RESOURCE set does no OIDC exchange (that would be a network call)."""
    from huggingface_hub import constants

    from agent_flan.cards.push import find_token
    from agent_flan.cli import main

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "absent"))
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", FAKE_TOKEN)
    assert find_token() == (FAKE_TOKEN, "HUGGING_FACE_HUB_TOKEN")
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN")
    assert find_token() == (None, "nowhere")
    monkeypatch.setenv("HF_OIDC_RESOURCE", "me/agent-flan-lora")
    assert main(["push", str(folders["model"]), "--repo", "me/agent-flan-lora", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "token:   from an OIDC token exchange (HF_OIDC_RESOURCE) when pushing (not run in a dry run)" in out
