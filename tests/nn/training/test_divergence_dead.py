"""A network that cannot learn is named (DeadNetworkWarning), as is a cost that swings (OscillatingCostWarning):
a dead ReLU layer, zero initialisation, planar's tanh rate on ReLU; ordinary runs raise neither."""

import contextlib
import warnings

import numpy as np
import pytest

import nn
from nn.training.divergence import DeadNetworkWarning, DivergenceWarning, OscillatingCostWarning

QUIET = (DeadNetworkWarning, OscillatingCostWarning, DivergenceWarning)


@contextlib.contextmanager
def no_alarm():
    with warnings.catch_warnings():
        for category in QUIET:
            warnings.simplefilter("error", category)
        yield


def test_a_dead_relu_layer_is_named_with_the_fix(digits):
    model = nn.MLP([64, 32, 16, 1], rng=1)  # the run: lr = 5 kills layer 2 within a few steps
    with pytest.warns(DeadNetworkWarning) as caught:
        costs = nn.fit(model, digits.train.X, digits.train.Y, lr=5, num_iterations=150, print_cost=False)
    dead = [w for w in caught if w.category is DeadNetworkWarning]
    assert len(dead) == 1 and not any(w.category is DivergenceWarning for w in caught)
    message = str(dead[0].message)
    assert "the ReLU units of layer 2 output 0 on every example" in message
    assert "init='he'" in message and "leaky_relu" in message and "fit(..., lr=0.5)" in message
    assert dead[0].filename == __file__  # pointed at the caller's line
    # the claim itself, checked on the trained model: A[2] is 0 for every example
    A2 = nn.Sequential(*model.layers[:4])(digits.train.X).data
    assert A2.shape == (16, digits.train.m) and not A2.any()
    assert costs.iterations == [0, 100, 149]  # trained on to the end: this is not divergence


def test_zero_initialisation_is_named_and_training_goes_on():
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], init="zeros", rng=1)
    with pytest.warns(DeadNetworkWarning, match=r"every weight is still exactly 0 .*init='he'"):
        costs = nn.fit(model, data.X, data.Y, lr=0.5, num_iterations=120, print_every=100, on_divergence="stop")
    assert costs.iterations == [0, 100, 119]  # not stopped: a flat cost is not divergence
    np.testing.assert_allclose(costs, np.log(2), rtol=0, atol=1e-12)  # planar's labels are balanced


def test_a_cost_stuck_at_its_first_value_is_named():
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], hidden="tanh", rng=1)
    with pytest.warns(DeadNetworkWarning, match=r"stayed at its first value .* for 100 iterations"):
        nn.fit(model, data.X, data.Y, lr=1e-15, num_iterations=110, print_cost=False)


def test_planars_tanh_rate_on_a_relu_network_is_called_oscillating():
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], hidden="relu", rng=1)
    with pytest.warns(OscillatingCostWarning, match=r"rose in \d+ of the 100 iterations.*fit\(\.\.\., lr=0\.12\)"):
        nn.fit(model, data, num_iterations=400, print_cost=False)  # planar's defaults: lr 1.2, tuned for tanh


def test_ignore_silences_these_too(digits):
    with no_alarm():
        nn.fit(nn.MLP([64, 32, 16, 1], rng=1), digits.train.X, digits.train.Y, lr=5, num_iterations=150,
               print_cost=False, on_divergence="ignore")


def test_ordinary_runs_raise_no_alarm(digits):
    data = nn.datasets.planar()
    with no_alarm():
        costs = nn.fit(nn.MLP([2, 4, 1], hidden="tanh", init="small_random", rng=2), data, num_iterations=2000,
                       print_cost=False)  # the course's planar run
        assert costs[-1] < 0.3
        nn.fit(nn.MLP([64, 16, 1], init="he", rng=1), digits.train.X, digits.train.Y, lr=0.1, num_iterations=300,
               print_cost=False)
        X = np.linspace(-1, 1, 20).reshape(1, -1)  # a regression that converges: its cost levels off at ~0
        costs = nn.fit(nn.MLP([1, 1], output="identity", rng=0), X, 2 * X + 1, loss="mse", lr=0.5,
                       num_iterations=400, print_cost=False)
        assert costs[-1] < 1e-12
