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

A flat cost is not divergence, but a network that cannot learn is worth a word of its own, a
``DeadNetworkWarning`` (not a DivergenceWarning: training is not stopped by ``on_divergence="stop"``,
and nothing overflowed), naming the fix:

- a dead ReLU layer: the ReLU units of a hidden layer l output 0 on every example (A[l] = 0), so
  no gradient reaches layers 1..l and the output no longer depends on the input. Seen cheaply
  from the gradients fit already has: dW[l+1] = dZ[l+1] A[l]^T is then exactly 0 (an exact 0 of
  that sum otherwise needs every dZ[l+1] to vanish). Reported after ``DEAD_STREAK`` iterations
  in a row (a layer that comes back to life, as Adam's momentum can make it, is not);
- weights that are all exactly 0 (zero initialisation: every unit of a layer computes the same
  and, with ReLU or tanh, gets a zero gradient), or a cost that has not moved from its first
  value by more than rounding (``FLAT_RTOL``) for ``DEAD_STREAK`` iterations: the course's
  zero-initialisation example, which sits at 0.6931... (log 2), gets this warning. A cost that
  fell and then levels off (training converged) does not.

And a ``OscillatingCostWarning`` (full batch only, where gradient descent with a fitting learning
rate lowers the cost almost every step): over the last ``WINDOW`` iterations the cost rose in at
least ``RISE_SHARE`` of them and its steps, up and down, add up to more than ``SWING`` times
its level, and that for ``SWING_PATIENCE`` iterations in a row. The course's initialisation
example with weights randn x 10 gets it too (its cost swings between 1 and 80 for 900
iterations): the learning rate is too large for such weights.
planar's learning rate 1.2, tuned for tanh, on a ReLU network jumps between 0.48 and
0.70 this way (steps of 0.09 on average, half of them up); the course's own runs, whose costs
move by 1e-4 of their level per step or less, stay far from it.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from typing import Any

from nn.layers.activations import ReLU
from nn.layers.containers import Sequential
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.training.losses import LOG_FLOOR

ON_DIVERGENCE = ("warn", "stop", "ignore")
FLOOR = -math.log(LOG_FLOOR)  # 100: the most one entry of binary cross-entropy can cost
FLOOR_STREAK = 3
SPAN = 20
PATIENCE = 50
DEAD_STREAK = 100  # iterations a layer stays dead (or the cost at its first value) before the warning
FLAT_RTOL = 1e-9  # a cost within this (relative) of the first one has not moved
WINDOW = 100  # iterations the oscillation test looks back over
RISE_SHARE = 0.3
SWING = 1.0
SWING_PATIENCE = 50  # iterations in a row the oscillation must show: an early burst of chaos is not reported
FIXES = "try He initialisation (init='he') or LeakyReLU (hidden='leaky_relu')"


class DivergenceWarning(RuntimeWarning):
    """fit's warning that training diverged (a NaN or Inf cost, a cost stuck at the loss's floor, or a cost
    that keeps rising), with the iteration where it showed and what to try."""


class DeadNetworkWarning(RuntimeWarning):
    """fit's warning that the network cannot learn (not divergence): a dead ReLU layer (its units output 0 on
    every example), weights that are all 0, or a cost stuck at its first value; it names the layer and the fix."""


class OscillatingCostWarning(RuntimeWarning):
    """fit's warning that the cost jumps up and down instead of falling (full batch): the learning rate is too
    large for this model (planar's 1.2, tuned for tanh, on a ReLU network), with a smaller one to try."""


class Watch:
    """Looks at each iteration's cost; ``check`` returns a message the first time a sign shows, then None.

    Args:
        floor_m: the number of examples m when the cost is binary cross-entropy averaged over
            them (the floor test applies), else None.
        advice: what to try, e.g. "try a smaller learning rate such as lr=0.12 (lr / 10)".
        word: "iteration" or "epoch".
        model: the model being trained (an nn.Module), or None.
    """

    def __init__(self, floor_m: int | None, advice: str, word: str = "iteration", model: Any = None):
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
        self.first = math.nan
        self.still = 0  # iterations in a row at the first cost
        self.dead: dict[int, int] = {}  # l -> iterations in a row with dW[l+1] exactly 0 after the ReLU of layer l
        self.recent: deque[float] = deque()  # the last WINDOW + 1 costs (full batch), and their steps
        self.steps: deque[float] = deque()
        self.up, self.travel, self.total = 0, 0.0, 0.0
        self.health_done = False
        self.swing_done = False
        self.swinging = 0

    def check(self, i: int, cost: float) -> str | None:
        """None while training looks sound; the message once, at the iteration ``i`` where it stops being so.

        A dead network or an oscillating cost is warned about here, once each, with its own class (they are
        not divergence, so the caller neither records nor stops on them)."""
        if self.done:
            return None
        if math.isfinite(cost):
            self._health(i, cost)
        message = self._sign(i, cost)
        if message is not None:
            self.done = True
            return f"fit: training diverged: {message}; {self.advice}"
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

    def _health(self, i: int, cost: float) -> None:
        """The dead-network and oscillation signs, each warned about once (stacklevel: here < check < the loop < fit
        < fit's caller)."""
        if not self.health_done:
            message = self._dead(i, cost)
            if message is not None:
                self.health_done = True
                warnings.warn(f"fit: the network is not learning: {message}", DeadNetworkWarning, stacklevel=5)
        if not self.swing_done and self.word == "iteration":
            message = self._oscillation(i, cost)
            if message is not None:
                self.swing_done = True
                warnings.warn(f"fit: the cost oscillates: {message}; {self.advice}", OscillatingCostWarning,
                              stacklevel=5)

    def _dead(self, i: int, cost: float) -> str | None:
        if self.first != self.first:
            self.first = cost
        self.still = self.still + 1 if abs(cost - self.first) <= FLAT_RTOL * max(abs(self.first), 1e-300) else 0
        layers = _hidden_relu_layers(self.model)
        for l, after in layers:
            grad = after.W.grad
            zero = grad is not None and not grad.data.any()
            self.dead[l] = self.dead.get(l, 0) + 1 if zero else 0
        if self.still < DEAD_STREAK and not any(n >= DEAD_STREAK for n in self.dead.values()):
            return None
        if self.model is not None and _all_weights_zero(self.model):
            return (f"every weight is still exactly 0 at {self.word} {i} (zero initialisation?): the units of a "
                    f"layer all compute the same and get the same gradient, 0 through ReLU or tanh, so the cost "
                    f"stays at {cost:.6g}; initialise randomly, e.g. init='he' (ReLU) or init='xavier' (tanh)")
        dead = [l for l, n in self.dead.items() if n >= DEAD_STREAK]
        if dead:
            l = max(dead)  # the layer nearest the output: the layers below it get no gradient through it either
            return (f"the ReLU units of layer {l} output 0 on every example (A[{l}] = 0, a dead ReLU layer) since "
                    f"{self.word} {i - DEAD_STREAK + 1}, so no gradient reaches W[1]..W[{l + 1}] and the network "
                    f"predicts the same for every input (the cost sits at {cost:.6g}); {FIXES}, or "
                    f"{self.advice}")
        return (f"the cost has stayed at its first value {self.first:.10g} for {DEAD_STREAK} {self.word}s (to "
                f"rounding): the gradients are 0 or too small to move it; check the learning rate and the "
                f"initialisation, or {FIXES}")

    def _oscillation(self, i: int, cost: float) -> str | None:
        # running sums over the last WINDOW steps: O(1) an iteration
        if self.recent:
            step = cost - self.recent[-1]
            self.steps.append(step)
            self.up += step > 0
            self.travel += abs(step)
        self.recent.append(cost)
        self.total += cost
        if len(self.steps) > WINDOW:
            old = self.steps.popleft()
            self.up -= old > 0
            self.travel -= abs(old)
            self.total -= self.recent.popleft()
        if len(self.steps) < WINDOW:
            return None
        level = self.total / len(self.recent)
        swinging = self.up >= RISE_SHARE * WINDOW and self.travel > SWING * abs(level)
        self.swinging = self.swinging + 1 if swinging else 0
        if self.swinging < SWING_PATIENCE:
            return None
        return (f"it rose in {self.up} of the {WINDOW} {self.word}s before {self.word} {i}, by "
                f"{self.travel / WINDOW:.3g} a step on average around {level:.4g}, so gradient descent overshoots: "
                "the learning rate is too large for this model")


def _hidden_relu_layers(model: Any) -> list[tuple[int, Any]]:
    """(l, the Linear after it) for each hidden ReLU layer l of a Sequential: Linear l, ReLU, (Dropout,) Linear l+1.
    Other models give none (their structure is not known here)."""
    if not isinstance(model, Sequential):
        return []
    leaves = [m for m in _run_order(model) if not isinstance(m, Dropout)]
    numbering = model.numbering()
    found = []
    for before, relu, after in zip(leaves, leaves[1:], leaves[2:]):
        if isinstance(before, Linear) and type(relu) is ReLU and isinstance(after, Linear) and after is not before:
            found.append((numbering[id(before)], after))
    return found


def _all_weights_zero(model: Any) -> bool:
    """Whether every weight W of the model is exactly 0 (biases aside)."""
    weights = [p for name, p in model.named_parameters() if name.split(".")[-1].startswith("W")]
    return bool(weights) and not any(p.data.any() for p in weights)


def _run_order(seq: Sequential) -> list[Any]:
    """The modules a Sequential runs, nested Sequentials opened, in order (a module of the user's stays whole)."""
    return [leaf for m in seq.layers for leaf in (_run_order(m) if isinstance(m, Sequential) else [m])]
