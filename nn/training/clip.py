"""Gradient clipping with PyTorch's names and semantics: ``clip_grad_norm_`` and ``clip_grad_value_``.

    opt.zero_grad()
    J = nn.binary_cross_entropy(model(X), Y)
    J.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # rescales every .grad in place
    opt.step()

Both change the parameters' ``.grad`` arrays in place, after ``backward`` and before the
optimiser's ``step``. Inside a ``tinygrad_nb.jit``-compiled step they are replayed on every call
(the work is done by functions marked ``@side_effect``), so a compiled step clips exactly as the
eager one does. The parameters are read once, when the step is recorded: pass the same
parameters (a list, a generator, a single Tensor) on every call.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from nn import validate
from nn.layers.module import Module
from tinygrad_nb import Tensor, side_effect

__all__ = ["clip_grad_norm_", "clip_grad_value_"]

EPS = 1e-6  # PyTorch's: clip_coef = max_norm / (total_norm + 1e-6)


def _parameter_list(parameters: Tensor | Iterable[Tensor], who: str) -> tuple[Tensor, ...]:
    """``parameters`` as a tuple of Tensors, each once: a single Tensor or an iterable of them (read once here, so
    that a generator such as ``(p for p in model.parameters())`` is replayed whole by a jitted step)."""
    if isinstance(parameters, Tensor):
        return (parameters,)
    if isinstance(parameters, Module):
        raise TypeError(f"{who}: expected the parameters, such as model.parameters(), got the "
                        f"{type(parameters).__name__} itself")
    if isinstance(parameters, (str, bytes)) or not isinstance(parameters, Iterable):
        raise TypeError(f"{who}: parameters must be a Tensor or an iterable of Tensors such as model.parameters(), "
                        f"got {type(parameters).__name__}")
    params = tuple(parameters)
    first: dict[int, int] = {}
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: parameter {i} must be a Tensor, got {type(p).__name__}")
        if id(p) in first:
            raise ValueError(f"{who}: parameter {i} is parameter {first[id(p)]} again; its gradient would count twice "
                             "in the norm: pass each tensor once, e.g. model.parameters()")
        first[id(p)] = i
    return params


def check_norm_type(norm_type: Any, who: str = "clip_grad_norm_") -> float:
    """p of the p-norm: a number > 0, or inf (``float("inf")`` or the string ``"inf"``, as PyTorch accepts)."""
    if isinstance(norm_type, str) and norm_type.strip().lower() in ("inf", "+inf"):
        return math.inf
    if not validate.is_number(norm_type):
        raise TypeError(f"{who}: norm_type must be a number > 0 or inf (2.0 for the Euclidean norm), "
                        f"got {norm_type!r}")
    p = float(norm_type)
    if not p > 0:  # NaN too
        raise ValueError(f"{who}: norm_type must be a number > 0 or inf (2.0 for the Euclidean norm), "
                         f"got {norm_type!r}")
    return p


def _vector_norm(g: np.ndarray, p: float) -> float:
    """The p-norm of every entry of ``g`` (as one vector), in float64."""
    a = np.abs(np.asarray(g, dtype=np.float64)).ravel()
    if a.size == 0:
        return 0.0
    if p == math.inf:
        return float(a.max())  # NaN if any entry is NaN
    if p == 2.0:
        return math.sqrt(float(np.dot(a, a)))
    if p == 1.0:
        return float(a.sum())
    return float(np.sum(a**p) ** (1.0 / p))


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Rescale the gradients so that their total norm is at most ``max_norm``; returns the total norm before.

    As ``torch.nn.utils.clip_grad_norm_``: the total norm is the ``norm_type``-norm of every
    gradient's entries together, as if the gradients were concatenated into one vector (for inf,
    the largest absolute entry). With clip_coef = max_norm / (total_norm + 1e-6), each ``.grad``
    is multiplied in place by clip_coef when clip_coef < 1, and left as it is otherwise.
    Parameters whose ``.grad`` is None are skipped; with none left the total norm is 0.

    A non-finite total norm (a NaN or Inf in some gradient) raises RuntimeError when
    ``error_if_nonfinite``; otherwise the gradients are scaled by it anyway, as PyTorch does
    (an Inf norm zeroes the finite entries; a NaN norm makes every gradient NaN).

    Args:
        parameters: a Tensor or an iterable of Tensors, e.g. ``model.parameters()``.
        max_norm: the largest total norm allowed (>= 0).
        norm_type: p of the p-norm, > 0; ``float("inf")`` (or ``"inf"``) for the largest absolute entry.
        error_if_nonfinite: raise RuntimeError rather than scale by a NaN or Inf total norm.

    Returns:
        The total norm of the gradients before clipping, a 0-d Tensor of the gradients' dtype.

    Inside a ``tinygrad_nb.jit``-compiled step it is replayed on every call (``@side_effect``).
    """
    params = _parameter_list(parameters, "clip_grad_norm_")
    max_norm = validate.number("clip_grad_norm_: max_norm", max_norm, low=0)
    p = check_norm_type(norm_type)
    if not isinstance(error_if_nonfinite, (bool, np.bool_)):
        raise TypeError(f"clip_grad_norm_: error_if_nonfinite must be True or False, got {error_if_nonfinite!r}")
    return clip_total_norm(params, max_norm, p, bool(error_if_nonfinite))


