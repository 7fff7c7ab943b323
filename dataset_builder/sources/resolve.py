"""Turn a `SRC` argument (file, folder, Hub id, or nothing) into the list of files to read.

A spec that exists on disk is read from disk; one that does not is a Hub dataset id only when it
looks like one (`agent_flan.core.hub.looks_like_path`). Hub look-ups have a deadline
(`agent_flan.core.hub.bound_hub_requests`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_flan.core.errors import BadInputError
from agent_flan.core.hub import HUB_ID, bound_hub_requests, looks_like_path, missing_path_message, timed_out
from agent_flan.dataset_builder.sources.files import list_source_files, sha256_of

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
EMBEDDED = {
    "agentinstruct": SAMPLES_DIR / "agentinstruct.jsonl",
    "toolbench": SAMPLES_DIR / "toolbench",
    "glaive": SAMPLES_DIR / "glaive.jsonl",
    "general": SAMPLES_DIR / "general.jsonl",
    "release": SAMPLES_DIR / "release",
}
_HUB_PATTERNS = ["*.parquet", "*.jsonl", "*.json", "**/*.parquet", "**/*.jsonl", "**/*.json"]


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
    if HUB_ID.match(spec):
        return SourceInput(name, "hub", spec, _download(name, spec))
    raise BadInputError(f"--{name} {spec}: no such file or folder (and not a Hub dataset id like 'org/name')")


def _download(name: str, repo_id: str) -> list[Path]:
    """Fetch a Hub dataset's data files; every failure becomes one line a user can act on."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    seconds = bound_hub_requests()
    try:
        folder = snapshot_download(repo_id=repo_id, repo_type="dataset", allow_patterns=_HUB_PATTERNS)
    except (OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:
        if timed_out(exc):
            raise BadInputError(
                f"--{name} {repo_id}: the Hugging Face Hub at {constants.ENDPOINT} did not answer within "
                f"{seconds:g} s and no cached copy exists (set HF_HUB_DOWNLOAD_TIMEOUT to wait longer, or pass a "
                "local folder instead)"
            ) from None
        raise BadInputError(
            f"--{name} {repo_id}: cannot reach the Hugging Face Hub and no cached copy exists "
            "(offline?). Download the files where you have internet and pass the local folder instead."
        ) from None
    except GatedRepoError:
        raise BadInputError(
            f"--{name} {repo_id}: this dataset is gated; accept its terms on the Hub and log in (hf auth login) or set HF_TOKEN"
        ) from None
    except RepositoryNotFoundError:
        raise BadInputError(
            f"--{name} {repo_id}: no such dataset on the Hub, or it is private and you are not logged in"
        ) from None
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", "?")
        raise BadInputError(f"--{name} {repo_id}: the Hub answered HTTP {status}") from None
    except Exception as exc:  # noqa: BLE001 - a timeout while downloading the files themselves
        if timed_out(exc):
            raise BadInputError(
                f"--{name} {repo_id}: the Hugging Face Hub at {constants.ENDPOINT} stopped "
                f"answering (no data for {seconds:g} s; HF_HUB_DOWNLOAD_TIMEOUT)"
            ) from None
        raise
    files = list_source_files(Path(folder))
    if not files:
        raise BadInputError(f"--{name} {repo_id}: the Hub dataset has no .jsonl, .json or .parquet files")
    return files
