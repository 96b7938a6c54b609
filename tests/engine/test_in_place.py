"""In-place updates: allowed on leaves under no_grad (the tutorial's update), refused where a gradient would
need the old value, and caught at backward when an op's input changed after the op read it."""

import numpy as np
import pytest

from tinygrad_nb import Tensor, no_grad


# ----- 1. in-place updates ------------------------------------------------------------------------
def test_the_tutorial_update_under_no_grad_changes_the_leaf_in_place():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    data = a.data
    (a * a).sum().backward()
    with no_grad():
        a -= 0.1 * a.grad
    assert a.requires_grad and a.is_leaf and a.data is data
    np.testing.assert_allclose(a.data, [1.0 - 0.2, 2.0 - 0.4])
    (a * a).sum().backward()  # the next iteration works: a still requires grad


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    a = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"-=: .* is a leaf that requires grad: update it under no_grad\(\)"):
        a -= 1.0


def test_in_place_that_would_need_a_gradient_is_refused():
    a = Tensor(np.ones(2), requires_grad=True)
    y = a * 2
    with pytest.raises(RuntimeError, match="in-place ops are not recorded on the graph; write x = x \\* y"):
        y *= 3


def test_backward_refuses_an_input_changed_in_place_after_an_op_read_it():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="W1")
    x = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = (x * w).sum()  # mul saves w for dJ/dx
    with no_grad():
        w += 1.0
    with pytest.raises(RuntimeError, match=r"input 1 of mul, W1 \(2,\), was modified in place"):
        y.backward()


def test_zero_and_in_place_on_plain_tensors():
    a = Tensor(np.ones(3), requires_grad=True)
    (a * 2).sum().backward()
    a.grad.zero_()
    np.testing.assert_array_equal(a.grad.data, np.zeros(3))
    t = Tensor(np.ones(2))
    t += np.array([1.0, 2.0])
    t /= 2
    np.testing.assert_array_equal(t.data, [1.0, 1.5])
    with pytest.raises(ValueError, match=r"\+=: \(2,\) \+= \(3,\)"):
        t += np.ones(3)
