"""Imports go api → shared ← worker; api and worker never import each other (DESIGN.md §1)."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(package: str) -> dict[str, set[str]]:
    """Top-level package names imported by each module of `package`."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("api", {"worker"}), ("worker", {"api"}), ("shared", {"api", "worker"})],
)
def test_layer_does_not_import(package: str, forbidden: set[str]) -> None:
    modules = imported_packages(package)
    assert modules, f"no modules found in {package}"
    offenders = {
        module: names & forbidden for module, names in modules.items() if names & forbidden
    }
    assert offenders == {}
