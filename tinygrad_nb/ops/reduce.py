"""Reductions over ``axis`` (None, an int or a tuple) with ``keepdims``. Each op: forward, then backward.

The backward first gives the incoming gradient back its reduced axes (``kept_shape``),
then spreads it over the input: evenly for ``sum`` and ``mean``, to the maxima for
``max`` (ties split the gradient evenly), by softmax weights for ``logsumexp``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nb.function import Function
from tinygrad_nb.ops import dual
from tinygrad_nb.ops.axes import axis_tuple
from tinygrad_nb.ops.unary import _finite_max


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with every reduced axis set to 1 (the shape ``keepdims=True`` gives)."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def dropped_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` without the reduced axes (the shape ``keepdims=False`` gives)."""
    return tuple(s for i, s in enumerate(shape) if i not in axes)


class _Reduce(Function):
    def _setup(self, x: np.ndarray, axis: Any) -> tuple[int, ...]:
        """Check ``axis`` and remember the shapes the backward needs; returns the axes, non-negative."""
        axes = axis_tuple(self.op_name, axis, x.ndim)
        self.in_shape = x.shape
        self.kept = kept_shape(x.shape, axes)
        return axes

    def explain(self, out, ins):
        return [(0, f"d{out} spread over {ins[0]} by {self.op_name}")]


class Sum(_Reduce):
    """Sum over axis; the gradient is broadcast back."""

    def forward(self, x, axis, keepdims):
        axes = self._setup(x, axis)
        return np.asarray(x.sum(axis=axes, keepdims=keepdims))

    def backward(self, g, out, x):
        return (dual.expand(g.reshape(self.kept), self.in_shape),)


class Mean(_Reduce):
    """Mean over axis; the gradient is broadcast back divided by the count."""

    def forward(self, x, axis, keepdims):
        axes = self._setup(x, axis)
        self.count = x.size // max(int(np.prod(self.kept)), 1) if x.size else 0
        return np.asarray(x.mean(axis=axes, keepdims=keepdims))

    def backward(self, g, out, x):
        return (dual.expand(g.reshape(self.kept) / self.count, self.in_shape),)


class Max(_Reduce):
    """Maximum over axis; the gradient goes to the maxima, shared evenly among ties."""

    def forward(self, x, axis, keepdims):
        axes = self._setup(x, axis)
        m = x.max(axis=axes, keepdims=True)
        mask = x == m
        self.weights = (mask / mask.sum(axis=axes, keepdims=True)).astype(x.dtype)  # ties share evenly
        return m if keepdims else m.reshape(dropped_shape(x.shape, axes))

    def backward(self, g, out, x):
        return (g.reshape(self.kept) * self.weights,)


class Logsumexp(_Reduce):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))): finite for |x| up to 1e4 and beyond."""

    def forward(self, x, axis, keepdims):
        axes = self._setup(x, axis)
        m = _finite_max(x, axes)
        out = m + np.log(np.exp(x - m).sum(axis=axes, keepdims=True))
        return out if keepdims else out.reshape(dropped_shape(x.shape, axes))

    def backward(self, g, out, x):  # d lse / dx = softmax(x) = exp(x - lse)
        return (g.reshape(self.kept) * dual.exp(x - out.reshape(self.kept)),)
