"""Where eps goes in RMSprop and Adam: outside the square root, W := W - lr dW / (sqrt(s) + eps), as the
course and PyTorch put it. A large eps and a small gradient make the placements differ by far more than
rounding (sqrt(s) + eps against sqrt(s + eps)), so the closed form written here in NumPy tells them apart."""

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor

EPS = 0.5  # of the order of sqrt(s): each placement of eps gives a visibly different step


def one_parameter(values):
    W = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    return W


def run(opt_cls, grads, **kwargs):
    W = one_parameter(np.zeros(3))
    opt = opt_cls([W], lr=0.1, eps=EPS, **kwargs)
    for g in grads:
        W.grad = Tensor(g.copy())
        opt.step()
    return W.data


GRADS = [np.array([0.01, -0.2, 0.003]), np.array([0.02, 0.1, -0.004]), np.array([-0.03, 0.05, 0.001])]


def test_rmsprop_adds_eps_outside_the_square_root():
    beta, lr = 0.9, 0.1
    W, s = np.zeros(3), np.zeros(3)
    inside = np.zeros(3)
    s_inside = np.zeros(3)
    for g in GRADS:
        s = beta * s + (1 - beta) * g**2
        W = W - lr * g / (np.sqrt(s) + EPS)
        s_inside = beta * s_inside + (1 - beta) * g**2
        inside = inside - lr * g / np.sqrt(s_inside + EPS)
    got = run(nn.optim.RMSprop, GRADS, beta=beta)
    np.testing.assert_allclose(got, W, rtol=1e-13, atol=1e-16)
    assert np.abs(got - inside).max() > 1e-3  # the test can tell the two placements apart


@pytest.mark.parametrize("spelling", [{"beta1": 0.9, "beta2": 0.999}, {"betas": (0.9, 0.999)}])
def test_adam_adds_eps_outside_the_square_root_of_the_corrected_s(spelling):
    b1, b2, lr = 0.9, 0.999, 0.1
    W, v, s = np.zeros(3), np.zeros(3), np.zeros(3)
    uncorrected = np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        v = b1 * v + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        v_hat, s_hat = v / (1 - b1**t), s / (1 - b2**t)
        W = W - lr * v_hat / (np.sqrt(s_hat) + EPS)
        uncorrected = uncorrected - lr * v_hat / (np.sqrt(s) + EPS)  # eps against the uncorrected s
    got = run(nn.optim.Adam, GRADS, **spelling)
    np.testing.assert_allclose(got, W, rtol=1e-13, atol=1e-16)
    assert np.abs(got - uncorrected).max() > 1e-3
