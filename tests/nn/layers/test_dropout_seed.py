"""Dropout's default masks come from NumPy's global generator (issue 26): the course's np.random.rand masks under
np.random.seed, the same masks in a jitted step as in the eager one, and in fit's default (jitted) training."""

import copy
import sys

import numpy as np

import nn
from tinygrad_nb import Tensor, jit


def test_default_masks_are_the_courses_np_random_rand_masks():
    A = np.random.RandomState(0).randn(4, 6) + 3.0  # no zero entries: the mask shows in the output
    np.random.seed(2)
    out = nn.Dropout(keep_prob=0.7)(A).data
    np.random.seed(2)
    D = np.random.rand(*A.shape) < 0.7  # the course's forward_propagation_with_dropout
    np.testing.assert_array_equal(out, A * D / 0.7)


def test_a_copied_layer_still_follows_the_global_seed():
    layer = copy.deepcopy(nn.Dropout(keep_prob=0.5))
    A = np.ones((3, 5))
    np.random.seed(9)
    first = layer(A).data
    np.random.seed(9)
    np.testing.assert_array_equal(layer(A).data, first)


def test_mlp_dropout_masks_follow_the_weights_in_the_global_stream():
    np.random.seed(4)
    model = nn.MLP([3, 5, 1], keep_prob=0.6)
    X = np.random.RandomState(1).randn(3, 7)
    out = model(X).data
    np.random.seed(4)
    W1 = np.random.randn(5, 3) / np.sqrt(3)
    W2 = np.random.randn(1, 5) / np.sqrt(5)
    D1 = np.random.rand(5, 7) < 0.6
    A1 = np.maximum(W1 @ X, 0) * D1 / 0.6
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-(W2 @ A1))), rtol=1e-12)


class _PythonRuns:
    """Counts the runs of a function's own Python (a replay of a jitted function runs none)."""

    def __init__(self, code):
        self.code, self.count = code, 0

    def _profile(self, frame, event, arg):
        if event == "call" and frame.f_code is self.code:
            self.count += 1

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)


def _model_and_step(keep_prob=0.6):
    np.random.seed(11)
    model = nn.MLP([4, 6, 5, 1], keep_prob=keep_prob)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)

    def step(X, Y):
        J = nn.binary_cross_entropy(model(Tensor(X)), Y)
        opt.zero_grad()
        J.backward()
        opt.step()
        return J

    return model, step


def test_jitted_step_draws_the_eager_masks_under_the_same_seed():
    eager_model, eager_step = _model_and_step()
    jit_model, plain = _model_and_step()
    jitted = jit(plain)
    rng = np.random.RandomState(0)
    runs = _PythonRuns(plain.__code__)
    for k in range(8):
        X = rng.randn(4, 10)
        Y = (rng.rand(1, 10) > 0.5).astype(float)
        np.random.seed(100 + k)
        e = eager_step(X, Y).item()
        np.random.seed(100 + k)
        with runs:
            j = jitted(X, Y).item()
        assert e == j
        for key, value in eager_model.state_dict().items():
            np.testing.assert_array_equal(jit_model.state_dict()[key], value)
    assert runs.count <= 2  # recorded, then replayed: the masks were drawn by the replays, not by Python


def test_fit_default_jit_equals_eager_with_dropout_under_np_random_seed():
    X = np.random.RandomState(0).randn(4, 30)
    Y = (X[:1] + X[1:2] > 0).astype(float)
    results = []
    for jit_option in (False, True, None):
        np.random.seed(3)
        model = nn.MLP([4, 6, 5, 1], keep_prob=0.7)
        costs = nn.fit(model, X, Y, lr=0.1, num_iterations=40, print_cost=False, jit=jit_option)
        results.append((list(costs), model.state_dict()))
    eager_costs, eager_state = results[0]
    assert eager_costs[0] != eager_costs[-1]  # it trained
    for costs, state in results[1:]:
        assert costs == eager_costs
        for key, value in eager_state.items():
            np.testing.assert_array_equal(state[key], value)


def test_reseed_with_the_global_generator_is_the_courses_seed_then_masks():
    A = np.ones((3, 4))
    layer = nn.Dropout(keep_prob=0.5, reseed=1)
    np.random.seed(1)
    D = np.random.rand(3, 4) < 0.5
    np.testing.assert_array_equal(layer(A).data, A * D / 0.5)
    np.testing.assert_array_equal(layer(A).data, A * D / 0.5)  # re-seeded each pass
