"""Datasets in the course's layout: X is (n_x, m) float64, Y is (n_y, m), one example per column.

- ``load_course_h5``, ``load_course_split``: the course's cat / non-cat HDF5 files (bring your own copy).
- ``planar``: the course's two-class "flower", generated.
- ``digits``: real 8x8 handwritten digits that ship inside scikit-learn (offline).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from nn.hdf5 import open_for_reading


class Dataset(NamedTuple):
    """X (n_x, m), Y (n_y, m) and the class names."""

    X: np.ndarray
    Y: np.ndarray
    classes: list[str]


class Split(NamedTuple):
    """A train set and a test set."""

    train: Dataset
    test: Dataset


def load_course_h5(path: str | os.PathLike) -> Dataset:
    """Read train_catvnoncat.h5 or test_catvnoncat.h5: X (12288, m) in [0, 1], Y (1, m), class names.

    X is the course's ``x.reshape(m, -1).T / 255.`` (C order: each column is one
    64x64x3 image flattened row by row).
    """
    path = Path(path)
    with open_for_reading(path, "load_course_h5") as f:
        prefix = next((p for p in ("train", "test") if f"{p}_set_x" in f and f"{p}_set_y" in f), None)
        if prefix is None:
            raise ValueError(f"load_course_h5: {path} lacks the course's keys train_set_x/train_set_y or "
                             f"test_set_x/test_set_y (found {sorted(f.keys())})")
        x = np.array(f[f"{prefix}_set_x"])
        y = np.array(f[f"{prefix}_set_y"])
        classes = [c.decode() if isinstance(c, bytes) else str(c) for c in f["list_classes"][()]] \
            if "list_classes" in f else ["0", "1"]
    m = x.shape[0]
    if y.reshape(-1).shape[0] != m:
        raise ValueError(f"load_course_h5: {path} has {m} images but {y.size} labels")
    X = x.reshape(m, -1).T / 255.0
    return Dataset(X, y.reshape(1, m).astype(np.float64), classes)


def load_course_split(train_path: str | os.PathLike,
                      test_path: str | os.PathLike | None = None) -> tuple[Dataset, Dataset | None]:
    """The course's train file and its test file: ``test_path``, else the train path with "train" -> "test"
    when that file exists (None when there is none)."""
    train_path = Path(train_path)
    train = load_course_h5(train_path)
    if test_path is None and "train" in train_path.name:
        guess = train_path.with_name(train_path.name.replace("train", "test"))
        test_path = guess if guess.is_file() else None
    return train, (load_course_h5(test_path) if test_path is not None else None)


def planar(m: int = 400, seed: int = 1) -> Dataset:
    """The course's "flower": m points in 2-D (X is (2, m)), two classes (Y is (1, m)), not linearly separable.

    With the defaults it equals the course's ``load_planar_dataset()``.
    """
    if not isinstance(m, int) or m < 2 or m % 2:
        raise ValueError(f"planar: m must be an even int >= 2, got {m!r}")
    rng = np.random.RandomState(seed)
    n = m // 2
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1))
    a = 4  # maximum ray of the flower
    for j in range(2):
        ix = range(n * j, n * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + rng.randn(n) * 0.2  # theta
        r = a * np.sin(4 * t) + rng.randn(n) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return Dataset(X.T, Y.T, ["red", "blue"])


def digits(binary: bool = True, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """The 1,797 8x8 handwritten digits shipped with scikit-learn, X (64, m) scaled to [0, 1].

    ``binary=True``: Y (1, m) is 1 for an odd digit, 0 for an even one (a sigmoid task).
    ``binary=False``: Y (1, m) holds the digit 0..9 (a softmax task).
    The examples are shuffled by ``seed`` and split into train and test.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError("digits() needs scikit-learn: pip install 'tinygrad-nb[digits]'") from e
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must be in (0, 1), got {test_fraction!r}")
    data = load_digits()
    X = data.data.T / 16.0
    labels = data.target.reshape(1, -1).astype(np.float64)
    Y = labels % 2 if binary else labels
    classes = ["even", "odd"] if binary else [str(d) for d in range(10)]
    perm = np.random.RandomState(seed).permutation(X.shape[1])
    n_test = int(round(X.shape[1] * test_fraction))
    test, train = perm[:n_test], perm[n_test:]
    return Split(Dataset(X[:, train], Y[:, train], classes), Dataset(X[:, test], Y[:, test], classes))
