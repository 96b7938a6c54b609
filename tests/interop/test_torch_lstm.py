"""``nn.layers.recurrent``'s LSTM and RNN against PyTorch's ``torch.nn.LSTM`` and ``torch.nn.RNN`` (tanh), forward
and every gradient over a sequence, in float64 to 1e-10, on random sizes.

The layouts: course 5's x is (n_x, m, T_x), torch's input (T_x, m, n_x) is x.transpose(2, 1, 0); the hidden
states a (n_a, m, T_x) are torch's output (T_x, m, n_a) transposed the same way. The course's LSTM weights act
on [a<t-1>; x<t>], so W[:, n_a:] is torch's weight_ih and W[:, :n_a] its weight_hh; torch stacks the gates in the
order i, f, g, o (g is the course's candidate cct, Wc) and has two biases: bias_ih = b, bias_hh = 0. The output
layer y<t> = softmax(Wy a<t> + by), which torch's layers do not have, is written in torch on their output.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.layers.recurrent import LSTM, RNN
from tinygrad_nb import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
ATOL = 1e-10
GATES = ("i", "f", "c", "o")  # torch's order (its "g" is the course's cct)


def to_torch(a, requires_grad=False):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=requires_grad)


def time_first(a):
    """(n, m, T_x) -> (T_x, m, n), torch's layout."""
    return np.ascontiguousarray(a.transpose(2, 1, 0))


def time_last(t):
    """torch's (T_x, m, n) -> the course's (n, m, T_x)."""
    return t.detach().numpy().transpose(2, 1, 0)


def torch_head(h, Wy, by):
    """y<t> = softmax(Wy a<t> + by) over the n_y classes, on torch's (T_x, m, n_a) output."""
    return torch.softmax(h @ Wy.T + by[:, 0], dim=-1)


def randomise(layer, rs):
    for p in layer.parameters():
        p.data = rs.randn(*p.shape) * 0.6
    return layer


def assert_close(mine, theirs):
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)


sizes = {"n_x": st.integers(1, 4), "n_a": st.integers(1, 5), "n_y": st.integers(1, 4), "m": st.integers(1, 4),
         "T_x": st.integers(1, 6), "seed": st.integers(0, 2**16)}


@settings(max_examples=30, deadline=None)
@given(**sizes)
def test_lstm_forward_and_gradients_match_torch(n_x, n_a, n_y, m, T_x, seed):
    rs = np.random.RandomState(seed)
    lstm = randomise(LSTM(n_x, n_a, n_y), rs)
    x, a0 = rs.randn(n_x, m, T_x), rs.randn(n_a, m)
    Wa, Wy_ = rs.randn(n_a, m, T_x), rs.randn(n_y, m, T_x)  # the cost: sum(Wa * a) + sum(Wy_ * y)

    x_t, a0_t = Tensor(x, requires_grad=True), Tensor(a0, requires_grad=True)
    a, y, c = lstm(x_t, a0_t)
    ((a * Wa).sum() + (y * Wy_).sum()).backward()

    W = {g: getattr(lstm, f"W{g}").data for g in GATES}
    b = {g: getattr(lstm, f"b{g}").data for g in GATES}
    torch_lstm = torch.nn.LSTM(n_x, n_a).double()
    with torch.no_grad():
        torch_lstm.weight_ih_l0.copy_(to_torch(np.concatenate([W[g][:, n_a:] for g in GATES])))
        torch_lstm.weight_hh_l0.copy_(to_torch(np.concatenate([W[g][:, :n_a] for g in GATES])))
        torch_lstm.bias_ih_l0.copy_(to_torch(np.concatenate([b[g][:, 0] for g in GATES])))
        torch_lstm.bias_hh_l0.zero_()
    Wy, by = to_torch(lstm.Wy.data, True), to_torch(lstm.by.data, True)
    x_torch, h0 = to_torch(time_first(x), True), to_torch(a0.T[None], True)
    h, (_, c_last) = torch_lstm(x_torch, (h0, torch.zeros(1, m, n_a, dtype=torch.float64)))
    y_torch = torch_head(h, Wy, by)
    ((h * to_torch(time_first(Wa))).sum() + (y_torch * to_torch(time_first(Wy_))).sum()).backward()

    assert_close(a.data, time_last(h))
    assert_close(y.data, time_last(y_torch))
    assert_close(c.data[:, :, -1], c_last.detach().numpy()[0].T)
    assert_close(x_t.grad.data, time_last(x_torch.grad))
    assert_close(a0_t.grad.data, h0.grad.numpy()[0].T)
    g_ih, g_hh = torch_lstm.weight_ih_l0.grad.numpy(), torch_lstm.weight_hh_l0.grad.numpy()
    g_b = torch_lstm.bias_ih_l0.grad.numpy()
    for k, g in enumerate(GATES):
        rows = slice(k * n_a, (k + 1) * n_a)
        assert_close(getattr(lstm, f"W{g}").grad.data, np.concatenate([g_hh[rows], g_ih[rows]], axis=1))
        assert_close(getattr(lstm, f"b{g}").grad.data[:, 0], g_b[rows])
    assert_close(lstm.Wy.grad.data, Wy.grad.numpy())
    assert_close(lstm.by.grad.data, by.grad.numpy())


@settings(max_examples=30, deadline=None)
@given(**sizes)
def test_rnn_forward_and_gradients_match_torch(n_x, n_a, n_y, m, T_x, seed):
    rs = np.random.RandomState(seed)
    rnn = randomise(RNN(n_x, n_a, n_y), rs)
    x, a0 = rs.randn(n_x, m, T_x), rs.randn(n_a, m)
    Wa, Wy_ = rs.randn(n_a, m, T_x), rs.randn(n_y, m, T_x)

    x_t, a0_t = Tensor(x, requires_grad=True), Tensor(a0, requires_grad=True)
    a, y = rnn(x_t, a0_t)
    ((a * Wa).sum() + (y * Wy_).sum()).backward()

    torch_rnn = torch.nn.RNN(n_x, n_a, nonlinearity="tanh").double()
    with torch.no_grad():
        torch_rnn.weight_ih_l0.copy_(to_torch(rnn.Wax.data))
        torch_rnn.weight_hh_l0.copy_(to_torch(rnn.Waa.data))
        torch_rnn.bias_ih_l0.copy_(to_torch(rnn.ba.data[:, 0]))
        torch_rnn.bias_hh_l0.zero_()
    Wya, by = to_torch(rnn.Wya.data, True), to_torch(rnn.by.data, True)
    x_torch, h0 = to_torch(time_first(x), True), to_torch(a0.T[None], True)
    h, _ = torch_rnn(x_torch, h0)
    y_torch = torch_head(h, Wya, by)
    ((h * to_torch(time_first(Wa))).sum() + (y_torch * to_torch(time_first(Wy_))).sum()).backward()

    assert_close(a.data, time_last(h))
    assert_close(y.data, time_last(y_torch))
    assert_close(x_t.grad.data, time_last(x_torch.grad))
    assert_close(a0_t.grad.data, h0.grad.numpy()[0].T)
    assert_close(rnn.Wax.grad.data, torch_rnn.weight_ih_l0.grad.numpy())
    assert_close(rnn.Waa.grad.data, torch_rnn.weight_hh_l0.grad.numpy())
    assert_close(rnn.ba.grad.data[:, 0], torch_rnn.bias_ih_l0.grad.numpy())
    assert_close(rnn.Wya.grad.data, Wya.grad.numpy())
    assert_close(rnn.by.grad.data, by.grad.numpy())
