"""A float index with a fraction is refused, eager and jitted alike (the jit used to truncate 1.5 to 1 where eager
NumPy raised), and whole-number float indices keep working."""

import numpy as np
import pytest

from tinygrad_nb import Tensor, jit

X = np.arange(12.0).reshape(3, 4)


def columns(X, K):
    return Tensor(X)[:, K].sum()


def test_a_fractional_float_index_argument_raises_eager_and_jitted():
    with pytest.raises(IndexError):
        columns(X, np.array([1.5, 2.0]))
    step = jit(columns)
    for _ in range(3):
        assert step(X, np.array([1.0, 2.0])).item() == columns(X, np.array([1, 2])).item()  # recorded, replayed
    with pytest.raises(IndexError, match="whole numbers, got 1.5"):
        step(X, np.array([1.5, 2.0]))


def test_an_index_computed_with_a_fraction_raises_jitted_as_eager():
    def halves(X, Y):
        return Tensor(X)[:, Tensor(Y) / 2].sum()

    Y = np.array([2, 4])
    step = jit(halves)
    for _ in range(3):
        assert step(X, Y).item() == halves(X, Y).item()
    with pytest.raises(IndexError):
        halves(X, np.array([1, 2]))
    with pytest.raises(IndexError):
        step(X, np.array([1, 2]))  # 0.5 is no index: truncating it to 0 would be a silent wrong answer


def test_a_float_tensor_index_with_a_fraction_is_refused_eagerly():
    with pytest.raises(IndexError, match="whole numbers"):
        Tensor(np.arange(4.0))[Tensor(np.array([1.5]))]
    assert Tensor(np.arange(4.0))[Tensor(np.array([2.0]))].data.tolist() == [2.0]
