"""The jit's reach: state found from outside the arguments in the ways a user keeps it (issue 21, found by a
hostile probe after the first fixes). Each step must give the eager result on every call, or a JitError.

The oracle is ``tests/_jit_programs.differential``: the same step run eagerly on a deep copy, compared call by
call (outputs, every parameter and .grad, and what ``observe`` returns).
"""

from __future__ import annotations

import copy
import functools
import random
import types

import numpy as np
import pytest
from _jit_programs import differential, training_step

import nn
from tinygrad_nb import GraphFreedError, JitError, Tensor, jit, side_effect, where

N = 8


def batch(k: int, m: int = 12):
    rng = np.random.RandomState([5, k])
    X = rng.randn(2, m)
    return X, (X[0:1] * X[1:2] > 0).astype(np.float64)


def state():
    model = nn.MLP([2, 6, 1], hidden="tanh", rng=1)
    return {"model": model, "opt": nn.optim.SGD(model.parameters(), 0.5)}


FIRST = batch(0)


def same(k):
    """The very same arrays on every call (full-batch training): a replay needs no second look at them."""
    return FIRST, {}


def eager_or_refused(outcome, n=N):
    assert outcome.refused is not None or outcome.agreed == n


class Trainer:
    """A user's trainer: the jitted step is its bound method, its settings attributes."""

    def __init__(self, s):
        self.model, self.opt, self.lam = s["model"], s["opt"], 0.0

    def step(self, X, Y):
        self.opt.zero_grad()
        W = self.model.linears()[0].W
        J = nn.binary_cross_entropy(self.model(X), Y) + self.lam * (W * W).sum()
        J.backward()
        self.opt.step()
        return J


def test_a_bound_method_s_object_is_guarded():
    s = state()
    trainer = Trainer(s)
    jitted = jit(trainer.step)
    eager = Trainer(copy.deepcopy(s))
    for k in range(N):
        if k == 4:
            trainer.lam = eager.lam = 0.5
        X, Y = batch(k)
        np.testing.assert_allclose(jitted(X, Y).item(), eager.step(X, Y).item(), rtol=1e-12)


def test_a_bound_method_that_changes_its_object_is_refused():
    class Counting(Trainer):
        def step(self, X, Y):
            self.steps = getattr(self, "steps", 0) + 1
            return super().step(X, Y)

    trainer_step = jit(Counting(state()).step)
    with pytest.raises(JitError, match="changed"):
        for k in range(3):
            trainer_step(*batch(k))


def test_printing_a_traced_tensor_is_refused():
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            print(f"cost {J}")
            J.backward()
            opt.step()
            return J
        return step
    out = differential(make, state(), same, N, may_refuse=True)
    assert out.refused is not None and "repr" in str(out.refused)


def test_a_users_side_effect_gets_each_call_s_values():
    def make(s):
        model, opt, log = s["model"], s["opt"], s["log"]

        @side_effect
        def record(J):
            log.append(J.item())

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            record(J)
            J.backward()
            opt.step()
            return J
        return step
    s = {**state(), "log": []}
    out = differential(make, s, same, N, may_refuse=False, observe=lambda st: list(st["log"]))
    assert out.agreed == N and len(s["log"]) == N and out.python_runs <= 2, out.runs_per_call


def test_the_norm_clip_grad_norm_returns_is_each_call_s():
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y) * 50.0
            J.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return J, norm * 1.0
        return step
    out = differential(make, state(), same, N, may_refuse=False)
    assert out.agreed == N and out.python_runs <= 2, out.runs_per_call


class Settings:
    lam = 0.0


class Holder:
    def __init__(self):
        self.inner = types.SimpleNamespace(lam=0.0)


SETTINGS_MODULE = types.ModuleType("user_settings")
SETTINGS_MODULE.lam = 0.0  # type: ignore[attr-defined]


def _l2(model):
    W = model.linears()[0].W
    return (W * W).sum()


@pytest.mark.parametrize("where", ["class_attribute", "object_in_object", "dict_with_an_array", "settings_module",
                                   "object_in_a_list", "lambda_in_a_dict", "default_argument", "partial"])
