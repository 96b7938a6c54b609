"""The recurrent layers (``nn.layers.recurrent``): gradients against finite differences, shapes, the errors in
course notation, the course's parameter names in ``state_dict`` and ``load_state_dict`` from the course's dicts,
and the display (repr, config, summary). The notebook's numbers are in tests/course/test_course5_rnn_step_by_step.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.layers.recurrent import LSTM, RNN, LSTMCell, RNNCell
from tinygrad_nb import Tensor, gradcheck

RNN_NAMES = ["Wax", "Waa", "Wya", "ba", "by"]
LSTM_NAMES = ["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo", "Wy", "by"]


def leaf(a):
    return Tensor(a, requires_grad=True)


def randomise(layer, rs):
    """Parameters off the course's small start (and biases off zero), so every path carries a gradient."""
    for p in layer.parameters():
        p.data = rs.randn(*p.shape) * 0.7
    return layer


def weighted(outputs, rs):
    """A cost that reaches every output with its own weight: sum of W_k * output_k."""
    weights = [rs.randn(*o.shape) for o in outputs]
    return lambda outs: sum(((o * w).sum() for o, w in zip(outs, weights, strict=True)), Tensor(0.0))


sizes = {"n_x": st.integers(1, 3), "n_a": st.integers(1, 3), "n_y": st.integers(1, 3), "m": st.integers(1, 3),
         "seed": st.integers(0, 2**16)}


@settings(max_examples=20, deadline=None)
@given(**sizes)
def test_rnn_cell_gradients_match_finite_differences(n_x, n_a, n_y, m, seed):
    rs = np.random.RandomState(seed)
    cell = randomise(RNNCell(n_x, n_a, n_y), rs)
    xt, a_prev = leaf(rs.randn(n_x, m)), leaf(rs.randn(n_a, m))
    cost = weighted(cell(xt, a_prev), rs)
    result = gradcheck(lambda *_: cost(cell(xt, a_prev)), [xt, a_prev, *cell.parameters()])
    assert result, result


@settings(max_examples=20, deadline=None)
@given(**sizes)
def test_lstm_cell_gradients_match_finite_differences(n_x, n_a, n_y, m, seed):
    rs = np.random.RandomState(seed)
    cell = randomise(LSTMCell(n_x, n_a, n_y), rs)
    xt, a_prev, c_prev = leaf(rs.randn(n_x, m)), leaf(rs.randn(n_a, m)), leaf(rs.randn(n_a, m))
    cost = weighted(cell(xt, a_prev, c_prev), rs)
    result = gradcheck(lambda *_: cost(cell(xt, a_prev, c_prev)), [xt, a_prev, c_prev, *cell.parameters()])
    assert result, result


@settings(max_examples=15, deadline=None)
@given(T_x=st.integers(1, 4), lstm=st.booleans(), **sizes)
def test_sequence_gradients_through_time_match_finite_differences(T_x, lstm, n_x, n_a, n_y, m, seed):
    rs = np.random.RandomState(seed)
    layer = randomise((LSTM if lstm else RNN)(n_x, n_a, n_y), rs)
    x, a0 = leaf(rs.randn(n_x, m, T_x)), leaf(rs.randn(n_a, m))
    cost = weighted(layer(x, a0), rs)
    result = gradcheck(lambda *_: cost(layer(x, a0)), [x, a0, *layer.parameters()])
    assert result, result


def test_shapes():
    x = np.random.RandomState(0).randn(4, 6, 3)
    a, y = RNN(4, 5, 2, rng=0)(x, np.zeros((5, 6)))
    assert a.shape == (5, 6, 3) and y.shape == (2, 6, 3)
    a, y, c = LSTM(4, 5, 2, rng=0)(x)
    assert a.shape == c.shape == (5, 6, 3) and y.shape == (2, 6, 3)
    a_next, yt = RNNCell(4, 5, 2, rng=0)(x[:, :, 0])
    assert a_next.shape == (5, 6) and yt.shape == (2, 6)
    a_next, c_next, yt = LSTMCell(4, 5, 2, rng=0)(x[:, :, 0])
    assert a_next.shape == c_next.shape == (5, 6) and yt.shape == (2, 6)
    np.testing.assert_allclose(yt.data.sum(axis=0), 1.0, rtol=1e-14)  # a softmax over the n_y rows


