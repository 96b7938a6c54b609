"""The training history the explorer's training view draws: checked and put in one plain form.

A history is a dict (``costs.json`` as ``tinygrad-nb train`` writes it is one)::

    {"costs": [0.77, 0.67, ...],               # J at each recorded iteration (required)
     "iterations": [0, 100, ...],              # optional; else 0, r, 2r, ... with r = "record_every" (default 1)
     "record_every": 100,                      # optional, used when "iterations" is absent
     "grad_norms": {"dW1": [...], "dW2": [...]},  # optional: ||dW[l]|| (Frobenius) at the same iterations
     "learning_rate": 0.0075}                  # optional: shown in the cost chart's title

or just the list of costs that ``nn.fit`` returns. Other keys are ignored. A cost or norm that is
NaN, Inf (a diverging run) or None (not measured) is a gap in the curve.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any


def _series(label: str, values: Any) -> list[float | None]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"history: {label} must be a list of numbers, got {type(values).__name__}")
    out: list[float | None] = []
    for v in values:
        if v is None:  # not measured (JSON has no NaN): a gap
            out.append(None)
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"history: {label} must hold numbers, found {v!r}")
        x = float(v)
        out.append(x if math.isfinite(x) else None)
    return out


def history_data(history: Mapping[str, Any] | Sequence[float] | None) -> dict[str, Any] | None:
    """The page's form of ``history`` (see the module docstring): iterations, costs, grad_norms, learning_rate.

    Raises TypeError or ValueError, naming the key, for anything else (a series of another length included).
    """
    if history is None:
        return None
    if not isinstance(history, Mapping):
        history = {"costs": history}
    if "costs" not in history:
        raise ValueError(f"history: a dict needs 'costs' (a list of J values); got keys {sorted(history)}")
    costs = _series("costs", history["costs"])
    if not costs:
        raise ValueError("history: 'costs' is empty")
    if history.get("iterations") is not None:
        iterations = _series("iterations", history["iterations"])
        if any(i is None for i in iterations):
            raise ValueError("history: 'iterations' must be finite numbers")
    else:
        every = history.get("record_every")
        every = 1 if every is None else every
        if isinstance(every, bool) or not isinstance(every, numbers.Real) or every <= 0:
            raise ValueError(f"history: 'record_every' must be a positive number, got {every!r}")
        iterations = [k * float(every) for k in range(len(costs))]
    if len(iterations) != len(costs):
        raise ValueError(f"history: {len(costs)} costs but {len(iterations)} iterations")
    norms = history.get("grad_norms") or {}
    if not isinstance(norms, Mapping):
        raise TypeError(f"history: 'grad_norms' must be a dict such as {{'dW1': [...]}}, got {type(norms).__name__}")
    grad_norms = {}
    for name, values in norms.items():
        series = _series(f"grad_norms[{name!r}]", values)
        if len(series) != len(iterations):
            raise ValueError(f"history: grad_norms[{name!r}] has {len(series)} values for {len(iterations)} "
                             "iterations; record the norms at the same iterations as the costs")
        grad_norms[str(name)] = series
    lr = history.get("learning_rate")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real)):
        raise TypeError(f"history: 'learning_rate' must be a number, got {lr!r}")
    return {"iterations": iterations, "costs": costs, "grad_norms": grad_norms,
            "learning_rate": None if lr is None else float(lr)}
