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
