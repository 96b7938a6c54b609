"""Autograd against the course's closed-form dZ, dW, db, dA: every relative difference <= 1e-10; the
closed-form check's relative difference and its floor."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import nn


@given(dims=st.lists(st.integers(1, 6), min_size=2, max_size=5), m=st.integers(1, 12),
       hidden=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]), seed=st.integers(0, 2**31 - 1))
def test_autograd_matches_closed_form_formulas(dims, m, hidden, seed):
    rng = np.random.RandomState(seed)
    model = nn.MLP(dims + [1], hidden=hidden, init="xavier", rng=rng, slope=0.05)
    X = rng.randn(dims[0], m)
    Y = (rng.rand(1, m) > 0.5).astype(np.float64)
    report = nn.check_against_closed_form(model, X, Y, verbose=False)
    L = len(dims)
    assert [name for name, _, _ in report.rows][:4] == [f"dZ{L}", f"dW{L}", f"db{L}", f"dA{L - 1}"]
    assert len(report.rows) == 4 * L
    assert report.max_difference <= 1e-10, str(report)


def test_report_prints_a_table_and_leaves_grads_alone(capsys):
    model = nn.MLP([3, 2, 1], rng=0)
    report = nn.check_against_closed_form(model, np.ones((3, 4)), np.array([[0, 1, 1, 0.0]]))
    out = capsys.readouterr().out
    assert "dW1" in out and "relative difference" in out and "dA0" in out
    assert all(p.grad is None for p in model.parameters())
    assert report.passed() and set(report.as_dict()) >= {"dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1", "dA0"}


def test_closed_form_backward_is_the_course_formula_on_a_hand_example():
    # one layer, one unit, m = 2: dZ = A - Y, dW = 1/m dZ X^T, db = mean(dZ)
    params = {"W1": np.array([[0.5, -1.0]]), "b1": np.array([[0.1]])}
    X, Y = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[1.0, 0.0]])
    AL, caches = nn.closed_form_forward(params, X, ["sigmoid"])
    grads = nn.closed_form_backward(AL, Y, caches, ["sigmoid"])
    Z = np.array([[0.6, 0.1]])
    A = 1 / (1 + np.exp(-Z))
    np.testing.assert_allclose(grads["dZ1"], A - Y)
    np.testing.assert_allclose(grads["dW1"], (A - Y) @ X.T / 2)
    np.testing.assert_allclose(grads["db1"], (A - Y).sum(axis=1, keepdims=True) / 2)
    np.testing.assert_allclose(grads["dA0"], params["W1"].T @ (A - Y))


def test_models_outside_the_closed_form_are_refused_clearly():
    with pytest.raises(ValueError, match="needs a sigmoid output"):
        nn.check_against_closed_form(nn.MLP([3, 2], output="identity"), np.ones((3, 2)), np.ones((1, 2)))
    with pytest.raises(TypeError, match="Sequential or MLP"):
        nn.check_against_closed_form(nn.Linear(3, 1), np.ones((3, 2)), np.ones((1, 2)))

# ----- 8. the closed-form comparison has a floor under its denominator ----------------------------


def cli_check_model(n_x, hidden_dims, m, seed, hidden="relu"):
    """What ``tinygrad-nb check`` builds, in the same order of draws."""
    rng = np.random.RandomState(seed)
    model = nn.MLP([n_x, *hidden_dims, 1], hidden=hidden, init="xavier", rng=rng)
    X = rng.randn(n_x, m)
    Y = (rng.rand(1, m) > 0.5).astype(np.float64)
    return model, X, Y


def test_the_issue_example_passes():
    # tinygrad-nb check --n-x 3 --hidden-dims 1,1 --m 12 --seed 100: db3 is 0 against ~1e-17
    report = nn.check_against_closed_form(*cli_check_model(3, [1, 1], 12, 100), verbose=False)
    assert report.passed(), str(report)


@given(n_x=st.integers(1, 4), hidden_dims=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       m=st.integers(1, 16), seed=st.integers(0, 2**31 - 1),
       hidden=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]))
@example(n_x=3, hidden_dims=[1, 1], m=12, seed=100, hidden="relu")
@example(n_x=3, hidden_dims=[1, 1, 1], m=12, seed=100, hidden="relu")
def test_a_correct_engine_passes_with_tiny_hidden_layers(n_x, hidden_dims, m, seed, hidden):
    report = nn.check_against_closed_form(*cli_check_model(n_x, hidden_dims, m, seed, hidden), verbose=False)
    assert report.passed(), str(report)


def test_relative_difference_formula():
    relative_difference = nn.training.reference.relative_difference
    assert relative_difference(np.zeros(3), np.full(3, 1e-17)) == pytest.approx(np.sqrt(3) * 1e-17 / 1e-4)
    assert relative_difference(np.zeros(2), np.zeros(2)) == 0.0
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-6])  # norms >= 1e-4: the course's metric
    assert relative_difference(a, b) == pytest.approx(1e-6 / (5 + np.linalg.norm(b)), rel=1e-6)
    assert relative_difference(np.array([1e-3]), np.array([0.0])) == pytest.approx(1.0)  # a real miss still fails


def test_the_floor_still_catches_a_wrong_derivative(monkeypatch):
    model, X, Y = cli_check_model(3, [1, 1], 12, 7, hidden="tanh")
    assert nn.check_against_closed_form(model, X, Y, verbose=False).passed()
    monkeypatch.setitem(nn.training.reference.G_PRIME, "tanh", lambda Z, s: 1 - np.tanh(Z))  # should be 1 - tanh^2
    report = nn.check_against_closed_form(model, X, Y, verbose=False)
    assert not report.passed() and report.max_difference > 1e-3
