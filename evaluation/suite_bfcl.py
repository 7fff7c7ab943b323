"""The BFCL v4 relevance suite: irrelevance (240), live_irrelevance (884), live_relevance (16), by BFCL's rules.

Their rules, exactly: each item's first turn goes out with BFCL's prompt-mode system prompt (the default
`ret_fmt=python ... style=classic` format, function docs with BFCL's Python hint), and the reply is
judged by BFCL's decoder: it "contains a function call" when `default_decode_ast_prompting` succeeds and
`is_empty_output` is false (`eval_runner._evaluate_single_relevance_entry`). An irrelevance item passes
when the reply contains no call; a relevance item passes when it contains one (arguments unchecked).
"Irrelevance Detection" is the unweighted mean of the two irrelevance accuracies (the leaderboard's
`eval_runner_helper`), "Relevance Detection" the live_relevance accuracy.

The installed `bfcl-eval` package is used as the library when present (prompt, hints, decoder, the
question files it ships); otherwise `evaluation.bfcl_port` reproduces those parts. Ours beside theirs:
the kit's detector judges every reply too, and the summary reports its rates, the number of items where
the two disagree, and examples.

With `--native-tools` (BFCL's FC mode, needs bfcl-eval for its schema conversion) the items go out
without the system prompt, with the tools converted by BFCL's `convert_to_tool` for OpenAI-style APIs;
a reply then counts as a call when it carries a native tool call (structured `tool_calls` from the
server, or the chat template's own call tags): the detector's `native` style.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent_flan.core.errors import BadInputError
from agent_flan.core.toolcalls.detect import detect
from agent_flan.evaluation import bfcl_port, stats

SUITE = "bfcl"
CATEGORIES = ("irrelevance", "live_irrelevance", "live_relevance")
HUB_ID = "gorilla-llm/Berkeley-Function-Calling-Leaderboard"
PACKAGE = "bfcl-eval"
PACKAGE_VERSION_CHECKED = "2026.3.23"
UPSTREAM_REPO = "ShishirPatil/gorilla"
UPSTREAM_COMMIT = "6ea57973c7a6097fd7c5915698c54c17c5b1b6c8"  # = bfcl-eval 2026.3.23
DATA_COMMIT = "e5148abe62c0b399ad0a52c3e39ed45bcabd5995"  # last change of the three question files
INSTALL_HINT = (
    "pip install --no-deps bfcl-eval==2026.3.23 tree-sitter==0.21.3 tree-sitter-java==0.21.0 "
    "tree-sitter-javascript==0.21.4 tenacity"
)
SUMMARY_KEYS = ("bfcl_irrelevance", "bfcl_live_irrelevance", "bfcl_irrelevance_detection", "bfcl_relevance")
DESCRIPTIONS = {
    "bfcl_irrelevance": "BFCL irrelevance (240 non-live items): reply does not decode to a call",
    "bfcl_live_irrelevance": "BFCL live_irrelevance (884 user-contributed items): reply does not decode to a call",
    "bfcl_irrelevance_detection": "BFCL 'Irrelevance Detection': unweighted mean of the two above",
    "bfcl_relevance": "BFCL 'Relevance Detection' (live_relevance, 16 items): reply decodes to a non-empty call",
}
_FILE = re.compile(r"^BFCL_v(?P<v>\d+)_(?P<cat>[a-z_]+)\.json$")


@dataclass(frozen=True)
class BfclItem:
    id: str
    category: str
    question: tuple[dict[str, str], ...]  # the first turn, as published
    functions: tuple[dict[str, Any], ...]  # as published (BFCL adds its language hint when prompting)


# --------------------------------------------------------------------------- the bfcl-eval backend


def _bfcl_home() -> Path:
    root = os.environ.get("AGENT_FLAN_HOME")
    return (Path(root) if root else Path.home() / ".cache" / "agent-flan") / "bfcl-eval"


def package_version() -> str | None:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


def _package():
    """bfcl-eval's modules, or None. Importing it creates result/ and score/ folders under
    $BFCL_PROJECT_ROOT (by default beside site-packages), so that root is pointed at a cache folder."""
    if package_version() is None:
        return None
    os.environ.setdefault("BFCL_PROJECT_ROOT", str(_bfcl_home()))
    try:
        import bfcl_eval.constants.eval_config as config
        import bfcl_eval.model_handler.utils as handler_utils
        import bfcl_eval.utils as utils
        from bfcl_eval.constants.enums import ModelStyle, ReturnFormat
        from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI
    except Exception:  # a broken or partial install (e.g. no tree-sitter): fall back to the port
        return None
    return {
        "handler_utils": handler_utils,
        "utils": utils,
        "prompt_path": Path(config.PROMPT_PATH),
        "ReturnFormat": ReturnFormat,
        "ModelStyle": ModelStyle,
        "GORILLA_TO_OPENAPI": GORILLA_TO_OPENAPI,
    }


@dataclass(frozen=True)
class Decoded:
    contains_call: bool
    decoded: Any
    error: str | None
    decoder: str


class Backend:
    """BFCL's prompt and decoder: the installed package when it imports, else the kit's port."""

    def __init__(self, prefer_package: bool = True):
        self.pkg = _package() if prefer_package else None
        version = package_version() if self.pkg else None
        self.name = f"{PACKAGE} {version}" if self.pkg else f"kit port of {PACKAGE} {PACKAGE_VERSION_CHECKED}"

    def describe(self) -> dict[str, Any]:
        return {
            "judge": self.name,
            "package_installed": self.pkg is not None,
            "upstream": f"{UPSTREAM_REPO}@{UPSTREAM_COMMIT}",
            "prompt_format": bfcl_port.DEFAULT_PROMPT_FORMAT,
        }

    def messages(self, item: BfclItem) -> list[dict[str, str]]:
        question = [dict(m) for m in item.question]
        if self.pkg is None:
            return bfcl_port.prompt_messages(
                question, bfcl_port.functions_with_hint(list(item.functions), item.category)
            )
        entry = {"id": item.id, "question": [question], "function": copy.deepcopy(list(item.functions))}
        entry = self.pkg["utils"].add_language_specific_hint_to_function_doc([entry])[0]
        return self.pkg["handler_utils"].system_prompt_pre_processing_chat_model(
            entry["question"][0], entry["function"], entry["id"]
        )

    def native_tools(self, item: BfclItem) -> list[dict[str, Any]]:
        """BFCL's FC-mode conversion of the function docs (OpenAI style); needs the package."""
        if self.pkg is None:
            raise BadInputError(f"--native-tools with --suite bfcl needs bfcl-eval's schema conversion: {INSTALL_HINT}")
        docs = self.pkg["utils"].add_language_specific_hint_to_function_doc(
            [{"id": item.id, "function": copy.deepcopy(list(item.functions))}]
        )[0]["function"]
        tools = self.pkg["handler_utils"].convert_to_tool(
            docs, self.pkg["GORILLA_TO_OPENAPI"], self.pkg["ModelStyle"].OPENAI_COMPLETIONS
        )
        return [tool.get("function", tool) for tool in tools]

    def decode(self, reply: str) -> Decoded:
        """BFCL's relevance rule for one prompt-mode reply."""
        use_port = self.pkg is None or bfcl_port.needs_safe_decoder(reply)
        decoder = "kit port (literal-only eval)" if use_port else self.name
        try:
            if use_port:
                decoded = bfcl_port.decode_prompting(reply)
                empty = bfcl_port.is_empty_output(decoded)
            else:
                decoded = self.pkg["handler_utils"].default_decode_ast_prompting(
                    reply, self.pkg["ReturnFormat"].PYTHON, False
                )
                empty = self.pkg["utils"].is_empty_output(decoded)
        except Exception as exc:  # BFCL: a reply that fails to decode is not a function call
            return Decoded(False, None, f"{type(exc).__name__}: {exc}"[:300], decoder)
        return Decoded(not empty, _jsonable(decoded), None, decoder)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


