"""The engine: topological order, fan-out, pruning, graph freeing, hooks, no_grad, grad(); gradients whose
shape broadcasting cannot explain are refused; gradients and hooks get writable arrays of their own."""

import sys

import numpy as np
import pytest

from tinygrad_nb import (
    Function,
    Tensor,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
)
from tinygrad_nb.engine import GradientShapeError
from tinygrad_nb.ops import Matmul


def leaf(a, name=None):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True, name=name)


def test_issue_example_course_layout():
    rng = np.random.RandomState(0)
    W = leaf(rng.randn(3, 4), "W1")
    X = Tensor(rng.randn(4, 5), name="X")
    b = leaf(np.zeros((3, 1)), "b1")
    Z = W @ X + b
    J = Z.relu().sum() / 5
    J.backward()
    dZ = (Z.data > 0) / 5  # closed form: dJ/dZ = relu'(Z) / m
    np.testing.assert_allclose(W.grad.data, dZ @ X.data.T, rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, dZ.sum(axis=1, keepdims=True), rtol=1e-12)
    assert X.grad is None


def test_fan_out_accumulates():
    x = leaf([1.5, -2.0])
    (x * x).sum().backward()  # d/dx x^2 = 2x
    np.testing.assert_allclose(x.grad.data, [3.0, -4.0])


def test_diamond_accumulates_both_paths():
    x = leaf(0.7)
    a, b = x.exp(), x * 3.0
    (a * b).backward()  # d/dx 3x e^x = 3 e^x (1 + x)
    np.testing.assert_allclose(x.grad.data, 3 * np.exp(0.7) * 1.7, rtol=1e-12)


def test_grads_accumulate_across_backward_calls_until_zeroed():
    x = leaf([1.0, 2.0])
    (x * 2.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [5.0, 5.0])


def test_each_leaf_gets_its_own_grad_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()  # Add hands one array to both inputs
    a.grad.data *= 10
    np.testing.assert_allclose(b.grad.data, [1.0, 1.0])


def chain(n):
    x = leaf(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0
    return x, y


def test_chain_of_100000_ops_is_iterative():
    x, y = chain(100_000)
    y.backward()  # far past Python's recursion limit
    assert x.grad.item() == 1.0


def calls_during_backward(n: int) -> int:
    """The Python and C function calls backward makes on a chain of n ops: a count, not a time."""
    x, y = chain(n)
    count = 0

    def profiler(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profiler)
    try:
        y.backward()
    finally:
        sys.setprofile(None)
    assert x.grad.item() == 1.0
    return count


def test_backward_is_linear_in_the_number_of_ops():
    short, long = calls_during_backward(2_000), calls_during_backward(20_000)
    assert short > 2_000  # at least one call per op: the count sees the walk
    assert long <= 10 * short + 200, f"10x the ops took {long / short:.1f}x the calls: backward is not linear"


def test_leaf_without_requires_grad_costs_no_backward_work(monkeypatch):
    """For an input X, dA[0] = W[1]^T dZ[1] is never computed."""
    returned = []
    original = Matmul.backward

    def spy(self, g, out, a, b):
        result = original(self, g, out, a, b)
        returned.append(result)
        return result

    monkeypatch.setattr(Matmul, "backward", spy)
    W1, X = leaf(np.ones((2, 3))), Tensor(np.ones((3, 4)))
    (W1 @ X).sum().backward()
    assert len(returned) == 1 and returned[0][0] is not None and returned[0][1] is None


def test_constants_record_nothing():
    y = Tensor([1.0, 2.0]) * 3.0
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_graph_is_freed_and_second_backward_says_retain_graph():
    x = leaf(2.0)
    y = (x * x).exp()
    y.backward()
    assert y._ctx.parents is None
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf(2.0)
    y = x * x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 3 * 4.0)


def test_non_scalar_without_grad_is_a_clear_error():
    Z = leaf(np.ones((2, 3)), "Z1") * 2.0
    with pytest.raises(RuntimeError, match=r"not a scalar.*grad="):
        Z.backward()
    Z.backward(grad=np.full((2, 3), 0.5))
    assert Z._ctx is not None


def test_backward_with_explicit_grad_of_wrong_shape():
    Z = leaf(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"grad has shape \(3,\)"):
        Z.backward(grad=np.ones(3))


