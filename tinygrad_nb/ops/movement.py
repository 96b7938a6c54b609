"""Ops that move elements without arithmetic. Each op: forward, then backward (the inverse move)."""

from __future__ import annotations

import numpy as np

from tinygrad_nb.function import Function, InputError
from tinygrad_nb.ops import dual
from tinygrad_nb.ops.axes import axis_index, permutation


class Reshape(Function):
    """The same elements in a new shape; the gradient is reshaped back."""

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, g, out, x):
        return (g.reshape(self.in_shape),)


class Transpose(Function):
    """Permuted axes; the gradient takes the inverse permutation."""

    def forward(self, x, axes):
        axes = permutation(self.op_name, axes, x.ndim)
        self.inverse = tuple(int(i) for i in np.argsort(axes))
        return x.transpose(axes)

    def backward(self, g, out, x):
        return (g.transpose(self.inverse),)


class Expand(Function):
    """Broadcast to a larger shape; the backward is the engine's reduction to the input's shape."""

    def forward(self, x, shape):
        return np.broadcast_to(x, shape)

    def backward(self, g, out, x):
        return (g,)


class Getitem(Function):
    """x[index] (slices, integer or boolean arrays); the gradient is scattered back, repeats adding up."""

    value_shaped = ("index",)  # a boolean index array picks as many entries as it holds True

    def forward(self, x, index):
        self.index, self.in_shape = index, x.shape
        return np.asarray(x[index])

    def backward(self, g, out, x):  # repeated integer indices add up
        if dual.is_array(g):
            return (dual.scatter_array(g, self.index, self.in_shape),)
        return (ScatterAdd.apply(g, index=self.index, shape=self.in_shape),)

    def explain(self, out, ins):  # an RNN's x<t> = x[:, :, t-1]: dx[:, :, t-1] += dx<t>
        return [(0, f"d{out} placed at {ins[0]}[{_index_of(self.index)}], zeros elsewhere")]


class ScatterAdd(Function):
    """zeros(shape) with g added at index: the backward of ``Getitem``, itself differentiable."""

    def forward(self, g, index, shape):
        self.index = index
        return dual.scatter_array(g, index, shape)

    def backward(self, gg, out, g):
        return (gg[self.index],)


class Take(Function):
    """x's entries at integer ``indices`` along ``axis`` (NumPy's ``take``, with checked indices); the gradient is
    scattered back with ``np.add.at``, so an index that appears several times gets the sum of its gradients.

    The indices are the op's second input, a Tensor: a jitted step reads them afresh on every call (an argument,
    a value computed from one, or a tensor from outside alike). They must be whole numbers in 0..n-1 for the
    n entries along ``axis``: a negative index is refused rather than counted from the end, as a lookup table's
    row -1 is a bug, not the last word. Floats holding whole numbers are taken (``Tensor([1, 2])`` is float64).
    """

    def forward(self, x, indices, axis):
        self.axis = axis_index(self.op_name, axis, x.ndim)
        idx = _whole_indices(indices, x.shape[self.axis], self.axis)
        self.index, self.in_shape = (slice(None),) * self.axis + (idx,), x.shape
        return x[self.index]

    def backward(self, g, out, x, indices):
        if not self.needs_input_grad[0]:
            return (None, None)
        if dual.is_array(g):
            return (dual.scatter_array(g, self.index, self.in_shape), None)
        return (ScatterAdd.apply(g, index=self.index, shape=self.in_shape), None)


def _whole_indices(indices: np.ndarray, n: int, axis: int) -> np.ndarray:
    """``indices`` as an intp array, or an error naming the first that is not a whole number in 0..n-1."""
    kind = indices.dtype.kind
    if kind == "f":
        bad = ~np.isfinite(indices) | (indices != np.round(indices))
        if bad.any():
            raise InputError(f"take: indices must be whole numbers, got {float(indices[bad].flat[0])!r} (a float index "
                             "with a fraction, or NaN/Inf)")
    elif kind not in "iu":
        raise InputError(f"take: indices must be integers, got dtype {indices.dtype}")
    if indices.size:
        lo, hi = indices.min(), indices.max()
        if lo < 0:
            raise IndexError(f"index {_number(lo)} is negative: indices must be in 0..{n - 1} (axis {axis} has "
                             f"{n} entries)")
        if hi >= n:
            raise IndexError(f"index {_number(hi)} is out of range: indices must be in 0..{n - 1} (axis {axis} "
                             f"has {n} entries)")
    return indices if indices.dtype == np.intp else indices.astype(np.intp)


def _number(v: np.generic) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


class Concatenate(Function):
    """Tensors joined along an axis; the gradient is sliced back into pieces."""

    def forward(self, *xs, axis):
        if xs[0].ndim == 0:
            raise InputError("concatenate: 0-d tensors cannot be joined along an axis; use stack")
        self.axis = axis_index(self.op_name, axis, xs[0].ndim)
        self.bounds = np.cumsum([0] + [x.shape[self.axis] for x in xs])
        return np.concatenate(xs, axis=self.axis)

    def backward(self, g, out, *xs):
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (slice(int(lo), int(hi)),)] if need else None
                     for lo, hi, need in zip(self.bounds[:-1], self.bounds[1:], self.needs_input_grad))

    def explain(self, out, ins):  # the LSTM's concat = [a<t-1>; x<t>]: da_prev = dconcat[:n_a, :]
        return [(i, f"d{out}[{_index_text(self.axis, f'{int(lo)}:{int(hi)}')}]")
                for i, (lo, hi) in enumerate(zip(self.bounds[:-1], self.bounds[1:]))]


class Stack(Function):
    """Same-shaped tensors joined along a new axis; the gradient is indexed back out."""

    def forward(self, *xs, axis):
        self.axis = axis_index(self.op_name, axis, xs[0].ndim + 1)
        return np.stack(xs, axis=self.axis)

    def backward(self, g, out, *xs):
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (i,)] if need else None for i, need in enumerate(self.needs_input_grad))

    def explain(self, out, ins):  # a sequence stacked from its steps: da<t> = da[:, :, t-1]
        return [(i, f"d{out}[{_index_text(self.axis, str(i))}]") for i in range(len(ins))]


def _index_of(index) -> str:
    """``:, :, 2``: a NumPy index as written in code (an index array as ``[...]``)."""
    def one(i) -> str:
        if isinstance(i, slice):
            text = ":".join("" if v is None else str(v) for v in (i.start, i.stop))
            return text + (f":{i.step}" if i.step is not None else "")
        if i is Ellipsis:
            return "..."
        if i is None:
            return "None"
        return str(i) if np.ndim(i) == 0 else "[...]"

    return ", ".join(one(i) for i in (index if isinstance(index, tuple) else (index,)))


def _index_text(axis: int, index: str) -> str:
    """``:, :, 2``: NumPy's index ``index`` along ``axis``, the trailing axes left out."""
    return ", ".join([":"] * axis + [index])
