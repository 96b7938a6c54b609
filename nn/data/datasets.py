"""Datasets in the course's layout: X is (n_x, m) float64, Y is (n_y, m), one example per column.

Images for a convolutional network are course 4's X (m, n_H, n_W, n_C), the examples FIRST and the
channels last (``load_course_h5(path, flatten=False)``, ``digits(images=True)``); Y stays (n_y, m).
A Dataset's X with 3 or more axes holds its m examples in axis 0 (``Dataset.examples_axis``).

Every loader returns a ``Dataset``: X, Y, classes, a name, a task (an ``nn.Task``, binary or
multiclass) and, when one is held out, a ``.test`` Dataset.

- ``load_course_h5``, ``load_course_split``: the course's cat / non-cat HDF5 files (bring your own copy).
- ``planar``: the course's two-class "flower", generated.
- ``digits``: real 8x8 handwritten digits that ship inside scikit-learn (offline).
"""

from __future__ import annotations

import math
import numbers
import os
import reprlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nn import validate
from nn.extras import missing_extra
from nn.files.hdf5 import (
    BadFileError,
    check_fits,
    declared_nbytes,
    has_link,
    member,
    open_for_reading,
    read_array,
    require_h5py,
)
from nn.layers.task import KINDS, MAX_CLASSES, Task, describe_classes


