"""conv2d and pool2d: gradients against finite differences, float32, the errors in course 4's notation,
what a jitted step and explain mode make of them."""

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nb
from tinygrad_nb import InputError, ShapeError, Tensor, conv2d, grad, pool2d
from tinygrad_nb.testing import assert_gradients_match


def leaf(a, name=None):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True, name=name)


@settings(max_examples=20, deadline=None)
@given(f=st.integers(1, 3), stride=st.integers(1, 2), pad=st.integers(0, 2), n_C=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_conv2d_gradients_match_finite_differences(f, stride, pad, n_C, seed):
    rs = np.random.RandomState(seed)
    A_prev, W, b = leaf(rs.randn(2, 4, 5, 2)), leaf(rs.randn(f, f, 2, n_C)), leaf(rs.randn(1, 1, 1, n_C))
    assert_gradients_match(lambda A, W, b: conv2d(A, W, b, stride=stride, pad=pad), A_prev, W, b, rtol=1e-6)


@settings(max_examples=20, deadline=None)
@given(f=st.integers(1, 3), stride=st.integers(1, 3), mode=st.sampled_from(["max", "average"]),
       seed=st.integers(0, 2**16))
def test_pool2d_gradient_matches_finite_differences(f, stride, mode, seed):
    A_prev = leaf(np.random.RandomState(seed).randn(2, 5, 6, 2))  # continuous: ties have probability 0
    assert_gradients_match(lambda A: pool2d(A, f, stride=stride, mode=mode), A_prev, rtol=1e-6)


def test_a_small_cnn_gradients_match_finite_differences():
    rs = np.random.RandomState(0)
    X = Tensor(rs.randn(3, 6, 6, 2))
    W1, b1 = leaf(rs.randn(3, 3, 2, 4) * 0.5, "W1"), leaf(rs.randn(1, 1, 1, 4) * 0.1, "b1")
    W2, b2 = leaf(rs.randn(1, 36) * 0.2, "W2"), leaf(rs.randn(1, 1) * 0.1, "b2")
    Y = (rs.rand(1, 3) > 0.5).astype(np.float64)

    def cost(W1, b1, W2, b2):
        A1 = pool2d(conv2d(X, W1, b1, pad=1).tanh(), 2, mode="max")  # (3, 3, 3, 4)
        A2 = tinygrad_nb.linear(W2, A1.reshape(3, -1).T, b2).sigmoid()
        return -(Tensor(Y) * A2.log() + Tensor(1 - Y) * (1 - A2).log()).mean()

    assert_gradients_match(cost, W1, b1, W2, b2, rtol=1e-5)


def test_max_pool_sends_a_tied_windows_gradient_to_one_entry():
    A_prev = leaf(np.ones((1, 2, 2, 1)))
    A = pool2d(A_prev, 2)
    A.backward(np.array([[[[3.0]]]]))
    assert A_prev.grad.data.sum() == 3.0  # the gradient is not multiplied by the number of ties
    assert np.count_nonzero(A_prev.grad.data) == 1


def test_float32_stays_float32():
    rs = np.random.RandomState(1)
    A_prev = Tensor(rs.randn(2, 5, 5, 3).astype(np.float32), requires_grad=True)
    W = Tensor(rs.randn(3, 3, 3, 4).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros((1, 1, 1, 4), dtype=np.float32), requires_grad=True)
    A = pool2d(conv2d(A_prev, W, b, pad=1), 2, stride=1)
    A.sum().backward()
    assert {A.dtype, A_prev.grad.dtype, W.grad.dtype, b.grad.dtype} == {np.dtype(np.float32)}


def test_the_first_layer_computes_no_gradient_for_the_input(monkeypatch):
    rs = np.random.RandomState(2)
    X, W = Tensor(rs.randn(2, 4, 4, 3)), leaf(rs.randn(2, 2, 3, 2))
    Z = conv2d(X, W)
    Z.sum().backward()
    assert X.grad is None and W.grad is not None


def test_b_none_is_zero_bias():
    rs = np.random.RandomState(3)
    A_prev, W = rs.randn(2, 4, 4, 3), rs.randn(3, 3, 3, 2)
    np.testing.assert_array_equal(conv2d(Tensor(A_prev), Tensor(W)).data,
                                  conv2d(Tensor(A_prev), Tensor(W), Tensor(np.zeros((1, 1, 1, 2)))).data)


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: conv2d(Tensor(np.zeros((4, 4, 3))), Tensor(np.zeros((2, 2, 3, 1)))), ShapeError,
     "expected A_prev of shape (m, n_H_prev, n_W_prev, n_C_prev), got (4, 4, 3); one image is A_prev[None]"),
    (lambda: conv2d(Tensor(np.zeros((1, 4, 4, 3))), Tensor(np.zeros((2, 2, 4, 1)))), ShapeError,
     "has n_C_prev = 3 channels but W (2, 2, 4, 1) expects n_C_prev = 4"),
    (lambda: conv2d(Tensor(np.zeros((1, 4, 4, 3))), Tensor(np.zeros((2, 3, 3, 1)))), ShapeError,
     "expected W of shape (f, f, n_C_prev, n_C)"),
    (lambda: conv2d(Tensor(np.zeros((1, 4, 4, 3))), Tensor(np.zeros((2, 2, 3, 5))), Tensor(np.zeros((1, 5)))),
     ShapeError, "must have shape (1, 1, 1, 5)"),
    (lambda: conv2d(Tensor(np.zeros((1, 2, 2, 3))), Tensor(np.zeros((3, 3, 3, 1)))), ShapeError,
     "n_H = floor((2 - 3 + 2*0) / 1) + 1 = 0"),
    (lambda: conv2d(Tensor(np.zeros((1, 4, 4, 3))), Tensor(np.zeros((2, 2, 3, 1))), stride=0), InputError,
     "stride must be a positive int, got 0"),
    (lambda: conv2d(Tensor(np.zeros((1, 4, 4, 3))), Tensor(np.zeros((2, 2, 3, 1))), pad=-1), InputError,
     "pad must be an int >= 0, got -1"),
    (lambda: pool2d(Tensor(np.zeros((1, 4, 4, 3))), 2, mode="min"), InputError, "mode must be 'max' or 'average'"),
    (lambda: pool2d(Tensor(np.zeros((1, 4, 4, 3))), 5), ShapeError, "a 5x5 window with pad=0 does not fit"),
    (lambda: pool2d(Tensor(np.zeros((1, 4, 4, 3))), 2.0), InputError, "f must be a positive int, got 2.0"),
])
def test_bad_input_is_named_in_the_courses_terms(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_second_derivatives_are_refused_by_name():
    rs = np.random.RandomState(4)
    A_prev, W = leaf(rs.randn(1, 3, 3, 1)), leaf(rs.randn(2, 2, 1, 1))
    (dW,) = grad(conv2d(A_prev, W).sum(), [W], create_graph=False)
    assert dW.shape == W.shape
    with pytest.raises(NotImplementedError, match="conv2d has no second derivative"):
        grad(conv2d(A_prev, W).sum(), [W], create_graph=True)
    with pytest.raises(NotImplementedError, match="pool2d has no second derivative"):
        grad(pool2d(A_prev, 2, stride=1).sum(), [A_prev], create_graph=True)


def test_explain_mode_prints_the_courses_conv_and_pool_backward():
    rs = np.random.RandomState(5)
    X = Tensor(rs.randn(2, 4, 4, 1), name="X")
    W1, b1 = leaf(rs.randn(3, 3, 1, 2), "W1"), leaf(rs.randn(1, 1, 1, 2), "b1")
    Z1 = conv2d(X, W1, b1, pad=1)
    Z1.name = "Z1"
    A1 = pool2d(Z1, 2)
    A1.name = "A1"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        A1.sum().backward(explain=True)
    text = printed.getvalue()
    assert "dA1 to each window's maximum of Z1" in text
    assert "sum over windows of a_slice(X) dZ1" in text and "sum(dZ1) per filter" in text


def test_a_float64_bias_promotes_the_result_as_addition_would():
    A_prev = Tensor(np.zeros((1, 3, 3, 1), dtype=np.float32))
    W = Tensor(np.zeros((1, 1, 1, 1), dtype=np.float32))
    b = Tensor(np.full((1, 1, 1, 1), 1 + 1e-9))
    Z = conv2d(A_prev, W, b)
    assert Z.dtype == np.float64 == (A_prev + b).dtype
    assert np.all(Z.data == 1 + 1e-9)  # not rounded to float32's 1.0
