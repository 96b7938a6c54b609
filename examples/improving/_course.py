"""Shared by the sequel's examples: the course's data, made exactly as its notebooks make it, and the report lines.

The notebooks of "Improving Deep Neural Networks" (weeks 1 and 2) draw their 2-D data with
scikit-learn after seeding NumPy's global generator, or read a MATLAB file; all of it comes
back here in the course's layout, X (2, m) and Y (1, m), one example per column.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

import numpy as np

import nn
from nn.datasets import Dataset, Split


def _sklearn_datasets() -> Any:
    try:
        from sklearn import datasets
    except ImportError:
        raise SystemExit("this example needs scikit-learn: pip install 'tinygrad-nb[sequel]'") from None
    return datasets


def _layout(X: np.ndarray, y: np.ndarray, classes: list[str]) -> Dataset:
    """scikit-learn's (m, 2) points and (m,) labels as the course's X (2, m) and Y (1, m)."""
    return Dataset(X.T, y.reshape(1, -1), classes)


def circles() -> Split:
    """The initialisation notebook's data: two noisy circles, 300 training points and 100 test points.

    As its ``load_dataset``: ``np.random.seed(1); make_circles(n_samples=300, noise=.05)``
    for the train set, then seed 2 and 100 points for the test set. Y is 1 on the inner circle.
    """
    datasets = _sklearn_datasets()
    np.random.seed(1)
    train_X, train_y = datasets.make_circles(n_samples=300, noise=0.05)
    np.random.seed(2)
    test_X, test_y = datasets.make_circles(n_samples=100, noise=0.05)
    return Split(_layout(train_X, train_y, ["outer", "inner"]), _layout(test_X, test_y, ["outer", "inner"]))


def moons() -> Dataset:
    """The optimisation notebook's data: ``np.random.seed(3); make_moons(n_samples=300, noise=.2)``, X (2, 300)."""
    datasets = _sklearn_datasets()
    np.random.seed(3)
    X, y = datasets.make_moons(n_samples=300, noise=0.2)
    return _layout(X, y, ["upper", "lower"])


def football(path: str | os.PathLike) -> Split:
    """The regularisation notebook's data.mat: where the French goalkeeper should kick the ball.

    ``X`` (211, 2) and ``y`` are the train set, ``Xval`` (200, 2) and ``yval`` the test set;
    Y is 1 where a French player headed the ball. Read with scipy, as the notebook does.
    """
    try:
        from scipy.io import loadmat
    except ImportError:
        raise SystemExit("this example needs scipy: pip install 'tinygrad-nb[sequel]'") from None
    try:
        data = loadmat(os.fspath(path))
    except Exception as e:  # scipy raises several kinds for a file that is not MATLAB's
        raise ValueError(f"{path} is not a MATLAB file: {e}") from e
    missing = [key for key in ("X", "y", "Xval", "yval") if key not in data]
    if missing:
        raise ValueError(f"{path} is not the course's data.mat: it has no {', '.join(missing)}")
    classes = ["opponent", "France"]
    return Split(Dataset(data["X"].T, data["y"].T, classes), Dataset(data["Xval"].T, data["yval"].T, classes))


def existing_file(path: str) -> str:
    """An argparse type: the path of a file that exists."""
    if not os.path.isfile(path):
        raise argparse.ArgumentTypeError(f"no such file: {path}")
    return path


def build(parser: argparse.ArgumentParser, make: Callable[[], Any]) -> Any:
    """``make()``, with the library's error for a bad option reported as a usage error (exit status 2)."""
    try:
        return make()
    except (TypeError, ValueError) as e:
        parser.error(str(e))


def print_accuracy(label: str, model: nn.Module, data: Dataset, threshold: float = 0.5) -> float:
    """Print ``<label> accuracy: a`` at full precision, as the notebooks' ``predict`` does, and return a.

    A prediction is 1 where the output exceeds ``threshold``: 0.5 for a sigmoid output A[L],
    0 for a model that ends in Z[L] (sigmoid(Z) > 0.5 exactly where Z > 0).
    """
    accuracy = float(np.mean(nn.predict(model, data.X, threshold=threshold) == data.Y))
    print(f"{label} accuracy: {accuracy}")
    return accuracy
