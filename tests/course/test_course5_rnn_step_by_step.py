"""Course 5 week 1, "Building your Recurrent Neural Network - Step by Step", through the public API.

Each check of the notebook runs with its seeds and draw order: the recurrent layers (``RNNCell``, ``RNN``,
``LSTMCell``, ``LSTM``, given the notebook's parameter dicts through ``load_state_dict``) and the engine's
backward must print the notebook's numbers, to the digits it prints, and agree with the notebook's own loops
(``_course5_notebook.py``) to 1e-12, on those inputs and on random sizes.

The printed numbers are the outputs saved in a run copy of the v3 notebook:
github.com/Tosmahdess/Building-a-Recurrent-Neural-Network---Step-by-Step---v3, file
"Building+a+Recurrent+Neural+Network+-+Step+by+Step+-+v3.ipynb" (commit 0c203db), cells 7 (rnn_cell_forward),
11 (rnn_forward), 17 (lstm_cell_forward), 21 (lstm_forward), 28 (rnn_cell_backward), 32 (rnn_backward) and
37 (lstm_cell_backward); the same numbers are the "Expected Output" tables of the notebook's other copies.
The notebook's lstm_backward output (cell 41) is not checked: no correct gradient gives it (its test cell
also reuses Wy, by from an earlier cell), so lstm_backward is checked against the loops only.
"""

