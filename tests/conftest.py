"""Shared fixtures: small source files written per test, and one embedded-sample build per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach the Hub
REPO = Path(__file__).resolve().parents[1]
REAL_SAMPLES = REPO.parent / "shared" / "real_samples"


def write_jsonl(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> tuple[Path, dict]:
    """The embedded-sample build, made once: many tests only read it."""
    from agent_flan.pipeline import build_dataset as build

    out = tmp_path_factory.mktemp("build") / "agent-flan"
    report = build(out, {}, progress=False)
    return out, report
