"""`build --out` never destroys what it did not write; concurrent, killed and terminated builds stay safe.

Real folders and files throughout; kills, SIGTERM and concurrency use real `agent-flan build` processes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from agent_flan.cli import main
from agent_flan.dataset_builder.validate import validate_folder

SAMPLE = REPO / "dataset_builder" / "samples" / "agentinstruct.jsonl"

# A build that stops before its last step until the flag file it creates is deleted (or it is signalled).
PAUSED_BUILD = """
import sys, time
from pathlib import Path
import agent_flan.dataset_builder.writer as writer
flag = Path(sys.argv[1])
original = writer.MixtureBuckets.drain
def paused(self, *args, **kwargs):
    flag.write_text("paused")
    while flag.exists():
        time.sleep(0.02)
    return original(self, *args, **kwargs)
writer.MixtureBuckets.drain = paused
from agent_flan.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def _small_input(folder: Path) -> Path:
    """Two AgentInstruct records: enough for an --only-given build that takes a fraction of a second."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mydata.jsonl"
    path.write_text("".join(SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    return path


def _build_args(source: Path, out: str | Path, *extra: str) -> list[str]:
    return ["build", "--no-progress", "--only-given", "--agentinstruct", str(source), "--out", str(out), *extra]


def _run_cli(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent_flan.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120, **kwargs
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones included) with its bytes: 'nothing changed' made checkable."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.fixture
def dataset(sample_build, tmp_path) -> Path:
    """A dataset folder written by agent-flan build, in this test's own folder."""
    out, _ = sample_build
    target = tmp_path / "agent-flan"
    shutil.copytree(out, target)
    return target


def _start_paused(tmp_path: Path, args: list[str]) -> tuple[subprocess.Popen, Path]:
    flag = tmp_path / "paused.flag"
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED_BUILD, str(flag), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never reached its last step"
        time.sleep(0.02)
    return proc, flag


# -- what --out may replace ------------------------------------------------------------------------------


def test_folder_the_tool_did_not_write_is_refused_and_kept(tmp_path, capsys):
    source = _small_input(tmp_path / "src")
    work = tmp_path / "w"
    work.mkdir()
    (work / "thesis.txt").write_text("precious")
    assert main(_build_args(source, work)) == 2
    line = _error_line(capsys)
    assert str(work) in line and "thesis.txt" in line and "--overwrite" in line
    assert _snapshot(work) == {"thesis.txt": b"precious"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "w"]  # no lock, no staging left behind


def test_overwrite_replaces_a_folder_the_user_means_to_replace(tmp_path):
    source = _small_input(tmp_path / "src")
    work = tmp_path / "w"
    work.mkdir()
    (work / "thesis.txt").write_text("old experiment")
    assert main(_build_args(source, work, "--overwrite")) == 0
    assert not (work / "thesis.txt").exists() and validate_folder(work) == []


def test_dataset_folder_it_wrote_is_replaced(dataset, tmp_path):
    source = _small_input(tmp_path / "src")
    before = json.loads((dataset / "build_report.json").read_text())
    assert "toolbench" in before["inputs"]
    assert main(_build_args(source, dataset)) == 0
    after = json.loads((dataset / "build_report.json").read_text())
    assert set(after["inputs"]) == {"agentinstruct"} and validate_folder(dataset) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "extra, named",
    [("notes.txt", "notes.txt"), ("data/agent_h/labels.csv", "data/agent_h/labels.csv"), (".git/HEAD", ".git")],
)
def test_dataset_folder_with_anything_extra_is_refused(dataset, tmp_path, capsys, extra, named):
    source = _small_input(tmp_path / "src")
    (dataset / extra).parent.mkdir(parents=True, exist_ok=True)
    (dataset / extra).write_text("mine")
    before = _snapshot(dataset)
    assert main(_build_args(source, dataset)) == 2
    assert f"holds {named}," in _error_line(capsys)
    assert _snapshot(dataset) == before


