"""Explain mode: print each chain-rule step of a backward pass as it runs, in course notation.

    J.backward(explain=True)          # or:  with tinygrad_nb.explain(): J.backward()

prints, in the order the engine runs them, lines such as::

    dA2 = -(Y/A2 - (1-Y)/(1-A2))                (1, 209)     ||dA2|| = 28.9
    dZ2 = dA2 * sigmoid'(Z2)                    (1, 209)     ||dZ2|| = 7.21
    dW2 = 1/m dZ2 A1^T                          (1, 7)       ||dW2|| = 0.0871

Each op says how it explains itself (``Function.explain``), next to its backward. The
course's convention is kept (``course_scale``): for a tensor with a course name Z[l], A[l]
or X of shape (n, m), dZ[l] and dA[l] are m * dJ/dZ[l] and m * dJ/dA[l], with m its last
axis (the examples); dW[l], db[l] and every other dT are dJ/dT itself. So dW[l] = 1/m dZ[l]
A[l-1]^T, db[l] = 1/m sum(dZ[l]), dA[l-1] = W[l]^T dZ[l] and dZ[l] = dA[l] * g'(Z[l]) hold as
written for any cost J, and dZ[L] = A[L] - Y when J is the course's cost, a mean over the m
examples (``reduction="mean"``, the default). With ``reduction="sum"`` the numbers follow
the same definition (dZ[L] is then m (A[L] - Y)). The norm on each line (Frobenius) is that
of what its right-hand side computes; ``+=`` marks a second share of a tensor (fan-out).
``viz.draw_graph``, ``viz.explore`` and ``nn.check_against_closed_form`` show the same numbers.
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

import numpy as np

from tinygrad_nb.engine import reduce_to_shape
from tinygrad_nb.function import Function
from tinygrad_nb.grad_mode import ModeSwitch, refuse_inside_jit

HEADER = ("backward of {root}, step by step (course notation: dZ = m * dJ/dZ and dA = m * dJ/dA for Z[l], A[l], X "
          "of shape (n, m); dW = dJ/dW = 1/m dZ A^T, db = dJ/db)")
COURSE_ACTIVATION = re.compile(r"^(?:[ZA]\d+|X)$")


def course_scale(t: Any) -> int:
    """The factor between the course's gradient of ``t`` and dJ/dt: m for a course activation, else 1.

    A tensor named Z{l}, A{l} or X of shape (n, m) gets m, its last axis (the number of examples): the
    course's dZ[l] is m * dJ/dZ[l], so that dZ[L] = A[L] - Y for the mean cost. W{l}, b{l} and every
    other tensor get 1: the course's dW = 1/m dZ A^T already is dJ/dW.
    """
    name = getattr(t, "name", None) or ""
    shape = tuple(t.shape)
    if COURSE_ACTIVATION.match(name) and len(shape) == 2 and shape[1] > 0:
        return int(shape[1])
    return 1


def course_gradient(t: Any, g: Any) -> np.ndarray:
    """The course's gradient of ``t`` (``course_scale(t) * dJ/dt``) as an array of t's shape.

    ``g`` is dJ/dt as an array or a Tensor (``create_graph``); a broadcast gradient is summed back to
    t's shape first, as the engine does before it hands the gradient on.
    """
    a = np.asarray(getattr(g, "data", g))
    a = reduce_to_shape(a, tuple(t.shape))
    scale = course_scale(t)
    return a * scale if scale != 1 else a


def norm_text(name: str, t: Any, g: Any) -> str:
    """``||dZ2|| = 7.21``: the Frobenius norm of the course's gradient of ``t``, as every view prints it."""
    return f"||d{name}|| = {float(np.linalg.norm(course_gradient(t, g))):.3g}"


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
        """One line per input gradient this node's backward produced:
        ``dW2 = 1/m dZ2 A1^T   (1, 7)   ||dW2|| = 0.0871`` (the norm in the course's convention)."""
        parents = fn.parents or ()
        names = [name_of(p) for p in parents]
        for i, formula in fn.explain(name_of(node), names):
            if grads[i] is None or not fn.needs_input_grad[i]:
                continue
            sign = "+=" if parents[i] in pending else "="
            print(f"  d{names[i]} {sign} {formula}".ljust(46) + f"{tuple(parents[i].shape)}".ljust(14)
                  + norm_text(names[i], parents[i], grads[i]), file=self.file)
