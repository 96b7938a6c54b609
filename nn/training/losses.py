"""Costs J(A, Y) in the course's layout: A and Y are (n[L], m), averaged over the m examples.

Every cost takes ``reduction``: ``"mean"`` (the default, the course's cost J = 1/m sum_i L(a(i), y(i))),
``"sum"`` (the sum of every term, PyTorch's ``"sum"``) or ``"none"`` (the per-example losses L, a (1, m)
Tensor). A loss L(a(i), y(i)) is one example's: a column's terms summed (binary and multiclass
cross-entropy) or averaged (``mse``). With one output unit (n[L] = 1) and for ``cross_entropy`` all three
are PyTorch's reductions exactly, and ``"sum"`` is PyTorch's for any n[L]. With n[L] > 1 two differ:
PyTorch's ``"none"`` keeps every entry (n[L], m) where here a column makes one example's loss, and its BCE
``"mean"`` divides by n[L] m where the course's J divides by m (``mse``'s ``"mean"`` is PyTorch's, the mean of
every entry, so there the sum of the (1, m) losses L is ``"sum"`` / n[L]).
The classes ``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss`` and ``CrossEntropyLoss`` hold a
``reduction`` and call these functions: ``BCELoss()(A, Y)``.

``binary_cross_entropy`` and ``binary_cross_entropy_with_logits`` are ops of their own:
the forward and the course's derivative side by side, checked against finite differences
like every other op. Their backward rules run on arrays (the ordinary pass) and on
Tensors (``create_graph=True``) with only public Tensor operations.

Multiclass: ``cross_entropy(Z, Y)`` takes the logits Z (C, m), the output of a Linear layer
with no activation (``MLP(..., output="identity")``), and applies log-softmax itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Literal, cast

import numpy as np

from nn import validate
from nn.layers.lists import ParameterList
from nn.layers.module import Built, Module
from tinygrad_nb import Function, InputError, Tensor, state_changed, state_written


def _targets(Y: Any, A: Tensor, op: str) -> np.ndarray:
    """Y as a numeric array of A's shape and dtype."""
    y = Y.data if isinstance(Y, Tensor) else Y
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{op}: Y must be a numpy array or Tensor of shape {A.shape}, got {type(Y).__name__}")
    if y.shape != A.shape:
        raise ValueError(f"{op}: Y has shape {y.shape} but A has shape {A.shape}; both must be (n[L], m)")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{op}: Y must be numeric, got dtype {y.dtype}")
    return y.astype(A.dtype, copy=False)


def _label_tensor(Y: Any, A: Tensor) -> Tensor:
    """Y as a Tensor input of A's dtype, made by ops (not NumPy) so that a jitted step sees new labels.

    Every loss reads its labels through this: a NumPy copy of Y (``Y.astype(A.dtype)``) would be a constant of a
    jitted step's recording, and its replays would keep the first labels. Labels are constants of the cost: a Y
    that requires grad gets none (it is detached).
    """
    t = Y if isinstance(Y, Tensor) else Tensor(Y, name="Y")
    if t.requires_grad:
        t = t.detach()
    return t if t.dtype == A.dtype else t.astype(A.dtype)  # a Cast op: traced, where a NumPy copy would not be


def _labels(Y: Any, A: Tensor, op: str) -> np.ndarray:
    """Y as an array of A's shape and dtype, without NaN or Inf."""
    y = _targets(Y, A, op)
    if not np.isfinite(y).all():
        raise ValueError(f"{op}: Y contains NaN or Inf")
    return y


def _binary_labels(Y: Any, A: Tensor, op: str) -> tuple[np.ndarray, np.ndarray]:
    """Y and 1 - Y as arrays of A's shape and dtype; every entry of Y must be 0 or 1."""
    y = _targets(Y, A, op)
    one_minus_y = 1 - y
    _check_binary(y, one_minus_y, op)
    return y, one_minus_y


def _check_binary(y: np.ndarray, one_minus_y: np.ndarray, op: str) -> None:
    """Y (1 - Y) is 0 exactly where Y is 0 or 1 (NaN and Inf fail too)."""
    if (y * one_minus_y).any():
        bad = y[(y != 0) & (y != 1)].ravel()[:3]
        raise ValueError(f"{op}: Y must hold only 0 and 1 (binary labels), found {bad.tolist()}")


