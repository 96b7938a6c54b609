"""The few functions a backward rule needs that are not methods or operators.

A rule such as ``g * (1 - out * out)`` runs unchanged on NumPy arrays (the ordinary
backward) and on Tensors (``create_graph=True``). ``exp``, ``log``, ``sigmoid``, ``sum_rows`` and
``expand`` are the exceptions: these helpers call the NumPy function on an array and the
Tensor's own method otherwise, so each rule is still written once. They know arrays only:
a Tensor is whatever is not an array (ops never import the Tensor; the Tensor imports them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_ARRAYS = (np.ndarray, np.generic)  # NumPy gives scalars (np.float64) for 0-d results


def is_array(x: Any) -> bool:
    """True for NumPy arrays and scalars (the ordinary backward), False for Tensors (create_graph)."""
    return isinstance(x, _ARRAYS)


def exp(x: Any) -> Any:
    """e**x on an array or a Tensor."""
    return np.exp(x) if isinstance(x, _ARRAYS) else x.exp()


def log(x: Any) -> Any:
    """Natural log on an array or a Tensor."""
    return np.log(x) if isinstance(x, _ARRAYS) else x.log()


def sin(x: Any) -> Any:
    """sin on an array or a Tensor."""
    return np.sin(x) if isinstance(x, _ARRAYS) else x.sin()


def cos(x: Any) -> Any:
    """cos on an array or a Tensor."""
    return np.cos(x) if isinstance(x, _ARRAYS) else x.cos()


def sum_rows(x: Any) -> Any:
    """sum(x, axis=1, keepdims=True) on an array (NumPy's reduction, without ``ndarray.sum``'s
    Python wrapper: a layer's db on a small network) or a Tensor."""
    return np.add.reduce(x, axis=1, keepdims=True) if isinstance(x, _ARRAYS) else x.sum(axis=1, keepdims=True)


def sigmoid(x: Any) -> Any:
    """The logistic function on an array (computed stably) or a Tensor."""
    return stable_sigmoid(x) if isinstance(x, _ARRAYS) else x.sigmoid()


def expand(x: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast ``x`` to ``shape`` (a read-only view for arrays)."""
    return np.broadcast_to(x, shape) if isinstance(x, _ARRAYS) else x.expand(shape)


def stable_sigmoid(x: Any) -> np.ndarray:
    """1 / (1 + e^-x) from e^-|x|: no overflow and full relative precision for any x."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def scatter_array(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A zero array of ``shape`` with ``g`` added at ``index``: plain assignment for basic slices,
    ``np.add.at`` for fancy indices (repeated indices add up)."""
    out = np.zeros(shape, dtype=g.dtype)
    if is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis (a view, no repeated elements)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice, type(None), type(Ellipsis))) for p in parts)
