"""Elementwise functions and the course's activations g(Z). Each op: forward, then g'(Z).

Kinks follow the course's ``relu_backward``: relu'(0) = 0, leaky_relu'(0) = slope,
abs'(0) = 0. sigmoid never overflows: it evaluates exp(-|z|) only.
"""

from __future__ import annotations

import numpy as np

from tinygrad_nb.function import Function
from tinygrad_nb.ops import dual


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, g, out, x):
        return (-g,)


class Cast(Function):
    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, g, out, x):
        return (g.astype(self.in_dtype),)


class Exp(Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, g, out, x):
        return (g * out,)


class Log(Function):
    def forward(self, x):
        return np.log(x)

    def backward(self, g, out, x):
        return (g / x,)


class Sqrt(Function):
    def forward(self, x):
        return np.sqrt(x)

    def backward(self, g, out, x):
        return (g * 0.5 / out,)


class Abs(Function):
    def forward(self, x):
        self.sign = np.sign(x)  # abs'(0) = 0
        return np.abs(x)

    def backward(self, g, out, x):
        return (g * self.sign,)


class Sigmoid(Function):
    """A = 1 / (1 + e^-Z), computed from e^-|Z| so that |Z| up to 1e4 neither overflows nor warns."""

    def forward(self, x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0, e) / (1.0 + e)

    def backward(self, g, out, x):  # sigma' = A (1 - A)
        return (g * out * (1 - out),)


class Tanh(Function):
    def forward(self, x):
        return np.tanh(x)

    def backward(self, g, out, x):  # tanh' = 1 - A^2
        return (g * (1 - out * out),)


class Relu(Function):
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, out, x):  # A > 0 exactly where Z > 0, so relu'(0) = 0 as the course's relu_backward
        return (g * (dual.data(out) > 0),)


class LeakyRelu(Function):
    def forward(self, x, slope):
        self.slope_mask = np.where(x > 0, 1.0, slope).astype(x.dtype)  # leaky_relu'(0) = slope
        return x * self.slope_mask

    def backward(self, g, out, x):
        return (g * self.slope_mask,)


class Softmax(Function):
    def forward(self, x, axis):
        self.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def backward(self, g, out, x):  # J^T g = A (g - sum(g A))
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    def forward(self, x, axis):
        self.axis = axis
        shifted = x - _finite_max(x, axis)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(self, g, out, x):  # g - softmax * sum(g)
        return (g - dual.exp(out) * g.sum(axis=self.axis, keepdims=True),)


def _finite_max(x: np.ndarray, axis) -> np.ndarray:
    """max over ``axis`` (kept), with non-finite maxima replaced by 0 so that x - max stays defined."""
    m = x.max(axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0.0) if not np.isfinite(m).all() else m
