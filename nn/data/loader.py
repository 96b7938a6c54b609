"""``DataLoader``: a dataset's examples in mini-batches, in the course's layout X (n_x, b), Y (n_y, b).

A dataset is anything with ``len(dataset)`` (m, the number of examples) and ``dataset[i]``, the
i-th example as a pair ``(x, y)`` (``ExampleDataset``, the protocol of DeZero's and PyTorch's
datasets). An ``nn.datasets.Dataset`` is one: ``data[i]`` is ``(X[:, i], Y[:, i])``. A class of
your own needs only the two methods::

    class Squares:
        def __len__(self):
            return 100
        def __getitem__(self, i):
            return np.array([i / 100]), np.array([(i / 100) ** 2])   # x (n_x,), y (n_y,)

    for X, Y in nn.DataLoader(Squares(), batch_size=32):   # X (1, 32), Y (1, 32); the last (1, 4)
        ...

How examples are stacked into a batch of b: x of shape (n_x,) (or a number, n_x = 1) becomes a
column of X (n_x, b), the course's layout; an x with two or more axes, an image (n_H, n_W, n_C),
stays examples-first, X (b, n_H, n_W, n_C), the layout ``fit`` and ``Conv2D`` take. y of shape
(n_y,) (or a number: a label) becomes a column of Y (n_y, b).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import numpy as np

from nn import validate
from nn.data.datasets import Dataset
from nn.layers import init as initialisers
from tinygrad_nb import Tensor, global_generator

__all__ = ["DataLoader", "ExampleDataset"]


@runtime_checkable
class ExampleDataset(Protocol):
    """What ``DataLoader`` takes: ``len(dataset)`` examples, ``dataset[i]`` the i-th as ``(x, y)``.

    x is one example's input, shape (n_x,) (or an image (n_H, n_W, n_C)), y its label or target,
    shape (n_y,) or a number. An ``nn.datasets.Dataset`` is one; so is any class with the two
    methods (DeZero's ``Dataset`` subclasses included), and a list of ``(x, y)`` pairs.
    """

    def __len__(self) -> int:
        """m, the number of examples."""
        ...

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        """The i-th example, ``(x, y)``."""
        ...


class DataLoader:
    """Mini-batches of ``dataset`` for a training loop: each ``for X, Y in loader`` is one epoch.

    Each batch is a pair of NumPy arrays in the course's layout, X (n_x, b) (images
    (b, n_H, n_W, n_C)) and Y (n_y, b), b = ``batch_size`` (the last batch smaller unless
    ``drop_last``). Use it in a hand-written loop (``model(X)``, a jitted step), or give it to
    ``nn.fit(model, loader)``, where one iteration is one epoch.

    Args:
        dataset: an ``nn.datasets.Dataset`` or any ``ExampleDataset`` (``__len__`` and
            ``__getitem__(i) -> (x, y)``). An ``nn.datasets.Dataset`` without transforms is
            batched by slicing its X and Y (no per-example Python); anything else example by example.
        batch_size: b, the examples per batch (an int >= 1).
        shuffle: True (the default, as DeZero's): every epoch visits the examples in a new random
            order, drawn from ``rng`` as DeZero draws it (the first when the loader is made, the next
            when an epoch ends); False: in order 0, 1, ..., m - 1.
        rng: where the orders come from: None (the default), NumPy's global generator, so
            ``np.random.seed(s)`` (or ``tinygrad_nb.manual_seed(s)``) before the loop makes them
            reproducible, as DeZero's ``np.random.permutation``; an int seeds a RandomState of the
            loader's own (epoch k's order is then fixed by the seed); a RandomState or Generator
            is used as given.
        drop_last: leave out the last batch when it has fewer than ``batch_size`` examples.

    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, dataset: ExampleDataset, batch_size: int, shuffle: bool = True,
                 rng: initialisers.RNG = None, drop_last: bool = False):
        _check_dataset(dataset)
        self.dataset = dataset
        self.batch_size = validate.positive_int("DataLoader: batch_size", batch_size)
        if not isinstance(shuffle, bool):
            raise TypeError(f"DataLoader: shuffle must be True or False, got {shuffle!r}")
        if not isinstance(drop_last, bool):
            raise TypeError(f"DataLoader: drop_last must be True or False, got {drop_last!r}")
        self.shuffle, self.drop_last = shuffle, drop_last
        generator = initialisers.as_rng(rng, "DataLoader")
        # None stands for the global generator, looked up when each epoch starts (a copy still follows np.random.seed)
        self.rng: np.random.RandomState | np.random.Generator | None = (
            None if generator is global_generator() else generator)
        self.examples()  # refuses an empty dataset, or drop_last leaving no batch, now rather than mid-training
        self._next_order: np.ndarray | None = self._draw_order()  # drawn now, as DeZero's loader does

    def examples(self) -> int:
        """The examples an epoch visits: m, less the incomplete last batch with ``drop_last``."""
        m = len(self.dataset)
        if not validate.is_int(m) or m < 1:
            raise ValueError(f"DataLoader: the dataset has no examples (len(dataset) = {m!r})")
        if self.drop_last:
            if m < self.batch_size:
                raise ValueError(f"DataLoader: drop_last=True with batch_size={self.batch_size} leaves no batch of "
                                 f"the dataset's m = {m} examples; choose a batch_size <= m")
            return m - m % self.batch_size
        return int(m)

    def batch_sizes(self) -> list[int]:
        """The size of each batch of an epoch, in order (e.g. [32, 32, 32, 4] for m = 100, batch_size 32)."""
        n = self.examples()
        return [min(self.batch_size, n - k) for k in range(0, n, self.batch_size)]

    def __len__(self) -> int:
        """The number of batches per epoch, ceil(m / batch_size) (floor with ``drop_last``)."""
        return len(self.batch_sizes())

    def _draw_order(self) -> np.ndarray | None:
        """The next epoch's order (a permutation of the m examples from ``rng``), or None without ``shuffle``."""
        if not self.shuffle:
            return None
        gen = global_generator() if self.rng is None else self.rng
        return gen.permutation(len(self.dataset))

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch: the batches (X (n_x, b), Y (n_y, b)) in a new order when ``shuffle``.

        The orders are drawn when DeZero's loader draws them: the first when the loader is made, the next
        when an epoch ends (an epoch left midway draws one when the next begins). With ``rng=None`` and
        the same ``np.random.seed``, a DeZero program's batches and initial weights come out as DeZero's.
        """
        n, m = self.examples(), len(self.dataset)
        order = self._next_order if self._next_order is not None else self._draw_order()
        self._next_order = None
        if order is None or len(order) != m:  # no shuffle, or the dataset's length changed since the draw
            order = np.arange(m) if not self.shuffle else self._draw_order()
        assert order is not None
        for k in range(0, n, self.batch_size):
            yield self.batch(order[k:k + self.batch_size])
        self._next_order = self._draw_order()

    def batch(self, indices: Any) -> tuple[np.ndarray, np.ndarray]:
        """The examples at ``indices`` (ints) as one batch, X (n_x, b) (or (b, n_H, n_W, n_C)) and Y (n_y, b)."""
        idx = np.asarray(indices, dtype=np.intp).reshape(-1)
        data = self.dataset
        if _sliceable(data):
            assert isinstance(data, Dataset)
            return np.take(data.X, idx, axis=data.examples_axis), np.take(data.Y, idx, axis=1)
        return _collate([_example(data, int(i)) for i in idx], idx)

    def __repr__(self) -> str:
        name = getattr(self.dataset, "name", type(self.dataset).__name__)
        return (f"DataLoader({name!r}, batch_size={self.batch_size}, shuffle={self.shuffle}"
                f"{', drop_last=True' if self.drop_last else ''}: {len(self)} batches of {self.examples()} examples)")


def _check_dataset(dataset: Any) -> None:
    if isinstance(dataset, (np.ndarray, Tensor)):
        raise TypeError(f"DataLoader: dataset must give examples (x, y), got a {type(dataset).__name__}; for arrays "
                        "X (n_x, m) and Y (n_y, m) pass nn.datasets.Dataset(X, Y, classes)")
    if (isinstance(dataset, tuple) and len(dataset) == 2
            and all(isinstance(a, np.ndarray) and a.ndim >= 2 for a in dataset)):
        raise TypeError("DataLoader: dataset is a pair of arrays (X, Y); pass nn.datasets.Dataset(X, Y, classes), "
                        "whose data[i] is the i-th example")
    if not isinstance(dataset, ExampleDataset):
        raise TypeError(f"DataLoader: dataset must have __len__ and __getitem__ (an nn.datasets Dataset, a list of "
                        f"(x, y) pairs, or a class of yours with the two methods), got {type(dataset).__name__}")


def _sliceable(data: Any) -> bool:
    """Whether ``data`` is an nn.datasets Dataset whose ``data[i]`` is exactly a column of X and of Y: no
    transforms, and no ``__getitem__`` of a subclass (which slicing would skip)."""
    return (isinstance(data, Dataset) and type(data).__getitem__ is Dataset.__getitem__
            and type(data).__len__ is Dataset.__len__ and data.transform is None and data.target_transform is None)


def _example(data: Any, i: int) -> tuple[Any, Any]:
    item = data[i]
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise TypeError(f"DataLoader: dataset[{i}] must be one example as a pair (x, y), got "
                        f"{type(item).__name__}{'' if not hasattr(item, '__len__') else f' of length {len(item)}'}")
    return item[0], item[1]


def _collate(examples: list[tuple[Any, Any]], idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stack examples (x, y) into X (n_x, b) (or (b, n_H, n_W, n_C)) and Y (n_y, b)."""
    xs = [_array(x, "x", i) for (x, _), i in zip(examples, idx)]
    ys = [_array(y, "y", i) for (_, y), i in zip(examples, idx)]
    for i, y in zip(idx, ys):
        if y.ndim > 1:
            raise ValueError(f"DataLoader: dataset[{i}]'s y has shape {y.shape}; one example's label or target "
                             "must be a number or a vector (n_y,), stacked into Y (n_y, b)")
    X = _stack(xs, idx, "x", axis=1 if xs[0].ndim <= 1 else 0)
    return X, _stack(ys, idx, "y", axis=1)


def _array(v: Any, what: str, i: int) -> np.ndarray:
    if v is None:
        raise ValueError(f"DataLoader: dataset[{i}] has no {what} (None); training needs inputs and labels")
    a = np.asarray(v.data if isinstance(v, Tensor) else v)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"DataLoader: dataset[{i}]'s {what} must be numbers, got dtype {a.dtype}")
    return a.reshape(1) if a.ndim == 0 else a


def _stack(arrays: list[np.ndarray], idx: np.ndarray, what: str, axis: int) -> np.ndarray:
    first = arrays[0].shape
    for i, a in zip(idx, arrays):
        if a.shape != first:
            raise ValueError(f"DataLoader: the examples of a batch differ in shape: dataset[{idx[0]}]'s {what} is "
                             f"{first}, dataset[{i}]'s is {a.shape}; every example's {what} needs one shape")
    return np.stack(arrays, axis=axis)
