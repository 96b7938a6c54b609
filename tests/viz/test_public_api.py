"""viz reads the graph only through the Tensor's public view (op, inputs, creation_order, ...).

Two checks that complement each other: the static one reads every line of viz (also the paths no
test draws) and the run-time one sees any access, however spelt, on the paths that the drawings take.
"""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import nn
import viz
from tinygrad_nb import GraphFreedError, Tensor

VIZ_DIR = Path(viz.__file__).parent
ALLOWED_DUNDERS = {"__name__", "__qualname__", "__module__", "__doc__"}  # names, not state
REFLECTION = {"getattr", "hasattr", "setattr", "delattr", "vars"}


def private_accesses(path: Path) -> list[str]:
    """``x._name`` (any expression, not only Tensors: the type is unknown to a parser) and
    ``getattr(x, "_name")`` in one source file, as ``file:line: text``."""
    text = path.read_text(encoding="utf-8")
    found: list[tuple[tuple[int, int], str]] = []
    for node in ast.walk(ast.parse(text, str(path))):
        private_attribute = (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                             and node.attr not in ALLOWED_DUNDERS)
        private_by_name = (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                           and node.func.id in REFLECTION and len(node.args) > 1
                           and isinstance(node.args[1], ast.Constant) and str(node.args[1].value).startswith("_"))
        if private_attribute or private_by_name:
            where = (node.lineno, node.col_offset)
            found.append((where, f"{path.name}:{node.lineno}: {ast.get_source_segment(text, node)}"))
    return [hit for _, hit in sorted(found)]


def test_viz_sources_touch_no_private_attribute():
    sources = sorted(VIZ_DIR.glob("*.py"))
    assert {p.name for p in sources} >= {"__init__.py", "graph.py", "rendering.py", "plots.py"}
    found = [hit for p in sources for hit in private_accesses(p)]
    assert not found, "viz must use the Tensor's public view (t.op, t.inputs, t.creation_order):\n" + "\n".join(found)


def test_the_static_check_would_catch_the_old_code(tmp_path):
    old = tmp_path / "old.py"
    old.write_text("def f(t):\n    return t._ctx.op_name, t._seq, getattr(t, '_ctx'), type(t).__name__\n")
    assert [hit.split(": ")[1] for hit in private_accesses(old)] == ["t._ctx", "t._seq", "getattr(t, '_ctx')"]


def drawings(J: Tensor) -> None:
    """Every view, with norms (backward has run), values, no clusters, and the collapse."""
    for show in ("forward", "backward", "both"):
        viz.draw_graph(J, show=show)
        viz.draw_graph(J, show=show, group_layers=False, show_values=True)
        viz.draw_graph(J, show=show, max_nodes=6)


def watch_private_reads(monkeypatch, package: str) -> list[str]:
    """From now on (until the test ends), record each read of a private Tensor attribute made by
    code of ``package`` itself; reads inside the engine (``t.op`` reads ``t._ctx``) are not its own."""
    touched: list[str] = []
    plain = Tensor.__getattribute__

    def watching(self, name):
        if name.startswith("_") and name not in ALLOWED_DUNDERS:
            caller = inspect.currentframe().f_back
            if caller.f_globals.get("__name__", "").partition(".")[0] == package:
                touched.append(f"{Path(caller.f_code.co_filename).name}:{caller.f_lineno}: .{name}")
        return plain(self, name)

    monkeypatch.setattr(Tensor, "__getattribute__", watching)
    return touched


def test_drawing_reads_no_private_attribute_at_run_time(monkeypatch):
    model = nn.MLP([3, 4, 2, 1], rng=0)
    J = nn.binary_cross_entropy(model(Tensor(np.ones((3, 5)), name="X")), np.array([[0, 1, 1, 0, 1.0]]))
    J.backward(retain_graph=True)
    touched = watch_private_reads(monkeypatch, "viz")
    drawings(J)
    assert not touched, "viz read private Tensor attributes:\n" + "\n".join(sorted(set(touched)))


def test_the_run_time_check_would_catch_a_private_read(monkeypatch):
    y = Tensor(np.ones(2), requires_grad=True, name="x") * 2.0
    touched = watch_private_reads(monkeypatch, __name__.partition(".")[0])
    assert y.op == "mul" and y.creation_order > 0 and len(y.inputs) == 2  # the public view: not counted
    assert touched == []
    y._ctx  # noqa: B018
    assert len(touched) == 1 and touched[0].endswith(": ._ctx")


def test_a_freed_graph_raises_the_engines_error_with_viz_advice():
    x = Tensor(np.ones((2, 2)), requires_grad=True, name="W1")
    J = (x * 3.0).relu().sum()
    J.backward()
    with pytest.raises(GraphFreedError, match=r"draw_graph: .*retain_graph=True") as caught:
        viz.draw_graph(J)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value.__cause__, GraphFreedError)
