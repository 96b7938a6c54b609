"""Optimisers against their update formulas written out (the course's and PyTorch's forms, torch itself
where installed), param_groups, the learning-rate schedules; parameters listed twice are refused."""

import numpy as np
import pytest
from _shared import torch_or_skip

import nn
from nn import optim
from tinygrad_nb import Tensor


def param(values, grad):
    p = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    p.grad = Tensor(np.array(grad, dtype=np.float64))
    return p


def test_sgd_is_gradient_descent():
    p = param([1.0, 2.0], [0.5, -1.0])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1])


def test_sgd_momentum_pytorch_form():
    p = param([0.0], [1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    opt.step()  # v1 = 1, v2 = 0.9 + 1 = 1.9
    np.testing.assert_allclose(p.data, [-(0.1 * 1 + 0.1 * 1.9)])


def test_rmsprop_formula():
    p = param([1.0], [2.0])
    optim.RMSprop([p], lr=0.01, beta=0.9, eps=1e-8).step()
    s = 0.1 * 4.0
    np.testing.assert_allclose(p.data, [1.0 - 0.01 * 2.0 / (np.sqrt(s) + 1e-8)])


def test_adam_bias_correction():
    p = param([1.0, 1.0], [3.0, -0.5])
    opt = optim.Adam([p], lr=0.1)
    opt.step()  # first step: v_hat = g, s_hat = g^2, so the step is lr * sign(g)
    np.testing.assert_allclose(p.data, [0.9, 1.1], rtol=1e-7)
    after_first = p.data.copy()
    p.grad = Tensor(np.array([1.0, 1.0]))
    opt.step()
    v = 0.9 * 0.1 * np.array([3.0, -0.5]) + 0.1 * 1.0
    s = 0.999 * 0.001 * np.array([9.0, 0.25]) + 0.001 * 1.0
    expected = after_first - 0.1 * (v / (1 - 0.81)) / (np.sqrt(s / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(p.data, expected, rtol=1e-10)


def test_zero_grad_and_parameters_without_grad_are_skipped():
    p, q = param([1.0], [1.0]), Tensor(np.array([5.0]), requires_grad=True)
    opt = optim.SGD([p, q], lr=1.0)
    opt.step()
    assert q.data[0] == 5.0 and p.data[0] == 0.0
    opt.zero_grad()
    assert p.grad is None


def test_inverse_time_decay():
    opt = optim.SGD([param([0.0], [0.0])], lr=0.5)
    decay = optim.InverseTimeDecay(opt, decay_rate=1.0, time_interval=2)
    assert [decay.step() for _ in range(4)] == [0.5, 0.25, 0.25, 0.5 / 3]


@pytest.mark.parametrize("lr, error", [(0.0, ValueError), (-0.1, ValueError), (float("nan"), ValueError),
                                       ("0.1", TypeError), (True, TypeError), (None, TypeError)])
def test_learning_rate_must_be_positive(lr, error):
    with pytest.raises(error, match="lr must be"):
        optim.SGD([param([0.0], [0.0])], lr=lr)


def test_bad_params():
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])
    with pytest.raises(TypeError, match="requires_grad=True"):
        optim.SGD([Tensor([1.0])], lr=0.1)


def test_an_sgd_subclass_with_its_own_update_rule_is_used():
    class DecayedSGD(optim.SGD):
        """Weight decay written the way a user would: a rule of its own, on top of SGD's."""

        def update(self, i, p, g):
            super().update(i, p, g + 0.1 * p.data)

    w = Tensor(np.ones(3), requires_grad=True)
    opt = DecayedSGD([w], lr=1.0)
    w.grad = Tensor(np.zeros(3))
    opt.step()
    np.testing.assert_allclose(w.data, np.full(3, 0.9))  # w - lr (0 + 0.1 w), not SGD's own w - lr * 0


@pytest.mark.parametrize("make", [lambda p: nn.optim.SGD([p, p], lr=0.1),
                                  lambda p: nn.optim.SGD([p, p], lr=0.1, momentum=0.9),
                                  lambda p: nn.optim.Adam([p, p]),
                                  lambda p: nn.optim.RMSprop([p, p])])
def test_optimisers_refuse_a_parameter_listed_twice(make):
    p = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"appear more than once \(parameter 1 is parameter 0\)"):
        make(p)


def test_optimisers_refuse_a_model_or_a_tensor_instead_of_a_list():
    model = nn.MLP([2, 1])
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        nn.optim.SGD(model, lr=0.1)
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        nn.optim.Adam(model.parameters()[0])


def _steps(ours, theirs, n=5, seed=0):
    """Run our optimiser and torch's side by side on the same quadratic; return both parameters."""
    torch = torch_or_skip()
    rng = np.random.RandomState(seed)
    W0, T = rng.randn(3, 2), rng.randn(3, 2)
    p = Tensor(W0.copy(), requires_grad=True)
    pt = torch.tensor(W0.copy(), requires_grad=True)
    opt, opt_t = ours([p]), theirs([pt])
    for _ in range(n):
        opt.zero_grad()
        (((p - T) ** 2) * 0.5).sum().backward()
        opt.step()
        opt_t.zero_grad()
        (((pt - torch.tensor(T)) ** 2) * 0.5).sum().backward()
        opt_t.step()
    return p.data, pt.detach().numpy()


def test_rmsprop_takes_torch_alpha_and_then_steps_as_torch():
    torch = torch_or_skip()
    ours, theirs = _steps(lambda ps: nn.optim.RMSprop(ps, lr=0.01, alpha=0.99),
                          lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.99, eps=1e-8))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_rmsprop_names_its_smoothing_factor_once_and_keeps_the_course_default():
    p = Tensor(np.ones((2, 1)), requires_grad=True)
    assert nn.optim.RMSprop([p]).beta == 0.9
    assert nn.optim.RMSprop([p], alpha=0.99).beta == 0.99
    assert nn.optim.RMSprop([p], beta=0.8).beta == 0.8
    with pytest.raises(TypeError, match=r"RMSprop: got both beta=0.8 .* and alpha=0.99"):
        nn.optim.RMSprop([p], beta=0.8, alpha=0.99)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        nn.optim.RMSprop([p], alpha=1.0)


