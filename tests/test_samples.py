"""The embedded samples are what `dataset_builder/samples/generate.py` writes, byte for byte.

The script is not installed (it is not a module of any package); this test runs a copy of it in a
temporary folder and compares every file it writes with the shipped one."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import REPO

SAMPLES = REPO / "dataset_builder" / "samples"


def test_generate_py_regenerates_every_sample_byte_for_byte(tmp_path):
    copy = tmp_path / "samples"
    copy.mkdir()
    shutil.copy(SAMPLES / "generate.py", copy / "generate.py")
    subprocess.run([sys.executable, str(copy / "generate.py")], check=True, timeout=120)
    written = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file() and p.name != "generate.py")
    shipped = sorted(
        p.relative_to(SAMPLES)
        for p in SAMPLES.rglob("*")
        if p.is_file() and p.name not in ("generate.py", "README.md") and "__pycache__" not in p.parts
    )
    assert written == shipped
    for rel in written:
        assert (copy / rel).read_bytes() == (SAMPLES / rel).read_bytes(), rel