import numpy as np
import pytest
from _course5_notebook import (
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.layers.recurrent import LSTM, RNN, LSTMCell, RNNCell
from tinygrad_nb import Tensor

TOL = {"rtol": 1e-12, "atol": 1e-12}


def printed(value: float, text: str) -> bool:
    """Whether ``value`` prints as the notebook's ``text`` at the digits shown there."""
    decimals = len(text.split(".")[1])
    return round(float(value), decimals) == float(text)


def all_printed(values, text: str) -> bool:
    shown = text.split()
    return len(shown) == len(values) and all(printed(v, s) for v, s in zip(values, shown, strict=True))


def leaf(a):
    return Tensor(a, requires_grad=True)


def draw(*shapes):
    return [np.random.randn(*shape) for shape in shapes]


def rnn_parameters(order):
    """The notebook's RNN parameters drawn in ``order`` (the forward cells draw Waa first, the backward ones Wax)."""
    shapes = {"Waa": (5, 5), "Wax": (5, 3), "Wya": (2, 5), "ba": (5, 1), "by": (2, 1)}
    return {name: np.random.randn(*shapes[name]) for name in order}


def lstm_parameters():
    """The notebook's LSTM parameters, in its draw order: Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by."""
    shapes = [("Wf", (5, 8)), ("bf", (5, 1)), ("Wi", (5, 8)), ("bi", (5, 1)), ("Wo", (5, 8)), ("bo", (5, 1)),
              ("Wc", (5, 8)), ("bc", (5, 1)), ("Wy", (2, 5)), ("by", (2, 1))]
    return {name: np.random.randn(*shape) for name, shape in shapes}


def model(cls, parameters, n_x=3, n_a=5, n_y=2):
    layer = cls(n_x, n_a, n_y)
    layer.load_state_dict(parameters)  # the course's dict, as it is
    return layer


FORWARD_ORDER = ("Waa", "Wax", "Wya", "ba", "by")


def test_rnn_cell_forward():  # cell 7
    np.random.seed(1)
    xt, a_prev = draw((3, 10), (5, 10))
    parameters = rnn_parameters(FORWARD_ORDER)
    a_next, yt_pred = model(RNNCell, parameters)(xt, a_prev)
    assert a_next.shape == (5, 10) and yt_pred.shape == (2, 10)
    assert all_printed(a_next.data[4], "0.59584544 0.18141802 0.61311866 0.99808218 0.85016201 0.99980978 "
                                       "-0.18887155 0.99815551 0.6531151 0.82872037")
    assert all_printed(yt_pred.data[1], "0.9888161 0.01682021 0.21140899 0.36817467 0.98988387 0.88945212 "
                                        "0.36920224 0.9966312 0.9982559 0.17746526")
    a_loop, y_loop, _ = rnn_cell_forward(xt, a_prev, parameters)
    np.testing.assert_allclose(a_next.data, a_loop, **TOL)
    np.testing.assert_allclose(yt_pred.data, y_loop, **TOL)


def test_rnn_forward():  # cell 11
    np.random.seed(1)
    x, a0 = draw((3, 10, 4), (5, 10))
    parameters = rnn_parameters(FORWARD_ORDER)
    a, y_pred = model(RNN, parameters)(x, a0)
    assert a.shape == (5, 10, 4) and y_pred.shape == (2, 10, 4)
    assert all_printed(a.data[4][1], "-0.99999375 0.77911235 -0.99861469 -0.99833267")
    assert all_printed(y_pred.data[1][3], "0.79560373 0.86224861 0.11118257 0.81515947")
    a_loop, y_loop, _ = rnn_forward(x, a0, parameters)
    np.testing.assert_allclose(a.data, a_loop, **TOL)
    np.testing.assert_allclose(y_pred.data, y_loop, **TOL)


def test_lstm_cell_forward():  # cell 17
    np.random.seed(1)
    xt, a_prev, c_prev = draw((3, 10), (5, 10), (5, 10))
    parameters = lstm_parameters()
    a_next, c_next, yt = model(LSTMCell, parameters)(xt, a_prev, c_prev)
    assert a_next.shape == c_next.shape == (5, 10) and yt.shape == (2, 10)
    assert all_printed(a_next.data[4], "-0.66408471 0.0036921 0.02088357 0.22834167 -0.85575339 0.00138482 "
                                       "0.76566531 0.34631421 -0.00215674 0.43827275")
    assert all_printed(c_next.data[2], "0.63267805 1.00570849 0.35504474 0.20690913 -1.64566718 0.11832942 "
                                       "0.76449811 -0.0981561 -0.74348425 -0.26810932")
    assert all_printed(yt.data[1], "0.79913913 0.15986619 0.22412122 0.15606108 0.97057211 0.31146381 "
                                   "0.00943007 0.12666353 0.39380172 0.07828381")
    for mine, theirs in zip((a_next, c_next, yt), lstm_cell_forward(xt, a_prev, c_prev, parameters)[:3], strict=True):
        np.testing.assert_allclose(mine.data, theirs, **TOL)


def test_lstm_forward():  # cell 21
    np.random.seed(1)
    x, a0 = draw((3, 10, 7), (5, 10))
    parameters = lstm_parameters()
    a, y, c = model(LSTM, parameters)(x, a0)
    assert a.shape == c.shape == (5, 10, 7) and y.shape == (2, 10, 7)
    assert printed(a.data[4][3][6], "0.172117767533")
    assert printed(y.data[1][4][3], "0.95087346185")
    assert printed(c.data[1][2][1], "-0.855544916718")
    for mine, theirs in zip((a, y, c), lstm_forward(x, a0, parameters)[:3], strict=True):
        np.testing.assert_allclose(mine.data, theirs, **TOL)


def test_rnn_backward():  # cell 32: the gradients of sum(da * a), da drawn after the parameters
    np.random.seed(1)
    x, a0 = draw((3, 10, 4), (5, 10))
    parameters = rnn_parameters(("Wax", "Waa", "Wya", "ba", "by"))
    da = np.random.randn(5, 10, 4)
    rnn = model(RNN, parameters)
    x_t, a0_t = leaf(x), leaf(a0)
    a, _ = rnn(x_t, a0_t)
    a.backward(da)  # the gradient of sum(da * a): the notebook's rnn_backward(da, caches)
    dx, da0 = x_t.grad.data, a0_t.grad.data
    dWax, dWaa, dba = rnn.Wax.grad.data, rnn.Waa.grad.data, rnn.ba.grad.data
    assert dx.shape == (3, 10, 4) and da0.shape == (5, 10) and dWax.shape == (5, 3) and dba.shape == (5, 1)
    assert all_printed(dx[1][2], "-2.07101689 -0.59255627 0.02466855 0.01483317")
    assert printed(da0[2][3], "-0.314942375127")
    assert printed(dWax[3][1], "11.2641044965")
    assert printed(dWaa[1][2], "2.30333312658")
    assert printed(dba[4][0], "-0.74747722")
    assert rnn.Wya.grad is None or not rnn.Wya.grad.data.any()  # the loss is of a alone: y takes no gradient
    oracle = rnn_backward(da, rnn_forward(x, a0, parameters)[2])
    for mine, key in ((dx, "dx"), (da0, "da0"), (dWax, "dWax"), (dWaa, "dWaa"), (dba, "dba")):
        np.testing.assert_allclose(mine, oracle[key], **TOL)


def test_rnn_cell_backward():  # cell 28
    # The notebook's cell draws a b it never uses: its parameters take the ba of the rnn_forward cell (11) run
    # before it, a notebook global; that ba is drawn here the same way.
    np.random.seed(1)
    draw((3, 10, 4), (5, 10), (5, 5), (5, 3), (2, 5))
    (ba,) = draw((5, 1))
    np.random.seed(1)
    xt, a_prev, Wax, Waa, Wya, _b, by = draw((3, 10), (5, 10), (5, 3), (5, 5), (2, 5), (5, 1), (2, 1))
    parameters = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "ba": ba, "by": by}
    da_next = np.random.randn(5, 10)
    cell = model(RNNCell, parameters)
    xt_t, a_prev_t = leaf(xt), leaf(a_prev)
    a_next, _ = cell(xt_t, a_prev_t)
    a_next.backward(da_next)
    assert printed(xt_t.grad.data[1][2], "-0.460564103059")
    assert printed(a_prev_t.grad.data[2][3], "0.0842968653807")
    assert printed(cell.Wax.grad.data[3][1], "0.393081873922")
    assert printed(cell.Waa.grad.data[1][2], "-0.28483955787")
    assert printed(cell.ba.grad.data[4][0], "0.80517166")
    oracle = rnn_cell_backward(da_next, rnn_cell_forward(xt, a_prev, parameters)[2])
    for mine, key in ((xt_t, "dxt"), (a_prev_t, "da_prev"), (cell.Wax, "dWax"), (cell.Waa, "dWaa"), (cell.ba, "dba")):
        np.testing.assert_allclose(mine.grad.data, oracle[key], **TOL)