def test_adam_takes_torch_betas_and_then_steps_as_torch():
    torch = torch_or_skip()
    ours, theirs = _steps(lambda ps: nn.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99)),
                          lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-8))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    p = Tensor(np.ones((2, 1)), requires_grad=True)
    opt = nn.optim.Adam([p], betas=(0.8, 0.99))
    assert (opt.beta1, opt.beta2) == (0.8, 0.99)
    assert (nn.optim.Adam([p]).beta1, nn.optim.Adam([p]).beta2) == (0.9, 0.999)
    with pytest.raises(TypeError, match="give one spelling"):
        nn.optim.Adam([p], beta1=0.9, betas=(0.9, 0.999))
    with pytest.raises(TypeError, match=r"betas must be a pair"):
        nn.optim.Adam([p], betas=0.9)


# ----- param_groups and Parameter --------------------------------------------------------------

def test_param_groups_is_one_group_whose_lr_is_the_optimizer_lr():
    model = nn.MLP([2, 3, 1], rng=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups) == 1
    group = opt.param_groups[0]
    assert group["params"] == model.parameters() and group["lr"] == 0.1
    for g in opt.param_groups:  # what a PyTorch scheduler does
        g["lr"] = g["lr"] * 0.5
    assert opt.lr == 0.05
    opt.lr = 0.2
    assert opt.param_groups[0]["lr"] == 0.2
    nn.optim.InverseTimeDecay(opt, decay_rate=1.0).step()
    assert opt.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="lr must be positive"):
        opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(KeyError, match="make a new optimiser"):
        opt.param_groups[0]["params"] = []


def test_an_lr_set_through_param_groups_is_the_step_that_is_taken():
    p = Tensor(np.zeros((1, 1)), requires_grad=True)
    opt = nn.optim.SGD([p], lr=1.0)
    opt.param_groups[0]["lr"] = 0.25
    p.grad = Tensor(np.ones((1, 1)))
    opt.step()
    assert p.data[0, 0] == -0.25


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
