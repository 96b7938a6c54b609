"""``sample_index``: course 5's ``sample`` draw, np.random.choice(range(vocab_size), p=y.ravel()), with the same
draws for the same seed, and columns that are not probabilities refused."""

import numpy as np
import pytest

from nn.training.sampling import sample_index
from tinygrad_nb import JitError, Tensor, jit


def softmax_column(n, seed):
    z = np.random.RandomState(seed).randn(n, 1)
    return np.exp(z) / np.exp(z).sum()


def test_the_same_draws_as_np_random_choice_for_the_same_seed():
    y = softmax_column(27, 0)  # the Dinosaurus vocabulary: 26 letters and "\n"
    mine, theirs = np.random.RandomState(2), np.random.RandomState(2)
    drawn = [sample_index(y, mine) for _ in range(200)]
    assert drawn == [theirs.choice(range(27), p=y.ravel()) for _ in range(200)]
    assert all(type(i) is int for i in drawn)


def test_the_global_generator_as_the_notebook_seeds_it():
    y = softmax_column(10, 1)
    np.random.seed(5)
    mine = [sample_index(y, np.random) for _ in range(50)]
    np.random.seed(5)
    assert mine == [np.random.choice(list(range(10)), p=y.ravel()) for _ in range(50)]


def test_a_sequence_drawn_as_the_course_draws_it():
    """The course's loop: each draw's probabilities depend on the last index; the seeded sequences are equal."""
    W = np.random.RandomState(3).randn(8, 8)

    def run(draw):
        idx, out = 0, []
        for _ in range(30):
            z = W[:, [idx]]
            idx = draw(np.exp(z) / np.exp(z).sum())
            out.append(idx)
        return out
    a, b = np.random.RandomState(7), np.random.RandomState(7)
    assert run(lambda y: sample_index(y, a)) == run(lambda y: b.choice(range(8), p=y.ravel()))


def test_a_flat_column_a_tensor_a_generator_and_float32():
    y = softmax_column(5, 2)
    assert sample_index(y.ravel(), np.random.RandomState(0)) == sample_index(y, np.random.RandomState(0))
    assert sample_index(Tensor(y), np.random.RandomState(0)) == sample_index(y, np.random.RandomState(0))
    g, h = np.random.default_rng(4), np.random.default_rng(4)
    assert sample_index(y, g) == h.choice(range(5), p=y.ravel())
    y32 = softmax_column(1000, 3).astype(np.float32)  # sums to 1 within float32's rounding only
    assert 0 <= sample_index(y32, np.random.RandomState(0)) < 1000
    assert sample_index(np.array([0.0, 1.0, 0.0]), np.random.RandomState(0)) == 1


@pytest.mark.parametrize(("y", "error", "match"), [
    (np.array([[0.5], [0.6]]), ValueError, r"sum to 1\.1"),
    (np.array([[2.0], [-1.0]]), ValueError, r">= 0.*logits"),
    (np.array([[np.nan], [1.0]]), ValueError, r"NaN or Inf"),
    (np.full((3, 2), 1 / 3), ValueError, r"2 columns.*y\[:, \[i\]\]"),
    (np.zeros((0, 1)), ValueError, r"one softmax column"),
    (np.array([["a"], ["b"]]), TypeError, r"numbers"),
    ("abc", TypeError, r"NumPy array or a Tensor"),
])
def test_columns_that_are_not_probabilities_are_refused(y, error, match):
    with pytest.raises(error, match=match):
        sample_index(y, np.random.RandomState(0))


def test_the_generator_is_checked():
    with pytest.raises(TypeError, match="RandomState"):
        sample_index(np.array([1.0]), 0)


def test_inside_a_jitted_step_it_is_refused_rather_than_frozen():
    with pytest.raises(JitError):
        jit(lambda z: Tensor(float(sample_index(z.softmax(axis=0), np.random.RandomState(0)))))(np.zeros((3, 1)))
