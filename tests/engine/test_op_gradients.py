"""Every op's gradient against centered finite differences, over random shapes (broadcasting included);
negative axes; pow at 0."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nb import (
    Tensor,
    concatenate,
    maximum,
    minimum,
    stack,
    where,
)
from tinygrad_nb import stack as tstack
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


# ----- 1. axes: negative and positive mixed, normalised in one place -------------------------
def test_transpose_with_mixed_negative_axes_has_the_right_gradient():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x.transpose(-1, 0) * Tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 2, 4], [1, 3, 5]])  # d/dx of sum(x.T * c) = c.T


@settings(max_examples=25, deadline=None)
@given(st.permutations([0, 1, 2]), st.lists(st.booleans(), min_size=3, max_size=3))
def test_every_permutation_with_negative_axes_matches_finite_differences(perm, negate):
    axes = tuple(a - 3 if neg else a for a, neg in zip(perm, negate))
    x = Tensor(np.random.RandomState(0).randn(2, 3, 4), requires_grad=True)
    assert_gradients_match(lambda t: t.transpose(*axes), x)


@pytest.mark.parametrize("op", [
    lambda t: t.sum(axis=(-1, 0)), lambda t: t.mean(axis=(0, -1), keepdims=True), lambda t: t.max(axis=-2),
    lambda t: t.logsumexp(axis=(-1, -3)), lambda t: t.softmax(axis=-1), lambda t: t.log_softmax(axis=-2),
    lambda t: concatenate([t, t * 2], axis=-1), lambda t: tstack([t, t * 3], axis=-1),
], ids=["sum", "mean", "max", "logsumexp", "softmax", "log_softmax", "concatenate", "stack"])
def test_ops_taking_axes_accept_negative_axes_with_right_gradients(op):
    x = Tensor(np.random.RandomState(1).randn(2, 3, 4), requires_grad=True)
    assert_gradients_match(op, x)


@pytest.mark.parametrize("call, fragment", [
    (lambda t: t.transpose(0, 0), "not a permutation"),
    (lambda t: t.transpose(0, 2), "out of range"),
    (lambda t: t.sum(axis=(1, -1)), "names an axis twice"),
    (lambda t: t.sum(axis=1.5), "axis must be an int"),
    (lambda t: t.softmax(axis=2), "out of range"),
])
def test_bad_axes_are_refused_naming_the_op(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call(Tensor(np.ones((2, 3)), requires_grad=True))


# ----- 3. pow: 0 * inf is masked, as PyTorch does -------------------------------------------------
def test_pow_gradients_at_zero_are_finite_and_zero_where_constant():
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([0.0, 3.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero or invalid-value warnings either
        (x ** Tensor(np.zeros(2))).sum().backward()
        (Tensor(np.zeros(2)) ** b).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])  # x**0 is constant 1
    np.testing.assert_array_equal(b.grad.data, [0.0, 0.0])  # 0**b is constant 0 for b > 0 (and 1 at b = 0)


def test_pow_gradients_away_from_the_masked_points_still_match_finite_differences():
    a = Tensor(np.array([0.5, 1.5, 2.0]), requires_grad=True)
    b = Tensor(np.array([0.0, 2.0, -1.5]), requires_grad=True)
    assert_gradients_match(lambda p, q: p ** q, a, b)
