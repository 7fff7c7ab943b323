"""Turn a `SRC` argument (file, folder, Hub id, or nothing) into the list of files to read.

A spec that exists on disk is read from disk. One that does not is a Hub dataset id only when it
looks like one (`ORG/NAME`): a spec that looks like a file path (a data-file extension, a leading
`./`, `../`, `/` or `~`, or more than one slash) is reported as a missing file, never looked up on
the Hub (`data/missing.jsonl` used to become "cannot reach the Hugging Face Hub (offline?)").

Hub look-ups have a deadline: huggingface_hub's shared client has no timeout of its own, so a Hub
that accepts the connection and never answers would hang the build until it is killed.
`bound_hub_requests` gives that client per-operation timeouts and makes every Hub API call
(`/api/...`, small bodies) finish, connect to last byte, within the same number of seconds.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataset_builder.errors import BadInputError
from dataset_builder.sources.files import list_source_files, sha256_of

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
EMBEDDED = {
    "agentinstruct": SAMPLES_DIR / "agentinstruct.jsonl",
    "toolbench": SAMPLES_DIR / "toolbench",
    "glaive": SAMPLES_DIR / "glaive.jsonl",
    "general": SAMPLES_DIR / "general.jsonl",
    "release": SAMPLES_DIR / "release",
}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_HUB_PATTERNS = ["*.parquet", "*.jsonl", "*.json", "**/*.parquet", "**/*.jsonl", "**/*.json"]
# Extensions that mark a spec as a file path, never a Hub id (a Hub dataset name does not end like a file).
FILE_EXTENSIONS = frozenset({"json", "jsonl", "ndjson", "parquet", "arrow", "csv", "tsv", "txt", "yaml", "yml",
                             "gz", "bz2", "xz", "zst", "zip", "tar"})
# Hub API requests with a body up to this size must finish within the deadline; bigger ones (a commit
# carrying file contents) and file transfers are bounded per silent read or write instead.
HUB_API_BODY_LIMIT = 1_000_000


@dataclass
class SourceInput:
    name: str
    origin: str  # embedded | local | hub
    spec: str
    files: list[Path]

    def describe(self) -> dict[str, Any]:
        base = self.files[0].parent if len(self.files) == 1 else _common_parent(self.files)
        return {
            "origin": self.origin,
            "spec": self.spec if self.origin != "embedded" else f"embedded:{EMBEDDED[self.name].name}",
            "files": [
                {"path": _display(path, base), "bytes": path.stat().st_size, "sha256": sha256_of(path)}
                for path in self.files
            ],
        }


def _common_parent(paths: list[Path]) -> Path:
    parts = [p.parent.parts for p in paths]
    common = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return Path(*common) if common else Path("/")


def _display(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def looks_like_path(spec: str) -> bool:
    """True when `spec` can only mean a file or folder on disk, never a Hub id: it has a data-file
    extension (`.json`, `.jsonl`, `.parquet`, ...), starts with `./`, `../`, `/` or `~`, or has more
    than one slash. `org/name` and `org/name.v2` stay Hub ids."""
    text = spec.strip().replace("\\", "/")
    if text.startswith(("./", "../", "/", "~")) or text in (".", ".."):
        return True
    if text.count("/") > 1:
        return True
    last = text.rsplit("/", 1)[-1]
    return "." in last and last.rsplit(".", 1)[-1].lower() in FILE_EXTENSIONS


def missing_path_message(spec: str) -> str:
    """The one line for a path that exists nowhere (it is not a Hub id either: see `looks_like_path`)."""
    where = os.path.abspath(os.path.expanduser(spec))
    return (f"no such file: {spec} (no such file or folder at {where}; a Hub dataset id is ORG/NAME, "
            "without a file extension)")


def resolve_source(name: str, spec: str | None) -> SourceInput:
    if spec is None:
        path = EMBEDDED[name]
        return SourceInput(name, "embedded", str(path), list_source_files(path))
    path = Path(spec).expanduser()
    if path.exists():
        files = list_source_files(path)
        if not files:
            raise BadInputError(f"--{name} {spec}: no .jsonl, .json or .parquet files found there")
        return SourceInput(name, "local", spec, files)
    if looks_like_path(spec):
        raise BadInputError(f"--{name}: {missing_path_message(spec)}")
    if _HUB_ID.match(spec):
        return SourceInput(name, "hub", spec, _download(name, spec))
    raise BadInputError(f"--{name} {spec}: no such file or folder (and not a Hub dataset id like 'org/name')")


def hub_timeout() -> float:
    """Seconds a Hub request may stay silent (and a Hub API call may take in all): huggingface_hub's
    own HF_HUB_DOWNLOAD_TIMEOUT (default 10)."""
    from huggingface_hub import constants

    return float(constants.HF_HUB_DOWNLOAD_TIMEOUT)


class _TimeLeft(dict):
    """httpx's `timeout` request extension whose every value is the time left before a deadline.

    httpcore reads the value when each phase starts (pool wait, connect, send, wait for the headers),
    so a request that connects slowly cannot also wait the full time for its answer."""

    def __init__(self, base: dict | None, deadline: float):
        super().__init__(base or {})
        self._deadline = deadline

    def get(self, key, default=None):
        left = max(0.001, self._deadline - time.monotonic())  # 0 would mean non-blocking, not "expired"
        value = super().get(key, default)
        return left if value is None else min(float(value), left)

    def __getitem__(self, key):
        return self.get(key)


def _deadline_stream(httpx2, stream, deadline: float, seconds: float, request):
    """Wraps a response body: a server that drips bytes (each read well within the read timeout)
    still cannot make the body outlast the deadline."""

    class DeadlineStream(httpx2.SyncByteStream):
        def __iter__(self):
            for chunk in stream:
                if time.monotonic() > deadline:
                    raise httpx2.ReadTimeout(f"no complete answer within {seconds:g} s", request=request)
                yield chunk

        def close(self) -> None:
            stream.close()

    return DeadlineStream()


def _is_api_call(request) -> bool:
    if not request.url.path.startswith("/api/"):
        return False  # file transfers (resolve/, LFS, Xet) can be large: bounded per silent read only
    try:
        size = int(request.headers.get("content-length") or 0)
    except ValueError:
        return False
    return size <= HUB_API_BODY_LIMIT and "chunked" not in request.headers.get("transfer-encoding", "")


def bound_hub_requests(seconds: float | None = None) -> float:
    """Give huggingface_hub's shared client deadlines; returns the bound in seconds.

    Every read, write, connect and pool wait fails after `seconds` of silence (the library's own
    client has no timeout at all), and every Hub API call (`/api/...` with a body up to 1 MB: repo
    info, tree listing, create repo, preupload, commit) must be complete, connect to last byte,
    within `seconds`. huggingface_hub maps the failure to `httpx2.TimeoutException`."""
    seconds = float(seconds if seconds is not None else hub_timeout())
    if seconds <= 0:
        raise BadInputError(f"timeout must be positive, got {seconds:g}")
    try:
        import httpx2
        from huggingface_hub import set_client_factory
        from huggingface_hub.utils import _http
    except ImportError:  # pragma: no cover - huggingface_hub always brings httpx2
        return seconds

    def on_request(request) -> None:
        if _is_api_call(request):
            deadline = time.monotonic() + seconds
            request.extensions = {**request.extensions,
                                  "timeout": _TimeLeft(request.extensions.get("timeout"), deadline),
                                  "agent_flan_deadline": deadline}

    def on_response(response) -> None:
        deadline = response.request.extensions.get("agent_flan_deadline")
        if deadline is not None:
            response.stream = _deadline_stream(httpx2, response.stream, deadline, seconds, response.request)

    def factory():
        client = _http.default_client_factory()  # keeps the library's own hooks (offline mode, request ids)
        client.timeout = httpx2.Timeout(seconds)
        hooks = client.event_hooks
        client.event_hooks = {"request": [*hooks.get("request", []), on_request],
                              "response": [*hooks.get("response", []), on_response]}
        return client

    set_client_factory(factory)
    return seconds


def timed_out(exc: BaseException | None) -> bool:
    """Whether `exc`, or what it was raised from, is an HTTP timeout."""
    try:
        import httpx2
    except ImportError:  # pragma: no cover
        return False
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (httpx2.TimeoutException, TimeoutError)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _download(name: str, repo_id: str) -> list[Path]:
    """Fetch a Hub dataset's data files; every failure becomes one line a user can act on."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    from huggingface_hub import constants

    seconds = bound_hub_requests()
    try:
        folder = snapshot_download(repo_id=repo_id, repo_type="dataset", allow_patterns=_HUB_PATTERNS)
    except (OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:
        if timed_out(exc):
            raise BadInputError(
                f"--{name} {repo_id}: the Hugging Face Hub at {constants.ENDPOINT} did not answer within "
                f"{seconds:g} s and no cached copy exists (set HF_HUB_DOWNLOAD_TIMEOUT to wait longer, or pass a "
                "local folder instead)") from None
        raise BadInputError(
            f"--{name} {repo_id}: cannot reach the Hugging Face Hub and no cached copy exists "
            "(offline?). Download the files where you have internet and pass the local folder instead."
        ) from None
    except GatedRepoError:
        raise BadInputError(f"--{name} {repo_id}: this dataset is gated; accept its terms on the Hub and log in (hf auth login) or set HF_TOKEN") from None
    except RepositoryNotFoundError:
        raise BadInputError(f"--{name} {repo_id}: no such dataset on the Hub, or it is private and you are not logged in") from None
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", "?")
        raise BadInputError(f"--{name} {repo_id}: the Hub answered HTTP {status}") from None
    except Exception as exc:  # noqa: BLE001 - a timeout while downloading the files themselves
        if timed_out(exc):
            raise BadInputError(f"--{name} {repo_id}: the Hugging Face Hub at {constants.ENDPOINT} stopped "
                                f"answering (no data for {seconds:g} s; HF_HUB_DOWNLOAD_TIMEOUT)") from None
        raise
    files = list_source_files(Path(folder))
    if not files:
        raise BadInputError(f"--{name} {repo_id}: the Hub dataset has no .jsonl, .json or .parquet files")
    return files
