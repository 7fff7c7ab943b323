"""Conformance with real upstream records in ../shared/real_samples (skipped where that folder is absent)."""

from __future__ import annotations

import json

import pytest
from conftest import REAL_SAMPLES

from agent_flan.dataset_builder.validate import validate_folder
from agent_flan.pipeline import build_dataset as build

pytestmark = pytest.mark.skipif(not REAL_SAMPLES.is_dir(), reason="../shared/real_samples not present")


def _answer_files():
    return [json.loads(line) for line in (REAL_SAMPLES / "toolbench_raw_answers_dfsdt.jsonl").read_text().splitlines()]


def test_real_records_build_without_error_and_keep_every_answered_trajectory(tmp_path):
    out = tmp_path / "agent-flan"
    report = build(
        out,
        {
            "agentinstruct": str(REAL_SAMPLES / "agentinstruct_db_sample.jsonl"),
            "toolbench": str(REAL_SAMPLES / "toolbench_raw_answers_dfsdt.jsonl"),
        },
        only_given=True,
        progress=False,
    )
    assert validate_folder(out) == []
    answers = _answer_files()
    answered = [
        a
        for a in answers
        if a["answer_generation"].get("valid_data") and a["answer_generation"]["finish_type"] == "give_answer"
    ]
    gave_up = [
        a
        for a in answers
        if a["answer_generation"].get("valid_data") and a["answer_generation"]["finish_type"] == "give_up"
    ]
    toolbench = report["sources"]["toolbench"]
    assert toolbench["written"] == len(answered)
    assert toolbench["rejected_by_reason"]["give_up"] == len(gave_up)
    assert toolbench["rejected_by_reason"]["invalid_data"] == len(answers) - len(answered) - len(gave_up)
    rows = sum(
        report["configs"][c]["splits"]["train"]["rows"]
        for c in ("toolbench_react", "toolbench_tflan", "toolbench_tflan_cot")
        if c in report["configs"]
    )
    assert rows == len(answered)
    agentinstruct = report["sources"]["agentinstruct"]
    assert agentinstruct["read"] == 54 and agentinstruct["written"] + agentinstruct["rejected"] == 54
    assert report["configs"]["agent_instruct_react"]["splits"]["train"]["rows"] == 54


def test_both_toolbench_layouts_give_the_same_trajectories(tmp_path):
    from agent_flan.core.errors import Rejected
    from agent_flan.dataset_builder.sources.toolbench import read_toolbench

    def kept(name):
        return {
            t.id: (t.final_answer, [(s.action, s.action_input) for s in t.steps])
            for t in read_toolbench([REAL_SAMPLES / name])
            if not isinstance(t, Rejected)
        }

    assert kept("toolbench_DERIVED_toolllama_conversations.jsonl") == kept("toolbench_raw_answers_dfsdt.jsonl")
