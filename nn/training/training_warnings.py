"""fit's warnings about training, each built from parts: what went wrong, what to try, and the same advice as data.

A warning is made from its parts, ``DivergenceWarning(diagnosis=..., advice_text=..., suggestion=...)``,
and its message is ``fit: <diagnosis>; <advice_text>``. The parts stay on it:

- ``.diagnosis``: what went wrong, without the "fit: " and without the advice;
- ``.advice_text``: the advice in Python (``fit(..., lr=0.12)``, ``init='he'``), for Python users;
- ``.suggestion``: the same advice as a small dict of changes, each one an alternative to try
  (not all together), in the order to try them:

  - ``"lr_scale"``: multiply the learning rate by this (0.1: a tenth of it);
  - ``"hidden"``: the hidden activation to use instead (``"tanh"``, ``"leaky_relu"``);
  - ``"init"``: the initialiser to use instead (``"he"``, ``"xavier"``).

so that a front end renders it in its own terms: ``tinygrad-nb train`` prints ``--lr 0.12``, ``--hidden tanh``,
``--init he`` after the diagnosis. The learning-rate advice is built from ``LrAdvice``, the rate fit trained with
and how it was given, never parsed back from text.

A warning made from a message alone (``warnings.warn(text, DivergenceWarning)``) has that message as its
diagnosis, no advice text, and its class's default suggestion (``DivergenceWarning``: a tenth of the rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUGGESTION_KEYS = ("lr_scale", "hidden", "init")
TENTH = {"lr_scale": 0.1}


@dataclass(frozen=True)
class LrAdvice:
    """The learning rate fit trains with and how it was given, to word advice about it.

    Args:
        lr: the learning rate (> 0).
        spelling: "fit" (``fit(..., lr=...)``) or the optimiser's class name, e.g. "Adam"
            (``Adam(model.parameters(), lr=...)``).
    """

    lr: float
    spelling: str = "fit"

    def call(self, lr: float) -> str:
        """The Python that sets the learning rate to ``lr``, e.g. ``fit(..., lr=0.12)``."""
        if self.spelling == "fit":
            return f"fit(..., lr={lr:.4g})"
        return f"{self.spelling}(model.parameters(), lr={lr:.4g})"

    def rate(self, scale: float) -> str:
        """The learning rate ``scale`` times this one, as advice: ``a smaller learning rate, e.g. fit(..., lr=0.12)
        (a tenth of 1.2)`` for 0.1, ``a larger learning rate, e.g. fit(..., lr=0.01) (10,000 times 1e-06)``."""
        if scale == 0.1:
            how = f"a tenth of {self.lr:g}"
        else:
            how = f"{scale:,.0f} times {self.lr:g}" if scale >= 1 else f"{scale:g} times {self.lr:g}"
        size = "smaller" if scale < 1 else "larger"
        return f"a {size} learning rate, e.g. {self.call(self.lr * scale)} ({how})"


class TrainingWarning(RuntimeWarning):
    """Base of fit's warnings about training, made from its parts: ``diagnosis`` (what went wrong), ``advice_text``
    (what to try, in Python) and ``suggestion`` (the same advice as data, e.g. ``{"hidden": "tanh", "lr_scale":
    0.1}``: alternatives, in order); the message is ``fit: <diagnosis>; <advice_text>``. A message alone
    (``warnings.warn(text, category)``) is its diagnosis, with the class's default suggestion."""

    default_suggestion: dict[str, Any] = {}

    def __init__(self, message: str | None = None, *, diagnosis: str | None = None, advice_text: str = "",
                 suggestion: dict[str, Any] | None = None):
        name = type(self).__name__
        if (message is None) == (diagnosis is None):
            raise TypeError(f"{name}: give either a message or its parts (diagnosis=..., advice_text=...), "
                            f"not {'both' if message is not None else 'neither'}")
        if message is not None and advice_text:
            raise TypeError(f"{name}: advice_text goes with diagnosis=..., not with a whole message")
        if diagnosis is not None:
            message = f"fit: {diagnosis}" + (f"; {advice_text}" if advice_text else "")
        super().__init__(message)
        chosen = dict(self.default_suggestion if suggestion is None else suggestion)
        unknown = [k for k in chosen if k not in SUGGESTION_KEYS]
        if unknown:
            raise ValueError(f"{name}: suggestion keys must be among {list(SUGGESTION_KEYS)}, got {unknown}")
        self.suggestion = chosen
        self.diagnosis = str(message) if diagnosis is None else diagnosis
        self.advice_text = advice_text


class DivergenceWarning(TrainingWarning):
    """fit's warning that training diverged (a NaN or Inf cost, a cost stuck at the loss's floor, or a cost
    that keeps rising), with the iteration where it showed and what to try (``.suggestion``: a tenth of the
    learning rate)."""

    default_suggestion = TENTH


class DeadNetworkWarning(TrainingWarning):
    """fit's warning that the network cannot learn (not divergence): a dead ReLU layer (its units output 0 on
    every example), weights that are all 0, or a cost stuck at its first value (a learning rate too small to
    move it, or gradients that vanish); it names the layer and the fix."""


class OscillatingCostWarning(TrainingWarning):
    """fit's warning that the cost has stopped falling and bounces up and down instead (full batch): the
    learning rate is too large for this model (planar's 1.2, tuned for tanh, on a ReLU network), with the fix."""
