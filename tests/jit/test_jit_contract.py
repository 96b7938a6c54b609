"""The jit's contract, class by class (issue 21): on every call the eager result, or a JitError. Never a third outcome.

Each test runs a step eagerly on a deep copy of the starting state and jitted on the original, with the same
calls (at least 8, so that calls 1 and 2 record and later calls replay), and compares the outputs, every
parameter and every ``.grad`` after each call (``_jit_programs.differential``). Where the issue allows a refusal
``may_refuse=True`` accepts a ``JitError`` (that exact type) in place of the eager result; where the issue says
the jit must replay (comparisons, labels) a refusal fails the test.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from _jit_programs import (
    ContractViolationError,
    PythonRuns,
    compare_states,
    differential,
    function_with_globals,
    training_step,
)

import nn
import tinygrad_nb
from nn.layers.containers import Sequential
from tinygrad_nb import JitError, Tensor, detect_anomaly, is_anomaly_enabled, is_grad_enabled, jit, where

N_CALLS = 10


def batch(m: int, k: int, n_x: int = 2, dtype=np.float64):
    """Call k's data: X (n_x, m) and binary labels Y (1, m) (a planar-like XOR of the first two rows)."""
    rng = np.random.RandomState([7, m, k])
    X = rng.randn(n_x, m)
    return X.astype(dtype), (X[0:1] * X[1:2] > 0).astype(np.float64)


def mlp_state(dims=(2, 6, 1), hidden="tanh", output="sigmoid", lr=0.5, seed=1, **mlp):
    model = nn.MLP(list(dims), hidden=hidden, output=output, rng=seed, **mlp)
    return {"model": model, "opt": nn.optim.SGD(model.parameters(), lr)}


def layers_state(lr=1.0, n_h=8):
    l1, l2 = nn.Linear(2, n_h, init="small_random", rng=1), nn.Linear(n_h, 1, rng=2)
    l1.W.data *= 40  # large enough pre-activations that the masks below move as W trains
    return {"l1": l1, "l2": l2, "opt": nn.optim.SGD(l1.parameters() + l2.parameters(), lr)}


def same_calls(m=12):
    data = batch(m, 0)
    return lambda k: (data, {})


def new_calls(m=12):
    return lambda k: (batch(m, k), {})


CALL_PATTERNS = {"same_arrays": same_calls, "new_arrays": new_calls}


def bce_step(s):
    """The ordinary step on ``s["model"]`` and ``s["opt"]``: zero_grad, J = bce(model(X), Y), backward, step."""
    return training_step(s["model"], s["opt"])


def assert_eager_or_refused(outcome, n_calls=N_CALLS):
    """differential() already compared every call it got to; this says the run was complete or ended in JitError."""
    assert outcome.refused is not None or outcome.agreed == n_calls


def assert_replays(outcome, signatures=1, n_calls=N_CALLS):
    """The jit replayed: no refusal, every call agreed, and the function's Python ran only to record (2 per shape)."""
    assert outcome.refused is None and outcome.agreed == n_calls
    assert outcome.python_runs <= 2 * signatures, (
        f"the jitted function's Python ran {outcome.python_runs} times in {n_calls} calls "
        f"({outcome.runs_per_call}): it recorded again instead of replaying")


# ===== comparisons are recorded ops: masks follow the data and the parameters ===============================
LEAKY = {
    "gt": lambda Z: where(Z > 0, Z, 0.1 * Z),
    "ge": lambda Z: where(Z >= 0, Z, 0.1 * Z),
    "lt": lambda Z: where(Z < 0, 0.1 * Z, Z),
    "le": lambda Z: where(Z <= 0, 0.1 * Z, Z),
    "eq": lambda Z: where(Z.relu() == 0, 0.1 * Z, Z),
    "ne": lambda Z: where(Z.relu() != 0, Z, 0.1 * Z),
    "reflected": lambda Z: where(0.0 < Z, Z, 0.1 * Z),
    "numpy_ufunc": lambda Z: where(np.greater(Z, 0.0), Z, 0.1 * Z),
}


