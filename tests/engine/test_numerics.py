"""Kink conventions and numerical stability for |z| up to 1e4."""

import math
import warnings

import numpy as np
import pytest

from tinygrad_nb import Tensor, maximum

LARGE = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])


def grad_of(fn, values):
    x = Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.data


def test_relu_derivative_at_zero_is_zero_like_the_course():
    np.testing.assert_array_equal(grad_of(lambda x: x.relu(), [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])


def test_leaky_relu_derivative_at_zero_is_the_slope():
    np.testing.assert_allclose(grad_of(lambda x: x.leaky_relu(0.2), [-1.0, 0.0, 2.0]), [0.2, 0.2, 1.0])


def test_max_and_maximum_split_ties_evenly():
    np.testing.assert_allclose(grad_of(lambda x: x.max(), [3.0, 1.0, 3.0, 3.0]), [1 / 3, 0, 1 / 3, 1 / 3])
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 0.0], requires_grad=True)
    maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.5, 1.0])
    np.testing.assert_allclose(b.grad.data, [0.5, 0.0])


@pytest.mark.parametrize("op", ["sigmoid", "log_softmax", "logsumexp", "softmax", "tanh"])
def test_stable_for_large_inputs_without_warnings(op):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor(LARGE.reshape(-1, 1) * np.ones((1, 2)), requires_grad=True)
        out = getattr(x, op)() if op in ("sigmoid", "tanh") else getattr(x, op)(axis=0)
        out.sum().backward()
    assert np.isfinite(out.data).all() and np.isfinite(x.grad.data).all()


def test_sigmoid_matches_math_at_extremes():
    s = Tensor(LARGE).sigmoid().data
    for z, v in zip(LARGE, s):
        exact = math.exp(z - math.log1p(math.exp(z))) if z < 0 else 1 / (1 + math.exp(-z))
        assert v == pytest.approx(exact, rel=1e-12, abs=0.0) or (exact == 0.0 and v == 0.0)


def test_logsumexp_and_log_softmax_match_math():
    x = np.array([1e4, 1e4 - 1.0, -1e4])
    exact = 1e4 + math.log(1 + math.exp(-1.0))
    assert Tensor(x).logsumexp().item() == pytest.approx(exact, rel=1e-15)
    shift = math.log1p(math.exp(-1.0))  # log_softmax = (x - max) - log(sum(exp(x - max))), no cancellation
    np.testing.assert_allclose(Tensor(x).log_softmax(axis=0).data, [-shift, -1.0 - shift, -2e4 - shift], rtol=1e-15)
