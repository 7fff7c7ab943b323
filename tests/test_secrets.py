"""Secrets never leave the process, and the training run's records are complete and readable.

- `train --hub_token hf_...`: the token reaches no file of the output folder or its checkpoints
  (training_config.yaml, the pickled training_args.bin, trainer_state.json, metrics.json, the model
  card) and no log; it is handed to huggingface_hub as HF_TOKEN.
- `push` (and `--dry-run`) refuses, with exit 2 naming the file and never printing the token, any file
  it would upload that contains the active token: text or binary, large files scanned in chunks.
- `eval --endpoint`: the API key never reaches the results, the reply cache or the terminal, even
  from a server that echoes the Authorization header.
- After `--resume`, metrics.json's per-capability losses cover the whole run (checked against a run
  that was never interrupted), and a recipe that is not valid YAML is exit 2 naming the file and line.
"""

from __future__ import annotations

import json
import pickle
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_cards import make_training_folder

HUB_TOKEN = "hf_SECRETtrainTOKEN0123456789abcdefgh"
API_KEY = "sk-SECRET-endpoint-key-0123456789"


def files_containing(root: Path, needle: str) -> list[Path]:
    raw = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and raw in p.read_bytes()]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network call attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --- training: hub_token, resume --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from support.tiny_training import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama-secrets"))


def _overrides(tiny_model, dataset, out, *extra: str) -> list[str]:
    # logging every 3 steps, checkpoints every 2: the checkpoint step is not a logging step
    return [
        "--model_name_or_path",
        str(tiny_model),
        "--dataset_name",
        str(dataset),
        "--chat_template_path",
        "chatml",
        "--output_dir",
        str(out),
        "--max_length",
        "1024",
        "--per_device_train_batch_size",
        "2",
        "--logging_steps",
        "3",
        "--gradient_checkpointing",
        "false",
        "--report_to",
        "none",
        "--disable_tqdm",
        "true",
        "--save_steps",
        "2",
        "--max_steps",
        "4",
        "--load_in_4bit",
        "false",
        "--use_bnb_nested_quant",
        "false",
        *extra,
    ]


def test_hub_token_reaches_no_file_and_resumed_metrics_cover_the_whole_run(
    tiny_model, sample_build, tmp_path, monkeypatch, capfd
):
    """Train with --hub_token, kill after step 3 (checkpoint-2 saved), resume; then an unbroken run to compare."""
    import os

    import torch
    from transformers import TrainerCallback

    from agent_flan.training.config import parse_train_config
    from agent_flan.training.run import train

    folder, _ = sample_build
    monkeypatch.setenv("HF_TOKEN", "hf_placeholder_restored_after_this_test")
    logged: list[str] = []

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt("simulated kill")

    killed = tmp_path / "killed"
    argv = _overrides(tiny_model, folder, killed, "--hub_token", HUB_TOKEN)
    with pytest.raises(KeyboardInterrupt):
        train(parse_train_config(None, argv), log=logged.append, callbacks=[Kill()])
    assert (killed / "checkpoint-2" / "training_args.bin").is_file()
    config = parse_train_config(None, argv)
    assert config.sft.hub_token is None and HUB_TOKEN not in repr(config)
    train(config, resume=True, log=logged.append)
    assert os.environ["HF_TOKEN"] == HUB_TOKEN  # where huggingface_hub's get_token finds it for Hub calls
    unbroken = tmp_path / "unbroken"
    train(parse_train_config(None, _overrides(tiny_model, folder, unbroken)), log=logged.append)

    # 1. the token is in no file, no pickle, no log line
    from agent_flan.cards.model_card import render_model_card

    (killed / "README.md").write_text(render_model_card(killed, repo_id="me/tiny"), encoding="utf-8")
    for name in ("training_args.bin", "checkpoint-2/training_args.bin", "checkpoint-4/training_args.bin"):
        args = torch.load(killed / name, weights_only=False)
        assert args.hub_token is None, name
    assert files_containing(killed, HUB_TOKEN) == []
    assert files_containing(killed, HUB_TOKEN[3:20]) == []  # not even a fragment
    overrides_line = next(
        line for line in (killed / "training_config.yaml").read_text().splitlines() if line.startswith("# overrides:")
    )
    assert "--hub_token ***" in overrides_line
    captured = capfd.readouterr()
    assert HUB_TOKEN not in "\n".join(logged) + captured.out + captured.err

    # 2. metrics.json after --resume: the whole run, token-weighted, as if it had never been interrupted
    resumed = json.loads((killed / "metrics.json").read_text())["train"]
    whole = json.loads((unbroken / "metrics.json").read_text())["train"]
    assert resumed["resumed_from"].endswith("checkpoint-2") and resumed["global_step"] == 4
    assert resumed["trained_tokens_by_capability"] == whole["trained_tokens_by_capability"]
    assert set(resumed["loss_by_capability"]) == set(whole["loss_by_capability"])
    for name, value in whole["loss_by_capability"].items():
        assert resumed["loss_by_capability"][name] == pytest.approx(value, rel=1e-4), name
    assert resumed["loss_by_capability_weighting"] == "tokens"
    restored = json.loads((killed / "checkpoint-2" / "trainer_state.json").read_text())["log_history"]
    assert [e["step"] for e in restored if "loss" in e] == [2]  # logged at the checkpoint step, with its tokens
    assert any(k.startswith("trained_tokens_by_capability/") for k in restored[-1])
    state = json.loads((killed / "checkpoint-4" / "trainer_state.json").read_text())
    steps = {e["step"] for e in state["log_history"] if any(k.startswith("trained_tokens_by_capability/") for k in e)}
    assert steps == {2, 3, 4}


