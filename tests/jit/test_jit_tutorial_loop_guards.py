"""What a tutorial loop's Python reads is an input or a guard of the jit, never a frozen value (a review's cases).

A jitted update that reads ``p.grad`` reads it afresh on every replay, even when ``p`` is no op's input and the
``.grad`` object was replaced outside (``zero_grad`` sets it to None); whether a ``.grad`` was None where the
function's Python read it (``if p.grad is None: continue``) is guarded; ``p.data op= v`` is NumPy's own
``ndarray op= v`` (its casting), recorded and replayed; a list argument the function changes, or a list subclass,
is refused rather than silently differing; a list of parameters is an argument again. Each case runs jitted
and eagerly from the same start (``_jit_programs.differential``) and must end bit for bit equal, or raise
JitError where the contract allows it.
"""

from __future__ import annotations

import numpy as np
import pytest
from _jit_programs import PythonRuns, collect_parameters, differential, function_with_globals

import nn
from tinygrad_nb import JitError, Tensor, jit, no_grad

N_CALLS = 6


def _bitwise(out):
    """The jitted and the eager run end with exactly the same parameters and .grad (the same bits)."""
    for p, q in zip(collect_parameters(out.jit_state), collect_parameters(out.eager_state)):
        assert p.data.dtype == q.data.dtype and p.data.tobytes() == q.data.tobytes()
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert p.grad.data.tobytes() == q.grad.data.tobytes()


def _no_call(k):
    return (), {}


# ----- .grad read by Python: an input read afresh, its None-ness guarded ---------------------------------------
def _sgd_update(ps, zero=True):
    """An update-only step: the parameters are no op's input in it (backward runs outside)."""
    def update():
        with no_grad():
            for p in ps:
                p -= 0.1 * p.grad
                if zero:
                    p.grad.zero_()
    return update


@pytest.mark.parametrize("zero", [True, False])
def test_an_update_only_step_reads_each_call_s_grad_after_zero_grad_outside(zero):
    # zero_grad outside sets .grad to None at call 3; the next backward makes a new .grad object, which the
    # replay must read (not the recording's)
    def between(i, ps, step):
        if i == 3:
            for p in ps:
                p.grad = None
        (ps[0] * float(i + 1)).sum().backward()
    state = [Tensor(np.ones(3), requires_grad=True, name="W")]
    out = differential(lambda ps: _sgd_update(ps, zero), state, _no_call, N_CALLS, may_refuse=False,
                       between=between)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 2
    _bitwise(out)


def test_two_recordings_with_equal_gradients_do_not_freeze_the_second_s_grad_object():
    # grads None before every backward (nn's zero_grad), the first two calls see equal gradient values
    def between(i, ps, step):
        for p in ps:
            p.grad = None
        c = np.array([1.0, 2.0, 3.0]) if i < 2 else np.array([-1.0, 0.5, 4.0]) * i
        (ps[0] * c).sum().backward()
    state = [Tensor(np.zeros(3), requires_grad=True, name="W")]
    out = differential(lambda ps: _sgd_update(ps, zero=False), state, _no_call, N_CALLS, may_refuse=False,
                       between=between)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 2
    _bitwise(out)


def _skip_none_update(ps):
    def update():
        with no_grad():
            for p in ps:
                if p.grad is None:  # every optimiser's loop
                    continue
                p -= 0.1 * p.grad
                p.grad.zero_()
    return update


@pytest.mark.parametrize("when", ["joins", "leaves"])
def test_a_branch_on_whether_a_grad_is_none_records_anew_when_it_changes(when):
    # B enters the loss at call 2 ("joins"), or its .grad is cleared for good at call 3 ("leaves")
    x = np.array([1.0, 2.0, 3.0])

    def between(i, ps, step):
        A, B = ps
        J = (A * x).sum()
        if (when == "joins" and i >= 2) or (when == "leaves" and i < 3):
            J = J + (B * x).sum()
        if when == "leaves" and i == 3:
            B.grad = None
        J.backward()
    state = [Tensor(np.ones(3), requires_grad=True, name="A"), Tensor(np.ones(3), requires_grad=True, name="B")]
    out = differential(_skip_none_update, state, _no_call, N_CALLS + 2, may_refuse=False, between=between)
    assert out.refused is None and out.agreed == N_CALLS + 2
    assert out.python_runs == 4  # recorded twice with B.grad None (or set), twice again after the change
    _bitwise(out)


