"""Adagrad and Adadelta against their update rules written out here in NumPy (the papers' and PyTorch's forms),
their defaults (PyTorch's) and their refusals. tests/interop/test_torch_optim.py checks them against torch.optim."""

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor

GRADS = [np.random.RandomState(k).randn(3, 2) * 10.0 ** (k % 3 - 1) for k in range(5)]


def run(opt_cls, W0, **kwargs):
    p = Tensor(W0.copy(), requires_grad=True)
    opt = opt_cls([p], **kwargs)
    for g in GRADS:
        p.grad = Tensor(g.copy())
        opt.step()
    return p.data


def test_adagrad_is_the_sum_of_squares_rule():
    W0 = np.random.RandomState(9).randn(3, 2)
    lr, lr_decay, wd, s0, eps = 0.1, 0.05, 0.2, 0.4, 1e-3
    W, s = W0.copy(), np.full_like(W0, s0)
    for t, dW in enumerate(GRADS, start=1):
        dW = dW + wd * W
        s = s + dW**2
        W = W - lr / (1 + (t - 1) * lr_decay) * dW / (np.sqrt(s) + eps)
    got = run(nn.optim.Adagrad, W0, lr=lr, lr_decay=lr_decay, weight_decay=wd, initial_accumulator_value=s0, eps=eps)
    np.testing.assert_allclose(got, W, rtol=1e-13)


def test_adagrad_first_step_is_lr_times_the_sign():
    """s = dW^2 after one step, so dW / sqrt(s) = sign(dW): every entry moves by lr (up to eps)."""
    W0 = np.zeros((3, 2))
    p = Tensor(W0.copy(), requires_grad=True)
    p.grad = Tensor(GRADS[0].copy())
    nn.optim.Adagrad([p], lr=0.3).step()
    np.testing.assert_allclose(p.data, -0.3 * np.sign(GRADS[0]), rtol=1e-8)


def test_adadelta_is_the_ratio_of_running_means_rule():
    W0 = np.random.RandomState(9).randn(3, 2)
    lr, rho, eps, wd = 0.7, 0.8, 1e-4, 0.3
    W, s, d = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for dW in GRADS:
        dW = dW + wd * W
        s = rho * s + (1 - rho) * dW**2
        delta = np.sqrt(d + eps) / np.sqrt(s + eps) * dW
        d = rho * d + (1 - rho) * delta**2
        W = W - lr * delta
    got = run(nn.optim.Adadelta, W0, lr=lr, rho=rho, eps=eps, weight_decay=wd)
    np.testing.assert_allclose(got, W, rtol=1e-13)


def test_defaults_are_pytorchs():
    p = Tensor(np.ones((2, 1)), requires_grad=True)
    a = nn.optim.Adagrad([p])
    assert (a.lr, a.lr_decay, a.weight_decay, a.initial_accumulator_value, a.eps) == (0.01, 0.0, 0.0, 0.0, 1e-10)
    d = nn.optim.Adadelta([p])
    assert (d.lr, d.rho, d.eps, d.weight_decay) == (1.0, 0.9, 1e-6, 0.0)


def test_state_has_each_parameters_shape_and_skips_parameters_without_grad():
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    b = Tensor(np.ones((3, 1)), requires_grad=True)
    opt = nn.optim.Adadelta([W, b])
    assert [s.shape for s in opt.s] == [(3, 2), (3, 1)] and [d.shape for d in opt.d] == [(3, 2), (3, 1)]
    W.grad = Tensor(np.full((3, 2), 0.5))
    opt.step()
    assert np.array_equal(b.data, np.ones((3, 1))) and not np.array_equal(W.data, np.ones((3, 2)))
    assert not opt.s[1].any()


def test_float32_parameters_stay_float32():
    p = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    for opt in (nn.optim.Adagrad([p], weight_decay=0.1), nn.optim.Adadelta([p], weight_decay=0.1)):
        p.grad = Tensor(np.full((2, 2), 0.5, dtype=np.float32))
        opt.step()
        assert p.data.dtype == np.float32


@pytest.mark.parametrize("make, error, message", [
    (lambda ps: nn.optim.Adagrad(ps, lr=0), ValueError, r"lr must be positive"),
    (lambda ps: nn.optim.Adagrad(ps, lr_decay=-1), ValueError, r"Adagrad: lr_decay must be >= 0"),
    (lambda ps: nn.optim.Adagrad(ps, initial_accumulator_value=-0.1), ValueError,
     r"Adagrad: initial_accumulator_value must be >= 0"),
    (lambda ps: nn.optim.Adagrad(ps, eps=0), ValueError, r"Adagrad: eps must be positive"),
    (lambda ps: nn.optim.Adagrad(ps, weight_decay="0.1"), TypeError, r"Adagrad: weight_decay"),
    (lambda ps: nn.optim.Adadelta(ps, rho=1.0), ValueError, r"Adadelta: rho must be in \(0, 1\)"),
    (lambda ps: nn.optim.Adadelta(ps, eps=-1e-6), ValueError, r"Adadelta: eps must be positive"),
    (lambda ps: nn.optim.Adadelta(ps, weight_decay=-0.5), ValueError, r"Adadelta: weight_decay must be >= 0"),
    (lambda ps: nn.optim.Adadelta(ps[0]), TypeError, r"Adadelta: expected a list of parameters"),
])
def test_bad_arguments_are_refused(make, error, message):
    ps = [Tensor(np.ones((2, 1)), requires_grad=True)]
    with pytest.raises(error, match=message):
        make(ps)
