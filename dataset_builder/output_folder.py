"""Where `agent-flan build` may write, and how it replaces a folder without losing anyone's files.

The rule for `--out DIR` (also in `agent-flan build --help` and docs/dataset.md):

- Never, not even with `--overwrite`: a regular file (or anything that is not a folder), a symbolic
  link, the current folder or one of its ancestors, the home folder or one of its ancestors, a folder
  that holds one of the build's input files or folders, or a folder inside an input folder (the next
  build would read the output back as input).
- Replaced without asking: a missing path, an empty folder, or a dataset folder this tool wrote:
  `build_report.json` (a JSON object with `inputs` and `configs`), `README.md`, `recipe.yaml` and
  `data/<config>/<split>-NNNNN-of-NNNNN.parquet`, plus `rejected.jsonl` when present, and nothing else.
- Anything else only with `--overwrite`.

A build holds `.DIR.lock` (beside DIR, with its pid) from start to end; a second build to the same
DIR is refused at once (exit 2) rather than made to wait: both would replace the same folder, and a
silent wait of hours looks like a hang. The lock is an `flock`, so the kernel drops it when a build
is killed; the file left behind is reused. Staging is `.DIR.partial-PID`; the folder being replaced is
parked as `.DIR.previous-PID` for the instant of the swap. Leftovers of a build whose process is gone
are removed (or, for a parked folder whose swap never finished, put back) by the next build, which
says so on stderr.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from agent_flan.core.errors import BadInputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, builds are not serialised
    fcntl = None  # type: ignore[assignment]

REQUIRED_FILES = ("README.md", "build_report.json", "recipe.yaml")
OPTIONAL_FILES = ("rejected.jsonl",)
_SHARD = re.compile(r"^[A-Za-z0-9_.-]+-\d{5}-of-\d{5}\.parquet$")
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|previous)-(?P<pid>\d+)$")
_HOW = "choose another --out, or pass --overwrite if you really mean to replace this folder (its files will be deleted)"


def _notify_stderr(message: str) -> None:
    print(f"agent-flan build: {message}", file=sys.stderr)


def not_a_dataset_folder(folder: Path) -> str | None:
    """Why `folder` is not a dataset folder written by `agent-flan build` (None when it is one)."""
    try:
        entries = {entry.name: entry for entry in os.scandir(folder)}
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    unexpected = sorted(set(entries) - {*REQUIRED_FILES, *OPTIONAL_FILES, "data"})
    if unexpected:
        return f"holds {_listing(unexpected)}, which agent-flan build does not write"
    missing = [name for name in (*REQUIRED_FILES, "data") if name not in entries]
    if missing:
        return f"has no {', '.join(missing)}"
    for name in (*REQUIRED_FILES, *OPTIONAL_FILES):
        if name in entries and not entries[name].is_file(follow_symlinks=False):
            return f"its {name} is not a regular file"
    try:
        report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "has a build_report.json that is not JSON"
    if not isinstance(report, dict) or not {"inputs", "configs"} <= set(report):
        return "has a build_report.json that agent-flan build did not write (no 'inputs' and 'configs')"
    data = folder / "data"
    if data.is_symlink() or not data.is_dir():
        return "its data is not a folder"
    for config in os.scandir(data):
        if not config.is_dir(follow_symlinks=False):
            return f"holds data/{config.name}, which agent-flan build does not write"
        for shard in os.scandir(config.path):
            if not (shard.is_file(follow_symlinks=False) and _SHARD.match(shard.name)):
                return f"holds data/{config.name}/{shard.name}, which agent-flan build does not write"
    return None


def _listing(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies inside it (both absolute)."""
    return path == folder or folder in path.parents


def _forms(path: Path) -> set[Path]:
    """The absolute path as written and with symlinks resolved: a link into the output counts too."""
    path = path.expanduser()
    return {Path(os.path.abspath(path)), path.resolve()}


