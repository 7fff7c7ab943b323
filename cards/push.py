"""`agent-flan push`: validate a folder, then publish it with `create_repo` + `upload_folder`.

Design choices, and why:

- The folder is checked before any network call (a dataset must pass `validate_folder`; a model
  needs weights and a card; a Space needs its app file and front matter), so a broken folder is
  never half-published.
- The token is passed to `HfApi` explicitly and never appears in output: every message is scrubbed of it.
- The file list of `--dry-run` is computed with the same ignore patterns and the same matcher
  (`huggingface_hub.utils.filter_repo_objects` plus the library's `DEFAULT_IGNORE_PATTERNS`) that
  `upload_folder` applies, so what it prints is what would be sent.
- Network failures become one line and exit code 2 (`BadInputError`): offline, 401, 403, 404, and a
  Hub that does not answer. huggingface_hub's client has no timeout at all, so a Hub that accepts the
  connection and never answers used to hang the push until it was killed; now every request fails
  after `--timeout` seconds of silence and every Hub API call (create repo, branch, preupload, commit)
  must be complete within `--timeout` seconds (`agent_flan.core.hub.bound_hub_requests`).
- What the Hub would show wrong is checked too, before anything is sent (`check_contents`): a model README
  that is not the kit's card (TRL's placeholder), a local path in a card's metadata, a placeholder owner
  (`ORG/...`) in a Space's requirements.txt, are errors that refuse the push; examples that load another
  repo than the one pushed to, and a model card without Agent-H numbers, are warnings the dry run lists.
- The token is huggingface_hub's own `get_token()` (HF_TOKEN, the login cache, ...), so push finds it
  wherever the library would; messages say where it came from, never what it is.
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


@dataclass(frozen=True)
class Finding:
    """Something the Hub would show wrong. An error refuses the push (and makes the dry run exit 2); a warning is
    listed by the dry run and the push goes on."""

    severity: str  # "error" | "warning"
    where: str  # the file inside the folder, with a line number when there is one
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


PLACEHOLDER_OWNER = re.compile(r"(?<![\w.-])ORG/[\w.-]+")  # the owner the kit's docs and templates leave to fill in
LOCAL_PATH = re.compile(r"^(?:/|~|\.{1,2}[\\/]|[A-Za-z]:[\\/])")
LOAD_DATASET = re.compile(r"load_dataset\(\s*[\"']([^\"']+)[\"']")
# Files the Hub acts on: the card everywhere, the requirements a Space installs when it builds.
CHECKED_FILES = ("README.md", "requirements.txt", "pre-requirements.txt", "packages.txt")
BUILD_FILES = ("requirements.txt", "pre-requirements.txt", "packages.txt")


def _metadata_strings(value: Any, key: str = "") -> list[tuple[str, str]]:
    """(key path, string) for every string in the card's metadata, nested lists and mappings included."""
    if isinstance(value, str):
        return [(key, value)]
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _metadata_strings(v, f"{key}.{k}" if key else str(k))]
    if isinstance(value, list):
        return [pair for item in value for pair in _metadata_strings(item, key)]
    return []


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _model_card_findings(
    where: Path, folder: Path, repo_id: str, metadata: dict[str, Any], own_card: bool
) -> list[Finding]:
    from agent_flan.cards.model_card import kit_card_marker

    text = _read_text(where / "README.md") or ""
    is_kit, rendered_for = kit_card_marker(text)
    fix = f"agent-flan card {folder} --type model --repo {repo_id} --eval RESULTS.json"
    findings = []
    if not is_kit and not own_card:
        trl = "fine-tuned version of [None]" in text or "huggingface.co/None" in text
        what = "TRL's placeholder card from `save_model`" if trl else "a README that `agent-flan card` did not write"
        findings.append(
            Finding(
                "error",
                "README.md",
                f"not the kit's model card ({what}); render it with `{fix}` (RESULTS.json: what `agent-flan eval "
                "--out` wrote), or pass --own-card to publish your own",
            )
        )
    if is_kit and rendered_for and rendered_for != repo_id:
        findings.append(
            Finding(
                "warning",
                "README.md",
                f"rendered for {rendered_for}, so its examples load that repo, not {repo_id}; re-render with `{fix}`",
            )
        )
    if is_kit and not metadata.get("model-index"):
        findings.append(
            Finding(
                "warning",
                "README.md",
                'no Agent-H numbers (the card says "Not measured"); run `agent-flan eval --model BASE --adapter '
                f"{folder} --out results/tuned.json`, then `{fix.replace('RESULTS.json', 'results/tuned.json')}`",
            )
        )
    return findings


