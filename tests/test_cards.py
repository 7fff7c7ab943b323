"""Cards: the YAML loads with huggingface_hub, the numbers match the files, nothing is left unrendered,
and the dataset card of the embedded-sample build is byte-stable (snapshot).

Update the snapshot (and docs/examples/dataset_card.md) after an intended change with
`UPDATE_SNAPSHOTS=1 python -m pytest tests/test_cards.py -k snapshot`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO

SNAPSHOT = REPO / "tests" / "snapshots" / "dataset_card.md"
EXAMPLE = REPO / "docs" / "examples" / "dataset_card.md"
# Lines whose values depend on library versions (pyarrow writes the Parquet bytes), not on the build's content.
VERSION_DEPENDENT = re.compile(r"^(\s*(num_bytes|download_size|dataset_size): )\d+$|^(Versions: ).*$", re.MULTILINE)


def normalise(card: str) -> str:
    return VERSION_DEPENDENT.sub(lambda m: (m.group(1) or m.group(3)) + "<version-dependent>", card)


def body_outside_code(text: str) -> str:
    """The card without fenced code blocks (a chat template legitimately contains '{{')."""
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


def assert_fully_rendered(text: str, allow_not_measured: bool = False) -> None:
    prose = body_outside_code(text)
    for marker in ("{{", "}}", "{%", "%}", "{#", "#}"):
        assert marker not in prose, f"unrendered {marker!r}"
    assert not re.search(r"\bNone\b|\bnan\b|\bUndefined\b", prose), re.search(r".{40}\bNone\b.{40}", prose)
    if not allow_not_measured:
        assert "not measured" not in prose


# --- fixtures for model and Space folders (also used by test_push.py) -----------------------------------

METRICS = {
    "schema": "agent-flan/train-metrics/v1",
    "model": {
        "name_or_path": "Qwen/Qwen2.5-7B-Instruct",
        "path": "Qwen/Qwen2.5-7B-Instruct",
        "hub_id": "Qwen/Qwen2.5-7B-Instruct",
        "quantization": "4-bit nf4 + double quant",
        "dtype": "bfloat16",
        "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear"},
    },
    "template": {"name": "qwen2_5", "end_of_turn": "<|im_end|>", "eos_token_ids": [151645, 151643]},
    "data": {
        "dataset": "me/agent-flan",
        "configs": ["default"],
        "rows": 1640,
        "dropped_no_trained_turns": 0,
        "dropped_truncated": 2,
        "truncated_kept": 5,
        "samples": 1638,
        "tokens": 1200000,
        "trained_tokens": 300000,
        "max_length": 4096,
        "packing": True,
        "packed_sequences": 400,
    },
    "train": {
        "global_step": 120,
        "max_steps": 120,
        "epochs": 1.0,
        "final_loss": 0.8123,
        "train_loss": 0.95,
        "loss_by_capability": {
            "reasoning": 1.1,
            "retrieval": 0.4,
            "understanding": 0.5,
            "instruction": 0.2,
            "answer": 0.9,
            "negative": 0.7,
        },
        "tokens_per_second": 5123.4,
        "train_runtime_s": 3725.2,
        "wall_time_s": 3900.0,
        "learning_rate": 0.0002,
        "max_length": 4096,
        "effective_batch": 16,
        "packing": True,
    },
    "eval": {"eval_loss": 0.91},
    "hardware": {
        "device": "cuda",
        "gpu": "NVIDIA H100 80GB HBM3",
        "gpu_count": 1,
        "gpu_memory_gib": 79.1,
        "cuda": "12.8",
        "cpu_count": 16,
        "torch": "2.13.0",
        "gpu_peak_allocated_gib": 21.4,
        "cpu_max_rss_gib": 12.3,
        "processes": 1,
    },
    "versions": {"transformers": "5.23.0", "trl": "1.16.0", "peft": "0.21.2"},
}
RESULTS = {
    "summary": {
        "h_react": 9.5,
        "h_general": 11.0,
        "hscore": 89.75,
        "relevance": 70.0,
        "balanced": 79.9,
        "hscore_keyword": 91.0,
        "accuracy": None,
        "ci95": {"hscore": [86.0, 93.1], "relevance": None},
    },
    "model": "Qwen/Qwen2.5-7B-Instruct + adapter",
    "items": [{}] * 216,
}


def make_training_folder(
    folder: Path, metrics: dict | None = METRICS, results: dict | None = RESULTS, extras: bool = True
) -> Path:
    """What `agent-flan train` leaves behind (fake weights), plus a checkpoint and merged/ that push must skip."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter_config.json").write_text(
        json.dumps(
            {
                "base_model_name_or_path": "Qwen/Qwen2.5-7B-Instruct",
                "r": 16,
                "lora_alpha": 32,
                "target_modules": ["q_proj", "v_proj"],
                "peft_type": "LORA",
            }
        ),
        encoding="utf-8",
    )
    (folder / "adapter_model.safetensors").write_bytes(b"\x00fake-weights\x00" * 64)
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        (folder / "training_config.yaml").write_text(
            "# resolved by agent-flan train at 2026-01-01T00:00:00+00:00\n"
            "# recipe: training/recipes/qwen2.5-7b-instruct.yaml\n"
            "model_name_or_path: Qwen/Qwen2.5-7B-Instruct\ndataset_name: me/agent-flan\ndataset_configs: [default]\n"
            "learning_rate: 0.0002\nlora_r: 16\nchat_template_path: qwen2_5\n",
            encoding="utf-8",
        )
        (folder / "chat_template.jinja").write_text(
            (REPO / "training/templates/chatml.jinja").read_text(encoding="utf-8"), encoding="utf-8"
        )
        (folder / "generation_config.json").write_text(json.dumps({"eos_token_id": [151645, 151643]}), encoding="utf-8")
    if results is not None:
        (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    if extras:
        (folder / "checkpoint-100").mkdir(exist_ok=True)
        (folder / "checkpoint-100" / "optimizer.pt").write_bytes(b"x" * 1000)
        (folder / "merged").mkdir(exist_ok=True)
        (folder / "merged" / "model.safetensors").write_bytes(b"y" * 1000)
    return folder


def make_space_folder(folder: Path) -> Path:
    from agent_flan.cards.space_card import render_space_card

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text("import gradio as gr\n\ndemo = gr.Blocks()\n", encoding="utf-8")
    (folder / "requirements.txt").write_text("transformers>=5\npeft\n", encoding="utf-8")
    (folder / "__pycache__").mkdir(exist_ok=True)
    (folder / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"\x00pyc")
    (folder / "README.md").write_text(
        render_space_card("HuggingFaceTB/SmolLM2-135M-Instruct", "me/agent-flan-lora", "me/agent-flan"),
        encoding="utf-8",
    )
    return folder


# --- dataset card -----------------------------------------------------------------------------------------


def test_dataset_card_loads_and_matches_the_files(sample_build):
    from huggingface_hub import DatasetCard

    out, report = sample_build
    card = DatasetCard.load(out / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "apache-2.0"  # every input of the embedded build is the kit's own sample
    assert data["task_categories"] == ["text-generation"] and data["language"] == ["en"]
    assert data["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in data["configs"]] == list(report["configs"])
    assert [c["config_name"] for c in data["configs"] if c.get("default")] == ["default"]
    infos = {info["config_name"]: info for info in data["dataset_info"]}
    assert set(infos) == set(report["configs"])
    for entry in data["configs"]:
        name = entry["config_name"]
        declared = {s["name"]: s["num_examples"] for s in infos[name]["splits"]}
        for spec in entry["data_files"]:
            files = sorted(out.glob(spec["path"]))
            assert files, spec
            on_disk = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            assert declared[spec["split"]] == on_disk == report["configs"][name]["splits"][spec["split"]]["rows"]
        assert infos[name]["download_size"] == sum(f.stat().st_size for f in (out / "data" / name).glob("*.parquet"))


def test_dataset_card_features_are_what_load_dataset_returns(sample_build, tmp_path):
    """Card features == Parquet schema == `load_dataset` features, for every config (fresh HF_HOME, offline)."""
    from datasets import Features
    from huggingface_hub import DatasetCard

    out, report = sample_build
    infos = {i["config_name"]: i for i in DatasetCard.load(out / "README.md").data.to_dict()["dataset_info"]}
    declared = {name: Features._from_yaml_list(info["features"]) for name, info in infos.items()}
    for name in report["configs"]:
        first = sorted((out / "data" / name).glob("*.parquet"))[0]
        assert Features.from_arrow_schema(pq.read_schema(first)) == declared[name], name
    script = (
        "import json, sys, datasets\n"
        "out = {}\n"
        "for name in json.loads(sys.argv[2]):\n"
        "    ds = datasets.load_dataset(sys.argv[1], name)\n"
        "    out[name] = {split: [ds[split].features.to_dict(), ds[split].num_rows] for split in ds}\n"
        "print(json.dumps(out))\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf_home"),
        "PYTHONPATH": str(REPO),
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", script, str(out), json.dumps(list(report["configs"]))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, splits in loaded.items():
        for split, (features, rows) in splits.items():
            assert Features.from_dict(features) == declared[name], (name, split)
            assert rows == report["configs"][name]["splits"][split]["rows"]


def test_dataset_card_is_fully_rendered_and_says_what_it_measured(sample_build):
    out, report = sample_build
    text = (out / "README.md").read_text(encoding="utf-8")
    assert_fully_rendered(text)
    for name in report["configs"]:
        assert f"### `{name}`" in text
        assert f'"{name}"' in text or name == "default"  # a load_dataset line per config
    assert "p50 / p90 / p99" in text and "proxy pieces" in text
    assert "This copy was built from the kit's embedded samples" in text
    assert "ShareGPT half is missing" in text and "@inproceedings{chen2024agentflan" in text
    assert "@article{zeng2023agenttuning" in text and "SFTTrainer" in text
    assert "34,442" in text and "1,731" in text  # the official release comparison
    for source in report["inputs"].values():
        for item in source["files"]:
            assert item["sha256"] in text


def test_dataset_card_has_nothing_time_or_path_dependent(sample_build, tmp_path):
    from agent_flan.cards.dataset_card import render_dataset_card

    out, report = sample_build
    moved = tmp_path / "elsewhere" / "renamed-copy"
    shutil.copytree(out, moved)
    again = render_dataset_card(json.loads((moved / "build_report.json").read_text(encoding="utf-8")), moved)
    assert again == (out / "README.md").read_text(encoding="utf-8")
    for fragment in (str(out), str(out.parent), str(tmp_path), str(REPO), "partial-"):
        assert fragment not in again
    assert not re.search(r"20\d\d-\d\d-\d\d", again)  # no dates


def test_dataset_card_snapshot(sample_build):
    out, _ = sample_build
    text = (out / "README.md").read_text(encoding="utf-8")
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(normalise(text), encoding="utf-8")
        EXAMPLE.parent.mkdir(parents=True, exist_ok=True)
        EXAMPLE.write_text(text, encoding="utf-8")
    assert normalise(text) == SNAPSHOT.read_text(encoding="utf-8"), (
        "the dataset card changed; if intended, run UPDATE_SNAPSHOTS=1 python -m pytest tests/test_cards.py -k snapshot"
    )


def test_committed_example_is_the_current_card():
    assert normalise(EXAMPLE.read_text(encoding="utf-8")) == SNAPSHOT.read_text(encoding="utf-8")


def test_dataset_card_refuses_counts_the_files_do_not_hold(sample_build):
    from agent_flan.cards.dataset_card import render_dataset_card

    out, report = sample_build
    wrong = copy.deepcopy(report)
    wrong["configs"]["toolbench_negative"]["splits"]["train"]["rows"] += 1
    with pytest.raises(ValueError, match="toolbench_negative/train"):
        render_dataset_card(wrong, out)


def test_dataset_card_without_files_and_with_unclear_licences(sample_build):
    """Rendered from the report alone (no folder): lengths say 'not measured'; real AgentInstruct flags the licence."""
    from huggingface_hub import DatasetCard

    from agent_flan.cards.dataset_card import render_dataset_card

    _, report = sample_build
    real = copy.deepcopy(report)
    real["inputs"]["agentinstruct"] = {
        "origin": "hub",
        "spec": "THUDM/AgentInstruct",
        "files": [{"path": "data/os.parquet", "bytes": 10, "sha256": "0" * 64}],
    }
    text = render_dataset_card(real, None, repo_id="me/agent-flan")
    assert_fully_rendered(text, allow_not_measured=True)
    data = DatasetCard(text).data.to_dict()
    assert data["license"] == "other" and data["license_name"] == "agent-flan-mixed-sources"
    assert "CC-BY-NC-4.0" in data["license_details"] and data["source_datasets"] == ["THUDM/AgentInstruct"]
    assert "**no licence**" in text and "Lengths: not measured" in text
    assert 'load_dataset("me/agent-flan", "agent_h", split="test")' in text
    assert "Part of this build used the kit's embedded samples" in text


def test_dataset_card_for_an_imported_release(sample_build):
    from agent_flan.cards.dataset_card import render_dataset_card

    _, report = sample_build
    imported = copy.deepcopy(report)
    imported["inputs"] = {
        "release": {
            "origin": "hub",
            "spec": "internlm/Agent-FLAN",
            "files": [{"path": "data/toolbench_negative.jsonl", "bytes": 1, "sha256": "1" * 64}],
        }
    }
    text = render_dataset_card(imported)
    assert "Imported from the official release file `toolbench_tflan_60p_r10r5u7.jsonl`" in text
    assert "license: other" in text


def test_proxy_lengths_and_percentiles():
    from agent_flan.cards.folder_stats import percentiles

    assert percentiles([]) == {50: 0, 90: 0, 99: 0}
    assert percentiles(list(range(1, 101))) == {50: 50, 90: 90, 99: 99}
    assert percentiles([7]) == {50: 7, 90: 7, 99: 7}


def test_proxy_pattern_counts_words_and_symbols(tmp_path):
    import pyarrow as pa

    from agent_flan.cards.folder_stats import split_stats
    from agent_flan.core.schema import ROW_FEATURES

    rows = [
        {
            "id": "a",
            "source": "general",
            "task": "chat",
            "format": "chat",
            "tools": "[]",
            "messages": [
                {"role": "user", "content": "Hello, world!", "loss": False, "capability": ""},
                {"role": "assistant", "content": "get_weather(city='Paris')", "loss": True, "capability": "answer"},
            ],
        }
    ]
    folder = tmp_path / "data" / "x"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pylist(rows, schema=ROW_FEATURES.arrow_schema), folder / "train-00000-of-00001.parquet"
    )
    stats = split_stats(tmp_path, "x", "train")
    # "Hello" "," "world" "!" = 4; "get_weather" "(" "city" "=" "'" "Paris" "'" ")" = 8; "[" "]" = 2
    assert stats.rows == 1 and stats.lengths == [14] and stats.trained_lengths == [8]


# --- model card -----------------------------------------------------------------------------------------


def test_model_card_from_a_full_training_folder(tmp_path):
    from huggingface_hub import ModelCard

    from agent_flan.cards.model_card import render_model_card

    folder = make_training_folder(tmp_path / "run")
    text = render_model_card(folder, repo_id="me/agent-flan-qwen", dataset_id="me/agent-flan")
    assert_fully_rendered(text)
    card = ModelCard(text)
    assert card.data.base_model == "Qwen/Qwen2.5-7B-Instruct"
    assert card.data.license == "apache-2.0" and card.data.library_name == "peft"
    assert card.data.datasets == ["me/agent-flan"] and "qlora" in card.data.tags
    metrics = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert metrics == {"hscore": 89.75, "h_react": 9.5, "h_general": 11.0, "relevance": 70.0, "balanced": 79.9}
    assert "Accuracy" not in text  # an optional metric that is absent (None) is left out, not printed as a blank
    for expected in (
        "| final (last logged step) | 0.8123 |",
        "| retrieval turns (token-weighted, whole run) | 0.4000 |",
        "1 x NVIDIA H100 80GB HBM3",
        "1 h 02 min",
        "training/recipes/qwen2.5-7b-instruct.yaml",
        "| HScore (`hscore`) | 89.8 | 86.0 – 93.1 |",
        "| Relevance (`relevance`) | 70.0 | — |",
        "| HScore (keywords) (`hscore_keyword`) | 91.0 |",
        "216 items",
        'PeftModel.from_pretrained(model, "me/agent-flan-qwen")',
        "end of turn `<|im_end|>`",
        "```jinja",
        "inherited from the base model",
    ):
        assert expected in text, expected


def test_model_card_degrades_to_not_measured(tmp_path):
    """Only the adapter (a run killed before metrics.json, never evaluated): still a valid card, no guesses."""
    from huggingface_hub import ModelCard

    from agent_flan.cards.model_card import render_model_card

    folder = make_training_folder(tmp_path / "bare", metrics=None, results=None, extras=False)
    (folder / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "someone/unknown-7b", "r": 8}), encoding="utf-8"
    )
    text = render_model_card(folder)
    assert_fully_rendered(text, allow_not_measured=True)
    card = ModelCard(text)
    assert card.data.base_model == "someone/unknown-7b" and card.data.license == "other"
    assert card.data.eval_results is None
    assert "`metrics.json` was not found" in text and "| final (last logged step) | not measured |" in text
    assert "| LoRA | r 8, alpha not measured" in text and "agent-flan eval --model someone/unknown-7b" in text


