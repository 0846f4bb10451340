"""What import-linter cannot see: module names given to `importlib` as strings. The import
statements themselves are checked by `lint-imports` in `make lint`, with the contracts in
pyproject.toml (docs/architecture.md, Layers); so the product hands no module name to
`importlib`, and every import it makes is one the contracts check."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("izana", "api", "worker", "shared")


def parsed_modules(package: str) -> Iterator[tuple[str, ast.Module]]:
    for path in (ROOT / package).rglob("*.py"):
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), filename=str(path))


def dynamic_imports(tree: ast.Module) -> list[str]:
    """The source of each call to `import_module` or `__import__` in `tree`."""
    return [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node.func) in {"import_module", "__import__"}
    ]


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


@pytest.mark.parametrize("package", PRODUCT)
def test_the_product_imports_nothing_by_name(package: str) -> None:
    found = {
        module: calls
        for module, tree in parsed_modules(package)
        if (calls := dynamic_imports(tree))
    }
    assert found == {}


def test_the_check_finds_a_module_imported_by_name() -> None:
    tree = ast.parse("import importlib\nimportlib.import_module('bench.cost')\n__import__('api')")
    assert dynamic_imports(tree) == ["importlib.import_module('bench.cost')", "__import__('api')"]
