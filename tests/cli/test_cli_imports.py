"""The command line is the application layer: it imports tinygrad_nb, nn and viz at module level.

Imports inside functions hide a module's dependencies; only optional third-party libraries
are imported late, and those live in nn and viz, not here.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tinygrad_nb_cli"
MODULES = sorted(PACKAGE.glob("*.py"))


def deferred_imports(path: Path) -> list[str]:
    """``line: import ...`` for every import that is not at module level (``if TYPE_CHECKING:`` aside)."""
    tree = ast.parse(path.read_text())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            top |= {id(n) for n in node.body}
        top.add(id(node))
    return [f"{node.lineno}: {ast.unparse(node)}" for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_import_is_deferred_into_a_function(path):
    assert deferred_imports(path) == []


def test_the_libraries_are_imported_by_name_at_module_level():
    imported = set()
    for path in MODULES:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert {"nn", "viz", "tinygrad_nb"} <= imported
    assert not {"matplotlib", "graphviz", "h5py", "sklearn"} & imported
