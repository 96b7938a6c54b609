"""create_graph=True: gradients are differentiable; second derivatives against closed forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_nb import Tensor, grad

points = st.floats(-2.0, 2.0, allow_nan=False)

# f, f'' in closed form
SECOND = {
    "tanh": (lambda x: x.tanh(), lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    "sigmoid": (lambda x: x.sigmoid(), lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s) * (1 - 2 * s)),
    "exp": (lambda x: x.exp(), np.exp),
    "log": (lambda x: (x * x + 1.0).log(), lambda v: 2 * (1 - v * v) / (1 + v * v) ** 2),
    "cube": (lambda x: x**3, lambda v: 6 * v),
    "div": (lambda x: 1.0 / (x * x + 1.0), lambda v: (6 * v * v - 2) / (1 + v * v) ** 3),
}


@pytest.mark.parametrize("name", sorted(SECOND))
@given(v=points)
def test_second_derivative_matches_closed_form(name, v):
    f, f2 = SECOND[name]
    x = Tensor(v, requires_grad=True)
    (g,) = grad(f(x), x, create_graph=True)
    assert g.requires_grad
    (h,) = grad(g, x)
    np.testing.assert_allclose(h.item(), f2(v), rtol=1e-9, atol=1e-12)


def test_backward_create_graph_then_differentiate_grad():
    x = Tensor(0.3, requires_grad=True)
    (x.tanh()).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    (h,) = grad(g, x)
    t = np.tanh(0.3)
    np.testing.assert_allclose(h.item(), -2 * t * (1 - t * t), rtol=1e-12)


@given(st.integers(2, 4), st.integers(0, 10_000))
def test_hessian_vector_product_of_quadratic_and_softplus(n, seed):
    rng = np.random.RandomState(seed)
    A = rng.randn(n, n)
    A = A @ A.T
    x0, v = rng.randn(n, 1), rng.randn(n, 1)
    x = Tensor(x0, requires_grad=True)
    J = 0.5 * (x.T @ Tensor(A) @ x).sum() + (x.exp() + 1.0).log().sum()  # Hessian = A + diag(sigma'(x))
    (g,) = grad(J, x, create_graph=True)
    (hv,) = grad((g * Tensor(v)).sum(), x)
    s = 1 / (1 + np.exp(-x0))
    expected = A @ v + s * (1 - s) * v
    np.testing.assert_allclose(hv.data, expected, rtol=1e-9, atol=1e-12)


def test_second_derivative_through_matmul_relu_and_reductions():
    # J = sum(relu(W x)^2) / 2 with all W x > 0: d2J/dW2 applied to V is (V x) x^T
    W = Tensor(np.array([[1.0, 2.0], [0.5, 1.0]]), requires_grad=True)
    x = Tensor(np.array([[1.0], [1.0]]))
    V = np.array([[0.3, -0.1], [0.2, 0.4]])
    J = ((W @ x).relu() ** 2).sum() / 2
    (gW,) = grad(J, W, create_graph=True)
    (hv,) = grad((gW * V).sum(), W)
    np.testing.assert_allclose(hv.data, (V @ x.data) @ x.data.T, rtol=1e-12)
