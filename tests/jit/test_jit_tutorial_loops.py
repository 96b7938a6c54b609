"""Tutorial training loops under the jit, as written (issue 25).

micrograd's, PyTorch's "What is torch.nn really?", makemore's and Nielsen's loops update their parameters
themselves (``with no_grad(): W -= lr * W.grad``, ``W.grad.zero_()``, ``p.grad = None``, ``p.data += -lr * p.grad``)
and Nielsen's takes a list of ``(x, y)`` tuples. Each loop runs jitted and eagerly from the same start
(``_jit_programs.differential``: outputs, parameters and ``.grad`` after every call) and must also end bit for
bit equal: a replay makes the same NumPy calls on the same arrays in the same order.
"""

from __future__ import annotations

import numpy as np
import pytest
from _jit_programs import collect_parameters, differential, function_with_globals

from tinygrad_nb import JitError, Tensor, jit, no_grad

N_CALLS = 8


def _params(shapes, seed=0):
    rng = np.random.RandomState(seed)
    return [Tensor(rng.randn(*s) * 0.5, requires_grad=True, name=f"p{i}") for i, s in enumerate(shapes)]


def _mlp(ps, X):
    """A = W2 tanh(W1 X + b1) + b2 (course layout: W1 (n1, n0), X (n0, m))."""
    W1, b1, W2, b2 = ps
    return W2 @ (W1 @ X + b1).tanh() + b2


def _batch(k, n_x=3, m=8):
    rng = np.random.RandomState([11, k])
    X = rng.randn(n_x, m)
    return X, np.sin(X.sum(axis=0, keepdims=True))


def _bitwise(out):
    """The jitted and the eager run end with exactly the same parameters (the same bits, -0.0 too)."""
    for p, q in zip(collect_parameters(out.jit_state), collect_parameters(out.eager_state)):
        assert p.data.tobytes() == q.data.tobytes()
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert p.grad.data.tobytes() == q.grad.data.tobytes()


SHAPES = [(4, 3), (4, 1), (1, 4), (1, 1)]


def test_a_micrograd_loop_with_data_updates_jits_as_written():
    # micrograd: zero the grads, forward, backward, p.data -= lr * p.grad (no no_grad: .data is outside autograd)
    def make(ps):
        def step(X, Y):
            for p in ps:
                p.grad = None
            J = ((_mlp(ps, X) - Y) ** 2).mean()
            J.backward()
            for p in ps:
                p.data -= 0.05 * p.grad
            return J
        return step
    out = differential(make, _params(SHAPES), lambda k: (_batch(k), {}), N_CALLS, may_refuse=False)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 2
    _bitwise(out)


def test_the_pytorch_tutorial_s_manual_loop_jits_as_written():
    # "What is torch.nn really?": with no_grad(): weights -= weights.grad * lr; ...; weights.grad.zero_()
    lr = 0.5

    def make(ps):
        def step(X, Y):
            J = ((_mlp(ps, X) - Y) ** 2).mean()
            J.backward()
            with no_grad():
                for p in ps:
                    p -= p.grad * lr
                for p in ps:
                    p.grad.zero_()
            return J
        return step
    out = differential(make, _params(SHAPES, 1), lambda k: (_batch(k), {}), N_CALLS, may_refuse=False)
    # .grad is None on the first call only: a third recording, then replays
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 3
    _bitwise(out)
    assert all(np.all(p.grad.data == 0) for p in collect_parameters(out.jit_state))


def test_a_makemore_loop_with_a_learning_rate_decay_jits_as_written():
    # makemore: emb = C[Xb]; ...; p.grad = None; loss.backward(); lr = 0.1 if i < k else 0.01; p.data += -lr * p.grad
    def make(ps):
        C, W, b = ps

        def step(ix, Y, lr):
            emb = C[ix].reshape(ix.shape[0], -1).T  # (2 * 2, m): two characters of two dimensions each
            logits = W @ emb.tanh() + b
            J = -(Y * logits.log_softmax(axis=0)).sum() * (1.0 / Y.shape[1])
            for p in ps:
                p.grad = None
            J.backward()
            for p in ps:
                p.data += -lr * p.grad
            return J
        return step

    def call(k):
        rng = np.random.RandomState([5, k])
        ix = rng.randint(0, 6, size=(10, 2))
        Y = np.eye(6)[:, rng.randint(0, 6, size=10)]
        return (ix, Y, 0.1 if k < 5 else 0.01), {}
    out = differential(make, _params([(6, 2), (6, 4), (6, 1)], 2), call, N_CALLS, may_refuse=False)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 4  # lr: a static argument
    _bitwise(out)


def _nielsen(ps):
    def update_mini_batch(mini_batch):
        eta = 3.0
        for x, y in mini_batch:  # the gradients of each example add up in .grad
            ((_mlp(ps, x) - y) ** 2).sum().backward()
        with no_grad():
            for p in ps:
                p -= (eta / len(mini_batch)) * p.grad
                p.grad = None
        return None
    return update_mini_batch