def check_contents(
    plan: UploadPlan, metadata: dict[str, Any], own_card: bool = False, shown: Path | str | None = None
) -> list[Finding]:
    """What the files about to be uploaded would get wrong on the Hub, errors first. No network call.

    `shown`: the folder as the user named it, for the commands the messages suggest (default: the plan's)."""
    repo_id = plan.repo_id
    folder = Path(shown) if shown is not None else plan.folder
    findings: list[Finding] = []
    if plan.repo_type == "model":
        findings += _model_card_findings(plan.folder, folder, repo_id, metadata, own_card)
    for key, value in _metadata_strings(metadata):
        # `base_model:adapter:/home/...` (a tag TRL writes) hides the path behind a prefix
        parts = [value, *value.split(":")[1:]] if value.startswith("base_model:") else [value]
        if any(LOCAL_PATH.match(part.strip()) for part in parts):
            fix = (
                f"render the kit's card with `agent-flan card {folder} --type {plan.repo_type} --repo {repo_id}`"
                if plan.repo_type == "model"
                else "replace it with a Hub id (ORG/NAME) or remove it"
            )
            findings.append(
                Finding(
                    "error", "README.md", f"the metadata's `{key}` holds a local path ({value}), not a Hub id; {fix}"
                )
            )
    placeholder_ok = repo_id.split("/")[0] == "ORG"  # someone really pushes to an owner named ORG
    for rel, _ in plan.files:
        name = rel.rsplit("/", 1)[-1]
        if name not in CHECKED_FILES or (placeholder_ok and name not in BUILD_FILES):
            continue  # a requirement on github.com/ORG/... is wrong whoever owns the Space
        lines, names = [], []
        for number, line in enumerate((_read_text(plan.folder / rel) or "").splitlines(), 1):
            found = PLACEHOLDER_OWNER.search(line)
            if not found or (name in BUILD_FILES and line.lstrip().startswith("#")):
                continue
            if plan.repo_type == "dataset" and rel == "README.md" and LOAD_DATASET.search(line):
                continue  # the load_dataset check below names every such call at once
            if name in BUILD_FILES:  # one error per line: each is a requirement the build would try to install
                message = (
                    f"`{line.strip()}` still names the placeholder owner ORG: the Space would fail to build when it "
                    "installs it; point it at your fork (and pin a tag or commit), or at a release on PyPI"
                )
                findings.append(Finding("error", f"{rel} line {number}", message))
            else:
                lines.append(str(number))
                names.append(found.group(0))
        if lines:
            message = f"{', '.join(f'`{n}`' for n in dict.fromkeys(names))}: the placeholder owner ORG, not a real repo"
            if rel == "README.md" and plan.repo_type in ("dataset", "model"):
                kind = " --type model" if plan.repo_type == "model" else ""
                message += f"; `agent-flan card {folder}{kind} --repo {repo_id}` renders the card with your repo id"
            else:
                message += "; replace it"
            where = f"{rel} line{'s' if len(lines) > 1 else ''} {', '.join(lines[:8])}" + (
                f" and {len(lines) - 8} more" if len(lines) > 8 else ""
            )
            findings.append(Finding("warning", where, message))
    if plan.repo_type == "dataset":
        text = _read_text(plan.folder / "README.md") or ""
        names = [n for n in LOAD_DATASET.findall(text) if n not in (repo_id, f"hf://datasets/{repo_id}")]
        if names:
            shown = ", ".join(f'"{n}"' for n in dict.fromkeys(names))
            why = []
            if any("/" not in n for n in names):
                why.append("a bare name does not resolve on the Hub")
            if any(PLACEHOLDER_OWNER.match(n) for n in names):
                why.append("ORG is a placeholder")
            why = why or ["another repo"]
            findings.append(
                Finding(
                    "warning",
                    "README.md",
                    f'its examples call load_dataset({shown}) ({len(names)} times), not "{repo_id}" '
                    f"({'; '.join(why)}); re-render with `agent-flan card {folder} --repo {repo_id}`",
                )
            )
    return sorted(findings, key=lambda f: f.severity != "error")


def card_summary(metadata: dict[str, Any]) -> str | None:
    """The model card's Agent-H numbers as the Hub will show them (`model-index`), in one line."""
    shown = []
    for entry in metadata.get("model-index") or []:
        for result in entry.get("results") or [] if isinstance(entry, dict) else []:
            for metric in result.get("metrics") or [] if isinstance(result, dict) else []:
                if isinstance(metric, dict) and isinstance(metric.get("value"), (int, float)):
                    shown.append(f"{metric.get('name') or metric.get('type')} {metric['value']:g}")
    return ", ".join(shown) or None


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


