"""fit, predict, accuracy; the course's printed line; mini-batches; bad data; the cost J per iteration or
epoch; schedulers stepped by fit; predict restores the model's train/eval modes."""

import math

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


# --- 3. the last cost ---------------------------------------------------------------------------------------


def test_the_last_iteration_is_recorded(capsys):
    data = nn.datasets.planar(m=40)
    history: dict = {}
    costs = nn.fit(nn.MLP([2, 3, 1], rng=0), data.X, data.Y, lr=0.5, num_iterations=250, history=history)
    printed = capsys.readouterr().out
    assert history["iterations"] == [0, 100, 200, 249] and len(costs) == 4 and history["costs"] == costs
    assert f"Cost after iteration 249: {costs[-1]}" in printed

# ----- 6. predict restores the mode the model had ----------------------------------------------


def test_predict_leaves_an_eval_model_in_eval_mode():
    model = nn.MLP([2, 3, 1], keep_prob=0.5, rng=0)
    model.eval()
    nn.predict(model, np.ones((2, 4)))
    assert not any(m.training for m in model.modules())
    X = np.random.RandomState(0).randn(2, 50)
    np.testing.assert_array_equal(model(X).data, model(X).data)  # dropout stayed off


def test_predict_leaves_a_training_model_in_training_mode():
    model = nn.MLP([2, 3, 1], keep_prob=0.5, rng=0)
    nn.predict(model, np.ones((2, 4)))
    assert all(m.training for m in model.modules())


def test_predict_restores_mixed_modes_even_when_the_forward_pass_fails():
    model = nn.MLP([2, 3, 1], keep_prob=0.5, rng=0)
    model.layers[2].eval()  # only the Dropout in eval mode
    before = [m.training for m in model.modules()]
    with pytest.raises(ValueError, match="expects X with 2 rows"):
        nn.predict(model, np.ones((5, 4)))
    assert [m.training for m in model.modules()] == before
    nn.accuracy(model, np.ones((2, 4)), np.ones((1, 4)))
    assert [m.training for m in model.modules()] == before


def data():
    rng = np.random.RandomState(0)
    X = rng.randn(2, 40)
    return X, (X[:1] > 0).astype(float)


def test_fit_steps_the_scheduler_and_prints_the_rate(capsys):
    X, Y = data()
    model = nn.MLP([2, 3, 1], rng=1)
    opt = nn.optim.SGD(model.parameters(), 0.1)
    nn.fit(model, X, Y, optimizer=opt, scheduler=nn.optim.InverseTimeDecay(opt, 1.0), num_iterations=3,
           print_every=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "learning rate after iteration 0: 0.05"
    assert lines[3] == f"learning rate after iteration 2: {0.1 / 4}"
    assert opt.lr == 0.1 / 4


def test_fit_refuses_a_scheduler_of_another_optimizer():
    X, Y = data()
    model = nn.MLP([2, 3, 1], rng=1)
    opt = nn.optim.SGD(model.parameters(), 0.1)
    other = nn.optim.SGD(nn.MLP([2, 3, 1], rng=1).parameters(), 0.1)
    for kwargs in ({"scheduler": nn.optim.InverseTimeDecay(opt, 1.0)},
                   {"optimizer": opt, "scheduler": nn.optim.InverseTimeDecay(other, 1.0)}):
        with pytest.raises(ValueError, match="scheduler must decay the optimizer fit steps"):
            nn.fit(model, X, Y, num_iterations=1, print_cost=False, **kwargs)
    with pytest.raises(TypeError, match="scheduler must be an nn.optim.InverseTimeDecay"):
        nn.fit(model, X, Y, optimizer=opt, scheduler=lambda: None, num_iterations=1, print_cost=False)


def test_full_batch_cost_is_J_itself():
    X, Y = data()
    model = nn.MLP([2, 3, 1], rng=1)
    J = nn.binary_cross_entropy(model(X), Y).item()
    assert nn.fit(model, X, Y, num_iterations=1, print_cost=False) == [J]  # not (J m) / m


def test_mini_batch_cost_is_the_epoch_total_over_m():
    X, Y = data()
    model = nn.MLP([2, 3, 1], rng=1)
    batches = [(X[:, perm], Y[:, perm]) for perm in np.split(np.random.RandomState(11).permutation(40), [16, 32])]
    ref = nn.MLP([2, 3, 1], rng=1)
    total = 0.0
    opt = nn.optim.SGD(ref.parameters(), 0.1)
    for xb, yb in batches:  # the course: cost_total += compute_cost (a sum), then cost_total / m
        J = nn.binary_cross_entropy(ref(xb), yb)
        total += J.item() * xb.shape[1]
        opt.zero_grad()
        J.backward()
        opt.step()
    (cost,) = nn.fit(model, X, Y, lr=0.1, batch_size=16, seed=11, num_iterations=1, print_cost=False)
    assert math.isclose(cost, total / 40, rel_tol=1e-15)
