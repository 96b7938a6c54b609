"""Functions of tensors: ``linear``, ``conv2d``, ``pool2d``, ``concatenate``, ``stack``, ``take``, ``where``,
``maximum``, ``minimum``, and PyTorch's module-level spellings of the elementwise methods
(``tinygrad_nb.sin(x)`` is ``x.sin()``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_nb import ops
from tinygrad_nb._tensor import Tensor
from tinygrad_nb.function import InputError


def _tensors(op: str, xs: Sequence[Any]) -> tuple[Tensor, ...]:
    if isinstance(xs, (Tensor, np.ndarray, str, bytes)) or not isinstance(xs, Sequence) or len(xs) == 0:
        raise TypeError(f"{op}: expected a non-empty list of tensors, got {type(xs).__name__}")
    return tuple(x if isinstance(x, Tensor) else Tensor(x) for x in xs)


def linear(W: Tensor, A_prev: Any, b: Tensor) -> Tensor:
    """Z = W A_prev + b in one op: W (n[l], n[l-1]), A_prev (n[l-1], m), b (n[l], 1) -> Z (n[l], m)."""
    return ops.Linear.apply(W, W._other(A_prev), b)


def conv2d(A_prev: Any, W: Tensor, b: Tensor | None = None, stride: int = 1, pad: int = 0) -> Tensor:
    """Course 4's conv_forward: Z = W * A_prev + b, differentiable in A_prev, W and b.

    A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C) or None (zeros)
    -> Z (m, n_H, n_W, n_C) with n_H = floor((n_H_prev - f + 2 pad) / stride) + 1. ``pad`` zeros are added
    on each side of the height and width, as the course's ``zero_pad``. The backward is the course's
    conv_backward: dA_prev, dW and db summed over the m examples.
    """
    stride, pad = _positive("conv2d", "stride", stride), _non_negative("conv2d", "pad", pad)
    A_prev = W._other(A_prev)
    if b is None:
        b = Tensor(np.zeros((1, 1, 1, W.shape[-1] if W.ndim else 1), dtype=W.dtype))
    return ops.Conv2D.apply(A_prev, W, b, stride=stride, pad=pad)


def pool2d(A_prev: Any, f: int, stride: int | None = None, mode: str = "max") -> Tensor:
    """Course 4's pool_forward: the max (``mode="max"``) or mean (``"average"``) of each f x f window.

    A_prev (m, n_H_prev, n_W_prev, n_C) -> A (m, n_H, n_W, n_C), n_H = floor((n_H_prev - f) / stride) + 1,
    per channel; ``stride`` defaults to f (windows side by side). The backward is the course's
    pool_backward: max sends each window's gradient to its maximum, average spreads it evenly.
    """
    f = _positive("pool2d", "f", f)
    stride = f if stride is None else _positive("pool2d", "stride", stride)
    if not isinstance(A_prev, Tensor) or A_prev.dtype.kind != "f":
        A_prev = Tensor(A_prev)
    return ops.Pool2D.apply(A_prev, f=f, stride=stride, mode=mode)


def _positive(op: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)


def _non_negative(op: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InputError(f"{op}: {name} must be an int >= 0, got {value!r}")
    return int(value)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis`` (e.g. examples along axis 1 in the course's layout)."""
    return ops.Concatenate.apply(*_tensors("concatenate", tensors), axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new ``axis``."""
    return ops.Stack.apply(*_tensors("stack", tensors), axis=axis)


def take(x: Tensor, indices: Any, axis: int = 0) -> Tensor:
    """The entries of ``x`` at integer ``indices`` along ``axis``, as ``np.take``: differentiable in ``x``.

    The result's shape is ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``: a lookup table E
    (n_e, n_vocab) and word indices (m,) give ``take(E, indices, axis=1)`` = E[:, indices] (n_e, m), one
    embedding per column; indices (m, T_x) give (n_e, m, T_x). dx is dout scattered back with
    ``np.add.at``: the column of an index that appears several times gets the sum of their gradients.

    ``indices``: an integer Tensor, NumPy array or (nested) list, or a float Tensor or array of whole
    numbers (``Tensor([3, 1])`` is float64). Each must be in 0..n-1 for the n entries along ``axis``;
    a negative index, an index past the end or a fraction raises (``IndexError``, ``InputError``), on
    every call of a jitted step too, where the indices are an input read afresh on each call.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"take: expected x as a Tensor, got {type(x).__name__}")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"take: axis must be an int, got {type(axis).__name__}")
    if not isinstance(indices, Tensor):
        if not isinstance(indices, (np.ndarray, list, tuple, int, np.integer)) or isinstance(indices, bool):
            raise TypeError(f"take: indices must be a Tensor, a numpy.ndarray or a list of ints, "
                            f"got {type(indices).__name__}")
        try:
            arr = np.asarray(indices)
        except ValueError:
            raise InputError(f"take: an index list must be rectangular, got {indices!r}") from None
        indices = Tensor._wrap(arr.astype(np.intp) if arr.size == 0 else arr, name="indices")
    return ops.Take.apply(x, indices, axis=int(axis))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (broadcast). The boolean condition gets no gradient; as a
    Tensor it is read on every call, a jitted step's too."""
    cond = condition if isinstance(condition, Tensor) else Tensor._wrap(np.asarray(condition))
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    a, b = _pair(a, b)
    return ops.Where.apply(cond, a, b)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; at a tie each input gets half the gradient."""
    return ops.Maximum.apply(*_pair(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; at a tie each input gets half the gradient."""
    return ops.Minimum.apply(*_pair(a, b))


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, a._other(b)
    if isinstance(b, Tensor):
        return b._other(a), b
    return Tensor(a), Tensor(b)


def sin(x: Tensor) -> Tensor:
    """``x.sin()``, as ``torch.sin(x)``."""
    return _tensor("sin", x).sin()


def cos(x: Tensor) -> Tensor:
    """``x.cos()``, as ``torch.cos(x)``."""
    return _tensor("cos", x).cos()


def exp(x: Tensor) -> Tensor:
    """``x.exp()``, as ``torch.exp(x)``."""
    return _tensor("exp", x).exp()


def log(x: Tensor) -> Tensor:
    """``x.log()``, as ``torch.log(x)``."""
    return _tensor("log", x).log()


def tanh(x: Tensor) -> Tensor:
    """``x.tanh()``, as ``torch.tanh(x)``."""
    return _tensor("tanh", x).tanh()


def _tensor(op: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__} (for an array, use np.{op})")
    return x
