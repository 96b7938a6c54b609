"""Layering: tinygrad_nb imports only NumPy (cli and testing aside); nn never imports viz."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB_OK = set(sys.stdlib_module_names)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


ABOVE_THE_ENGINE = ("cli.py", "__main__.py", "testing.py")  # the application layer and the test helpers


ENGINE_FILES = sorted(p for p in (ROOT / "tinygrad_nb").rglob("*.py") if p.name not in ABOVE_THE_ENGINE)


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_imports_only_numpy(path):
    assert imports(path) - STDLIB_OK - {"numpy", "tinygrad_nb"} == set()


@pytest.mark.parametrize("path", sorted((ROOT / "nn").rglob("*.py")), ids=lambda p: p.name)
def test_nn_does_not_import_viz(path):
    assert "viz" not in imports(path)
