"""The import graph: one-way flow, no cycles, no generic top-level names (docs/architecture.md).

Read off the source with `ast`, so the test sees every import, including the ones inside functions."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from conftest import REPO

FOLDERS = {
    "agent_flan": "agent_flan",
    "core": "agent_flan.core",
    "dataset_builder": "agent_flan.dataset_builder",
    "training": "agent_flan.training",
    "evaluation": "agent_flan.evaluation",
    "space": "agent_flan.space",
    "cards": "agent_flan.cards",
}
# which packages each may import (besides itself); agent_flan (the CLI and the pipeline) composes them all
ALLOWED = {
    "core": set(),
    "dataset_builder": {"core"},
    "training": {"core"},
    "evaluation": {"core"},
    "space": {"core"},
    "cards": {"core", "dataset_builder"},
    "agent_flan": {"core", "dataset_builder", "training", "evaluation", "space", "cards"},
}


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in (REPO / folder).rglob("*.py"):
            if "samples" in path.parts:
                continue
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def package_of(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "agent_flan":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in FOLDERS and parts[1] != "agent_flan" else "agent_flan"


def graph() -> dict[str, set[str]]:
    known = modules()
    edges = defaultdict(set)
    for name, path in known.items():
        for target in imports(path):
            if target in known and target != name:
                edges[name].add(target)
    return edges


def test_no_generic_top_level_import_names():
    bad = []
    for path in modules().values():
        for target in imports(path):
            if target.split(".")[0] in {"dataset_builder", "training", "evaluation", "space", "cards", "core"}:
                bad.append(f"{path.relative_to(REPO)} imports {target}")
    assert not bad, bad


def test_imports_flow_one_way():
    bad = []
    for source, targets in graph().items():
        here = package_of(source)
        for target in targets:
            there = package_of(target)
            if target == "agent_flan":  # the namespace root holds no code (space/app.py registers itself there)
                continue
            if there != here and there not in ALLOWED[here]:
                bad.append(f"{source} -> {target}")
    assert not bad, bad


def test_nothing_imports_a_command_line_module():
    bad = [
        f"{source} -> {target}"
        for source, targets in graph().items()
        for target in targets
        if target.endswith(("cli", "detect_cli")) and source not in ("agent_flan.cli", "agent_flan.__main__")
    ]
    assert not bad, bad


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path (first node repeated at the end), or [] (depth-first search)."""
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> list[str]:
        state[node] = 1
        stack = stack + [node]
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if state.get(target) is None and (found := visit(target, stack)):
                return found
        state[node] = 2
        return []

    for node in sorted(edges):
        if state.get(node) is None and (found := visit(node, [])):
            return found
    return []


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) == []


def test_no_import_cycle():
    assert find_cycle(graph()) == []


def test_the_wheel_installs_only_the_agent_flan_namespace(tmp_path):
    """Build the real wheel: every file sits under agent_flan/ (or the dist-info), and neither the
    test helpers nor the sample generator ship."""
    import subprocess
    import sys
    import zipfile

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            str(REPO),
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("agent_flan_kit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"agent_flan"}
    assert not [n for n in names if n.endswith("samples/generate.py") or "/support/" in n or "tiny_" in n]
    for module in (
        "core/schema.py",
        "core/toolcalls/detect/__init__.py",
        "dataset_builder/build.py",
        "training/masks.py",
        "space/app.py",
        "cards/push.py",
        "dataset_builder/samples/glaive.jsonl",
    ):
        assert f"agent_flan/{module}" in names, module
