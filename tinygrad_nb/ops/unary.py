"""Elementwise functions and the course's activations g(Z). Each op: forward, then g'(Z).

Kinks follow the course's ``relu_backward``: relu'(0) = 0, leaky_relu'(0) = slope,
abs'(0) = 0. sigmoid never overflows: it evaluates exp(-|z|) only.
"""

from __future__ import annotations

import numpy as np

from tinygrad_nb.function import Function
from tinygrad_nb.ops import dual
from tinygrad_nb.ops.axes import axis_index
from tinygrad_nb.ops.dual import stable_sigmoid


class Neg(Function):
    """-x."""

    def forward(self, x):
        return -x

    def backward(self, g, out, x):
        return (-g,)

    def explain(self, out, ins):
        return [(0, f"-d{out}")]


class Cast(Function):
    """x in another float dtype; the gradient is cast back."""

    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, g, out, x):
        return (g.astype(self.in_dtype),)


class Exp(Function):
    """e^x; its derivative is e^x itself."""

    def forward(self, x):
        return np.exp(x)

    def backward(self, g, out, x):
        return (g * out,)

    def explain(self, out, ins):
        return [(0, f"d{out} * {out}")]


class Log(Function):
    """ln x; its derivative is 1/x."""

    def forward(self, x):
        return np.log(x)

    def backward(self, g, out, x):
        return (g / x,)

    def explain(self, out, ins):
        return [(0, f"d{out} / {ins[0]}")]


class Sqrt(Function):
    """sqrt(x); its derivative is 1/(2 sqrt(x))."""

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, g, out, x):
        return (g * 0.5 / out,)


class Sin(Function):
    """sin(x); its derivative is cos(x)."""

    def forward(self, x):
        return np.sin(x)

    def backward(self, g, out, x):
        return (g * dual.cos(x),)


class Cos(Function):
    """cos(x); its derivative is -sin(x)."""

    def forward(self, x):
        return np.cos(x)

    def backward(self, g, out, x):
        return (-g * dual.sin(x),)


class Abs(Function):
    """|x|; its derivative is sign(x), 0 at 0."""

    def forward(self, x):
        self.sign = np.sign(x)  # abs'(0) = 0
        return np.abs(x)

    def backward(self, g, out, x):
        return (g * self.sign,)


class _Activation(Function):
    """An activation g: its backward is the course's dZ = dA * g'(Z)."""

    def explain(self, out, ins):
        return [(0, f"d{out} * {self.op_name}'({ins[0]})")]


class Sigmoid(_Activation):
    """A = 1 / (1 + e^-Z), computed from e^-|Z| so that |Z| up to 1e4 neither overflows nor warns."""

    def forward(self, x):
        return stable_sigmoid(x)

    def backward(self, g, out, x):  # sigma' = A (1 - A)
        return (g * out * (1 - out),)


class Tanh(_Activation):
    """A = tanh(Z); tanh'(Z) = 1 - A^2."""

    def forward(self, x):
        return np.tanh(x)

    def backward(self, g, out, x):  # tanh' = 1 - A^2
        return (g * (1 - out * out),)

    def explain(self, out, ins):  # the course's rnn_cell_backward: dtanh = (1 - a_next^2) * da_next
        return [(0, f"d{out} * tanh'({ins[0]}) = (1 - {out}^2) * d{out}")]


class Relu(_Activation):
    """A = max(Z, 0); relu'(Z) = 1 where Z > 0, else 0."""

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, out, x):  # A > 0 exactly where Z > 0, so relu'(0) = 0 as the course's relu_backward
        return (g * (out > 0),)  # a constant mask for arrays and Tensors alike


class LeakyRelu(_Activation):
    """A = Z where Z > 0, else slope Z; the derivative is 1 or slope (slope at 0)."""

    def forward(self, x, slope):
        self.slope_mask = np.where(x > 0, 1.0, slope).astype(x.dtype)  # leaky_relu'(0) = slope
        return x * self.slope_mask

    def backward(self, g, out, x):
        return (g * self.slope_mask,)


class Softplus(Function):
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|): finite for any x; its derivative is sigmoid(x)."""

    def forward(self, x):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(self, g, out, x):
        return (g * dual.sigmoid(x),)


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|): finite for any x; its derivative is sigmoid(-x)."""

    def forward(self, x):
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def backward(self, g, out, x):
        return (g * dual.sigmoid(-x),)


class Softmax(Function):
    """A = e^Z / sum(e^Z) over axis; the backward is A (g - sum(g A))."""

    def forward(self, x, axis):
        self.axis = axis_index(self.op_name, axis, x.ndim)
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, g, out, x):  # J^T g = A (g - sum(g A))
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)

    def explain(self, out, ins):
        return [(0, f"{out} * (d{out} - sum(d{out} * {out}, axis={self.axis}))")]


class LogSoftmax(Function):
    """log softmax(Z) over axis, computed stably; the backward is g - softmax(Z) sum(g)."""

    def forward(self, x, axis):
        self.axis = axis_index(self.op_name, axis, x.ndim)
        shifted = x - _finite_max(x, self.axis)
        return shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, g, out, x):  # g - softmax * sum(g)
        return (g - dual.exp(out) * g.sum(axis=self.axis, keepdims=True),)


def _finite_max(x: np.ndarray, axis) -> np.ndarray:
    """max over ``axis`` (kept), with non-finite maxima replaced by 0 so that x - max stays defined."""
    m = x.max(axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0.0) if not np.isfinite(m).all() else m
