"""PyTorch's spellings of the ops (methods and module-level functions): the right gradients and shapes."""

import numpy as np
import pytest

import tinygrad_nb as tg
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match


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


def test_module_level_elementwise_functions_are_the_methods():
    x = Tensor(np.array([0.2, 1.3]), requires_grad=True)
    for f, method in ((tg.sin, "sin"), (tg.cos, "cos"), (tg.exp, "exp"), (tg.log, "log"), (tg.tanh, "tanh")):
        np.testing.assert_array_equal(f(x).data, getattr(x, method)().data)
    assert_gradients_match(lambda t: tg.sin(t) * tg.exp(t), x)
    with pytest.raises(TypeError, match="sin: expected a Tensor, got ndarray"):
        tg.sin(np.ones(2))


# ----- 3. view, float, double, nelement, log10, backward(explain=...) (issue 25) --------------------------------
def test_log10_values_and_gradient_against_finite_differences():
    x = Tensor(np.array([[0.3, 1.0, 2.5], [10.0, 0.01, 7.0]]), requires_grad=True)
    np.testing.assert_allclose(x.log10().data, np.log10(x.data), rtol=1e-15)
    assert_gradients_match(lambda t: t.log10(), x)
    x.log10().sum().backward()
    np.testing.assert_allclose(x.grad.data, 1.0 / (x.data * np.log(10.0)), rtol=1e-12)  # d/dx log10 x = 1/(x ln 10)


def test_float_and_double_cast_the_values_and_their_gradients():
    x64 = Tensor(np.array([0.1, -2.0, 3.3]), requires_grad=True)
    y32 = x64.float()
    assert y32.dtype == np.float32 and x64.float().data.tolist() == np.float32(x64.data).tolist()
    (y32 * y32).sum().backward()
    assert x64.grad.dtype == np.float64  # the gradient comes back in the leaf's dtype
    np.testing.assert_allclose(x64.grad.data, 2 * x64.data, rtol=1e-6)
    x32 = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    y64 = x32.double()
    assert y64.dtype == np.float64
    (y64 ** 3).sum().backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_allclose(x32.grad.data, 3 * x32.data.astype(np.float64) ** 2, rtol=1e-6)
    assert_gradients_match(lambda t: t.double() * 2.0, Tensor(np.array([0.2, 0.4]), requires_grad=True))


def test_view_reshapes_and_its_gradient_is_reshaped_back():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.view(3, 2).shape == (3, 2) and x.view((6,)).shape == (6,) and x.view(-1, 2).shape == (3, 2)
    np.testing.assert_array_equal(x.view(3, 2).data, x.data.reshape(3, 2))
    weights = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    (x.view(3, 2) * Tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, weights.reshape(2, 3))  # d/dx sum(view(x) * w) = w reshaped
    assert_gradients_match(lambda t: t.view(3, 2) ** 2, Tensor(np.linspace(-1, 1, 6).reshape(2, 3),
                                                              requires_grad=True))


def test_nelement_is_the_number_of_elements():
    assert Tensor(np.ones((3, 4, 5))).nelement() == 60 == Tensor(np.ones((3, 4, 5))).numel()
    assert Tensor(np.array(2.0)).nelement() == 1 and Tensor(np.ones((0, 3))).nelement() == 0


def test_backward_explain_rejects_what_is_neither_a_flag_nor_a_file():
    J = (Tensor(np.ones(2), requires_grad=True) * 2).sum()
    with pytest.raises(TypeError, match=r"^backward: explain must be True, False or an open text file to print to, "
                                        r"got int 123$"):
        J.backward(explain=123)