# --------------------------------------------------------------------------- loading


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_file(path: Path, category: str) -> list[BfclItem]:
    items = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                question = entry["question"][0]
                functions = entry["function"]
                item_id = str(entry["id"])
            except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
                raise BadInputError(
                    f"{path}:{number}: not a BFCL entry (one JSON object per line with id, question, function): {exc}"
                ) from exc
            if not isinstance(question, list) or not all(isinstance(m, dict) for m in question):
                raise BadInputError(f"{path}:{number}: `question[0]` must be a list of messages")
            items.append(
                BfclItem(
                    item_id,
                    category,
                    tuple({"role": str(m["role"]), "content": str(m["content"])} for m in question),
                    tuple(functions),
                )
            )
    return items


def _files_in(folder: Path) -> dict[str, Path]:
    """category -> newest-version file among BFCL_v*_{category}.json in `folder`."""
    found: dict[str, tuple[int, Path]] = {}
    for path in folder.iterdir():
        match = _FILE.match(path.name)
        if match and match.group("cat") in CATEGORIES:
            version = int(match.group("v"))
            if match.group("cat") not in found or version > found[match.group("cat")][0]:
                found[match.group("cat")] = (version, path)
    return {cat: path for cat, (_, path) in found.items()}


def _hub_files(repo_id: str) -> dict[str, Path]:
    from huggingface_hub import hf_hub_download

    from agent_flan.core.hub import bound_hub_requests

    bound_hub_requests()
    files: dict[str, Path] = {}
    errors = []
    for category in CATEGORIES:
        try:
            files[category] = Path(hf_hub_download(repo_id, f"BFCL_v4_{category}.json", repo_type="dataset"))
        except Exception as exc:  # offline, gated, missing file: say which
            errors.append(f"BFCL_v4_{category}.json: {type(exc).__name__}: {str(exc)[:200]}")
    if not files:
        raise BadInputError(
            f"cannot read BFCL from the Hub ({repo_id}): {'; '.join(errors)}. Offline: {INSTALL_HINT} "
            "(its wheel ships the question files), or --suite-data bfcl=FOLDER with BFCL_v4_*.json"
        )
    return files


