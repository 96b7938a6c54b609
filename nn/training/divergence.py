"""Noticing that training diverges: fit watches the cost it already has (a Python float) each iteration.

Three signs, each named with the iteration where it showed:

- the cost is NaN or Inf: the numbers overflowed, and the weights are lost with them;
- the cost sits at binary cross-entropy's floor: ``binary_cross_entropy`` floors each log at
  -100 (``nn.training.losses.LOG_FLOOR``), so a network whose outputs are exactly 0 or 1 costs
  100 k / m for its k examples that are certainly wrong, and its gradients are 0: it cannot
  learn back, and the cost stays exactly there (``50.0`` for ever). The test is exact
  (``cost m / 100`` a whole number k >= 1, for ``FLOOR_STREAK`` iterations in a row), which an
  ordinary cost meets by chance with probability about 1e-9 per iteration;
- the cost rises for long: its average over about ``SPAN`` iterations (an exponential moving
  average, which mini-batch noise does not move much) stays, for ``PATIENCE`` iterations in a
  row, above its lowest value by more than half the progress made from the start and more than
  half that lowest value. A late spike of Adam from 0.001 to 0.1 is not divergence; a cost that
  climbs from 0.69 to 1.1, or falls to 0.3 and climbs back to 0.5, is.

Two signs that are not divergence, a network that cannot learn (``DeadNetworkWarning``) and a cost that
bounces instead of falling (``OscillatingCostWarning``), are ``nn.training.health``'s; the Watch runs them too.
Every warning carries its advice as data too (``.suggestion``, ``nn.training.training_warnings``), which
``tinygrad-nb train`` words as its own flags.
"""

from __future__ import annotations

import math
from typing import Any

from nn.training.health import Health
from nn.training.losses import LOG_FLOOR
from nn.training.training_warnings import (
    DeadNetworkWarning,
    DivergenceWarning,
    LrAdvice,
    OscillatingCostWarning,
    TrainingWarning,
)

__all__ = ["ON_DIVERGENCE", "DeadNetworkWarning", "DivergenceWarning", "LrAdvice", "OscillatingCostWarning",
           "TrainingWarning", "Watch"]

ON_DIVERGENCE = ("warn", "stop", "ignore")
FLOOR = -math.log(LOG_FLOOR)  # 100: the most one entry of binary cross-entropy can cost
FLOOR_STREAK = 3
SPAN = 20
PATIENCE = 50


class Watch:
    """Looks at each iteration's cost; ``check`` returns the diagnosis the first time a sign shows, then None.

    Args:
        floor_m: the number of examples m when the cost is binary cross-entropy averaged over
            them (the floor test applies), else None.
        advice: fit's learning rate and how it was given, e.g. ``LrAdvice(1.2, "fit")``; a warning's advice
            about the rate is worded from it (``advice.rate(0.1)``: "a smaller learning rate, e.g.
            fit(..., lr=0.12) (a tenth of 1.2)").
        word: "iteration" or "epoch".
        model: the model being trained (an nn.Module), or None.
    """

    def __init__(self, floor_m: int | None, advice: LrAdvice, word: str = "iteration", model: Any = None):
        self.floor_m = floor_m
        self.model = model
        self.advice = advice
        self.word = word
        self.done = False
        self.start = math.nan  # the first smoothed cost
        self.ema = math.nan
        self.best = math.inf
        self.rising = 0
        self.floored = 0
        self.health = Health(model, advice, word, stacklevel=5)  # Health.check < check < fit's loop < fit

    def check(self, i: int, cost: float) -> str | None:
        """None while training looks sound; once, at the iteration ``i`` where it stops being so, what went wrong
        (``training diverged: the cost is nan at iteration 3 ...``), the diagnosis of a ``DivergenceWarning`` that
        the caller completes with its advice (``advice``) and warns.

        A dead network or an oscillating cost is warned about here, once each, with its own class (they are
        not divergence, so the caller neither records nor stops on them)."""
        if self.done:
            return None
        if math.isfinite(cost):
            self.health.check(i, cost)
        message = self._sign(i, cost)
        if message is not None:
            self.done = True
            return f"training diverged: {message}"
        return None

    def _sign(self, i: int, cost: float) -> str | None:
        if not math.isfinite(cost):
            return f"the cost is {cost} at {self.word} {i} (the numbers overflowed; the weights are lost)"
        if self.floor_m is not None and self._at_floor(cost):
            k = round(cost * self.floor_m / FLOOR)
            return (f"the cost has sat at {cost:.6g} since {self.word} {i - FLOOR_STREAK + 1}, binary "
                    f"cross-entropy's floor: the outputs are exactly 0 or 1 and {k} of the {self.floor_m} examples "
                    f"are certainly wrong (log clamped at -{FLOOR:g} each), so the gradients are 0 and "
                    f"training cannot recover")
        if self.ema != self.ema:  # the first cost
            self.ema = self.start = cost
            return None
        self.ema += (cost - self.ema) * (2.0 / (SPAN + 1))
        if self.ema < self.best:
            self.best = self.ema
        if self.ema > self.best + max(0.5 * (self.start - self.best), 0.5 * self.best):
            self.rising += 1
            if self.rising >= PATIENCE:
                return (f"the cost has been rising for {PATIENCE} {self.word}s: about {self.ema:.4g} at "
                        f"{self.word} {i} (averaged), up from {self.best:.4g}")
        else:
            self.rising = 0
        return None

    def _at_floor(self, cost: float) -> bool:
        assert self.floor_m is not None
        r = cost * self.floor_m / FLOOR
        k = round(r)
        if k >= 1 and abs(r - k) <= 1e-9 * k:
            self.floored += 1
        else:
            self.floored = 0
        return self.floored >= FLOOR_STREAK
