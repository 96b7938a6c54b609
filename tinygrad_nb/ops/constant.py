"""Ops whose result carries no gradient: comparisons, argmax / argmin, detach.

Their derivative is zero (or undefined) everywhere, so they are never part of backward; they
are ops all the same so that everything computed from a tensor is recorded. A jitted step
replays them, so a mask such as ``Z > 0`` is computed afresh on every call instead of being
kept from the recording. ``differentiable = False`` tells ``Function.apply`` to record no node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nb.function import Function


class _Constant(Function):
    differentiable = False

    def backward(self, g, out, *inputs):  # never called: no node is recorded
        return (None,) * len(inputs)


class _Compare(_Constant):
    """a <op> b elementwise: a boolean mask (broadcast as NumPy does)."""

    compare: Callable[..., Any]

    def forward(self, a, b):
        return self.compare(a, b)


class Less(_Compare):
    """a < b."""

    symbol, compare = "<", staticmethod(np.less)


class LessEqual(_Compare):
    """a <= b."""

    symbol, compare = "<=", staticmethod(np.less_equal)


class Greater(_Compare):
    """a > b."""

    symbol, compare = ">", staticmethod(np.greater)


class GreaterEqual(_Compare):
    """a >= b."""

    symbol, compare = ">=", staticmethod(np.greater_equal)


class Equal(_Compare):
    """a == b."""

    symbol, compare = "==", staticmethod(np.equal)


class NotEqual(_Compare):
    """a != b."""

    symbol, compare = "!=", staticmethod(np.not_equal)


class Argmax(_Constant):
    """The index of the largest element along ``axis`` (integers)."""

    def forward(self, x, axis, keepdims):
        return np.argmax(x, axis=axis, keepdims=keepdims)


class Argmin(_Constant):
    """The index of the smallest element along ``axis`` (integers)."""

    def forward(self, x, axis, keepdims):
        return np.argmin(x, axis=axis, keepdims=keepdims)


class ToIndex(_Constant):
    """A Tensor's values as integer indices (a float or int Tensor used as an index): an op, so a jit reads them
    afresh on every call, never a constant of the recording."""

    def forward(self, x):
        if x.dtype.kind == "f":
            bad = ~np.isfinite(x) | (x != np.round(x))
            if bad.any():  # NumPy refuses a float index array; a silent truncation would pick another entry
                raise IndexError(f"an index Tensor must hold whole numbers, got {float(x[bad].flat[0])!r}: round it "
                                 "or convert it with .astype(int) yourself")
        return x.astype(np.intp)


class Detach(_Constant):
    """The same array, cut from the graph (no gradient flows back through it)."""

    def forward(self, x):
        return x