class Dataset:
    """Examples in the course's layout, what their labels mean, and (optionally) a held-out test set.

    Attributes:
        X: the inputs (n_x, m), one example per column; or images (m, n_H, n_W, n_C), the examples first.
        Y: the labels (1, m): 0/1 for a binary task, 0..C-1 for a multiclass one (or one-hot (C, m)).
        classes: the class names in label order: Y = i means ``classes[i]``.
        name: what the data is called in messages and reprs (``"digits"``, a file's name).
        task: an ``nn.Task`` (``.kind`` is "binary" or "multiclass"), compared with ``model.task``
            by ``nn.check_task``; None when the classes do not make one (e.g. a single name).
        test: the held-out test Dataset, or None.
        train: the dataset itself, so ``data.train.X`` and ``data.test.X`` read alike.

    It is also a dataset in DeZero's and PyTorch's sense (``nn.data.loader.ExampleDataset``):
    ``len(data)`` is m and ``data[i]`` the i-th example's ``(x, y)``: x of shape (n_x,) (a column
    of X; an image (n_H, n_W, n_C) for images), y of shape (n_y,) (a column of Y), each passed
    through ``transform`` / ``target_transform`` when given. ``nn.DataLoader(data, batch_size)``
    stacks them back into batches X (n_x, b), Y (n_y, b), slicing X and Y directly when the
    Dataset has no transforms.

    ``Dataset(X, Y, classes)`` works as before; ``X, Y, classes = data`` still unpacks. The repr
    is one short line: ``Dataset('digits', task='binary', X (64, 1438), Y (1, 1438), classes
    ['even', 'odd'], test: 359 examples)``, never the arrays.

    Args:
        task: "binary", "multiclass", an ``nn.Task``, or None: binary for labels (1, m) with two
            classes, multiclass for more.
        transform: None or a function applied to each example's x in ``data[i]`` (DeZero's
            ``transform``), e.g. scaling or noise; X itself is left as it is.
        target_transform: None or a function applied to each example's y in ``data[i]``.
    """

    def __init__(self, X: Any, Y: Any, classes: Sequence[str], name: str = "data",
                 task: str | Task | None = None, test: Dataset | None = None, *,
                 transform: Callable[[np.ndarray], Any] | None = None,
                 target_transform: Callable[[np.ndarray], Any] | None = None):
        X, Y = np.asarray(X), np.asarray(Y)
        if X.ndim < 2 or Y.ndim != 2:
            raise ValueError(f"Dataset {name!r}: expected X (n_x, m) and Y (n_y, m), got X {X.shape} and Y {Y.shape}")
        axis = examples_axis(X)
        if X.shape[axis] != Y.shape[-1]:
            where = "examples (columns)" if axis else "examples (images (m, n_H, n_W, n_C), the examples first)"
            raise ValueError(f"Dataset {name!r}: X {X.shape} has {X.shape[axis]} {where} but Y {Y.shape} "
                             f"has {Y.shape[-1]}; the course's layout is one example per column")
        if test is not None and not isinstance(test, Dataset):
            raise TypeError(f"Dataset {name!r}: test must be a Dataset or None, got {type(test).__name__}")
        self.X, self.Y, self.classes, self.name, self.test = X, Y, list(classes), str(name), test
        self.task: Task | None = _task(task, self.classes, Y, self.name)
        for which, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"Dataset {name!r}: {which} must be a function or None, got {type(fn).__name__}")
        self.transform, self.target_transform = transform, target_transform

    @property
    def train(self) -> Dataset:
        """The training examples: the dataset itself (its ``test`` is held apart)."""
        return self

    @property
    def m(self) -> int:
        """The number of examples m (columns of X, or images)."""
        return int(self.X.shape[self.examples_axis])

    @property
    def examples_axis(self) -> int:
        """The axis of X that holds the m examples: 1 for X (n_x, m), 0 for images (m, n_H, n_W, n_C)."""
        return examples_axis(self.X)

    def __len__(self) -> int:
        """m, the number of examples (``len(data)``, as a DeZero or PyTorch dataset)."""
        return self.m

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        """The i-th example ``(x, y)``: x (n_x,) (or an image (n_H, n_W, n_C)), y (n_y,), transformed when a
        ``transform`` / ``target_transform`` is set. ``i`` is an int in [-m, m)."""
        if not validate.is_int(i):
            raise TypeError(f"Dataset {self.name!r}: data[i] takes one example's index, an int, got "
                            f"{type(i).__name__}; for a batch use nn.DataLoader(data, batch_size)")
        m = self.m
        if not -m <= i < m:
            raise IndexError(f"Dataset {self.name!r}: index {i} is out of range for its m = {m} examples")
        x = self.X[int(i)] if self.examples_axis == 0 else self.X[:, int(i)]
        y = self.Y[:, int(i)]
        return (x if self.transform is None else self.transform(x),
                y if self.target_transform is None else self.target_transform(y))

    def __iter__(self) -> Iterator[Any]:
        """``X, Y, classes = data``, as when a Dataset was a tuple."""
        return iter((self.X, self.Y, self.classes))

    def __repr__(self) -> str:
        task = "" if self.task is None else f", task={self.task.kind!r}"
        numbered = describe_classes(self.classes)  # "classes 0..9" for the names "0".."9"
        classes = numbered if numbered.startswith("classes 0..") else f"classes {reprlib.repr(self.classes)}"
        test = "" if self.test is None else f", test: {self.test.m} examples"
        return f"Dataset({self.name!r}{task}, X {self.X.shape}, Y {self.Y.shape}, {classes}{test})"

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
        """These examples shuffled by ``seed``: the first round(m * test_fraction) held out as ``.test``.

        Returns a new Dataset of the remaining examples whose ``test`` is the held-out part.
        A Dataset that already has a test set is refused (split its examples before).
        """
        if self.test is not None:
            raise ValueError(f"split: {self.name!r} already has a test set ({self.test.m} examples); split "
                             f"Dataset(data.X, data.Y, data.classes) to hold out another")
        test_fraction = _fraction("split", test_fraction)
        m = self.m
        n_test = int(round(m * test_fraction))
        if not 0 < n_test < m:
            raise ValueError(f"{self.name}: test_fraction={test_fraction!r} of {m} examples leaves {n_test} for the "
                             f"test set and {m - n_test} for training; both need at least one")
        perm = np.random.RandomState(seed).permutation(m)
        test, train = perm[:n_test], perm[n_test:]
        axis = self.examples_axis
        held_out = Dataset(np.take(self.X, test, axis=axis), self.Y[:, test], self.classes, f"{self.name} test",
                           self.task, transform=self.transform, target_transform=self.target_transform)
        return Dataset(np.take(self.X, train, axis=axis), self.Y[:, train], self.classes, self.name, self.task,
                       test=held_out, transform=self.transform, target_transform=self.target_transform)


