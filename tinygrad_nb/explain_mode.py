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

import sys
from typing import Any, TextIO

from tinygrad_nb.function import Function
from tinygrad_nb.grad_mode import ModeSwitch, refuse_inside_jit

HEADER = ("backward of {root}, step by step (course notation: dZ and dA are m * dJ/dZ and m * dJ/dA, "
          "so dW = 1/m dZ A^T)")


class explain(ModeSwitch):  # noqa: N801 - reads as a verb: with explain(): ...
    """Context manager and decorator: every backward inside prints its chain-rule steps to ``file``."""

    mode = "explain"

    def __init__(self, file: TextIO | None = None):
        self.file = file

    def value(self) -> ChainRuleTracer:
        refuse_inside_jit("explain mode")
        return ChainRuleTracer(self.file or sys.stdout)


def name_of(t: Any) -> str:
    """A tensor's course name, or ``op#n`` for an unnamed intermediate."""
    if t.name:
        return t.name
    return f"{t.op}#{t.creation_order}" if t.op is not None else "const"


class ChainRuleTracer:
    """What explain mode switches on: prints a backward pass's steps to ``file`` as the engine runs them."""

    def __init__(self, file: TextIO):
        self.file = file

    def header(self, root: Any) -> None:
        """The first line of a trace: which output, and the course's convention for dZ and dA."""
        print(HEADER.format(root=name_of(root)), file=self.file)

    def step(self, fn: Function, node: Any, grads: tuple, pending: dict) -> None:
        """One line per input gradient this node's backward produced: ``dW2 = 1/m dZ2 A1^T   (7, 20)``."""
        parents = fn.parents or ()
        names = [name_of(p) for p in parents]
        for i, formula in fn.explain(name_of(node), names):
            if grads[i] is None or not fn.needs_input_grad[i]:
                continue
            sign = "+=" if parents[i] in pending else "="
            print(f"  d{names[i]} {sign} {formula}".ljust(46) + f"{tuple(parents[i].shape)}", file=self.file)
