"""The jit's contract, probed further (issue 21): cases four more hostile probes and a review found after the
guards of ``test_jit_reach.py`` were in place. Each must give the eager result on every call, or a JitError.

The oracle is ``tests/jit/_jit_programs.differential`` (the same step run eagerly on a deep copy, compared call by
call); the helpers come from ``test_jit_reach``.
"""

from __future__ import annotations

import copy
import random
import types

import numpy as np
import pytest
from _jit_programs import differential, training_step
from test_jit_reach import FIRST, SCALE, N, batch, eager_or_refused, make, same, state

import nn
from tinygrad_nb import GraphFreedError, JitError, Tensor, jit, side_effect


# ----- a third hostile probe -------------------------------------------------------------------------------
def test_a_users_dropout_loop_gets_fresh_masks_on_every_replay():
    def make_state():
        model = nn.MLP([2, 4, 1], hidden="relu", rng=1, keep_prob=0.9)
        return {"model": model, "opt": nn.optim.SGD(model.parameters(), 0.5)}
    out = differential(make, make_state(), lambda k: (batch(k, m=1), {}), 20, may_refuse=False)
    assert out.agreed == 20


def test_a_users_optimizer_overriding_step_without_side_effect_is_refused():
    class CountingSGD(nn.optim.SGD):
        def step(self):  # not marked @side_effect: a replay would skip this Python
            self.t = getattr(self, "t", 0) + 1
            super().step()

    def make_state():
        model = nn.MLP([2, 4, 1], rng=1)
        return {"model": model, "opt": CountingSGD(model.parameters(), 0.5)}
    out = differential(make, make_state(), same, N, may_refuse=True)
    assert out.refused is not None and "CountingSGD.t" in str(out.refused)


def test_a_hook_registered_after_recording_is_not_skipped():
    W = Tensor(np.ones((1, 2)), requires_grad=True)

    def step(X):
        (W @ X).sum().backward()
        return None
    jitted = jit(step)
    X = np.ones((2, 3))
    for _ in range(3):
        W.grad = None
        jitted(X)
    W.register_hook(lambda g: g * 0)  # freeze W
    W.grad = None
    with pytest.raises(JitError, match="hooks"):
        jitted(X)


class Net:
    def __init__(self):
        self.model = nn.MLP([2, 4, 1], rng=1)
        self.opt = nn.optim.SGD(self.model.parameters(), 0.5)

    @jit
    def step(self, X, Y):
        return training_step(self.model, self.opt)(X, Y)

    @jit
    @staticmethod
    def scaled(X):
        return Tensor(X).sum() * SCALE[0]


def test_jit_on_a_method_and_on_a_staticmethod():
    net, eager = Net(), Net()
    for _ in range(4):
        assert net.step(*FIRST).item() == pytest.approx(training_step(eager.model, eager.opt)(*FIRST).item(), rel=1e-12)
    X = np.ones((2, 3))
    try:
        for k in range(5):
            if k == 3:
                SCALE[0] = 2.0
            assert Net.scaled(X).item() == 6.0 * SCALE[0]
    finally:
        SCALE[0] = 1.0


def test_data_kept_in_an_outside_tensor_and_refilled_every_call_replays():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    data = Tensor(np.ones((2, 3)))  # the user's buffer, read through ops

    @jit
    def step():
        return (W @ data).sum()
    for k in range(1, 7):
        data.data[...] = k  # refilled in place
        assert step().item() == 6.0 * k
        data.data = np.full((2, 3), 2.0 * k)  # rebound
        assert step().item() == 12.0 * k


# ----- a fourth hostile probe ------------------------------------------------------------------------------
class LoggingTrainer:
    """A trainer with a logging side effect: what its effect writes is replayed, the rest of it guarded."""

    def __init__(self, s):
        self.model, self.opt, self.loss_fn, self.costs = s["model"], s["opt"], nn.binary_cross_entropy, []

    @side_effect
    def log(self, J):
        self.costs.append(J.item())

    def step(self, X, Y):
        self.opt.zero_grad()
        J = self.loss_fn(self.model(X), Y)
        self.log(J)
        J.backward()
        self.opt.step()
        return J


@pytest.mark.parametrize("change", ["model_and_optimizer", "loss"])
def test_a_trainer_with_a_side_effect_still_guards_what_its_step_reads(change):
    s, e = state(), state()
    trainer, eager = LoggingTrainer(s), LoggingTrainer(e)
    jitted = jit(trainer.step)
    for k in range(N):
        if k == 4:
            for t in (trainer, eager):
                if change == "loss":
                    t.loss_fn = nn.mse
                else:
                    t.model = nn.MLP([2, 3, 1], rng=7)
                    t.opt = nn.optim.SGD(t.model.parameters(), 0.5)
        assert jitted(*FIRST).item() == pytest.approx(eager.step(*FIRST).item(), rel=1e-12)
    assert trainer.costs == pytest.approx(eager.costs, rel=1e-12)