def examples_axis(X: np.ndarray) -> int:
    """The axis of a Dataset's X that holds its examples: 0 for 3 or more axes (images (m, n_H, n_W, n_C)), else 1."""
    return 0 if X.ndim >= 3 else 1


def Split(train: Dataset, test: Dataset | None) -> Dataset:
    """Kept for old code: ``train`` with ``test`` as its ``.test`` (``digits()`` now returns such a Dataset)."""
    return Dataset(train.X, train.Y, train.classes, train.name, train.task, test=test)


def _task(task: str | Task | None, classes: list[str], Y: np.ndarray, name: str) -> Task | None:
    if isinstance(task, Task):
        if list(task.classes) != classes:
            raise ValueError(f"Dataset {name!r}: the task's classes {list(task.classes)} differ from classes {classes}")
        return task.with_output(None)
    if task is not None:
        return Task(validate.choice(f"Dataset {name!r}: task", task, KINDS), classes)
    kind = "binary" if Y.shape[0] == 1 and len(classes) == 2 else "multiclass"
    try:
        return Task(kind, classes)
    except ValueError:  # one class, a repeated name: no task to compare, the data is still usable
        return None


def _fraction(who: str, test_fraction: Any) -> float:
    if not isinstance(test_fraction, numbers.Real) or isinstance(test_fraction, bool):
        raise TypeError(f"{who}: test_fraction must be a number in (0, 1), got {type(test_fraction).__name__}")
    if not 0 < float(test_fraction) < 1:
        raise ValueError(f"{who}: test_fraction must be in (0, 1), got {test_fraction!r}")
    return float(test_fraction)


def load_course_h5(path: str | os.PathLike, flatten: bool = True) -> Dataset:
    """Read train_catvnoncat.h5 or test_catvnoncat.h5: X (12288, m) in [0, 1], Y (1, m), class names.

    X is the course's ``x.reshape(m, -1).T / 255.`` (C order: each column is one
    64x64x3 image flattened row by row). With ``flatten=False`` X is the images as stored,
    (m, 64, 64, 3) / 255. (course 4's layout, for a network that starts with ``nn.Conv2D``);
    ``nn.Flatten()`` turns them into the flattened X exactly. Only plain numeric datasets stored inside the file
    are read (no links to other files, no external storage), and only after their declared
    sizes are checked against the file's size on disk.
    """
    if not isinstance(flatten, bool):
        raise TypeError(f"load_course_h5: flatten must be True or False, got {flatten!r}")
    path = Path(path)
    with open_for_reading(path, "load_course_h5") as f:
        try:
            return _read_course_file(f, path, flatten)
        except BadFileError:
            raise
        except (OSError, KeyError, ValueError, RuntimeError, TypeError) as e:  # h5py on damaged metadata
            raise BadFileError(f"load_course_h5: {path} is damaged: {e}") from e


def _read_course_file(f: Any, path: Path, flatten: bool) -> Dataset:
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
    X = x.reshape(m, -1).T / 255.0 if flatten else _images(x, where, prefix) / 255.0
    return Dataset(X, y.reshape(1, m).astype(np.float64), classes, name=path.stem)


def _images(x: np.ndarray, where: str, prefix: str) -> np.ndarray:
    """The stored images as (m, n_H, n_W, n_C): a grey (m, n_H, n_W) gets n_C = 1."""
    if x.ndim == 3:
        return x[..., None]
    if x.ndim != 4:
        raise BadFileError(f"{where} {prefix}_set_x should hold images (m, n_H, n_W, n_C) to load them unflattened, "
                           f"got shape {x.shape}")
    return x


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