def test_model_card_reads_eval_results_given_separately_and_local_base(tmp_path):
    from huggingface_hub import ModelCard

    from agent_flan.cards.model_card import render_model_card

    metrics = copy.deepcopy(METRICS)
    base = tmp_path / "smollm2-135m-instruct"
    base.mkdir()
    (base / "README.md").write_text("---\nlicense: apache-2.0\n---\n# SmolLM2\n", encoding="utf-8")
    metrics["model"].update(name_or_path=str(base), path=str(base), hub_id=str(base), quantization=None)
    metrics["template"] = {"name": "agent_flan", "end_of_turn": "\u0d3f", "eos_token_ids": [2, 31]}
    folder = make_training_folder(tmp_path / "run", metrics=metrics, results=None)
    (folder / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": str(base), "r": 16}), encoding="utf-8"
    )
    (folder / "training_config.yaml").write_text(f"model_name_or_path: {base}\n", encoding="utf-8")
    results = tmp_path / "eval.json"
    results.write_text(json.dumps({"summary": {"hscore": 70.0, "h_react": 30.0, "h_general": 30.0}}), encoding="utf-8")
    text = render_model_card(folder, results=results)
    card = ModelCard(text)
    assert card.data.base_model is None  # a local path is not a Hub id
    assert card.data.license == "apache-2.0"  # read from the local base model's own card
    assert "end of turn U+0D3F" in text and "| Relevance (`relevance`) | not measured |" in text
    assert "| method | LoRA;" in text


