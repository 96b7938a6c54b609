"""Numerics at |z| = 1e4 and at probabilities of exactly 0 and 1, against high-precision references (mpmath)."""

import warnings

import mpmath
import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor

mpmath.mp.dps = 50
POINTS = [-1e4, -745.0, -50.0, -1.0, 0.0, 1e-8, 1.0, 50.0, 745.0, 1e4]

REFERENCES = {
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    "tanh": mpmath.tanh,
    "softplus": lambda z: mpmath.log(1 + mpmath.exp(z)),
    "log_sigmoid": lambda z: -mpmath.log(1 + mpmath.exp(-z)),
}
DERIVATIVES = {
    "sigmoid": lambda z: mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2,
    "tanh": lambda z: 1 - mpmath.tanh(z) ** 2,
    "softplus": lambda z: 1 / (1 + mpmath.exp(-z)),
    "log_sigmoid": lambda z: 1 / (1 + mpmath.exp(z)),
}


def close(value, exact, rel=1e-12, abs=1e-300):
    exact = float(exact)  # rounds to float64: underflow to 0 is the right answer there
    return value == pytest.approx(exact, rel=rel, abs=abs)


@pytest.mark.parametrize("op", sorted(REFERENCES))
def test_values_and_derivatives_match_mpmath(op):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or divide warnings either
        z = Tensor(np.array(POINTS), requires_grad=True)
        out = getattr(z, op)()
        out.sum().backward()
    for k, p in enumerate(POINTS):
        assert close(out.data[k], REFERENCES[op](mpmath.mpf(p))), (op, p, out.data[k])
        # sigmoid' = A(1 - A) and tanh' = 1 - A^2, as PyTorch computes them: exact to 1e-16 absolute
        # (they reach 0 where the true slope is below about 1e-16), relatively exact elsewhere
        assert close(z.grad.data[k], DERIVATIVES[op](mpmath.mpf(p)), rel=1e-9, abs=1e-16), (op, "grad", p)


def test_bce_at_probabilities_exactly_zero_and_one():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        right = Tensor(np.array([[0.0, 1.0]]), requires_grad=True)
        J = nn.binary_cross_entropy(right, np.array([[0.0, 1.0]]))
        J.backward()
        assert J.item() == 0.0 and np.isfinite(right.grad.data).all()
        wrong = Tensor(np.array([[0.0, 1.0]]), requires_grad=True)
        J = nn.binary_cross_entropy(wrong, np.array([[1.0, 0.0]]))
        J.backward()
    assert J.item() == pytest.approx(100.0)  # log floored at -100, as PyTorch's BCELoss
    assert np.isfinite(wrong.grad.data).all() and wrong.grad.data[0, 0] < 0 < wrong.grad.data[0, 1]


def test_bce_with_logits_at_1e4_matches_mpmath():
    Z = Tensor(np.array([[1e4, -1e4, 3.0, -3.0]]), requires_grad=True)
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    J = nn.binary_cross_entropy_with_logits(Z, Y)
    exact = sum(float(mpmath.log(1 + mpmath.exp(mpmath.mpf(z)))) - y * z for z, y in zip(Z.data[0], Y[0])) / 4
    assert J.item() == pytest.approx(exact, rel=1e-12)
    J.backward()
    assert np.isfinite(Z.grad.data).all()


def test_softmax_and_cross_entropy_at_1e4_match_mpmath():
    logits = np.array([[1e4], [0.0], [-1e4], [1e4 - 2.0]])
    Z = Tensor(logits, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = Z.softmax(axis=0)
        J = nn.cross_entropy(Z, np.array([[3]]))
        J.backward()
    exps = [mpmath.exp(mpmath.mpf(z)) for z in logits[:, 0]]
    total = sum(exps)
    for k in range(4):
        assert close(A.data[k, 0], exps[k] / total)
    assert J.item() == pytest.approx(float(-mpmath.log(exps[3] / total)), rel=1e-12)
    assert np.isfinite(Z.grad.data).all()
