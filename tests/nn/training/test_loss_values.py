"""Every loss, under every reduction, against the formula written out here in NumPy (not the code under
test); and softmax cross-entropy with targets whose columns do not sum to 1, whose gradient is
(softmax(Z) sum_c Y - Y) / m, not the one-hot shortcut (A - Y) / m.

These are the checks that need no PyTorch: torch's own losses compare in tests/interop where it is
installed (CI installs it). Shapes in the course's layout: A, Z, Y (n, m), one example per column.
"""

import numpy as np
import pytest
from _shared import numeric_grad
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from tinygrad_nb import Tensor, grad

REDUCTIONS = ["mean", "sum", "none"]


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def log_softmax(Z):
    shifted = Z - Z.max(axis=0, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))


def reduce(per_example, reduction, m):
    """per_example: the (1, m) losses L; "mean" J = sum(L)/m, "sum" = sum(L), "none" = L."""
    return {"mean": per_example.sum() / m, "sum": per_example.sum(), "none": per_example}[reduction]


def bce_per_example(A, Y):  # -sum over the n units of (Y log A + (1 - Y) log(1 - A)), one column per example
    return -(Y * np.log(A) + (1 - Y) * np.log(1 - A)).sum(axis=0, keepdims=True)


def case(seed, n, m):
    rs = np.random.RandomState(seed)
    return rs, rs.randn(n, m), (rs.rand(n, m) > 0.5).astype(np.float64)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 4), m=st.integers(1, 6), reduction=st.sampled_from(REDUCTIONS))
def test_binary_cross_entropy_of_n_units_sums_the_units_and_divides_by_m(seed, n, m, reduction):
    _, Z, Y = case(seed, n, m)
    A = sigmoid(Z)
    expected = reduce(bce_per_example(A, Y), reduction, m)
    J = nn.binary_cross_entropy(Tensor(A), Y, reduction=reduction)
    np.testing.assert_allclose(J.data, expected, rtol=1e-12, atol=1e-12)
    J_logits = nn.binary_cross_entropy_with_logits(Tensor(Z), Y, reduction=reduction)
    np.testing.assert_allclose(J_logits.data, expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 4), m=st.integers(1, 6), reduction=st.sampled_from(REDUCTIONS))
def test_mse_averages_the_n_entries_of_each_example(seed, n, m, reduction):
    rs, A, _ = case(seed, n, m)
    Y = rs.randn(n, m)
    per_example = ((A - Y) ** 2).mean(axis=0, keepdims=True)  # one example's loss: the mean of its n errors
    expected = {"mean": ((A - Y) ** 2).mean(), "sum": ((A - Y) ** 2).sum(), "none": per_example}[reduction]
    np.testing.assert_allclose(nn.mse(Tensor(A), Y, reduction=reduction).data, expected, rtol=1e-12, atol=1e-14)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), C=st.integers(2, 5), m=st.integers(1, 6), reduction=st.sampled_from(REDUCTIONS))
def test_cross_entropy_sums_the_classes_of_each_example(seed, C, m, reduction):
    rs = np.random.RandomState(seed)
    Z, labels = rs.randn(C, m), rs.randint(C, size=m)
    Y = np.eye(C)[:, labels]
    expected = reduce(-(Y * log_softmax(Z)).sum(axis=0, keepdims=True), reduction, m)
    np.testing.assert_allclose(nn.cross_entropy(Tensor(Z), Y, reduction=reduction).data, expected, rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(nn.cross_entropy(Tensor(Z), labels.reshape(1, m), reduction=reduction).data,
                               expected, rtol=1e-12, atol=1e-14)


def soft_targets(rs, C, m):
    """Non-negative targets whose columns sum to anything but 1 (weights, counts, a partial label)."""
    Y = rs.rand(C, m) * rs.choice([0.3, 1.7, 2.5], size=(1, m))
    assert not np.allclose(Y.sum(axis=0), 1)
    return Y


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), C=st.integers(2, 5), m=st.integers(1, 6), reduction=st.sampled_from(REDUCTIONS))
def test_cross_entropy_with_targets_that_do_not_sum_to_one(seed, C, m, reduction):
    rs = np.random.RandomState(seed)
    Z, Y = rs.randn(C, m), soft_targets(rs, C, m)
    expected = reduce(-(Y * log_softmax(Z)).sum(axis=0, keepdims=True), reduction, m)
    np.testing.assert_allclose(nn.cross_entropy(Tensor(Z), Y, reduction=reduction).data, expected, rtol=1e-12,
                               atol=1e-14)

    Zt = Tensor(Z, requires_grad=True)
    J = nn.cross_entropy(Zt, Y, reduction=reduction).sum()  # "none": the sum of the losses
    J.backward()
    scale = m if reduction == "mean" else 1
    softmax = np.exp(log_softmax(Z))
    closed_form = (softmax * Y.sum(axis=0, keepdims=True) - Y) / scale  # not (softmax - Y) / m: sum_c Y != 1
    np.testing.assert_allclose(Zt.grad, closed_form, rtol=1e-10, atol=1e-12)

    def cost(z):
        return float(reduce(-(Y * log_softmax(z)).sum(axis=0, keepdims=True), reduction, m).sum())

    np.testing.assert_allclose(Zt.grad, numeric_grad(cost, Z.copy()), rtol=1e-6, atol=1e-8)


def test_cross_entropy_with_soft_targets_differentiates_twice():
    """Under create_graph the backward is a graph: the gradient of <dJ/dZ, V> against finite differences."""
    rs = np.random.RandomState(3)
    Z, Y, V = rs.randn(4, 3), soft_targets(rs, 4, 3), rs.randn(4, 3)
    Zt = Tensor(Z, requires_grad=True)
    (dZ,) = grad(nn.cross_entropy(Zt, Y), [Zt], create_graph=True)
    (hessian_V,) = grad((dZ * Tensor(V)).sum(), [Zt])

    def directional(z):
        softmax = np.exp(log_softmax(z))
        return float(((softmax * Y.sum(axis=0, keepdims=True) - Y) / 3 * V).sum())

    np.testing.assert_allclose(hessian_V.data, numeric_grad(directional, Z.copy()), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "binary_cross_entropy_with_logits", "mse"])
def test_none_holds_each_examples_loss_and_sum_their_total(loss):
    rs, Z, Y = case(7, 3, 5)
    A = Tensor(sigmoid(Z) if loss == "binary_cross_entropy" else Z)
    f = getattr(nn, loss)
    L, total, J = (f(A, Y, reduction=r).data for r in ("none", "sum", "mean"))
    assert L.shape == (1, 5)
    n = 3 if loss == "mse" else 1  # mse's L(i) is the mean of its column's 3 squared errors; "sum" is every one
    np.testing.assert_allclose(L.sum() * n, total, rtol=1e-12)
    np.testing.assert_allclose(L.sum() / 5, J, rtol=1e-12)  # mse: the mean of the 5 examples' means too