def test_training_metrics_keys_the_model_card_reads_exist_in_the_trainer():
    """A contract check against training/run.py: renaming a key there must fail here, not print 'not measured'."""
    source = REPO / "training" / "run.py"
    if not source.is_file():
        pytest.skip("training/run.py is not in this checkout")
    text = source.read_text(encoding="utf-8")
    for key in (
        "final_loss",
        "train_loss",
        "loss_by_capability",
        "global_step",
        "epochs",
        "tokens_per_second",
        "train_runtime_s",
        "wall_time_s",
        "learning_rate",
        "effective_batch",
        "hub_id",
        "quantization",
        "end_of_turn",
        "eos_token_ids",
        "hardware",
        "versions",
        "metrics.json",
        "training_config.yaml",
    ):
        assert f'"{key}"' in text, key


# --- Space card -----------------------------------------------------------------------------------------


def test_space_card_front_matter(tmp_path):
    from importlib.metadata import version

    from huggingface_hub import SpaceCard

    from agent_flan.cards.space_card import render_space_card

    text = render_space_card(
        "HuggingFaceTB/SmolLM2-135M-Instruct", "me/agent-flan-lora", "me/agent-flan", hardware="zero-a10g"
    )
    assert_fully_rendered(text)
    data = SpaceCard(text).data.to_dict()
    assert data["sdk"] == "gradio" and data["sdk_version"] == version("gradio")
    assert data["python_version"] == "3.12" and text.count("python_version: '3.12'") == 1  # a string, not 3.12 float
    assert data["app_file"] == "app.py" and data["license"] == "apache-2.0"
    assert data["models"] == ["HuggingFaceTB/SmolLM2-135M-Instruct", "me/agent-flan-lora"]
    assert data["datasets"] == ["me/agent-flan"] and data["suggested_hardware"] == "zero-a10g"
    assert len(data["short_description"]) <= 60
    assert "agent-flan space --model HuggingFaceTB/SmolLM2-135M-Instruct --adapter me/agent-flan-lora" in text


