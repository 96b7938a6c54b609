"""Initialisers: the course's exact draws, the documented scales, reproducibility."""

import numpy as np
import pytest

import nn


def test_mlp_with_randomstate_1_gives_the_courses_deep_parameters():
    dims = [12, 5, 3, 1]
    model = nn.MLP(dims, init="deep", rng=np.random.RandomState(1))
    np.random.seed(1)  # the course's initialize_parameters_deep, written out
    for l in range(1, len(dims)):
        W = np.random.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        np.testing.assert_array_equal(model.state_dict()[f"W{l}"], W)
        np.testing.assert_array_equal(model.state_dict()[f"b{l}"], np.zeros((dims[l], 1)))


def test_two_layer_small_random_matches_the_course():
    model = nn.MLP([6, 4, 1], init="small_random", rng=np.random.RandomState(1))
    np.random.seed(1)
    W1 = np.random.randn(4, 6) * 0.01
    W2 = np.random.randn(1, 4) * 0.01
    np.testing.assert_array_equal(model.state_dict()["W1"], W1)
    np.testing.assert_array_equal(model.state_dict()["W2"], W2)


@pytest.mark.parametrize("name, std", [("deep", lambda n, p: 1 / np.sqrt(p)), ("he", lambda n, p: np.sqrt(2 / p)),
                                       ("xavier", lambda n, p: np.sqrt(2 / (n + p))),
                                       ("small_random", lambda n, p: 0.01)])
def test_scales(name, std):
    W = nn.init.get(name)((300, 400), np.random.default_rng(0))
    assert W.shape == (300, 400)
    assert abs(W.std() / std(300, 400) - 1) < 0.02 and abs(W.mean()) < 0.01 * std(300, 400) * 10


def test_seeds_and_generators_are_reproducible():
    assert np.array_equal(nn.init.he((3, 4), 7), nn.init.he((3, 4), 7))
    assert np.array_equal(nn.init.he((3, 4), np.random.default_rng(5)), nn.init.he((3, 4), np.random.default_rng(5)))
    assert not nn.init.zeros((2, 2)).any()


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown initialiser"):
        nn.init.get("glorot")
    with pytest.raises(TypeError, match="rng must be"):
        nn.init.deep((2, 2), rng="seed")
    with pytest.raises(ValueError, match="positive ints"):
        nn.init.he((0, 3))