def test_the_learning_rate_read_by_the_step_s_python_is_guarded():
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y) * opt.lr  # the step's own Python reads lr
            J.backward()
            opt.step()
            return J
        return step

    def between(i, s, step):
        if i == 4:
            s["opt"].lr = 0.1
    eager_or_refused(differential(make, state(), same, N, may_refuse=True, between=between))


def test_jit_on_a_dataclass_trainer_s_method():
    import dataclasses

    @dataclasses.dataclass
    class Trainer:
        model: nn.Module
        opt: nn.optim.Optimizer

        @jit
        def step(self, X, Y):
            return training_step(self.model, self.opt)(X, Y)
    s = state()
    e = copy.deepcopy(s)
    trainer = Trainer(s["model"], s["opt"])
    for _ in range(4):
        assert trainer.step(*FIRST).item() == pytest.approx(training_step(e["model"], e["opt"])(*FIRST).item(),
                                                            rel=1e-12)


def test_a_replayed_result_has_eager_s_name_and_flags():
    s = state()
    e = copy.deepcopy(s)

    def step(X, Y):
        J = training_step(s["model"], s["opt"])(X, Y)
        J.name = "J"
        return J, s["model"].linears()[0].W
    jitted = jit(step)
    for _ in range(4):
        (J, W) = jitted(*FIRST)
        eager_J = training_step(e["model"], e["opt"])(*FIRST)
        assert J.name == "J" and J.requires_grad and W is s["model"].linears()[0].W
        assert J.item() == pytest.approx(eager_J.item(), rel=1e-12)
        with pytest.raises(GraphFreedError):
            J.backward()  # as eager: its graph was freed by the step's own backward
        with pytest.raises(GraphFreedError):
            eager_J.backward()


# ----- a second review ---------------------------------------------------------------------------------------
def test_a_value_read_from_an_outside_tensor_or_its_data_rebound_is_refused():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    scale = Tensor(np.array(3.0))  # outside the step
    buf = Tensor(np.zeros(3))
    with pytest.raises(JitError, match=r"item\(\) of a Tensor"):
        jit(lambda X: (W @ X).sum() * scale.item())(np.ones((2, 3)))

    def rebinds(X):
        buf.data = np.full(3, 2.0)  # a Python-made array into an outside tensor: a replay would skip it
        return (W @ X).sum() * buf.sum()
    with pytest.raises(JitError, match=r"\.data was set"):
        jit(rebinds)(np.ones((2, 3)))


def test_a_refused_layer_replacement_leaves_the_model_as_it_was():
    model = nn.MLP([2, 4, 1], rng=1)
    before = model.layers
    with pytest.raises(ValueError, match="do not chain"):
        model[-2] = nn.Linear(5, 1)
    assert model.layers is before and len(model) == len(before)


def test_a_side_effect_does_not_keep_the_recording_s_arguments():
    import gc
    import weakref

    W = Tensor(np.ones((1, 2)), requires_grad=True)
    seen, made = [], []

    @side_effect
    def log(A):
        seen.append(float(A.data.sum()))
        made.append(weakref.ref(A))

    def step(X):
        A = W @ X
        log(A)
        return A.sum()
    jitted = jit(step)
    for _ in range(3):
        jitted(np.ones((2, 3)))
    gc.collect()
    assert seen == [6.0] * 3
    assert [r() for r in made] == [None, None, None]  # the recordings' A (and the replay's): not held


def test_a_users_object_changed_only_in_what_the_step_never_reads_keeps_the_replay():
    class Trainer:
        def __init__(self, s):
            self.model, self.opt, self.history = s["model"], s["opt"], []

        def step(self, X, Y):
            return training_step(self.model, self.opt)(X, Y)
    s = state()
    trainer, eager = Trainer(s), Trainer(copy.deepcopy(s))
    jitted = jit(trainer.step)
    for _ in range(N):
        J = jitted(*FIRST)
        trainer.history.append(J.item())  # outside the step, never read by it
        eager.history.append(eager.step(*FIRST).item())
    assert trainer.history == pytest.approx(eager.history, rel=1e-12)
    assert sum(1 for _ in jitted.cache) == 1


# ----- a fifth hostile probe -------------------------------------------------------------------------------
def compute_loss(model, X, Y, cfg):
    """A helper named before the step's own globals: it reads cfg.l2, which the step itself never names."""
    W = model.linears()[0].W
    return nn.binary_cross_entropy(model(X), Y) + cfg.l2 * (W * W).sum()


CFG = types.SimpleNamespace(l2=0.0)


