"""render (with and without a renderer), the plots as valid PNG files (returned figures, no pyplot state),
the CLI's pictures, and missing extras named."""

import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import nn
import viz
from tinygrad_nb import Tensor
from tinygrad_nb_cli.cli import main
from viz import rendering
from viz import rendering as render_module

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_graph():
    model = nn.MLP([2, 3, 1], rng=0)
    J = nn.binary_cross_entropy(model(Tensor(np.ones((2, 4)), name="X")), np.array([[0, 1, 0, 1.0]]))
    return viz.draw_graph(J)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, "not a PNG file"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(not render_module.renderer_available(), reason="no Graphviz renderer (dot or pygraphviz)")
def test_render_svg_png_pdf_and_dot(tmp_path):
    g = small_graph()
    assert viz.render(g, tmp_path / "g.svg") == tmp_path / "g.svg"
    svg = (tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "W1" in svg and "layer 1" in svg
    assert (tmp_path / "g.dot").read_text() == g.source
    viz.render(g, tmp_path / "g.png")
    assert png_size(tmp_path / "g.png")[0] > 100
    viz.render(g, tmp_path / "g.pdf")
    assert (tmp_path / "g.pdf").read_bytes()[:4] == b"%PDF"
    assert "<svg" in g._repr_mimebundle_()["image/svg+xml"]


def test_without_a_renderer_the_dot_is_kept_with_one_message(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "_dot_program", lambda: None)
    monkeypatch.setattr(render_module, "_pygraphviz", lambda: None)
    with pytest.warns(viz.RendererNotFoundWarning) as caught:
        written = viz.render(small_graph(), tmp_path / "g.svg")
    assert written == tmp_path / "g.dot" and written.read_text().startswith("digraph")
    assert not (tmp_path / "g.svg").exists() and len(caught) == 1
    message = str(caught[0].message)
    assert "apt-get install graphviz" in message and "tinygrad-nb[render]" in message


def test_render_refuses_unknown_suffix_and_types(tmp_path):
    with pytest.raises(ValueError, match="unsupported suffix"):
        viz.render(small_graph(), tmp_path / "g.jpg")
    with pytest.raises(TypeError, match="Digraph"):
        viz.render("digraph {}", tmp_path / "g.svg")


def test_plot_costs_writes_a_png(tmp_path):
    fig = viz.plot_costs([0.7, 0.5, 0.3, 0.2], tmp_path / "costs.png", learning_rate=0.0075)  # positional path
    assert fig.axes[0].get_title() == "Learning rate = 0.0075"
    width, height = png_size(tmp_path / "costs.png")
    assert width > 300 and height > 200


def test_plot_decision_boundary_and_gradient_check(tmp_path):
    data = nn.datasets.planar(m=40)
    model = nn.MLP([2, 4, 1], hidden="tanh", rng=1)
    viz.plot_decision_boundary(model, data.X, data.Y, tmp_path / "boundary.png", resolution=50)
    png_size(tmp_path / "boundary.png")
    report = nn.check_against_closed_form(model, data.X, data.Y, verbose=False)
    viz.plot_gradient_check(report, tmp_path / "check.png")
    png_size(tmp_path / "check.png")
    with pytest.raises(ValueError, match=r"\(2, m\)"):
        viz.plot_decision_boundary(model, np.ones((3, 4)), np.ones((1, 4)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="non-empty"):
        viz.plot_costs([], tmp_path / "c.png")


def test_plot_decision_boundary_takes_a_dataset_as_fit_does_and_hints_at_the_transpose(tmp_path):
    data = nn.datasets.planar(m=40)
    model = nn.MLP([2, 4, 1], hidden="tanh", rng=1)
    fig = viz.plot_decision_boundary(model, data, path=tmp_path / "b.png", resolution=30)
    points = fig.axes[0].collections[-1].get_offsets()  # the scatter: the data's m points
    np.testing.assert_array_equal(np.asarray(points), data.X.T)
    png_size(tmp_path / "b.png")
    with pytest.raises(ValueError, match=r"got \(40, 2\); did you mean X\.T\?"):
        viz.plot_decision_boundary(model, data.X.T, data.Y)
    with pytest.raises(ValueError, match=r"did you mean Y\.T\?"):
        viz.plot_decision_boundary(model, data.X, data.Y.T)
    with pytest.raises(TypeError, match="plot_decision_boundary: given a Dataset .*leave Y out"):
        viz.plot_decision_boundary(model, data, data.Y)


def test_plot_costs_without_a_learning_rate_has_no_question_mark():
    assert viz.plot_costs([0.7, 0.5]).axes[0].get_title() == "Learning curve"
    assert viz.plot_costs({"costs": [0.7, 0.5], "learning_rate": 0.1}).axes[0].get_title() == "Learning rate = 0.1"


def test_cli_train_writes_graph_and_costs_plot(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error", viz.RendererNotFoundWarning)
        assert main(["train", "--dataset", "planar", "--hidden", "tanh", "--lr", "1.2", "--iterations", "200",
                     "--out", str(tmp_path), "--no-progress"]) == 0
    png_size(tmp_path / "costs.png")
    assert (tmp_path / "graph.dot").is_file()
    if render_module.renderer_available():
        assert "<svg" in (tmp_path / "graph.svg").read_text()


def test_cli_graph_from_dims_and_from_a_saved_model(tmp_path, capsys):
    assert main(["graph", "--layers", "6,4,3,1", "--m", "7", "--out", str(tmp_path / "g.dot")]) == 0
    assert 'label="dW1|(4, 6)|' in (tmp_path / "g.dot").read_text()
    nn.save(nn.MLP([5, 2, 1], rng=0), tmp_path / "model.h5")
    assert main(["graph", "--model", str(tmp_path / "model.h5"), "--out", str(tmp_path / "h.dot")]) == 0
    assert 'label="W2|(1, 2)"' in (tmp_path / "h.dot").read_text()
    assert "drew" in capsys.readouterr().out
    assert main(["graph", "--out", str(tmp_path / "x.dot")]) == 2


def test_viz_render_draws_a_tensor_first_and_the_low_level_render_wants_a_drawing(tmp_path):
    model = nn.MLP([2, 3, 1], rng=0)
    J = nn.binary_cross_entropy(model(Tensor(np.ones((2, 4)), name="X")), np.array([[0, 1, 0, 1.0]]))
    assert viz.render(J, tmp_path / "j.dot").read_text() == viz.draw_graph(J).source
    with pytest.raises(TypeError, match="draw_graph"):
        render_module.render(J, tmp_path / "k.dot")


def test_the_no_renderer_warning_points_at_the_callers_line(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "_dot_program", lambda: None)
    monkeypatch.setattr(render_module, "_pygraphviz", lambda: None)
    for render in (viz.render, render_module.render):
        with pytest.warns(viz.RendererNotFoundWarning) as caught:
            render(small_graph(), tmp_path / "g.svg")
        assert caught[0].filename == __file__
ROOT = Path(__file__).resolve().parents[2]


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
