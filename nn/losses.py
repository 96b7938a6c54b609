"""Costs J(A, Y) in the course's layout: A and Y are (n[L], m), averaged over the m examples.

``binary_cross_entropy`` and ``binary_cross_entropy_with_logits`` are ops of their own:
the forward and the course's derivative side by side, checked against finite differences
like every other op.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_nb import Function, InputError, Tensor
from tinygrad_nb.ops import dual


def _labels(Y: Any, A: Tensor, op: str, binary: bool = True) -> np.ndarray:
    """Y as an array of A's shape and dtype; for binary costs every entry must be 0 or 1."""
    y = Y.data if isinstance(Y, Tensor) else Y
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{op}: Y must be a numpy array or Tensor of shape {A.shape}, got {type(Y).__name__}")
    if y.shape != A.shape:
        raise ValueError(f"{op}: Y has shape {y.shape} but A has shape {A.shape}; both must be (n[L], m)")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{op}: Y must be numeric, got dtype {y.dtype}")
    y = y.astype(A.dtype, copy=False)
    if binary:
        _check_binary(y, 1 - y, op)
    return y


def _check_binary(y: np.ndarray, one_minus_y: np.ndarray, op: str) -> None:
    """Y (1 - Y) is 0 exactly where Y is 0 or 1 (NaN and Inf fail too)."""
    if (y * one_minus_y).any():
        bad = y[(y != 0) & (y != 1)].ravel()[:3]
        raise ValueError(f"{op}: Y must hold only 0 and 1 (binary labels), found {bad.tolist()}")


def _cost(J: Tensor) -> Tensor:
    """Name the cost J, as the course does (gradients then read dJ, graphs show J)."""
    J.name = "J"
    return J


def _check_m(A: Tensor, op: str) -> int:
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}: expected A (or Z) as a Tensor, got {type(A).__name__}")
    if A.ndim != 2 or A.shape[1] == 0:
        raise ValueError(f"{op}: expected shape (n[L], m) with m >= 1 examples, got {A.shape}")
    return A.shape[1]


class BinaryCrossEntropy(Function):
    """J = -1/m sum(Y log A + (1 - Y) log(1 - A)) for labels Y in {0, 1}.

    With binary labels each term is log A (Y = 1) or log(1 - A) (Y = 0), that is
    log |(1 - Y) - A|: the probability the model gives the true label. Logs are floored at
    -100 (as PyTorch's BCELoss), so a confident wrong answer costs 100, not inf.
    dJ/dA, the course's dAL / m: -1/m (Y/A - (1 - Y)/(1 - A)) = 1 / (m ((1 - Y) - A)).
    """

    def forward(self, A, one_minus_Y):
        self.one_minus_Y, self.m = one_minus_Y, A.shape[1]
        d = one_minus_Y - A  # -A where Y = 1, 1 - A where Y = 0
        p_true = np.abs(d)
        if not p_true.max() <= 1:  # also catches NaN
            finite = A[np.isfinite(A)]
            seen = f"values in [{finite.min():.4g}, {finite.max():.4g}]" if finite.size else "no finite values"
            raise InputError(f"binary_cross_entropy: A must hold probabilities in [0, 1] (a sigmoid output); "
                             f"got {seen}" + (", and NaN" if np.isnan(A).any() else ""))
        p_safe = np.maximum(p_true, LOG_FLOOR)
        self.d = d
        if p_true.min() < LOG_FLOOR:  # A exactly 0 or 1 for the wrong label: floor |d| so that dA stays finite
            self.d = np.copysign(p_safe, one_minus_Y - 0.5)  # the sign of d, which may be 0 here
        return np.asarray(-np.log(p_safe).sum() / self.m)

    def backward(self, g, out, A):
        d = self.d if isinstance(A, np.ndarray) else self.one_minus_Y - A  # Tensors under create_graph
        return (g / (self.m * d),)

    def explain(self, out, ins):
        A = ins[0]
        return [(0, f"-(Y/{A} - (1-Y)/(1-{A}))")]


LOG_FLOOR = math.exp(-100.0)  # a Python float: keeps float32 costs float32


class BinaryCrossEntropyWithLogits(Function):
    """J(sigmoid(Z), Y) without forming A: -1/m sum(Y Z - max(Z, 0) - log(1 + e^-|Z|)); dJ/dZ = (A - Y)/m."""

    def forward(self, Z, Y):
        self.Y, self.m = Y, Z.shape[1]
        return np.asarray((np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))).sum() / self.m)

    def backward(self, g, out, Z):
        return (g * (dual.sigmoid(Z) - self.Y) / self.m,)

    def explain(self, out, ins):
        return [(0, f"sigmoid({ins[0]}) - Y")]


def binary_cross_entropy(A: Tensor, Y: Any) -> Tensor:
    """The course's cost for a sigmoid output A (1, m) and labels Y (1, m) in {0, 1}."""
    _check_m(A, "binary_cross_entropy")
    y = _labels(Y, A, "binary_cross_entropy", binary=False)
    one_minus_y = 1 - y
    _check_binary(y, one_minus_y, "binary_cross_entropy")
    return _cost(BinaryCrossEntropy.apply(A, one_minus_Y=one_minus_y))


def binary_cross_entropy_with_logits(Z: Tensor, Y: Any) -> Tensor:
    """Binary cross-entropy of sigmoid(Z), computed from Z: finite for any Z."""
    _check_m(Z, "binary_cross_entropy_with_logits")
    return _cost(BinaryCrossEntropyWithLogits.apply(Z, Y=_labels(Y, Z, "binary_cross_entropy_with_logits")))


def cross_entropy(Z: Tensor, Y: Any) -> Tensor:
    """-1/m sum(Y log softmax(Z)) over classes C and examples m, for logits Z (C, m).

    Y is one-hot (C, m), or integer labels (1, m) or (m,) with values in 0..C-1.
    """
    m = _check_m(Z, "cross_entropy")
    C = Z.shape[0]
    y = Y.data if isinstance(Y, Tensor) else np.asarray(Y)
    if y.shape in ((1, m), (m,)) and y.shape != (C, m):
        labels = y.reshape(-1)
        if not np.all((labels == np.round(labels)) & (labels >= 0) & (labels < C)):
            raise ValueError(f"cross_entropy: labels must be integers in 0..{C - 1}, got {np.unique(labels)[:5]}")
        one_hot = np.zeros((C, m), dtype=Z.dtype)
        one_hot[labels.astype(np.intp), np.arange(m)] = 1
        y = one_hot
    y = _labels(y, Z, "cross_entropy", binary=False)
    return _cost(-(Z.log_softmax(axis=0) * y).sum() / m)


def mse(A: Tensor, Y: Any) -> Tensor:
    """Mean squared error: 1/(n m) sum((A - Y)^2) over all n[L] x m entries."""
    _check_m(A, "mse")
    return _cost(((A - _labels(Y, A, "mse", binary=False)) ** 2).mean())


def l2_penalty(weights: Iterable[Tensor], lambd: float, m: int) -> Tensor:
    """The course's L2 regularisation term lambd / (2m) sum_l ||W[l]||_F^2 (pass only the W's)."""
    if not isinstance(lambd, (int, float)) or lambd < 0:
        raise ValueError(f"l2_penalty: lambd must be a number >= 0, got {lambd!r}")
    if not isinstance(m, (int, np.integer)) or m <= 0:
        raise ValueError(f"l2_penalty: m must be a positive int, got {m!r}")
    total = None
    for W in weights:
        term = (W * W).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("l2_penalty: no weights given")
    return total * (lambd / (2 * m))


LOSSES = {
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "mse": mse,
}