def test_folder_with_a_foreign_build_report_is_refused(tmp_path, capsys):
    """The layout alone is not enough: build_report.json must be one the tool writes."""
    source = _small_input(tmp_path / "src")
    fake = tmp_path / "fake"
    (fake / "data").mkdir(parents=True)
    for name in ("README.md", "recipe.yaml"):
        (fake / name).write_text("x")
    (fake / "build_report.json").write_text('{"my": "numbers"}')
    assert main(_build_args(source, fake)) == 2
    assert "build_report.json" in _error_line(capsys) and (fake / "build_report.json").exists()


def test_empty_folder_is_used(tmp_path):
    source = _small_input(tmp_path / "src")
    (tmp_path / "empty").mkdir()
    assert main(_build_args(source, tmp_path / "empty")) == 0
    assert validate_folder(tmp_path / "empty") == []


# -- what --out may never be, even with --overwrite --------------------------------------------------------


@pytest.mark.parametrize("out", [".", "..", "/"])
def test_current_folder_or_an_ancestor_is_refused_even_with_overwrite(tmp_path, monkeypatch, capsys, out):
    work = tmp_path / "project"
    source = _small_input(work)
    (work / "notes.txt").write_text("keep")
    monkeypatch.chdir(work)
    before = _snapshot(tmp_path)
    assert main(_build_args(Path("mydata.jsonl"), out, "--overwrite")) == 2
    assert "current folder" in _error_line(capsys)
    assert _snapshot(tmp_path) == before and source.exists()


def test_folder_holding_an_input_is_refused_even_with_overwrite(tmp_path, capsys):
    source = _small_input(tmp_path / "inputs")
    before = _snapshot(tmp_path)
    assert main(_build_args(source, tmp_path / "inputs", "--overwrite")) == 2
    line = _error_line(capsys)
    assert "--agentinstruct" in line and str(source) in line
    assert main(_build_args(source, tmp_path, "--overwrite")) == 2  # an ancestor of the input
    capsys.readouterr()
    assert _snapshot(tmp_path) == before


def test_input_file_itself_is_refused_even_with_overwrite(tmp_path, capsys):
    source = _small_input(tmp_path)
    before = source.read_bytes()
    assert main(_build_args(source, source, "--overwrite")) == 2
    assert "input" in _error_line(capsys)
    assert source.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["mydata.jsonl"]


def test_folder_inside_an_input_folder_is_refused(tmp_path, capsys):
    """The next build from that folder would read the dataset's own files back as input."""
    inputs = tmp_path / "inputs"
    _small_input(inputs)
    assert main(_build_args(inputs, inputs / "agent-flan")) == 2
    assert "inside the input folder" in _error_line(capsys)
    assert not (inputs / "agent-flan").exists()


def test_regular_file_is_refused_even_with_overwrite(tmp_path, capsys):
    source = _small_input(tmp_path / "src")
    target = tmp_path / "results.csv"
    target.write_text("a,b\n1,2\n")
    for extra in ((), ("--overwrite",)):
        assert main(_build_args(source, target, *extra)) == 2
        assert "is an existing file" in _error_line(capsys)
    assert target.read_text() == "a,b\n1,2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv", "src"]  # nothing renamed to a hidden name


def test_symlink_is_refused(dataset, tmp_path, capsys):
    source = _small_input(tmp_path / "src")
    link = tmp_path / "link"
    link.symlink_to(dataset, target_is_directory=True)
    assert main(_build_args(source, link, "--overwrite")) == 2
    assert "symbolic link" in _error_line(capsys)
    assert link.is_symlink() and (dataset / "build_report.json").exists()


def test_parent_that_is_a_file_is_one_line(tmp_path, capsys):
    source = _small_input(tmp_path / "src")
    (tmp_path / "afile").write_text("x")
    assert main(_build_args(source, tmp_path / "afile" / "agent-flan")) == 2
    assert "is a file, not a folder" in _error_line(capsys)


