"""Inverted dropout (course 2 week 1): ``Dropout`` and the mask op D[l] it draws, without gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import validate
from nn.layers import init as initialisers
from nn.layers.dense import as_input
from nn.layers.module import Module
from tinygrad_nb import Function, Tensor


class DropoutMask(Function):
    """D[l] = (rand(n[l], m) < keep_prob) drawn from ``rng`` (re-seeded with ``reseed`` first when given): an
    op without gradient, so a jitted step draws a fresh mask on every call, as the eager step does."""

    differentiable = False

    def forward(self, A, rng, keep_prob, reseed):
        if isinstance(rng, np.random.RandomState):
            if reseed is not None:
                rng.seed(reseed)
            r = rng.rand(*A.shape)
        else:
            r = rng.random(A.shape)
        return (r < keep_prob).astype(A.dtype)

    def backward(self, g, out, A):  # never called: no node is recorded
        return (None,)


class Dropout(Module):
    """Inverted dropout: keep each unit with probability ``keep_prob`` and divide by it; off in eval mode.

    The mask D[l] (n[l], m) is drawn from ``rng`` each training forward pass, as the course's
    ``D = np.random.rand(*A.shape) < keep_prob; A = A * D; A = A / keep_prob``.

    The rate is keyword-only, in either spelling: ``Dropout(keep_prob=0.8)`` (the course's:
    the probability of KEEPING a unit) or ``Dropout(p=0.2)`` (PyTorch's: the probability of
    DROPPING one); the two lines make the same layer. A bare ``Dropout(0.2)`` is refused, as it
    keeps 20 % here and drops 20 % in PyTorch. With neither, keep_prob = p = 0.5.

    Args:
        keep_prob: the probability of keeping a unit, in (0, 1].
        p: the probability of dropping a unit, in [0, 1): keep_prob = 1 - p.
        rng: an int seed, a RandomState or a Generator. Dropout layers given the same
            RandomState draw their masks one after another from its stream.
        reseed: None (the default: fresh masks every pass), or a seed: before drawing its
            mask in each training forward pass the layer re-seeds ``rng`` (a RandomState)
            with it, so that every pass draws the same masks. This is what the course's
            ``forward_propagation_with_dropout`` does (``np.random.seed(1)`` first, then D1
            and D2 from the one stream): give ``reseed=1`` to the first Dropout layer and the
            same RandomState to both.
    """

    def __init__(self, *args: Any, keep_prob: float | None = None, p: float | None = None,
                 rng: initialisers.RNG = None, reseed: int | None = None):
        super().__init__()
        if args:
            raise TypeError(f"Dropout: the rate is keyword-only, got Dropout({', '.join(map(repr, args))}); write "
                            "Dropout(keep_prob=...) for the probability of keeping a unit (the course's) or "
                            "Dropout(p=...) for the probability of dropping one (PyTorch's)")
        if keep_prob is not None and p is not None:
            raise TypeError(f"Dropout: got both keep_prob={keep_prob!r} and p={p!r}; give one "
                            "(keep_prob = 1 - p)")
        if p is not None:
            keep_prob = 1.0 - validate.number("Dropout: p", p, low=0, high=1, high_open=True)
        self.keep_prob = validate.probability("Dropout: keep_prob", 0.5 if keep_prob is None else keep_prob)
        self.rng = initialisers.as_rng(rng)
        self.reseed = validate.integer("Dropout: reseed", reseed, low=0, high=2**32 - 1, allow_none=True)
        if self.reseed is not None and not isinstance(self.rng, np.random.RandomState):
            raise TypeError("Dropout: reseed needs rng to be an int seed or a numpy RandomState (the course's "
                            f"generator), got a {type(self.rng).__name__}")

    @property
    def p(self) -> float:
        """The probability of dropping a unit, 1 - keep_prob (PyTorch's ``p``)."""
        return 1.0 - self.keep_prob

    def forward(self, A: Any) -> Tensor:
        A = as_input(A, "A")
        if not self.training or self.keep_prob == 1.0:
            return A
        D = DropoutMask.apply(A, rng=self.rng, keep_prob=self.keep_prob, reseed=self.reseed)
        out = (A * D) / self.keep_prob  # masked, then divided: bit for bit the course's A * D / keep_prob
        out.name = A.name
        return out

    def config(self) -> dict[str, Any]:
        return {"type": "Dropout", "keep_prob": self.keep_prob}

    def extra_repr(self) -> str:
        return f"keep_prob={self.keep_prob}" + ("" if self.reseed is None else f", reseed={self.reseed}")
