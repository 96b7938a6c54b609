"""The course's gradient check: autograd against centered finite differences.

For every element theta_i of every input that requires grad::

    gradapprox_i = (J(theta_i + eps) - J(theta_i - eps)) / (2 eps)
    difference   = ||grad - gradapprox|| / max(||grad|| + ||gradapprox||, floor)

and the check passes when ``difference <= threshold``. Without the floor (the course's own
formula) a gradient that is exactly 0 on one side and 1e-17 on the other would "differ" by
100 %; finite differences cannot resolve gradients that small, so below ``floor`` the
difference is measured in absolute terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tinygrad_nb.autograd import grad as autograd
from tinygrad_nb.grad_mode import no_grad
from tinygrad_nb.tensor import Tensor


@dataclass(frozen=True)
class GradcheckResult:
    """The outcome of ``gradcheck``: truthy when it passed; ``str()`` is the report."""

    passed: bool
    difference: float
    threshold: float
    worst_input: str
    worst_index: tuple[int, ...]
    worst_analytic: float
    worst_numeric: float

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (f"gradient check {verdict}: difference = {self.difference:.3e} (threshold {self.threshold:.0e}); "
                f"worst element {self.worst_input}{list(self.worst_index)}: "
                f"autograd {self.worst_analytic:.10g}, finite differences {self.worst_numeric:.10g}")


def numerical_gradient(fn: Callable[..., Tensor], inputs: Sequence[Tensor], wrt: Tensor,
                       eps: float) -> np.ndarray:
    """dJ/d``wrt`` by centered differences.

    The nudges go to a private copy of ``wrt.data`` that stands in for it meanwhile, so any
    input works (a transposed view such as the course's ``X.T``, a read-only array) and the
    caller's array is never changed, even when ``fn`` raises.
    """
    original = wrt.data
    work = np.array(original, dtype=original.dtype, order="C", copy=True)
    flat = work.reshape(-1)
    out = np.empty(flat.shape, dtype=np.float64)
    wrt.data = work
    try:
        with no_grad():
            for i in range(flat.size):
                value = flat[i]
                flat[i] = value + eps
                plus = float(fn(*inputs).data.sum())
                flat[i] = value - eps
                minus = float(fn(*inputs).data.sum())
                flat[i] = value
                out[i] = (plus - minus) / (2 * eps)
    finally:
        wrt.data = original
    return out.reshape(wrt.shape)


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-7,
              threshold: float = 1e-7, floor: float = 1.0) -> GradcheckResult:
    """Check autograd's dJ/dinput against centered differences for every input that requires grad.

    ``fn(*inputs)`` must return the cost J (a one-element Tensor). Inputs must be float64:
    finite differences with eps = 1e-7 are meaningless in float32. ``floor`` bounds the
    denominator of the relative difference from below (see the module docstring). Returns a
    ``GradcheckResult`` (truthy on pass) whose report names the worst element.
    """
    for label, value in (("eps", eps), ("threshold", threshold), ("floor", floor)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < np.inf:
            raise ValueError(f"gradcheck: {label} must be a positive finite number, got {value!r}")
    if not callable(fn):
        raise TypeError(f"gradcheck: fn must be callable, got {type(fn).__name__}")
    inputs = list(inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for k, t in enumerate(checked):
        if t.dtype != np.float64:
            raise TypeError(f"gradcheck: input {t.name or k} is {t.dtype}; finite differences need float64")
    J = fn(*inputs)
    if not isinstance(J, Tensor) or J.size != 1:
        raise ValueError("gradcheck: fn must return the cost J as a one-element Tensor, got "
                         f"{getattr(J, 'shape', type(J).__name__)}")
    analytic = _analytic(J, checked)
    numeric = [numerical_gradient(fn, inputs, t, eps) for t in checked]
    a = np.concatenate([g.ravel() for g in analytic])
    n = np.concatenate([g.ravel() for g in numeric])
    difference = relative_difference(a, n, floor)
    k, index = _worst(analytic, numeric)
    name = checked[k].name or f"input {k}"
    return GradcheckResult(difference <= threshold, difference, threshold, name, index,
                           float(analytic[k][index]), float(numeric[k][index]))


def relative_difference(a: np.ndarray, b: np.ndarray, floor: float) -> float:
    """||a - b|| / max(||a|| + ||b||, floor): the course's relative difference, absolute below ``floor``."""
    return float(np.linalg.norm(a - b) / max(float(np.linalg.norm(a) + np.linalg.norm(b)), floor))


def _analytic(J: Tensor, checked: list[Tensor]) -> list[np.ndarray]:
    grads = autograd(J, checked, allow_unused=True)
    return [np.zeros(t.shape) if g is None else g.data.astype(np.float64) for t, g in zip(checked, grads)]


def _worst(analytic: list[np.ndarray], numeric: list[np.ndarray]) -> tuple[int, tuple[int, ...]]:
    """The input and element index with the largest |autograd - finite difference|."""
    best: tuple[float, int, tuple[int, ...]] = (-1.0, 0, ())
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        if a.size:
            err = np.abs(a - n)
            i = np.unravel_index(int(err.argmax()), a.shape)
            if err[i] > best[0]:
                best = (float(err[i]), k, tuple(int(j) for j in i))
    return best[1], best[2]
