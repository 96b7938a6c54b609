"""A network that cannot learn is named (DeadNetworkWarning), as is a cost that swings (OscillatingCostWarning):
a dead ReLU layer, zero initialisation, planar's tanh rate on ReLU; ordinary runs raise neither."""

import contextlib
import pickle
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
    assert dead[0].message.suggestion == {"init": "he", "hidden": "leaky_relu", "lr_scale": 0.1}
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
    with pytest.warns(DeadNetworkWarning, match=r"stayed within 1e-05 of its first value .* for 100 iterations"
                                                r".*learning rate is too small"):
        nn.fit(model, data.X, data.Y, lr=1e-15, num_iterations=110, print_cost=False)


@pytest.mark.parametrize("init", ["small_random", "he"])
def test_planars_tanh_rate_on_a_relu_network_is_called_oscillating_with_tanh_first(init):
    data = nn.datasets.planar()  # planar's defaults: lr 1.2, tuned for tanh (small_random: the CLI's init for it)
    model = nn.MLP([2, 4, 1], hidden="relu", init=init, rng=np.random.RandomState(1))
    with pytest.warns(OscillatingCostWarning, match=r"has not fallen below .* rose in \d+ of the 100 iterations"
                                                    r".*hidden='tanh'.*fit\(\.\.\., lr=0\.12\)") as caught:
        nn.fit(model, data, num_iterations=2500, print_cost=False)
    warning = next(w.message for w in caught if w.category is OscillatingCostWarning)
    assert warning.suggestion == {"hidden": "tanh", "lr_scale": 0.1}
    assert "hidden='tanh'" not in warning.diagnosis and "bounces" in warning.diagnosis
    # the claim: the run stalled well short of what the suggested tanh network reaches with the same rate
    tanh = nn.MLP([2, 4, 1], hidden="tanh", init=init, rng=np.random.RandomState(1))
    with no_alarm():
        nn.fit(tanh, data, num_iterations=2500, print_cost=False)
    assert nn.accuracy(tanh, data) > nn.accuracy(model, data) + 0.1


def test_a_learning_rate_too_small_to_move_the_cost_names_a_rate_that_does(digits):
    model = nn.MLP([64, 32, 16, 1], rng=1)  # the run: lr = 1e-9 moves the cost by 1e-8 in 500 iterations
    with pytest.warns(DeadNetworkWarning, match=r"the learning rate is too small to move the weights or the cost.*"
                                                r"fit\(\.\.\., lr=(\S+)\)") as caught:
        costs = nn.fit(model, digits.train.X, digits.train.Y, lr=1e-9, num_iterations=120, print_cost=False)
    warning = next(w.message for w in caught if w.category is DeadNetworkWarning)
    scale = warning.suggestion["lr_scale"]
    assert set(warning.suggestion) == {"lr_scale"} and scale >= 1e6
    assert abs(costs[-1] - costs[0]) < 1e-6 * costs[0]  # the claim: the cost did not move
    # the suggested rate moves it: 100 iterations at lr 1e-9 * scale lower the cost by more than 1%
    moved = nn.fit(nn.MLP([64, 32, 16, 1], rng=1), digits.train.X, digits.train.Y, lr=1e-9 * scale,
                   num_iterations=100, print_cost=False)
    assert moved[-1] < 0.99 * moved[0]


@pytest.mark.parametrize("dims", [[2, 8, 8, 8, 1], [2, 16, 16, 1]])
def test_vanishing_gradients_name_the_initialisation_not_the_rate(dims):
    data = nn.datasets.planar()  # balanced labels: the output bias has nothing to learn either
    model = nn.MLP(dims, hidden="tanh", init="small_random", rng=1)  # randn x 0.01 through the layers
    with pytest.warns(DeadNetworkWarning, match=r"small initial weights.*init='xavier'") as caught:
        nn.fit(model, data, lr=0.1, num_iterations=120, print_cost=False)
    warning = next(w.message for w in caught if w.category is DeadNetworkWarning)
    assert warning.suggestion == {"init": "xavier"} and "learning rate" not in str(warning)
    if len(dims) == 4:  # the claim: xavier's weights move the cost at the same rate
        costs = nn.fit(nn.MLP(dims, hidden="tanh", init="xavier", rng=1), data, lr=0.1, num_iterations=120,
                       print_cost=False)
        assert costs[-1] < 0.99 * costs[0]
        return
    grads = [p.grad.data for p in model.parameters() if p.grad is not None and p.ndim == 2]
    assert max(np.abs(g).max() for g in grads) < 1e-3  # the claim: the gradients are tiny