def test_state_kept_where_users_keep_it_is_guarded(where):
    holder, listed, table = Holder(), [types.SimpleNamespace(lam=0.0)], {"lam": 0.0, "mask": np.ones(3)}
    funcs = {"scale": lambda J: J * 1.0}

    def lam_of(defaults):
        return {"class_attribute": lambda: Settings.lam, "object_in_object": lambda: holder.inner.lam,
                "dict_with_an_array": lambda: table["lam"], "settings_module": lambda: SETTINGS_MODULE.lam,
                "object_in_a_list": lambda: listed[0].lam, "default_argument": lambda: defaults[0],
                "partial": lambda: defaults[0]}.get(where)

    def make(s):
        model, opt = s["model"], s["opt"]

        if where == "class_attribute":
            def body(X, Y):
                return nn.binary_cross_entropy(model(X), Y) + Settings.lam * _l2(model)
        elif where == "object_in_object":
            def body(X, Y):
                return nn.binary_cross_entropy(model(X), Y) + holder.inner.lam * _l2(model)
        elif where == "dict_with_an_array":
            def body(X, Y):
                return nn.binary_cross_entropy(model(X), Y) + table["lam"] * _l2(model)
        elif where == "settings_module":
            def body(X, Y):
                return nn.binary_cross_entropy(model(X), Y) + SETTINGS_MODULE.lam * _l2(model)
        elif where == "object_in_a_list":
            def body(X, Y):
                return nn.binary_cross_entropy(model(X), Y) + listed[0].lam * _l2(model)
        elif where == "lambda_in_a_dict":
            def body(X, Y):
                return funcs["scale"](nn.binary_cross_entropy(model(X), Y))
        else:
            def body(X, Y, lam=[0.0]):  # noqa: B006 - the user's habit under test
                return nn.binary_cross_entropy(model(X), Y) + lam[0] * _l2(model)

        def step(X, Y):
            opt.zero_grad()
            J = body(X, Y)
            J.backward()
            opt.step()
            return J
        s["body"] = body
        return step

    def between(i, s, step):
        if i != 4:
            return
        if where in ("default_argument", "partial"):
            s["body"].__defaults__[0][0] = 0.5
        elif where == "lambda_in_a_dict":
            funcs["scale"] = lambda J: J * 3.0
        elif where == "class_attribute":
            Settings.lam = 0.5
        elif where == "object_in_object":
            holder.inner.lam = 0.5
        elif where == "dict_with_an_array":
            table["lam"] = 0.5
        elif where == "settings_module":
            SETTINGS_MODULE.lam = 0.5
        elif where == "object_in_a_list":
            listed[0].lam = 0.5

    try:
        if where == "partial":
            s = state()
            eager_s = copy.deepcopy(s)
            step_j, step_e = make(s), make(eager_s)
            jitted = jit(functools.partial(lambda f, X, Y: f(X, Y), step_j))
            for k in range(N):
                between(k, s, step_j)
                between(k, eager_s, step_e)
                try:
                    got = jitted(*batch(k)).item()
                except JitError:
                    return
                assert got == pytest.approx(step_e(*batch(k)).item(), rel=1e-12)
            return
        eager_or_refused(differential(make, state(), lambda k: (batch(k), {}), N, may_refuse=True, between=between))
    finally:
        Settings.lam = 0.0
        SETTINGS_MODULE.lam = 0.0


def test_np_where_with_a_float_mask_follows_the_values():
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            Z = model.linears()[0](X)
            A = np.where((Z > 0).astype(np.float64), Z, 0.1 * Z)  # a float mask through NumPy's protocol
            J = nn.binary_cross_entropy(model.linears()[1](A).sigmoid(), Y)
            J.backward()
            opt.step()
            return J
        return step
    s = state()
    s["model"].linears()[0].W.data *= 20
    out = differential(make, s, same, N, may_refuse=False)
    assert out.agreed == N


def make(s):
    return training_step(s["model"], s["opt"], s.get("loss", nn.binary_cross_entropy))


def test_a_layer_replaced_through_indexing_is_seen():
    def between(i, s, step):
        if i == 4:
            s["model"][1] = nn.ReLU()
    out = differential(make, state(), same, N, may_refuse=False, between=between)
    assert out.agreed == N  # recorded anew, then replayed
    with pytest.raises(TypeError):
        state()["model"].layers[1] = nn.ReLU()  # the list itself cannot be edited behind the model's back


def test_random_numbers_from_python_or_a_generator_argument_are_refused():
    W = Tensor(np.ones((1, 2)), requires_grad=True)

    @jit
    def python_random(X):
        return (W @ X).sum() * (2.0 if random.random() < 0.5 else 1.0)

    with pytest.raises(JitError, match="random"):
        python_random(np.ones((2, 3)))

    @jit
    def generator_argument(X, rng):
        return (W @ X).sum() * rng.random()

    with pytest.raises(JitError, match="random"):
        generator_argument(np.ones((2, 3)), np.random.default_rng(0))