def test_space_card_needs_a_gradio_version(monkeypatch):
    import agent_flan.cards.space_card as space_card

    monkeypatch.setattr(space_card, "installed_gradio", lambda: None)
    with pytest.raises(ValueError, match="sdk_version"):
        space_card.render_space_card()
    assert "sdk_version: 6.0.0" in space_card.render_space_card(sdk_version="6.0.0")


# --- `agent-flan card` ------------------------------------------------------------------------------------


def test_card_command_rerenders_each_type(sample_build, tmp_path, capsys):
    from agent_flan.cli import main

    out, _ = sample_build
    dataset = tmp_path / "agent-flan"
    shutil.copytree(out, dataset)
    (dataset / "README.md").unlink()
    assert main(["card", str(dataset)]) == 0
    assert (dataset / "README.md").read_text(encoding="utf-8") == (out / "README.md").read_text(encoding="utf-8")

    model = make_training_folder(tmp_path / "run")
    assert main(["card", str(model), "--repo", "me/agent-flan-qwen"]) == 0
    assert "me/agent-flan-qwen" in (model / "README.md").read_text(encoding="utf-8")

    space = tmp_path / "space"
    space.mkdir()
    (space / "app.py").write_text("print()\n", encoding="utf-8")
    (space / "README.md").write_text("---\ntitle: Old\nmodels: [a/b]\n---\n# Our own text\n\nKept.\n", encoding="utf-8")
    assert main(["card", str(space), "--type", "space", "--dataset", "me/agent-flan"]) == 0
    text = (space / "README.md").read_text(encoding="utf-8")
    assert text.endswith("# Our own text\n\nKept.\n") and "title: Old" in text and "- a/b" in text
    assert "sdk_version:" in text and "- me/agent-flan" in text
    capsys.readouterr()
    assert main(["card", str(model), "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("---\nbase_model: Qwen/Qwen2.5-7B-Instruct")


def test_card_command_user_errors_exit_2(tmp_path, capsys):
    from agent_flan.cli import main

    assert main(["card", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["card", str(tmp_path / "empty")]) == 2
    assert "pass --type" in capsys.readouterr().err
    assert main(["card", str(tmp_path / "empty"), "--type", "dataset"]) == 2
    assert "no build_report.json" in capsys.readouterr().err


def test_dataset_card_of_a_partial_build(sample_build):
    """`--only-given` can leave configs out (no mixture, no negatives): the card still renders and reads right."""
    from huggingface_hub import DatasetCard

    from agent_flan.cards.dataset_card import render_dataset_card

    _, report = sample_build
    partial = copy.deepcopy(report)
    partial["inputs"] = {"glaive": partial["inputs"]["glaive"]}
    partial["configs"] = {"agent_h": partial["configs"]["agent_h"]}
    text = render_dataset_card(partial)
    assert_fully_rendered(text, allow_not_measured=True)
    assert [c["config_name"] for c in DatasetCard(text).data.to_dict()["configs"]] == ["agent_h"]
    assert "SFTTrainer" not in text and "This build has no `toolbench_negative` config" in text
    assert DatasetCard(text).data.license == "apache-2.0"


def test_the_kits_model_card_carries_the_marker_push_looks_for(tmp_path):
    """`agent-flan push --type model` publishes only a README with this marker (TRL's placeholder has none)."""
    from agent_flan.cards.model_card import kit_card_marker, render_model_card
    from agent_flan.pipeline import write_model_card

    folder = make_training_folder(tmp_path / "lora")
    text = render_model_card(folder, repo_id="me/agent-flan-lora")
    assert kit_card_marker(text) == (True, "me/agent-flan-lora")
    assert kit_card_marker(render_model_card(folder)) == (True, None)  # rendered without --repo
    assert kit_card_marker("This model is a fine-tuned version of [None](https://huggingface.co/None).") == (
        False,
        None,
    )
    (folder / "README.md").write_text("# TRL placeholder\n", encoding="utf-8")
    written = write_model_card(folder, repo_id="me/agent-flan-lora")  # what train should leave behind
    assert kit_card_marker(written.read_text(encoding="utf-8")) == (True, "me/agent-flan-lora")
    assert "<!-- agent-flan-kit model card for me/agent-flan-lora:" in written.read_text(encoding="utf-8")
