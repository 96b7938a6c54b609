"""Where random draws come from: ``rng=None`` is NumPy's global generator, ``manual_seed`` seeds it.

One rule for every ``rng=`` argument in tinygrad_nb and nn (``randn``, ``rand``, ``randint``, the
layer initialisers, Dropout):

- ``None``: NumPy's global generator, the one behind ``np.random.randn``. So
  ``np.random.seed(1)`` (the course's first line) or ``tinygrad_nb.manual_seed(1)`` makes every
  default draw after it reproducible, and draws are the course's exact numbers.
- an int: the seed of a fresh ``numpy.random.RandomState`` (the course's generator), in [0, 2**32 - 1].
- a ``numpy.random.RandomState`` or ``numpy.random.Generator``: used as given (its state advances).

    >>> import numpy as np, tinygrad_nb
    >>> tinygrad_nb.manual_seed(1)
    >>> a = tinygrad_nb.randn(2, 3)
    >>> np.random.seed(1)
    >>> bool((tinygrad_nb.randn(2, 3).data == a.data).all())
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

RNG = int | np.random.RandomState | np.random.Generator | None
"""What an ``rng=`` argument accepts: an int seed, a RandomState, a Generator, or None (the global one)."""

SEED_MAX = 2**32 - 1


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _seed(op: str, name: str, seed: Any) -> int:
    """``seed`` as an int in [0, 2**32 - 1], NumPy's range for ``RandomState`` seeds."""
    if not _is_int(seed):
        raise TypeError(f"{op}: {name} must be an int in [0, {SEED_MAX}], got {seed!r}")
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(f"{op}: {name} must be an int in [0, {SEED_MAX}], got {seed!r}")
    return int(seed)


def global_generator() -> np.random.RandomState:
    """NumPy's global ``RandomState``: the generator ``np.random.randn`` and ``np.random.seed`` use.

    Looked up on every call, so it is the live one even if NumPy replaces it.
    """
    gen = getattr(np.random.mtrand, "_rand", None)
    if not isinstance(gen, np.random.RandomState):  # pragma: no cover - every NumPy from 1.17 to 2.x has it
        raise RuntimeError("tinygrad_nb: cannot find NumPy's global RandomState (numpy.random.mtrand._rand)")
    return gen


def default_rng_of(rng: RNG, op: str = "rng") -> np.random.RandomState | np.random.Generator:
    """The generator an ``rng=`` argument names; ``op`` (e.g. ``"randn"``, ``"nn.Dense"``) prefixes errors.

    None gives NumPy's global RandomState (so ``np.random.seed(s)`` and ``manual_seed(s)`` govern it);
    an int seed in [0, 2**32 - 1] gives a fresh ``RandomState(seed)``; a RandomState or Generator is
    returned as is. Anything else is a TypeError; an int outside the seed range a ValueError.
    """
    if rng is None:
        return global_generator()
    if isinstance(rng, (np.random.RandomState, np.random.Generator)):
        return rng
    if _is_int(rng):
        return np.random.RandomState(_seed(op, "rng (a seed)", rng))
    raise TypeError(f"{op}: rng must be an int seed, a numpy RandomState or Generator, or None, "
                    f"got {type(rng).__name__} {rng!r}")


def manual_seed(seed: int) -> None:
    """Seed NumPy's global generator, the default of every ``rng=``: PyTorch's ``torch.manual_seed``.

    Exactly ``np.random.seed(seed)``, with ``seed`` checked to be an int in [0, 2**32 - 1].
    Returns None: the default generator is NumPy's global one, so there is nothing to hold on to
    (pass ``rng=np.random.RandomState(seed)`` for a private stream).
    """
    np.random.seed(_seed("manual_seed", "seed", seed))
