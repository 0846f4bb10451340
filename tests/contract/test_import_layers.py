"""Imports go api → shared ← worker; api and worker never import each other, and none of the
three imports the dev tooling, bench and emulator (docs/architecture.md, Layers)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("api", "worker", "shared")
DEV_TOOLING = {"bench", "emulator"}


def parsed_modules(package: str) -> Iterator[tuple[str, ast.Module]]:
    for path in (ROOT / package).rglob("*.py"):
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), filename=str(path))


def imported_packages(package: str) -> dict[str, set[str]]:
    """Top-level package names imported by each module of `package`."""
    found: dict[str, set[str]] = {}
    for module, tree in parsed_modules(package):
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[module] = names
    return found


def dynamically_imported_packages(package: str) -> dict[str, set[str]]:
    """Top-level package names that each module of `package` passes as a string literal to
    `import_module` or `__import__`."""
    found: dict[str, set[str]] = {}
    for module, tree in parsed_modules(package):
        found[module] = {
            node.args[0].value.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and _called_name(node.func) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        }
    return found


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def offenders(found: dict[str, set[str]], forbidden: set[str]) -> dict[str, set[str]]:
    return {module: names & forbidden for module, names in found.items() if names & forbidden}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("api", {"worker"} | DEV_TOOLING),
        ("worker", {"api"} | DEV_TOOLING),
        ("shared", {"api", "worker"} | DEV_TOOLING),
    ],
)
def test_layer_does_not_import(package: str, forbidden: set[str]) -> None:
    found = imported_packages(package)
    assert found, f"no modules found in {package}"
    assert offenders(found, forbidden) == {}


@pytest.mark.parametrize("package", PRODUCT)
def test_product_names_no_dev_tooling_to_importlib(package: str) -> None:
    assert offenders(dynamically_imported_packages(package), DEV_TOOLING) == {}


def test_the_dynamic_import_check_sees_the_composition_root() -> None:
    """shared/cli.py starts the API and the worker by module name: the check above reads it."""
    assert dynamically_imported_packages("shared")["shared/cli.py"] == {"api", "worker"}
