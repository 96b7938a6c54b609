"""The course's gradient check: autograd (or a gradient computed by hand) against centered finite differences.

For every element theta_i of every input that requires grad::

    gradapprox_i = (J(theta_i + eps) - J(theta_i - eps)) / (2 eps)
    difference   = ||grad - gradapprox|| / max(||grad|| + ||gradapprox||, floor)

and the check passes when ``difference <= threshold``. ``gradcheck`` takes ``grad`` from
autograd; ``check_gradient`` takes it from the caller (the course's hand-written
``backward_propagation_n``, say). Without the floor (the course's own formula) a gradient
that is exactly 0 on one side and 1e-17 on the other would "differ" by 100 %; finite
differences cannot resolve gradients that small, so below ``floor`` the difference is
measured in absolute terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nb._tensor import Tensor
from tinygrad_nb.autograd import grad as autograd
from tinygrad_nb.grad_mode import no_grad


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
    analytic_source: str = "autograd"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (f"gradient check {verdict}: difference = {self.difference:.3e} (threshold {self.threshold:.0e}); "
                f"worst element {self.worst_input}{list(self.worst_index)}: "
                f"{self.analytic_source} {self.worst_analytic:.10g}, finite differences {self.worst_numeric:.10g}")


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
    checked = _checked_inputs("gradcheck", fn, inputs, eps, threshold, floor)
    J = fn(*inputs)
    if not isinstance(J, Tensor) or J.size != 1:
        raise ValueError("gradcheck: fn must return the cost J as a one-element Tensor, got "
                         f"{getattr(J, 'shape', type(J).__name__)}")
    return _compare(fn, inputs, checked, _analytic(J, checked), eps, threshold, floor, "autograd")


def check_gradient(fn: Callable[..., Tensor], inputs: Sequence[Tensor],
                   gradients: Sequence[Any] | Mapping[str, Any], eps: float = 1e-7,
                   threshold: float = 1e-7, floor: float = 1.0) -> GradcheckResult:
    """Check a gradient you computed yourself (a hand-written backward pass) against centered differences.

    The course's ``gradient_check_n``: ``fn(*inputs)`` returns the cost J (a one-element
    Tensor); ``gradients`` holds dJ/dtheta for every input that requires grad, either as a
    list in the order of those inputs or as a mapping keyed by the inputs' names, with or
    without the course's ``d`` (``{"dW1": dW1, "db1": db1, ...}`` for inputs named W1, b1).
    Each gradient must have its input's shape. All of them are flattened and joined in
    order, as ``gradients_to_vector`` does, and compared with the finite differences by the
    relative difference of the module docstring (the course's formula where
    ||grad|| + ||gradapprox|| >= ``floor``). The course calls a difference above 2e-7 a
    mistake in the backward pass: pass ``threshold=2e-7`` for its verdict.

    Examples:
        >>> import numpy as np
        >>> from tinygrad_nb import Tensor, check_gradient
        >>> theta = Tensor(np.array([[4.0]]), requires_grad=True, name="theta")
        >>> J = lambda theta: (theta * 3.0).sum()             # J = theta x with x = 3
        >>> check_gradient(J, [theta], {"dtheta": np.array([[3.0]])}).passed
        True
    """
    checked = _checked_inputs("check_gradient", fn, inputs, eps, threshold, floor)
    analytic = _given_gradients(gradients, checked)
    return _compare(fn, inputs, checked, analytic, eps, threshold, floor, "your gradient")


def _checked_inputs(caller: str, fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float,
                    threshold: float, floor: float) -> list[Tensor]:
    """The inputs that require grad, after checking every option."""
    for label, value in (("eps", eps), ("threshold", threshold), ("floor", floor)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < np.inf:
            raise ValueError(f"{caller}: {label} must be a positive finite number, got {value!r}")
    if not callable(fn):
        raise TypeError(f"{caller}: fn must be callable, got {type(fn).__name__}")
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError(f"{caller}: no input has requires_grad=True, so there is nothing to check")
    for k, t in enumerate(checked):
        if t.dtype != np.float64:
            raise TypeError(f"{caller}: input {t.name or k} is {t.dtype}; finite differences need float64")
    return checked


def _given_gradients(gradients: Sequence[Any] | Mapping[str, Any], checked: list[Tensor]) -> list[np.ndarray]:
    """The caller's gradients as float64 arrays, one per checked input, each of that input's shape."""
    names = [t.name or f"input {k}" for k, t in enumerate(checked)]
    if isinstance(gradients, Mapping):
        listed = [_by_name(gradients, t, name) for t, name in zip(checked, names)]
    elif isinstance(gradients, Sequence) and not isinstance(gradients, (str, bytes)):
        listed = list(gradients)
        if len(listed) != len(checked):
            raise ValueError(f"check_gradient: got {len(listed)} gradients for {len(checked)} inputs that require "
                             f"grad ({', '.join(names)})")
    else:
        raise TypeError("check_gradient: gradients must be a list of arrays (one per input that requires grad) "
                        f"or a dict such as {{'dW1': dW1, ...}}, got {type(gradients).__name__}")
    arrays = []
    for t, name, g in zip(checked, names, listed):
        a = np.asarray(g.data if isinstance(g, Tensor) else g)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"check_gradient: the gradient for {name} must be numeric, got dtype {a.dtype}")
        if a.shape != t.shape:
            raise ValueError(f"check_gradient: the gradient for {name} has shape {a.shape}, expected {t.shape}")
        arrays.append(a.astype(np.float64))
    return arrays


def _by_name(gradients: Mapping[str, Any], t: Tensor, name: str) -> Any:
    """The gradient for ``t`` from a mapping keyed W1 or dW1 (the course's ``grads`` dict; other keys are ignored)."""
    if not t.name:
        raise ValueError(f"check_gradient: {name} has no name, so a dict cannot say which gradient is its; "
                         "name the inputs (Tensor(..., name='W1')) or pass the gradients as a list")
    keys = [k for k in (t.name, f"d{t.name}") if k in gradients]
    if len(keys) != 1:
        raise ValueError(f"check_gradient: gradients must hold exactly one of {t.name!r} and {'d' + t.name!r}, "
                         f"found {'both' if keys else 'neither'} (keys: {sorted(map(str, gradients))})")
    return gradients[keys[0]]


def _compare(fn: Callable[..., Tensor], inputs: Sequence[Tensor], checked: list[Tensor],
             analytic: list[np.ndarray], eps: float, threshold: float, floor: float,
             source: str) -> GradcheckResult:
    """Finite differences for each checked input, and the relative difference of all of them at once."""
    numeric = [numerical_gradient(fn, inputs, t, eps) for t in checked]
    a = np.concatenate([g.ravel() for g in analytic])
    n = np.concatenate([g.ravel() for g in numeric])
    difference = relative_difference(a, n, floor)
    k, index = _worst(analytic, numeric)
    name = checked[k].name or f"input {k}"
    return GradcheckResult(difference <= threshold, difference, threshold, name, index,
                           float(analytic[k][index]), float(numeric[k][index]), source)


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
            err = np.nan_to_num(np.abs(a - n), nan=np.inf)  # a NaN is the worst difference there is
            i = np.unravel_index(int(err.argmax()), a.shape)
            if err[i] >= best[0]:
                best = (float(err[i]), k, tuple(int(j) for j in i))
    return best[1], best[2]
