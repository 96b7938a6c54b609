"""A jitted CNN step (conv2d, pool2d in both modes, a dense sigmoid head, a side-effect SGD update) equals
the eager step call after call, and replays after its two recordings."""

import numpy as np
import pytest
from _jit_programs import differential

import tinygrad_nb
from tinygrad_nb import Tensor, conv2d, pool2d


@tinygrad_nb.side_effect  # a jitted step replays the update
def sgd(params, lr):
    for p in params:
        p.data -= lr * p.grad.data
        p.grad = None


def make_step(mode, stride, pad):
    def make(params):
        def step(X, Y):
            W1, b1, W2, b2 = params
            A1 = pool2d(conv2d(X, W1, b1, stride=stride, pad=pad).relu(), 2, mode=mode)
            A2 = tinygrad_nb.linear(W2, A1.reshape(X.shape[0], -1).T, b2).sigmoid()
            J = -(Y * A2.log() + (1 - Y) * (1 - A2).log()).mean()
            J.backward()
            sgd(params, 0.1)
            return J
        return step
    return make


@pytest.mark.parametrize(("mode", "stride", "pad"), [("max", 1, 1), ("average", 1, 0), ("max", 2, 2)])
def test_a_jitted_cnn_step_equals_the_eager_one(mode, stride, pad):
    rs = np.random.RandomState(6)
    n_H = (6 - 3 + 2 * pad) // stride + 1
    n_flat = (n_H // 2) ** 2 * 3
    params = [Tensor(rs.randn(3, 3, 2, 3) * 0.5, requires_grad=True, name="W1"),
              Tensor(np.zeros((1, 1, 1, 3)), requires_grad=True, name="b1"),
              Tensor(rs.randn(1, n_flat) * 0.3, requires_grad=True, name="W2"),
              Tensor(np.zeros((1, 1)), requires_grad=True, name="b2")]
    data = np.random.RandomState(7)
    calls = [((Tensor(data.randn(4, 6, 6, 2)), Tensor((data.rand(1, 4) > 0.5).astype(np.float64))), {})
             for _ in range(8)]
    outcome = differential(make_step(mode, stride, pad), params, calls, may_refuse=False)
    assert outcome.refused is None and outcome.agreed == 8  # every call compared equal to eager
    assert outcome.python_runs == 2  # two recordings, then six replays