def token_source() -> str:
    """Where huggingface_hub's `get_token()` takes the token from, in its own order; "nowhere" when it has none.

    Only the name of the place: the value is never read here (an OIDC exchange would be a network call)."""
    from huggingface_hub import constants

    if os.environ.get("HF_OIDC_RESOURCE", "").strip():
        return "an OIDC token exchange (HF_OIDC_RESOURCE)"
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if os.environ.get(name, "").strip():
            return name
    try:
        if Path(constants.HF_TOKEN_PATH).read_text(encoding="utf-8").strip():
            return "the login cache (`hf auth login`)"
    except OSError:
        pass
    return "nowhere"


def find_token(exchange: bool = True) -> tuple[str | None, str]:
    """(token, where it came from), as huggingface_hub's `get_token()` finds it.

    `exchange=False` (the dry run) leaves an OIDC exchange undone: it would reach the network, and a token
    minted on the spot cannot be inside a local file anyway."""
    from huggingface_hub import get_token

    source = token_source()
    if source.startswith("an OIDC") and not exchange:
        return None, source
    try:
        token = get_token()
    except Exception as exc:  # noqa: BLE001 - an OIDC exchange that fails: the library raises instead of None
        raise BadInputError(f"no Hugging Face token: {source} failed ({type(exc).__name__})") from None
    if not token:
        return None, "nowhere"
    if source == "nowhere":  # a source this function does not name (a Colab secret)
        source = "huggingface_hub's get_token() (a Colab secret)"
    return token, source


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
    plan: UploadPlan,
    private: bool,
    revision: str | None,
    token_source: str,
    message: str,
    out: Callable[[str], None],
    findings: list[Finding] | None = None,
    card: str | None = None,
) -> None:
    visibility = "private" if private else "public unless the owner's default is private"
    out("dry run: no network call; this is what `agent-flan push` would do")
    out(
        f"repo:    https://huggingface.co/{PAGES[plan.repo_type]}{plan.repo_id} ({plan.repo_type}; created if missing, "
        f"{visibility}; an existing repo keeps its visibility)"
    )
    out(f"branch:  {revision or 'main'}" + (" (created if missing)" if revision and revision != "main" else ""))
    out(f"commit:  {message}")
    if token_source.startswith("an OIDC"):
        token_line = f"from {token_source} when pushing (not run in a dry run)"
    elif token_source != "nowhere":
        token_line = f"found in {token_source} (not shown)"
    else:
        token_line = "none found: set HF_TOKEN or run `hf auth login` before pushing"
    out(f"token:   {token_line}")
    if card:
        out(f"card:    {card}")
    out(f"files ({len(plan.files)}, {human_size(plan.total_bytes)}):")
    width = max(len(f"{size:,}") for _, size in plan.files)
    for rel, size in plan.files:
        out(f"  {size:>{width},} B  {rel}")
    if plan.skipped:
        out(f"not uploaded ({len(plan.skipped)}, ignore patterns {' '.join(plan.ignore_patterns)}):")
        for rel in plan.skipped:
            out(f"  {rel}")
    findings = findings or []
    errors = sum(f.severity == "error" for f in findings)
    if findings:
        verdict = "the push would be refused" if errors else "the push would go ahead"
        out(f"checks:  {errors} error(s), {len(findings) - errors} warning(s); {verdict}")
        for finding in findings:
            out(f"  {finding.severity:<7}  {finding}")
    else:
        out("checks:  nothing wrong found (card metadata, placeholders, examples)")


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
    own_card: bool = False,
) -> int:
    """Validate, then create the repo (exist_ok) and upload the folder in one commit. Returns an exit code.

    `timeout`: seconds each Hub API call may take in all, and each file transfer may stay silent. `own_card`: a
    model README that `agent-flan card` did not write may be published (the other checks still apply)."""
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
    token, source = find_token(exchange=not dry_run)
    refuse_files_with_token(plan, token, source)  # the dry run too: what it lists is what would be sent
    findings = check_contents(plan, metadata, own_card=own_card, shown=folder)
    errors = [f for f in findings if f.severity == "error"]
    if dry_run:
        card = None
        if repo_type == "model":
            numbers = card_summary(metadata)
            card = "README.md, " + (
                f"Agent-H as the Hub will show it: {numbers}" if numbers else "no Agent-H numbers in its metadata"
            )
        describe_plan(plan, private, revision, source, message, out, findings, card)
        if errors:
            raise BadInputError(
                f"{len(errors)} error(s) in what would be pushed (listed above); first: {_scrub(str(errors[0]), token)}"
            )
        return 0
    if errors:
        raise BadInputError(
            f"{_scrub(str(errors[0]), token)}; nothing was pushed"
            + (f" ({len(errors)} errors: `--dry-run` lists them)" if len(errors) > 1 else "")
        )
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
