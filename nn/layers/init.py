"""Weight initialisers. Each returns a NumPy array of ``shape`` = (n[l], n[l-1]) drawn from ``rng``.

``rng`` is None, an int seed, a ``numpy.random.RandomState`` or a ``numpy.random.Generator``
(the rule of ``tinygrad_nb.random_state``, the same for every ``rng=`` in tinygrad_nb and nn):

- None (every layer's default): NumPy's global generator, the one ``np.random.randn`` draws from.
  So ``np.random.seed(1)`` (or ``tinygrad_nb.manual_seed(1)``) then ``nn.MLP(layer_dims)`` gives the
  course's ``np.random.seed(1); initialize_parameters_deep(layer_dims)`` exactly, as DeZero's layers
  draw too.
- an int: the seed of a fresh ``RandomState(seed)``, the generator the course uses, so
  ``deep((20, 12288), 1)`` equals the course's ``np.random.seed(1); np.random.randn(20, 12288) / sqrt(12288)``.
- a RandomState or Generator: drawn from as given (its state advances).

Layers draw in order (W1, then W2, ...; b[l] is zeros and draws nothing) from one generator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nn import validate
from nn.layers import sizes
from tinygrad_nb import default_rng_of

RNG = int | np.random.RandomState | np.random.Generator | None


def as_rng(rng: RNG, op: str = "rng") -> np.random.RandomState | np.random.Generator:
    """The generator ``rng`` names, by the engine's one rule (``tinygrad_nb.default_rng_of``; ``op`` prefixes its
    errors): None is NumPy's global RandomState (``np.random.seed`` seeds it), an int seed in [0, 2**32 - 1] a
    fresh ``RandomState(seed)``; a RandomState or Generator passes through."""
    return default_rng_of(rng, op)


def standard_normal(shape: tuple[int, ...], rng: RNG) -> np.ndarray:
    """N(0, 1) draws: ``randn`` for a RandomState (the course's draws), ``standard_normal`` for a Generator."""
    r = as_rng(rng)
    return r.randn(*shape) if isinstance(r, np.random.RandomState) else r.standard_normal(shape)


def _check(shape: tuple[int, ...], who: str) -> tuple[int, int]:
    """(n[l], n[l-1]) from ``shape``; ValueError for another shape, or one larger than this machine's memory (the
    layers check their own sizes first: this is for an initialiser called on its own)."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 2 or not all(validate.is_int(n) and n > 0 for n in shape):
        raise ValueError(f"initialisers take a weight shape (n[l], n[l-1]) of positive ints, got {shape!r}")
    n, n_prev = int(shape[0]), int(shape[1])
    sizes.check(sizes.Footprint(f"nn.init.{who}(({n}, {n_prev}))", (f"W (n[l], n[l-1]) = ({n}, {n_prev})",),
                                n * n_prev, "make n[l] or n[l-1] smaller"))
    return n, n_prev


def zeros(shape: tuple[int, ...], rng: RNG = None) -> np.ndarray:
    """All zeros (the course's b[l]; for W it makes every unit learn the same thing)."""
    return np.zeros(_check(shape, "zeros"))


def small_random(shape: tuple[int, ...], rng: RNG = None, scale: float = 0.01) -> np.ndarray:
    """randn(n[l], n[l-1]) * scale (0.01): the course's 2-layer initialisation."""
    scale = validate.number("small_random: scale", scale, low=0, low_open=True)
    return standard_normal(_check(shape, "small_random"), rng) * scale


def deep(shape: tuple[int, ...], rng: RNG = None) -> np.ndarray:
    """randn(n[l], n[l-1]) / sqrt(n[l-1]): the course's L-layer initialisation."""
    _, n_prev = _check(shape, "deep")
    return standard_normal(shape, rng) / np.sqrt(n_prev)


def he(shape: tuple[int, ...], rng: RNG = None) -> np.ndarray:
    """randn(n[l], n[l-1]) * sqrt(2 / n[l-1]): He et al., for ReLU layers."""
    _, n_prev = _check(shape, "he")
    return standard_normal(shape, rng) * np.sqrt(2.0 / n_prev)


def xavier(shape: tuple[int, ...], rng: RNG = None) -> np.ndarray:
    """randn(n[l], n[l-1]) * sqrt(2 / (n[l-1] + n[l])): Glorot and Bengio, for tanh and sigmoid layers."""
    n, n_prev = _check(shape, "xavier")
    return standard_normal(shape, rng) * np.sqrt(2.0 / (n + n_prev))


def dezero(shape: tuple[int, ...], rng: RNG = None) -> np.ndarray:
    """DeZero's Linear: randn(n[l-1], n[l]) * sqrt(1 / n[l-1]), drawn in DeZero's (in, out) order and transposed
    into W[l] (n[l], n[l-1]): after the same ``np.random.seed`` and the same earlier draws, DeZero's weights.
    (``deep`` has the same scale but draws (n[l], n[l-1]): other numbers.)"""
    n, n_prev = _check(shape, "dezero")
    return standard_normal((n_prev, n), rng).T * np.sqrt(1.0 / n_prev)


INITIALISERS: dict[str, Callable[..., np.ndarray]] = {
    "zeros": zeros, "small_random": small_random, "deep": deep, "he": he, "xavier": xavier, "dezero": dezero,
}


def get(init: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """An initialiser by name (``"deep"``, ``"he"``, ...) or a callable ``f(shape, rng) -> array``."""
    if callable(init):
        return init
    if init not in INITIALISERS:
        raise ValueError(f"unknown initialiser {init!r}; expected one of {sorted(INITIALISERS)} or a callable")
    return INITIALISERS[init]


__all__ = ["zeros", "small_random", "deep", "he", "xavier", "dezero", "get", "as_rng", "standard_normal"]
