"""gradcheck: the course's relative difference, pass/fail, the worst element in the report; exact zero
gradients, NaN differences, transposed inputs and bad settings."""

import numpy as np
import pytest

from tinygrad_nb import Function, Tensor, gradcheck


def test_passes_on_a_two_layer_network():
    rng = np.random.RandomState(1)
    W1, b1, W2, b2 = (Tensor(rng.randn(*shape), requires_grad=True, name=name)
                      for name, shape in [("W1", (4, 3)), ("b1", (4, 1)), ("W2", (1, 4)), ("b2", (1, 1))])
    X, Y = Tensor(rng.randn(3, 6)), rng.rand(1, 6) > 0.5

    def cost(W1, b1, W2, b2):
        A2 = (W2 @ (W1 @ X + b1).tanh() + b2).sigmoid()
        return -(Y * A2.log() + (1 - Y) * (1 - A2).log()).mean()

    result = gradcheck(cost, [W1, b1, W2, b2])
    assert result and result.passed and result.difference < 1e-7
    assert "passed" in str(result)


class WrongSquare(Function):
    """x^2 with a deliberately wrong derivative (3x instead of 2x)."""

    def forward(self, x):
        return x * x

    def backward(self, g, out, x):
        return (g * 3 * x,)


def test_fails_on_a_wrong_backward_and_names_the_worst_element():
    x = Tensor(np.array([[0.1, 2.0], [0.3, 0.4]]), requires_grad=True, name="W1")
    result = gradcheck(lambda x: WrongSquare.apply(x).sum(), [x])
    assert not result
    assert result.difference == pytest.approx(np.linalg.norm(x.data) / (5 * np.linalg.norm(x.data)), rel=1e-6)
    assert result.worst_input == "W1" and result.worst_index == (0, 1)
    assert result.worst_analytic == pytest.approx(6.0) and result.worst_numeric == pytest.approx(4.0, rel=1e-6)
    assert "FAILED" in str(result) and "W1[0, 1]" in str(result)


def test_inputs_are_restored_after_the_check():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    before = x.data.copy()
    gradcheck(lambda x: (x * x).sum(), [x])
    assert np.array_equal(x.data, before)


def test_refuses_float32_and_non_scalar_and_nothing_to_check():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x.sum(), [Tensor(np.ones(2, dtype=np.float32), requires_grad=True)])
    with pytest.raises(ValueError, match="one-element"):
        gradcheck(lambda x: x * 2.0, [Tensor(np.ones(2), requires_grad=True)])
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck(lambda x: x.sum(), [Tensor(np.ones(2))])


# ----- gradcheck -----------------------------------------------------------------------------------
def test_gradcheck_passes_a_correct_zero_gradient_despite_rounding_in_finite_differences():
    # dJ/dx = 2(x + 0.1) - 0.2 is exactly 0 at x = 0; finite differences give rounding noise ~1e-10
    x = Tensor(np.zeros(3), requires_grad=True)
    result = gradcheck(lambda t: ((t + 0.1) ** 2 - t * 0.2).sum(), [x])
    assert result, str(result)


def test_gradcheck_still_fails_a_wrong_gradient():
    class TwiceTooSteep(Function):
        def forward(self, x):
            return x * x

        def backward(self, g, out, x):
            return (4 * g * x,)

    x = Tensor(np.array([0.3, -0.7]), requires_grad=True)
    assert not gradcheck(lambda t: TwiceTooSteep.apply(t).sum(), [x])


def test_gradcheck_checks_a_transposed_input_like_the_courses_x_t():
    X = np.asfortranarray(np.random.RandomState(2).randn(3, 4)).T  # (4, 3), not C-contiguous
    W = Tensor(np.random.RandomState(3).randn(2, 4), requires_grad=True)
    Xt = Tensor(X, requires_grad=True)
    assert gradcheck(lambda w, x: (w @ x).tanh().sum(), [W, Xt])


def test_gradcheck_leaves_the_callers_array_untouched_when_fn_raises():
    data = np.array([1.0, 2.0, 3.0])
    x = Tensor(data, requires_grad=True)
    calls = []

    def fn(t):
        calls.append(1)
        if len(calls) > 1:  # fails inside the finite differences, after the first nudge
            raise RuntimeError("boom")
        return (t * t).sum()

    with pytest.raises(RuntimeError, match="boom"):
        gradcheck(fn, [x])
    assert x.data is data
    np.testing.assert_array_equal(data, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("kwargs", [{"eps": 0}, {"eps": -1e-7}, {"eps": float("nan")}, {"threshold": 0},
                                    {"eps": True}, {"floor": "1"}])
def test_gradcheck_refuses_meaningless_settings(kwargs):
    with pytest.raises(ValueError, match="gradcheck: .* must be a positive finite number"):
        gradcheck(lambda t: t.sum(), [Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_gradcheck_reports_nan_differences_instead_of_crashing():
    x = Tensor(np.zeros((2, 2)), requires_grad=True)
    with np.errstate(all="ignore"):  # sqrt'(0) is infinite, and sqrt(-eps) NaN: the differences are NaN
        result = gradcheck(lambda t: t.sqrt().sum(), [x])
    assert not result and result.worst_input == "input 0"
