"""rng=None is NumPy's global generator (issue 26): np.random.seed / tinygrad_nb.manual_seed make default draws
reproducible and equal to the course's own draws; int seeds and generators keep their meaning."""

import numpy as np
import pytest

import nn
import tinygrad_nb
from tinygrad_nb.random_state import global_generator


def course_initialize_parameters_deep(layer_dims):
    """The course's initialize_parameters_deep, written out (it draws from the global generator)."""
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return parameters


def test_np_random_seed_then_default_mlp_is_the_courses_deep_initialisation():
    dims = [12, 5, 3, 1]
    np.random.seed(1)
    expected = course_initialize_parameters_deep(dims)
    np.random.seed(1)
    model = nn.MLP(dims)  # rng left out
    state = model.state_dict()
    for key, value in expected.items():
        np.testing.assert_array_equal(state[key], value)


def test_manual_seed_is_np_random_seed_for_layers():
    tinygrad_nb.manual_seed(3)
    a = nn.Linear(4, 3).W.data.copy()
    np.random.seed(3)
    np.testing.assert_array_equal(a, np.random.randn(3, 4) / np.sqrt(4))


def test_same_seed_same_model_and_draws_follow_one_another():
    np.random.seed(0)
    first = nn.MLP([3, 4, 2]).state_dict()
    second = nn.MLP([3, 4, 2]).state_dict()  # the global stream moved on: other weights
    np.random.seed(0)
    again = nn.MLP([3, 4, 2]).state_dict()
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first["W1"], second["W1"])


def test_an_int_rng_is_its_own_stream_and_leaves_the_global_one_alone():
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    W = nn.Linear(6, 2, rng=1).W.data
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.testing.assert_array_equal(W, np.random.RandomState(1).randn(2, 6) / np.sqrt(6))


def test_generators_pass_through_and_advance():
    r = np.random.RandomState(2)
    assert nn.init.as_rng(r) is r
    g = np.random.default_rng(2)
    assert nn.init.as_rng(g) is g
    assert nn.init.as_rng(None) is nn.init.as_rng(None)  # the one global RandomState
    assert isinstance(nn.init.as_rng(None), np.random.RandomState)


def test_conv_default_draws_follow_the_global_seed():
    np.random.seed(7)
    a = nn.Conv2D(2, 3, f=3).W.data.copy()
    np.random.seed(7)
    b = nn.Conv2D(2, 3, f=3).W.data
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (2**32, ValueError), ("1", TypeError), (1.5, TypeError)])
def test_bad_rng_is_refused(bad, error):
    with pytest.raises(error, match="rng"):
        nn.init.as_rng(bad)


def test_nn_and_the_engine_mean_the_same_global_generator():
    assert nn.init.as_rng(None) is global_generator() is np.random.mtrand._rand
    np.random.seed(4)
    a = tinygrad_nb.randn(2, 3).data
    np.random.seed(4)
    np.testing.assert_array_equal(nn.init.standard_normal((2, 3), None), a)