def input_paths(sources: Iterable[Any]) -> list[tuple[Path, str, bool]]:
    """(path, flag, is the named folder) for each input of the build (`SourceInput`-like objects)."""
    paths: list[tuple[Path, str, bool]] = []
    for source in sources:
        flag = f"--{source.name}" if source.origin != "embedded" else f"the embedded {source.name} sample"
        if source.origin != "hub":
            spec = Path(source.spec).expanduser()
            paths.append((spec, flag, spec.is_dir()))
        paths.extend((Path(file), flag, False) for file in source.files)
    return paths


def check_out(out: Path, inputs: list[tuple[Path, str, bool]], overwrite: bool) -> None:
    """Raise BadInputError when writing `out` could destroy or swallow something the tool did not write."""
    target = Path(os.path.abspath(out.expanduser()))
    targets = _forms(out)
    shown = str(out)
    if out.is_symlink():
        raise BadInputError(f"--out {shown} is a symbolic link; give the real folder, or another path")
    for here, what in _protected_folders():
        if any(_within(form, t) for form in _forms(here) for t in targets):
            raise BadInputError(
                f"--out {shown} is {what} or holds it; a build replaces the whole --out "
                "folder, so give a new folder's path (e.g. --out agent-flan)"
            )
    for path, flag, is_folder in inputs:
        forms = _forms(path)
        if any(_within(form, t) for form in forms for t in targets):
            raise BadInputError(
                f"--out {shown} holds an input of this build ({flag} {path}); "
                "write the dataset to a folder outside your sources"
            )
        if is_folder and any(_within(t, form) for form in forms for t in targets):
            raise BadInputError(
                f"--out {shown} is inside the input folder {path} ({flag}); the next build "
                "would read the dataset back as input: write it outside your sources"
            )
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise BadInputError(
            f"--out {shown} is an existing file, not a folder; it is never replaced "
            "(not even with --overwrite): choose another --out"
        )
    if overwrite or _is_empty(target):
        return
    why = not_a_dataset_folder(target)
    if why is not None:
        raise BadInputError(
            f"--out {shown} exists and is not a dataset folder written by agent-flan build (it {why}); {_HOW}"
        )


def _protected_folders() -> list[tuple[Path, str]]:
    """The current and home folders (when they can be found): --out may never be one or hold one."""
    folders = []
    for find, what in ((Path.cwd, "the current folder"), (Path.home, "your home folder")):
        try:
            folders.append((find(), what))
        except (OSError, RuntimeError, KeyError):  # a deleted cwd, no HOME and no passwd entry
            continue
    return folders


def _is_empty(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False  # unreadable: let the layout check say so


class OutputLock:
    """`.NAME.lock` beside the output, held with flock for the whole build; holds the holder's pid."""

    def __init__(self, out: Path):
        self.path = out.parent / f".{out.name}.lock"
        self._fd: int | None = None

    def acquire(self, shown: str) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if fcntl is None:
                break
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise BadInputError(
                    f"--out {shown}: another build (pid {holder}) is writing this folder now "
                    f"(lock {self.path}); wait for it to finish, or choose another --out"
                ) from None
            # Its last holder may have unlinked the file between our open and our flock: retry on the new one.
            try:
                current = os.stat(self.path)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is not None and (current.st_ino, current.st_dev) == (mine.st_ino, mine.st_dev):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)  # while still locked, so no one can lock the name we are removing
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None