Reduction = Literal["mean", "sum", "none"]
REDUCTIONS = ("mean", "sum", "none")


def _reduction(reduction: Any, op: str) -> Reduction:
    return cast(Reduction, validate.choice(f"{op}: reduction", reduction, REDUCTIONS))


def _cost(J: Tensor, reduction: str = "mean") -> Tensor:
    """Name the cost J, as the course does (gradients then read dJ, graphs show J); per-example losses are L."""
    J.name = "L" if reduction == "none" else "J"
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
    ``reduction="sum"`` drops the 1/m; ``"none"`` gives each column's sum, L (1, m).
    """

    def forward(self, A: np.ndarray, Y: np.ndarray, reduction: str = "mean") -> np.ndarray:
        self.m = A.shape[1] if reduction == "mean" else 1  # what the sum is divided by
        one_minus_Y = 1 - Y
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
        if reduction == "none":
            return -np.log(p_safe).sum(axis=0, keepdims=True)
        return np.asarray(-np.log(p_safe).sum() / self.m)

    def backward(self, g: Any, out: Any, A: Any, Y: Any) -> tuple[Any, None]:
        d = self.d if isinstance(A, np.ndarray) else (1 - Y) - A  # Tensors under create_graph
        return (g / (self.m * d), None)  # labels are constants; a (1, m) g ("none") broadcasts over the rows

    def explain(self, out: str, ins: list[str]) -> list[tuple[int, str]]:
        A = ins[0]
        return [(0, f"-(Y/{A} - (1-Y)/(1-{A}))")]


LOG_FLOOR = math.exp(-100.0)  # a Python float: keeps float32 costs float32


class BinaryCrossEntropyWithLogits(Function):
    """J(sigmoid(Z), Y) without forming A: -1/m sum(Y Z - max(Z, 0) - log(1 + e^-|Z|)); dJ/dZ = (A - Y)/m.

    ``reduction="sum"`` drops the 1/m; ``"none"`` gives each column's sum, L (1, m).
    """

    def forward(self, Z: np.ndarray, Y: np.ndarray, reduction: str = "mean") -> np.ndarray:
        self.m = Z.shape[1] if reduction == "mean" else 1  # what the sum is divided by
        e = np.exp(-np.abs(Z))  # in (0, 1]: no overflow for any Z
        self.A = np.where(Z >= 0, 1.0, e) / (1.0 + e)  # sigmoid(Z) from the same e, kept for backward
        terms = np.maximum(Z, 0) - Z * Y + np.log1p(e)
        if reduction == "none":
            return terms.sum(axis=0, keepdims=True)
        return np.asarray(terms.sum() / self.m)

    def backward(self, g: Any, out: Any, Z: Any, Y: Any) -> tuple[Any, None]:
        A = Z.sigmoid() if isinstance(Z, Tensor) else self.A  # a Tensor under create_graph
        return (g * (A - Y) / self.m, None)  # labels are constants

    def explain(self, out: str, ins: list[str]) -> list[tuple[int, str]]:
        return [(0, f"sigmoid({ins[0]}) - Y")]


class SoftmaxCrossEntropy(Function):
    """J = -1/m sum(Y log softmax(Z)) for logits Z (C, m); dJ/dZ = (softmax(Z) sum_c Y - Y) / m, which is
    the course's (A - Y) / m for one-hot Y.

    Y is a second input: one-hot or class probabilities (C, m), or integer labels (1, m) that the
    forward turns into one-hot, so a jitted step sees new labels. Only entries where Y is not 0
    enter the sum: a class with log-probability -inf that is not the label costs nothing, never NaN.
    ``reduction="sum"`` drops the 1/m; ``"none"`` gives each example's loss, L (1, m).
    """

    def forward(self, Z: np.ndarray, Y: np.ndarray, reduction: str = "mean") -> np.ndarray:
        C, m = Z.shape
        if Y.shape != Z.shape:  # integer labels (1, m)
            Y = _one_hot(Y.reshape(-1), Z)
        top = Z.max(axis=0, keepdims=True)
        shifted = Z - np.where(np.isfinite(top), top, 0.0)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
        self.p, self.Y, self.scale = np.exp(log_p), Y, (m if reduction == "mean" else 1)
        losses = -(np.where(Y != 0, log_p, 0.0) * Y).sum(axis=0, keepdims=True)
        return losses if reduction == "none" else np.asarray(losses.sum() / self.scale)

    def backward(self, g: Any, out: Any, Z: Any, Y: Any) -> tuple[Any, None]:
        total = self.Y.sum(axis=0, keepdims=True)  # 1 for one-hot labels
        p = Z.softmax(axis=0) if isinstance(Z, Tensor) else self.p  # a Tensor under create_graph
        return (g * (p * total - self.Y) / self.scale, None)  # labels are constants

    def explain(self, out: str, ins: list[str]) -> list[tuple[int, str]]:
        return [(0, f"softmax({ins[0]}) - Y")]


def _one_hot(labels: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Integer labels (m,) as one-hot columns (C, m) of Z's dtype."""
    one_hot = np.zeros_like(Z)
    one_hot[labels.astype(np.intp), np.arange(Z.shape[1])] = 1
    return one_hot


