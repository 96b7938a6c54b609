"""fit(model, loader) (issue 26): an epoch per iteration over an nn.DataLoader's batches, the cost their average;
the same as the loop written by hand, the same jitted as eager, the dataset's defaults and task."""

import numpy as np
import pytest

import nn
from nn.datasets import DataLoader, Dataset
from tinygrad_nb import Tensor


def small(m=22, name="small"):
    r = np.random.RandomState(0)
    X = r.randn(3, m)
    return Dataset(X, (X[:1] - X[2:3] > 0).astype(float), ["no", "yes"], name=name)


def by_hand(data, batch_size, epochs, lr):
    """The course's mini-batch loop written out: SGD on each batch in order, the epoch's cost sum(J_b * b) / m."""
    model = nn.MLP([3, 4, 1], rng=2)
    costs = []
    for _ in range(epochs):
        total = 0.0
        for k in range(0, data.m, batch_size):
            Xb, Yb = data.X[:, k:k + batch_size], data.Y[:, k:k + batch_size]
            J = nn.binary_cross_entropy(model(Tensor(Xb)), Yb)
            for p in model.parameters():
                p.grad = None
            J.backward()
            for p in model.parameters():
                p.data = p.data - lr * p.grad.data
            total += J.item() * Xb.shape[1]
        costs.append(total / data.m)
    return costs, model.state_dict()


@pytest.mark.parametrize("jit", [False, None])
def test_fit_on_an_unshuffled_loader_is_the_loop_by_hand(jit):
    data = small()
    expected_costs, expected_state = by_hand(data, 5, epochs=6, lr=0.3)
    model = nn.MLP([3, 4, 1], rng=2)
    costs = nn.fit(model, DataLoader(data, 5, shuffle=False), lr=0.3, num_iterations=6, print_cost=False,
                   record_every=1, jit=jit)
    assert costs.unit == "epoch" and costs.iterations == list(range(6))
    np.testing.assert_allclose(costs, expected_costs, rtol=1e-12)
    for key, value in expected_state.items():
        np.testing.assert_allclose(model.state_dict()[key], value, rtol=1e-12, atol=1e-15)


def test_fit_jitted_equals_eager_on_a_shuffled_loader():
    data = small()
    runs = []
    for jit in (False, True):
        model = nn.MLP([3, 5, 1], rng=1, keep_prob=0.8)
        np.random.seed(0)  # the dropout masks; the loader has its own seeded order
        costs = nn.fit(model, DataLoader(data, 4, rng=3), lr=0.2, num_iterations=15, print_cost=False,
                       record_every=1, jit=jit)
        runs.append((list(costs), model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for key, value in runs[0][1].items():
        np.testing.assert_array_equal(runs[1][1][key], value)


def test_a_loader_with_the_global_generator_is_reproducible_under_np_random_seed():
    data = small()
    results = []
    for _ in range(2):
        np.random.seed(8)
        model = nn.MLP([3, 4, 1])  # weights and batch orders from the global generator
        results.append(list(nn.fit(model, DataLoader(data, 6), lr=0.2, num_iterations=5, print_cost=False)))
    assert results[0] == results[1]


def test_defaults_and_task_come_from_the_loaders_dataset():
    data = small(m=20, name="digits")  # the digits' row of nn.defaults: lr 0.1, 1000 gradient steps
    model = nn.MLP([3, 4, 1], rng=0)
    history = {}
    costs = nn.fit(model, DataLoader(data, 10, shuffle=False), print_cost=False, history=history)
    assert history["learning_rate"] == 0.1
    assert costs.iterations[-1] == 1000 // 2 - 1  # 2 batches per epoch: 500 epochs
    assert model.task is not None and model.task.matches(data.task)


def test_drop_last_averages_over_the_examples_seen():
    data = small(m=11)
    model = nn.MLP([3, 4, 1], rng=2)
    before = nn.MLP([3, 4, 1], rng=2)
    costs = nn.fit(model, DataLoader(data, 5, shuffle=False, drop_last=True), lr=0.0001, num_iterations=1,
                   print_cost=False)
    J1 = nn.binary_cross_entropy(before(data.X[:, :5]), data.Y[:, :5]).item()
    # the second batch is seen after one tiny step: its cost is close to the untrained one
    J2 = nn.binary_cross_entropy(before(data.X[:, 5:10]), data.Y[:, 5:10]).item()
    assert costs[0] == pytest.approx((J1 + J2) / 2, rel=1e-3)


class Squares:
    """A dataset of the user's: x in [0, 1], y = x^2."""

    def __len__(self):
        return 40

    def __getitem__(self, i):
        x = i / 40
        return np.array([x]), np.array([x * x])


def test_fit_trains_on_a_users_dataset_with_mse():
    model = nn.MLP([1, 8, 1], hidden="tanh", output="identity", rng=0)
    costs = nn.fit(model, DataLoader(Squares(), 8, rng=0), loss="mse", lr=0.1, num_iterations=200,
                   print_cost=False)
    assert costs[-1] < costs[0] / 5


def test_spiral_trains_as_in_the_book():
    data = nn.datasets.spiral()
    model = nn.MLP([2, 10, 3], hidden="sigmoid", output="identity", rng=0)
    nn.fit(model, DataLoader(data, 30, rng=0), loss="cross_entropy", lr=1.0, num_iterations=100, print_cost=False)
    assert nn.accuracy(model, data.X, data.Y) > 0.8


@pytest.mark.parametrize("kwargs, message", [
    ({"Y": np.zeros((1, 22))}, "leave Y out"),
    ({"batch_size": 4}, "leave batch_size out"),
    ({"seed": 1}, "leave seed out"),
])
def test_options_the_loader_holds_are_refused(kwargs, message):
    with pytest.raises(TypeError, match=message):
        nn.fit(nn.MLP([3, 4, 1], rng=0), DataLoader(small(), 4), num_iterations=1, **kwargs)


def test_a_loader_whose_batches_do_not_fit_the_model_is_refused_before_training():
    model = nn.MLP([5, 4, 1], rng=0)
    W1 = model.state_dict()["W1"].copy()
    with pytest.raises(ValueError, match="X has 3 rows"):
        nn.fit(model, DataLoader(small(), 4), num_iterations=1, print_cost=False)
    np.testing.assert_array_equal(model.state_dict()["W1"], W1)
