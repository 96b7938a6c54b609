"""A learner's first hour: plots that show inline, a graph that fits a screen, one gradient convention, clear extras.

The numbers shown (the drawing's norms, the explorer's statistics, explain mode's lines, the closed-form
report's norms) are checked against the course's formulas computed here by hand with NumPy:
A[l] = g(W[l] A[l-1] + b[l]), dZ[L] = A[L] - Y, dW = 1/m dZ A^T, db = 1/m sum(dZ), dA[l-1] = W^T dZ,
dZ = dA * g'(Z).
"""

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
import viz
from tinygrad_nb import Tensor
from viz import rendering

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]


# ----- 1. plots return a Figure, shown inline; a file only when asked ---------------------------------------------
def test_plots_return_a_figure_and_write_nothing_without_a_path(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    monkeypatch.chdir(tmp_path)
    data = nn.datasets.planar(m=30)
    model = nn.MLP([2, 3, 1], hidden="tanh", rng=1)
    report = nn.check_against_closed_form(model, data.X, data.Y, verbose=False)
    figures = [viz.plot_costs([0.7, 0.5, 0.4]), viz.plot_decision_boundary(model, data.X, data.Y, resolution=20),
               viz.plot_gradient_check(report)]
    for fig in figures:
        assert isinstance(fig, Figure)
        assert fig._repr_png_()[:8] == PNG_MAGIC  # what Jupyter shows for the last expression of a cell
    assert list(tmp_path.iterdir()) == []


def test_a_returned_figure_is_displayed_as_png_by_ipython():
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(viz.plot_costs([0.7, 0.5, 0.4], learning_rate=0.1))
    assert data["image/png"][:8] == PNG_MAGIC


def test_the_path_is_still_positional_and_written_atomically(tmp_path):
    fig = viz.plot_costs([0.7, 0.5], tmp_path / "costs.png", learning_rate=0.0075)
    assert (tmp_path / "costs.png").read_bytes()[:8] == PNG_MAGIC
    assert fig.axes[0].get_title() == "Learning rate = 0.0075"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["costs.png"]  # no temporary file left behind


def test_plot_costs_puts_each_cost_at_its_recorded_iteration():
    uneven = viz.plot_costs([0.7, 0.5, 0.4, 0.35], iterations=[0, 100, 200, 249])
    np.testing.assert_array_equal(uneven.axes[0].lines[0].get_xdata(), [0, 100, 200, 249])
    np.testing.assert_array_equal(uneven.axes[0].lines[0].get_ydata(), [0.7, 0.5, 0.4, 0.35])
    every = viz.plot_costs([0.7, 0.5, 0.4], record_every=50)
    np.testing.assert_array_equal(every.axes[0].lines[0].get_xdata(), [0, 50, 100])
    history = {"iterations": [0, 10, 19], "costs": [0.9, 0.6, 0.5], "learning_rate": 0.25, "record_every": 10}
    fig = viz.plot_costs(history)
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_xdata(), [0, 10, 19])
    assert fig.axes[0].get_title() == "Learning rate = 0.25"
    with pytest.raises(ValueError, match="3 costs but 2 iterations"):
        viz.plot_costs([0.7, 0.5, 0.4], iterations=[0, 1])
    with pytest.raises(ValueError, match="needs 'costs'"):
        viz.plot_costs({"iterations": [0]})
    with pytest.raises(TypeError, match="path must be"):
        viz.plot_costs([0.7], 3)


def test_a_history_from_fit_plots_as_recorded():
    data = nn.datasets.planar(m=20)
    h: dict = {}
    costs = nn.fit(nn.MLP([2, 3, 1], rng=0), data.X, data.Y, lr=0.5, num_iterations=25, record_every=10,
                   print_cost=False, history=h)
    line = viz.plot_costs(h).axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), h["iterations"])
    np.testing.assert_allclose(line.get_ydata(), costs)


