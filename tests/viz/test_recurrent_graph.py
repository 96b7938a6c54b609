"""An RNN unrolled over T_x = 3 steps reads as the course's diagram: x<1>, a<1>, y<1>, ... in the drawing and in
the explorer page; an LSTM's gates and cell state are named f<t>, i<t>, c~<t>, o<t>, c<t>."""

import numpy as np
import pytest

from nn.layers.recurrent import LSTM, RNN

T_X = 3


def rnn_cost(layer):
    x = np.random.RandomState(0).randn(3, 4, T_X)  # (n_x, m, T_x)
    Y = np.eye(2)[:, np.random.RandomState(1).randint(0, 2, size=(4, T_X))]  # one-hot (n_y, m, T_x)
    y_pred = layer(x)[1]
    J = -(y_pred.log() * Y).sum() / 4
    J.name = "J"
    return J


def test_the_graph_of_an_rnn_names_each_step_as_the_course():
    viz = pytest.importorskip("viz.graph", reason="viz needs graphviz: pip install 'tinygrad-nb[viz]'")
    source = viz.draw_graph(rnn_cost(RNN(3, 5, 2, rng=1))).source
    for t in range(1, T_X + 1):  # a record label escapes < and >: a\<1\>
        for name in (f"a\\<{t}\\>", f"y\\<{t}\\>", f"x\\<{t}\\>", f"z\\<{t}\\>", f"(Waa a\\<{t - 1}\\>)"):
            assert f'"{name}|(' in source, name
    assert '"a\\<0\\>|(5, 4)"' in source  # the zeros a<0> the layer made
    assert '"y|(2, 4, 3)"' in source  # the stacked sequence of the predictions (J does not use a)
    assert "a\\<4\\>" not in source


def test_the_graph_of_an_lstm_names_the_gates_and_the_cell_state():
    viz = pytest.importorskip("viz.graph", reason="viz needs graphviz: pip install 'tinygrad-nb[viz]'")
    source = viz.draw_graph(rnn_cost(LSTM(3, 5, 2, rng=1))).source
    for t in range(1, T_X + 1):
        for name in ("f", "i", "c~", "o", "c", "a", "y", "concat"):
            assert f'"{name}\\<{t}\\>|(' in source, (name, t)


def test_the_explorer_page_renders_the_unrolled_rnn(tmp_path):
    viz = pytest.importorskip("viz", reason="viz needs graphviz: pip install 'tinygrad-nb[viz]'")
    page = viz.save_html(rnn_cost(RNN(3, 5, 2, rng=1)), tmp_path / "rnn.html").read_text(encoding="utf-8")
    for t in range(1, T_X + 1):
        assert f"a&lt;{t}&gt;" in page  # in the drawing (SVG)


def test_the_explorer_data_has_the_course_names_formulas_and_backward_steps():
    viz = pytest.importorskip("viz", reason="viz needs graphviz: pip install 'tinygrad-nb[viz]'")
    data = viz.explore(rnn_cost(RNN(3, 5, 2, rng=1))).data
    by_name = {t["name"]: t for t in data["tensors"].values()}
    assert {f"a<{t}>" for t in range(T_X + 1)} <= set(by_name)
    assert by_name["a<2>"]["forward"] == "a<2> = tanh(z<2>)"
    assert by_name["z<2>"]["forward"] == "z<2> = (Wax x<2> + ba) + (Waa a<1>)"
    assert [line["text"] for line in by_name["z<2>"]["grad_lines"]] == [
        "dz<2> = da<2> * tanh'(z<2>) = (1 - a<2>^2) * da<2>"]
    waa = [line["text"] for line in by_name["Waa"]["grad_lines"]]
    assert "dWaa += d(Waa a<1>) a<1>^T" in waa or "dWaa = d(Waa a<1>) a<1>^T" in waa


def test_a_tensor_passed_in_keeps_its_name():
    from tinygrad_nb import Tensor

    x = Tensor(np.zeros((3, 2, 2)), name="words")
    a0 = Tensor(np.zeros((5, 2)), name="h0")
    RNN(3, 5, 2)(x, a0)
    assert (x.name, a0.name) == ("words", "h0")
    layer = RNN(3, 5, 2)
    layer(np.zeros((3, 2, 2)))
    assert [p.name for p in layer.parameters()] == ["Wax", "Waa", "Wya", "ba", "by"]
