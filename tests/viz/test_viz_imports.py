"""viz's modules import each other in one direction only, and `import viz` loads no graphviz or matplotlib."""

import ast
import subprocess
import sys
from pathlib import Path

import viz

VIZ_DIR = Path(viz.__file__).parent
PROJECT = {"viz", "tinygrad_nb", "nn", "tinygrad_nb_cli"}
OPTIONAL = {"graphviz", "pygraphviz", "matplotlib"}  # the viz and render extras


def viz_modules() -> dict[str, Path]:
    return {("viz" if p.stem == "__init__" else f"viz.{p.stem}"): p for p in sorted(VIZ_DIR.glob("*.py"))}


def imports(path: Path) -> tuple[set[str], set[str]]:
    """(modules imported at module level, modules imported inside a function or class) by one file.

    ``from viz import rendering`` names the submodule viz.rendering, not the package; imports under
    ``if TYPE_CHECKING:`` are for the type checker only and are left out.
    """
    known = set(viz_modules())
    top: set[str] = set()
    deferred: set[str] = set()

    def visit(node: ast.AST, inside: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            return
        inside = inside or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
        names: set[str] = set()
        if isinstance(node, ast.Import):
            names = {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            subs = {f"{node.module}.{a.name}" for a in node.names}
            names = (subs & known) | ({node.module} if subs - known else set())
        (deferred if inside else top).update(names)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return top, deferred


def test_deferred_imports_are_only_optional_libraries():
    for name, path in viz_modules().items():
        _, deferred = imports(path)
        roots = {d.partition(".")[0] for d in deferred}
        assert not roots & PROJECT, f"{name} imports a project module inside a function: {sorted(deferred)}"
        assert roots <= OPTIONAL, f"{name} defers {sorted(roots - OPTIONAL)}: only optional extras may wait"


def test_viz_modules_import_each_other_without_a_loop():
    modules = viz_modules()
    uses = {name: {m for m in imports(path)[0] if m in modules and m != name} for name, path in modules.items()}
    assert uses["viz.rendering"] == set()  # render takes a drawing: it never needs draw_graph
    done: set[str] = set()
    while len(done) < len(uses):  # peel off modules whose imports are all done: stuck means a loop
        ready = {m for m, deps in uses.items() if m not in done and deps <= done}
        assert ready, f"import loop among {sorted(set(uses) - done)}"
        done |= ready


def test_import_viz_loads_no_graphviz_or_matplotlib():
    code = f"import sys, viz; print(sorted(m for m in {sorted(OPTIONAL)!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=VIZ_DIR.parent)
    assert result.stdout.strip() == "[]"


def test_without_the_extras_viz_imports_and_each_use_raises_import_error(tmp_path):
    code = f"""
import sys
for m in ("graphviz", "matplotlib", "pygraphviz"):
    sys.modules[m] = None  # as if not installed: importing it raises ImportError
import numpy as np
import viz
from tinygrad_nb import Tensor
J = (Tensor(np.ones(2), requires_grad=True, name="x") * 2.0).sum()
for use in (lambda: viz.draw_graph(J), lambda: viz.plot_costs([1.0, 0.5], {str(tmp_path / "c.png")!r})):
    try:
        use()
    except ImportError:
        print("ImportError")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=VIZ_DIR.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ImportError", "ImportError"]
