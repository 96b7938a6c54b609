"""Custom ops (``Function``): the tutorial's LegendrePolynomial3 passes gradcheck; a backward returning the
wrong number or shape of gradients is named."""

import numpy as np
import pytest

from tinygrad_nb import Function, Tensor, gradcheck
from tinygrad_nb.engine import GradientShapeError


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


def test_the_engine_pages_custom_op_example_runs_as_written():
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "engine.md").read_text()
    section = page.split("## Custom ops", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "docs/engine.md (Custom ops)", "exec"), {})  # its own asserts check the gradient
