"""The jit's reach: state found from outside the arguments in the ways a user keeps it (issue 21, found by a
hostile probe after the first fixes). Each step must give the eager result on every call, or a JitError.

The oracle is ``tests/jit/_jit_programs.differential``: the same step run eagerly on a deep copy, compared call by
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
from tinygrad_nb import JitError, Tensor, jit, side_effect, where

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