def _reduction_attrs(reduction: str) -> dict[str, str]:
    """The op's keyword arguments: none for the default, so the course's graph records exactly what it did."""
    return {} if reduction == "mean" else {"reduction": reduction}


def binary_cross_entropy(A: Tensor, Y: Any, reduction: Reduction = "mean") -> Tensor:
    """The course's cost for a sigmoid output A (1, m) and labels Y (1, m) in {0, 1}.

    ``reduction``: "mean" (J, the default), "sum", or "none" (the losses L (1, m), one per example).
    """
    reduction = _reduction(reduction, "binary_cross_entropy")
    _check_m(A, "binary_cross_entropy")
    _binary_labels(Y, A, "binary_cross_entropy")
    return _cost(BinaryCrossEntropy.apply(A, _label_tensor(Y, A), **_reduction_attrs(reduction)), reduction)


def binary_cross_entropy_with_logits(Z: Tensor, Y: Any, reduction: Reduction = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(Z), computed from Z (1, m): finite for any Z.

    Z must be logits (a Linear layer's output, ``output="identity"``): the output of a sigmoid, a tanh or a
    softmax is refused with a ValueError naming the fix (use ``binary_cross_entropy`` on a sigmoid's output).

    ``reduction``: "mean" (J, the default), "sum", or "none" (the losses L (1, m), one per example).
    """
    reduction = _reduction(reduction, "binary_cross_entropy_with_logits")
    _check_m(Z, "binary_cross_entropy_with_logits")
    refuse_squashed(Z, "binary_cross_entropy_with_logits", "the sigmoid")
    _binary_labels(Y, Z, "binary_cross_entropy_with_logits")
    return _cost(BinaryCrossEntropyWithLogits.apply(Z, _label_tensor(Y, Z), **_reduction_attrs(reduction)),
                 reduction)


def cross_entropy(Z: Tensor, Y: Any, reduction: Reduction = "mean") -> Tensor:
    """Softmax cross-entropy from logits: J = -1/m sum(Y log softmax(Z)) over the C classes and m examples.

    Z (C, m) are logits, the output of the last Linear layer with no activation
    (``MLP(..., output="identity")``): log-softmax is applied here, stably. Y is one-hot
    (or class probabilities) (C, m), or integer labels (1, m) or (m,) with values in
    0..C-1. dJ/dZ = (softmax(Z) - Y) / m, the course's dZ[L] / m.

    Log-probabilities work as Z too (log-softmax leaves them unchanged), and a class with
    probability 0 (log-probability -inf) that is not the label costs nothing: only the
    entries where Y is not 0 enter the sum, so 0 * -inf never turns the cost into NaN.

    Probabilities do not: a Z made by a squashing output (a softmax, a sigmoid, as ``nn.MLP``'s
    default ``output="sigmoid"``, or a tanh) is refused with a ValueError naming the fix
    (``output="identity"``), as softmax of squashed values trains, silently, to a worse model.
    (It is seen from the graph, ``Z.op``, so only where the forward pass was recorded.)

    ``reduction``: "mean" (J, the default), "sum", or "none" (the losses L (1, m), one per example).
    """
    reduction = _reduction(reduction, "cross_entropy")
    _check_m(Z, "cross_entropy")
    refuse_squashed(Z, "cross_entropy", "log-softmax")
    _class_targets(Y, Z)  # the checks; the op reads the labels as its input (a jitted step sees new ones)
    labels = _label_tensor(Y, Z)
    labels = labels if labels.ndim == 2 else labels.reshape(1, -1)  # (m,) labels as (1, m)
    return _cost(SoftmaxCrossEntropy.apply(Z, labels, **_reduction_attrs(reduction)), reduction)


SQUASHING = {"sigmoid": "a sigmoid", "tanh": "a tanh", "softmax": "a softmax"}
"""The activations whose outputs are squashed into a bounded range (``kind`` of the layer, ``op`` of the Tensor):
probabilities (sigmoid, softmax) or values in [-1, 1] (tanh), never logits for a loss that takes logits."""


def refuse_squashed(Z: Tensor, op: str, applies: str) -> None:
    """ValueError when Z was made by a squashing activation (``SQUASHING``, seen from the graph): a loss ``op`` that
    takes logits and applies ``applies`` itself would squash twice and train, silently, to a worse model."""
    if Z.op in SQUASHING:
        fix = ("use nn.binary_cross_entropy on this output, or " if op.startswith("binary") and Z.op == "sigmoid"
               else "")
        raise ValueError(f"{op}: Z is the output of {SQUASHING[Z.op]}, but {op} takes the logits Z[L] (a Linear "
                         f"layer's output) and applies {applies} itself: {fix}end the model in output=\"identity\" "
                         f"(nn.MLP(..., output=\"identity\"), no {Z.op.capitalize()} layer at the end)")


def _class_targets(Y: Any, Z: Tensor) -> np.ndarray:
    """Y as (C, m) targets of Z's dtype: integer labels become one-hot; entries must be finite and >= 0."""
    C, m = Z.shape
    y = Y.data if isinstance(Y, Tensor) else np.asarray(Y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"cross_entropy: Y must be numeric labels (1, m) or one-hot (C, m), got dtype {y.dtype}")
    if y.shape in ((1, m), (m,)) and y.shape != (C, m):
        labels = y.reshape(-1)
        if not np.all((labels == np.round(labels)) & (labels >= 0) & (labels < C)):
            raise ValueError(f"cross_entropy: labels must be integers in 0..{C - 1}, got {np.unique(labels)[:5]}")
        one_hot = np.zeros((C, m), dtype=Z.dtype)
        one_hot[labels.astype(np.intp), np.arange(m)] = 1
        return one_hot
    y = _labels(y, Z, "cross_entropy")
    if (y < 0).any():
        raise ValueError(f"cross_entropy: Y must be one-hot or class probabilities >= 0, found {y[y < 0][:3].tolist()}")
    return y


def mse(A: Tensor, Y: Any, reduction: Reduction = "mean") -> Tensor:
    """Mean squared error: J = 1/(n m) sum((A - Y)^2) over all entries; A and Y of one shape (..., m).

    Any shape works, the m examples in the last axis ((n[L], m), or (m,)); n is the number of
    entries per example. One example's loss is the mean of its n squared errors, so
    ``reduction`` gives "mean" (J, the default, the mean of every entry, as PyTorch), "sum"
    (sum((A - Y)^2), every squared error, as PyTorch), or "none" (the losses L (1, m), each the mean of
    its column's n squared errors: their mean is "mean", their sum "sum" / n).
    """
    reduction = _reduction(reduction, "mse")
    if not isinstance(A, Tensor):
        raise TypeError(f"mse: expected A as a Tensor, got {type(A).__name__}")
    if A.ndim == 0 or A.shape[-1] == 0:
        raise ValueError(f"mse: expected shape (..., m) with m >= 1 examples in the last axis, got {A.shape}")
    m = A.shape[-1]
    n = A.size // m
    _labels(Y, A, "mse")  # the checks; the subtraction reads the labels as an input (a jitted step sees new ones)
    squared = (A - _label_tensor(Y, A)) ** 2
    if reduction == "mean":
        return _cost(squared.mean(), reduction)
    if reduction == "sum":
        return _cost(squared.sum(), reduction)
    return _cost(squared.reshape(n, m).mean(axis=0, keepdims=True), reduction)


def l2_penalty(weights: Iterable[Tensor], lambd: float, m: int) -> Tensor:
    """The course's L2 regularisation term lambd / (2m) sum_l ||W[l]||_F^2 (pass only the W's).

    ``weights`` is an iterable of the Tensors W[l] (n[l], n[l-1]) (a list, or an ``nn.ParameterList``), e.g.
    ``nn.layers.containers.weights(model)`` (every parameter whose own name starts with W, ``layers.0.W`` of a
    nested model too). A model itself, an array
    (which would get no gradient) or anything else is refused with a TypeError naming the argument.
    """
    if ((isinstance(weights, Module) and not isinstance(weights, ParameterList)) or not isinstance(weights, Iterable)
            or isinstance(weights, (Tensor, str, bytes))):
        what = "a Tensor" if isinstance(weights, Tensor) else type(weights).__name__
        raise TypeError(f"l2_penalty: weights must be a list of the W[l] Tensors, got {what}; for a model pass "
                        "[p for name, p in model.named_parameters() if name.rsplit('.', 1)[-1].startswith('W')] "
                        "(nn.layers.containers.weights(model))")
    lambd = validate.number("l2_penalty: lambd", lambd, low=0)
    m = validate.positive_int("l2_penalty: m", m)
    total = None
    for i, W in enumerate(weights):
        if not isinstance(W, Tensor):
            raise TypeError(f"l2_penalty: weights[{i}] must be a Tensor W[l] (n[l], n[l-1]), got {type(W).__name__}"
                            + ("; an array would get no gradient: pass the model's parameter Tensor"
                               if isinstance(W, np.ndarray) else ""))
        term = (W * W).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("l2_penalty: no weights given")
    return total * (lambd / (2 * m))


class _Loss(Built):
    """A loss function with its ``reduction`` held, called as PyTorch's loss modules: ``loss(A, Y)``."""

    fn: Callable[..., Tensor]
    reduction: Reduction

    def __init__(self, reduction: Reduction = "mean"):
        object.__setattr__(self, "reduction", _reduction(reduction, type(self).__name__))

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "reduction":
            value = _reduction(value, type(self).__name__)
        built = self.__dict__.get("_built")
        if built:
            state_written(self, name)
        object.__setattr__(self, name, value)
        if built:  # a jitted step that used the old setting records anew
            state_changed(self, name)

    def __jit_state__(self) -> tuple[tuple[str, Any], ...]:
        """What a jitted step bakes in of this loss: its settings."""
        return tuple(sorted((k, repr(v)) for k, v in vars(self).items()))

    def __call__(self, A: Tensor, Y: Any) -> Tensor:
        """The cost of A (n[L], m) against Y: a one-element J, or the losses L (1, m) for "none"."""
        return type(self).fn(A, Y, reduction=self.reduction)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MSELoss(_Loss):
    """``nn.mse`` as an object: ``MSELoss(reduction="mean")(A, Y)``, A and Y (..., m)."""

    fn = staticmethod(mse)


class BCELoss(_Loss):
    """``nn.binary_cross_entropy`` as an object: ``BCELoss()(A, Y)``, A a sigmoid output (1, m)."""

    fn = staticmethod(binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """``nn.binary_cross_entropy_with_logits`` as an object: ``BCEWithLogitsLoss()(Z, Y)``, Z logits (1, m)."""

    fn = staticmethod(binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    """``nn.cross_entropy`` as an object: ``CrossEntropyLoss()(Z, Y)``, Z logits (C, m), Y labels or one-hot."""

    fn = staticmethod(cross_entropy)


LOSSES = {
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "mse": mse,
}

