"""Divergence said out loud: a huge rate or a NaN cost is reported with the iteration and a smaller rate;
stop/ignore; the course's own runs raise no alarm."""

import re
import warnings

import numpy as np
import pytest
from _shared import TRAIN, needs_cat_data

import nn
from nn.training.divergence import DivergenceWarning

# --- 2. divergence ------------------------------------------------------------------------------------------


def test_a_huge_learning_rate_is_reported_once_with_the_iteration_and_a_smaller_rate(digits, capsys):
    model = nn.MLP([64, 32, 16, 1], rng=1)
    with pytest.warns(DivergenceWarning) as caught:
        costs = nn.fit(model, digits.train.X, digits.train.Y, lr=1e4, num_iterations=200, print_every=100)
    assert len([w for w in caught if w.category is DivergenceWarning]) == 1
    message = str(caught[0].message)
    assert re.search(r"since iteration \d+, binary cross-entropy.s floor", message) and "fit(..., lr=1000)" in message
    assert len(costs) == 3  # "warn" trains on


def test_stop_ends_training_and_returns_the_costs_so_far(digits):
    model = nn.MLP([64, 32, 16, 1], rng=1)
    history: dict = {}
    with pytest.warns(DivergenceWarning, match="training stopped"):
        costs = nn.fit(model, digits.train.X, digits.train.Y, lr=1e4, num_iterations=500, record_every=1,
                       print_cost=False, on_divergence="stop", history=history)
    assert 3 <= len(costs) < 20 and history["iterations"][-1] == len(costs) - 1
    assert "training stopped" in history["divergence"]


def test_ignore_warns_nothing_and_bad_values_are_refused(digits):
    model = nn.MLP([64, 32, 16, 1], rng=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        nn.fit(model, digits.train.X, digits.train.Y, lr=1e4, num_iterations=50, print_cost=False,
               on_divergence="ignore")
    with pytest.raises(ValueError, match="on_divergence must be one of 'warn', 'stop', 'ignore'"):
        nn.fit(model, digits.train.X, digits.train.Y, on_divergence="raise")


def test_a_rising_cost_is_noticed():
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], hidden="tanh", rng=1)
    with pytest.warns(DivergenceWarning, match=r"rising for 50 iterations.*lr=5"):
        nn.fit(model, data.X, data.Y, lr=50, num_iterations=300, print_cost=False)


def test_a_nan_cost_stops_training_even_under_warn():
    X = np.random.RandomState(0).randn(3, 20) * 100
    Y = X[:1] * 50
    model = nn.MLP([3, 5, 1], output="identity", rng=0)
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.warns(DivergenceWarning, match=r"the cost is (nan|inf) at iteration \d+.*training stopped"):
        costs = nn.fit(model, X, Y, loss="mse", lr=10.0, num_iterations=1000, print_cost=False, record_every=1)
    assert len(costs) < 1000


def test_the_courses_planar_run_raises_no_alarm():
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], hidden="tanh", init="small_random", rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        costs = nn.fit(model, data.X, data.Y, lr=1.2, num_iterations=10_000, print_cost=False)
    assert costs[-1] < 0.25


@needs_cat_data
def test_the_cat_run_raises_no_alarm():
    train = nn.datasets.load_course_h5(TRAIN)
    model = nn.MLP([12288, 20, 7, 5, 1], rng=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        costs = nn.fit(model, train.X, train.Y, lr=0.0075, num_iterations=150, print_cost=False)
    assert costs[-1] < costs[0]
