"""tinygrad_nb.jit: a replayed step gives the eager step's results, and what it cannot replay is refused.

The oracle is the eager engine run side by side from the same initial parameters.
"""

import numpy as np
import pytest
from _jit_programs import training_step as make_step
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from tinygrad_nb import Function, JitError, Tensor, detect_anomaly, explain, grad, jit, no_grad, side_effect


def planar(m=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(2, m)
    return X, (X[0:1] * X[1:2] > 0).astype(np.float64)


class PlainSGD:
    """A hand-written optimiser: its state changes are marked @side_effect, so a replay repeats them."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    @side_effect
    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @side_effect
    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad.data


def assert_close(a, b, rtol=1e-12):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-300)


def test_replay_matches_the_eager_step_and_fills_grad():
    X, Y = planar()
    models = [nn.MLP([2, 4, 1], hidden="tanh", rng=1) for _ in range(2)]
    eager = make_step(models[0], PlainSGD(models[0].parameters(), 1.2))
    jitted = jit(make_step(models[1], PlainSGD(models[1].parameters(), 1.2)))
    for _ in range(100):
        assert_close(jitted(X, Y).item(), eager(X, Y).item())
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert_close(q.data, p.data)
        assert_close(q.grad.data, p.grad.data)


def test_parameters_are_updated_in_place():
    X, Y = planar()
    model = nn.MLP([2, 3, 1], rng=2)
    arrays = [p.data for p in model.parameters()]
    step = jit(make_step(model, PlainSGD(model.parameters(), 0.1)))
    for _ in range(4):
        step(X, Y)
    assert all(p.data is a for p, a in zip(model.parameters(), arrays))


OPTIMISERS = {
    "sgd": lambda ps: nn.optim.SGD(ps, 0.3),
    "momentum": lambda ps: nn.optim.SGD(ps, 0.1, momentum=0.9),
    "rmsprop": lambda ps: nn.optim.RMSprop(ps, 0.01),
    "adam": lambda ps: nn.optim.Adam(ps, 0.01),
}
LOSSES = {
    "bce": ("sigmoid", nn.binary_cross_entropy),
    "bce_logits": ("identity", nn.binary_cross_entropy_with_logits),
    "mse": ("identity", nn.mse),
}


@settings(max_examples=12, deadline=None)
@given(dims=st.lists(st.integers(1, 5), min_size=1, max_size=3), m=st.integers(1, 12),
       hidden=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
       optimiser=st.sampled_from(sorted(OPTIMISERS)), loss=st.sampled_from(sorted(LOSSES)),
       seed=st.integers(0, 100))
def test_hundred_replayed_steps_equal_eager_to_rounding(dims, m, hidden, optimiser, loss, seed):
    output, cost = LOSSES[loss]
    rng = np.random.RandomState(seed)
    X, Y = rng.randn(3, m), (rng.rand(1, m) > 0.5).astype(np.float64)
    models = [nn.MLP([3, *dims, 1], hidden=hidden, output=output, rng=seed) for _ in range(2)]
    steps = [make_step(mdl, OPTIMISERS[optimiser](mdl.parameters()), cost) for mdl in models]
    steps[1] = jit(steps[1])
    for _ in range(100):
        assert_close(steps[1](X, Y).item(), steps[0](X, Y).item())
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert_close(q.data, p.data)


def test_softmax_cross_entropy_step_replays():
    rng = np.random.RandomState(3)
    X, labels = rng.randn(4, 15), rng.randint(0, 3, size=15)
    models = [nn.MLP([4, 5, 3], output="identity", rng=4) for _ in range(2)]
    steps = [make_step(mdl, nn.optim.Adam(mdl.parameters(), 0.01), nn.cross_entropy) for mdl in models]
    jitted = jit(steps[1])
    for _ in range(30):
        assert_close(jitted(X, labels).item(), steps[0](X, labels).item())


def test_new_shapes_record_again_and_old_ones_still_replay():
    models = [nn.MLP([2, 4, 1], rng=5) for _ in range(2)]
    eager = make_step(models[0], PlainSGD(models[0].parameters(), 0.5))
    jitted = jit(make_step(models[1], PlainSGD(models[1].parameters(), 0.5)))
    for m in [10, 10, 10, 25, 25, 25, 10, 25, 7]:
        X, Y = planar(m, seed=m)
        assert_close(jitted(X, Y).item(), eager(X, Y).item())
    assert len(jitted.cache) == 3


def test_minibatches_with_changing_data_replay_correctly():
    models = [nn.MLP([2, 3, 1], rng=6) for _ in range(2)]
    eager = make_step(models[0], PlainSGD(models[0].parameters(), 0.5))
    jitted = jit(make_step(models[1], PlainSGD(models[1].parameters(), 0.5)))
    for k in range(20):
        X, Y = planar(8, seed=k)
        assert_close(jitted(X, Y).item(), eager(X, Y).item())


def test_inference_under_no_grad_replays():
    model = nn.MLP([2, 4, 1], rng=7)
    forward = jit(lambda X: model(X))
    for k in range(4):
        X, _ = planar(6, seed=k)
        with no_grad():
            np.testing.assert_array_equal(forward(X).data, model(X).data)


# ----- what a replay cannot see is refused -----------------------------------------------------------
def test_ops_that_depend_on_the_data_are_named_with_their_line():
    model = nn.MLP([2, 3, 1], rng=8)

    @jit
    def step(X):
        A = model(X)
        if X.data.sum() > 0:  # Python control flow on values
            return A.relu().sum()
        return A.tanh().sum()

    X, _ = planar(8)
    with pytest.raises(JitError, match=r"\.data of .* read at .*test_jit.py:\d+: +if X.data.sum\(\) > 0"):
        step(np.abs(X))


def test_ops_that_differ_between_the_recordings_are_named_with_their_line():
    model = nn.MLP([2, 3, 1], rng=8)
    mode = np.ones(2000)  # read by Python inside the step, from outside: too large to be a value the guards compare

    @jit
    def step(X):
        A = model(X)
        return A.relu().sum() if mode[0] > 0 else A.tanh().sum()

    X, _ = planar(8)
    step(X)
    mode[0] = -1.0
    with pytest.raises(JitError, match=r"different ops.*(tanh|relu) at .*test_jit.py"):
        step(X)


def test_a_constant_computed_from_the_data_outside_the_ops_is_refused():
    model = nn.MLP([2, 3, 1], rng=9)

    source = np.random.RandomState(1).randn(2, 1000)  # from outside, larger than a value the guards compare

    @jit
    def step(X):
        mask = Tensor((source[:, :8] > 0).astype(np.float64))  # NumPy inside the step: invisible to the trace
        return (model(X) * mask[0:1]).sum()

    step(planar(8, seed=1)[0])
    source[:] = np.random.RandomState(2).randn(2, 1000)
    with pytest.raises(JitError, match="constant read by getitem at .* changed between two calls"):
        step(planar(8, seed=1)[0])
    with pytest.raises(JitError, match=r"\.data of a Tensor \(2, 8\) read at"):  # NumPy on an argument: refused
        jit(lambda X: (model(X) * Tensor((X.data > 0).astype(np.float64))[0:1]).sum())(planar(8, seed=1)[0])


def test_writing_a_parameter_outside_a_side_effect_is_refused():
    model = nn.MLP([2, 3, 1], rng=10)

    @jit
    def step(X, Y):
        model.zero_grad()
        J = nn.binary_cross_entropy(model(X), Y)
        J.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad.data  # not replayed: refused while recording
        return J

    with pytest.raises(JitError, match=r"\.data of W1\.grad read .*Drop the \.data on the gradient: W1\.data -= lr"):
        step(*planar())
    assert all(p.data.flags.writeable for p in model.parameters())  # the protection is lifted again


@pytest.mark.parametrize("returned, fragment", [(lambda J: J.item(), "got float"), (lambda J: {"J": J}, "got dict")])
def test_returning_a_python_value_is_refused(returned, fragment):
    model = nn.MLP([2, 3, 1], rng=11)
    step = jit(lambda X, Y: returned(nn.binary_cross_entropy(model(X), Y)))
    with pytest.raises(JitError, match=fragment):
        step(*planar())


def test_grad_hooks_and_debug_modes_are_refused_with_a_clear_message():
    model = nn.MLP([2, 3, 1], rng=12)
    X, Y = planar()
    with pytest.raises(JitError, match="grad\\(\\) cannot be replayed"):
        jit(lambda X, Y: grad(nn.binary_cross_entropy(model(X), Y), model.parameters())[0])(X, Y)
    with pytest.raises(JitError, match="detect_anomaly and explain"), detect_anomaly():
        jit(lambda X: model(X))(X)
    with pytest.raises(JitError, match="detect_anomaly and explain"), explain():
        jit(lambda X: model(X))(X)


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="jit expects a function"):
        jit(3)
    with pytest.raises(ValueError, match="cache_size"):
        jit(lambda: None, cache_size=0)
    with pytest.raises(JitError, match="requires grad"):
        jit(lambda W: W)(Tensor([1.0], requires_grad=True))



def test_an_unhashable_argument_is_keyed_by_identity_and_guarded_by_value():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    step = jit(lambda X, opts: (W @ X).sum() * opts["scale"])
    opts, X = {"scale": 1.0}, np.ones((2, 3))
    for k in range(1, 6):
        opts["scale"] = float(k // 2)  # changed in place between some calls
        assert step(X, opts).item() == 6.0 * (k // 2)
    assert step(X, {"scale": 5.0}).item() == 30.0  # another dict with the same keys


# ----- nn.fit uses it -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"batch_size": 16, "optimizer": "adam"}, {"lambd": 0.7}])
def test_fit_with_jit_gives_the_eager_costs(kwargs):
    X, Y = planar(50, seed=3)
    costs = []
    for use_jit in (False, True):
        model = nn.MLP([2, 5, 1], hidden="relu", rng=13)
        opts = dict(kwargs)
        if opts.pop("optimizer", None) == "adam":
            opts["optimizer"] = nn.optim.Adam(model.parameters(), 0.01)
        costs.append(nn.fit(model, X, Y, num_iterations=60, print_cost=False, record_every=1, jit=use_jit, **opts))
    assert_close(np.array(costs[1]), np.array(costs[0]))


def test_fit_with_dropout_draws_the_masks_the_eager_step_draws():
    X, Y = planar(30, seed=4)
    runs = {}
    for jitted in (None, True, False):
        model = nn.MLP([2, 5, 1], rng=14, keep_prob=0.8)  # the masks come from the layer's own RandomState
        runs[jitted] = (nn.fit(model, X, Y, num_iterations=30, print_cost=False, record_every=1, jit=jitted),
                        [p.data.copy() for p in model.parameters()])
    for jitted in (None, True):
        assert runs[jitted][0] == runs[False][0]
        for p, q in zip(runs[jitted][1], runs[False][1]):
            np.testing.assert_array_equal(p, q)


# ----- found by review: each replayed wrongly (or crashed) before its fix -----------------------------
def test_minibatches_whose_first_labels_coincide_still_train_like_eager():
    X, labels = np.random.RandomState(5).randn(2, 6), np.array([[0, 0, 1, 0, 1, 1]])
    runs = []
    for use_jit in (False, None):
        model = nn.MLP([2, 4, 2], output="identity", rng=2)
        runs.append(nn.fit(model, X, labels, loss="cross_entropy", batch_size=1, seed=0, num_iterations=3,
                           print_cost=False, record_every=1, jit=use_jit))
    assert_close(np.array(runs[1]), np.array(runs[0]))


def test_a_backward_seed_given_as_an_argument_is_read_on_every_call():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    X = np.ones((2, 3))

    @jit
    def step(X, G):
        (W @ X).backward(G)
        return None

    for k in range(1, 6):
        W.grad = None
        G = k * np.arange(3.0).reshape(1, 3)
        step(X, G)
        np.testing.assert_array_equal(W.grad.data, G @ X.T)  # dJ/dW = G X^T


def test_a_changing_constant_backward_seed_is_not_frozen():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    X = np.ones((2, 3))
    scale = [1.0]

    @jit
    def step(X):
        (W @ X).backward(np.full((1, 3), scale[0]))  # a seed made inside: a constant of the recording
        return None

    step(X)
    scale[0] = 2.0  # a guarded value changed: records anew, the seed of this call is read
    W.grad = None
    step(X)
    np.testing.assert_array_equal(W.grad.data, np.full((1, 3), 2.0) @ X.T)


@pytest.mark.parametrize("update", ["rebind", "numpy_on_data"])
def test_parameter_updates_outside_a_side_effect_are_refused_in_every_form(update):
    # (W.data *= 0.5, W -= ... under no_grad, W.grad = None are recorded: test_jit_tutorial_loops.py)
    W = Tensor(np.ones((1, 2)), requires_grad=True, name="W1")

    @jit
    def step(X):
        if update == "numpy_on_data":
            np.multiply(W.data, 0.5, out=W.data)
        J = (W @ X).sum()
        if update == "rebind":
            W.data = W.data - 0.1
        return J

    X = np.ones((2, 3))
    with pytest.raises(JitError, match="W1.data was rebound|written inside the jitted function|.data of W1"):
        step(X)
        step(X)


def test_returning_a_detached_result_follows_the_data():
    W = Tensor(np.ones((1, 2)), requires_grad=True)
    step = jit(lambda X: (W @ X).sum().detach())
    for k in range(1, 5):
        assert step(np.full((2, 3), float(k))).item() == 6.0 * k
    with pytest.raises(JitError, match="returns a Tensor that no traced op made"):
        jit(lambda X: Tensor(np.ones(3)))(np.ones((2, 3)))
    with pytest.raises(JitError, match=r"\.data of .* read at"):
        jit(lambda X: Tensor((W @ X).data.copy()))(np.ones((2, 3)))


def test_debugging_modes_inside_a_jitted_function_are_refused():
    W = Tensor(np.ones((1, 2)), requires_grad=True)

    @jit
    def step(X):
        with detect_anomaly():
            return (W @ X).sum()

    with pytest.raises(RuntimeError, match="detect_anomaly cannot run inside a jitted function"):
        step(np.ones((2, 3)))
    assert not __import__("tinygrad_nb").is_anomaly_enabled()


def test_two_backward_passes_through_shared_nodes_replay():
    models = [nn.MLP([3, 4, 1], rng=3) for _ in range(2)]

    def make(model):
        def step(X):
            model.zero_grad()
            A = model(X)
            A.sum().backward(retain_graph=True)
            (A * A).sum().backward()
            return A.sum()
        return step

    eager, jitted = make(models[0]), jit(make(models[1]))
    for k in range(4):
        X = np.random.RandomState(k).randn(3, 5)
        assert_close(jitted(X).item(), eager(X).item())
        for p, q in zip(models[0].parameters(), models[1].parameters()):
            assert_close(q.grad.data, p.grad.data)


def test_index_arrays_inside_tuples_are_compared():
    W = Tensor(np.ones((2, 2000)), requires_grad=True)

    source = np.r_[np.ones(1000), -np.ones(1000)]  # from outside, read by NumPy inside: a constant index

    @jit
    def step(X):
        return (W * X)[:, np.flatnonzero(source > 0)].sum()

    step(np.ones((2, 2000)))  # the same count selected both times: only the values of the index differ
    source *= -1
    with pytest.raises(JitError, match="array argument of getitem"):
        step(np.ones((2, 2000)))


def test_cross_entropy_reads_its_labels_as_an_input_so_minibatches_replay():
    X, labels = np.random.RandomState(6).randn(2, 12), np.random.RandomState(7).randint(0, 3, size=(1, 12))
    runs = []
    for use_jit in (False, True):  # jit=True insists: a label baked into the recording would be refused
        model = nn.MLP([2, 4, 3], output="identity", rng=4)
        runs.append(nn.fit(model, X, labels, loss="cross_entropy", batch_size=4, seed=0, num_iterations=5,
                           print_cost=False, record_every=1, jit=use_jit))
    assert_close(np.array(runs[1]), np.array(runs[0]))


def _peak_bytes(step, X, Y):
    import gc
    import tracemalloc
    for _ in range(3):
        step(X, Y)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    step(X, Y)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def test_a_replayed_step_holds_no_more_memory_than_the_eager_one():
    # wide first layer and many examples: an array of the backward pass kept alive into the optimizer's
    # update (dZ1, 64 x 300 x 8 bytes = 150 KiB) shows in the peak
    rng = np.random.RandomState(0)
    X, Y = rng.rand(2000, 300), (rng.rand(1, 300) > 0.5).astype(np.float64)
    models = [nn.MLP([2000, 64, 1], rng=1) for _ in range(2)]
    eager = make_step(models[0], nn.optim.SGD(models[0].parameters(), 0.01))
    jitted = jit(make_step(models[1], nn.optim.SGD(models[1].parameters(), 0.01)))
    assert _peak_bytes(jitted, X, Y) <= _peak_bytes(eager, X, Y) + 4096


def test_the_replay_is_one_generated_function_that_can_be_read():
    X, Y = planar()
    model = nn.MLP([2, 4, 1], hidden="tanh", rng=1)
    step = jit(make_step(model, PlainSGD(model.parameters(), 1.2)))
    for _ in range(3):
        step(X, Y)
    (entry,) = step.cache.values()
    source = entry.program.source
    assert source.startswith("def run(buf):") and source.count("pgs = B") == 5  # linear, tanh, linear, sigmoid, bce
    assert "for " not in source  # straight-line: the engine's decisions were taken once, when compiling


def _eager_and_jitted(make_W, cost):
    """One SGD step on a parameter W from ``make_W()`` and a cost J = ``cost(W, X)``, built twice from the same
    start, eager and jitted, and run on the same data."""
    def make():
        W = make_W()
        opt = PlainSGD([W], 0.1)

        def step(X):
            opt.zero_grad()
            J = cost(W, X)
            J.backward()
            opt.step()
            return J
        return step
    eager, jitted = make(), jit(make())
    rng = np.random.RandomState(0)
    for _ in range(4):
        X = rng.randn(3, 5)
        assert_close(jitted(X).item(), eager(X).item())


def test_a_numpy_bool_requires_grad_replays():
    def make_W():
        W = Tensor(np.ones((4, 3)))
        W.requires_grad = np.True_  # as from a mask of trainable flags: stored as it is
        return W
    _eager_and_jitted(make_W, lambda W, X: (W @ X).tanh().sum())


class ScaledProduct(Function):
    """A user's op whose needs_input_grad is a property: the replay must set it through the setter."""

    @property
    def needs_input_grad(self):
        return self._needs

    @needs_input_grad.setter
    def needs_input_grad(self, value):
        self._needs = tuple(value)

    def forward(self, x, y):
        return x * y

    def backward(self, g, out, x, y):
        a, b = self.needs_input_grad
        return (g * y if a else None, g * x if b else None)


def test_a_users_op_with_a_needs_input_grad_property_replays():
    _eager_and_jitted(lambda: Tensor(np.full((3, 5), 0.5), requires_grad=True),
                      lambda W, X: ScaledProduct.apply(W, Tensor(X)).tanh().sum())


def test_a_long_program_runs_interpreted_with_the_same_results(monkeypatch):
    import tinygrad_nb.replay as replay
    monkeypatch.setattr(replay, "MAX_GENERATED_NODES", 10)  # the planar step has more: interpreted
    X, Y = planar()
    models = [nn.MLP([2, 4, 1], hidden="tanh", rng=1) for _ in range(2)]
    eager = make_step(models[0], nn.optim.Adam(models[0].parameters(), 0.01))
    jitted = jit(make_step(models[1], nn.optim.Adam(models[1].parameters(), 0.01)))
    for _ in range(20):
        assert_close(jitted(X, Y).item(), eager(X, Y).item())
    (entry,) = jitted.cache.values()
    assert entry.program.source is None
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert_close(q.data, p.data)
        assert_close(q.grad.data, p.grad.data)


@pytest.mark.parametrize("as_int", [False, True])
def test_repeated_calls_with_the_same_arguments_follow_their_current_values(as_int):
    # the steady state of a training loop (the same X and Y objects every call) takes a shortcut; it must
    # still read what the arrays hold now, and a Tensor argument whose .data is rebound
    rng = np.random.RandomState(0)
    X = (rng.rand(2, 6) * 10).astype(np.int64 if as_int else np.float64)
    models = [nn.MLP([2, 3, 1], hidden="tanh", rng=1) for _ in range(2)]
    eager = make_step(models[0], PlainSGD(models[0].parameters(), 0.1))
    jitted = jit(make_step(models[1], PlainSGD(models[1].parameters(), 0.1)))
    Y = (rng.rand(1, 6) > 0.5).astype(np.float64)
    XT = Tensor(X.astype(np.float64))
    for _ in range(2):  # two recordings with other arrays: the replays are then validated for any data
        X2, Y2 = X + rng.randint(1, 3, size=X.shape), 1 - Y
        assert_close(jitted(X2, Y2).item(), eager(X2, Y2).item())
    for i in range(8):
        X[0, i % 6] += 3  # in place, between calls
        Y[0, i % 6] = 1 - Y[0, i % 6]
        assert_close(jitted(X, Y).item(), eager(X, Y).item())
    for _ in range(4):
        XT.data = XT.data * 0.5  # rebound
        assert_close(jitted(XT, Y).item(), eager(XT, Y).item())
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert_close(q.data, p.data)


def test_two_threads_calling_one_jitted_step_get_the_eager_results():
    import threading

    W = Tensor(np.random.RandomState(0).randn(8, 5), requires_grad=True)
    opt = PlainSGD([W], 0.0)  # lr 0: the weights stay, so each result depends on its X only

    def step(X):
        opt.zero_grad()
        J = ((W @ X).abs() * 2.0).tanh().sum()  # abs keeps its mask from forward to backward
        J.backward()
        opt.step()
        return J
    jitted = jit(step)
    rng = np.random.RandomState(1)
    Xs = [rng.randn(5, 7) for _ in range(4)]
    expected = [float(np.tanh(np.abs(W.data @ X) * 2).sum()) for X in Xs]
    problems: list = []

    def worker(k):
        try:
            for i in range(150):
                j = (i + k) % 4
                got = jitted(Xs[j]).item()
                if not np.isclose(got, expected[j], rtol=1e-12):
                    problems.append((j, got, expected[j]))
                    return
        except Exception as e:  # noqa: BLE001 - reported below with the others
            problems.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []


def test_backward_on_a_parameter_itself_is_replayed():
    def cost(W, X):
        W.backward(np.full((2, 3), 0.25))  # a pass straight onto the parameter: W.grad += 0.25
        return (W @ X).tanh().sum()
    _eager_and_jitted(lambda: Tensor(np.ones((2, 3)), requires_grad=True, name="W"), cost)


def test_an_argument_made_to_require_grad_between_replays_is_refused_as_on_the_first_call():
    model = nn.MLP([2, 3, 1], rng=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    X, Y = planar()
    X = Tensor(X)
    step = jit(make_step(model, opt))
    for _ in range(4):  # recorded twice, then replayed with the very same arguments (the fast path)
        step(X, Y)
    X.requires_grad = True
    with pytest.raises(JitError, match="requires grad"):
        step(X, Y)


def test_a_large_outside_tensor_is_not_copied_by_the_recordings():
    import gc
    import tracemalloc

    X = Tensor(np.random.RandomState(0).randn(1000, 1000))  # 8 MB read from the closure, not an argument
    W = Tensor(np.zeros((1, 1000)), requires_grad=True)

    @jit
    def step():
        J = (W @ X).sum()
        J.backward()
        return J

    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(4):
            W.grad = None
            step()
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 2e6, f"the jit holds {held / 1e6:.1f} MB after recording a step over an 8 MB outside tensor"
    assert peak < 12e6, f"recording peaked at {peak / 1e6:.1f} MB over an 8 MB outside tensor"
    np.testing.assert_allclose(W.grad.data, X.data.sum(axis=1).reshape(1, -1), rtol=1e-9, atol=1e-12)  # 1 X^T


def test_a_large_constant_that_changes_between_the_recordings_is_still_refused():
    W = Tensor(np.zeros((1, 500)), requires_grad=True)
    noise = np.random.RandomState(1)

    @jit
    def step(X):
        M = Tensor(noise.randn(500, 300))  # NumPy inside the step: a constant, larger than a kept copy
        J = (W @ (X * M)).sum()
        J.backward()
        return J

    X = np.ones((500, 300))
    with pytest.raises(JitError):
        for _ in range(3):
            W.grad = None
            step(X)
