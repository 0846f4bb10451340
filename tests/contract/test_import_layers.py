"""What import-linter cannot see: module names given to `importlib` as strings. The import
statements themselves are checked by `lint-imports` in `make lint`, with the contracts in
pyproject.toml (docs/architecture.md, Layers)."""

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


@pytest.mark.parametrize("package", PRODUCT)
def test_product_names_no_dev_tooling_to_importlib(package: str) -> None:
    assert offenders(dynamically_imported_packages(package), DEV_TOOLING) == {}


def test_the_dynamic_import_check_sees_the_composition_root() -> None:
    """shared/cli.py starts the API and the worker by module name: the check above reads it."""
    assert dynamically_imported_packages("shared")["shared/cli.py"] == {"api", "worker"}