def test_a_sequence_is_its_cell_run_step_by_step():
    rs = np.random.RandomState(3)
    rnn, lstm = randomise(RNN(3, 4, 2), rs), randomise(LSTM(3, 4, 2), rs)
    cell, lcell = RNNCell(3, 4, 2), LSTMCell(3, 4, 2)
    cell.load_state_dict(rnn.state_dict())
    lcell.load_state_dict(lstm.state_dict())
    x, a0 = rs.randn(3, 5, 4), rs.randn(4, 5)
    a, y = rnn(x, a0)
    la, ly, lc = lstm(x, a0)
    a_t, c_t, la_t = a0, np.zeros((4, 5)), a0
    for t in range(4):
        a_t, y_t = (v.data for v in cell(x[:, :, t], a_t))
        np.testing.assert_array_equal(a.data[:, :, t], a_t)
        np.testing.assert_array_equal(y.data[:, :, t], y_t)
        la_t, c_t, ly_t = (v.data for v in lcell(x[:, :, t], la_t, c_t))
        np.testing.assert_array_equal(la.data[:, :, t], la_t)
        np.testing.assert_array_equal(lc.data[:, :, t], c_t)
        np.testing.assert_array_equal(ly.data[:, :, t], ly_t)


def test_missing_initial_states_are_zeros_as_the_course():
    rs = np.random.RandomState(1)
    lstm = randomise(LSTM(2, 3, 2), rs)
    x = rs.randn(2, 4, 3)
    for mine, zero in zip(lstm(x), lstm(x, np.zeros((3, 4)), np.zeros((3, 4))), strict=True):
        np.testing.assert_array_equal(mine.data, zero.data)


@pytest.mark.parametrize(("cls", "names"), [(RNNCell, RNN_NAMES), (RNN, RNN_NAMES), (LSTMCell, LSTM_NAMES),
                                            (LSTM, LSTM_NAMES)])
def test_the_parameters_carry_the_courses_names(cls, names):
    layer = cls(3, 5, 2)
    assert list(layer.state_dict()) == names
    assert [p.name for p in layer.parameters()] == names
    shapes = {"Wax": (5, 3), "Waa": (5, 5), "Wya": (2, 5), "ba": (5, 1), "by": (2, 1), "Wy": (2, 5)}
    shapes.update({f"W{g}": (5, 8) for g in "fico"} | {f"b{g}": (5, 1) for g in "fico"})
    assert {k: v.shape for k, v in layer.state_dict().items()} == {k: shapes[k] for k in names}


def course_rnn_parameters(rs):
    return {"Waa": rs.randn(5, 5), "Wax": rs.randn(5, 3), "Wya": rs.randn(2, 5), "ba": rs.randn(5, 1),
            "by": rs.randn(2, 1)}


def course_lstm_parameters(rs):
    return {"Wf": rs.randn(5, 8), "Wi": rs.randn(5, 8), "Wo": rs.randn(5, 8), "Wc": rs.randn(5, 8),
            "Wy": rs.randn(2, 5), "bf": rs.randn(5, 1), "bi": rs.randn(5, 1), "bo": rs.randn(5, 1),
            "bc": rs.randn(5, 1), "by": rs.randn(2, 1)}


@pytest.mark.parametrize(("cls", "make"), [(RNN, course_rnn_parameters), (LSTM, course_lstm_parameters)])
def test_load_state_dict_takes_the_courses_dict_as_it_is(cls, make):
    parameters = make(np.random.RandomState(2))  # plain NumPy arrays, in the notebook's key order
    layer = cls(3, 5, 2)
    layer.load_state_dict(parameters)
    for name, value in parameters.items():
        np.testing.assert_array_equal(getattr(layer, name).data, value)
        assert getattr(layer, name).data is not value  # copied: the course's dict stays the caller's
    assert set(layer.state_dict()) == set(parameters)


