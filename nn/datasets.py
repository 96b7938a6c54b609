"""Datasets in the course's layout: X is (n_x, m) float64, Y is (n_y, m), one example per column.

- ``load_course_h5``, ``load_course_split``: the course's cat / non-cat HDF5 files (bring your own copy).
- ``planar``: the course's two-class "flower", generated.
- ``digits``: real 8x8 handwritten digits that ship inside scikit-learn (offline).
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nn.hdf5 import (
    BadFileError,
    check_fits,
    declared_nbytes,
    has_link,
    member,
    open_for_reading,
    read_array,
    require_h5py,
)

MAX_CLASSES = 10_000


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
    64x64x3 image flattened row by row). Only plain numeric datasets stored inside the file
    are read (no links to other files, no external storage), and only after their declared
    sizes are checked against the file's size on disk.
    """
    path = Path(path)
    with open_for_reading(path, "load_course_h5") as f:
        try:
            return _read_course_file(f, path)
        except BadFileError:
            raise
        except (OSError, KeyError, ValueError, RuntimeError, TypeError) as e:  # h5py on damaged metadata
            raise BadFileError(f"load_course_h5: {path} is damaged: {e}") from e


def _read_course_file(f: Any, path: Path) -> Dataset:
    prefix = next((p for p in ("train", "test") if has_link(f, f"{p}_set_x") and has_link(f, f"{p}_set_y")), None)
    if prefix is None:
        raise BadFileError(f"load_course_h5: {path} lacks the course's keys train_set_x/train_set_y or "
                           f"test_set_x/test_set_y (found {sorted(f.keys())[:20]})")
    where = f"load_course_h5: {path}:"
    x_ds = member(f, f"{prefix}_set_x", f"{where} {prefix}_set_x")
    y_ds = member(f, f"{prefix}_set_y", f"{where} {prefix}_set_y")
    total = declared_nbytes(x_ds, f"{where} {prefix}_set_x") + declared_nbytes(y_ds, f"{where} {prefix}_set_y")
    classes_ds = member(f, "list_classes", f"{where} list_classes") if has_link(f, "list_classes") else None
    if classes_ds is not None:
        total += _check_classes(classes_ds, f"{where} list_classes")
    check_fits(total, f, "load_course_h5")
    if len(x_ds.shape) < 2 or x_ds.shape[0] == 0:
        raise BadFileError(f"{where} {prefix}_set_x should hold m >= 1 images, shape (m, 64, 64, 3); "
                           f"got shape {x_ds.shape}")
    m = x_ds.shape[0]
    if len(y_ds.shape) == 0 or math.prod(y_ds.shape) != m:
        raise BadFileError(f"load_course_h5: {path} has {m} images but {math.prod(y_ds.shape)} labels "
                           f"({prefix}_set_y has shape {y_ds.shape})")
    x = read_array(x_ds, f"{where} {prefix}_set_x")
    y = read_array(y_ds, f"{where} {prefix}_set_y")
    classes = ["0", "1"] if classes_ds is None else [
        c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c)
        for c in read_array(classes_ds, f"{where} list_classes").reshape(-1)]
    X = x.reshape(m, -1).T / 255.0
    return Dataset(X, y.reshape(1, m).astype(np.float64), classes)


def _check_classes(ds: Any, where: str) -> int:
    """The bytes list_classes will take: a short 1-D list of names (fixed-length or variable-length strings)."""
    h5py = require_h5py("load_course_h5")
    if isinstance(ds, h5py.Dataset) and h5py.check_string_dtype(ds.dtype) is not None and ds.dtype.kind == "O":
        if ds.shape is None or len(ds.shape) != 1 or ds.shape[0] > MAX_CLASSES:
            raise BadFileError(f"{where} should be a list of at most {MAX_CLASSES} class names, got shape {ds.shape}")
        if ds.is_virtual or ds.id.get_create_plist().get_external_count() > 0:
            raise BadFileError(f"{where} keeps its data outside the file; only data inside the file is read")
        return 0
    nbytes = declared_nbytes(ds, where, kinds="fiuS")
    if len(ds.shape) != 1 or ds.shape[0] > MAX_CLASSES:
        raise BadFileError(f"{where} should be a list of at most {MAX_CLASSES} class names, got shape {ds.shape}")
    return nbytes


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
    if not isinstance(test_fraction, numbers.Real) or isinstance(test_fraction, bool):
        raise TypeError(f"digits: test_fraction must be a number in (0, 1), got {type(test_fraction).__name__}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must be in (0, 1), got {test_fraction!r}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError("digits() needs scikit-learn: pip install 'tinygrad-nb[digits]'") from e
    data = load_digits()
    X = data.data.T / 16.0
    labels = data.target.reshape(1, -1).astype(np.float64)
    Y = labels % 2 if binary else labels
    classes = ["even", "odd"] if binary else [str(d) for d in range(10)]
    perm = np.random.RandomState(seed).permutation(X.shape[1])
    m = X.shape[1]
    n_test = int(round(m * test_fraction))
    if not 0 < n_test < m:
        raise ValueError(f"digits: test_fraction={test_fraction!r} of {m} examples leaves {n_test} for the test set "
                         f"and {m - n_test} for training; both need at least one")
    test, train = perm[:n_test], perm[n_test:]
    return Split(Dataset(X[:, train], Y[:, train], classes), Dataset(X[:, test], Y[:, test], classes))