@side_effect  # a jitted step replays it: it changes .grad outside the graph
def clip_total_norm(params: tuple[Tensor, ...], max_norm: float, p: float, error_if_nonfinite: bool) -> Tensor:
    """``clip_grad_norm_`` on checked arguments (what a jitted step records and replays; ``nn.optim.ClipGrad`` too)."""
    grads = [t.grad for t in params if t.grad is not None]
    if not grads:
        return Tensor(np.asarray(0.0), name="total_norm")
    norms = [_vector_norm(g.data, p) for g in grads]
    total = _vector_norm(np.asarray(norms), p)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {p:g} of the gradients is {total}, not finite, "
                           "so it cannot be clipped (some gradient holds NaN or Inf); to scale the gradients by it "
                           "anyway, pass error_if_nonfinite=False")
    coef = max_norm / (total + EPS)
    if not coef >= 1.0:  # < 1, or NaN (a NaN norm): scale, as PyTorch's clamp(coef, max=1) does
        for g in grads:
            _scale_in_place(g, coef)
    dtype = np.result_type(*[g.data.dtype for g in grads])
    return Tensor(np.asarray(total, dtype=dtype), name="total_norm")


def _scale_in_place(g: Tensor, coef: float) -> None:
    """``g.data *= coef``, in place where the array allows it (a read-only array is replaced by the product)."""
    with np.errstate(invalid="ignore"):  # inf * 0 (an Inf norm) is NaN, as documented
        if g.data.flags.writeable:
            g.data *= coef
        else:
            g.data = np.asarray(g.data * coef, dtype=g.data.dtype)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient entry into [-clip_value, clip_value], in place (``torch.nn.utils.clip_grad_value_``).

    Parameters whose ``.grad`` is None are skipped; NaN entries stay NaN. ``clip_value`` must be
    a finite number >= 0. Inside a ``tinygrad_nb.jit``-compiled step it is replayed on every
    call (``@side_effect``).
    """
    params = _parameter_list(parameters, "clip_grad_value_")
    clip_value = validate.number("clip_grad_value_: clip_value", clip_value, low=0)
    _clip_grad_value(params, clip_value)


@side_effect  # a jitted step replays it: it changes .grad outside the graph
def _clip_grad_value(params: tuple[Tensor, ...], clip_value: float) -> None:
    """``clip_grad_value_`` on checked arguments (what a jitted step records and replays)."""
    for t in params:
        g = t.grad
        if g is None:
            continue
        if g.data.flags.writeable:
            np.clip(g.data, -clip_value, clip_value, out=g.data)
        else:
            g.data = np.clip(g.data, -clip_value, clip_value)