def test_slow_but_ordinary_starts_are_not_called_stuck(digits):
    data = nn.datasets.planar()
    with no_alarm():  # the slowest healthy start measured: ReLU from randn x 0.01 at lr 0.12 (2e-4 in 100)
        nn.fit(nn.MLP([2, 4, 1], hidden="relu", init="small_random", rng=np.random.RandomState(5)), data,
               lr=0.12, num_iterations=300, print_cost=False)
        nn.fit(nn.MLP([64, 32, 16, 1], rng=1), digits.train.X, digits.train.Y, lr=1e-4, num_iterations=150,
               print_cost=False)  # slow (6e-4 in 150 iterations) but moving


def test_the_demos_late_spikes_are_not_called_oscillating(digits):
    d = nn.datasets.digits()  # `tinygrad-nb train`'s run: its cost jumps from 0.05 to 2.7 near iteration 857
    model = nn.MLP([64, 32, 16, 1], rng=np.random.RandomState(1), task=d.task)
    with no_alarm():
        costs = nn.fit(model, d.X, d.Y, optimizer=nn.optim.SGD(model.parameters(), lr=0.1), num_iterations=1000,
                       record_every=1, print_cost=False)
    assert max(costs[800:900]) > 20 * costs[800] and costs[-1] < costs[800]  # the spike is there, and passes


def test_a_warning_is_made_from_its_parts_and_keeps_them():
    advice = "try a smaller learning rate, e.g. SGD(model.parameters(), lr=0.5) (a tenth of 5)"
    diagnosis = "training diverged: the cost is nan at iteration 3 (the numbers overflowed; the weights are lost)"
    warning = DivergenceWarning(diagnosis=diagnosis, advice_text=advice)
    assert str(warning) == f"fit: {diagnosis}; {advice}"
    assert (warning.diagnosis, warning.advice_text, warning.suggestion) == (diagnosis, advice, {"lr_scale": 0.1})
    oscillating = OscillatingCostWarning(diagnosis="the cost oscillates: x", suggestion={"hidden": "tanh"})
    assert str(oscillating) == "fit: the cost oscillates: x" and oscillating.suggestion == {"hidden": "tanh"}
    with pytest.raises(ValueError, match="suggestion keys"):
        DeadNetworkWarning(diagnosis="x", suggestion={"momentum": 0.9})
    with pytest.raises(TypeError, match="either a message or its parts"):
        DeadNetworkWarning("x", diagnosis="x")


def test_a_warning_made_from_a_message_alone_is_all_diagnosis_and_survives_pickling():
    with pytest.warns(DivergenceWarning) as caught:
        warnings.warn("the cost is nan", DivergenceWarning, stacklevel=1)  # Python makes it from the text alone
    warning = caught[0].message
    assert (str(warning), warning.diagnosis, warning.advice_text) == ("the cost is nan", "the cost is nan", "")
    assert warning.suggestion == {"lr_scale": 0.1}  # DivergenceWarning's default: a tenth of the rate
    parts = DeadNetworkWarning(diagnosis="the network is not learning: A[2] = 0", advice_text="try init='he'",
                               suggestion={"init": "he"})
    back = pickle.loads(pickle.dumps(parts))
    assert (str(back), back.diagnosis, back.advice_text, back.suggestion) == (
        str(parts), parts.diagnosis, parts.advice_text, parts.suggestion)


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
