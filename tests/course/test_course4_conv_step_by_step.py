"""Course 4 week 1, "Convolutional Neural Networks: Step by Step", through the public API.

Each check of the notebook runs with its seeds and inputs: the engine's ``conv2d`` and ``pool2d`` (and
their backward) must print the notebook's numbers, to the digits it prints, and agree with the
notebook's own loops (``_course4_notebook.py``) to rounding, on those inputs and on random shapes,
strides and paddings.
"""

import numpy as np
import pytest
from _course4_notebook import conv_backward, conv_forward, conv_single_step, pool_backward, pool_forward
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nb import Tensor, conv2d, pool2d


def printed(value: float, text: str) -> bool:
    """Whether ``value`` prints as the notebook's ``text`` at the digits shown there."""
    decimals = len(text.split(".")[1])
    return round(float(value), decimals) == float(text)


def leaf(a):
    return Tensor(a, requires_grad=True)


def test_conv_single_step():
    np.random.seed(1)
    a_slice_prev, W, b = np.random.randn(4, 4, 3), np.random.randn(4, 4, 3), np.random.randn(1, 1, 1)
    Z = conv2d(Tensor(a_slice_prev[None]), Tensor(W[..., None]), Tensor(b.reshape(1, 1, 1, 1)))
    assert Z.shape == (1, 1, 1, 1)
    assert printed(Z.item(), "-6.99908945068")
    assert Z.item() == pytest.approx(conv_single_step(a_slice_prev, W, b), rel=1e-13)


def notebook_conv():
    np.random.seed(1)
    A_prev, W, b = np.random.randn(10, 4, 4, 3), np.random.randn(2, 2, 3, 8), np.random.randn(1, 1, 1, 8)
    return A_prev, W, b, {"pad": 2, "stride": 2}


def test_conv_forward():
    A_prev, W, b, hparameters = notebook_conv()
    Z = conv2d(Tensor(A_prev), Tensor(W), Tensor(b), stride=2, pad=2).data
    assert Z.shape == (10, 4, 4, 8)  # n_H = floor((4 - 2 + 2*2) / 2) + 1
    assert printed(Z.mean(), "0.0489952035289")
    shown = "-0.61490741 -6.7439236  -2.55153897  1.75698377  3.56208902  0.53036437  5.18531798  8.75898442"
    assert all(printed(z, s) for z, s in zip(Z[3, 2, 1], shown.split(), strict=True))
    np.testing.assert_allclose(Z, conv_forward(A_prev, W, b, hparameters)[0], rtol=1e-12, atol=1e-12)