def test_lstm_cell_backward():  # cell 37: the gradients of sum(da_next * a_next + dc_next * c_next)
    np.random.seed(1)
    xt, a_prev, c_prev = draw((3, 10), (5, 10), (5, 10))
    parameters = lstm_parameters()
    da_next, dc_next = draw((5, 10), (5, 10))
    cell = model(LSTMCell, parameters)
    xt_t, a_prev_t, c_prev_t = leaf(xt), leaf(a_prev), leaf(c_prev)
    a_next, c_next, _ = cell(xt_t, a_prev_t, c_prev_t)
    ((a_next * da_next).sum() + (c_next * dc_next).sum()).backward()
    shown = {"dxt": (xt_t, 1, 2, "3.23055911511"), "da_prev": (a_prev_t, 2, 3, "-0.0639621419711"),
             "dc_prev": (c_prev_t, 2, 3, "0.797522038797"), "dWf": (cell.Wf, 3, 1, "-0.147954838164"),
             "dWi": (cell.Wi, 1, 2, "1.05749805523"), "dWc": (cell.Wc, 3, 1, "2.30456216369"),
             "dWo": (cell.Wo, 1, 2, "0.331311595289"), "dbf": (cell.bf, 4, 0, "0.18864637"),
             "dbi": (cell.bi, 4, 0, "-0.40142491"), "dbc": (cell.bc, 4, 0, "0.25587763"),
             "dbo": (cell.bo, 4, 0, "0.13893342")}
    oracle = lstm_cell_backward(da_next, dc_next, lstm_cell_forward(xt, a_prev, c_prev, parameters)[3])
    for key, (t, i, j, text) in shown.items():
        assert printed(t.grad.data[i][j], text), key
        np.testing.assert_allclose(t.grad.data, oracle[key], **TOL)


