"""render (with and without a renderer), the plots as valid PNG files, and the CLI's pictures."""

import struct
import warnings

import numpy as np
import pytest

import nn
import viz
from tinygrad_nb import Tensor
from tinygrad_nb_cli.cli import main
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