def test_conv_backward():
    A_prev, W, b, hparameters = notebook_conv()
    A_t, W_t, b_t = leaf(A_prev), leaf(W), leaf(b)
    Z = conv2d(A_t, W_t, b_t, stride=2, pad=2)
    Z.backward(Z.data.copy())  # the notebook's conv_backward(Z, cache_conv): dZ = Z
    assert printed(A_t.grad.data.mean(), "1.45243777754")
    assert printed(W_t.grad.data.mean(), "1.72699145831")
    assert printed(b_t.grad.data.mean(), "7.83923256462")
    dA, dW, db = conv_backward(Z.data, conv_forward(A_prev, W, b, hparameters)[1])
    for mine, theirs in ((A_t.grad.data, dA), (W_t.grad.data, dW), (b_t.grad.data, db)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize(("mode", "shown"), [
    ("max", "1.74481176 0.86540763 1.13376944 1.13162939 1.51981682 2.18557541"),
    ("average", "0.02105773 -0.20328806 -0.40389855 -0.22154621 0.51716526 0.48155844"),
])
def test_pool_forward(mode, shown):
    np.random.seed(1)
    A_prev = np.random.randn(2, 4, 4, 3)
    A = pool2d(Tensor(A_prev), f=3, stride=2, mode=mode).data
    assert A.shape == (2, 1, 1, 3)
    assert all(printed(a, s) for a, s in zip(A.ravel(), shown.split(), strict=True))
    np.testing.assert_allclose(A, pool_forward(A_prev, {"stride": 2, "f": 3}, mode)[0], rtol=1e-13)


@pytest.mark.parametrize(("mode", "shown"), [
    ("max", [["0.", "0."], ["5.05844394", "-1.68282702"], ["0.", "0."]]),
    ("average", [["0.08485462", "0.2787552"], ["1.26461098", "-0.25749373"], ["1.17975636", "-0.53624893"]]),
])
def test_pool_backward(mode, shown):
    np.random.seed(1)
    A_prev = np.random.randn(5, 5, 3, 2)
    A_t = leaf(A_prev)
    A = pool2d(A_t, f=2, stride=1, mode=mode)
    dA = np.random.randn(5, 4, 2, 2)
    assert printed(dA.mean(), "0.145713902729")
    A.backward(dA)
    assert all(printed(v, s + ("0" if s.endswith(".") else ""))
               for row_v, row_s in zip(A_t.grad.data[1, 1], shown, strict=True) for v, s in zip(row_v, row_s))
    oracle = pool_backward(dA, pool_forward(A_prev, {"stride": 1, "f": 2})[1], mode)
    np.testing.assert_allclose(A_t.grad.data, oracle, rtol=1e-13, atol=1e-15)


@st.composite
def conv_cases(draw):
    f = draw(st.integers(1, 4))
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    n_H_prev = draw(st.integers(max(1, f - 2 * pad), 7))
    n_W_prev = draw(st.integers(max(1, f - 2 * pad), 7))
    m, n_C_prev, n_C = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    return (m, n_H_prev, n_W_prev, n_C_prev), (f, f, n_C_prev, n_C), stride, pad, seed


@settings(max_examples=30, deadline=None)
@given(case=conv_cases())
def test_conv2d_and_its_gradients_agree_with_the_notebooks_loops(case):
    a_shape, w_shape, stride, pad, seed = case
    rs = np.random.RandomState(seed)
    A_prev, W, b = rs.randn(*a_shape), rs.randn(*w_shape), rs.randn(1, 1, 1, w_shape[3])
    A_t, W_t, b_t = leaf(A_prev), leaf(W), leaf(b)
    Z = conv2d(A_t, W_t, b_t, stride=stride, pad=pad)
    Z_loops, cache = conv_forward(A_prev, W, b, {"pad": pad, "stride": stride})
    np.testing.assert_allclose(Z.data, Z_loops, rtol=1e-11, atol=1e-11)
    dZ = rs.randn(*Z.shape)
    Z.backward(dZ)
    for mine, theirs in zip((A_t.grad.data, W_t.grad.data, b_t.grad.data), conv_backward(dZ, cache), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-11)


@settings(max_examples=30, deadline=None)
@given(f=st.integers(1, 3), stride=st.integers(1, 3), mode=st.sampled_from(["max", "average"]),
       shape=st.tuples(st.integers(1, 3), st.integers(3, 6), st.integers(3, 6), st.integers(1, 3)),
       seed=st.integers(0, 2**16))
def test_pool2d_and_its_gradient_agree_with_the_notebooks_loops(f, stride, mode, shape, seed):
    rs = np.random.RandomState(seed)
    A_prev = rs.randn(*shape)  # continuous values: no ties in a window
    A_t = leaf(A_prev)
    A = pool2d(A_t, f=f, stride=stride, mode=mode)
    A_loops, cache = pool_forward(A_prev, {"stride": stride, "f": f}, mode)
    np.testing.assert_allclose(A.data, A_loops, rtol=1e-13, atol=1e-15)
    dA = rs.randn(*A.shape)
    A.backward(dA)
    np.testing.assert_allclose(A_t.grad.data, pool_backward(dA, cache, mode), rtol=1e-12, atol=1e-14)
