"""The training history the explorer's training view draws: checked and put in one plain form.

A history is a dict (``costs.json`` as ``tinygrad-nb train`` writes it is one)::

    {"costs": [0.77, 0.67, ...],               # J at each recorded iteration (required)
     "iterations": [0, 100, ...],              # optional (increasing); else 0, r, 2r, ... with r = "record_every"
                                               # (default 1)
     "record_every": 100,                      # optional, used when "iterations" is absent
     "grad_norms": {"dW1": [...], "dW2": [...]},  # optional: ||dW[l]|| (Frobenius) at the same iterations
     "learning_rate": 0.0075}                  # optional: shown in the cost chart's title

or just the costs that ``nn.fit`` returns: an ``nn.Costs`` list, whose ``.iterations`` say where each cost
was recorded, or a plain list (or 1-D array) of costs, taken as recorded every ``record_every`` iterations. Other keys
are ignored. A cost or norm that is NaN, Inf (a diverging run) or None (not measured) is a gap in the curve.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def _series(who: str, label: str, values: Any) -> list[float | None]:
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValueError(f"{who}: {label} must be a 1-D list of numbers, got an array of shape {values.shape}")
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{who}: {label} must be a list of numbers, got {type(values).__name__}")
    out: list[float | None] = []
    for v in values:
        if v is None:  # not measured (JSON has no NaN): a gap
            out.append(None)
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{who}: {label} must hold numbers, found {v!r}")
        x = float(v)
        out.append(x if math.isfinite(x) else None)
    return out


def as_history(costs: Mapping[str, Any] | Sequence[float] | np.ndarray) -> dict[str, Any]:
    """``costs`` as a history dict: a dict as it is (copied), else {"costs": costs}, with "iterations" from the
    costs' own ``.iterations`` where they carry them (the ``Costs`` that ``nn.fit`` returns)."""
    if isinstance(costs, Mapping):
        return dict(costs)
    history: dict[str, Any] = {"costs": costs}
    iterations = getattr(costs, "iterations", None)
    if iterations is not None:
        history["iterations"] = iterations
    return history


def history_data(history: Mapping[str, Any] | Sequence[float] | np.ndarray | None, *,
                 who: str = "history") -> dict[str, Any] | None:
    """The page's form of ``history`` (see the module docstring): iterations, costs, grad_norms, learning_rate.

    Raises TypeError or ValueError, naming the key, for anything else (a series of another length, or
    iterations that do not increase, included); ``who`` begins each message (``plot_costs`` passes its name).
    """
    if history is None:
        return None
    if not isinstance(history, Mapping):
        history = as_history(history)
    if "costs" not in history:
        raise ValueError(f"{who}: a dict needs 'costs' (a list of J values); got keys {sorted(history)}")
    costs = _series(who, "costs", history["costs"])
    if not costs:
        raise ValueError(f"{who}: 'costs' is empty; expected a non-empty list of costs")
    if history.get("iterations") is not None:
        iterations = _series(who, "iterations", history["iterations"])
        steps = [i for i in iterations if i is not None]
        if len(steps) < len(iterations):
            raise ValueError(f"{who}: 'iterations' must be finite numbers")
        if any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError(f"{who}: 'iterations' must be increasing")
    else:
        every = history.get("record_every")
        every = 1 if every is None else every
        if isinstance(every, bool) or not isinstance(every, numbers.Real) or every <= 0:
            raise ValueError(f"{who}: 'record_every' must be a positive number, got {every!r}")
        iterations = [k * float(every) for k in range(len(costs))]
    if len(iterations) != len(costs):
        raise ValueError(f"{who}: {len(costs)} costs but {len(iterations)} iterations; give one iteration per cost")
    norms = history.get("grad_norms") or {}
    if not isinstance(norms, Mapping):
        raise TypeError(f"{who}: 'grad_norms' must be a dict such as {{'dW1': [...]}}, got {type(norms).__name__}")
    grad_norms = {}
    for name, values in norms.items():
        series = _series(who, f"grad_norms[{name!r}]", values)
        if len(series) != len(iterations):
            raise ValueError(f"{who}: grad_norms[{name!r}] has {len(series)} values for {len(iterations)} "
                             "iterations; record the norms at the same iterations as the costs")
        grad_norms[str(name)] = series
    lr = history.get("learning_rate")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real)):
        raise TypeError(f"{who}: 'learning_rate' must be a number, got {lr!r}")
    return {"iterations": iterations, "costs": costs, "grad_norms": grad_norms,
            "learning_rate": None if lr is None else float(lr)}
