"""The few functions a backward rule needs that are not methods or operators.

A rule such as ``g * (1 - out * out)`` runs unchanged on NumPy arrays (the ordinary
backward) and on Tensors (``create_graph=True``). ``exp``, ``log``, ``sigmoid``,
``expand`` and ``scatter`` are the exceptions: these helpers pick the NumPy function or the
differentiable op by the type of their argument, so each rule is still written once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nb.tensor import Tensor


def exp(x: Any) -> Any:
    """e**x on an array or a Tensor."""
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def log(x: Any) -> Any:
    """Natural log on an array or a Tensor."""
    return x.log() if isinstance(x, Tensor) else np.log(x)


def sigmoid(x: Any) -> Any:
    """The logistic function on an array (computed stably) or a Tensor."""
    if isinstance(x, Tensor):
        return x.sigmoid()
    from tinygrad_nb.ops.unary import stable_sigmoid

    return stable_sigmoid(x)


def expand(x: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast ``x`` to ``shape`` (a read-only view for arrays)."""
    return x.expand(shape) if isinstance(x, Tensor) else np.broadcast_to(x, shape)


def scatter(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """A zero array of ``shape`` with ``g`` added at ``index`` (repeated indices add up)."""
    if isinstance(g, Tensor):
        from tinygrad_nb.ops.movement import ScatterAdd

        return ScatterAdd.apply(g, index=index, shape=shape)
    return scatter_array(g, index, shape)


def scatter_array(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    """NumPy form of ``scatter``: plain assignment for basic slices, ``np.add.at`` for fancy indices."""
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
