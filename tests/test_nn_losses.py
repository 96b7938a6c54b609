"""Costs against their formulas and their gradients against finite differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from tinygrad_nb import Tensor
from tinygrad_nb.testing import arrays, assert_gradients_match

labels = st.integers(1, 6).flatmap(lambda m: arrays((1, m), low=0, high=1).map(lambda a: (a > 0.5) * 1.0))


@given(Y=labels, data=st.data())
def test_binary_cross_entropy_formula_and_gradient(Y, data):
    A = Tensor(data.draw(arrays(Y.shape, low=0.05, high=0.95)), requires_grad=True)
    m = Y.shape[1]
    expected = -1 / m * np.sum(Y * np.log(A.data) + (1 - Y) * np.log(1 - A.data))
    assert nn.binary_cross_entropy(A, Y).item() == pytest.approx(expected, rel=1e-12)
    assert_gradients_match(lambda A: nn.binary_cross_entropy(A, Y), A)


@given(Y=labels, data=st.data())
def test_with_logits_equals_bce_of_sigmoid_and_has_gradient_A_minus_Y(Y, data):
    Z = Tensor(data.draw(arrays(Y.shape, low=-6, high=6)), requires_grad=True)
    J = nn.binary_cross_entropy_with_logits(Z, Y)
    assert J.item() == pytest.approx(nn.binary_cross_entropy(Z.sigmoid(), Y).item(), rel=1e-9)
    J.backward()
    A = 1 / (1 + np.exp(-Z.data))
    np.testing.assert_allclose(Z.grad.data, (A - Y) / Y.shape[1], rtol=1e-9, atol=1e-15)  # dZ[L] = (A - Y) / m
    assert_gradients_match(lambda Z: nn.binary_cross_entropy_with_logits(Z, Y), Z)


def test_with_logits_is_finite_for_huge_logits():
    Z = Tensor(np.array([[1e4, -1e4, 1e4, -1e4]]), requires_grad=True)
    Y = np.array([[1.0, 0.0, 0.0, 1.0]])
    J = nn.binary_cross_entropy_with_logits(Z, Y)
    assert J.item() == pytest.approx((1e4 + 1e4) / 4)
    J.backward()
    np.testing.assert_allclose(Z.grad.data, [[0, 0, 0.25, -0.25]])


@given(st.integers(2, 5), st.integers(1, 6), st.integers(0, 1000))
def test_cross_entropy_labels_and_one_hot_agree_with_formula(C, m, seed):
    rng = np.random.RandomState(seed)
    Z = Tensor(rng.randn(C, m), requires_grad=True)
    labels_ = rng.randint(0, C, size=(1, m))
    one_hot = np.eye(C)[labels_[0]].T
    softmax = np.exp(Z.data) / np.exp(Z.data).sum(axis=0)
    expected = -np.sum(one_hot * np.log(softmax)) / m
    assert nn.cross_entropy(Z, labels_).item() == pytest.approx(expected, rel=1e-10)
    assert nn.cross_entropy(Z, one_hot).item() == pytest.approx(expected, rel=1e-10)
    assert_gradients_match(lambda Z: nn.cross_entropy(Z, labels_), Z)


def test_mse_and_l2_penalty():
    A, Y = Tensor(np.array([[1.0, 2.0], [3.0, 5.0]]), requires_grad=True), np.array([[1.0, 0.0], [0.0, 1.0]])
    assert nn.mse(A, Y).item() == pytest.approx((0 + 4 + 9 + 16) / 4)
    W1, W2 = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.full((1, 2), 2.0), requires_grad=True)
    assert nn.l2_penalty([W1, W2], lambd=0.7, m=10).item() == pytest.approx(0.7 / 20 * (6 + 8))
    assert_gradients_match(lambda W1, W2: nn.l2_penalty([W1, W2], 0.7, 10), W1, W2)


def test_bad_labels_and_shapes():
    A = Tensor(np.full((1, 3), 0.5))
    with pytest.raises(ValueError, match=r"only 0 and 1.*\[2\.0\]"):
        nn.binary_cross_entropy(A, np.array([[0.0, 1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"Y has shape \(3, 1\) but A has shape \(1, 3\)"):
        nn.binary_cross_entropy(A, np.zeros((3, 1)))
    with pytest.raises(TypeError, match="Y must be a numpy array"):
        nn.binary_cross_entropy(A, [[0, 1, 1]])
    with pytest.raises(ValueError, match="m >= 1"):
        nn.binary_cross_entropy(Tensor(np.zeros((1, 0))), np.zeros((1, 0)))
    with pytest.raises(ValueError, match="integers in 0..2"):
        nn.cross_entropy(Tensor(np.zeros((3, 2))), np.array([[0, 3]]))
    with pytest.raises(ValueError, match="lambd"):
        nn.l2_penalty([A], -1.0, 3)
