"""Tools for users' own gradient tests: hypothesis strategies and ``assert_gradients_match``.

Needs the ``test`` extra (hypothesis); the rest of tinygrad_nb does not import this module.

    from hypothesis import given
    from tinygrad_nb.testing import tensors, assert_gradients_match

    @given(tensors(shape=(3, 4)))
    def test_tanh(x):
        assert_gradients_match(lambda x: x.tanh(), x)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nb._tensor import Tensor
from tinygrad_nb.autograd import grad as autograd
from tinygrad_nb.gradcheck import numerical_gradient

__all__ = ["shapes", "broadcastable_shapes", "arrays", "tensors", "assert_gradients_match"]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy:
    """Array shapes such as (), (3,), (n[l], m)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy:
    """Tuples of ``num_shapes`` shapes that broadcast together, e.g. ((3, 5), (3, 1)) as Z and b."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(lambda r: r.input_shapes)


def arrays(shape: Any = None, low: float = -2.0, high: float = 2.0, away_from: float | None = None,
           margin: float = 1e-3, dtype: Any = np.float64) -> st.SearchStrategy:
    """Float arrays with elements in [low, high]; ``away_from`` keeps them ``margin`` from a kink (0 for relu)."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=np.dtype(dtype).itemsize * 8)
    if away_from is not None:
        elements = elements.filter(lambda v: abs(v - away_from) > margin)
    return hnp.arrays(dtype, shape if shape is not None else shapes(), elements=elements)


def tensors(shape: Any = None, requires_grad: bool = True, **array_kwargs: Any) -> st.SearchStrategy:
    """Tensors wrapping ``arrays(shape, **array_kwargs)``; float64 and requiring grad by default."""
    return arrays(shape, **array_kwargs).map(lambda a: Tensor(a, requires_grad=requires_grad))


def assert_gradients_match(fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6, rtol: float = 1e-5,
                           atol: float = 1e-7, seed: int = 0) -> None:
    """Assert that autograd's gradients of ``fn(*inputs)`` equal centered finite differences.

    A non-scalar output is reduced to J = sum(out * R) with a fixed random R, so every
    output element is checked (a plain sum would hide errors that sum to zero, as in
    softmax). Each element must satisfy |autograd - numeric| <= atol + rtol * |numeric|;
    the failure message names the input, the element and both values.
    """
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"assert_gradients_match: fn must return a Tensor, got {type(out).__name__}")
    weights = np.random.RandomState(seed).uniform(0.5, 1.5, size=out.shape).astype(out.dtype)

    def cost(*xs: Tensor) -> Tensor:
        return (fn(*xs) * weights).sum()

    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("assert_gradients_match: no input requires grad")
    J = cost(*inputs)
    if not J.requires_grad:
        raise AssertionError("assert_gradients_match: the output does not depend on any input that requires grad")
    analytic = autograd(J, checked, allow_unused=True)
    for k, (t, g) in enumerate(zip(checked, analytic)):
        a = np.zeros(t.shape) if g is None else np.asarray(g.data, dtype=np.float64)
        n = numerical_gradient(cost, inputs, t, eps)
        if a.shape != t.shape:
            raise AssertionError(f"gradient of input {t.name or k} has shape {a.shape}, expected {t.shape}")
        err = np.abs(a - n) - (atol + rtol * np.abs(n))
        if err.size and err.max() > 0:
            i = tuple(int(j) for j in np.unravel_index(int(err.argmax()), err.shape))
            raise AssertionError(f"gradient mismatch for input {t.name or k} at {list(i)}: autograd {a[i]!r}, "
                                 f"finite differences {n[i]!r} (rtol={rtol}, atol={atol})")
