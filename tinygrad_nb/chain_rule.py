"""Explain mode: print each chain-rule step of a backward pass as it runs, in course notation.

    J.backward(explain=True)          # or:  with tinygrad_nb.explain(): J.backward()

prints, in the order the engine runs them, lines such as::

    dA2 = -(Y/A2 - (1-Y)/(1-A2))             (1, 209)
    dZ2 = dA2 * sigmoid'(Z2)                  (1, 209)
    dW2 = 1/m dZ2 A1^T                        (1, 7)

Each op says how it explains itself (``Function.explain``), next to its backward. The
course's convention is kept: dZ[l] and dA[l] are m times dJ/dZ[l] and dJ/dA[l], so that
dZ[L] = A[L] - Y and dW[l] = 1/m dZ[l] A[l-1]^T hold as written. ``+=`` marks a tensor that
gets a second share (fan-out).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, TextIO

from tinygrad_nb.grad_mode import _state

HEADER = ("backward of {root}, step by step (course notation: dZ and dA are m * dJ/dZ and m * dJ/dA, "
          "so dW = 1/m dZ A^T)")


class explain(contextlib.ContextDecorator):  # noqa: N801 - reads as a verb: with explain(): ...
    """Context manager and decorator: every backward inside prints its chain-rule steps to ``file``."""

    def __init__(self, file: TextIO | None = None):
        self.file = file

    def __enter__(self) -> explain:
        self._previous = _state.explain
        _state.explain = self.file or sys.stdout
        return self

    def __exit__(self, *exc: object) -> None:
        _state.explain = self._previous


def name_of(t: Any) -> str:
    """A tensor's course name, or ``op#n`` for an unnamed intermediate."""
    if t.name:
        return t.name
    return f"{t._ctx.op_name}#{t._seq}" if t._ctx is not None else "const"


def print_header(root: Any, file: TextIO) -> None:
    """The first line of a trace: which output, and the course's convention for dZ and dA."""
    print(HEADER.format(root=name_of(root)), file=file)


def print_step(fn: Any, node: Any, grads: tuple, pending: dict, file: TextIO) -> None:
    """One line per input gradient this node's backward produced: ``dW2 = 1/m dZ2 A1^T   (7, 20)``."""
    names = [name_of(p) for p in fn.parents]
    for i, formula in fn.explain(name_of(node), names):
        if grads[i] is None or not fn.needs_input_grad[i]:
            continue
        parent = fn.parents[i]
        sign = "+=" if parent in pending else "="
        print(f"  d{names[i]} {sign} {formula}".ljust(46) + f"{tuple(parent.shape)}", file=file)