def load_course_split(train_path: str | os.PathLike, test_path: str | os.PathLike | None = None,
                      flatten: bool = True) -> tuple[Dataset, Dataset | None]:
    """(train, test): the course's train file and its test file: ``test_path``, else the train path with
    "train" -> "test" when that file exists (None when there is none). ``train.test`` is the test set too.
    ``flatten=False``: the images (m, 64, 64, 3), as ``load_course_h5``."""
    train_path = Path(train_path)
    train = load_course_h5(train_path, flatten)
    if test_path is None and "train" in train_path.name:
        guess = train_path.with_name(train_path.name.replace("train", "test"))
        test_path = guess if guess.is_file() else None
    test = load_course_h5(test_path, flatten) if test_path is not None else None
    train.test = test
    return train, test


def planar(m: int = 400, seed: int = 1, test_fraction: float | None = None) -> Dataset:
    """The course's "flower": m points in 2-D (X is (2, m)), two classes (Y is (1, m)), not linearly separable.

    With the defaults it equals the course's ``load_planar_dataset()`` (no test set). With
    ``test_fraction``, that fraction is held out as ``.test`` (shuffled by ``seed``).
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
    data = Dataset(X.T, Y.T, ["red", "blue"], name="planar", task="binary")
    return data if test_fraction is None else data.split(test_fraction, seed)


def digits(task: str = "binary", test_fraction: float = 0.2, seed: int = 0, *,
           binary: bool | None = None, images: bool = False) -> Dataset:
    """The 1,797 8x8 handwritten digits shipped with scikit-learn, X (64, m) scaled to [0, 1], test set held out.

    ``images=True``: X is the images (m, 8, 8, 1) (course 4's layout, one channel), for a network that
    starts with ``nn.Conv2D``; ``nn.Flatten()`` turns them into the default X exactly.

    ``task="binary"``: Y (1, m) is 1 for an odd digit, 0 for an even one (classes even, odd; a sigmoid task).
    ``task="multiclass"``: Y (1, m) holds the digit 0..9 (classes "0".."9"; a softmax task).
    The examples are shuffled by ``seed`` and ``test_fraction`` of them held out as ``.test``.
    ``binary=True/False`` is the old spelling of ``task=`` (deprecated).
    """
    task = _digits_task(task, binary)
    test_fraction = _fraction("digits", test_fraction)
    if not isinstance(images, bool):
        raise TypeError(f"digits: images must be True or False, got {images!r}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise missing_extra("digits()", "scikit-learn", "digits", module="sklearn") from e
    data = load_digits()
    X = data.images[..., None] / 16.0 if images else data.data.T / 16.0
    labels = data.target.reshape(1, -1).astype(np.float64)
    binary = task == "binary"
    Y = labels % 2 if binary else labels
    classes = ["even", "odd"] if binary else [str(d) for d in range(10)]
    return Dataset(X, Y, classes, name="digits", task=task).split(test_fraction, seed)


def _digits_task(task: Any, binary: bool | None) -> str:
    if isinstance(task, bool):  # digits(False): the old first argument was binary
        binary, task = task, "binary"
    if binary is not None:
        if task != "binary":
            raise TypeError(f"digits: got both task={task!r} and binary={binary!r}; give task= only")
        warnings.warn(f"digits(binary={binary}) is deprecated: write digits(task="
                      f"{'binary' if binary else 'multiclass'!r}), the name the command line uses (--task)",
                      DeprecationWarning, stacklevel=3)
        if not isinstance(binary, bool):
            raise TypeError(f"digits: binary must be True or False, got {binary!r}")
        return "binary" if binary else "multiclass"
    if task not in KINDS:
        raise ValueError(f"digits: task must be 'binary' (odd vs even) or 'multiclass' (0-9), got {task!r}")
    return str(task)
