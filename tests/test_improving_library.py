"""The library options the sequel's experiments need, each against the course's own formula.

``Dropout(reseed=...)``, ``SGD(dampening=...)``, Adam's update, ``InverseTimeDecay(delay=...)``,
``fit(scheduler=...)`` and the full-batch cost ``fit`` reports. The course's formulas are
written out here as its notebooks write them, in NumPy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor

# --- Dropout(reseed) ---------------------------------------------------------------------------


def course_dropout_masks(shapes, keep_prob):
    """forward_propagation_with_dropout: np.random.seed(1), then D1, D2 from the one stream."""
    np.random.seed(1)
    return [np.random.rand(*shape) < keep_prob for shape in shapes]


def two_dropouts(keep_prob=0.86):
    masks = np.random.RandomState(1)
    return (nn.Dropout(keep_prob=keep_prob, rng=masks, reseed=1), nn.Dropout(keep_prob=keep_prob, rng=masks))


def test_reseeded_dropout_draws_the_courses_masks_every_pass():
    first, second = two_dropouts()
    A1, A2 = np.random.RandomState(0).rand(20, 211) + 0.1, np.random.RandomState(1).rand(3, 211) + 0.1
    D1, D2 = course_dropout_masks([A1.shape, A2.shape], 0.86)
    for _ in range(3):  # the same masks in every pass
        out1, out2 = first(A1), second(A2)
        np.testing.assert_array_equal(out1.data, A1 * D1 / 0.86)  # bit for bit: mask, then divide
        np.testing.assert_array_equal(out2.data, A2 * D2 / 0.86)


def test_dropout_without_reseed_draws_new_masks():
    layer = nn.Dropout(keep_prob=0.5, rng=0)
    A = np.ones((10, 50))
    assert not np.array_equal(layer(A).data, layer(A).data)


def test_reseeded_dropout_is_off_in_eval_mode():
    first, _ = two_dropouts()
    first.eval()
    A = np.ones((4, 5))
    np.testing.assert_array_equal(first(A).data, A)


def test_dropout_gradient_is_the_courses_masked_gradient():
    first, _ = two_dropouts()
    A = Tensor(np.random.RandomState(2).rand(20, 30), requires_grad=True)
    first(A).sum().backward()
    (D,) = course_dropout_masks([(20, 30)], 0.86)
    np.testing.assert_array_equal(A.grad.data, np.ones((20, 30)) * D / 0.86)


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.Dropout(keep_prob=0.5, reseed=-1), ValueError,
     "Dropout: reseed must be an int in [0, 4294967295] or None"),
    (lambda: nn.Dropout(keep_prob=0.5, reseed=1.5), TypeError, "Dropout: reseed must be an int"),
    (lambda: nn.Dropout(keep_prob=0.5, reseed=True), TypeError, "Dropout: reseed must be an int"),
    (lambda: nn.Dropout(keep_prob=0.5, rng=np.random.default_rng(0), reseed=1), TypeError, "RandomState"),
])
def test_dropout_reseed_refuses_bad_values(make, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        make()


# --- SGD(dampening) and Adam -------------------------------------------------------------------

GRADIENTS = [np.random.RandomState(k).randn(3, 2) for k in range(4)]


def run_optimizer(opt, p):
    for g in GRADIENTS:
        p.grad = Tensor(g.copy())
        opt.step()
    return p.data


def test_sgd_with_dampening_is_the_courses_momentum():
    W0 = np.random.RandomState(9).randn(3, 2)
    beta, lr = 0.9, 0.0007
    W, v = W0.copy(), np.zeros_like(W0)  # initialize_velocity
    for dW in GRADIENTS:  # update_parameters_with_momentum
        v = beta * v + (1 - beta) * dW
        W = W - lr * v
    p = Tensor(W0.copy(), requires_grad=True)
    np.testing.assert_array_equal(run_optimizer(nn.optim.SGD([p], lr, momentum=beta, dampening=beta), p), W)


def test_sgd_without_dampening_keeps_pytorchs_form():
    W0 = np.random.RandomState(9).randn(3, 2)
    W, v = W0.copy(), None
    for dW in GRADIENTS:  # torch.optim.SGD(momentum=0.9): v = dW first, then v = 0.9 v + dW
        v = dW.copy() if v is None else 0.9 * v + dW
        W = W - 0.1 * v
    p = Tensor(W0.copy(), requires_grad=True)
    np.testing.assert_allclose(run_optimizer(nn.optim.SGD([p], 0.1, momentum=0.9), p), W, rtol=1e-15)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"momentum": 0.9, "dampening": 1.5}, ValueError, r"SGD: dampening must be in \[0, 1\], got 1.5"),
    ({"momentum": 0.9, "dampening": -0.1}, ValueError, "SGD: dampening must be in"),
    ({"momentum": 0.9, "dampening": "0.9"}, TypeError, "SGD: dampening"),
    ({"dampening": 0.9}, ValueError, "only acts with momentum > 0"),
])
def test_sgd_dampening_refuses_bad_values(kwargs, error, message):
    with pytest.raises(error, match=message):
        nn.optim.SGD([Tensor(np.zeros((2, 2)), requires_grad=True)], 0.1, **kwargs)


def test_adam_is_the_courses_update():
    W0 = np.random.RandomState(9).randn(3, 2)
    lr, beta1, beta2, epsilon = 0.0007, 0.9, 0.999, 1e-8
    W, v, s = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t, dW in enumerate(GRADIENTS, start=1):  # update_parameters_with_adam
        v = beta1 * v + (1 - beta1) * dW
        v_corrected = v / (1 - np.power(beta1, t))
        s = beta2 * s + (1 - beta2) * np.power(dW, 2)
        s_corrected = s / (1 - np.power(beta2, t))
        W = W - lr * v_corrected / (np.sqrt(s_corrected) + epsilon)
    p = Tensor(W0.copy(), requires_grad=True)
    np.testing.assert_array_equal(run_optimizer(nn.optim.Adam([p], lr, beta1, beta2, epsilon), p), W)


# --- InverseTimeDecay(delay) and fit(scheduler) ------------------------------------------------


def course_rate(lr0, epoch_num, decay_rate, time_interval):
    """schedule_lr_decay (update_lr is time_interval 1): the rate the course sets after epoch ``epoch_num``."""
    return 1 / (1 + decay_rate * np.floor(epoch_num / time_interval)) * lr0


@pytest.mark.parametrize("time_interval", [1, 1000])
def test_inverse_time_decay_with_delay_follows_the_course(time_interval):
    opt = nn.optim.SGD([Tensor(np.zeros(1), requires_grad=True)], 0.1)
    decay = nn.optim.InverseTimeDecay(opt, 1.0, time_interval, delay=1)
    for i in range(3005):  # after epoch i the course sets the rate from i
        assert decay.step() == pytest.approx(course_rate(0.1, i, 1.0, time_interval), rel=1e-15)


def test_inverse_time_decay_without_delay_is_unchanged():
    opt = nn.optim.SGD([Tensor(np.zeros(1), requires_grad=True)], 0.1)
    decay = nn.optim.InverseTimeDecay(opt, 1.0, 2)
    assert [decay.step() for _ in range(4)] == [0.1, 0.05, 0.05, 0.1 / 3]


@pytest.mark.parametrize("delay, error", [(-1, ValueError), (1.0, TypeError), (None, TypeError)])
def test_inverse_time_decay_refuses_a_bad_delay(delay, error):
    opt = nn.optim.SGD([Tensor(np.zeros(1), requires_grad=True)], 0.1)
    with pytest.raises(error, match="InverseTimeDecay: delay must be an int >= 0"):
        nn.optim.InverseTimeDecay(opt, 1.0, delay=delay)


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