def test_load_state_dict_names_what_does_not_fit():
    parameters = course_rnn_parameters(np.random.RandomState(2))
    parameters["b"] = parameters.pop("ba")  # the character-level model calls ba "b"
    with pytest.raises(ValueError, match="unexpected key 'b'.*missing key 'ba'"):
        RNN(3, 5, 2).load_state_dict(parameters)
    with pytest.raises(ValueError, match=r"'Wax' has shape \(5, 3\), the model needs \(5, 4\)"):
        RNN(4, 5, 2).load_state_dict(course_rnn_parameters(np.random.RandomState(2)))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: RNNCell(3, 5, 2)(np.zeros((4, 10))),
     r"RNNCell: x<t> has n_x = 4 rows but Wax is \(5, 3\), which needs n_x = 3"),
    (lambda: RNNCell(3, 5, 2)(np.zeros((10, 3))), r"did you mean xt\.T\?"),
    (lambda: RNNCell(3, 5, 2)(np.zeros((3, 10, 4))), r"x<t> = x\[:, :, t\], and RNN runs the whole sequence"),
    (lambda: RNNCell(3, 5, 2)(np.zeros((3, 10)), np.zeros((5, 9))),
     r"RNNCell: a<t-1> must be \(n_a, m\) = \(5, 10\)"),
    (lambda: RNN(3, 5, 2)(np.zeros((3, 10))), r"RNN: x must be \(n_x, m, T_x\), time last.*RNNCell runs one step"),
    (lambda: RNN(3, 5, 2)(np.zeros((4, 10, 2))), r"RNN: x has n_x = 4 rows but Wax is \(5, 3\)"),
    (lambda: RNN(3, 5, 2)(np.zeros((7, 10, 3))), r"did you mean x\.transpose\(2, 1, 0\)\? .*PyTorch's \(T_x, m, n_x\)"),
    (lambda: RNN(3, 5, 2)(np.zeros((3, 10, 0))), r"no time steps \(T_x = 0\)"),
    (lambda: RNN(3, 5, 2)(np.zeros((3, 10, 2)), np.zeros((4, 10))), r"RNN: a<0> must be \(n_a, m\) = \(5, 10\)"),
    (lambda: LSTMCell(3, 5, 2)(np.zeros((2, 4))),
     r"LSTMCell: x<t> has n_x = 2 rows but Wf \(n_a, n_a \+ n_x\) is \(5, 8\) with n_a = 5, which needs n_x = 3"),
    (lambda: LSTMCell(3, 5, 2)(np.zeros((3, 4)), None, np.zeros((5, 3))), r"LSTMCell: c<t-1> must be \(n_a, m\)"),
    (lambda: LSTM(3, 5, 2)(np.zeros((3, 4, 2)), None, np.zeros((5, 3))), r"LSTM: c<0> must be \(n_a, m\)"),
    (lambda: RNN(0, 5, 2), r"RNN: n_x"),
    (lambda: LSTM(3, 5, 2, init=lambda shape, rng: np.zeros((2, 2))), r"LSTM: the initialiser returned shape"),
])
def test_errors_in_course_notation(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_inputs_must_be_arrays_or_tensors():
    with pytest.raises(TypeError, match="numpy.ndarray"):
        RNN(1, 2, 1)([[[1.0]]])


def test_the_rng_makes_the_draws_repeatable():
    a, b = LSTM(3, 4, 2, rng=7), LSTM(3, 4, 2, rng=np.random.RandomState(7))
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    c = RNN(3, 4, 2, rng=np.random.default_rng(0), init="xavier")
    assert c.Wax.data.std() > 0.1  # not the 0.01 scale of the default


def test_repr_config_and_summary():
    rnn = RNN(3, 5, 2)
    assert repr(rnn) == "RNN(n_x=3, n_a=5, n_y=2: Wax (5, 3), Waa (5, 5), Wya (2, 5), ba (5, 1), by (2, 1), params=57)"
    assert rnn.config() == {"type": "RNN", "n_x": 3, "n_a": 5, "n_y": 2}
    assert LSTMCell(3, 5, 2).config() == {"type": "LSTMCell", "n_x": 3, "n_a": 5, "n_y": 2}
    assert rnn.count_parameters() == 15 + 25 + 10 + 5 + 2
    assert LSTM(3, 5, 2).count_parameters() == 4 * (5 * 8 + 5) + 2 * 5 + 2
    text = str(LSTM(3, 5, 2).summary())
    assert "Wf (5, 8), bf (5, 1)" in text and "a (5, m, T_x), y (2, m, T_x), c (5, m, T_x)" in text
    assert "total: 192 parameters" in text
    assert "a<t> (5, m), y<t> (2, m)" in str(RNNCell(3, 5, 2).summary())


def test_astype_and_zero_grad_reach_every_parameter():
    lstm = LSTM(2, 3, 2, rng=0).astype(np.float32)
    a, y, c = lstm(np.ones((2, 4, 2), dtype=np.float32))
    assert a.dtype == np.float32
    a.sum().backward()
    assert all(p.grad is not None for name, p in lstm.named_parameters() if name not in ("Wy", "by"))
    lstm.zero_grad()
    assert all(p.grad is None for p in lstm.parameters())
