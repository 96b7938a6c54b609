"""The DeZero book's toy datasets (issue 26): spiral() is dezero.datasets.get_spiral's points, sin_curve() the
book's step 43 data, both in the course's layout."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

import nn


def book_get_spiral(train=True):
    """dezero/datasets.py get_spiral (DeZero 0.0.13), as printed in the book: the reference."""
    seed = 1984 if train else 2020
    np.random.seed(seed=seed)
    num_data, num_class, input_dim = 100, 3, 2
    data_size = num_class * num_data
    x = np.zeros((data_size, input_dim), dtype=np.float32)
    t = np.zeros(data_size, dtype=int)
    for j in range(num_class):
        for i in range(num_data):
            rate = i / num_data
            radius = 1.0 * rate
            theta = j * 4.0 + 4.0 * rate + np.random.randn() * 0.2
            ix = num_data * j + i
            x[ix] = np.array([radius * np.sin(theta), radius * np.cos(theta)]).flatten()
            t[ix] = j
    indices = np.random.permutation(num_data * num_class)
    return x[indices], t[indices]


def test_spiral_is_dezeros_training_and_test_sets_in_columns():
    data = nn.datasets.spiral()
    x, t = book_get_spiral(train=True)
    assert data.X.shape == (2, 300) and data.Y.shape == (1, 300) and data.Y.dtype.kind == "i"
    np.testing.assert_array_equal(data.X, x.T)
    np.testing.assert_array_equal(data.Y[0], t)
    x_test, t_test = book_get_spiral(train=False)
    np.testing.assert_array_equal(data.test.X, x_test.T)
    np.testing.assert_array_equal(data.test.Y[0], t_test)
    assert data.task.kind == "multiclass" and data.task.n_y == 3 and data.name == "spiral"


DEZERO_SPIRAL = """
import sys
import numpy as np
np.int = int  # DeZero 0.0.13 spells np.int, which NumPy 1.24 removed: restored in this process only
from dezero.datasets import get_spiral
x, t = get_spiral(train=True)
np.savez(sys.argv[1], x=x, t=t)
"""


def test_spiral_matches_dezero_itself_when_installed(tmp_path):
    if importlib.util.find_spec("dezero") is None:
        pytest.skip("DeZero is not installed")
    out = tmp_path / "spiral.npz"
    subprocess.run([sys.executable, "-c", DEZERO_SPIRAL, str(out)], check=True, timeout=120)
    book = np.load(out)
    data = nn.datasets.spiral()
    np.testing.assert_array_equal(data.X, book["x"].T)
    np.testing.assert_array_equal(data.Y[0], book["t"])


def test_spiral_seeds_sizes_and_the_global_generator():
    a = nn.datasets.spiral(seed=3, test_seed=None, num_data=20, num_class=4)
    assert a.test is None and a.X.shape == (2, 80) and sorted(set(a.Y[0])) == [0, 1, 2, 3]
    np.testing.assert_array_equal(a.X, nn.datasets.spiral(seed=3, test_seed=None, num_data=20, num_class=4).X)
    np.random.seed(1984)
    from_global = nn.datasets.spiral(seed=None, test_seed=None)
    np.testing.assert_array_equal(from_global.X, nn.datasets.spiral().X)
    radius = np.hypot(*a.X)
    assert radius.max() < 1.0 and radius.min() == 0.0  # r = i / num_data, 0 for the first point of each class
    assert np.bincount(a.Y[0]).tolist() == [20] * 4


def test_sin_curve_is_the_books_step_43_data():
    data = nn.datasets.sin_curve()
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    np.testing.assert_array_equal(data.X, x.T)
    np.testing.assert_array_equal(data.Y, y.T)
    assert data.task is None and data.name == "sin"
    assert nn.datasets.sin_curve(m=7, seed=1).X.shape == (1, 7)


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.datasets.spiral(seed=-1), ValueError, "spiral: seed"),
    (lambda: nn.datasets.spiral(test_seed="a"), TypeError, "spiral: test_seed"),
    (lambda: nn.datasets.spiral(num_data=0), ValueError, "spiral: num_data"),
    (lambda: nn.datasets.spiral(num_class=1), ValueError, "spiral: num_class"),
    (lambda: nn.datasets.sin_curve(m=0), ValueError, "sin_curve: m"),
    (lambda: nn.datasets.sin_curve(seed=1.5), TypeError, "sin_curve: seed"),
])
def test_bad_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()