def _mini_batch(k, size=4):
    rng = np.random.RandomState([3, k])
    return [(rng.randn(3, 1), rng.rand(1, 1)) for _ in range(size)]


def test_nielsen_s_update_mini_batch_over_a_list_of_tuples_jits_as_written():
    sizes = [4] * 6 + [3, 3]  # the last mini-batch of an epoch is shorter: a signature of its own
    out = differential(_nielsen, _params(SHAPES, 3), lambda k: ((_mini_batch(k, sizes[k]),), {}), N_CALLS,
                       may_refuse=False)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 4
    _bitwise(out)


def test_a_list_argument_refilled_in_place_is_read_afresh():
    ps, qs = _params(SHAPES, 4), _params(SHAPES, 4)
    jitted, eager = jit(_nielsen(ps)), _nielsen(qs)
    batch = _mini_batch(0)
    for k in range(6):
        batch[:] = _mini_batch(k)  # the same list object with new tuples: not the last call's arrays
        batch[1] = (Tensor(batch[1][0]), batch[1][1])  # a Tensor inside too
        jitted(batch)
        eager(batch)
        for p, q in zip(ps, qs):
            assert p.data.tobytes() == q.data.tobytes()


def test_a_list_argument_with_a_parameter_inside_passes_it_as_itself():
    # the parameter is an outside tensor of the recording (keyed by identity), equal to eager
    ps, qs = _params(SHAPES, 8), _params(SHAPES, 8)
    extra_j, extra_e = _params([(3, 1)], 9)[0], _params([(3, 1)], 9)[0]
    jitted, eager = jit(_nielsen(ps)), _nielsen(qs)
    for k in range(5):
        x, y = _mini_batch(k, 1)[0]
        jitted([(x, y), (extra_j, np.ones((1, 1)))])
        eager([(x, y), (extra_e, np.ones((1, 1)))])
        for p, q in zip(ps + [extra_j], qs + [extra_e]):
            assert p.data.tobytes() == q.data.tobytes()
            assert (p.grad is None) == (q.grad is None)
            if p.grad is not None:
                assert p.grad.data.tobytes() == q.grad.data.tobytes()


# ----- what a recording cannot see is guarded, or refused -------------------------------------------------
STEP = """
def step(X, Y):
    global W
    J = ((W @ X - Y) ** 2).mean()
    J.backward()
    with no_grad():
        W -= cfg["lr"] * W.grad
        W.grad = None
    return J
"""


@pytest.mark.parametrize("change", ["lr", "W_rebound"])
def test_a_learning_rate_or_a_parameter_changed_between_calls_records_anew(change):
    def make(s):
        return function_with_globals(STEP, {"W": s["W"], "cfg": s["cfg"], "no_grad": no_grad})

    def between(i, s, step):
        if i == 4 and change == "lr":
            s["cfg"]["lr"] = 0.01  # a Python float the update reads: guarded
        if i == 4 and change == "W_rebound":
            step.__globals__["W"] = s["W2"]  # another tensor updated from now on
    state = {"W": _params([(1, 3)], 5)[0], "W2": _params([(1, 3)], 6)[0], "cfg": {"lr": 0.2}}
    out = differential(make, state, lambda k: (_batch(k), {}), N_CALLS,
                       may_refuse=False, between=between)
    assert out.refused is None and out.agreed == N_CALLS and out.python_runs == 4  # recorded twice for each
    _bitwise(out)


def _step_with(update):
    W = _params([(1, 3)], 7)[0]

    @jit
    def step(X, Y):
        J = ((W @ X - Y) ** 2).mean()
        J.backward()
        update(W, X, J)
        return J
    return step


def _grad_set_to_a_tensor(W, X, J):
    W.grad = Tensor(np.zeros((1, 3)))


def _argument_in_place(W, X, J):
    with no_grad():
        X *= 2.0


def _result_in_place(W, X, J):
    with no_grad():
        A = W @ X
        A -= 1.0


def _made_in_the_step(W, X, J):
    acc = Tensor(np.zeros((1, 3)))
    with no_grad():
        acc += W.grad


def _former_grad_read(W, X, J):
    g = W.grad
    W.grad = None
    with no_grad():
        W -= 0.1 * g


def _data_floordiv(W, X, J):
    W.data //= 2.0


REFUSED = {f.__name__[1:]: f for f in (_grad_set_to_a_tensor, _argument_in_place, _result_in_place,
                                        _made_in_the_step, _former_grad_read, _data_floordiv)}


@pytest.mark.parametrize("update", sorted(REFUSED))
def test_updates_a_replay_could_not_repeat_are_refused(update):
    step = _step_with(REFUSED[update])
    X, Y = _batch(0)
    with pytest.raises(JitError, match=r"jit: .* at .*test_jit_tutorial_loops.py:\d+"):
        step(X[:, :8], Y)
        step(X[:, :8], Y)


def test_a_parameter_changed_in_place_outside_no_grad_raises_as_eager():
    def update(W, X, J):
        W -= 0.1 * W.grad
    with pytest.raises(RuntimeError, match="is a leaf that requires grad: update it under no_grad"):
        _step_with(update)(*_batch(0))
