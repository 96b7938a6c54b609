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


# ----- derivatives of any order, and what each gradient is the gradient of -------------------------------------------
def tanh_derivative_polynomials(n):
    """d^k tanh/dx^k = P_k(tanh x), k = 0..n, in closed form: P_0 = t and P_{k+1} = P_k'(t) (1 - t^2)."""
    from numpy.polynomial import polynomial as P
    polys = [np.array([0.0, 1.0])]
    for _ in range(n):
        polys.append(P.polymul(P.polyder(polys[-1]), [1.0, 0.0, -1.0]))
    return polys


def derivatives(f, x, n):
    """[f(x), f'(x), ..., f^(n)(x)] elementwise, each by grad of the one before with create_graph=True."""
    out = [f(x)]
    for _ in range(n):
        (g,) = grad(out[-1], x, grad_outputs=np.ones(x.shape), create_graph=True)
        out.append(g)
    return out


def test_the_seventh_derivative_of_tanh_matches_the_closed_form_and_finite_differences():
    from numpy.polynomial import polynomial as P
    v, h = np.array([-1.3, -0.2, 0.4, 1.1]), 1e-4
    x = Tensor(np.concatenate([v, v - h, v + h]), requires_grad=True)
    ds = derivatives(lambda t: t.tanh(), x, 7)
    polys = tanh_derivative_polynomials(7)
    for k, d in enumerate(ds):
        np.testing.assert_allclose(d.data, P.polyval(np.tanh(x.data), polys[k]), rtol=1e-9, atol=1e-9)
    sixth = ds[6].data
    fd = (sixth[8:] - sixth[4:8]) / (2 * h)  # central differences of the 6th derivative
    np.testing.assert_allclose(ds[7].data[:4], fd, rtol=1e-5, atol=1e-4)


def test_each_gradient_records_what_it_is_the_gradient_of_and_its_order():
    from tinygrad_nb.engine import gradient_of
    x = Tensor(0.3, requires_grad=True, name="x")
    ds = derivatives(lambda t: t.tanh(), x, 3)
    assert gradient_of(ds[0]) is None  # tanh(x) is no gradient
    for k in (1, 2, 3):
        record = gradient_of(ds[k])
        assert record.order == k and record.sources == (x,)
    (hv,) = grad((ds[1] * 2.0).sum(), x, create_graph=True)  # through a gradient, not from it: still order 2
    assert gradient_of(hv).order == 2
    (plain,) = grad(x.tanh(), x)  # no create_graph: nothing recorded
    assert gradient_of(plain) is None


def test_backward_create_graph_records_the_grad_it_accumulates():
    from tinygrad_nb.engine import gradient_of
    x, y = Tensor(0.3, requires_grad=True), Tensor(0.5, requires_grad=True)
    (x * y).backward(create_graph=True)
    assert gradient_of(x.grad).sources == (x,) and gradient_of(y.grad).sources == (y,)
    assert gradient_of(x.grad).order == 1
    (x * y).backward(create_graph=True)  # accumulated: the sum is x's gradient too
    assert gradient_of(x.grad).sources == (x,) and x.grad.item() == pytest.approx(1.0)
    x.grad.backward(create_graph=True)  # d(dJ/dx)/dy = 2 accumulates into y.grad: second order now
    assert gradient_of(y.grad).order == 2 and y.grad.item() == pytest.approx(0.6 + 2.0)


def test_one_gradient_handed_to_two_tensors_names_both():
    from tinygrad_nb.engine import gradient_of
    x, y = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    gx, gy = grad(x + y, [x, y], create_graph=True)
    for g in (gx, gy):
        assert set(map(id, gradient_of(g).sources)) <= {id(x), id(y)}
    if gx is gy:  # the same Tensor object: it is the gradient of both
        assert len(gradient_of(gx).sources) == 2


def test_the_record_keeps_neither_the_gradient_nor_its_source_alive():
    import gc
    import weakref

    from tinygrad_nb import engine
    gc.collect()  # earlier tests' gradients
    before = len(engine._GRADIENT_OF)
    x = Tensor(0.3, requires_grad=True)
    x.tanh().backward(create_graph=True)
    gone = weakref.ref(x)
    assert len(engine._GRADIENT_OF) == before + 1
    del x
    gc.collect()
    assert gone() is None and len(engine._GRADIENT_OF) == before


def test_grad_of_a_non_scalar_output_says_what_to_pass():
    x = Tensor(np.array([[0.1, 0.2, 0.3]]), requires_grad=True)
    y = x.tanh()
    with pytest.raises(RuntimeError, match=r"^grad: .*not a scalar.*grad_outputs=np\.ones_like\(y\.data\).*"
                                           r"y\.sum\(\)") as info:
        grad(y, x)
    assert "(1, 3)" in str(info.value)
    with pytest.raises(RuntimeError, match=r"outputs\[1\].*not a scalar"):
        grad([y.sum(), y], x)
    (a,) = grad(y, x, grad_outputs=np.ones_like(y.data))  # the advice, followed: the gradient of y.sum()
    np.testing.assert_allclose(a.data, 1 - np.tanh(x.data) ** 2, rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"backward: .*not a scalar.*\.sum\(\)"):
        y.backward()
