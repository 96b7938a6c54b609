"""The toy datasets of "Deep Learning from Scratch 3" (DeZero), in the course's layout, seeded.

- ``spiral``: three interleaved spirals, DeZero's ``dezero.datasets.get_spiral`` (steps 45-50): the
  same 300 points for the same seed, X (2, 300), Y (1, 300) integer labels 0..2, a multiclass task;
  ``.test`` is the book's test set (``Spiral(train=False)``, seed 2020).
- ``sin_curve``: the book's regression data (steps 42-44), ``x = rand(100, 1)``,
  ``y = sin(2 pi x) + rand(100, 1)``, as X (1, 100), Y (1, 100), no task (targets, not classes).

Both draw from ``RandomState(seed)``, the generator behind ``np.random.seed(seed)``, so they give the
book's numbers without touching NumPy's global state; ``seed=None`` draws from the global generator.
"""

from __future__ import annotations

import numpy as np

from nn import validate
from nn.data.datasets import Dataset
from nn.layers import init as initialisers

__all__ = ["spiral", "sin_curve"]

SPIRAL_SEED, SPIRAL_TEST_SEED = 1984, 2020  # DeZero's get_spiral(train=True) and get_spiral(train=False)


def _rng(who: str, name: str, seed: int | None) -> np.random.RandomState:
    if seed is None:
        r = initialisers.as_rng(None)
    else:
        r = initialisers.as_rng(validate.integer(f"{who}: {name}", seed, low=0, high=2**32 - 1))
    assert isinstance(r, np.random.RandomState)
    return r


def spiral(seed: int | None = SPIRAL_SEED, test_seed: int | None = SPIRAL_TEST_SEED, num_data: int = 100,
           num_class: int = 3, *, train: bool = True) -> Dataset:
    """Three spirals of 100 points each in 2-D: DeZero's ``get_spiral()``, X (2, 300), Y (1, 300) labels 0..2.

    Class j's i-th point has radius r = i / num_data and angle theta = 4 j + 4 r + 0.2 N(0, 1), at
    (r sin theta, r cos theta); the m = num_data * num_class points are then shuffled. With the
    defaults the points are DeZero's exactly: ``spiral().X.T`` equals ``get_spiral(train=True)[0]``
    (DeZero's float32 values, held as float64) and ``spiral().Y[0]`` its labels ``t``.

    Args:
        seed: the training set's seed (DeZero's 1984), or None for NumPy's global generator.
        test_seed: the seed of the held-out ``.test`` set (DeZero's test set: 2020), drawn the same
            way; None for no test set.
        num_data: points per class (100).
        num_class: the number of spirals and classes, C (3); the classes are "0".."C-1".
        train: True (the default) for the training set (with ``.test``); False for the test set alone,
            as DeZero's ``Spiral(train=False)`` (drawn from ``test_seed``).

    Returns:
        A multiclass ``nn.datasets.Dataset`` named "spiral": X (2, m) float64, Y (1, m) int labels.
    """
    if not isinstance(train, bool):
        raise TypeError(f"spiral: train must be True or False, got {train!r}")
    if not train:
        test = spiral(test_seed, None, num_data, num_class) if test_seed is not None else None
        if test is None:
            raise ValueError("spiral: train=False needs a test_seed (DeZero's test set is 2020)")
        return Dataset(test.X, test.Y, test.classes, "spiral test", "multiclass")
    num_data = validate.positive_int("spiral: num_data", num_data)
    num_class = validate.integer("spiral: num_class", num_class, low=2)
    rng = _rng("spiral", "seed", seed)
    test_rng = None if test_seed is None else _rng("spiral", "test_seed", test_seed)
    classes = [str(j) for j in range(num_class)]
    X, Y = _spiral(rng, num_data, num_class)  # first: with seed=None the test set's draws follow the training set's
    held_out = None if test_rng is None else Dataset(*_spiral(test_rng, num_data, num_class), classes,
                                                     "spiral test", "multiclass")
    return Dataset(X, Y, classes, "spiral", "multiclass", test=held_out)


def _spiral(rng: np.random.RandomState, num_data: int, num_class: int) -> tuple[np.ndarray, np.ndarray]:
    """DeZero's get_spiral with ``np.random`` replaced by ``rng``: one randn per point, in class order, then
    one permutation. The points go through float32, as DeZero's x array is float32."""
    m = num_data * num_class
    rate = np.tile(np.arange(num_data) / num_data, num_class)
    j = np.repeat(np.arange(num_class), num_data)
    noise = np.array([rng.randn() for _ in range(m)])  # DeZero draws rng.randn() once per point, in this order
    theta = j * 4.0 + 4.0 * rate + noise * 0.2
    x = np.stack([rate * np.sin(theta), rate * np.cos(theta)], axis=1).astype(np.float32)
    order = rng.permutation(m)
    return x[order].T.astype(np.float64), j[order].reshape(1, m)


def sin_curve(m: int = 100, seed: int | None = 0) -> Dataset:
    """The book's noisy sine (steps 42-44): x = rand(m, 1), y = sin(2 pi x) + rand(m, 1), as X (1, m), Y (1, m).

    With the defaults it equals the book's ``np.random.seed(0); x = np.random.rand(100, 1);
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)`` (transposed into columns). The targets are
    real numbers, so the Dataset has no classes and no task: train it with ``loss="mse"`` and an
    identity output (``nn.MLP([1, 10, 1], hidden="sigmoid", output="identity")``).

    Args:
        m: the number of points (100).
        seed: the seed of ``np.random.seed`` in the book (0), or None for NumPy's global generator.
    """
    m = validate.positive_int("sin_curve: m", m)
    rng = _rng("sin_curve", "seed", seed)
    x = rng.rand(m, 1)
    y = np.sin(2 * np.pi * x) + rng.rand(m, 1)
    return Dataset(x.T, y.T, [], "sin", task=None)
