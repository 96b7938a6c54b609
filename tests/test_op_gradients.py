"""Every op's gradient against centered finite differences, over random shapes (broadcasting included)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_nb import Tensor, concatenate, maximum, minimum, stack, where
from tinygrad_nb.testing import arrays, assert_gradients_match, broadcastable_shapes, shapes, tensors

# Keep inputs away from kinks (relu at 0) and from poles (log, sqrt, division near 0).
POSITIVE = {"low": 0.5, "high": 3.0}
AWAY_FROM_ZERO = {"away_from": 0.0, "margin": 1e-2}

UNARY = {
    "neg": (lambda x: -x, {}),
    "exp": (lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), POSITIVE),
    "sqrt": (lambda x: x.sqrt(), POSITIVE),
    "abs": (lambda x: x.abs(), AWAY_FROM_ZERO),
    "sigmoid": (lambda x: x.sigmoid(), {"low": -8.0, "high": 8.0}),
    "tanh": (lambda x: x.tanh(), {}),
    "relu": (lambda x: x.relu(), AWAY_FROM_ZERO),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), AWAY_FROM_ZERO),
    "pow_scalar": (lambda x: x**3, {}),
    "rpow": (lambda x: 2.0**x, {}),
    "scalar_div": (lambda x: 1.5 / x, POSITIVE),
    "scalar_sub": (lambda x: 1.0 - x * 2.0 + 3.0, {}),
    "clip": (lambda x: x.clip(-10.0, 0.5), {"away_from": 0.5, "margin": 1e-2}),
    "transpose": (lambda x: x.T, {}),
    "reshape": (lambda x: x.reshape(-1), {}),
    "sum": (lambda x: x.sum(), {}),
    "mean": (lambda x: x.mean(), {}),
    "logsumexp": (lambda x: x.logsumexp(), {}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_op_gradient_matches_finite_differences(name, data):
    fn, domain = UNARY[name]
    x = data.draw(tensors(shapes(max_dims=3), **domain), label="x")
    assert_gradients_match(fn, x)


BINARY = {
    "add": (lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, POSITIVE),
    "pow": (lambda a, b: a**b, POSITIVE),
    "maximum": (maximum, {}),
    "minimum": (minimum, {}),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_op_gradient_with_broadcasting(name, data):
    fn, domain = BINARY[name]
    shape_a, shape_b = data.draw(broadcastable_shapes(2), label="shapes")
    a = data.draw(tensors(shape_a, **POSITIVE if name == "pow" else {}), label="a")
    b = data.draw(tensors(shape_b, **domain), label="b")
    if name in ("maximum", "minimum"):  # finite differences are wrong at a tie; nudge ties apart
        b = Tensor(np.where(np.abs(a.data - b.data) < 1e-3, b.data + 0.1, b.data), requires_grad=True)
    assert_gradients_match(fn, a, b)


@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4), data=st.data())
def test_matmul_gradient_course_layout(n, k, m, data):
    W = data.draw(tensors((n, k)), label="W")
    A = data.draw(tensors((k, m)), label="A")
    b = data.draw(tensors((n, 1)), label="b")
    assert_gradients_match(lambda W, A, b: W @ A + b, W, A, b)


@given(data=st.data(), keepdims=st.booleans())
def test_axis_reductions(data, keepdims):
    x = data.draw(tensors(shapes(min_dims=2, max_dims=3, min_side=2)), label="x")
    axis = data.draw(st.sampled_from([0, 1, -1, (0, 1)]), label="axis")
    assert_gradients_match(lambda x: x.sum(axis=axis, keepdims=keepdims), x)
    assert_gradients_match(lambda x: x.mean(axis=axis, keepdims=keepdims), x)
    assert_gradients_match(lambda x: x.logsumexp(axis=axis, keepdims=keepdims), x)
    # No ties, not even within the finite differences' eps: adding each element's rank times 1e-2
    # keeps the order and leaves at least 1e-2 between any two elements.
    ranks = np.empty(x.size)
    ranks[np.argsort(x.data.ravel(), kind="stable")] = np.arange(x.size)
    distinct = Tensor(x.data + ranks.reshape(x.shape) * 1e-2, requires_grad=True)
    assert_gradients_match(lambda x: x.max(axis=axis, keepdims=keepdims), distinct)


@given(data=st.data(), axis=st.sampled_from([0, 1, -1]))
def test_softmax_family(data, axis):
    x = data.draw(tensors(shapes(min_dims=2, max_dims=2, min_side=2)), label="x")
    assert_gradients_match(lambda x: x.softmax(axis), x)
    assert_gradients_match(lambda x: x.log_softmax(axis), x)


@given(data=st.data())
def test_getitem_slices_and_integer_arrays(data):
    x = data.draw(tensors((4, 5)), label="x")
    assert_gradients_match(lambda x: x[1:3, ::2], x)
    assert_gradients_match(lambda x: x[np.array([0, 2, 2, 3])], x)  # repeated rows add up
    assert_gradients_match(lambda x: x[:, [4, 0, 4]], x)
    mask = x.data > 0.0  # fixed before the nudges of finite differences
    assert_gradients_match(lambda x: x[mask], x)


@given(data=st.data(), axis=st.sampled_from([0, 1]))
def test_concatenate_and_stack(data, axis):
    a = data.draw(tensors((2, 3)), label="a")
    b = data.draw(tensors((2, 3)), label="b")
    assert_gradients_match(lambda a, b: concatenate([a, b * 2.0, a], axis=axis), a, b)
    assert_gradients_match(lambda a, b: stack([a, b, a], axis=axis), a, b)


@given(data=st.data())
def test_where_and_expand(data):
    a = data.draw(tensors((3, 4)), label="a")
    b = data.draw(tensors((3, 1)), label="b")
    cond = data.draw(arrays((3, 4)), label="cond") > 0
    assert_gradients_match(lambda a, b: where(cond, a, b), a, b)
    assert_gradients_match(lambda b: b.expand((2, 3, 4)), b)


@given(data=st.data())
def test_float32_gradients_stay_float32(data):
    x = data.draw(tensors((3, 4)), label="x")
    x32 = Tensor(x.data.astype(np.float32), requires_grad=True)
    W = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    J = ((W @ x32).tanh() * 2.0 + 1).sigmoid().mean()
    J.backward()
    assert J.dtype == np.float32 and W.grad.dtype == np.float32 and x32.grad.dtype == np.float32
    (x.astype(np.float32) * 3.0).sum().backward()  # d/dx sum(3 x) = 3, cast back to x's dtype
    assert x.grad.dtype == np.float64 and np.array_equal(x.grad.data, np.full(x.shape, 3.0))
