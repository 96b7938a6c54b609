"""Optimisers against their update formulas written out."""

import numpy as np
import pytest

from nn import optim
from tinygrad_nb import Tensor


def param(values, grad):
    p = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    p.grad = Tensor(np.array(grad, dtype=np.float64))
    return p


def test_sgd_is_gradient_descent():
    p = param([1.0, 2.0], [0.5, -1.0])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1])


def test_sgd_momentum_pytorch_form():
    p = param([0.0], [1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    opt.step()  # v1 = 1, v2 = 0.9 + 1 = 1.9
    np.testing.assert_allclose(p.data, [-(0.1 * 1 + 0.1 * 1.9)])


def test_rmsprop_formula():
    p = param([1.0], [2.0])
    optim.RMSprop([p], lr=0.01, beta=0.9, eps=1e-8).step()
    s = 0.1 * 4.0
    np.testing.assert_allclose(p.data, [1.0 - 0.01 * 2.0 / (np.sqrt(s) + 1e-8)])


def test_adam_bias_correction():
    p = param([1.0, 1.0], [3.0, -0.5])
    opt = optim.Adam([p], lr=0.1)
    opt.step()  # first step: v_hat = g, s_hat = g^2, so the step is lr * sign(g)
    np.testing.assert_allclose(p.data, [0.9, 1.1], rtol=1e-7)
    after_first = p.data.copy()
    p.grad = Tensor(np.array([1.0, 1.0]))
    opt.step()
    v = 0.9 * 0.1 * np.array([3.0, -0.5]) + 0.1 * 1.0
    s = 0.999 * 0.001 * np.array([9.0, 0.25]) + 0.001 * 1.0
    expected = after_first - 0.1 * (v / (1 - 0.81)) / (np.sqrt(s / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(p.data, expected, rtol=1e-10)


def test_zero_grad_and_parameters_without_grad_are_skipped():
    p, q = param([1.0], [1.0]), Tensor(np.array([5.0]), requires_grad=True)
    opt = optim.SGD([p, q], lr=1.0)
    opt.step()
    assert q.data[0] == 5.0 and p.data[0] == 0.0
    opt.zero_grad()
    assert p.grad is None


def test_inverse_time_decay():
    opt = optim.SGD([param([0.0], [0.0])], lr=0.5)
    decay = optim.InverseTimeDecay(opt, decay_rate=1.0, time_interval=2)
    assert [decay.step() for _ in range(4)] == [0.5, 0.25, 0.25, 0.5 / 3]


@pytest.mark.parametrize("lr, error", [(0.0, ValueError), (-0.1, ValueError), (float("nan"), ValueError),
                                       ("0.1", TypeError), (True, TypeError), (None, TypeError)])
def test_learning_rate_must_be_positive(lr, error):
    with pytest.raises(error, match="lr must be"):
        optim.SGD([param([0.0], [0.0])], lr=lr)


def test_bad_params():
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])
    with pytest.raises(TypeError, match="requires_grad=True"):
        optim.SGD([Tensor([1.0])], lr=0.1)


def test_an_sgd_subclass_with_its_own_update_rule_is_used():
    class DecayedSGD(optim.SGD):
        """Weight decay written the way a user would: a rule of its own, on top of SGD's."""

        def update(self, i, p, g):
            super().update(i, p, g + 0.1 * p.data)

    w = Tensor(np.ones(3), requires_grad=True)
    opt = DecayedSGD([w], lr=1.0)
    w.grad = Tensor(np.zeros(3))
    opt.step()
    np.testing.assert_allclose(w.data, np.full(3, 0.9))  # w - lr (0 + 0.1 w), not SGD's own w - lr * 0
