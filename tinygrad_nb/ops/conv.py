"""Course 4's convolution and pooling, each op's forward and backward side by side.

Layout (course 4, week 1): A_prev (m, n_H_prev, n_W_prev, n_C_prev), filters W (f, f, n_C_prev, n_C),
biases b (1, 1, 1, n_C), Z (m, n_H, n_W, n_C) with n_H = floor((n_H_prev - f + 2 pad) / stride) + 1.

Fast, without the notebook's four nested loops: the f x f windows of the padded input are one strided
view (no copy); convolution copies them once into a matrix (im2col) and does one product with W; its
backward is one product for dW and, for dA_prev, f^2 products dZ W[i, j]^T added into the strided
views they were read from (col2im without building the columns' gradient). Pooling takes the max (or
mean) of the f^2 strided views directly, and its backward writes each view once when windows do not overlap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinygrad_nb.function import Function, InputError, ShapeError, describe

if TYPE_CHECKING:
    from tinygrad_nb._tensor import Tensor


def output_size(n_prev: int, f: int, pad: int, stride: int) -> int:
    """The course's n_H = floor((n_H_prev - f + 2 pad) / stride) + 1."""
    return (n_prev - f + 2 * pad) // stride + 1


def _windows(A_pad: np.ndarray, f: int, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """The f x f windows of A_pad (m, H, W, C) as a view (m, n_H, n_W, f, f, C): no copy."""
    sm, sh, sw, sc = A_pad.strides
    m, C = A_pad.shape[0], A_pad.shape[3]
    return as_strided(A_pad, (m, n_H, n_W, f, f, C), (sm, sh * stride, sw * stride, sh, sw, sc), writeable=False)


def _strided(A: np.ndarray, i: int, j: int, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """Entry (i, j) of every window: A[:, i + stride h, j + stride w, :] for h < n_H, w < n_W (a view)."""
    return A[:, i:i + stride * (n_H - 1) + 1:stride, j:j + stride * (n_W - 1) + 1:stride, :]


def _pad(A: np.ndarray, pad: int) -> np.ndarray:
    if pad == 0:
        return A
    return np.pad(A, ((0, 0), (pad, pad), (pad, pad), (0, 0)))  # zeros, as the course's zero_pad


def _no_second_derivative(op: str, g: Any) -> None:
    if not isinstance(g, np.ndarray):  # Tensors: backward was asked to build a graph (create_graph=True)
        raise NotImplementedError(f"{op} has no second derivative: backward with create_graph=True "
                                  "(or grad of a gradient) is not supported through it")


def check_window(op: str, A_prev: Tensor, f: int, stride: int, pad: int) -> tuple[int, int]:
    """(n_H, n_W) for f x f windows of A_prev (m, n_H_prev, n_W_prev, n_C_prev); errors in the course's terms."""
    if A_prev.data.ndim != 4:
        raise ShapeError(f"{op}: expected A_prev of shape (m, n_H_prev, n_W_prev, n_C_prev), got "
                         f"{describe(A_prev)}; one image is A_prev[None] (m = 1)")
    _, H, W, _ = A_prev.data.shape
    n_H, n_W = output_size(H, f, pad, stride), output_size(W, f, pad, stride)
    if n_H < 1 or n_W < 1:
        raise ShapeError(f"{op}: a {f}x{f} window with pad={pad} does not fit {describe(A_prev)}: "
                         f"n_H = floor(({H} - {f} + 2*{pad}) / {stride}) + 1 = {n_H}, "
                         f"n_W = floor(({W} - {f} + 2*{pad}) / {stride}) + 1 = {n_W}")
    return n_H, n_W


class Conv2D(Function):
    """Z = W * A_prev + b: A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C).

    Backward, the course's conv_backward (dZ already holds the 1/m of the mean cost):
    dA_prev[window] += W dZ[i, h, w, c] (summed over the filters), dW += a_slice dZ[i, h, w, c] and
    db = sum(dZ) over the m examples and every position.
    """

    @classmethod
    def apply(cls, *inputs: Tensor, **attrs: Any) -> Tensor:
        A_prev, W, b = inputs
        if W.data.ndim != 4 or W.data.shape[0] != W.data.shape[1]:
            raise ShapeError(f"conv2d: expected W of shape (f, f, n_C_prev, n_C), got {describe(W)}")
        check_window("conv2d", A_prev, W.data.shape[0], attrs["stride"], attrs["pad"])
        if A_prev.data.shape[3] != W.data.shape[2]:
            raise ShapeError(f"conv2d: A_prev {describe(A_prev)} has n_C_prev = {A_prev.data.shape[3]} channels "
                             f"but W {describe(W)} expects n_C_prev = {W.data.shape[2]}")
        if b.data.shape != (1, 1, 1, W.data.shape[3]):
            raise ShapeError(f"conv2d: b {describe(b)} must have shape (1, 1, 1, {W.data.shape[3]}) to match W "
                             f"{describe(W)}")
        return super().apply(A_prev, W, b, **attrs)

    def forward(self, A_prev, W, b, stride=1, pad=0):
        f, _, C, n_C = W.shape
        m, H, Wd, _ = A_prev.shape
        n_H, n_W = output_size(H, f, pad, stride), output_size(Wd, f, pad, stride)
        self.stride, self.pad, self.prev_shape = stride, pad, A_prev.shape
        self.cols = _windows(_pad(A_prev, pad), f, stride, n_H, n_W).reshape(m * n_H * n_W, f * f * C)  # im2col
        Z = self.cols @ W.reshape(f * f * C, n_C)
        if Z.dtype != np.result_type(Z, b):  # a float64 b with float32 A and W: promote, as A + b would
            Z = Z.astype(np.result_type(Z, b))
        Z.reshape(m * n_H, n_W * n_C)[...] += np.tile(b.reshape(n_C), n_W)  # b on wide rows: fewer, longer adds
        return Z.reshape(m, n_H, n_W, n_C)

    def backward(self, dZ, Z, A_prev, W, b):
        _no_second_derivative("conv2d", dZ)
        need_A, need_W, need_b = self.needs_input_grad
        f, _, C, n_C = W.shape
        m, n_H, n_W, _ = dZ.shape
        dZ2 = dZ.reshape(m * n_H * n_W, n_C)
        dW = (self.cols.T @ dZ2).reshape(W.shape) if need_W else None
        db = (np.ones(len(dZ2), dtype=dZ2.dtype) @ dZ2).reshape(1, 1, 1, n_C) if need_b else None  # a GEMV
        dA_prev = None
        if need_A:  # not for the input X of the first layer
            pad, stride = self.pad, self.stride
            _, H, Wd, _ = self.prev_shape
            dA_pad = np.zeros((m, H + 2 * pad, Wd + 2 * pad, C), dtype=dZ2.dtype)
            for i in range(f):  # col2im without the columns: window entry (i, j)'s gradient, added where it was read
                for j in range(f):
                    _strided(dA_pad, i, j, stride, n_H, n_W)[...] += (dZ2 @ W[i, j].T).reshape(m, n_H, n_W, C)
            dA_prev = dA_pad[:, pad:pad + H, pad:pad + Wd, :] if pad else dA_pad
        return dA_prev, dW, db

    def explain(self, out, ins):
        A_prev, W, b = ins
        return [(1, f"1/m sum over windows of a_slice({A_prev}) d{out}"), (2, f"1/m sum(d{out}) per filter"),
                (0, f"sum over filters of {W} d{out}, added into each window of d{A_prev}")]


class Pool2D(Function):
    """A = max (or mean) of each f x f window of A_prev (m, n_H_prev, n_W_prev, n_C), per channel.

    Backward, the course's pool_backward: max sends each window's gradient to the entry that was its
    maximum (the first one, in row order, if several tie: the gradients still sum to dA's); average
    spreads it evenly, dA / f^2 to each entry.
    """

    @classmethod
    def apply(cls, *inputs: Tensor, **attrs: Any) -> Tensor:
        (A_prev,) = inputs
        if attrs["mode"] not in ("max", "average"):
            raise InputError(f"pool2d: mode must be 'max' or 'average', got {attrs['mode']!r}")
        check_window("pool2d", A_prev, attrs["f"], attrs["stride"], 0)
        return super().apply(A_prev, **attrs)

    def forward(self, A_prev, f=2, stride=2, mode="max"):
        _, H, Wd, _ = A_prev.shape
        n_H, n_W = output_size(H, f, 0, stride), output_size(Wd, f, 0, stride)
        self.f, self.stride, self.mode, self.prev_shape = f, stride, mode, A_prev.shape
        A = _strided(A_prev, 0, 0, stride, n_H, n_W).copy()
        for i in range(f):
            for j in range(f):
                if i or j:
                    view = _strided(A_prev, i, j, stride, n_H, n_W)
                    if mode == "max":
                        np.maximum(A, view, out=A)
                    else:
                        A += view
        if mode == "average":
            A /= f * f
        return A

    def backward(self, dA, A, A_prev):
        _no_second_derivative("pool2d", dA)
        f, stride = self.f, self.stride
        _, n_H, n_W, _ = dA.shape
        _, H, Wd, _ = self.prev_shape
        overlap = stride < f  # windows share entries: their gradients add up
        covered = stride == f and n_H * f == H and n_W * f == Wd  # windows side by side, no gap, no rest
        dA_prev = (np.empty if covered else np.zeros)(self.prev_shape, dtype=dA.dtype)  # covered: all written
        share = dA / (f * f) if self.mode == "average" else None
        taken = None  # the windows whose maximum is already found (ties: the first, in row order)
        for i in range(f):
            for j in range(f):
                target = _strided(dA_prev, i, j, stride, n_H, n_W)
                if share is not None:
                    contribution = share
                else:
                    contribution = is_max = _strided(A_prev, i, j, stride, n_H, n_W) == A
                    if taken is None:
                        taken = is_max
                    else:
                        np.greater(is_max, taken, out=is_max)  # a maximum, and not one found before
                        taken |= is_max
                    contribution = dA * is_max
                if overlap:
                    target += contribution
                else:
                    target[...] = contribution
        return (dA_prev,)

    def explain(self, out, ins):
        if self.mode == "max":
            return [(0, f"d{out} to each window's maximum of {ins[0]} (the course's create_mask_from_window)")]
        return [(0, f"d{out} / f^2 to every entry of each window (the course's distribute_value)")]
