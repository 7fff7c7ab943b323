"""The Hugging Face Hub, reached safely: what is a path and what is a Hub id, and deadlines.

A spec that looks like a file path (a data-file extension, a leading `./`, `../`, `/` or `~`, or more
than one slash) is a missing file when it is not on disk, never a Hub lookup (`data/missing.jsonl`
used to become "cannot reach the Hugging Face Hub (offline?)").

huggingface_hub's shared client has no timeout of its own, so a Hub that accepts the connection and
never answers would hang a build or a push until killed. `bound_hub_requests` gives that client
per-operation timeouts and makes every Hub API call (`/api/...`, small bodies) finish, connect to last
byte, within the same number of seconds. Used by the builder (Hub-id sources), training and push.
"""

from __future__ import annotations

import os
import re
import time

from agent_flan.core.errors import BadInputError

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# Extensions that mark a spec as a file path, never a Hub id (a Hub dataset name does not end like a file).
FILE_EXTENSIONS = frozenset(
    {
        "json",
        "jsonl",
        "ndjson",
        "parquet",
        "arrow",
        "csv",
        "tsv",
        "txt",
        "yaml",
        "yml",
        "gz",
        "bz2",
        "xz",
        "zst",
        "zip",
        "tar",
    }
)
# Hub API requests with a body up to this size must finish within the deadline; bigger ones (a commit
# carrying file contents) and file transfers are bounded per silent read or write instead.
HUB_API_BODY_LIMIT = 1_000_000


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
    return (
        f"no such file: {spec} (no such file or folder at {where}; a Hub dataset id is ORG/NAME, "
        "without a file extension)"
    )


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
            request.extensions = {
                **request.extensions,
                "timeout": _TimeLeft(request.extensions.get("timeout"), deadline),
                "agent_flan_deadline": deadline,
            }

    def on_response(response) -> None:
        deadline = response.request.extensions.get("agent_flan_deadline")
        if deadline is not None:
            response.stream = _deadline_stream(httpx2, response.stream, deadline, seconds, response.request)

    def factory():
        client = _http.default_client_factory()  # keeps the library's own hooks (offline mode, request ids)
        client.timeout = httpx2.Timeout(seconds)
        hooks = client.event_hooks
        client.event_hooks = {
            "request": [*hooks.get("request", []), on_request],
            "response": [*hooks.get("response", []), on_response],
        }
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
