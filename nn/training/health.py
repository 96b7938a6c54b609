"""Two signs that are not divergence, which fit's ``Watch`` looks for each iteration: a network that cannot learn
(``DeadNetworkWarning``) and a cost that bounces instead of falling (``OscillatingCostWarning``).

A network that cannot learn, named with the fix:

- a dead ReLU layer: the ReLU units of a hidden layer l output 0 on every example (A[l] = 0), so
  no gradient reaches layers 1..l and the output no longer depends on the input. Seen cheaply
  from the gradients fit already has: dW[l+1] = dZ[l+1] A[l]^T is then exactly 0 (an exact 0 of
  that sum otherwise needs every dZ[l+1] to vanish). Reported after ``DEAD_STREAK`` iterations
  in a row (a layer that comes back to life, as Adam's momentum can make it, is not);
- weights that are all exactly 0 (zero initialisation: every unit of a layer computes the same
  and, with ReLU or tanh, gets a zero gradient): the course's zero-initialisation example, which
  sits at 0.6931... (log 2);
- a cost that has stayed within ``STILL_RTOL`` (1e-5, relative) of its first value for
  ``DEAD_STREAK`` (100) iterations: less than 1e-7 of its value an iteration, a pace at which even
  a 10% drop takes a million iterations (the slowest healthy start measured, planar's ReLU
  network at lr 0.12 from randn x 0.01, moves 2e-4 in its first 100). The gradients say why:
  of ordinary size (||dW|| / ||W|| >= ``VANISHING``, 1e-3; the digits' network: 0.023), the
  learning rate is too small (lr = 1e-9 moves the digits' cost by 6e-9 in 150 iterations), and
  since the cost's drop is, to first order, proportional to the learning rate, the warning
  names the power of 10 that would move it by about 1e-3 of its value a step; far smaller (a
  deep network from randn x 0.01: 2e-5), the signal fades through the layers: the initialisation.
  A cost that fell and then levels off (training converged) is not at its first value.

A cost that bounces (full batch only, where gradient descent with a fitting learning rate lowers the
cost almost every step). All of these, for ``SWING_PATIENCE`` iterations in a row:

- it has stalled: no new lowest cost (by more than ``PROGRESS_RTOL`` of it) for ``STALL``
  iterations;
- it bounces: over the last ``WINDOW`` iterations it rose in at least ``RISE_SHARE`` of them, by
  ``BOUNCE_RTOL`` or more of its level (or of the progress made from the start, whichever is
  larger: rounding ripples of a cost converged to ~0 are not bounces) a step on average;
- and it is far from where a fitting rate would take it: its steps average ``SWING`` (1%) of
  its level or more, or its level is still ``HIGH`` (60%) or more of its first cost.

A healthy run has ripples too ("the edge of stability": the demo's digits run jumps from 0.05 to
2.7 once and back, planar's tanh network ripples by 2e-4 of its cost a step near 0.22), but it
keeps making new lows, or ripples finely far below where it started. Measured (every iteration
recorded): 8 digits runs (lr 0.1), 4 multiclass digits runs, 5 planar tanh runs (lr 1.2), 3
cat-sized (12288 inputs, lr 0.0075) runs: none warned; planar's lr 1.2 on its 4-unit ReLU network,
15 runs (randn x 0.01, deep and He initialisations, 5 seeds each): all warned (after 350-1850
iterations). A ReLU network has a second suggestion, first: tanh (planar's rate is tuned for it).
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn.layers.activations import ReLU
from nn.layers.containers import Sequential, leaves, weights
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.training.training_warnings import DeadNetworkWarning, LrAdvice, OscillatingCostWarning

DEAD_STREAK = 100  # iterations a layer stays dead (or the cost at its first value) before the warning
STILL_RTOL = 1e-5  # a cost within this (relative) of the first one for DEAD_STREAK iterations has not moved
MOVED = 1e-4  # weights that moved by this share of their size in DEAD_STREAK iterations: the rate is not too small
VANISHING = 1e-3  # ||dW|| / ||W|| below this: the gradients vanish (not the learning rate)
LARGE_WEIGHTS = 4.0  # a bouncing cost with weights this many times He's scale: the start is the cause
TARGET_PACE = 1e-3  # the relative drop a step that the suggested larger learning rate aims at
WINDOW = 100  # iterations the oscillation test looks back over
RISE_SHARE = 0.3
BOUNCE_RTOL = 1e-5
PROGRESS_RTOL = 1e-3
STALL = 200
SWING = 0.01
HIGH = 0.6
SWING_PATIENCE = 100  # iterations in a row the signs must show: an early burst of chaos is not reported
FIXES = "try He initialisation (init='he') or LeakyReLU (hidden='leaky_relu')"
DEAD_FIXES = {"init": "he", "hidden": "leaky_relu", "lr_scale": 0.1}
RATE_TOO_LARGE = "the learning rate is too large for this model"


@dataclass(frozen=True)
class Finding:
    """One sign found: what went wrong (``diagnosis``), what to try in Python (``advice_text``) and the same advice
    as data (``suggestion``, ``nn.training.training_warnings``)."""

    diagnosis: str
    advice_text: str
    suggestion: dict[str, Any] = field(default_factory=dict)


class Health:
    """The dead-network and oscillation signs, each warned about once (``check`` each iteration).

    Args:
        model: the model being trained (an nn.Module), or None. Its structure (which layers are hidden ReLU
            layers) is read once, here: fit does not change it while training.
        advice: fit's learning rate and how it was given (``LrAdvice``), to word advice about the rate.
        word: "iteration" or "epoch" (the oscillation test runs on iterations only).
        stacklevel: for ``warnings.warn``, so that the warning points at fit's caller.
    """

    def __init__(self, model: Any, advice: LrAdvice, word: str, stacklevel: int):
        self.model, self.advice, self.word, self.stacklevel = model, advice, word, stacklevel
        self.relu_layers = hidden_relu_layers(model)  # (l, the Linear after ReLU l)
        self.dead_done = self.swing_done = False
        self.first = math.nan
        self.still = 0  # iterations in a row within STILL_RTOL of the first cost
        self.start_weights: list[Any] | None = None  # the weights W at iteration 0, while the cost has not moved
        self.dead: dict[int, int] = {}  # l -> iterations in a row with dW[l+1] exactly 0 after the ReLU of layer l
        self.recent: deque[float] = deque()  # the last WINDOW + 1 costs, and their steps (running sums: O(1))
        self.steps: deque[float] = deque()
        self.up, self.travel, self.total = 0, 0.0, 0.0
        self.best, self.best_at = math.inf, 0
        self.swinging = 0

    def check(self, i: int, cost: float) -> None:
        """Look at iteration ``i``'s (finite) cost; warn the first time either sign shows."""
        if not self.dead_done:
            found = self._dead(i, cost)
            if found is not None:
                self.dead_done = True
                self._warn(DeadNetworkWarning, "the network is not learning", found)
        if not self.swing_done and self.word == "iteration":
            found = self._oscillation(i, cost)
            if found is not None:
                self.swing_done = True
                self._warn(OscillatingCostWarning, "the cost oscillates", found)

    def _warn(self, category: type, what: str, found: Finding) -> None:
        warning = category(diagnosis=f"{what}: {found.diagnosis}", advice_text=found.advice_text,
                           suggestion=found.suggestion)
        warnings.warn(warning, stacklevel=self.stacklevel + 1)

    def _smaller_rate(self) -> str:
        return self.advice.rate(0.1)

    # --- a network that cannot learn -------------------------------------------------------------------------
    def _dead(self, i: int, cost: float) -> Finding | None:
        if self.first != self.first:
            self.first = cost
        moved = abs(cost - self.first)
        self.still = self.still + 1 if moved <= STILL_RTOL * max(abs(self.first), 1e-300) else 0
        if i == 0 and self.model is not None:
            self.start_weights = [p.data.copy() for p in weights(self.model)]  # kept while the cost stays still
        elif not self.still:
            self.start_weights = None
        for l, after in self.relu_layers:
            self.dead[l] = self.dead.get(l, 0) + 1 if _zero_gradient(after.W) else 0
        if self.still < DEAD_STREAK and not any(n >= DEAD_STREAK for n in self.dead.values()):
            return None
        relu = bool(self.relu_layers)
        if self.model is not None and _all_weights_zero(self.model):
            init = "he" if relu else "xavier"
            return Finding(f"every weight is still exactly 0 at {self.word} {i} (zero initialisation?): the units of "
                           f"a layer all compute the same and get the same gradient, 0 through ReLU or tanh, so the "
                           f"cost stays at {cost:.6g}",
                           "initialise randomly, e.g. init='he' (ReLU) or init='xavier' (tanh)", {"init": init})
        dead = [l for l, n in self.dead.items() if n >= DEAD_STREAK]
        if dead:
            l = max(dead)  # the layer nearest the output: the layers below it get no gradient through it either
            return Finding(f"the ReLU units of layer {l} output 0 on every example (A[{l}] = 0, a dead ReLU layer) "
                           f"since {self.word} {i - DEAD_STREAK + 1}, so no gradient reaches W[1]..W[{l + 1}] and "
                           f"the network predicts the same for every input (the cost sits at {cost:.6g})",
                           f"{FIXES}, or {self._smaller_rate()}", dict(DEAD_FIXES))
        return self._still(i, cost, moved, relu)

    def _still(self, i: int, cost: float, moved: float, relu: bool) -> Finding:
        """The cost has stayed at its first value: a learning rate too small, or gradients that vanish."""
        n = DEAD_STREAK
        stayed = (f"the cost has stayed within {STILL_RTOL:g} of its first value {self.first:.10g} for {n} "
                  f"{self.word}s (now {cost:.10g})")
        ratio = _gradient_ratio(self.model)
        shift = self._weights_moved()
        init = "he" if relu else "xavier"
        if (ratio is not None and ratio < VANISHING) or (shift is not None and shift >= MOVED):
            why = (f"the gradients are tiny (||dW|| / ||W|| = {ratio:.2g})" if ratio is not None and ratio < VANISHING
                   else f"the weights move (by {shift:.2g} of their size) but the cost does not")
            return Finding(f"{stayed}, and {why}: the signal fades through the layers (a plateau of small initial "
                           f"weights)", f"try larger initial weights, init='{init}' "
                           f"({'for ReLU' if relu else 'for tanh'})", {"init": init})
        if ratio is None and moved == 0 and shift is None:  # nothing to tell by (a model of the user's)
            return Finding(f"{stayed}: the gradients are 0 or too small to move it",
                           f"check the learning rate and the initialisation, or {FIXES}", dict(DEAD_FIXES))
        pace = max(moved, abs(self.first) * 1e-16) / (i or 1)  # the cost's drop a step, rounding at least
        scale = 10.0 ** math.floor(math.log10(TARGET_PACE * abs(self.first) / pace))
        size = "" if shift is None else f", the weights by {shift:.2g} of their size"
        return Finding(f"{stayed} though the gradients are not small: the learning rate is too small to move the "
                       f"weights or the cost (the cost by about {pace / max(abs(self.first), 1e-300):.2g} of it a "
                       f"step{size})",
                       f"try {self.advice.rate(scale)}: the drop a step grows with the rate, and this one would move "
                       f"the cost by about {TARGET_PACE:g} of it a step", {"lr_scale": scale})

    def _weights_moved(self) -> float | None:
        """||W - W at iteration 0|| / ||W at iteration 0|| over all the weights, None when unknown."""
        if self.start_weights is None or self.model is None:
            return None
        now = weights(self.model)
        before = math.sqrt(sum(float(np.sum(w ** 2)) for w in self.start_weights))
        if before == 0 or len(now) != len(self.start_weights):
            return None
        return math.sqrt(sum(float(np.sum((p.data - w) ** 2)) for p, w in zip(now, self.start_weights))) / before

    # --- a cost that bounces --------------------------------------------------------------------------------
    def _oscillation(self, i: int, cost: float) -> Finding | None:
        if cost < self.best * (1 - PROGRESS_RTOL):
            self.best_at = i
        self.best = min(self.best, cost)
        if self.first != self.first:
            self.first = cost
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
        pace = self.travel / WINDOW
        stalled = i - self.best_at >= STALL
        bouncing = self.up >= RISE_SHARE * WINDOW and pace >= BOUNCE_RTOL * max(abs(level), self.first - self.best)
        far = pace >= SWING * abs(level) or level >= HIGH * self.first
        self.swinging = self.swinging + 1 if stalled and bouncing and far else 0
        if self.swinging < SWING_PATIENCE:
            return None
        cause, advice, suggestion = self._swing_cause()
        return Finding(f"it has not fallen below {self.best:.4g} for {i - self.best_at} {self.word}s and it rose in "
                       f"{self.up} of the {WINDOW} {self.word}s before {self.word} {i}, by {pace:.3g} a step on "
                       f"average around {level:.4g}: gradient descent bounces across the valley instead of going "
                       f"down it, so {cause}", advice, suggestion)

    def _swing_cause(self) -> tuple[str, str, dict[str, Any]]:
        """Why the cost bounces, what to try and the same as data: large initial weights, a ReLU network on a rate
        tuned for tanh, or simply the rate."""
        scale = _largest_weight_scale(self.model)
        if scale is not None and scale[1] >= LARGE_WEIGHTS:  # the course's randn * 10: the start, not the rate
            return (f"the weights are large: W{scale[0]}'s scale is {scale[1]:.3g} times He's sqrt(2 / n[l-1])",
                    f"initialise smaller weights, e.g. init='he', or {self._smaller_rate()}",
                    {"init": "he", "lr_scale": 0.1})
        if self.relu_layers:
            return (RATE_TOO_LARGE, f"try tanh hidden units (hidden='tanh': a rate tuned for tanh, as planar's 1.2, "
                                    f"is often too large for ReLU units), or {self._smaller_rate()}",
                    {"hidden": "tanh", "lr_scale": 0.1})
        return RATE_TOO_LARGE, f"try {self._smaller_rate()}", {"lr_scale": 0.1}