def process_is_running(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie (a zombie has stopped writing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def clean_leftovers(out: Path, notify: Callable[[str], None]) -> None:
    """Remove the staging of builds that are gone; put back a folder a killed build had parked for its swap."""
    parked: list[tuple[Path, int]] = []
    for entry in sorted(out.parent.iterdir()):
        match = _LEFTOVER.match(entry.name)
        if not match or match["name"] != out.name:
            continue
        pid = int(match["pid"])
        if pid != os.getpid() and process_is_running(pid):
            continue  # a live process (an older kit without the lock): not ours to touch
        if match["kind"] == "previous":
            parked.append((entry, pid))
            continue
        shutil.rmtree(entry, ignore_errors=True)
        notify(
            f"removed {entry}, the unfinished staging folder of an earlier build (pid {pid}) that is no longer running"
        )
    for entry, pid in parked:
        if not os.path.lexists(out):
            entry.rename(out)
            notify(f"restored {out} from {entry.name}: an earlier build was stopped in the middle of replacing it")
        else:
            shutil.rmtree(entry, ignore_errors=True)
            notify(
                f"removed {entry}, the old copy of {out.name} an earlier build (pid {pid}) was deleting when it stopped"
            )


class Terminated(SystemExit):
    """SIGTERM during a build: unwinds like an exception so the staging folder and lock are cleaned up."""


class StagedFolder:
    """Everything is written under a hidden sibling folder and renamed into place only when complete.

    `sources` are the build's `SourceInput`s (their paths are never inside the output); `--out` is
    checked against the rule in this module's docstring before anything is created.
    """

    def __init__(
        self,
        out: Path,
        sources: Iterable[Any] = (),
        overwrite: bool = False,
        notify: Callable[[str], None] = _notify_stderr,
    ):
        self.shown = str(out)
        self.out = Path(os.path.abspath(Path(out).expanduser()))
        self.inputs = input_paths(sources)
        self.overwrite = overwrite
        self.notify = notify
        self.staging = self.out.parent / f".{self.out.name}.partial-{os.getpid()}"
        self.lock = OutputLock(self.out)
        self._previous_handler: Any = None
        self.committed = False

    def __enter__(self) -> StagedFolder:
        check_out(Path(self.shown), self.inputs, self.overwrite)
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.lock.acquire(self.shown)
        except OSError as exc:
            nearest = self._nearest_existing()
            if not nearest.is_dir():
                raise BadInputError(
                    f"--out {self.shown}: {nearest} is a file, not a folder; choose another --out"
                ) from None
            raise BadInputError(
                f"--out {self.shown}: cannot write in {nearest} "
                f"({exc.strerror or exc}); choose a folder you can write to"
            ) from None
        try:
            clean_leftovers(self.out, self.notify)  # may put back a folder a killed build had parked
            check_out(Path(self.shown), self.inputs, self.overwrite)  # again, now that no other build can change it
            self.staging.mkdir()
        except BaseException as exc:
            self.lock.release()
            if isinstance(exc, OSError):
                raise BadInputError(
                    f"--out {self.shown}: cannot write in {self.out.parent} ({exc.strerror or exc})"
                ) from None
            raise
        self._catch_sigterm()
        return self

    def _nearest_existing(self) -> Path:
        path = self.out.parent
        while not os.path.lexists(path) and path != path.parent:
            path = path.parent
        return path

    def _catch_sigterm(self) -> None:
        """Turn SIGTERM into an exception while building (main thread, default handler only)."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return

        def terminated(signum: int, frame: Any) -> None:
            raise Terminated(128 + signum)

        self._previous_handler = signal.signal(signal.SIGTERM, terminated)

    def commit(self) -> None:
        shutil.rmtree(self.staging / "_work", ignore_errors=True)
        check_out(Path(self.shown), self.inputs, self.overwrite)  # nothing may have appeared there meanwhile
        previous = self.out.parent / f".{self.out.name}.previous-{os.getpid()}"
        # The two renames must not be split by Ctrl-C or SIGTERM (SIGKILL is handled by the next build).
        blocked = {signal.SIGINT, signal.SIGTERM}
        masking = hasattr(signal, "pthread_sigmask")
        if masking:
            signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            if os.path.lexists(self.out):
                self.out.rename(previous)
            self.staging.rename(self.out)
            self.committed = True
        except OSError as exc:
            if previous.exists() and not os.path.lexists(self.out):
                previous.rename(self.out)
            raise BadInputError(
                f"--out {self.shown}: cannot move the finished build into place ({exc.strerror or exc})"
            ) from None
        finally:
            if masking:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
        if previous.exists():
            shutil.rmtree(previous)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGTERM, self._previous_handler)
            self._previous_handler = None
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        self.lock.release()
        if isinstance(exc, Terminated):
            self.notify(
                f"terminated; {self.shown} " + ("holds the new build" if self.committed else "is left as it was")
            )
