"""``detect_anomaly``: stop at the first NaN or Inf and say where it came from.

    with detect_anomaly():
        J = nn.binary_cross_entropy(model(X), Y)
        J.backward()

Inside the block every op records the line of user code that created it, and every
forward and backward result is checked. The first non-finite value raises an
``AnomalyError`` naming the op, its inputs (course names and shapes), whether it happened
in the forward or the backward pass, and that line. Outside the block the engine pays one
boolean test per op.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

import numpy as np

from tinygrad_nb.function import Function
from tinygrad_nb.grad_mode import _state

_OWN_DIRS = tuple(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + d + os.sep
                  for d in ("tinygrad_nb", "nn", "viz"))


class AnomalyError(FloatingPointError):
    """A forward or backward result held NaN or Inf while ``detect_anomaly`` was on."""


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: raise ``AnomalyError`` at the first NaN or Inf, forward or backward."""

    def __enter__(self) -> detect_anomaly:
        self._previous = _state.anomaly
        self._errstate = np.errstate(all="ignore")  # the AnomalyError says it; NumPy's warnings would repeat it
        self._errstate.__enter__()
        _state.anomaly = True
        return self

    def __exit__(self, *exc: object) -> None:
        _state.anomaly = self._previous
        self._errstate.__exit__(*exc)


def user_line() -> str:
    """``file:line: code`` of the innermost caller outside tinygrad_nb, nn and viz."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_OWN_DIRS):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    import linecache

    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" + (f": {code}" if code else "")


def _bad(a: Any) -> str | None:
    """'NaN', 'Inf' or None for an array."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype.kind != "f" or np.isfinite(a).all():
        return None
    return "NaN" if np.isnan(a).any() else "Inf"


def label(t: Any, depth: int = 2) -> str:
    """A course name, or the expression that made an unnamed tensor: ``abs(W1)``."""
    if t.name:
        return t.name
    ctx = t._ctx
    if ctx is None or ctx.parents is None or depth == 0:
        return "tensor"
    return f"{ctx.op_name}({', '.join(label(p, depth - 1) for p in ctx.parents)})"


def _with_shape(t: Any) -> str:
    return f"{label(t)} {tuple(t.shape)}"


def _inputs(inputs: tuple) -> str:
    parts = []
    for t in inputs:
        flag = _bad(t.data)
        parts.append(_with_shape(t) + (f" (already holds {flag})" if flag else ""))
    return ", ".join(parts)


def on_forward(fn: Function, inputs: tuple, out: np.ndarray) -> None:
    """Remember where the op was created; raise if its result is not finite."""
    fn.created_at = user_line()
    flag = _bad(out)
    if flag:
        raise AnomalyError(f"detect_anomaly: {flag} in the forward pass of {fn.op_name}\n"
                           f"  inputs: {_inputs(inputs)}\n"
                           f"  created at {fn.created_at}")


def on_backward(fn: Function, node: Any, grads: tuple) -> None:
    """Raise if a gradient the op's backward returned is not finite."""
    for parent, g in zip(fn.parents, grads):
        flag = _bad(getattr(g, "data", g))
        if flag:
            raise AnomalyError(f"detect_anomaly: {flag} in the backward pass of {fn.op_name}, "
                               f"computing {'d' + parent.name if parent.name else 'the gradient of ' + label(parent)}\n"
                               f"  output: {_with_shape(node)}, inputs: {_inputs(fn.parents)}\n"
                               f"  created at {getattr(fn, 'created_at', '<created outside detect_anomaly>')}")
