"""Every nn.optim optimiser and option against torch.optim: the same parameters and the same gradients for several
steps (a fresh gradient each step, so the optimisers' state is exercised), then every parameter compared;
and the ClipGrad hook against torch.nn.utils.clip_grad_norm_."""

import numpy as np
import pytest
from _shared import torch_or_skip

import nn
from tinygrad_nb import Tensor

torch = torch_or_skip()

SHAPES = [(3, 2), (3, 1)]  # W[1] (n[1], n[0]) and b[1] (n[1], 1)
STEPS = 6


def gradients(seed: int = 0) -> list[list[np.ndarray]]:
    """STEPS rounds of one gradient per parameter, of varied scales (so an eps or a decay is visible)."""
    rng = np.random.RandomState(seed)
    return [[rng.randn(*s) * 10.0 ** rng.uniform(-2, 1) for s in SHAPES] for _ in range(STEPS)]


def run_both(ours, theirs, *, lrs=None, seed=0):
    """Step nn's optimiser and torch's on the same start and gradients; ``lrs`` sets the rate before each step."""
    rng = np.random.RandomState(seed + 100)
    start = [rng.randn(*s) for s in SHAPES]
    ps = [Tensor(w.copy(), requires_grad=True) for w in start]
    ts = [torch.tensor(w.copy(), requires_grad=True) for w in start]
    opt, opt_t = ours(ps), theirs(ts)
    for k, grads in enumerate(gradients(seed)):
        if lrs is not None:
            opt.lr = lrs[k]
            for group in opt_t.param_groups:
                group["lr"] = lrs[k]
        for p, t, g in zip(ps, ts, grads):
            p.grad = Tensor(g.copy())
            t.grad = torch.tensor(g.copy())
        opt.step()
        opt_t.step()
    return [p.data for p in ps], [t.detach().numpy() for t in ts]


def assert_same(ours, theirs, rtol=1e-11):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-13)


O, T = nn.optim, torch.optim
# SGD with dampening > 0 is left out: its velocity starts at 0 (the course's), torch's at the first gradient
# (documented in SGD's docstring; tests/nn/training/test_optim.py checks it against the course's formula).
CASES = {
    "sgd": (lambda ps: O.SGD(ps, 0.1), lambda ts: T.SGD(ts, 0.1)),
    "sgd wd": (lambda ps: O.SGD(ps, 0.1, weight_decay=0.3), lambda ts: T.SGD(ts, 0.1, weight_decay=0.3)),
    "momentum wd": (lambda ps: O.SGD(ps, 0.05, momentum=0.9, weight_decay=0.2),
                    lambda ts: T.SGD(ts, 0.05, momentum=0.9, weight_decay=0.2)),
    "nesterov wd": (lambda ps: O.SGD(ps, 0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
                    lambda ts: T.SGD(ts, 0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    "rmsprop wd": (lambda ps: O.RMSprop(ps, 0.01, alpha=0.99, weight_decay=0.1),
                   lambda ts: T.RMSprop(ts, 0.01, alpha=0.99, eps=1e-8, weight_decay=0.1)),
    "adam wd": (lambda ps: O.Adam(ps, 0.01, betas=(0.8, 0.99), weight_decay=0.1),
                lambda ts: T.Adam(ts, 0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.1)),
    "adagrad defaults": (lambda ps: O.Adagrad(ps), lambda ts: T.Adagrad(ts)),
    "adagrad all options": (lambda ps: O.Adagrad(ps, 0.05, lr_decay=0.1, weight_decay=0.2,
                                                 initial_accumulator_value=0.3, eps=1e-3),
                            lambda ts: T.Adagrad(ts, 0.05, lr_decay=0.1, weight_decay=0.2,
                                                 initial_accumulator_value=0.3, eps=1e-3)),
    "adadelta defaults": (lambda ps: O.Adadelta(ps), lambda ts: T.Adadelta(ts)),
    "adadelta all options": (lambda ps: O.Adadelta(ps, lr=0.5, rho=0.7, eps=1e-4, weight_decay=0.2),
                             lambda ts: T.Adadelta(ts, lr=0.5, rho=0.7, eps=1e-4, weight_decay=0.2)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_as_torch_optim(case):
    ours, theirs = CASES[case]
    got, want = run_both(ours, theirs)
    assert_same(got, want)


@pytest.mark.parametrize("case", ["momentum wd", "adam wd", "adagrad all options", "adadelta all options"])
def test_a_learning_rate_changed_between_steps_is_torchs(case):
    ours, theirs = CASES[case]
    got, want = run_both(ours, theirs, lrs=[0.1, 0.05, 0.2, 0.01, 0.3, 0.07])
    assert_same(got, want)


def test_adams_weight_decay_is_l2_not_adamw():
    got, want = run_both(CASES["adam wd"][0], lambda ts: T.AdamW(ts, 0.01, betas=(0.8, 0.99), eps=1e-8,
                                                                 weight_decay=0.1))
    assert max(np.abs(a - b).max() for a, b in zip(got, want)) > 1e-4  # the two decays differ visibly


def test_clip_grad_hook_is_torchs_clip_grad_norm_before_each_step():
    def ours(ps):
        opt = O.SGD(ps, 0.1, momentum=0.9)
        opt.add_hook(O.ClipGrad(1.5))
        return opt

    class ClippedSGD(T.SGD):
        def step(self):
            torch.nn.utils.clip_grad_norm_(self.param_groups[0]["params"], 1.5)
            return super().step()

    got, want = run_both(ours, lambda ts: ClippedSGD(ts, 0.1, momentum=0.9))
    assert_same(got, want)


def test_weight_decay_hook_on_adam_is_torchs_adam_weight_decay():
    def ours(ps):
        opt = O.Adam(ps, 0.01)
        opt.add_hook(O.WeightDecay(0.3))
        return opt

    got, want = run_both(ours, lambda ts: T.Adam(ts, 0.01, weight_decay=0.3))
    assert_same(got, want)


def test_requires_grad_false_freezes_as_in_torch():
    """A parameter frozen before the optimiser is made: neither library moves it, nor counts it."""
    rng = np.random.RandomState(3)
    W, b, X = rng.randn(2, 3), rng.randn(2, 1), rng.randn(3, 5)
    pW, pb = Tensor(W.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True)
    tW, tb = torch.tensor(W.copy(), requires_grad=True), torch.tensor(b.copy(), requires_grad=True)
    pb.requires_grad_(False)
    tb.requires_grad_(False)
    opt, opt_t = O.Adam([pW, pb], 0.1), T.Adam([tW, tb], 0.1)
    for _ in range(3):
        opt.zero_grad()
        ((pW @ Tensor(X) + pb) ** 2).sum().backward()
        opt.step()
        opt_t.zero_grad()
        ((tW @ torch.tensor(X) + tb) ** 2).sum().backward()
        opt_t.step()
    assert_same([pW.data, pb.data], [tW.detach().numpy(), tb.detach().numpy()])
    np.testing.assert_array_equal(pb.data, b)
