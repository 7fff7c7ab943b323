"""The minimum versions pyproject.toml declares are the ones .ci/run tests.

.ci/run turns every `>=` floor of `[project] dependencies` and of the `test` extra into an `==` pin and runs a
test subset in a second venv built from those pins (`AGENT_FLAN_EXPECT_FLOORS=1` there). So:

- each of those requirements must carry exactly one `>=` floor, inside its own range, or CI could not pin it;
- in that venv, every dependency must be installed at exactly its floor (nothing swapped or upgraded it),
  and no dependency at its floor may require more of another than our floor for that one (the old
  `datasets>=4.0` next to trl 1.16, which needs `datasets>=4.7`, is that mistake). In the main venv the
  second check covers the dependencies that happen to be at their floor.
"""

from __future__ import annotations

import os
import tomllib
from importlib.metadata import PackageNotFoundError, distribution

import pytest
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

EXPECT_FLOORS = os.environ.get("AGENT_FLAN_EXPECT_FLOORS") == "1"


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def floors() -> dict[str, Version]:
    return {
        canonicalize_name(r.name): Version(next(s.version for s in r.specifier if s.operator == ">="))
        for r in declared()
    }


def test_every_dependency_has_one_floor_that_ci_can_pin():
    requirements = declared()
    assert len(requirements) >= 14
    for requirement in requirements:
        lower = [s for s in requirement.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{requirement}: needs exactly one `>=` floor (.ci/run pins it with `==`)"
        assert not any(s.operator in ("==", "===", "~=", ">") for s in requirement.specifier), requirement
        assert requirement.specifier.contains(lower[0].version, prereleases=True), requirement
        assert requirement.marker is None and not requirement.extras, f"{requirement}: the pin would drop it"


def test_installed_versions_are_at_or_above_the_floors():
    for name, floor in floors().items():
        try:
            installed = Version(distribution(name).version)
        except PackageNotFoundError:
            pytest.fail(f"{name} is declared but not installed")
        if EXPECT_FLOORS:
            assert installed == floor, f"floor venv: {name} {installed} installed, the floor is {floor}"
        else:
            assert installed >= floor, f"{name} {installed} is below the declared floor {floor}"


def test_no_floor_is_below_what_another_dependency_at_its_floor_requires():
    ours = floors()
    checked = 0
    for name, floor in ours.items():
        dist = distribution(name)
        if Version(dist.version) != floor:
            continue  # its own requirements are those of another version: checked in the floor venv
        for raw in dist.requires or []:
            requirement = Requirement(raw)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue  # an extra we do not install, or another platform or Python
            other = canonicalize_name(requirement.name)
            if other in ours:
                checked += 1
                assert requirement.specifier.contains(ours[other], prereleases=True), (
                    f"{name} {floor} requires {requirement}, but pyproject.toml's floor for {other} is {ours[other]}"
                )
    if EXPECT_FLOORS:
        assert checked >= 10  # trl alone requires datasets, accelerate, jinja2, numpy, pyarrow, pyyaml, transformers