def test_numpy_scalar_static_arguments_minus_zero_and_zero_are_different():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    step = jit(lambda X, c: (W @ X).sum() * np.copysign(1.0, c))
    X = np.ones((2, 3))
    for c in (np.float32(0.0), np.float32(0.0), np.float32(-0.0), np.float32(-0.0)):
        assert step(X, c).item() == 6.0 * np.copysign(1.0, c)


def test_an_unrelated_model_or_an_accuracy_between_steps_keeps_the_replay():
    def between(i, s, step):
        nn.MLP([3, 2, 1], rng=0)  # another model built
        nn.accuracy(s["model"], *batch(0))  # eval mode and back
    out = differential(make, state(), same, N, may_refuse=False, between=between)
    assert out.agreed == N and out.python_runs <= 2, out.runs_per_call


def test_a_global_named_like_an_attribute_does_not_make_every_call_record():
    ns = {"nn": nn}
    exec("step = None\n"  # a global with the name of an attribute the step reads (opt.step)
         "def make(s):\n"
         "    model, opt = s['model'], s['opt']\n"
         "    def train(X, Y):\n"
         "        opt.zero_grad()\n"
         "        J = nn.binary_cross_entropy(model(X), Y)\n"
         "        J.backward()\n"
         "        opt.step()\n"
         "        return J\n"
         "    return train\n", ns)
    jitted_s = state()
    train = ns["make"](jitted_s)
    out = differential(ns["make"], jitted_s, same, N, may_refuse=False,
                       between=lambda i, s, f: ns.__setitem__("step", i))
    assert out.agreed == N and out.python_runs <= 2 and train is not None, out.runs_per_call


def test_a_loss_object_s_setting_changed_after_recording_is_seen():
    def between(i, s, step):
        if i == 4:
            s["loss"].reduction = "sum"
    out = differential(make, {**state(), "loss": nn.BCELoss()}, same, N, may_refuse=False, between=between)
    assert out.agreed == N


def test_where_of_a_comparison_is_unchanged_by_the_numpy_protocol():
    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    np.testing.assert_array_equal(where(x > 0, x, 0.0 * x).data, [0.0, 2.0])


# ----- a second hostile probe -------------------------------------------------------------------------------
class Logger:
    """A user's logger: its method is a side effect, its list changes on every call (replayed)."""

    def __init__(self):
        self.costs = []

    @side_effect
    def log(self, J):
        self.costs.append(J.item())


class MyAdam(nn.optim.Adam):
    """A user's subclass of an nn optimiser, nothing changed."""