def test_hub_token_in_a_recipe_or_a_bad_option_is_never_shown(tmp_path, capsys):
    from agent_flan.core.errors import BadInputError
    from agent_flan.training.config import parse_train_config, resolved_config_yaml

    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model_name_or_path: x\nhub_token: {HUB_TOKEN}\nmax_steps: 2\n", encoding="utf-8")
    config = parse_train_config(recipe, ["--hub-token=" + HUB_TOKEN])
    assert config.sft.hub_token is None and config.secrets == {"hub_token": HUB_TOKEN}
    assert config.overrides == ["--hub-token=***"]
    assert HUB_TOKEN not in resolved_config_yaml(config)
    with pytest.raises(BadInputError) as info:
        parse_train_config(None, ["--hub_token", HUB_TOKEN, "--max_steps", "many"])
    assert HUB_TOKEN not in str(info.value) and "invalid int value: 'many'" in str(info.value)
    captured = capsys.readouterr()
    assert HUB_TOKEN not in captured.out + captured.err and "usage:" not in captured.err


# --- recipe YAML syntax errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["train", "masks"])
def test_recipe_with_a_yaml_syntax_error_is_exit_2_naming_file_and_line(command, tmp_path, capsys):
    from agent_flan.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("model_name_or_path: smollm2\nlora_r: [16, 32\nmax_steps: 3\n", encoding="utf-8")
    assert main([command, "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"agent-flan {command}: error: {bad}: line 3, column 10: YAML syntax error"), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err

    listing = tmp_path / "list.yaml"
    listing.write_text("- model_name_or_path: x\n", encoding="utf-8")
    assert main([command, "--config", str(listing)]) == 2
    assert f"{listing}: a recipe is a YAML mapping" in capsys.readouterr().err


# --- push: refuse files holding the active token ----------------------------------------------------------------


@pytest.fixture
def model_folder(tmp_path, monkeypatch):
    from agent_flan.cards.model_card import render_model_card

    folder = make_training_folder(tmp_path / "lora")
    (folder / "README.md").write_text(render_model_card(folder, repo_id="me/lora"), encoding="utf-8")
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    return folder


def _push(folder: Path, *extra: str) -> int:
    from agent_flan.cli import main

    return main(["push", str(folder), "--repo", "me/lora", "--type", "model", *extra])


def test_push_refuses_a_pickled_token_and_never_prints_it(model_folder, capsys, no_network):
    assert _push(model_folder, "--dry-run") == 0  # clean folder: listed
    capsys.readouterr()
    (model_folder / "training_args.bin").write_bytes(pickle.dumps({"output_dir": "o", "hub_token": HUB_TOKEN}))
    for extra in (["--dry-run"], []):  # the dry run says so too; the real push stops before any network call
        assert _push(model_folder, *extra) == 2
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "training_args.bin: contains the Hugging Face token from HF_TOKEN" in lines[0]
        assert HUB_TOKEN not in captured.out + captured.err
    assert _push(model_folder, "--dry-run", "--exclude", "training_args.bin") == 0  # not uploaded: allowed


def test_push_scans_large_binary_and_utf16_files_and_skips_ignored_ones(model_folder, capsys, no_network):
    from agent_flan.cards.push import SCAN_CHUNK

    (model_folder / "checkpoint-100" / "training_args.bin").write_bytes(HUB_TOKEN.encode())  # never uploaded
    assert _push(model_folder, "--dry-run") == 0
    capsys.readouterr()

    big = model_folder / "extra_weights.safetensors"  # 3 MiB, the token straddling the first chunk boundary
    cut = SCAN_CHUNK - 10
    data = bytearray(b"\x00\x7f" * (3 * SCAN_CHUNK // 2))
    data[cut : cut + len(HUB_TOKEN)] = HUB_TOKEN.encode()
    big.write_bytes(bytes(data))
    assert _push(model_folder, "--dry-run") == 2
    err = capsys.readouterr().err
    assert "extra_weights.safetensors: contains the Hugging Face token" in err and HUB_TOKEN not in err
    big.unlink()

    (model_folder / "notes.txt").write_text(f"token={HUB_TOKEN}\n", encoding="utf-16-le")
    assert _push(model_folder, "--dry-run") == 2
    assert "notes.txt: contains the Hugging Face token" in capsys.readouterr().err


def test_push_refuses_the_login_cache_token_too(model_folder, tmp_path, monkeypatch, capsys, no_network):
    from huggingface_hub import constants

    cache = tmp_path / "token"
    cache.write_text("hf_fromTheLoginCache0123456789abcd\n", encoding="utf-8")
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(cache))
    (model_folder / "training_config.yaml").write_text("# overrides: --hub_token hf_fromTheLoginCache0123456789abcd\n")
    assert _push(model_folder, "--dry-run") == 2
    err = capsys.readouterr().err
    assert "training_config.yaml: contains the Hugging Face token from the login cache" in err
    assert "hf_fromTheLoginCache" not in err


# --- eval: the endpoint's API key ---------------------------------------------------------------------------------


class _Echo(BaseHTTPRequestHandler):
    """Echoes the Authorization header back in the reply (status 200), or in an error body (status 401)."""

    status = 200

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        auth = self.headers.get("Authorization", "")
        if _Echo.status == 200:
            payload = {"choices": [{"message": {"role": "assistant", "content": f"I saw header {auth} and refuse."}}]}
        else:
            payload = {"error": f"bad credentials: {auth}"}
        data = json.dumps(payload).encode()
        self.send_response(_Echo.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def echo_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Echo.status = 200
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_eval_api_key_never_reaches_results_cache_or_terminal(sample_build, echo_server, tmp_path, monkeypatch, capsys):
    from agent_flan.cli import main

    folder, _ = sample_build
    monkeypatch.setenv("EVAL_SECRET_KEY", API_KEY)
    out = tmp_path / "results.json"
    argv = [
        "eval",
        "--endpoint",
        echo_server,
        "--model-name",
        "m",
        "--dataset",
        str(folder),
        "--out",
        str(out),
        "--limit",
        "3",
        "--no-progress",
        "--bootstrap",
        "20",
        "--api-key-env",
        "EVAL_SECRET_KEY",
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    written = out.read_text() + out.with_suffix(".md").read_text() + out.with_suffix(".cache.jsonl").read_text()
    assert "I saw header Bearer [REDACTED] and refuse." in written  # the echo arrived, scrubbed
    assert API_KEY not in written + captured.out + captured.err
    assert json.loads(out.read_text())["run"]["api_key_set"] is True

    _Echo.status = 401
    assert main(argv + ["--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "bad credentials: Bearer [REDACTED]" in err and API_KEY not in err