def load(source: str | None, backend: Backend) -> tuple[list[BfclItem], dict[str, Any]]:
    """Items of the three relevance categories, and where they came from (paths, sha256, version)."""
    if source is None:
        if backend.pkg is not None:
            files, origin = _files_in(backend.pkg["prompt_path"]), f"{backend.name} (installed package data)"
        else:
            files, origin = _hub_files(HUB_ID), f"hub:{HUB_ID}"
    else:
        from agent_flan.core.hub import looks_like_path, missing_path_message

        path = Path(source).expanduser()
        if path.is_dir():
            files, origin = _files_in(path), str(path)
        elif path.is_file():
            match = _FILE.match(path.name)
            if not match or match.group("cat") not in CATEGORIES:
                raise BadInputError(
                    f"{path}: not a BFCL relevance file; expected BFCL_v4_{{{','.join(CATEGORIES)}}}.json "
                    "(or a folder holding them)"
                )
            files, origin = {match.group("cat"): path}, str(path)
        elif looks_like_path(source):
            raise BadInputError(missing_path_message(source))
        else:
            files, origin = _hub_files(source), f"hub:{source}"
        if not files:
            raise BadInputError(
                f"{source}: no BFCL_v4_{{{','.join(CATEGORIES)}}}.json files there (BFCL's question files as "
                "published in bfcl_eval/data/)"
            )
    items: list[BfclItem] = []
    for category in CATEGORIES:
        if category in files:
            items += _read_file(files[category], category)
    ids = [item.id for item in items]
    if len(ids) != len(set(ids)):
        raise BadInputError(f"{origin}: duplicate BFCL ids")
    info = {
        "source": origin,
        "files": {cat: {"path": str(p), "name": p.name, "sha256": _sha256(p)} for cat, p in files.items()},
        "missing_categories": [c for c in CATEGORIES if c not in files],
        "benchmark": "BFCL v4",
        "upstream": f"{UPSTREAM_REPO}@{UPSTREAM_COMMIT}",
        "question_files_commit": DATA_COMMIT,
    }
    return items, info


def stratum(item: BfclItem) -> str:
    return item.category


# --------------------------------------------------------------------------- judging


