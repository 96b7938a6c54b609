"""Ops that pick between values elementwise. Each op: forward, then backward.

The masks are constants (their derivative is zero almost everywhere), so they are
computed once in ``forward``. At a tie, ``maximum`` and ``minimum`` split the gradient
evenly; ``clip`` passes the gradient where lo <= x <= hi (bounds included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nb.function import Function


class Where(Function):
    """a where cond else b. The boolean mask cond is an input without gradient, so every call reads it (an
    outside mask changed between calls of a jitted step too), and a mask computed by ops is replayed."""

    def forward(self, cond, a, b):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g, out, cond, a, b):
        _, ga, gb = self.needs_input_grad
        return None, (g * self.cond if ga else None), (g * ~self.cond if gb else None)


class _Pick(Function):
    """Elementwise max or min of a and b: the gradient goes to the input picked; a tie gives each half."""

    beats: Callable[..., Any]  # np.greater or np.less
    pick: Callable[..., Any]  # np.maximum or np.minimum

    def forward(self, a, b):
        wins = self.beats(a, b)
        self.share_a = (wins + 0.5 * (a == b)).astype(np.result_type(a, b))
        return self.pick(a, b)  # np.maximum / np.minimum: NaN propagates as in NumPy

    def backward(self, g, out, a, b):
        ga, gb = self.needs_input_grad
        return (g * self.share_a if ga else None), (g * (1 - self.share_a) if gb else None)


class Maximum(_Pick):
    """Elementwise max(a, b); a tie gives each input half."""

    beats, pick = staticmethod(np.greater), staticmethod(np.maximum)


class Minimum(_Pick):
    """Elementwise min(a, b); a tie gives each input half."""

    beats, pick = staticmethod(np.less), staticmethod(np.minimum)


class Clip(Function):
    """x limited to [lo, hi]; the gradient passes where lo <= x <= hi."""

    def forward(self, x, lo, hi):
        lo_ok = True if lo is None else x >= lo
        hi_ok = True if hi is None else x <= hi
        self.inside = np.logical_and(lo_ok, hi_ok)
        return np.clip(x, lo, hi)

    def backward(self, g, out, x):
        return (g * self.inside,)