def test_a_grad_none_check_after_a_side_effect_is_checked_at_its_place_in_each_replay():
    # what the optimiser's zero_grad leaves is read after it: the replay checks it where the Python read it
    def make(s):
        W, V, opt = s["W"], s["V"], s["opt"]

        def step(X, Y):
            opt.zero_grad()
            J = ((W @ X - Y) ** 2).mean()
            J.backward()
            with no_grad():
                for p in (W, V):
                    if p.grad is not None:
                        p -= 0.1 * p.grad
            return J
        return step
    W = Tensor(np.ones((1, 3)), requires_grad=True, name="W")
    V = Tensor(np.ones((1, 3)), requires_grad=True, name="V")  # in no loss: its .grad stays None
    state = {"W": W, "V": V, "opt": nn.optim.SGD([W, V], lr=0.1)}
    rng = np.random.RandomState(0)
    out = differential(make, state, lambda k: ((rng.randn(3, 5), rng.randn(1, 5)), {}), N_CALLS, may_refuse=False)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 2
    _bitwise(out)


def test_a_returned_grad_is_the_parameter_s_grad_of_each_call():
    W = Tensor(np.ones((1, 3)), requires_grad=True, name="W")

    @jit
    def step(X):
        W.grad = None
        ((W @ X) ** 2).sum().backward()
        return W.grad
    for k in range(5):
        X = np.random.RandomState(k).randn(3, 4)
        g = step(X)
        assert g is W.grad
        np.testing.assert_array_equal(g.data, 2 * (W.data @ X) @ X.T)  # d/dW sum((W X)^2) = 2 (W X) X^T


def test_an_op_reading_a_grad_that_a_later_backward_adds_into_is_refused_not_stale():
    # eager's backward of W * W.grad takes the .grad's array as the accumulation left it; a replay would not
    ps = [Tensor(np.ones((1, 3)), requires_grad=True, name="W")]
    (ps[0] * 2.0).sum().backward()

    @jit
    def step(X):
        J1 = (ps[0] @ X).sum()
        J2 = (ps[0] * ps[0].grad).sum()
        J1.backward()
        J2.backward()
        with no_grad():
            ps[0] -= 0.01 * ps[0].grad
        return J1
    with pytest.raises(JitError, match=r"a backward pass has added into since.*G = W.grad \* 1.0"):
        step(np.ones((3, 2)))


# ----- .data op= v: NumPy's own in-place op ------------------------------------------------------------------
OPERANDS = {
    "python float": 0.999, "python int": 3, "python bool": True,
    "np.float64": np.float64(0.999), "np.float32": np.float32(0.999), "np.int64 beyond float32": np.int64(16777217),
    "0-d float64 array": np.array(0.999), "float64 array": np.full(4, 0.999),
    "int64 array beyond float16": np.full(4, 70000, np.int64), "list": [0.999] * 4,
}


@pytest.mark.parametrize("operand", sorted(OPERANDS))
def test_a_data_update_casts_as_numpy_s_in_place_op_on_every_call(operand):
    v = OPERANDS[operand]
    start = np.array([1.1, 2.3, 3.7, 16777215.0])  # the last: float32's last odd integer, float16's infinity
    for dtype in (np.float32, np.float64, np.float16):
        for op in ("+=", "*=", "/="):
            with np.errstate(all="ignore"):
                W = Tensor(start.astype(dtype), requires_grad=True, name="W")
                expected = start.astype(dtype)
            step = function_with_globals(f"def step(X):\n    J = (W * X).sum()\n    W.data {op} v\n    return J\n",
                                         {"W": W, "v": v})
            jitted = jit(step)
            with np.errstate(all="ignore"):
                for _ in range(4):  # two recordings, two replays
                    jitted(np.ones(4, dtype))
                    exec(f"expected {op} v", {"expected": expected, "v": v})  # noqa: S102 - NumPy's own op=
                    assert W.data.dtype == expected.dtype
                    assert W.data.tobytes() == expected.tobytes(), (dtype, op, W.data, expected)


