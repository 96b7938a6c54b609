"""Issue 16, the engine's part: what a PyTorch user types by habit works, or is refused saying what to write.

Gradients are checked against finite differences (``assert_gradients_match``) or hand-derived formulas.
"""

import numpy as np
import pytest

import tinygrad_nb as tg
from tinygrad_nb import Function, Tensor, gradcheck, no_grad
from tinygrad_nb.engine import GradientShapeError
from tinygrad_nb.testing import assert_gradients_match


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


def test_numpy_arithmetic_with_a_tensor_that_is_plainly_an_array():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (p * p).sum().backward()
    data = p.data
    data -= 0.5 * p.grad  # ndarray -= Tensor: the tutorial's other spelling
    np.testing.assert_allclose(p.data, [0.0, 0.0])


def test_numpy_ufuncs_the_engine_differentiates_become_tensor_ops():
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    y = np.exp(x) + np.sin(x) * np.array([1.0, 2.0, 3.0])
    assert isinstance(y, Tensor) and y.requires_grad
    assert_gradients_match(lambda t: np.exp(t) + np.sin(t) * np.array([1.0, 2.0, 3.0]), x)
    assert isinstance(np.array([1.0, 2.0, 3.0]) > x, Tensor)
    with pytest.raises(TypeError, match=r"np.sign on a Tensor: use the Tensor's own methods"):
        np.sign(x)


# ----- 2. ops and factories -----------------------------------------------------------------------------
@pytest.mark.parametrize("op", [
    lambda t: t.pow(3), lambda t: t.clamp(min=-0.5, max=0.5), lambda t: t.sin(), lambda t: t.cos(),
    lambda t: t.unsqueeze(-1), lambda t: t.unsqueeze(0).squeeze(0), lambda t: t.flatten(),
    lambda t: t.reshape(2, 1, 3).squeeze(), lambda t: t.reshape(2, 3, 1).flatten(1, 2),
], ids=["pow", "clamp", "sin", "cos", "unsqueeze", "squeeze", "flatten", "squeeze_all", "flatten_1_2"])
def test_pytorch_spellings_have_the_right_gradients(op):
    x = Tensor(np.array([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]]), requires_grad=True)
    assert_gradients_match(op, x)


def test_shapes_of_the_movement_spellings_and_argmax():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert t.unsqueeze(1).shape == (2, 1, 3) and t.unsqueeze(-1).shape == (2, 3, 1)
    assert t.unsqueeze(0).squeeze().shape == (2, 3) and t.squeeze(0).shape == (2, 3)
    assert t.flatten().shape == (6,) and t.numel() == 6
    np.testing.assert_array_equal(t.argmax(axis=0).data, [1, 1, 1])
    np.testing.assert_array_equal(t.argmin(axis=1).data, [0, 0])
    with pytest.raises(ValueError, match="unsqueeze: axis 4 is out of range for a tensor with 3 dimensions"):
        t.unsqueeze(4)


def test_factories_are_float64_seedable_and_take_pytorch_keywords():
    W = tg.randn(4, 2, rng=1, requires_grad=True, name="W1")
    np.testing.assert_array_equal(W.data, np.random.RandomState(1).randn(4, 2))
    assert W.requires_grad and W.name == "W1" and W.dtype == np.float64
    assert tg.zeros(3, 1).shape == (3, 1) and tg.ones((2, 2), dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(tg.full((2,), 7).data, [7.0, 7.0])
    np.testing.assert_array_equal(tg.arange(3).data, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(tg.linspace(-1, 1, 5).data, [-1, -0.5, 0, 0.5, 1])
    assert ((tg.rand(100, rng=2).data >= 0) & (tg.rand(100, rng=2).data < 1)).all()
    with pytest.raises(ValueError, match="zeros: a shape is made of non-negative ints"):
        tg.zeros(2, -1)
    with pytest.raises(TypeError, match="randn: rng must be"):
        tg.randn(2, rng="seed")


def test_requires_grad_accepts_one_and_zero_as_pytorch_does():
    assert Tensor([1.0], requires_grad=1).requires_grad
    assert not Tensor([1.0], requires_grad=0).requires_grad
    with pytest.raises(TypeError):
        Tensor([1.0], requires_grad="yes")


# ----- 5. custom ops: the contract, checked at the op ----------------------------------------------------
class LegendrePolynomial3(Function):
    """P3(x) = 0.5 (5x^3 - 3x); P3'(x) = 1.5 (5x^2 - 1): the tutorial's custom autograd Function."""

    def forward(self, x):
        return 0.5 * (5 * x**3 - 3 * x)

    def backward(self, g, out, x):
        return g * 1.5 * (5 * x**2 - 1)  # a bare gradient for the one input, as PyTorch allows


def test_a_custom_op_returning_a_bare_gradient_passes_gradcheck():
    x = Tensor(np.linspace(-1, 1, 7), requires_grad=True)
    assert gradcheck(lambda t: LegendrePolynomial3.apply(t).sum(), [x])
    LegendrePolynomial3.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 1.5 * (5 * x.data**2 - 1))


def test_a_custom_op_returning_the_wrong_number_of_gradients_is_named():
    class TwoGrads(Function):
        def forward(self, x):
            return x * 2

        def backward(self, g, out, x):
            return g * 2, g

    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"two_grads backward returned 2 gradient\(s\) for 1 input\(s\)"):
        TwoGrads.apply(x).sum().backward()


def test_a_custom_op_returning_a_wrong_shape_is_named():
    class Reshaped(Function):
        def forward(self, x):
            return x * 2

        def backward(self, g, out, x):
            return g.reshape(3, 1)

    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(GradientShapeError, match=r"reshaped backward: gradient of shape \(3, 1\)"):
        Reshaped.apply(x).sum().backward()


def test_the_readmes_custom_op_example_runs_as_written():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### Custom ops", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md (Custom ops)", "exec"), {})  # its own asserts check the gradient


def test_module_level_elementwise_functions_are_the_methods():
    x = Tensor(np.array([0.2, 1.3]), requires_grad=True)
    for f, method in ((tg.sin, "sin"), (tg.cos, "cos"), (tg.exp, "exp"), (tg.log, "log"), (tg.tanh, "tanh")):
        np.testing.assert_array_equal(f(x).data, getattr(x, method)().data)
    assert_gradients_match(lambda t: tg.sin(t) * tg.exp(t), x)
    with pytest.raises(TypeError, match="sin: expected a Tensor, got ndarray"):
        tg.sin(np.ones(2))