def test_lstm_backward_agrees_with_the_loops():  # cell 41's inputs; its printed numbers are not checked (see above)
    np.random.seed(1)
    x, a0 = draw((3, 10, 7), (5, 10))
    parameters = lstm_parameters()
    da = np.random.randn(5, 10, 7)
    lstm = model(LSTM, parameters)
    x_t, a0_t = leaf(x), leaf(a0)
    a, _, _ = lstm(x_t, a0_t)
    a.backward(da)
    oracle = lstm_backward(da, lstm_forward(x, a0, parameters)[3])
    np.testing.assert_allclose(x_t.grad.data, oracle["dx"], **TOL)
    np.testing.assert_allclose(a0_t.grad.data, oracle["da0"], **TOL)
    for name in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"):
        np.testing.assert_allclose(getattr(lstm, name).grad.data, oracle["d" + name], **TOL)


@settings(max_examples=25, deadline=None)
@given(n_x=st.integers(1, 4), n_a=st.integers(1, 5), n_y=st.integers(1, 4), m=st.integers(1, 4),
       T_x=st.integers(1, 5), lstm=st.booleans(), seed=st.integers(0, 2**16))
def test_the_layers_and_their_gradients_agree_with_the_notebooks_loops(n_x, n_a, n_y, m, T_x, lstm, seed):
    rs = np.random.RandomState(seed)
    layer = (LSTM if lstm else RNN)(n_x, n_a, n_y, init="xavier", rng=rs)
    for p in layer.parameters():  # biases off zero, so that their gradients are tested where they matter
        p.data = rs.randn(*p.shape) * 0.5
    parameters = layer.state_dict()
    x, a0 = rs.randn(n_x, m, T_x), rs.randn(n_a, m)
    x_t, a0_t = leaf(x), leaf(a0)
    outputs = layer(x_t, a0_t)
    loops = (lstm_forward if lstm else rnn_forward)(x, a0, parameters)
    for mine, theirs in zip(outputs, loops[:-1], strict=True):
        np.testing.assert_allclose(mine.data, theirs, **TOL)
    da = rs.randn(n_a, m, T_x)
    outputs[0].backward(da)
    oracle = (lstm_backward if lstm else rnn_backward)(da, loops[-1])
    np.testing.assert_allclose(x_t.grad.data, oracle["dx"], **TOL)
    np.testing.assert_allclose(a0_t.grad.data, oracle["da0"], **TOL)
    for name, p in layer.named_parameters():
        if "d" + name in oracle:
            np.testing.assert_allclose(p.grad.data, oracle["d" + name], **TOL)


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_the_course_initialisation(cls):
    """randn * 0.01 drawn from np.random.seed(1) in the course's order (Wax, Waa, Wya: initialize_parameters of the
    character-level model); the biases start at zero."""
    layer = cls(4, 6, 4, rng=1)
    np.random.seed(1)
    names = ("Wax", "Waa", "Wya") if cls is RNN else ("Wf", "Wi", "Wc", "Wo", "Wy")
    for name in names:
        W = getattr(layer, name)
        np.testing.assert_array_equal(W.data, np.random.randn(*W.shape) * 0.01)
    for name, p in layer.named_parameters():
        if name.startswith("b"):
            assert not p.data.any()
