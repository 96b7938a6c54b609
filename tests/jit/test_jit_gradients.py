"""A replayed backward hands each parameter a ``.grad`` of its own, as the eager engine does.

The replay gives a fresh gradient to a parameter whose ``.grad`` was None without going through
the engine's sink (the fast path of a training step); these are the cases where that path must
step aside: one array sent to two parameters, a gradient of another dtype, a view.
"""

import numpy as np
import pytest

from tinygrad_nb import JitError, Tensor, jit


def _leaves(*arrays, dtype=np.float64):
    return [Tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]


def _replayed(step, params, *args, calls=4):
    for _ in range(calls):  # the first two record, the rest replay
        for p in params:
            p.grad = None  # outside the step, as a training loop's zero_grad() may be
        step(*args)


def test_one_gradient_array_sent_to_two_parameters_becomes_two_grads():
    a, b = _leaves(np.ones((2, 3)), np.ones((2, 3)))

    @jit
    def step(x):
        ((a + b) * x).sum().backward()  # Add's backward sends the same array to a and b

    x = np.arange(6.0).reshape(2, 3)
    _replayed(step, [a, b], x)
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[:] = 0  # the user may write one parameter's gradient...
    np.testing.assert_array_equal(b.grad.data, x)  # ...and the other keeps its own


def test_a_float32_parameter_gets_a_float32_grad_from_a_float64_gradient():
    (w,) = _leaves(np.ones((2, 2)), dtype=np.float32)

    @jit
    def step(x):
        (w * x).sum().backward()  # x is float64: the product, and so the gradient, are float64

    x = np.full((2, 2), 3.0)
    _replayed(step, [w], x)
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.data, np.full((2, 2), 3.0, np.float32))


def test_a_gradient_that_is_a_view_is_copied_before_it_becomes_grad():
    (w,) = _leaves(np.ones((3, 1)))

    @jit
    def step(x):
        (w * x).sum().backward()  # w broadcasts over x's columns: its gradient is reduced, maybe a view

    x = np.arange(6.0).reshape(3, 2)
    _replayed(step, [w], x)
    assert w.grad.data.flags.writeable and w.grad.data.base is None
    np.testing.assert_array_equal(w.grad.data, x.sum(axis=1, keepdims=True))


def test_replayed_grads_are_new_arrays_each_step():
    (w,) = _leaves(np.ones((2, 2)))
    seen = []

    @jit
    def step(x):
        (w * x).sum().backward()

    x = np.ones((2, 2))
    for _ in range(4):
        w.grad = None
        step(x)
        seen.append(w.grad.data)
    assert len({id(g) for g in seen}) == len(seen)  # a .grad kept from one step is not overwritten by the next


def test_grad_takes_the_dtype_the_parameter_has_now_after_a_cast_between_calls():
    (w,) = _leaves(np.ones((2, 2)))

    @jit
    def step(x):
        (w * x).sum().backward()

    x = np.full((2, 2), 3.0)
    _replayed(step, [w], x)
    w.data = w.data.astype(np.float32)  # Module.astype between two calls: the same signature (x did not change)
    w.grad = None
    step(x)
    assert w.grad.dtype == np.float32  # as the eager engine gives it


def test_a_grad_set_between_replays_is_refused_not_silently_added_to():
    (w,) = _leaves(np.ones((2, 2)))

    @jit
    def step(x):
        (w * x).sum().backward()

    x = np.ones((2, 2))
    _replayed(step, [w], x)
    w.grad = Tensor(np.ones((2, 2)))  # .grad was None on every recorded call
    with pytest.raises(JitError, match="was None when the step was recorded"):
        step(x)
