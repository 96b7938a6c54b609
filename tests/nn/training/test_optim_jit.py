"""A tinygrad_nb.jit-compiled training step with the new optimisers, weight_decay and the hooks equals the eager step
over several calls, with the learning rate changed, a layer frozen and a hook added between calls; and it replays
(its Python runs only when it records)."""

import sys

import numpy as np
import pytest

import nn
from tinygrad_nb import JitError, jit

O = nn.optim


def data(seed=0, m=24):
    rng = np.random.RandomState(seed)
    X = rng.randn(3, m)
    return X, (X[0:1] * X[1:2] > 0).astype(np.float64)


MAKERS = {
    "adagrad": lambda ps: O.Adagrad(ps, 0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
    "adadelta": lambda ps: O.Adadelta(ps, 1.0, rho=0.8, weight_decay=0.01),
    "sgd nesterov wd": lambda ps: O.SGD(ps, 0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "sgd wd": lambda ps: O.SGD(ps, 0.1, weight_decay=0.05),
    "rmsprop wd": lambda ps: O.RMSprop(ps, 0.01, weight_decay=0.01),
    "adam wd + hooks": lambda ps: O.Adam(ps, 0.01, weight_decay=0.01),
}


def setup(kind, hooks):
    model = nn.MLP([3, 4, 1], rng=1)
    opt = MAKERS[kind](model.parameters())
    if hooks:
        opt.add_hook(O.WeightDecay(0.02, params=[model.layers[0].W]))
        opt.add_hook(O.ClipGrad(0.3))

    def step(X, Y):
        opt.zero_grad()
        J = nn.binary_cross_entropy(model(X), Y)
        J.backward()
        opt.step()
        return J

    return model, opt, step


class Runs:
    """How many times ``fn``'s own Python ran (a replay does not run it): counted from outside, with setprofile."""

    def __init__(self, fn):
        self.code, self.count = fn.__code__, 0

    def __enter__(self):
        self.old = sys.getprofile()
        sys.setprofile(lambda frame, event, arg: self._see(frame, event))

    def _see(self, frame, event):
        if event == "call" and frame.f_code is self.code:
            self.count += 1

    def __exit__(self, *exc):
        sys.setprofile(self.old)


def between(k, model, opt):
    """What changes between calls: the rate (calls 3 and 6), a frozen layer (call 8), a hook added (call 10)."""
    if k in (3, 6):
        opt.lr = opt.lr * 0.5
    if k == 8:
        for p in model.layers[0].parameters():
            p.requires_grad_(False)
    if k == 10:
        opt.add_hook(O.FreezeParam(model.parameters()[-1]))  # b[L]


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_jitted_step_equals_eager_with_changes_between_calls(kind):
    hooks = kind.endswith("hooks") or kind in ("adagrad", "adadelta")
    model_e, opt_e, step_e = setup(kind, hooks)
    model_j, opt_j, plain = setup(kind, hooks)
    jitted, runs = jit(plain), Runs(plain)
    X, Y = data()
    n = 13
    for k in range(n):
        between(k, model_e, opt_e)
        between(k, model_j, opt_j)
        J_e = step_e(X, Y)
        with runs:
            J_j = jitted(X, Y)
        assert abs(J_e.item() - J_j.item()) <= 1e-12 * abs(J_e.item())
        for pe, pj in zip(model_e.parameters(), model_j.parameters()):
            np.testing.assert_allclose(pj.data, pe.data, rtol=1e-12, atol=1e-15)
    assert opt_j.lr == opt_e.lr == MAKERS[kind](model_e.parameters()).lr / 4
    assert runs.count <= 6  # it replayed: 4 recordings in 13 calls here (the first two, then after a freeze)
    frozen_start = setup(kind, hooks)[0]
    for p, p0 in zip(model_j.layers[0].parameters(), frozen_start.layers[0].parameters()):
        assert not np.array_equal(p.data, p0.data)  # trained before it was frozen ...
    state_at_freeze = [p.data.copy() for p in model_j.layers[0].parameters()]
    jitted(X, Y)
    for p, before in zip(model_j.layers[0].parameters(), state_at_freeze):
        np.testing.assert_array_equal(p.data, before)  # ... and not after


def test_adding_a_hook_inside_a_jitted_step_is_refused():
    model = nn.MLP([3, 1], rng=0)
    opt = O.SGD(model.parameters(), 0.1)

    @jit
    def step(X, Y):
        opt.zero_grad()
        nn.binary_cross_entropy(model(X), Y).backward()
        opt.add_hook(O.ClipGrad(1.0))  # a replay would skip it: the jit refuses rather than differ
        opt.step()

    X, Y = data()
    with pytest.raises(JitError):
        step(X, Y)