def test_a_float64_weight_decay_on_float32_parameters_is_rounded_once_as_numpy_does():
    # micrograd-style decay with a NumPy float64 factor: NEP 50 computes in float64 and rounds once
    def make(ps):
        decay = np.float64(0.999)

        def step(X):
            for p in ps:
                p.grad = None
            J = (ps[0] * X).sum()
            J.backward()
            for p in ps:
                p.data *= decay
                p.data -= 0.01 * p.grad
            return J
        return step
    rng = np.random.RandomState(0)
    state = [Tensor(rng.randn(1000).astype(np.float32), requires_grad=True, name="W")]
    out = differential(make, state, lambda k: ((np.full(1000, 0.5, np.float32),), {}), N_CALLS, may_refuse=False)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 2
    _bitwise(out)


def test_grad_data_scaled_and_grad_augmented_in_place_are_recorded():
    # p.grad.data *= 0.5 (NumPy on the .grad) and with no_grad(): p.grad += p (the store back is the same object)
    def make(ps):
        def step(X, Y):
            for p in ps:
                p.grad = None
            J = ((ps[0] @ X + ps[1] - Y) ** 2).mean()
            J.backward()
            with no_grad():
                for p in ps:
                    p.grad.data *= 0.5
                    p.grad += 0.01 * p
                    p -= 0.1 * p.grad
            return J
        return step
    rng = np.random.RandomState(1)
    state = [Tensor(rng.randn(1, 3), requires_grad=True, name="W"), Tensor(np.zeros((1, 1)), requires_grad=True,
                                                                           name="b")]
    out = differential(make, state, lambda k: ((rng.randn(3, 5), rng.randn(1, 5)), {}), N_CALLS, may_refuse=False)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 2
    _bitwise(out)


def test_a_data_update_in_a_long_function_is_recognised():
    # past 256 instructions CPython prefixes the attribute's argument with EXTENDED_ARG
    src = ("def step(X):\n" + "".join(f"    _ = o.a{i}\n" for i in range(300))
           + "    J = (W * X).sum()\n    W.grad = None\n    J.backward()\n    W.data -= 0.1 * W.grad\n    return J\n")

    class Settings:
        pass
    o = Settings()
    for i in range(300):
        setattr(o, f"a{i}", i)
    W = Tensor(np.ones(3), requires_grad=True, name="W")
    step = jit(function_with_globals(src, {"o": o, "W": W}))
    X, expected = np.array([1.0, 2.0, 3.0]), np.ones(3)
    for _ in range(4):
        step(X)
        expected -= 0.1 * X  # dJ/dW = X
        assert W.data.tobytes() == expected.tobytes()


# ----- list arguments ----------------------------------------------------------------------------------------
def _consuming(W):
    def step(mini_batch):
        W.grad = None
        for x, y in mini_batch:
            ((W @ x - y) ** 2).sum().backward()
        W.data -= 0.01 * W.grad
        mini_batch.pop()  # consumes the list, as eager does
        return None
    return step


def test_a_list_argument_changed_by_the_function_is_refused_and_changed_as_eager():
    W, V = Tensor(np.ones((1, 3)), requires_grad=True), Tensor(np.ones((1, 3)), requires_grad=True)
    jitted, eager = jit(_consuming(W)), _consuming(V)
    for _ in range(2):
        mb = [(np.ones((3, 1)) * i, np.ones((1, 1))) for i in range(3)]
        mb_eager = [(x.copy(), y.copy()) for x, y in mb]
        with pytest.raises(JitError, match=r"changed its list argument 0"):
            jitted(mb)
        eager(mb_eager)
        assert len(mb) == len(mb_eager) == 2
        assert all(type(x) is np.ndarray and x.tobytes() == xe.tobytes() for (x, _), (xe, _) in zip(mb, mb_eager))
        assert W.data.tobytes() == V.data.tobytes()  # the call ran as written before the refusal


