"""Issue 9, defects 8 and 9: the closed-form check on a correct engine passes when a gradient
is exactly 0 on one side and 1e-17 on the other; cross-entropy is finite when a class that
is not the label has probability 0; the logits path for several classes."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import nn
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match

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


# ----- 9. cross-entropy with -inf in a class that is not the label ------------------------------


def test_cross_entropy_of_log_probabilities_with_a_zero_probability_is_finite():
    with np.errstate(divide="ignore"):
        log_p = np.log(np.array([[0.0, 0.5], [1.0, 0.5]]))  # column 0: class 0 has probability 0
    Z = Tensor(log_p, requires_grad=True)
    J = nn.cross_entropy(Z, np.array([[1, 0]]))
    J.backward()
    assert J.item() == pytest.approx(-(np.log(1.0) + np.log(0.5)) / 2)
    softmax = np.array([[0.0, 0.5], [1.0, 0.5]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(Z.grad.data, (softmax - Y) / 2)  # dZ[L] / m = (A - Y) / m
    assert np.isfinite(Z.grad.data).all()


def test_cross_entropy_with_one_hot_and_minus_inf_logits():
    Z = Tensor(np.array([[-np.inf, 2.0, 0.0], [0.0, -np.inf, 1.0], [1.0, 0.0, -np.inf]]), requires_grad=True)
    Y = np.eye(3)[[1, 0, 1]].T  # labels 1, 0, 1: no label sits on a -inf
    J = nn.cross_entropy(Z, Y)
    J.backward()
    with np.errstate(divide="ignore"):
        e = np.exp(Z.data)
    softmax = e / e.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = -np.sum(np.where(Y == 1, np.log(softmax), 0.0)) / 3
    assert np.isfinite(J.item()) and J.item() == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(Z.grad.data, (softmax - Y) / 3, atol=1e-15)


def test_cross_entropy_accepts_class_probabilities_as_targets():
    rng = np.random.RandomState(3)
    Z = Tensor(rng.randn(4, 5), requires_grad=True)
    Y = rng.dirichlet(np.ones(4), size=5).T  # each column sums to 1
    softmax = np.exp(Z.data) / np.exp(Z.data).sum(axis=0)
    assert nn.cross_entropy(Z, Y).item() == pytest.approx(-np.sum(Y * np.log(softmax)) / 5, rel=1e-12)
    assert_gradients_match(lambda Z: nn.cross_entropy(Z, Y), Z)


# ----- the logits path for several classes -------------------------------------------------------------


def test_cross_entropy_from_logits_has_the_closed_form_gradient_and_survives_huge_logits():
    Z = Tensor(np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 0.0], [-1e4, 0.0, 0.0]]), requires_grad=True)
    labels = np.array([[0, 0, 2]])
    J = nn.cross_entropy(Z, labels)
    J.backward()
    # column 0 is right and certain (cost 0), column 1 is wrong by 2e4, column 2 is uniform (log 3)
    assert J.item() == pytest.approx((0 + 2e4 + np.log(3)) / 3)
    softmax = np.array([[1.0, 0.0, 1 / 3], [0.0, 1.0, 1 / 3], [0.0, 0.0, 1 / 3]])
    Y = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(Z.grad.data, (softmax - Y) / 3, atol=1e-15)


def test_a_multiclass_model_trains_on_logits_with_cross_entropy():
    rng = np.random.RandomState(0)
    centres = np.array([[3.0, 0.0, -3.0], [0.0, 3.0, 0.0]])
    labels = rng.randint(0, 3, size=(1, 90))
    X = centres[:, labels[0]] + rng.randn(2, 90) * 0.5
    model = nn.MLP([2, 8, 3], hidden="tanh", output="identity", rng=1)
    costs = nn.fit(model, X, labels, loss="cross_entropy", lr=0.5, num_iterations=200, print_every=199,
                   print_cost=False)
    assert np.isfinite(costs).all() and costs[-1] < costs[0] / 4
    assert nn.accuracy(model, X, labels) > 0.95