def test_an_attribute_read_only_in_a_helper_is_guarded_whatever_the_scan_order():
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            J = compute_loss(model, X, Y, CFG)
            J.backward()
            opt.step()
            return J
        return step

    def between(i, s, step):
        if i == 4:
            CFG.l2 = 5.0
    try:
        eager_or_refused(differential(make, state(), same, N, may_refuse=True, between=between))
    finally:
        CFG.l2 = 0.0


class Getter:
    lam = 0.0

    @classmethod
    def get(cls):
        return cls.lam


@pytest.mark.parametrize("how", ["classmethod", "getattr_with_a_literal"])
def test_class_state_read_through_a_classmethod_or_getattr_is_guarded(how):
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    read = Getter.get if how == "classmethod" else (lambda: getattr(Getter, "lam"))  # noqa: B009
    step = jit(lambda X: (W @ X).sum() * read())
    X = np.ones((2, 3))
    try:
        for k in range(5):
            if k == 3:
                Getter.lam = 2.0
            assert step(X).item() == 6.0 * Getter.lam
    finally:
        Getter.lam = 0.0


def test_a_write_into_a_large_container_inside_the_step_is_refused():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    ring = [0.0] * 100

    def step(X):
        J = (W @ X).sum()
        ring[0] = J  # into a container too large to compare on every call
        return J
    with pytest.raises(JitError, match="changed"):
        jit(step)(np.ones((2, 3)))


# ----- a sixth hostile probe -------------------------------------------------------------------------------
@pytest.mark.parametrize("read", ["get", "momentum"])
def test_optimizer_settings_read_by_the_step_s_python_are_guarded(read):
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            scale = opt.param_groups[0].get("lr") if read == "get" else 1.0 + opt.momentum
            J = nn.binary_cross_entropy(model(X), Y) * scale
            J.backward()
            opt.step()
            return J
        return step

    def between(i, s, step):
        if i == 3:
            if read == "get":
                s["opt"].param_groups[0]["lr"] = 2.0
            else:
                s["opt"].momentum = 0.5
    s = state()
    s["opt"] = nn.optim.SGD(s["model"].parameters(), 0.5, momentum=0.1)
    eager_or_refused(differential(make, s, same, N, may_refuse=True, between=between))


def test_a_python_random_instance_s_draws_are_refused():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    coin = random.Random(7)
    with pytest.raises(JitError, match="random"):
        jit(lambda X: (W @ X).sum() * (2.0 if coin.random() < 0.5 else 1.0))(np.ones((2, 3)))


def test_frozen_dataclass_statics_that_compare_equal_but_are_not_are_separate():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Cfg:
        sign: float

    W = Tensor(np.ones((1, 2)), requires_grad=True)
    step = jit(lambda X, cfg: (W @ X).sum() * np.copysign(1.0, cfg.sign))
    X = np.ones((2, 3))
    for sign in (0.0, 0.0, -0.0, -0.0, 0.0):
        assert step(X, Cfg(sign)).item() == 6.0 * np.copysign(1.0, sign)


@pytest.mark.parametrize("patch", ["method_on_the_object", "method_on_the_class", "loss_added_to_losses", "hook"])
def test_fit_s_default_runs_patched_nn_parts_eagerly(patch, monkeypatch):
    X, Y = np.random.RandomState(2).randn(2, 20), (np.random.RandomState(3).rand(1, 20) > 0.5).astype(float)
    calls = [0]

    def counting(Z):
        calls[0] += 1
        return Z.tanh() * (2.0 if calls[0] > 4 else 1.0)  # changes after 4 calls: a replay would not

    def run(jitted):
        calls[0] = 0
        model = nn.Sequential(nn.Linear(2, 4, rng=1), nn.Tanh(), nn.Linear(4, 1, rng=2), nn.Sigmoid())
        loss = "binary_cross_entropy"
        if patch == "method_on_the_object":
            model[1].g = counting
        elif patch == "hook":
            model[0].W.register_hook(lambda g: g * (2.0 if calls.__setitem__(0, calls[0] + 1) or calls[0] > 4
                                                    else 1.0))
        elif patch == "loss_added_to_losses":
            def counting_bce(A, Y):
                calls[0] += 1
                return nn.binary_cross_entropy(A, Y) * (2.0 if calls[0] > 4 else 1.0)
            monkeypatch.setitem(nn.training.losses.LOSSES, "counting_bce", counting_bce)
            loss = "counting_bce"
        return nn.fit(model, X, Y, loss=loss, lr=0.5, num_iterations=8, print_cost=False, record_every=1,
                      jit=jitted)
    if patch == "method_on_the_class":
        monkeypatch.setattr(nn.Tanh, "g", lambda self, Z: counting(Z))
    assert run(None) == run(False)
