"""A CNN's graph in the course's notation: conv2d and pool2d nodes, activations shaped (m, n_H, n_W, n_C), and
the explorer's forward formula for a convolution (Z[l] = W[l] * A[l-1] + b[l])."""

import numpy as np
import pytest

from tinygrad_nb import Tensor, conv2d, linear, pool2d


def small_cnn():
    rs = np.random.RandomState(0)
    X = Tensor(rs.randn(2, 6, 6, 3), name="X")
    W1 = Tensor(rs.randn(3, 3, 3, 4), requires_grad=True, name="W1")
    b1 = Tensor(np.zeros((1, 1, 1, 4)), requires_grad=True, name="b1")
    Z1 = conv2d(X, W1, b1, pad=1)
    Z1.name = "Z1"
    A1 = pool2d(Z1.relu(), 2)
    A1.name = "A1"
    W2 = Tensor(rs.randn(1, 36), requires_grad=True, name="W2")
    b2 = Tensor(np.zeros((1, 1)), requires_grad=True, name="b2")
    J = linear(W2, A1.reshape(2, -1).T, b2).sigmoid().mean()
    J.name = "J"
    return J


def test_the_graph_names_conv_and_pool_with_course_4_shapes():
    viz = pytest.importorskip("viz.graph", reason="viz needs graphviz: pip install 'tinygrad-nb[viz]'")
    source = viz.draw_graph(small_cnn()).source
    assert "label=conv2d" in source and "label=pool2d" in source
    assert '"Z1|(2, 6, 6, 4)"' in source  # (m, n_H, n_W, n_C)
    assert '"A1|(2, 3, 3, 4)"' in source


def test_the_explorer_shows_the_convolution_formula(tmp_path):
    viz = pytest.importorskip("viz", reason="viz needs graphviz: pip install 'tinygrad-nb[viz]'")
    page = viz.save_html(small_cnn(), tmp_path / "cnn.html").read_text(encoding="utf-8")
    assert "Z1 = W1 * X + b1 (convolution" in page
    assert "A1 = pool(" in page