def test_unwritable_parent_is_exit_2_with_one_line(tmp_path):
    """A real process without write permission (dropped to `nobody` when the tests run as root)."""
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"agent-flan-ro-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(mode=0o755)
    try:
        base.chmod(0o755)
        source = _small_input(base / "src")
        source.parent.chmod(0o755)
        source.chmod(0o644)
        locked = base / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        prefix: list[str] = []
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root without setpriv: no way to lose write permission")
            prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        env = {**os.environ, "HOME": str(base), "HF_HOME": str(base / "hf")}
        for out in (locked / "agent-flan", locked / "deeper" / "agent-flan"):
            proc = subprocess.run(
                [*prefix, sys.executable, "-m", "agent_flan.cli", *_build_args(source, out)],
                cwd=base,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 2, proc.stderr
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
            assert str(locked) in lines[0] and "cannot write" in lines[0]
        assert list(locked.iterdir()) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_help_documents_the_rule_and_overwrite():
    proc = _run_cli(["build", "--help"], cwd=REPO)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "--overwrite" in text and "build_report.json" in text and "never-cases" in text


# -- concurrency, kills, SIGTERM -----------------------------------------------------------------------------


def test_second_build_to_the_same_out_is_refused_while_the_first_finishes(tmp_path):
    source = _small_input(tmp_path / "src")
    first, flag = _start_paused(tmp_path, _build_args(source, "out"))
    try:
        assert (tmp_path / ".out.lock").read_text().strip() == str(first.pid)
        second = _run_cli(_build_args(source, "out"), cwd=tmp_path)
        assert second.returncode == 2 and "Traceback" not in second.stderr
        assert f"another build (pid {first.pid})" in second.stderr and len(second.stderr.strip().splitlines()) == 1
        assert (tmp_path / f".out.partial-{first.pid}").is_dir()  # the second build left the first's staging alone
    finally:
        flag.unlink(missing_ok=True)
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert validate_folder(tmp_path / "out") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]  # lock and staging gone


def test_sigkill_keeps_the_previous_dataset_and_the_next_build_removes_the_leftover(dataset, tmp_path):
    source = _small_input(tmp_path / "src")
    before = _snapshot(dataset)
    proc, flag = _start_paused(tmp_path, _build_args(source, dataset))
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(dataset) == before
    leftover = tmp_path / f".agent-flan.partial-{proc.pid}"
    assert leftover.is_dir()
    rebuilt = _run_cli(_build_args(source, dataset), cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"removed {leftover}" in rebuilt.stderr and f"pid {proc.pid}" in rebuilt.stderr
    assert not leftover.exists() and validate_folder(dataset) == []


def test_staging_of_a_running_process_is_left_alone(tmp_path):
    source = _small_input(tmp_path / "src")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        other = tmp_path / f".out.partial-{alive.pid}"
        other.mkdir()
        (other / "README.md").write_text("someone else's")
        assert main(_build_args(source, tmp_path / "out")) == 0
        assert (other / "README.md").read_text() == "someone else's"
    finally:
        alive.kill()
        alive.wait()


def test_folder_parked_by_a_killed_swap_is_put_back(tmp_path, capsys):
    """Killed between moving the old folder aside and moving the new one in: the next build restores it."""
    source = _small_input(tmp_path / "src")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(gone.stdout)
    parked = tmp_path / f".w.previous-{pid}"
    parked.mkdir()
    (parked / "thesis.txt").write_text("precious")
    assert main(_build_args(source, tmp_path / "w")) == 2  # restored, and then it is not ours to replace
    err = capsys.readouterr().err
    assert "restored" in err and "thesis.txt" in err
    assert (tmp_path / "w" / "thesis.txt").read_text() == "precious" and not parked.exists()


def test_sigterm_keeps_the_previous_dataset_and_cleans_its_staging(dataset, tmp_path):
    source = _small_input(tmp_path / "src")
    before = _snapshot(dataset)
    proc, flag = _start_paused(tmp_path, _build_args(source, dataset))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "terminated" in err and "Traceback" not in err
    assert _snapshot(dataset) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent-flan", "paused.flag", "src"]