def test_retain_grad_keeps_dZ():
    W = leaf([[1.0, -2.0]])
    A = Tensor([[3.0], [1.0]])
    Z = (W @ A).retain_grad()
    J = Z.sigmoid().sum()
    J.backward()
    s = 1 / (1 + np.exp(-(3.0 - 2.0)))
    np.testing.assert_allclose(Z.grad.data, [[s * (1 - s)]])  # dZ = sigma'(Z)


def test_intermediate_without_retain_grad_keeps_none():
    x = leaf(1.0)
    y = x * 2.0
    (y * y).backward()
    assert y.grad is None


def test_detach_cuts_the_graph():
    x = leaf(3.0)
    y = x.detach() * x
    y.backward()
    assert x.grad.item() == 3.0  # only the right-hand factor is differentiated


def test_no_grad_and_enable_grad_as_context_and_decorator():
    x = leaf(1.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2.0
        with enable_grad():
            z = x * 2.0
    assert not y.requires_grad and z.requires_grad and is_grad_enabled()

    @no_grad()
    def predict(t):
        return t * 2.0

    assert not predict(x).requires_grad and is_grad_enabled()


def test_no_grad_restores_state_after_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert is_grad_enabled()


def test_hooks_see_and_can_replace_the_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))
    remove = x.register_hook(lambda g: g * 2.0)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0])
    remove()
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_grad_returns_tensors_without_touching_dot_grad():
    x, y = leaf(2.0), leaf(5.0)
    J = x * x * y
    gx, gy = grad(J, [x, y])
    assert gx.item() == 20.0 and gy.item() == 4.0
    assert x.grad is None and y.grad is None


def test_grad_with_grad_outputs_and_unused_inputs():
    x, unused = leaf([1.0, 2.0]), leaf(1.0)
    y = x * x
    (gx,) = grad(y, x, grad_outputs=np.array([1.0, 10.0]), retain_graph=True)
    np.testing.assert_allclose(gx.data, [2.0, 40.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad(y.sum(), [x, unused], retain_graph=True)
    assert grad(y.sum(), [x, unused], allow_unused=True)[1] is None


def test_grad_of_an_intermediate():
    x = leaf(1.0)
    h = x * 4.0
    J = h * h
    (gh,) = grad(J, h)
    assert gh.item() == 8.0


def test_gradient_of_broadcast_bias_is_reduced_to_its_shape():
    Z = leaf(np.ones((3, 5)))
    b = leaf(np.zeros((3, 1)))
    ((Z + b) * 2.0).sum().backward()
    assert b.grad.shape == (3, 1)
    np.testing.assert_allclose(b.grad.data, np.full((3, 1), 10.0))


def test_float32_leaf_receives_float32_grad_from_float64_graph():
    W = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    (W * np.ones((2, 2))).sum().backward()  # float32 * float64 array is float64
    assert W.grad.dtype == np.float32


def test_the_engine_refuses_a_gradient_whose_shape_broadcasting_cannot_explain():
    class WrongShapeBackward(Function):  # a buggy user op: gives (3, 2) back for a (2, 3) input
        def forward(self, x):
            return x.copy()

        def backward(self, g, out, x):
            return (g.T,)

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(GradientShapeError, match=r"wrong_shape_backward backward.*\(3, 2\).*\(2, 3\)"):
        WrongShapeBackward.apply(x).sum().backward()


# ----- 4. every array handed to the user is writable and the user's own -------------------------
def test_grad_results_are_writable_and_not_shared():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = Tensor(np.ones((2, 3)), requires_grad=True)
    gx, gy = grad((x + y).sum(), [x, y])  # Add hands one array to both, Sum a read-only broadcast
    gx.data += 1
    np.testing.assert_array_equal(gy.data, np.ones((2, 3)))
    gx2, gx3 = grad((x * 2).sum(), [x, x], retain_graph=True)
    assert not np.shares_memory(gx2.data, gx3.data)


def test_hooks_receive_writable_arrays():
    x = Tensor(np.ones(3), requires_grad=True)
    seen = []

    def hook(g):
        g.data *= 1  # raised "read-only" before
        seen.append(g.data.copy())

    x.register_hook(hook)
    x.sum().backward()
    np.testing.assert_array_equal(seen[0], np.ones(3))


# ----- nodes free everything they hold ---------------------------------------------------------------
def test_backward_frees_the_masks_and_caches_ops_keep():
    x = Tensor(np.random.RandomState(4).randn(3, 4), requires_grad=True)
    y = x.max(axis=1)
    node = y._ctx
    assert hasattr(node, "weights")
    y.sum().backward()
    assert node.parents is None and not hasattr(node, "weights")