def test_a_list_subclass_argument_holding_arrays_is_refused():
    class Batch(list):
        scale = 1.0

    W = Tensor(np.ones((1, 3)), requires_grad=True)

    @jit
    def step(mb):
        x, y = mb[0]
        return ((W @ x - y) ** 2).sum() * mb.scale
    mb = Batch([(np.ones((3, 1)), np.zeros((1, 1)))])
    mb.scale = 0.5
    with pytest.raises(JitError, match=r"argument 0 is a Batch, a subclass of list"):
        step(mb)


def _twice(build, n_calls):
    """``build() -> (step, tensors, call(k) -> args)`` run jitted and eagerly from the same start: each side's
    tensors after each call, and how often the jitted function's Python ran."""
    states = []
    for use_jit in (True, False):
        step, tensors, call = build()
        counter = PythonRuns(step.__code__)
        f = jit(step) if use_jit else step
        seen = []
        for k in range(n_calls):
            with counter:
                f(*call(k))
            seen.append([(t.data.tobytes(), None if t.grad is None else t.grad.data.tobytes()) for t in tensors])
        states.append(seen)
        if use_jit:
            runs = counter.count
    assert states[0] == states[1]  # bit for bit, after every call
    return runs


def test_a_list_of_parameters_as_an_argument_replays_as_eager():
    # step([w, b], X, Y) with an optimiser: the parameters are themselves (keyed by identity), the arrays traced
    def build():
        w = Tensor(np.ones((1, 3)), requires_grad=True, name="w")
        b = Tensor(np.zeros((1, 1)), requires_grad=True, name="b")
        opt = nn.optim.SGD([w, b], lr=0.1)

        def step(params, X, Y):
            opt.zero_grad()
            W, B = params
            J = ((W @ X + B - Y) ** 2).mean()
            J.backward()
            opt.step()
            return J

        def call(k):
            rng = np.random.RandomState(k)
            return [w, b], rng.randn(3, 5), np.ones((1, 5))
        return step, [w, b], call
    assert _twice(build, N_CALLS) == 2  # two recordings, then replays: a new list [w, b] each call is the same key


def test_a_parameter_in_a_mini_batch_tuple_is_itself_as_eager():
    # a parameter where an example x is expected: it is used as itself, and gets its gradient
    def build():
        W = Tensor(np.ones((1, 3)), requires_grad=True, name="W")
        V = Tensor(np.full((3, 1), 0.5), requires_grad=True, name="V")

        def step(mini_batch):
            W.grad = None
            for x, y in mini_batch:
                ((W @ x - y) ** 2).sum().backward()
            W.data -= 0.1 * W.grad
            return None

        def call(k):
            return ([(np.full((3, 1), float(k)), np.ones((1, 1))), (V, np.ones((1, 1)))],)
        return step, [W, V], call
    assert _twice(build, N_CALLS) == 3  # V.grad (never cleared) None on the first call only: a third recording


def test_the_gradients_data_read_in_an_update_is_refused_naming_the_spelling_the_jit_records():
    """p.data -= lr * p.grad.data (older tutorials): the NumPy value of this call's gradient would be frozen."""
    W = Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True, name="W")
    X = np.linspace(-1, 1, 10).reshape(2, 5)

    @jit
    def step(X):
        W.grad = None
        J = ((W @ Tensor(X)) ** 2).sum()
        J.backward()
        W.data -= 0.01 * W.grad.data
        return J

    with pytest.raises(JitError, match=r"Drop the \.data on the gradient: W\.data -= lr \* W\.grad"):
        step(X)