def test_plots_leave_no_pyplot_state(tmp_path):
    code = f"""
import sys, viz
viz.plot_costs([0.5, 0.4], {str(tmp_path / "c.png")!r})
print("matplotlib.pyplot" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]


def test_the_cli_still_lists_the_cost_plot_it_wrote(tmp_path):
    from tinygrad_nb_cli.pictures import run_pictures

    data = nn.datasets.planar(m=10)
    model = nn.MLP([2, 3, 1], rng=0)
    written = run_pictures(model, data.X, data.Y, [0.7, 0.6, 0.5], multiclass=False, learning_rate=0.1,
                           record_every=10, folder=tmp_path, history={"iterations": [0, 10, 14],
                                                                       "costs": [0.7, 0.6, 0.5]})
    assert written[0] == tmp_path / "costs.png" and written[0].read_bytes()[:8] == PNG_MAGIC


# ----- the course's numbers, by hand --------------------------------------------------------------------------------
def cat_model_and_cost():
    """The course's cat model [12288, 20, 7, 5, 1] on m = 209 examples, with backward run (graph kept)."""
    model = nn.MLP([12288, 20, 7, 5, 1], rng=np.random.RandomState(1))
    rng = np.random.RandomState(0)
    X, Y = rng.rand(12288, 209), (rng.rand(1, 209) > 0.5) * 1.0
    J = nn.binary_cross_entropy(model(Tensor(X, name="X")), Y)
    J.backward(retain_graph=True)
    return model, X, Y, J


@pytest.fixture(scope="module")
def cat():
    return cat_model_and_cost()


def by_hand(params, X, Y):
    """The course's forward and backward pass in plain NumPy (relu hidden layers, sigmoid output)."""
    L, m = 4, X.shape[1]
    A, Z = {0: X}, {}
    for l in range(1, L + 1):
        Z[l] = params[f"W{l}"] @ A[l - 1] + params[f"b{l}"]
        A[l] = np.maximum(0, Z[l]) if l < L else 1 / (1 + np.exp(-Z[l]))
    grads = {f"dA{L}": -(Y / A[L] - (1 - Y) / (1 - A[L]))}
    dZ = A[L] - Y
    for l in range(L, 0, -1):
        if l < L:
            dZ = grads[f"dA{l}"] * (Z[l] > 0)
        grads[f"dZ{l}"] = dZ
        grads[f"dW{l}"] = dZ @ A[l - 1].T / m
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        grads[f"dA{l - 1}"] = params[f"W{l}"].T @ dZ
    return {k: float(np.linalg.norm(v)) for k, v in grads.items()}


@pytest.fixture(scope="module")
def course_norms(cat):
    model, X, Y, _ = cat
    return by_hand({k: np.array(v, dtype=np.float64) for k, v in model.state_dict().items()}, X, Y)


SHOWN = ("dZ4", "dA3", "dW4", "db4", "dZ1", "dA1", "dW1")


def test_the_drawing_shows_the_courses_dZ_dA_dW_db(cat, course_norms):
    src = viz.draw_graph(cat[3], show="both").source
    for name in SHOWN:
        shown = float(re.search(rf'label="{name}\|[^"]*\\\|\\\|{name}\\\|\\\| = ([0-9.e+-]+)"', src).group(1))
        assert shown == pytest.approx(course_norms[name], rel=5e-3), name
    assert "m = 209 examples" in src and "dZ = m" in src  # the convention, stated in the legend


def test_the_explorer_shows_the_same_numbers(cat, course_norms):
    data = viz.explore(cat[3]).data
    tensors = {t["name"]: t for t in data["tensors"].values()}
    for name in SHOWN:
        assert tensors[name[1:]]["grad"]["norm"] == pytest.approx(course_norms[name], rel=1e-4), name
    assert tensors["Z4"]["grad_scale"] == 209 and tensors["W4"]["grad_scale"] == 1
    steps = "\n".join(line for s in data["steps"] if s["pass"] == "backward" for line in s["lines"])
    shown = float(re.search(r"dZ4 = .*\|\|dZ4\|\| = ([0-9.e+-]+)", steps).group(1))
    assert shown == pytest.approx(course_norms["dZ4"], rel=5e-3)
    assert "m = 209 examples" in data["course_note"]


