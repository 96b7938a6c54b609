"""Inverted dropout (course 2 week 1): ``Dropout`` and ``draw_mask``, the mask D[l] it draws (no gradient).

The mask is drawn by a ``@side_effect`` method: a jitted step (fit's default) calls it again on every
replay, so it draws the same masks from the same generator as the eager step, the global one included.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import validate
from nn.layers import init as initialisers
from nn.layers.dense import as_input
from nn.layers.module import Module
from tinygrad_nb import Tensor, global_generator, side_effect


def draw_mask(rng: np.random.RandomState | np.random.Generator | None, shape: tuple[int, ...], keep_prob: float,
              reseed: int | None = None) -> np.ndarray:
    """D[l] = (rand(*shape) < keep_prob) as 0.0/1.0, the course's ``np.random.rand(*A.shape) < keep_prob``.

    ``rng`` None draws from NumPy's global generator (looked up now, so ``np.random.seed`` governs it); a
    RandomState draws with ``rand`` (re-seeded with ``reseed`` first when given), a Generator with ``random``.
    """
    r = global_generator() if rng is None else rng
    if isinstance(r, np.random.RandomState):
        if reseed is not None:
            r.seed(reseed)
        return (r.rand(*shape) < keep_prob).astype(np.float64)
    return (r.random(shape) < keep_prob).astype(np.float64)


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
        rng: None (the default): NumPy's global generator, as the course's ``np.random.rand``,
            so ``np.random.seed(s)`` (or ``tinygrad_nb.manual_seed(s)``) makes the masks
            reproducible, in eager and jitted steps alike; an int seed (a fresh RandomState),
            a RandomState or a Generator. Dropout layers given the same generator draw their
            masks one after another from its stream.
        reseed: None (the default: fresh masks every pass), or a seed: before drawing its
            mask in each training forward pass the layer re-seeds ``rng`` (a RandomState)
            with it, so that every pass draws the same masks. This is what the course's
            ``forward_propagation_with_dropout`` does (``np.random.seed(1)`` first, then D1
            and D2 from the one stream): give ``reseed=1`` to the first Dropout layer and the
            same RandomState to both (or leave rng out: the global generator, as the course).
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
        # None stands for the global generator, looked up at each draw: a copy of the layer (copy.deepcopy)
        # then still follows np.random.seed rather than a frozen copy of the global state
        generator = initialisers.as_rng(rng)
        self.rng: np.random.RandomState | np.random.Generator | None = (
            None if generator is global_generator() else generator)
        self.reseed = validate.integer("Dropout: reseed", reseed, low=0, high=2**32 - 1, allow_none=True)
        if self.reseed is not None and not isinstance(generator, np.random.RandomState):
            raise TypeError("Dropout: reseed needs rng to be an int seed or a numpy RandomState (the course's "
                            f"generator), got a {type(generator).__name__}")

    @property
    def p(self) -> float:
        """The probability of dropping a unit, 1 - keep_prob (PyTorch's ``p``)."""
        return 1.0 - self.keep_prob

    def forward(self, A: Any) -> Tensor:
        A = as_input(A, "A")
        if not self.training or self.keep_prob == 1.0:
            return A
        D = self._mask(tuple(A.shape), A.dtype)
        out = (A * D) / self.keep_prob  # masked, then divided: bit for bit the course's A * D / keep_prob
        out.name = A.name
        return out

    @side_effect
    def _mask(self, shape: tuple[int, ...], dtype: Any) -> Tensor:
        # a side effect, not an op: it moves a generator (NumPy's global one by default), which a jitted step
        # may do only inside a @side_effect; each replay calls it again, drawing the masks the eager step would
        return Tensor(draw_mask(self.rng, shape, self.keep_prob, self.reseed).astype(dtype, copy=False))

    def config(self) -> dict[str, Any]:
        return {"type": "Dropout", "keep_prob": self.keep_prob}

    def extra_repr(self) -> str:
        return f"keep_prob={self.keep_prob}" + ("" if self.reseed is None else f", reseed={self.reseed}")