def leaky_step(leaky):
    def make(s):
        l1, l2, opt = s["l1"], s["l2"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            A = leaky(l1(X))  # a hand-written leaky ReLU
            J = nn.binary_cross_entropy(l2(A).sigmoid(), Y)
            J.backward()
            opt.step()
            return J
        return step
    return make


@pytest.mark.parametrize("pattern", sorted(CALL_PATTERNS))
@pytest.mark.parametrize("comparison", sorted(LEAKY))
def test_a_comparison_mask_replays_with_the_current_values(comparison, pattern):
    # where(Z > 0, Z, 0.1 Z): the mask depends on W (which trains) and on X; a replay must recompute it
    out = differential(leaky_step(LEAKY[comparison]), layers_state(), CALL_PATTERNS[pattern](), N_CALLS,
                       may_refuse=False)
    assert_replays(out)


def test_tensor_equality_is_elementwise_so_the_eq_and_ne_masks_mean_something():
    Z = Tensor([0.0, 1.5, 0.0])
    eq, ne = Z == 0, Z != 0
    assert isinstance(eq, Tensor) and isinstance(ne, Tensor)
    assert eq.data.tolist() == [True, False, True] and ne.data.tolist() == [False, True, False]


def test_a_mask_from_the_input_replays_with_each_call_s_input():
    def make(s):
        l1, l2, opt = s["l1"], s["l2"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            Z = l1(X)
            A = where(X[0:1] > 0, Z.tanh(), Z.sigmoid())  # which activation: decided by the data, per column
            J = nn.binary_cross_entropy(l2(A).sigmoid(), Y)
            J.backward()
            opt.step()
            return J
        return step
    assert_replays(differential(make, layers_state(), new_calls(), N_CALLS, may_refuse=False))


@pytest.mark.parametrize("pattern", sorted(CALL_PATTERNS))
def test_argmax_used_as_an_index_replays_with_the_current_values(pattern):
    def make(s):
        l1, l2, opt = s["l1"], s["l2"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            Z = l1(X)
            top = Z[Z.argmax(axis=0), np.arange(Z.shape[1])]  # each column's largest pre-activation
            J = nn.binary_cross_entropy(l2(Z.tanh()).sigmoid(), Y) + 0.1 * top.mean()
            J.backward()
            opt.step()
            return J
        return step
    assert_replays(differential(make, layers_state(), CALL_PATTERNS[pattern](), N_CALLS, may_refuse=False))


# ===== inputs are never baked into the recording as constants ==============================================
@pytest.mark.parametrize("pattern", ["new_arrays", "refilled_in_place"])
def test_mse_of_a_float32_model_follows_float64_labels(pattern):
    state = mlp_state((3, 5, 2), hidden="tanh", output="identity", lr=0.1)
    state["model"].astype(np.float32)
    X0, Y0 = np.zeros((3, 9), dtype=np.float32), np.zeros((2, 9))

    def calls(k):
        rng = np.random.RandomState(k)
        X, Y = rng.randn(3, 9).astype(np.float32), rng.randn(2, 9)  # float64 labels, new values every call
        if pattern == "new_arrays":
            return (X, Y), {}
        X0[...], Y0[...] = X, Y
        return (X0, Y0), {}

    def make(s):
        return training_step(s["model"], s["opt"], nn.mse)
    assert_replays(differential(make, state, calls, N_CALLS, may_refuse=False))


INT_LABELS = {
    "bce": (dict(dims=(2, 5, 1), output="sigmoid"), nn.binary_cross_entropy,
            lambda X: (X[0:1] * X[1:2] > 0).astype(np.int64)),
    "cross_entropy": (dict(dims=(2, 5, 3), output="identity"), nn.cross_entropy,
                      lambda X: ((X[0:1] > 0).astype(np.int64) + (X[1:2] > 0))),
}


@pytest.mark.parametrize("pattern", ["same_arrays", "new_arrays"])
@pytest.mark.parametrize("loss", sorted(INT_LABELS))
def test_int64_labels_give_the_eager_result_and_replay(loss, pattern):
    kwargs, cost, labels = INT_LABELS[loss]
    X0 = np.random.RandomState(1).randn(2, 16)

    def calls(k):
        X = X0 if pattern == "same_arrays" else np.random.RandomState(k).randn(2, 16)
        return ((X, labels(X)) if pattern == "new_arrays" else (X, Y0)), {}
    Y0 = labels(X0)
    assert Y0.dtype == np.int64

    def make(s):
        return training_step(s["model"], s["opt"], cost)
    assert_replays(differential(make, mlp_state(**kwargs), calls, N_CALLS, may_refuse=False))


@pytest.mark.parametrize("loss", sorted(INT_LABELS))
def test_fit_with_int64_labels_replays_and_trains_as_eager(loss):
    kwargs, _, labels = INT_LABELS[loss]
    X = np.random.RandomState(2).randn(2, 40)
    Y = labels(X)
    results = {}
    for use_jit in (False, None):
        state = mlp_state(**kwargs)
        with PythonRuns(Sequential.forward.__code__) as runs:
            costs = nn.fit(state["model"], X, Y, loss={"bce": "binary_cross_entropy"}.get(loss, loss),
                           num_iterations=30, print_cost=False, record_every=1, jit=use_jit)
        results[use_jit] = (np.array(costs), [p.data.copy() for p in state["model"].parameters()], runs.count)
    np.testing.assert_allclose(results[None][0], results[False][0], rtol=1e-12, atol=0)
    for p, q in zip(results[None][1], results[False][1]):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)
    assert results[False][2] == 30  # the eager run calls the model's forward once a step
    assert results[None][2] <= 2, f"fit's jitted step ran the model's Python {results[None][2]} times in 30 steps"


# ===== Python values read from traced tensors: JitError, or the eager result ===============================
READERS = {
    "item": lambda t: t.item(),
    "float": lambda t: float(t),
    "bool": lambda t: bool(t > 0.5),
    "int": lambda t: int(t * 1000),
    "tolist": lambda t: t.tolist(),
}


def _scalar(v):
    """A number from what a reader returned (tolist of a 0-d tensor is the number itself; of (1, 1), [[x]])."""
    while isinstance(v, list):
        v = v[0]
    return float(v)


def _eager_costs(n=N_CALLS):
    state = mlp_state(lr=0.8)
    step = bce_step(state)
    X, Y = batch(12, 0)
    return [step(X, Y).item() for _ in range(n)]


@pytest.mark.parametrize("use", ["branch", "appended", "scale"])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_python_value_read_inside_the_step_is_refused_or_exact(reader, use):
    read = READERS[reader]
    costs = _eager_costs()
    assert costs[2] > costs[-1]  # the cost falls, so a threshold between them flips the branch after call 2
    threshold = (costs[2] + costs[-1]) / 2 if reader != "bool" else None

    def make(s):
        model, opt, log = s["model"], s["opt"], s["log"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            if use == "branch":
                if reader == "bool":
                    if read(J - (costs[2] + costs[-1]) / 2 + 0.5):  # J above the threshold
                        J = J * 3.0
                elif _scalar(read(J)) / (1000 if reader == "int" else 1) > threshold:
                    J = J * 3.0
            elif use == "appended":
                log.append(read(J))
            else:
                J = J * _scalar(read(J))
            J.backward()
            opt.step()
            return J
        return step
    state = {**mlp_state(lr=0.8), "log": []}
    out = differential(make, state, same_calls(), N_CALLS, may_refuse=True, observe=lambda s: s["log"])
    assert_eager_or_refused(out)


# ===== state outside the arguments, changed after recording: JitError, or the eager result =================
def _closure_set(step, name, value):
    step.__closure__[step.__code__.co_freevars.index(name)].cell_contents = value


def test_a_scalar_in_the_closure_changed_between_calls():
    def make(s):
        model, opt = s["model"], s["opt"]
        scale = 1.0

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y) * scale  # a loss scale
            J.backward()
            opt.step()
            return J
        return step
    between = lambda i, s, step: _closure_set(step, "scale", 4.0) if i == 4 else None  # noqa: E731
    assert_eager_or_refused(differential(make, mlp_state(), same_calls(), N_CALLS, may_refuse=True, between=between))


GLOBAL_L2 = """
def step(X, Y):
    opt.zero_grad()
    J = nn.binary_cross_entropy(model(X), Y) + LAMBD[0] * (model.linears()[0].W * model.linears()[0].W).sum()
    J = J * SCALE
    J.backward()
    opt.step()
    return J
"""


@pytest.mark.parametrize("change", ["global_list_item", "global_rebound"])
def test_a_scalar_in_a_global_changed_between_calls(change):
    def make(s):
        return function_with_globals(GLOBAL_L2, {"model": s["model"], "opt": s["opt"], "LAMBD": [0.01], "SCALE": 1.0})

    def between(i, s, step):
        if i == 4 and change == "global_list_item":
            step.__globals__["LAMBD"][0] = 0.5  # an L2 lambda in a global list
        elif i == 4:
            step.__globals__["SCALE"] = 3.0
    assert_eager_or_refused(differential(make, mlp_state(), same_calls(), N_CALLS, may_refuse=True, between=between))


def dropout_state(keep_prob=0.6, training=True):
    rng = np.random.RandomState(0)
    model = nn.Sequential(nn.Linear(2, 8, rng=1), nn.Tanh(), nn.Dropout(keep_prob=keep_prob, rng=rng, reseed=3),
                          nn.Linear(8, 1, rng=2), nn.Sigmoid())  # reseeded: the same mask every pass
    model.train(training)
    return {"model": model, "opt": nn.optim.SGD(model.parameters(), 0.5)}


MODULE_CHANGES = {
    "eval_after_recording": (dict(training=True), lambda s: s["model"].eval()),
    "train_after_recording": (dict(training=False), lambda s: s["model"].train()),
    "keep_prob_lowered": (dict(keep_prob=1.0), lambda s: setattr(s["model"][2], "keep_prob", 0.5)),
    "keep_prob_raised": (dict(keep_prob=0.5), lambda s: setattr(s["model"][2], "keep_prob", 0.9)),
    "requires_grad_off": (dict(), lambda s: setattr(s["model"].linears()[0].W, "requires_grad", False)),
    "requires_grad_off_method": (dict(), lambda s: s["model"].linears()[1].b.requires_grad_(False)),
    "W_and_b_replaced": (dict(), lambda s: _replace_parameters(s["model"].linears()[0])),
}


def _replace_parameters(lin):
    lin.W = nn.Parameter(np.full(lin.W.shape, 0.3), name="W1")
    lin.b = nn.Parameter(np.full(lin.b.shape, -0.1), name="b1")


@pytest.mark.parametrize("change", sorted(MODULE_CHANGES))
def test_module_state_changed_after_recording(change):
    kwargs, apply = MODULE_CHANGES[change]

    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            model.zero_grad()
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            J.backward()
            opt.step()
            return J
        return step
    between = lambda i, s, step: apply(s) if i == 4 else None  # noqa: E731
    out = differential(make, dropout_state(**kwargs), new_calls(), N_CALLS, may_refuse=True, between=between)
    assert_eager_or_refused(out)


SWAPPED = """
def step(X, Y):
    opt.zero_grad()
    J = nn.binary_cross_entropy(model(X), Y)
    J.backward()
    opt.step()
    return J
"""


@pytest.mark.parametrize("swap", ["model_and_optimizer", "optimizer", "model_only"])
def test_a_global_model_or_optimizer_swapped_for_another(swap):
    state = mlp_state(seed=1)
    other = nn.MLP([2, 6, 1], hidden="tanh", rng=5)
    state.update(model2=other, opt2=nn.optim.SGD(other.parameters(), 0.5),
                 opt3=nn.optim.Adam(state["model"].parameters(), 0.05))

    def make(s):
        return function_with_globals(SWAPPED, {"model": s["model"], "opt": s["opt"]})

    def between(i, s, step):
        if i != 4:
            return
        g = step.__globals__
        if swap == "model_and_optimizer":
            g["model"], g["opt"] = s["model2"], s["opt2"]
        elif swap == "optimizer":
            g["opt"] = s["opt3"]
        else:
            g["model"] = s["model2"]  # the old optimiser steps parameters the new model does not use
    assert_eager_or_refused(differential(make, state, same_calls(), N_CALLS, may_refuse=True, between=between))


@pytest.mark.parametrize("how", ["param_groups", "attribute"])
def test_the_learning_rate_set_inside_the_step(how):
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            J.backward()
            if how == "param_groups":
                opt.param_groups[0]["lr"] *= 0.9
            else:
                opt.lr = opt.lr * 0.9
            opt.step()
            return J
        return step
    out = differential(make, mlp_state(), same_calls(), N_CALLS, may_refuse=True, observe=lambda s: s["opt"].lr)
    assert_eager_or_refused(out)


def _branch_seed():
    """A seed whose first two draws fall on one side of 0.5 and a later one on the other (so calls 1 and 2 agree)."""
    for seed in range(1000):
        u = np.random.RandomState(seed).rand(N_CALLS)
        if (u[0] < 0.5) == (u[1] < 0.5) and any((v < 0.5) != (u[0] < 0.5) for v in u[2:]):
            return seed
    raise AssertionError("no seed")


@pytest.mark.parametrize("use", ["branch", "value"])
def test_a_random_draw_from_a_users_generator(use):
    def make(s):
        model, opt, rs = s["model"], s["opt"], s["rs"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            if use == "branch":
                if rs.rand() < 0.5:
                    J = J * 3.0
            else:
                J = J * (1.0 + rs.rand())
            J.backward()
            opt.step()
            return J
        return step
    state = {**mlp_state(), "rs": np.random.RandomState(_branch_seed())}
    observe = lambda s: s["rs"].get_state()[2]  # noqa: E731  # how far the generator has drawn
    assert_eager_or_refused(differential(make, state, same_calls(), N_CALLS, may_refuse=True, observe=observe))


STATIC_PAIRS = {"True_vs_1": (True, 1), "0.0_vs_-0.0": (0.0, -0.0), "1_vs_1.0": (1, 1.0), "False_vs_0": (False, 0)}


@pytest.mark.parametrize("order", ["switch_after_recording", "alternating"])
@pytest.mark.parametrize("pair", sorted(STATIC_PAIRS))
def test_static_arguments_that_compare_equal_but_are_not(pair, order):
    a, b = STATIC_PAIRS[pair]
    assert a == b and hash(a) == hash(b)

    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y, flag):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            # what the function does depends on the flag's type and sign, not only on its value
            J = J * (2.0 if type(flag) is bool else 1.0) * (1.5 if math.copysign(1.0, flag) < 0 else 1.0)
            J = J * (1.25 if isinstance(flag, float) else 1.0)
            J.backward()
            opt.step()
            return J
        return step
    X, Y = batch(12, 0)
    flags = [a] * 4 + [b] * 6 if order == "switch_after_recording" else [a, b] * 5
    calls = [((X, Y, f), {}) for f in flags]
    assert_eager_or_refused(differential(make, mlp_state(), calls, may_refuse=True))


# ===== gradients changed inside the step: recorded, or refused ==============================================
def _grads(model):
    return [p for p in model.parameters() if p.grad is not None]


GRAD_EDITS = {
    "zero_": lambda ps: ps[0].grad.zero_(),
    "data_imul": lambda ps: [p.grad.data.__imul__(0.1) for p in ps],
    "np_clip_out": lambda ps: [np.clip(p.grad.data, -0.01, 0.01, out=p.grad.data) for p in ps],
    "np_clip_rebind": lambda ps: [setattr(p.grad, "data", np.clip(p.grad.data, -0.01, 0.01)) for p in ps],
    "grad_replaced": lambda ps: [setattr(p, "grad", Tensor(p.grad.data * 0.5)) for p in ps],
    "tensor_imul": lambda ps: [p.grad.__imul__(0.1) for p in ps],
}


@pytest.mark.parametrize("pattern", sorted(CALL_PATTERNS))
@pytest.mark.parametrize("edit", sorted(GRAD_EDITS))
def test_gradients_changed_inside_the_step(edit, pattern):
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            J.backward()
            GRAD_EDITS[edit](_grads(model))
            opt.step()
            return J
        return step
    out = differential(make, mlp_state(lr=2.0), CALL_PATTERNS[pattern](), N_CALLS, may_refuse=True)
    assert_eager_or_refused(out)


@pytest.mark.parametrize("clip", ["clip_grad_norm_", "clip_grad_value_"])
def test_nn_utils_gradient_clipping_replays(clip):
    # the issue: users get nn.utils.clip_grad_norm_ / clip_grad_value_ (PyTorch's names) that the jit replays
    utils = getattr(nn, "utils", None)
    assert utils is not None and hasattr(utils, clip), f"nn.utils.{clip} does not exist"
    limit = 0.05

    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            J = nn.binary_cross_entropy(model(X), Y)
            J.backward()
            getattr(nn.utils, clip)(model.parameters(), limit)
            opt.step()
            return J
        return step
    out = differential(make, mlp_state(lr=2.0), new_calls(), N_CALLS, may_refuse=False)
    assert_replays(out)
    grads = [p.grad.data for p in out.eager_state["model"].parameters()]
    if clip == "clip_grad_norm_":
        assert np.sqrt(sum((g * g).sum() for g in grads)) <= limit * (1 + 1e-6)
    else:
        assert all(np.abs(g).max() <= limit for g in grads)


# ===== refusals: the exact type, a message about the cause ==================================================
def _refusal(fn, *args):
    with pytest.raises(Exception) as info:  # noqa: PT011 - the exact type is asserted below
        fn(*args)
    assert info.type is JitError, f"{info.type.__name__}: {info.value}"
    return info.value


def test_create_graph_inside_a_jitted_function_raises_jit_error():
    state = mlp_state()

    @jit
    def step(X, Y):
        J = nn.binary_cross_entropy(state["model"](X), Y)
        J.backward(create_graph=True)
        return J
    _refusal(step, *batch(12, 0))


def test_detect_anomaly_entered_inside_a_jitted_function_raises_jit_error():
    state = mlp_state()

    @jit
    def step(X, Y):
        with detect_anomaly():
            J = nn.binary_cross_entropy(state["model"](X), Y)
        return J
    _refusal(step, *batch(12, 0))
    assert not is_anomaly_enabled()


@pytest.mark.parametrize("use", ["weight_decay", "target"])
def test_detach_of_a_parameter_replays_or_is_refused_as_detach(use):
    def make(s):
        model, opt = s["model"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            W = model.linears()[0].W
            J = nn.binary_cross_entropy(model(X), Y)
            if use == "weight_decay":
                J = J + 0.05 * (W * W.detach()).sum()
            else:
                J = J + ((W - W.detach() * 0.5) ** 2).sum() * 0.01
            J.backward()
            opt.step()
            return J
        return step
    out = differential(make, mlp_state(), same_calls(), N_CALLS, may_refuse=True)
    assert_eager_or_refused(out)
    if out.refused is not None:
        message = str(out.refused)
        assert "detach" in message, message
        assert ".item()" not in message and ".data" not in message, message


# ===== fit's default jits only what is nn's own ==============================================================
class Shifting(nn.Module):
    """A user's module whose forward changes after 3 calls (a Python counter: invisible to a recording)."""

    def __init__(self):
        super().__init__()
        self.inner = nn.MLP([2, 5, 1], hidden="tanh", rng=3)
        self.calls = 0

    def forward(self, X):
        self.calls += 1
        A = self.inner(X)
        return A if self.calls <= 3 else (A * 0.5 + 0.25)


def test_fit_s_default_trains_a_users_module_as_eager():
    X, Y = batch(30, 1)
    results = []
    for use_jit in (False, None):
        model = Shifting()
        costs = nn.fit(model, X, Y, num_iterations=12, print_cost=False, record_every=1, jit=use_jit)
        results.append((np.array(costs), [p.data.copy() for p in model.parameters()]))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12, atol=0)
    for p, q in zip(results[1][1], results[0][1]):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


# ===== nothing is left behind after a refusal ===============================================================
def _refused_create_graph(model, opt, X, Y):
    J = nn.binary_cross_entropy(model(X), Y)
    J.backward(create_graph=True)
    return J


def _refused_anomaly(model, opt, X, Y):
    with detect_anomaly():
        opt.zero_grad()
        J = nn.binary_cross_entropy(model(X), Y)
        J.backward()
    return J


def _refused_data_write(model, opt, X, Y):
    opt.zero_grad()
    J = nn.binary_cross_entropy(model(X), Y)
    J.backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad.data  # not through an optimiser
    return J


def _refused_python_number(model, opt, X, Y):
    opt.zero_grad()
    J = nn.binary_cross_entropy(model(X), Y)
    J.backward()
    opt.step()
    return J.item()


def _refused_grad(model, opt, X, Y):
    J = nn.binary_cross_entropy(model(X), Y)
    return tinygrad_nb.grad(J, model.parameters())[0]


REFUSED = {"create_graph": _refused_create_graph, "detect_anomaly": _refused_anomaly,
           "data_write": _refused_data_write, "python_number": _refused_python_number, "grad": _refused_grad}


@pytest.mark.parametrize("cause", sorted(REFUSED))
def test_after_a_refusal_the_model_trains_eagerly_and_jitted(cause):
    state = mlp_state()
    model, opt = state["model"], state["opt"]
    X, Y = batch(12, 0)
    bad = jit(lambda X, Y: REFUSED[cause](model, opt, X, Y))
    with pytest.raises(Exception) as info:  # noqa: PT011
        bad(X, Y)
        bad(X, Y)
    assert info.type is JitError, f"{info.type.__name__}: {info.value}"
    assert all(p.data.flags.writeable for p in model.parameters())
    assert is_grad_enabled() and not is_anomaly_enabled()
    # a plain eager step on the model gives what the same step gives on a copy taken now
    twin = copy.deepcopy(state)
    for s in (state, twin):
        bce_step(s)(X, Y)
    compare_states(state, twin, "eager step after the refusal")
    # and a fresh jit of a legal step on the same model replays as eager does
    assert_replays(differential(bce_step, state, new_calls(), N_CALLS, may_refuse=False))


class _Perturbed:
    """Fake jits for the harness's self-check: each gets one thing wrong in its own way."""

    def __init__(self, fn, how):
        self.fn, self.how, self.calls = fn, how, 0

    def __call__(self, *args):
        self.calls += 1
        if self.how == "runtime_error" and self.calls == 3:
            raise RuntimeError("not a JitError")
        if self.how == "jit_error_subclass" and self.calls == 3:
            raise type("SubError", (JitError,), {})("a subclass")
        out = self.fn(*args)
        if self.how == "parameter_off" and self.calls == 5:
            self.fn.__closure__[[c.cell_contents.__class__.__name__ for c in self.fn.__closure__].index("MLP")
                                ].cell_contents.linears()[0].W.data[0, 0] += 1e-9
        if self.how == "output_off" and self.calls == 4:
            out = out * (1 + 1e-10)
        if self.how == "grad_dropped" and self.calls == 6:
            for c in self.fn.__closure__:
                if c.cell_contents.__class__.__name__ == "MLP":
                    c.cell_contents.linears()[1].b.grad = None
        return out


@pytest.mark.parametrize("how", ["parameter_off", "output_off", "grad_dropped", "runtime_error", "jit_error_subclass"])
def test_the_harness_reports_each_kind_of_third_outcome(how, monkeypatch):
    import _jit_programs
    monkeypatch.setattr(_jit_programs, "jit", lambda fn: _Perturbed(fn, how))
    with pytest.raises(ContractViolationError):
        differential(bce_step, mlp_state(), new_calls(), N_CALLS, may_refuse=True)


def test_the_harness_accepts_a_refusal_only_where_allowed(monkeypatch):
    import _jit_programs

    def refusing(fn):
        def call(*args):
            raise JitError("no")
        return call
    monkeypatch.setattr(_jit_programs, "jit", refusing)
    assert differential(bce_step, mlp_state(), new_calls(), N_CALLS, may_refuse=True).refused is not None
    with pytest.raises(ContractViolationError):
        differential(bce_step, mlp_state(), new_calls(), N_CALLS, may_refuse=False)
