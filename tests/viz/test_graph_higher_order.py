"""draw_graph on graphs of higher-order derivatives: gradients named by what made them (dx, d2x, ... d7x), and
the collapse past max_nodes said on the drawing, with how to see every node."""

import re

import numpy as np
import pytest

import viz
from tinygrad_nb import Tensor, grad
from viz.graph import display_name, node_count, walk


def nth_derivative(n, x):
    g = x.tanh()
    for _ in range(n):
        (g,) = grad(g, x, create_graph=True)
    return g


def declared_nodes(source):
    """The ids of the tensor and op nodes a DOT source declares (not the summary node, not edges)."""
    return re.findall(r"^\s*((?:op_)?t\d+) \[", source, re.M)


def labels(source):
    return re.findall(r'\[label="([^"<]*)"', source)


@pytest.fixture(scope="module")
def seventh():
    x = Tensor(0.5, requires_grad=True, name="x")
    return x, nth_derivative(7, x)


def test_gradients_are_named_by_their_order_and_source():
    x = Tensor(0.5, requires_grad=True, name="x")
    assert [display_name(nth_derivative(n, x)) for n in (1, 2, 3, 7)] == ["dx", "d2x", "d3x", "d7x"]
    W1 = Tensor(np.ones((2, 2)), requires_grad=True, name="W1")
    ((W1 * W1).sum()).backward(create_graph=True)
    assert display_name(W1.grad) == "dW1"  # the course's name for dJ/dW1
    assert display_name(x.tanh()) == ""  # no gradient, no name: its shape alone


def test_a_name_the_user_gives_wins():
    x = Tensor(0.5, requires_grad=True, name="x")
    g = nth_derivative(2, x)
    g.name = "curvature"
    assert display_name(g) == "curvature"
    assert 'label="curvature|()"' in viz.draw_graph(g).source


def test_unnamed_sources_are_named_by_the_op_that_made_them_or_as_a_leaf():
    x = Tensor(0.5, requires_grad=True)
    h = x.tanh()
    gh, gx = grad((h * h).sum(), [h, x], create_graph=True)
    assert display_name(gh) == "d(tanh)" and display_name(gx) == "d(leaf)"
    named = Tensor(0.5, requires_grad=True, name="x")
    (gg,) = grad(nth_derivative(1, named) ** 2, [named], create_graph=True)
    assert display_name(gg) == "d2x"


def test_one_gradient_handed_to_two_tensors_is_named_for_both():
    x, y = Tensor(1.0, requires_grad=True, name="x"), Tensor(2.0, requires_grad=True, name="y")
    gx, gy = grad(x + y, [x, y], create_graph=True)
    if gx is gy:
        assert display_name(gx) in ("dx = dy", "dy = dx")
    else:
        assert (display_name(gx), display_name(gy)) == ("dx", "dy")


def test_the_drawing_labels_the_gradient_output_and_its_backward_view():
    x = Tensor(0.5, requires_grad=True, name="x")
    g = nth_derivative(2, x)
    forward = viz.draw_graph(g).source
    assert 'label="d2x|()"' in forward and "<b>d2x: " in forward  # the node and the title
    backward = viz.draw_graph(g, show="backward").source
    assert 'label="dd2x|()"' in backward


def test_the_seventh_derivative_of_tanh_has_1851_nodes_and_max_nodes_none_draws_them_all(seventh):
    _, d7 = seventh
    nodes = walk(d7)
    assert node_count(nodes) == 1851  # the number the docs quote: 932 tensors, 919 of them with an op
    assert len(nodes) == 932
    everything = viz.draw_graph(d7, max_nodes=None).source
    assert len(declared_nodes(everything)) == 1851 and "hidden" not in everything


def test_a_collapsed_drawing_says_how_many_nodes_it_hides_and_how_to_see_them(seventh):
    _, d7 = seventh
    src = viz.draw_graph(d7).source  # the default max_nodes=500
    drawn = len(declared_nodes(src))
    match = re.search(r"\u2026 ([\d,]+) nodes hidden: ([\d,]+) more tensors", src)
    assert match, "no summary node"
    hidden = int(match.group(1).replace(",", ""))
    assert drawn + hidden == 1851 and drawn <= 500
    assert "draw_graph(..., max_nodes=None) shows all" in src
    assert f"{hidden:,} nodes hidden in the middle (max_nodes=None shows all)" in src  # the title too
    assert 'label="d7x|()"' in src  # the output stays drawn


def test_max_nodes_is_checked():
    J = Tensor(1.0, requires_grad=True).tanh()
    for bad in (3, 2.5, "all", True):
        with pytest.raises(ValueError, match=r"draw_graph: max_nodes must be an int >= 4, or None"):
            viz.draw_graph(J, max_nodes=bad)
    assert "hidden" not in viz.draw_graph(J, max_nodes=4).source  # 3 nodes: nothing to collapse