@pytest.mark.parametrize("kind", ["logger", "optimizer_subclass"])
def test_objects_whose_side_effects_change_them_keep_the_replay(kind):
    def make(s):
        model, opt, logger = s["model"], s["opt"], s["logger"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            logger.log(J)
            J.backward()
            opt.step()
            return J
        return step
    s = state()
    if kind == "optimizer_subclass":
        s["opt"] = MyAdam(s["model"].parameters(), lr=0.01)
    s["logger"] = Logger()
    out = differential(make, s, same, N, may_refuse=False, observe=lambda st: list(st["logger"].costs))
    assert out.agreed == N and out.python_runs <= 2, out.runs_per_call


class Config:
    def __init__(self):
        self.lam = 0.0


@pytest.mark.parametrize("change", ["layer_replaced", "slope_set", "config_attribute"])
def test_a_model_or_config_passed_as_an_argument_is_guarded(change):
    def make_state():
        model = nn.Sequential(nn.Linear(2, 6, rng=1), nn.LeakyReLU(0.01), nn.Linear(6, 1, rng=2), nn.Sigmoid())
        return {"model": model, "opt": nn.optim.SGD(model.parameters(), 0.5), "cfg": Config()}

    def step(model, opt, cfg, X, Y):
        opt.zero_grad()
        W = model[0].W
        J = nn.binary_cross_entropy(model(X), Y) + cfg.lam * (W * W).sum()
        J.backward()
        opt.step()
        return J
    s, e = make_state(), make_state()
    jitted = jit(step)
    for k in range(N):
        if k == 4:
            for st in (s, e):
                if change == "layer_replaced":
                    st["model"][1] = nn.Tanh()
                elif change == "slope_set":
                    st["model"][1].slope = 0.5
                else:
                    st["cfg"].lam = 0.5
        X, Y = FIRST
        got = jitted(s["model"], s["opt"], s["cfg"], X, Y).item()
        assert got == pytest.approx(step(e["model"], e["opt"], e["cfg"], X, Y).item(), rel=1e-12)


def test_a_boolean_array_argument_is_refused_and_an_integer_index_argument_is_read_on_every_call():
    W = Tensor(np.arange(8.0).reshape(2, 4), requires_grad=True)
    with pytest.raises(JitError, match="boolean array"):
        jit(lambda X, mask: (W * X)[:, mask].sum())(np.ones((2, 4)), np.array([True, False, True, False]))
    idx = np.array([0, 1])
    step = jit(lambda X, i: (W * X)[:, i].sum())
    X = np.ones((2, 4))
    for k in range(6):
        idx[:] = [k % 4, (k + 1) % 4]  # refilled in place
        assert step(X, idx).item() == (W.data * X)[:, idx].sum()
    for k in range(3):
        fresh = np.array([k, 3])  # a new array each call
        assert step(X, fresh).item() == (W.data * X)[:, fresh].sum()


class Scaled(nn.Module):
    """A user's layer inside an nn container, whose setting lives in a list and in a config object."""

    def __init__(self):
        super().__init__()
        self.factor = [1.0]
        self.cfg = types.SimpleNamespace(k=1.0)

    def forward(self, A):
        return A * (self.factor[0] * self.cfg.k)


@pytest.mark.parametrize("change", ["list_item", "config_object"])
def test_a_users_layer_inside_a_sequential_changed_in_place_is_seen(change):
    def make_state():
        model = nn.Sequential(nn.Linear(2, 6, rng=1), Scaled(), nn.Tanh(), nn.Linear(6, 1, rng=2), nn.Sigmoid())
        return {"model": model, "opt": nn.optim.SGD(model.parameters(), 0.5)}

    def between(i, s, step):
        if i == 4:
            layer = s["model"][1]
            if change == "list_item":
                layer.factor[0] = 3.0
            else:
                layer.cfg.k = 3.0
    assert differential(make, make_state(), same, N, may_refuse=False, between=between).agreed == N


SCALE = [1.0]


class Reaching:
    """State reached through a helper method, a property and a classmethod."""

    __slots__ = ("model", "opt", "lam")
    factor = 1.0

    def __init__(self, s):
        self.model, self.opt, self.lam = s["model"], s["opt"], 0.0

    @property
    def scale(self):
        return SCALE[0]

    @classmethod
    def class_factor(cls):
        return cls.factor

    def helper(self, J):
        return J * SCALE[0]

    def step(self, X, Y):
        self.opt.zero_grad()
        J = self.helper(nn.binary_cross_entropy(self.model(X), Y)) * self.scale * self.class_factor()
        W = self.model.linears()[0].W
        J = J + self.lam * (W * W).sum()
        J.backward()
        self.opt.step()
        return J


@pytest.mark.parametrize("change", ["global_through_a_helper", "class_attribute_through_a_classmethod", "slot"])
def test_state_reached_through_methods_properties_and_slots_is_guarded(change):
    s = state()
    trainer, eager = Reaching(s), Reaching(copy.deepcopy(s))
    jitted = jit(trainer.step)
    try:
        for k in range(N):
            if k == 4:
                if change == "global_through_a_helper":
                    SCALE[0] = 2.0
                elif change == "class_attribute_through_a_classmethod":
                    Reaching.factor = 2.0
                else:
                    trainer.lam = eager.lam = 0.5
            X, Y = FIRST
            try:
                got = jitted(X, Y).item()
            except JitError:
                return
            assert got == pytest.approx(eager.step(X, Y).item(), rel=1e-12)
    finally:
        SCALE[0], Reaching.factor = 1.0, 1.0


def test_new_arrays_with_the_same_values_every_call_replay():
    X, Y = FIRST

    def calls(k):
        return (X.T.copy().T, Y.reshape(1, -1).copy()), {}  # new arrays, the same values (X.T, astype, ...)
    out = differential(make, state(), calls, N, may_refuse=False)
    assert out.agreed == N and out.python_runs <= 2, out.runs_per_call


@pytest.mark.parametrize("built", ["leaky_relu", "sequential", "optimizer"])
def test_nn_parts_built_inside_the_step_are_not_refused(built):
    def make(s):
        l1, l2 = s["l1"], s["l2"]

        def step(X, Y):
            opt = nn.optim.SGD(l1.parameters() + l2.parameters(), 0.5) if built == "optimizer" else s["opt"]
            if built == "sequential":
                A = nn.Sequential(l1, nn.Tanh(), l2, nn.Sigmoid())(X)
            else:
                A = l2(nn.LeakyReLU(0.1)(l1(X)) if built == "leaky_relu" else l1(X).tanh()).sigmoid()
            opt.zero_grad()
            J = nn.binary_cross_entropy(A, Y)
            J.backward()
            opt.step()
            return J
        return step
    l1, l2 = nn.Linear(2, 6, rng=1), nn.Linear(6, 1, rng=2)
    out = differential(make, {"l1": l1, "l2": l2, "opt": nn.optim.SGD(l1.parameters() + l2.parameters(), 0.5)},
                       same, N, may_refuse=False)
    assert out.agreed == N


class AttrDict(dict):
    __getattr__ = dict.__getitem__


def test_a_config_whose_attribute_lookups_raise_key_error_is_no_trouble():
    s = state()
    e = copy.deepcopy(s)
    cfg, eager_cfg = AttrDict(model=s["model"], opt=s["opt"]), AttrDict(model=e["model"], opt=e["opt"])

    def make(c):
        return lambda X, Y: training_step(c.model, c.opt)(X, Y)
    jitted, eager = jit(make(cfg)), make(eager_cfg)
    for _ in range(4):
        assert jitted(*FIRST).item() == pytest.approx(eager(*FIRST).item(), rel=1e-12)


def test_side_effects_get_each_call_s_gradients_and_their_results_are_each_call_s():
    def make(s):
        model, opt, norms = s["model"], s["opt"], s["norms"]
        W = model.linears()[0].W

        @side_effect
        def log_norm(g):
            norms.append(float(np.linalg.norm(g.data)))

        @side_effect
        def pair(J):
            return J * 2.0, J * 3.0

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            J.backward()
            log_norm(W.grad)
            a, b = pair(J)
            opt.step()
            return a + b
        return step
    out = differential(make, {**state(), "norms": []}, lambda k: (batch(k), {}), N, may_refuse=False,
                       observe=lambda st: list(st["norms"]))
    assert out.agreed == N


def test_a_side_effect_s_number_is_each_call_s_and_other_values_or_a_graph_are_refused():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    calls = [0]

    @side_effect
    def rate():  # as a schedule's step(): returns the new learning rate
        calls[0] += 1
        return 1.0 / calls[0]

    step = jit(lambda X: (W @ X).sum() * rate())
    for k in range(1, 6):
        assert step(np.ones((2, 3))).item() == pytest.approx(6.0 / k, rel=1e-12)

    @side_effect
    def settings():
        return {"lr": 0.5}

    @side_effect
    def doubled(t):
        return t * 2.0

    with pytest.raises(JitError, match="returned a dict"):
        jit(lambda X: (W @ X).sum() * settings()["lr"])(np.ones((2, 3)))
    with pytest.raises(JitError, match="inside a side effect"):
        jit(lambda X: doubled((W @ X).sum()).backward())(np.ones((2, 3)))


def test_a_jitted_forward_s_result_refuses_a_backward_outside_instead_of_dropping_gradients():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    forward = jit(lambda X: (W @ X).sum())
    X = np.ones((2, 3))
    for _ in range(2):  # the recording calls run eagerly: their results have a graph
        W.grad = None
        (forward(X) + (W * W).sum()).backward()
        np.testing.assert_array_equal(W.grad.data, [[5.0, 5.0]])  # X summed over columns, plus 2 W
    W.grad = None
    with pytest.raises(JitError, match="Jit the whole training step"):
        (forward(X) + (W * W).sum()).backward()  # a replay: W would get only the 2 W of the penalty


def test_writing_to_ones_own_read_only_array_raises_what_eager_raises():
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    W = Tensor(np.ones((1, 2)), requires_grad=True)

    def step(X):
        frozen[0] = 1.0
        return (W @ X).sum()
    with pytest.raises(ValueError, match="read-only") as eager:
        step(np.ones((2, 3)))
    with pytest.raises(ValueError, match="read-only") as jitted:
        jit(step)(np.ones((2, 3)))
    assert type(jitted.value) is type(eager.value)


def test_a_jitted_function_can_be_deep_copied_and_pickled():
    import pickle

    copied = copy.deepcopy(jit(training_step, cache_size=3))
    assert copied.fn is training_step and copied.cache_size == 3 and not copied.cache
    assert pickle.loads(pickle.dumps(jit(batch))).fn is batch


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
            monkeypatch.setitem(nn.losses.LOSSES, "counting_bce", counting_bce)
            loss = "counting_bce"
        return nn.fit(model, X, Y, loss=loss, lr=0.5, num_iterations=8, print_cost=False, record_every=1,
                      jit=jitted)
    if patch == "method_on_the_class":
        monkeypatch.setattr(nn.Tanh, "g", lambda self, Z: counting(Z))
    assert run(None) == run(False)
