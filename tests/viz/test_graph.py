"""draw_graph: DOT structure, course names, clusters, escaping, stable ids, collapse, the 100,000-node chain."""

import pickle
import re

import graphviz
import numpy as np
import pytest

import nn
import viz
from tinygrad_nb import Tensor


def two_layer_cost(seed=0, backward=False):
    model = nn.MLP([3, 4, 1], rng=seed)
    X = Tensor(np.random.RandomState(seed).rand(3, 5), name="X")
    J = nn.binary_cross_entropy(model(X), np.array([[0, 1, 1, 0, 1.0]]))
    if backward:
        J.backward(retain_graph=True)
    return J


def labels(source):
    return re.findall(r'\[label="([^"<]*)"', source)


def test_forward_nodes_carry_course_names_and_shapes():
    src = viz.draw_graph(two_layer_cost()).source
    names = {label.split("|")[0] for label in labels(src)}
    assert {"X", "W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "J"} <= names
    assert 'label="W1|(4, 3)"' in src and 'label="Z1|(4, 5)"' in src and 'label="J|()"' in src
    assert "subgraph cluster_layer1_f" in src and "subgraph cluster_layer2_f" in src
    assert 'label="layer 1"' in src and "legend" in src
    assert src.count("label=linear") == 2 and src.count("label=sigmoid") == 1  # one op per Z = W A + b


def test_kinds_have_distinct_colours():
    src = viz.draw_graph(two_layer_cost()).source
    colour = {m.group(1).split("|")[0]: m.group(2)
              for m in re.finditer(r'\[label="([^"]*)" fillcolor="([^"]+)"', src)}
    assert colour["W1"] == colour["b2"]  # parameters
    assert len({colour["W1"], colour["X"], colour["Z1"], colour["J"]}) == 4
    assert re.search(r'label="W1\|\(4, 3\)"[^\]]*shape=Mrecord', src)  # and shape: rounded parameters
    assert re.search(r'label="J\|\(\)"[^\]]*penwidth=2.5', src)  # a thick border for the output


def test_backward_view_names_gradients_with_norms_after_backward():
    J = two_layer_cost(backward=True)
    src = viz.draw_graph(J, show="backward").source
    for name in ("dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"):
        assert f'label="{name}|' in src, name
    assert "dA0" not in src and "dX" not in src  # X requires no grad: dA[0] is never computed
    assert re.search(r'label="dW1\|\(4, 3\)\|\\\|\\\|dW1\\\|\\\| = [0-9.e+-]+"', src)  # || escaped as \|\|


def test_backward_norms_equal_the_gradients():
    model = nn.MLP([3, 4, 1], rng=0)
    X = Tensor(np.random.RandomState(0).rand(3, 5), name="X")
    J = nn.binary_cross_entropy(model(X), np.array([[0, 1, 1, 0, 1.0]]))
    J.backward(retain_graph=True)
    src = viz.draw_graph(J, show="backward").source
    shown = float(re.search(r'\\\|\\\|dW1\\\|\\\| = ([0-9.e+-]+)"', src).group(1))
    assert shown == pytest.approx(np.linalg.norm(model.linears()[0].W.grad.data), rel=1e-2)


def test_both_shows_forward_backward_and_caches():
    src = viz.draw_graph(two_layer_cost(backward=True), show="both").source
    assert "cluster_forward" in src and "cluster_backward" in src
    assert "style=dotted" in src  # the caches read by the backward steps
    assert 'label="W1|(4, 3)"' in src and 'label="dW1|(4, 3)|' in src


def test_ids_are_stable_across_runs():
    a = viz.draw_graph(two_layer_cost(seed=3), show="both").source
    b = viz.draw_graph(two_layer_cost(seed=3), show="both").source
    assert a == b and "0x" not in a


def test_labels_are_escaped_for_records():
    x = Tensor(np.ones((2, 2)), requires_grad=True, name="a{b}|<c>")
    src = viz.draw_graph((x * 2.0).sum()).source
    assert r"a\{b\}\|\<c\>" in src
    assert viz.escape_record('{x|"y"}') == r'\{x\|\"y\"\}'


def test_group_layers_off_has_no_layer_clusters():
    src = viz.draw_graph(two_layer_cost(), group_layers=False).source
    assert "cluster_layer" not in src


def test_chain_of_100000_is_walked_iteratively_and_collapsed():
    x = Tensor(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    src = viz.draw_graph(y, max_nodes=60).source
    assert "more tensors" in src and "mul x" in src
    assert src.count("[label=") < 120


def test_freed_graph_and_bad_arguments():
    J = two_layer_cost()
    J.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        viz.draw_graph(J)
    with pytest.raises(ValueError, match="show must be"):
        viz.draw_graph(two_layer_cost(), show="sideways")
    with pytest.raises(TypeError, match="expects a Tensor"):
        viz.draw_graph(np.ones(3))


def test_backward_steps_are_numbered_in_the_engines_order():
    src = viz.draw_graph(two_layer_cost(), show="backward").source
    numbered = sorted((int(m.group(1)), m.group(2)) for m in re.finditer(r'label="(\d+)\. ([a-z_]+)\'"', src))
    order = [op for _, op in numbered]
    assert order == ["binary_cross_entropy", "sigmoid", "linear", "relu", "linear"]
    assert 'label="1. binary_cross_entropy\'"' in src


def test_the_drawing_is_a_digraph_that_pickles():
    g = viz.draw_graph(two_layer_cost())
    assert isinstance(g, graphviz.Digraph) and type(g) is viz.graph.GraphDrawing
    assert pickle.loads(pickle.dumps(g)).source == g.source
