"""Drawing the next index from a model's softmax output: course 5's ``sample`` (character-level generation).

The course's Dinosaurus Island notebook generates a name one character at a time: the RNN's softmax
column y<t> (vocab_size, 1) is a probability for each character, and the next one is drawn as
``np.random.choice(range(vocab_size), p=y.ravel())``. ``sample_index(y, rng)`` is that draw, with the
generator given: for the same seeded RandomState (or ``np.random`` itself after ``np.random.seed``)
it draws the very same indices, so a seeded run names the course's dinosaurs.

>>> import numpy as np
>>> from nn.training.sampling import sample_index
>>> y = np.array([[0.1], [0.6], [0.3]])
>>> sample_index(y, np.random.RandomState(0)), int(np.random.RandomState(0).choice(range(3), p=y.ravel()))
(1, 1)
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from tinygrad_nb import Tensor

Generator = np.random.RandomState | np.random.Generator | ModuleType

_TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))  # the tolerance of np.random.choice's own sum check


def sample_index(probabilities: Any, rng: Generator) -> int:
    """The index of the next word or character, drawn with probability ``probabilities[j]`` for index j.

    Args:
        probabilities: one softmax column y (n_y, 1), or (n_y,): a NumPy array or a Tensor (read as its
            values: call it outside a jitted step), entries >= 0 and finite, summing to 1.
        rng: a ``np.random.RandomState`` (the course's draws: ``rng.choice(range(n_y), p=y.ravel())``),
            ``np.random`` itself (the global generator the notebook seeds with ``np.random.seed``), or a
            ``np.random.Generator`` (its own algorithm: other draws than the course's for the same seed).

    Returns the index as a Python int in 0..n_y-1. A column that is not a probability distribution (a
    negative, NaN or infinite entry, a sum other than 1, logits passed by mistake, a batch of several
    columns) raises a ValueError that says which; float32 columns may sum to 1 within float32's rounding.
    """
    p = _column(probabilities)
    if not (rng is np.random or isinstance(rng, (np.random.RandomState, np.random.Generator))):
        raise TypeError(f"sample_index: rng must be a np.random.RandomState, a np.random.Generator or np.random, "
                        f"got {type(rng).__name__}")
    return int(rng.choice(range(p.size), p=p))


def _column(probabilities: Any) -> np.ndarray:
    """The probabilities as a float64 vector of n_y entries, or a ValueError/TypeError saying why not."""
    if isinstance(probabilities, Tensor):
        probabilities = probabilities.numpy()
    elif not isinstance(probabilities, (np.ndarray, list, tuple)):
        raise TypeError(f"sample_index: expected the softmax column y (n_y, 1) as a NumPy array or a Tensor, "
                        f"got {type(probabilities).__name__}")
    y = np.asarray(probabilities)
    if y.dtype.kind not in "iuf":
        raise TypeError(f"sample_index: probabilities must be numbers, got dtype {y.dtype}")
    if not (y.ndim == 1 or y.ndim == 2 and y.shape[1] == 1) or y.size == 0:
        hint = (f"; {y.shape} holds {y.shape[1]} columns (m examples): sample one column, y[:, [i]]"
                if y.ndim == 2 else "")
        raise ValueError(f"sample_index: expected one softmax column y (n_y, 1) or (n_y,), got shape {y.shape}{hint}")
    p = y.astype(np.float64).ravel()
    if not np.isfinite(p).all():
        raise ValueError("sample_index: the probabilities contain NaN or Inf (did training diverge?)")
    if (p < 0).any():
        raise ValueError(f"sample_index: probabilities must be >= 0, got {p.min():.4g}; these look like logits z: "
                         "take the softmax first")
    total = float(p.sum())
    tolerance = max(_TOLERANCE, float(np.sqrt(np.finfo(y.dtype).eps)) if y.dtype.kind == "f" else 0.0)
    if abs(total - 1.0) > tolerance:
        raise ValueError(f"sample_index: the probabilities sum to {total:.6g}, not 1: pass the softmax column y "
                         "itself (a softmax over the n_y rows)")
    if abs(total - 1.0) > _TOLERANCE:  # float32 rounding, within float32's tolerance: as np.random.choice normalises
        p = p / total
    return p
