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
import linecache
import os
import sys
from types import FrameType
from typing import Any

import numpy as np

from tinygrad_nb.function import Function, GraphFreedError
from tinygrad_nb.grad_mode import ModeSwitch, _state, refuse_inside_jit

_OWN_DIRS = tuple(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + d + os.sep
                  for d in ("tinygrad_nb", "nn", "viz"))


class AnomalyError(FloatingPointError):
    """A forward or backward result held NaN or Inf while ``detect_anomaly`` was on."""


class detect_anomaly(ModeSwitch):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: raise ``AnomalyError`` at the first NaN or Inf, forward or backward."""

    mode = "watch"

    def value(self) -> AnomalyObserver:
        refuse_inside_jit("detect_anomaly")
        return _OBSERVER

    def context(self) -> contextlib.AbstractContextManager[Any]:
        return np.errstate(all="ignore")  # the AnomalyError says it; NumPy's warnings would repeat it


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly`` (in this thread)."""
    return isinstance(_state.watch, AnomalyObserver)


def user_line() -> str:
    """``file:line: code`` of the innermost caller outside tinygrad_nb, nn and viz."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_OWN_DIRS):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
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
    if t.op is None or depth == 0:
        return "tensor"
    try:
        inputs = t.inputs
    except GraphFreedError:
        return "tensor"
    return f"{t.op}({', '.join(label(p, depth - 1) for p in inputs)})"


def _with_shape(t: Any) -> str:
    return f"{label(t)} {tuple(t.shape)}"


def _inputs(inputs: tuple) -> str:
    parts = []
    for t in inputs:
        flag = _bad(t.data)
        parts.append(_with_shape(t) + (f" (already holds {flag})" if flag else ""))
    return ", ".join(parts)


class AnomalyObserver:
    """What ``detect_anomaly`` switches on: checks of every forward and backward result."""

    def on_forward(self, fn: Function, inputs: tuple, out: Any, attrs: dict[str, Any]) -> None:
        """Remember where the op was created; raise if its result is not finite."""
        fn.created_at = user_line()
        flag = _bad(out.data)
        if flag:
            raise AnomalyError(f"detect_anomaly: {flag} in the forward pass of {fn.op_name}\n"
                               f"  inputs: {_inputs(inputs)}\n"
                               f"  created at {fn.created_at}")

    def on_backward(self, fn: Function, node: Any, grads: tuple) -> None:
        """Raise if a gradient the op's backward returned is not finite."""
        for parent, g in zip(fn.parents or (), grads):
            flag = _bad(getattr(g, "data", g))
            if flag:
                target = "d" + parent.name if parent.name else "the gradient of " + label(parent)
                raise AnomalyError(f"detect_anomaly: {flag} in the backward pass of {fn.op_name}, computing {target}\n"
                                   f"  output: {_with_shape(node)}, inputs: {_inputs(fn.parents or ())}\n"
                                   f"  created at {getattr(fn, 'created_at', '<created outside detect_anomaly>')}")


_OBSERVER = AnomalyObserver()
