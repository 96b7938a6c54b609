"""fit, predict, accuracy; the course's printed line; mini-batches; bad data."""

import numpy as np
import pytest

import nn


def test_fit_prints_the_courses_line_and_lowers_the_cost(capsys):
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], hidden="tanh", init="small_random", rng=2)
    costs = nn.fit(model, data.X, data.Y, lr=1.2, num_iterations=1001, print_every=500)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Cost after iteration 0: 0.69") and out[-1].startswith("Cost after iteration 1000: ")
    assert len(costs) == 3 and costs[-1] < costs[0] - 0.2
    assert nn.accuracy(model, data.X, data.Y) > 0.8


def test_mini_batch_epochs_are_seeded(capsys):
    data = nn.datasets.planar(m=100)
    runs = []
    for _ in range(2):
        model = nn.MLP([2, 3, 1], hidden="tanh", rng=0)
        runs.append(nn.fit(model, data.X, data.Y, num_iterations=5, batch_size=32, seed=3,
                           print_every=1, optimizer=nn.optim.Adam(model.parameters(), lr=0.05)))
    assert runs[0] == runs[1] and len(runs[0]) == 5
    assert "Cost after epoch 4" in capsys.readouterr().out


def test_l2_regularisation_adds_the_course_term():
    X, Y = np.ones((2, 4)), np.array([[1.0, 0.0, 1.0, 0.0]])
    plain = nn.MLP([2, 1], init="zeros")
    model = nn.MLP([2, 1], init="zeros")
    model.load_state_dict({"W1": np.array([[1.0, 2.0]]), "b1": np.zeros((1, 1))})
    plain.load_state_dict(model.state_dict())
    c_plain = nn.fit(plain, X, Y, num_iterations=1, print_cost=False)[0]
    c_l2 = nn.fit(model, X, Y, num_iterations=1, lambd=0.8, print_cost=False)[0]
    assert c_l2 - c_plain == pytest.approx(0.8 / (2 * 4) * 5)


def test_predict_and_accuracy():
    model = nn.MLP([1, 1], init="zeros")
    model.load_state_dict({"W1": np.array([[1.0]]), "b1": np.zeros((1, 1))})
    X = np.array([[-2.0, -1.0, 1.0, 3.0]])
    np.testing.assert_array_equal(nn.predict(model, X), [[0, 0, 1, 1]])
    assert nn.accuracy(model, X, np.array([[0, 1, 1, 1]])) == 0.75
    softmax = nn.MLP([2, 3], output="softmax", init="zeros")
    softmax.load_state_dict({"W1": np.eye(3, 2), "b1": np.zeros((3, 1))})
    np.testing.assert_array_equal(nn.predict(softmax, np.array([[5.0, 0.0], [0.0, 5.0]])), [[0, 1]])


def test_digits_train_to_a_useful_accuracy():
    split = nn.datasets.digits()
    model = nn.MLP([64, 16, 1], rng=1)
    nn.fit(model, split.train.X, split.train.Y, lr=0.1, num_iterations=300, print_cost=False)
    assert nn.accuracy(model, split.test.X, split.test.Y) > 0.9


@pytest.mark.parametrize("X, Y, message", [
    (np.ones((2, 0)), np.ones((1, 0)), "no examples"),
    (np.ones((2, 5)), np.ones((1, 4)), "m = 5 examples .* but Y has 4"),
    (np.ones(5), np.ones((1, 5)), "must be 2-D"),
    ([[1.0]], np.ones((1, 1)), "X must be a numpy array"),
    (np.array([[np.nan, 1.0], [1.0, 1.0]]), np.ones((1, 2)), "NaN or Inf"),
])
def test_bad_data_is_refused_at_fit(X, Y, message):
    model = nn.MLP([2, 1])
    with pytest.raises((ValueError, TypeError), match=message):
        nn.fit(model, X, Y, num_iterations=1)


def test_bad_training_arguments():
    model, X, Y = nn.MLP([2, 1]), np.ones((2, 3)), np.ones((1, 3))
    with pytest.raises(ValueError, match="lr must be positive"):
        nn.fit(model, X, Y, lr=0.0)
    with pytest.raises(ValueError, match="batch_size"):
        nn.fit(model, X, Y, batch_size=0)
    with pytest.raises(ValueError, match="unknown loss"):
        nn.fit(model, X, Y, loss="hinge")


def test_fit_fills_a_history_of_costs_and_gradient_norms():
    rng = np.random.RandomState(0)
    X, Y = rng.randn(2, 20), (rng.rand(1, 20) > 0.5).astype(float)
    model = nn.MLP([2, 3, 1], rng=1)
    history = {"stale": 1}
    costs = nn.fit(model, X, Y, num_iterations=7, print_cost=False, record_every=3, history=history)
    assert "stale" not in history and history["iterations"] == [0, 3, 6] and history["costs"] == costs
    assert sorted(history["grad_norms"]) == ["dW1", "dW2"] and len(history["grad_norms"]["dW1"]) == 3
    assert history["grad_norms"]["dW2"][-1] == float(np.linalg.norm(model.parameters()[2].grad.data))