def hidden_relu_layers(model: Any) -> list[tuple[int, Any]]:
    """(l, the Linear after it) for each hidden ReLU layer l of a Sequential: Linear l, ReLU, (Dropout,) Linear l+1.
    Other models give none (their structure is not known here)."""
    if not isinstance(model, Sequential):
        return []
    run = [m for m in leaves(model) if not isinstance(m, Dropout)]
    numbering = model.numbering()
    found = []
    for before, relu, after in zip(run, run[1:], run[2:]):
        if isinstance(before, Linear) and type(relu) is ReLU and isinstance(after, Linear) and after is not before:
            found.append((numbering[id(before)], after))
    return found


def _largest_weight_scale(model: Any) -> tuple[int, float] | None:
    """(l, k) for the layer whose weights are the largest against He's scale: W[l]'s root mean square is k times
    sqrt(2 / n[l-1]); None for a model whose layers are not known here."""
    if not isinstance(model, Sequential):
        return None
    found = None
    for l, lin in enumerate(model.linears(), start=1):
        W = lin.W.data
        k = float(np.sqrt(np.mean(W ** 2)) / np.sqrt(2.0 / W.shape[1])) if W.size else 0.0
        if found is None or k > found[1]:
            found = (l, k)
    return found


def _zero_gradient(W: Any) -> bool:
    """Whether W's gradient is there and exactly 0 everywhere; its first entry, nonzero in a live layer, is looked
    at first (a full scan only when that one is 0)."""
    grad = W.grad
    if grad is None or grad.data.size == 0:
        return grad is not None
    return grad.data.flat[0] == 0 and not grad.data.any()


def _all_weights_zero(model: Any) -> bool:
    """Whether every weight W of the model is exactly 0 (biases aside)."""
    found = weights(model)
    return bool(found) and not any(p.data.any() for p in found)


def _gradient_ratio(model: Any) -> float | None:
    """||dW|| / ||W|| over all the weights W of the model (Frobenius), None when unknown (no model, no gradients)."""
    if model is None:
        return None
    pairs = [(p.data, p.grad.data) for p in weights(model) if p.grad is not None]
    if not pairs:
        return None
    w = math.sqrt(sum(float(np.sum(W ** 2)) for W, _ in pairs))
    g = math.sqrt(sum(float(np.sum(dW ** 2)) for _, dW in pairs))
    return g / w if w > 0 else None

