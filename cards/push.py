"""`agent-flan push`: validate a folder, then publish it with `create_repo` + `upload_folder`.

Design choices, and why:

- The folder is checked before any network call (a dataset must pass `validate_folder`; a model
  needs weights and a card; a Space needs its app file and front matter), so a broken folder is
  never half-published.
- The token comes only from `HF_TOKEN` or the login cache file (`hf auth login`), is passed to
  `HfApi` explicitly, and never appears in output: messages name where it came from, not what it is,
  and every message is scrubbed of it anyway.
- The file list of `--dry-run` is computed with the same ignore patterns and the same matcher
  (`huggingface_hub.utils.filter_repo_objects` plus the library's `DEFAULT_IGNORE_PATTERNS`) that
  `upload_folder` applies, so what it prints is what would be sent.
- Network failures become one line and exit code 2 (`BadInputError`): offline, 401, 403, 404, and a
  Hub that does not answer. huggingface_hub's client has no timeout at all, so a Hub that accepts the
  connection and never answers used to hang the push until it was killed; now every request fails
  after `--timeout` seconds of silence and every Hub API call (create repo, branch, preupload, commit)
  must be complete within `--timeout` seconds (`agent_flan.core.hub.bound_hub_requests`).
- The active token never leaves in a file: every file the upload would send (dry run included) is
  scanned, in 1 MiB chunks, text and binary alike, for the token `push` would use; one hit refuses the
  push with exit 2, naming the file (e.g. a `training_args.bin` pickled by an older `--hub_token` run).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_flan.core.errors import BadInputError

REPO_TYPES = ("dataset", "model", "space")
DEFAULT_TIMEOUT_S = 60.0  # per Hub API call, and per silent read/write of a file transfer (`--timeout`)
SCAN_CHUNK = 1 << 20  # files are scanned for the token in chunks of this size (any size of file)
MIN_SCANNED_TOKEN = 8  # a "token" shorter than this would match everywhere; it is not a Hub token
# Never uploaded: hidden files and folders (staging parts, editor and tool state), caches, and for models the
# resumable checkpoints (optimizer state, gigabytes) and the optional merged full model (a separate repo).
DEFAULT_EXCLUDES: dict[str, list[str]] = {
    "dataset": [".*", "*/.*", "*__pycache__*"],
    "model": [".*", "*/.*", "*__pycache__*", "checkpoint-*", "merged/*", "runs/*"],
    "space": [".*", "*/.*", "*__pycache__*", "*.pyc", "flagged/*"],
}
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
PAGES = {"dataset": "datasets/", "model": "", "space": "spaces/"}


@dataclass
class UploadPlan:
    """What `upload_folder` would send, computed offline."""

    folder: Path
    repo_id: str
    repo_type: str
    ignore_patterns: list[str]
    files: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


def check_repo_id(repo_id: str) -> str:
    """ORG/NAME only: bare names no longer resolve on the Hub (and would land in whoever's namespace)."""
    if "/" not in repo_id:
        raise BadInputError(
            f"--repo {repo_id!r}: give the owner too, as ORG/NAME (for example "
            f"your-username/{repo_id}); a bare name is refused"
        )
    if not _REPO_ID.match(repo_id) or "--" in repo_id or ".." in repo_id or repo_id.endswith((".git", ".")):
        raise BadInputError(
            f"--repo {repo_id!r}: not a valid repo id (ORG/NAME with letters, digits, '-', '_', '.'; no '--' or '..')"
        )
    return repo_id


def detect_type(folder: Path) -> str:
    """dataset (build_report.json), model (adapter/metrics/config.json) or space (app.py): the folder says."""
    found = []
    if (folder / "build_report.json").is_file():
        found.append("dataset")
    if any((folder / name).is_file() for name in ("adapter_config.json", "metrics.json", "config.json")):
        found.append("model")
    if (folder / "app.py").is_file():
        found.append("space")
    if len(found) != 1:
        what = " and ".join(found) if found else "none of build_report.json, adapter_config.json, metrics.json, app.py"
        raise BadInputError(f"{folder}: cannot tell the repo type (found {what}); pass --type dataset|model|space")
    return found[0]


def _front_matter(readme: Path, kind: str) -> dict[str, Any]:
    from huggingface_hub import DatasetCard, ModelCard, SpaceCard

    if not readme.is_file():
        raise BadInputError(f"{readme}: missing; render it with `agent-flan card {readme.parent} --type {kind}`")
    card_class = {"dataset": DatasetCard, "model": ModelCard, "space": SpaceCard}[kind]
    try:
        card = card_class.load(readme)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the same user error
        raise BadInputError(f"{readme}: the card's YAML front matter does not parse ({exc})") from exc
    data = card.data.to_dict()
    if not data:
        raise BadInputError(
            f"{readme}: no YAML front matter; render it with `agent-flan card {readme.parent} --type {kind}`"
        )
    return data


def validate_for_push(folder: Path, repo_type: str) -> dict[str, Any]:
    """Refuse a folder the Hub would accept but users could not use; returns the card's metadata."""
    if repo_type == "dataset":
        from agent_flan.dataset_builder.validate import validate_folder

        problems = validate_folder(folder)
        if problems:
            raise BadInputError(
                f"{folder}: not a valid dataset folder ({len(problems)} problem(s); first: {problems[0]}); "
                f"run `agent-flan validate {folder}` for the full list"
            )
        return _front_matter(folder / "README.md", "dataset")
    if repo_type == "model":
        adapter = (folder / "adapter_config.json").is_file() and any(
            (folder / name).is_file() for name in ("adapter_model.safetensors", "adapter_model.bin")
        )
        full = (folder / "config.json").is_file() and (any(folder.glob("*.safetensors")) or any(folder.glob("*.bin")))
        if not (adapter or full):
            raise BadInputError(
                f"{folder}: no model weights (expected adapter_config.json + adapter_model.safetensors "
                "from `agent-flan train`, or config.json + *.safetensors)"
            )
        return _front_matter(folder / "README.md", "model")
    data = _front_matter(folder / "README.md", "space")
    app_file = data.get("app_file") or "app.py"
    if not (folder / app_file).is_file():
        raise BadInputError(f"{folder}: app_file {app_file!r} named in README.md does not exist")
    if data.get("sdk") != "gradio" or not data.get("sdk_version"):
        raise BadInputError(
            f"{folder / 'README.md'}: a Gradio Space needs `sdk: gradio` and `sdk_version` in its front "
            "matter; render it with cards.space_card.render_space_card"
        )
    return data


def plan_upload(folder: Path, repo_id: str, repo_type: str, excludes: list[str] | None = None) -> UploadPlan:
    """List the files exactly as `upload_folder` will: same glob, same matcher, same default ignores."""
    from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS, filter_repo_objects

    folder = Path(folder).expanduser().resolve()
    ignore = DEFAULT_EXCLUDES[repo_type] + list(excludes or [])
    every = [path.relative_to(folder).as_posix() for path in sorted(folder.glob("**/*")) if path.is_file()]
    kept = set(filter_repo_objects(every, ignore_patterns=ignore + DEFAULT_IGNORE_PATTERNS))
    plan = UploadPlan(folder, repo_id, repo_type, ignore)
    for rel in every:
        if rel in kept:
            plan.files.append((rel, (folder / rel).stat().st_size))
        else:
            plan.skipped.append(rel)
    if not plan.files:
        raise BadInputError(f"{folder}: nothing to upload (every file matches the ignore patterns)")
    return plan


def find_token() -> tuple[str | None, str]:
    """(token, where it came from). Only HF_TOKEN or the login cache: no OIDC, no Colab, no prompts."""
    value = os.environ.get("HF_TOKEN", "").strip()
    if value:
        return value, "HF_TOKEN"
    from huggingface_hub import constants

    path = Path(constants.HF_TOKEN_PATH)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError:
        value = ""
    if value:
        return value, "the login cache (`hf auth login`)"
    return None, "nowhere"


def commit_message(folder: Path, repo_type: str) -> str:
    """A first line that says what changed, from the folder's own report."""
    try:
        if repo_type == "dataset":
            report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
            rows = {name: sum(s["rows"] for s in info["splits"].values()) for name, info in report["configs"].items()}
            total = rows.get("default", 0) + rows.get("agent_h", 0) or sum(rows.values())
            kit = report.get("versions", {}).get("agent-flan-kit", "?")
            return (
                f"Agent-FLAN dataset: {len(rows)} configs, {total:,} rows "
                f"(seed {report.get('seed')}, agent-flan-kit {kit})"
            )
        if repo_type == "model":
            metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
            base = (metrics.get("model") or {}).get("hub_id") or (metrics.get("model") or {}).get("name_or_path")
            train = metrics.get("train") or {}
            loss = train.get("final_loss")
            return f"Agent-FLAN adapter for {base}: {train.get('global_step')} steps" + (
                f", final loss {loss:.4f}" if isinstance(loss, (int, float)) else ""
            )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return {
        "dataset": "Agent-FLAN dataset",
        "model": "Agent-FLAN model from agent-flan train",
        "space": "Agent-FLAN Space",
    }[repo_type]


def _scrub(text: str, token: str | None) -> str:
    text = " ".join(str(text).split())
    if token:
        text = text.replace(token, "***")
    return text[:400]


def files_with_secret(folder: Path, files: list[str], secret: str | None) -> list[str]:
    """The files (relative paths under `folder`) whose bytes contain `secret`, as UTF-8 or UTF-16-LE.

    Read in chunks of SCAN_CHUNK with an overlap, so a file of any size is scanned in constant memory
    and a token split across two chunks is still found; binary files (pickles, safetensors) too."""
    if not secret or len(secret) < MIN_SCANNED_TOKEN:
        return []
    needles = [secret.encode("utf-8"), secret.encode("utf-16-le")]
    overlap = max(len(needle) for needle in needles) - 1
    hits = []
    for rel in files:
        tail = b""
        with open(folder / rel, "rb") as handle:
            while chunk := handle.read(SCAN_CHUNK):
                window = tail + chunk
                if any(needle in window for needle in needles):
                    hits.append(rel)
                    break
                tail = window[-overlap:]
    return hits


def refuse_files_with_token(plan: UploadPlan, token: str | None, token_source: str) -> None:
    """Exit 2 (BadInputError) naming every file of the upload that contains the active token."""
    hits = files_with_secret(plan.folder, [rel for rel, _ in plan.files], token)
    if hits:
        shown = ", ".join(hits[:5]) + (f" and {len(hits) - 5} more" if len(hits) > 5 else "")
        raise BadInputError(
            f"{plan.folder / hits[0]}: contains the Hugging Face token from {token_source}; refusing to push "
            f"({len(hits)} file(s): {shown}). Remove the token from the file(s) or skip them with --exclude, "
            "and revoke the token (https://huggingface.co/settings/tokens) if they were ever shared"
        )


def explain_failure(
    exc: BaseException,
    plan: UploadPlan,
    revision: str | None,
    token_source: str,
    endpoint: str,
    token: str | None,
    timeout: float | None = None,
) -> str | None:
    """One line for the failures a user can fix (offline, 401, 403, 404, no answer); None for anything else."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    from agent_flan.core.hub import timed_out

    where = f"{plan.repo_type} repo {plan.repo_id}" + (f" (branch {revision})" if revision else "")
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else None
        server = _scrub(getattr(exc, "server_message", "") or "", token)
        said = f" The Hub said: {server}" if server else ""
        if status == 401:
            return (
                f"401 Unauthorized: the Hub rejected the token from {token_source} (invalid or expired). Create a "
                f"write token at https://huggingface.co/settings/tokens and set HF_TOKEN or run `hf auth login`.{said}"
            )
        if status == 403:
            owner = plan.repo_id.split("/")[0]
            return (
                f"403 Forbidden: the token from {token_source} may not write to {where}; it needs write access "
                f"to the '{owner}' namespace (a write token, or a fine-grained one with write permission there).{said}"
            )
        if status == 404:
            return (
                f"404 Not Found: {where} does not exist or is not visible to the token from {token_source}; "
                f"check the owner name and --type.{said}"
            )
        return None
    if isinstance(exc, OfflineModeIsEnabled):
        return "offline: HF_HUB_OFFLINE=1 is set, so nothing can be pushed; unset it (or use --dry-run)"
    transport = False
    try:
        import httpx2

        transport = isinstance(exc, httpx2.TransportError)
    except ImportError:
        pass
    if timed_out(exc) and not _is_connect_error(exc):
        bound = f"within {timeout:g} s" if timeout else "in time"
        return (
            f"no answer: the Hub at {endpoint} did not answer {bound} ({type(exc).__name__}) while pushing to "
            f"{where}; check the network, a proxy or HF_ENDPOINT, or allow longer with --timeout"
        )
    if transport or isinstance(exc, (ConnectionError, TimeoutError)):
        reason = _scrub(str(exc) or type(exc).__name__, token)
        return f"offline: cannot reach {endpoint} ({type(exc).__name__}: {reason}); check the network, a proxy, or HF_ENDPOINT"
    return None


def _is_connect_error(exc: BaseException) -> bool:
    """A refused or unroutable connection (ConnectError, ConnectTimeout): the 'offline' line says it better."""
    try:
        import httpx2

        return isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout))
    except ImportError:  # pragma: no cover
        return False


def describe_plan(
    plan: UploadPlan, private: bool, revision: str | None, token_source: str, message: str, out: Callable[[str], None]
) -> None:
    visibility = "private" if private else "public unless the owner's default is private"
    out("dry run: no network call; this is what `agent-flan push` would do")
    out(
        f"repo:    https://huggingface.co/{PAGES[plan.repo_type]}{plan.repo_id} ({plan.repo_type}; created if missing, "
        f"{visibility}; an existing repo keeps its visibility)"
    )
    out(f"branch:  {revision or 'main'}" + (" (created if missing)" if revision and revision != "main" else ""))
    out(f"commit:  {message}")
    out(
        f"token:   {'found in ' + token_source + ' (not shown)' if token_source != 'nowhere' else 'none found: set HF_TOKEN or run `hf auth login` before pushing'}"
    )
    out(f"files ({len(plan.files)}, {human_size(plan.total_bytes)}):")
    width = max(len(f"{size:,}") for _, size in plan.files)
    for rel, size in plan.files:
        out(f"  {size:>{width},} B  {rel}")
    if plan.skipped:
        out(f"not uploaded ({len(plan.skipped)}, ignore patterns {' '.join(plan.ignore_patterns)}):")
        for rel in plan.skipped:
            out(f"  {rel}")


def push(
    folder: Path,
    repo_id: str,
    repo_type: str | None = None,
    private: bool = False,
    revision: str | None = None,
    dry_run: bool = False,
    excludes: list[str] | None = None,
    message: str | None = None,
    out: Callable[[str], None] = print,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> int:
    """Validate, then create the repo (exist_ok) and upload the folder in one commit. Returns an exit code.

    `timeout`: seconds each Hub API call may take in all, and each file transfer may stay silent."""
    folder = Path(folder)
    check_repo_id(repo_id)
    if not timeout or timeout <= 0:
        raise BadInputError(f"--timeout {timeout}: must be a positive number of seconds")
    if not folder.is_dir():
        raise BadInputError(f"{folder}: not a folder")
    repo_type = repo_type or detect_type(folder)
    if repo_type not in REPO_TYPES:
        raise BadInputError(f"--type {repo_type!r}: choose dataset, model or space")
    if revision is not None and not revision.strip():
        raise BadInputError("--revision: empty branch name")
    metadata = validate_for_push(folder, repo_type)
    plan = plan_upload(folder, repo_id, repo_type, excludes)
    message = message or commit_message(folder, repo_type)
    token, source = find_token()
    refuse_files_with_token(plan, token, source)  # the dry run too: what it lists is what would be sent
    if dry_run:
        describe_plan(plan, private, revision, source, message, out)
        return 0
    if token is None:
        raise BadInputError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access)")

    from huggingface_hub import HfApi, constants

    if constants.HF_HUB_OFFLINE:
        raise BadInputError("offline: HF_HUB_OFFLINE=1 is set, so nothing can be pushed; unset it (or use --dry-run)")
    from agent_flan.core.hub import bound_hub_requests

    bound_hub_requests(timeout)
    api = HfApi(token=token)
    description = f"{len(plan.files)} files, {human_size(plan.total_bytes)}, pushed with `agent-flan push`."
    try:
        url = api.create_repo(
            repo_id,
            repo_type=repo_type,
            private=True if private else None,
            exist_ok=True,
            space_sdk=metadata.get("sdk", "gradio") if repo_type == "space" else None,
        )
        if revision and revision != "main":
            api.create_branch(repo_id, repo_type=repo_type, branch=revision, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id,
            repo_type=repo_type,
            folder_path=str(plan.folder),
            revision=revision,
            commit_message=message,
            commit_description=description,
            ignore_patterns=list(plan.ignore_patterns),
        )
    except Exception as exc:  # noqa: BLE001 - mapped to a user-facing line below, or re-raised
        line = explain_failure(exc, plan, revision, source, api.endpoint, token, timeout)
        if line is None:
            raise RuntimeError(
                _scrub(f"push to {repo_type} repo {repo_id} failed: {type(exc).__name__}: {exc}", token)
            ) from None
        raise BadInputError(line) from None
    oid = getattr(info, "oid", None) or ""
    out(
        f"pushed {len(plan.files)} files ({human_size(plan.total_bytes)}) to {url}"
        + (f" (commit {oid[:10]})" if oid else "")
    )
    return 0
