"""fit's warnings about training, each carrying what to change as data as well as in words.

A warning's text is for Python users: its advice is Python (``fit(..., lr=0.12)``, ``init='he'``).
The same advice is on the warning as ``.suggestion``, a small dict of changes, each one an
alternative to try (not all together), in the order to try them:

- ``"lr_scale"``: multiply the learning rate by this (0.1: a tenth of it);
- ``"hidden"``: the hidden activation to use instead (``"tanh"``, ``"leaky_relu"``);
- ``"init"``: the initialiser to use instead (``"he"``, ``"xavier"``).

so that a front end renders it in its own terms: ``tinygrad-nb train`` prints
``--lr 0.12``, ``--hidden tanh``, ``--init he``. ``.diagnosis`` is the text without the advice.

A ``DivergenceWarning`` made from a message alone (``warnings.warn(text, DivergenceWarning)``,
as fit's loop does) suggests a tenth of the learning rate, the advice fit writes into its text.
"""

from __future__ import annotations

import re
from typing import Any

SUGGESTION_KEYS = ("lr_scale", "hidden", "init")
TENTH = {"lr_scale": 0.1}
# fit's loop writes its advice as "; try a smaller learning rate, e.g. <Python> (a tenth of <lr>)"
_LR_ADVICE = re.compile(r"; try a smaller learning rate, e\.g\. .*?\(a tenth of [^)]*\)")


class TrainingWarning(RuntimeWarning):
    """Base of fit's warnings about training: the message (``str(w)``), and ``.suggestion`` (what to change, e.g.
    ``{"hidden": "tanh", "lr_scale": 0.1}``: alternatives, in order) and ``.diagnosis`` (the text without its
    advice) for a front end that words the advice its own way."""

    default_suggestion: dict[str, Any] = {}

    def __init__(self, message: str, suggestion: dict[str, Any] | None = None, diagnosis: str | None = None):
        super().__init__(message)
        chosen = dict(self.default_suggestion if suggestion is None else suggestion)
        unknown = [k for k in chosen if k not in SUGGESTION_KEYS]
        if unknown:
            raise ValueError(f"{type(self).__name__}: suggestion keys must be among {list(SUGGESTION_KEYS)}, "
                             f"got {unknown}")
        self.suggestion = chosen
        self.diagnosis = self._diagnosis(str(message)) if diagnosis is None else diagnosis

    def _diagnosis(self, message: str) -> str:
        return message


class DivergenceWarning(TrainingWarning):
    """fit's warning that training diverged (a NaN or Inf cost, a cost stuck at the loss's floor, or a cost
    that keeps rising), with the iteration where it showed and what to try (``.suggestion``: a tenth of the
    learning rate)."""

    default_suggestion = TENTH

    def _diagnosis(self, message: str) -> str:
        return _LR_ADVICE.sub("", message)


class DeadNetworkWarning(TrainingWarning):
    """fit's warning that the network cannot learn (not divergence): a dead ReLU layer (its units output 0 on
    every example), weights that are all 0, or a cost stuck at its first value (a learning rate too small to
    move it, or gradients that vanish); it names the layer and the fix."""


class OscillatingCostWarning(TrainingWarning):
    """fit's warning that the cost has stopped falling and bounces up and down instead (full batch): the
    learning rate is too large for this model (planar's 1.2, tuned for tanh, on a ReLU network), with the fix."""


def python_lr(advice: str) -> str:
    """fit's own advice text for a smaller learning rate, e.g. ``try a smaller learning rate, e.g. fit(..., lr=0.12)
    (a tenth of 1.2)``, as the alternative ``or a smaller learning rate, e.g. ...`` (its "try " dropped)."""
    return advice.removeprefix("try ")


_PYTHON_LR = re.compile(r"e\.g\. (?P<call>.*?lr=)[^)]*\) \(a tenth of (?P<lr>[^)]*)\)")


def larger_lr(advice: str, scale: float) -> str:
    """fit's advice for a smaller learning rate turned into one ``scale`` times larger, in the same Python
    (``fit(..., lr=0.01)`` or ``SGD(model.parameters(), lr=0.01)``); words alone if the advice has no call."""
    times = f"{scale:,.0f}" if scale >= 1 else f"{scale:g}"
    found = _PYTHON_LR.search(advice)
    if found is None:
        return f"try a learning rate about {times} times larger"
    lr = float(found["lr"])
    return f"try a larger learning rate, e.g. {found['call']}{lr * scale:.4g}) ({times} times {lr:g})"