def judge(item: BfclItem, reply: str, backend: Backend, native: bool = False, tools: list | None = None) -> dict:
    """BFCL's verdict and the detector's, for one reply."""
    offered = tools if tools is not None else list(item.functions)
    verdict = detect(reply, offered)
    if native:
        decoded = Decoded(verdict.calls_tool and verdict.style == "native", None, None, "native tool calls (FC mode)")
    else:
        decoded = backend.decode(reply)
    irrelevance = "irrelevance" in item.category
    passed = (not decoded.contains_call) if irrelevance else decoded.contains_call
    detector_pass = (not verdict.calls_tool) if irrelevance else verdict.calls_tool
    return {
        "suite": SUITE,
        "id": item.id,
        "category": item.category,
        "reply": reply,
        "bfcl_contains_call": decoded.contains_call,
        "bfcl_decoded": decoded.decoded,
        "bfcl_error": decoded.error,
        "bfcl_decoder": decoded.decoder,
        "pass": passed,
        "detector_calls_tool": verdict.calls_tool,
        "detector_pass": detector_pass,
        "agree": decoded.contains_call == verdict.calls_tool,
        "verdict": verdict.to_dict(),
    }


# --------------------------------------------------------------------------- metrics


def columns(rows: Sequence[dict]) -> dict[str, np.ndarray]:
    cat = [r["category"] for r in rows]
    return {
        "pass": np.asarray([bool(r["pass"]) for r in rows], dtype=float),
        "detector_pass": np.asarray([bool(r["detector_pass"]) for r in rows], dtype=float),
        "irrelevance": np.asarray([c == "irrelevance" for c in cat], dtype=bool),
        "live_irrelevance": np.asarray([c == "live_irrelevance" for c in cat], dtype=bool),
        "live_relevance": np.asarray([c == "live_relevance" for c in cat], dtype=bool),
    }


def formulas(c: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for prefix, column in (("bfcl", "pass"), ("bfcl_detector", "detector_pass")):
        values = c[column][idx]
        irr = stats.rate(values, c["irrelevance"][idx])
        live = stats.rate(values, c["live_irrelevance"][idx])
        out[f"{prefix}_irrelevance"] = irr
        out[f"{prefix}_live_irrelevance"] = live
        out[f"{prefix}_irrelevance_detection"] = (irr + live) / 2  # NaN unless both categories ran
        out[f"{prefix}_relevance"] = stats.rate(values, c["live_relevance"][idx])
    return out


def summarize(rows: Sequence[dict], resamples: int, seed: int, examples: int = 5) -> dict[str, Any]:
    """The suite's summary keys, intervals, per-category counts and the judge disagreements."""
    cols = columns(rows)
    values = stats.point(formulas, cols, len(rows))
    ci = stats.intervals(formulas, cols, [r["category"] for r in rows], resamples, seed)
    disagree = [r for r in rows if not r["agree"]]
    counts = {cat: sum(r["category"] == cat for r in rows) for cat in CATEGORIES}
    return {
        "metrics": {key: values[key] for key in SUMMARY_KEYS},
        "details": {
            "detector": {
                key.replace("bfcl_", "bfcl_detector_", 1): values[key.replace("bfcl_", "bfcl_detector_", 1)]
                for key in SUMMARY_KEYS
            },
            "ci95": ci,
            "counts": counts,
            "disagreements": {
                "count": len(disagree),
                "bfcl_call_detector_not": sum(r["bfcl_contains_call"] and not r["detector_calls_tool"] for r in rows),
                "detector_call_bfcl_not": sum(r["detector_calls_tool"] and not r["bfcl_contains_call"] for r in rows),
                "examples": [
                    {
                        "id": r["id"],
                        "category": r["category"],
                        "bfcl_contains_call": r["bfcl_contains_call"],
                        "detector_calls_tool": r["detector_calls_tool"],
                        "detector_style": r["verdict"]["style"],
                        "reply": r["reply"][:300],
                    }
                    for r in disagree[:examples]
                ],
            },
            "decoders": sorted({r["bfcl_decoder"] for r in rows}),
        },
    }
