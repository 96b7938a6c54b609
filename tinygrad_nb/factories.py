"""Tensors made from a shape: ``zeros``, ``ones``, ``full``, ``arange``, ``linspace``, ``randn``, ``rand``.

PyTorch's factories with NumPy's defaults: float64 unless ``dtype`` says otherwise, and
``requires_grad`` and ``name`` keywords. The random ones take ``rng``: an int seed (a
``RandomState``, the course's generator), a ``numpy.random.Generator`` or ``RandomState``, or
None for NumPy's global generator (as ``np.random.seed(1); np.random.randn(...)`` in the course).

    W1 = tinygrad_nb.randn(4, 2, rng=1, requires_grad=True, name="W1")   # (n[1], n[0])
    x = tinygrad_nb.linspace(-np.pi, np.pi, 2000)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nb.tensor import Tensor

RNG = int | np.random.RandomState | np.random.Generator | None


def _shape(op: str, shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` as (2, 3); every side a non-negative int."""
    dims = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    for n in dims:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{op}: a shape is made of non-negative ints, got {dims!r}")
    return tuple(int(n) for n in dims)


def _make(data: np.ndarray, dtype: Any, requires_grad: bool, name: str | None) -> Tensor:
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=np.float64 if dtype is None else dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor of zeros, e.g. ``zeros(n1, 1)`` for b[1]."""
    return _make(np.zeros(_shape("zeros", shape)), dtype, requires_grad, name)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape("ones", shape)), dtype, requires_grad, name)


def full(shape: Any, fill_value: float, *, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """A tensor of ``shape`` holding ``fill_value`` everywhere."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _make(np.full(_shape("full", shape), float(fill_value)), dtype, requires_grad, name)


def arange(start: float, stop: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Evenly spaced values in [start, stop) (``arange(n)`` is 0 .. n-1)."""
    if step == 0:
        raise ValueError("arange: step must not be 0")
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return _make(values.astype(np.float64), dtype, requires_grad, name)


def linspace(start: float, stop: float, num: int = 50, *, dtype: Any = None, requires_grad: bool = False,
             name: str | None = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop``, both included."""
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    return _make(np.linspace(start, stop, int(num)), dtype, requires_grad, name)


def _generator(op: str, rng: RNG) -> Any:
    if rng is None:
        return np.random
    if isinstance(rng, (np.random.RandomState, np.random.Generator)):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.RandomState(int(rng))
    raise TypeError(f"{op}: rng must be an int seed, a numpy RandomState or Generator, or None, got {rng!r}")


def randn(*shape: Any, rng: RNG = None, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Standard normal samples (``randn(n1, n0, rng=1) * 0.01`` is the course's small random W1)."""
    dims, gen = _shape("randn", shape), _generator("randn", rng)
    data = gen.standard_normal(dims) if isinstance(gen, np.random.Generator) else gen.randn(*dims)
    return _make(np.asarray(data, dtype=np.float64), dtype, requires_grad, name)


def rand(*shape: Any, rng: RNG = None, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    dims, gen = _shape("rand", shape), _generator("rand", rng)
    data = gen.random(dims) if isinstance(gen, np.random.Generator) else gen.rand(*dims)
    return _make(np.asarray(data, dtype=np.float64), dtype, requires_grad, name)