def test_explain_mode_prints_the_same_numbers(cat, course_norms):
    model, X, Y, _ = cat
    out = io.StringIO()
    nn.binary_cross_entropy(model(Tensor(X, name="X")), Y).backward(explain=out)
    text = out.getvalue()
    assert "dZ = m * dJ/dZ" in text.splitlines()[0]
    printed = dict(re.findall(r"\|\|(d\w+)\|\| = ([0-9.e+-]+)", text))
    for name in SHOWN + ("dA4",):
        assert float(printed[name]) == pytest.approx(course_norms[name], rel=5e-3), name


def test_the_closed_form_report_shows_the_same_numbers(cat, course_norms):
    model, X, Y, _ = cat
    report = nn.check_against_closed_form(model, X, Y, verbose=False)
    for name in SHOWN:
        assert report.norms[name] == pytest.approx(course_norms[name], rel=1e-6), name


# ----- 2. a drawing that fits a screen -------------------------------------------------------------------------------
def svg_size_px(svg: str) -> tuple[float, float]:
    w, h = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(w) * 4 / 3, float(h) * 4 / 3  # CSS pixels: 96 per inch, 72 points per inch


@pytest.mark.skipif(not rendering.renderer_available(), reason="no Graphviz renderer (dot or pygraphviz)")
def test_the_cat_graph_fits_a_screen_with_readable_text(cat):
    g = viz.draw_graph(cat[3], show="both")
    svg = rendering.svg_text(g)
    width, height = svg_size_px(svg)
    assert width <= 1600 and height <= 1800, (width, height)  # was 4241 x 2120 px
    sizes = {float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)}
    assert min(sizes) >= 11, sizes  # was 9 pt
    assert "cluster_legend" not in g.source and "legend_" not in g.source  # the legend is beside the title
    assert re.search(r"graph \[[^\]]*label=<<table", g.source)


def test_cache_edges_are_light_and_optional(cat):
    with_caches = viz.draw_graph(cat[3], show="both").source
    dotted = re.findall(r"\[([^\]]*style=dotted[^\]]*)\]", with_caches)
    assert dotted and all('color="#cbd5e1"' in attrs and "penwidth=0.8" in attrs for attrs in dotted)
    assert "style=dotted" not in viz.draw_graph(cat[3], show="both", caches=False).source


def test_the_explorer_draws_the_same_drawing(cat):
    from viz.explorer import drawn_ids

    g = viz.draw_graph(cat[3], show="both")
    assert set(viz.explore(cat[3]).data["svg"]) <= drawn_ids(g.source)


# ----- 4. a missing extra is named ----------------------------------------------------------------------------------
def test_missing_graphviz_names_the_extra(monkeypatch):
    J = (Tensor(np.ones(2), requires_grad=True, name="x") * 2.0).sum()
    graph = viz.draw_graph(J)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if not installed
    with pytest.raises(ImportError, match=r"draw_graph needs graphviz: pip install 'tinygrad-nb\[viz\]'"):
        viz.draw_graph(J)
    with pytest.raises(ImportError, match=r"render needs graphviz: pip install 'tinygrad-nb\[viz\]'"):
        rendering.render(graph, "never.svg")


def test_missing_matplotlib_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for call, who in ((lambda: viz.plot_costs([0.5, 0.4]), "plot_costs"),
                      (lambda: viz.plot_gradient_check(nn.training.reference.ClosedFormReport([("dZ1", (1, 2), 0.0)])),
                       "plot_gradient_check")):
        with pytest.raises(ImportError, match=rf"{who} needs matplotlib: pip install 'tinygrad-nb\[viz\]'"):
            call()

