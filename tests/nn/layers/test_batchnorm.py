"""BatchNorm (issue 23): the course's Z_norm and Z~, its closed-form backward against finite differences (both
layouts, training and eval, float64 and float32), the running averages as buffers (in state_dict, not in
parameters, untouched by optimisers), eval mode, the errors, and the jit (a jitted training step equals eager)."""

from __future__ import annotations

import copy
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn.layers.batchnorm import BatchNorm, BatchNormalize
from nn.layers.module import Module, Parameter
from tinygrad_nb import JitError, Tensor, grad, gradcheck, jit

# ----- the course's formulas, in NumPy ------------------------------------------------------------------------


def course_batchnorm(Z, gamma, beta, axes, eps=1e-5):
    """Course 2 week 3: mu and sigma^2 over the examples, Z_norm = (Z - mu) / sqrt(sigma^2 + eps),
    Z~ = gamma Z_norm + beta."""
    mu = Z.mean(axis=axes, keepdims=True)
    var = ((Z - mu) ** 2).mean(axis=axes, keepdims=True)
    return gamma * (Z - mu) / np.sqrt(var + eps) + beta, mu, var


def random_layer(n, layout, seed, training=True):
    """A BatchNorm with random gamma, beta and running averages (the defaults are ones and zeros)."""
    rs = np.random.RandomState(seed)
    bn = BatchNorm(n, layout=layout)
    shape = bn.gamma.shape
    bn.gamma.data[...] = rs.randn(*shape)
    bn.beta.data[...] = rs.randn(*shape)
    bn.running_mean[...] = rs.randn(*shape)
    bn.running_var[...] = rs.rand(*shape) + 0.5
    return bn.train(training)


shapes = st.one_of(
    st.tuples(st.just("dense"), st.integers(1, 4), st.integers(2, 6)).map(lambda t: (t[0], (t[1], t[2]))),
    st.tuples(st.just("conv"), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
    .filter(lambda t: t[1] * t[2] * t[3] >= 2).map(lambda t: (t[0], (t[1], t[2], t[3], t[4]))),
)


def n_of(layout, shape):
    return shape[0] if layout == "dense" else shape[3]


def axes_of(layout):
    return (1,) if layout == "dense" else (0, 1, 2)


# ----- forward ------------------------------------------------------------------------------------------------


@given(shapes, st.integers(0, 2**16))
def test_training_forward_is_the_courses_z_tilde_in_both_layouts(case, seed):
    layout, shape = case
    bn = random_layer(n_of(layout, shape), layout, seed)
    Z = np.random.RandomState(seed + 1).randn(*shape) * 3 + 1
    expected, _, _ = course_batchnorm(Z, bn.gamma.data, bn.beta.data, axes_of(layout))
    np.testing.assert_allclose(bn(Z).data, expected, rtol=1e-12, atol=1e-12)


def test_default_layer_normalises_each_unit_to_mean_0_variance_1():
    Z = np.random.RandomState(0).randn(4, 50) * 5 + 3
    out = BatchNorm(4)(Z).data
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), 1, atol=1e-3)  # eps = 1e-5 keeps it just below 1
    conv = np.random.RandomState(1).randn(3, 5, 4, 2) * 2 - 1
    out = BatchNorm(2, layout="conv")(conv).data
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-12)


def test_parameter_and_buffer_shapes_follow_the_layout():
    dense, conv = BatchNorm(3), BatchNorm(3, layout="conv")
    assert dense.gamma.shape == dense.beta.shape == dense.running_mean.shape == dense.running_var.shape == (3, 1)
    assert conv.gamma.shape == conv.beta.shape == conv.running_var.shape == (1, 1, 1, 3)
    np.testing.assert_array_equal(dense.gamma.data, 1)
    np.testing.assert_array_equal(dense.beta.data, 0)
    np.testing.assert_array_equal(dense.running_mean, 0)
    np.testing.assert_array_equal(dense.running_var, 1)
    assert [name for name, _ in dense.named_parameters()] == ["gamma", "beta"]


def test_output_is_named_z_tilde():
    Z = Tensor(np.random.RandomState(0).randn(2, 3), name="Z1")
    assert BatchNorm(2)(Z).name == "Z1~"


# ----- backward against finite differences -------------------------------------------------------------------


@given(shapes, st.integers(0, 2**16), st.booleans())
def test_backward_matches_finite_differences(case, seed, training):
    layout, shape = case
    bn = random_layer(n_of(layout, shape), layout, seed, training)
    rs = np.random.RandomState(seed + 1)
    Z = Tensor(rs.randn(*shape) * 2 + 0.5, requires_grad=True, name="Z")
    R = rs.randn(*shape)  # J = sum(R Z~): every entry of dZ~ differs

    def J(Z, gamma, beta):
        return (bn(Z) * R).sum()

    result = gradcheck(J, [Z, bn.gamma, bn.beta], threshold=1e-6)  # m = 2: 1/sigma is large, so is FD noise
    assert result, result


def test_backward_is_the_closed_form_of_the_course():
    rs = np.random.RandomState(3)
    bn = random_layer(3, "dense", 3)
    Z = Tensor(rs.randn(3, 7), requires_grad=True)
    dZt = rs.randn(3, 7)
    (bn(Z) * dZt).sum().backward()
    m = 7
    mu = Z.data.mean(axis=1, keepdims=True)
    var = Z.data.var(axis=1, keepdims=True)
    Z_norm = (Z.data - mu) / np.sqrt(var + 1e-5)
    dZ = (1 / m) * bn.gamma.data / np.sqrt(var + 1e-5) * (
        m * dZt - dZt.sum(axis=1, keepdims=True) - Z_norm * (dZt * Z_norm).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(Z.grad.data, dZ, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(bn.gamma.grad.data, (dZt * Z_norm).sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(bn.beta.grad.data, dZt.sum(axis=1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("layout,shape", [("dense", (3, 5)), ("conv", (2, 3, 2, 3))])
@pytest.mark.parametrize("training", [True, False])
def test_second_derivatives_match_finite_differences(layout, shape, training):
    """The backward rule runs on Tensors under create_graph: the gradient of K = |dZ|^2 + |dgamma|^2 (made with
    create_graph) is checked against centred differences of K (made with a plain first-order grad)."""
    bn = random_layer(shape[0] if layout == "dense" else shape[3], layout, 5, training)
    rs = np.random.RandomState(6)
    Z = Tensor(rs.randn(*shape), requires_grad=True)
    R = rs.randn(*shape)

    def K(create_graph):
        Zt = bn(Z)
        dZ, dgamma = grad((Zt * R * Zt).sum(), [Z, bn.gamma], create_graph=create_graph)
        return (dZ * dZ).sum() + (dgamma * dgamma).sum()

    dK_dZ, dK_dgamma = grad(K(True), [Z, bn.gamma])
    for t, analytic in ((Z, dK_dZ.data), (bn.gamma, dK_dgamma.data)):
        numeric = np.zeros_like(t.data)
        for i in np.ndindex(t.shape):
            saved = t.data[i]
            t.data[i] = saved + 1e-6
            plus = K(False).item()
            t.data[i] = saved - 1e-6
            minus = K(False).item()
            t.data[i] = saved
            numeric[i] = (plus - minus) / 2e-6
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


def test_float32_agrees_with_float64():
    rs = np.random.RandomState(4)
    Z = rs.randn(2, 3, 3, 4)
    R = rs.randn(2, 3, 3, 4)
    out = {}
    for dtype in (np.float64, np.float32):
        bn = random_layer(4, "conv", 4).astype(dtype)
        assert bn.gamma.dtype == bn.running_mean.dtype == bn.running_var.dtype == dtype
        X = Tensor(Z.astype(dtype), requires_grad=True)
        Zt = bn(X)
        assert Zt.dtype == dtype
        (Zt * R.astype(dtype)).sum().backward()
        assert X.grad.dtype == bn.gamma.grad.dtype == dtype
        out[dtype] = (Zt.data, X.grad.data, bn.gamma.grad.data, bn.beta.grad.data, bn.running_mean.copy(),
                      bn.running_var.copy())
    for a, b in zip(out[np.float32], out[np.float64]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ----- running averages, buffers, eval mode ------------------------------------------------------------------


def test_running_averages_follow_pytorchs_momentum_with_the_unbiased_variance():
    bn = BatchNorm(3, momentum=0.25)
    rs = np.random.RandomState(0)
    mean, var = np.zeros((3, 1)), np.ones((3, 1))
    for m in (4, 9, 2):
        Z = rs.randn(3, m) * 2 + 1
        bn(Z)
        mean = 0.75 * mean + 0.25 * Z.mean(axis=1, keepdims=True)
        var = 0.75 * var + 0.25 * Z.var(axis=1, ddof=1, keepdims=True)  # m - 1: unbiased
        np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-13)
        np.testing.assert_allclose(bn.running_var, var, rtol=1e-13)


def test_conv_running_variance_is_unbiased_over_m_nh_nw_entries():
    bn = BatchNorm(2, momentum=1.0, layout="conv")  # momentum 1: the running averages are the last batch's
    Z = np.random.RandomState(1).randn(3, 2, 2, 2)
    bn(Z)
    np.testing.assert_allclose(bn.running_mean.ravel(), Z.mean(axis=(0, 1, 2)), rtol=1e-13)
    np.testing.assert_allclose(bn.running_var.ravel(), Z.reshape(-1, 2).var(axis=0, ddof=1), rtol=1e-13)


def test_eval_mode_uses_the_running_averages_and_leaves_them_alone():
    bn = random_layer(3, "dense", 7, training=False)
    before = (bn.running_mean.copy(), bn.running_var.copy())
    z = np.random.RandomState(8).randn(3, 1)  # one example: fine in eval mode
    expected = bn.gamma.data * (z - bn.running_mean) / np.sqrt(bn.running_var + 1e-5) + bn.beta.data
    np.testing.assert_allclose(bn(z).data, expected, rtol=1e-13)
    np.testing.assert_array_equal(bn.running_mean, before[0])
    np.testing.assert_array_equal(bn.running_var, before[1])
    # the output of one example does not depend on the others in the batch
    batch = np.concatenate([z, np.random.RandomState(9).randn(3, 4)], axis=1)
    np.testing.assert_allclose(bn(batch).data[:, :1], expected, rtol=1e-13)
    bn.train()
    assert not np.allclose(bn(batch).data[:, :1], expected)


def test_eval_backward_treats_the_running_averages_as_constants():
    bn = random_layer(2, "dense", 10, training=False)
    Z = Tensor(np.random.RandomState(11).randn(2, 5), requires_grad=True)
    G = np.random.RandomState(12).randn(2, 5)
    (bn(Z) * G).sum().backward()
    np.testing.assert_allclose(Z.grad.data, bn.gamma.data / np.sqrt(bn.running_var + 1e-5) * G, rtol=1e-13)


def test_buffers_are_in_state_dict_but_not_in_parameters():
    bn = BatchNorm(2)
    assert [p.name for p in bn.parameters()] == ["gamma", "beta"]
    assert all(p is not b for p in bn.parameters() for b in bn.buffers())
    assert set(bn.state_dict()) == {"gamma", "beta", "running_mean", "running_var"}
    assert bn.count_parameters() == 4
    model = nn.Sequential(nn.Linear(3, 2, rng=0), bn, nn.ReLU(), nn.Linear(2, 1, rng=1), nn.Sigmoid())
    assert [name for name, _ in model.named_buffers()] == ["running_mean1", "running_var1"]  # after Z1: l = 1
    assert set(model.state_dict()) == {"W1", "b1", "gamma1", "beta1", "W2", "b2", "running_mean1", "running_var1"}
    assert len(model.parameters()) == 6


def test_state_dict_holds_copies_and_load_state_dict_restores_the_buffers_in_place():
    bn = random_layer(3, "dense", 13)
    state = bn.state_dict()
    state["running_mean"][...] = 99.0  # a copy: the layer's own is untouched
    assert not np.any(bn.running_mean == 99.0)
    other = BatchNorm(3)
    arrays = other.running_mean, other.running_var
    other.load_state_dict(bn.state_dict())
    assert other.running_mean is arrays[0] and other.running_var is arrays[1]  # copied into, not rebound
    np.testing.assert_array_equal(other.running_mean, bn.running_mean)
    np.testing.assert_array_equal(other.running_var, bn.running_var)
    Z = np.random.RandomState(14).randn(3, 4)
    np.testing.assert_array_equal(other.eval()(Z).data, bn.eval()(Z).data)


def test_load_state_dict_checks_buffers_like_parameters():
    bn = BatchNorm(3)
    good = bn.state_dict()
    with pytest.raises(ValueError, match=r"missing key 'running_var'"):
        bn.load_state_dict({k: v for k, v in good.items() if k != "running_var"})
    bad = {**good, "running_mean": np.full((3, 1), 5.0), "running_var": np.ones((1, 3))}
    with pytest.raises(ValueError, match=r"'running_var' has shape \(1, 3\), the model needs \(3, 1\)"):
        bn.load_state_dict(bad)
    np.testing.assert_array_equal(bn.running_mean, 0)  # nothing changed: the good key was not loaded either
    with pytest.raises(ValueError, match=r"'running_mean' must be a float array"):
        bn.load_state_dict({**good, "running_mean": np.zeros((3, 1), dtype=int)})
    bn.load_state_dict({"running_mean": np.full((3, 1), 2.0)}, strict=False)
    np.testing.assert_array_equal(bn.running_mean, 2.0)


def test_an_optimiser_step_leaves_the_running_averages_alone():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), BatchNorm(4), nn.Tanh(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    bn = model[1]
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    X, Y = np.random.RandomState(0).randn(3, 6), np.array([[0, 1, 1, 0, 1, 0]], dtype=float)
    J = nn.binary_cross_entropy(model(X), Y)
    running = bn.running_mean.copy(), bn.running_var.copy()
    gamma = bn.gamma.data.copy()
    J.backward()
    opt.step()
    np.testing.assert_array_equal(bn.running_mean, running[0])
    np.testing.assert_array_equal(bn.running_var, running[1])
    assert not np.array_equal(bn.gamma.data, gamma)  # gamma is a parameter: stepped
    model.zero_grad()
    assert bn.gamma.grad is None


def test_astype_converts_the_buffers():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), BatchNorm(3))
    model.astype(np.float32)
    assert all(b.dtype == np.float32 for b in model.buffers())
    assert all(v.dtype == np.float32 for v in model.state_dict().values())


def test_register_buffer_on_a_module_of_ones_own():
    class Counter(Module):
        def __init__(self):
            super().__init__()
            self.w = Parameter(np.ones((2, 1)))
            self.register_buffer("seen", np.zeros((1, 1), dtype=int))  # ints become float64

    c = Counter()
    assert c.seen.dtype == np.float64 and c.parameters() == [c.w]
    assert list(c.state_dict()) == ["w", "seen"]
    c.seen = np.ones((1, 1))  # assigned: still a buffer
    assert c.state_dict()["seen"][0, 0] == 1.0 and c.parameters() == [c.w]
    with pytest.raises(ValueError, match=r"Counter.seen is a buffer of shape \(1, 1\), got an array of shape \(2,\)"):
        c.seen = np.ones(2)
    with pytest.raises(TypeError, match="must be a numpy array, got str"):
        c.seen = "x"
    with pytest.raises(KeyError, match="already a parameter"):
        c.register_buffer("w", np.zeros(1))
    with pytest.raises(TypeError, match="must be a float array"):
        c.register_buffer("names", np.array(["a"]))
    assert "names" not in c.state_dict()


def test_two_buffers_with_one_name_are_refused():
    class Two(Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = BatchNorm(2), BatchNorm(2)

    two = Two()
    assert list(two.state_dict()) == ["a.gamma", "a.beta", "b.gamma", "b.beta", "a.running_mean", "a.running_var",
                                      "b.running_mean", "b.running_var"]

    class Clash(Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("x", np.zeros(1))
            self.y = Parameter(np.zeros(1))
            object.__setattr__(self, "_parameters", {"x": self.y})  # a parameter registered under x behind its back

    with pytest.raises(ValueError, match="both named 'x'"):
        Clash().state_dict()


# ----- errors --------------------------------------------------------------------------------------------------


def test_wrong_n_is_named_in_course_notation():
    with pytest.raises(ValueError, match=r"^BatchNorm: Z has n = 5 rows but gamma is \(4, 1\)$"):
        BatchNorm(4)(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"did you mean Z.T\?"):
        BatchNorm(4)(np.zeros((6, 4)))
    with pytest.raises(ValueError, match=r"BatchNorm: Z has n_C = 2 channels \(its last axis\) but gamma is "
                                         r"\(1, 1, 1, 3\)"):
        BatchNorm(3, layout="conv")(np.zeros((2, 4, 4, 2)))
    with pytest.raises(ValueError, match=r"build BatchNorm\(3, layout='conv'\)"):
        BatchNorm(3)(np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match=r"layout='conv' expects Z of shape \(m, n_H, n_W, n_C\)"):
        BatchNorm(3, layout="conv")(np.zeros((3, 4)))


def test_one_example_in_training_is_refused_as_pytorch_does():
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training.*m >= 2"):
        BatchNorm(3)(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm(3, layout="conv")(np.zeros((1, 1, 1, 3)))
    BatchNorm(3, layout="conv")(np.random.RandomState(0).randn(1, 2, 1, 3))  # m = 1 but two positions: fine
    assert BatchNorm(3).eval()(np.zeros((3, 1))).shape == (3, 1)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="BatchNorm: eps must be positive"):
        BatchNorm(2, eps=0)
    with pytest.raises(ValueError, match=r"BatchNorm: momentum must be in \[0, 1\]"):
        BatchNorm(2, momentum=1.5)
    with pytest.raises(ValueError, match="BatchNorm: layout must be one of 'dense', 'conv'"):
        BatchNorm(2, layout="nchw")
    with pytest.raises((TypeError, ValueError), match="BatchNorm: n"):
        BatchNorm(0)


def test_config_and_repr():
    assert BatchNorm(4, eps=1e-3, momentum=0.2, layout="conv").config() == {
        "type": "BatchNorm", "n": 4, "eps": 1e-3, "momentum": 0.2, "layout": "conv"}
    assert repr(BatchNorm(4)) == "BatchNorm(n=4, eps=1e-05, momentum=0.1, params=8)"


# ----- the jit: a jitted training step equals the eager one, or is refused ----------------------------------


class PythonRuns:
    """How many times ``code`` started running (a replay runs none of the step's Python)."""

    def __init__(self, code):
        self.code, self.count = code, 0

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(lambda frame, event, arg: setattr(self, "count", self.count + (
            event == "call" and frame.f_code is self.code)))
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)


def bn_model(layout="dense", seed=0):
    if layout == "dense":
        return nn.Sequential(nn.Linear(3, 4, rng=seed), BatchNorm(4, momentum=0.3), nn.ReLU(),
                             nn.Linear(4, 1, rng=seed + 1), nn.Sigmoid())
    return ConvHead(seed)


class ConvHead(Module):
    """A conv-layout BatchNorm on (m, n_H, n_W, n_C) and a dense head: J is a sigmoid of the weighted sum."""

    def __init__(self, seed):
        super().__init__()
        self.bn = BatchNorm(2, momentum=0.2, layout="conv")
        self.W = Parameter(np.random.RandomState(seed).randn(1, 3 * 3 * 2))

    def forward(self, X):
        A = self.bn(X).relu()
        return (self.W @ A.reshape(A.shape[0], -1).T).sigmoid()


def snapshot(model):
    return {**model.state_dict(), **{f"d{name}": p.grad.data.copy() for name, p in model.named_parameters()
                                     if p.grad is not None}}


def assert_same_state(a, b, what):
    sa, sb = snapshot(a), snapshot(b)
    assert sa.keys() == sb.keys(), what
    for k in sa:
        np.testing.assert_allclose(sa[k], sb[k], rtol=1e-12, atol=1e-14, err_msg=f"{what}: {k}")


def batch(layout, rs, m=6):
    X = rs.randn(3, m) if layout == "dense" else rs.randn(m, 3, 3, 2)
    return X, (rs.rand(1, m) > 0.5).astype(float)


def make_step(model, opt):
    def step(X, Y):
        opt.zero_grad()
        J = nn.binary_cross_entropy(model(X), Y)
        J.backward()
        opt.step()
        return J
    return step


@pytest.mark.parametrize("layout", ["dense", "conv"])
def test_a_jitted_training_step_equals_eager_running_averages_included(layout):
    jitted_model = bn_model(layout)
    eager_model = copy.deepcopy(jitted_model)
    plain = make_step(jitted_model, nn.optim.Adam(jitted_model.parameters(), lr=0.05))
    eager = make_step(eager_model, nn.optim.Adam(eager_model.parameters(), lr=0.05))
    step = jit(plain)
    rs = np.random.RandomState(1)
    runs = PythonRuns(plain.__code__)  # the jitted calls only: eager's step has the same code
    for i in range(8):
        X, Y = batch(layout, rs)
        with runs:
            J_jit = step(X, Y)
        J_eager = eager(X.copy(), Y.copy())
        np.testing.assert_allclose(J_jit.data, J_eager.data, rtol=1e-12, err_msg=f"call {i + 1}: J")
        assert_same_state(jitted_model, eager_model, f"call {i + 1}")
    assert runs.count == 2  # recorded twice, then replayed: the replays updated the running averages
    bn = jitted_model[1] if layout == "dense" else jitted_model.bn
    assert not np.allclose(bn.running_mean, 0)


def test_switching_a_jitted_model_between_train_and_eval_equals_eager():
    jitted_model = bn_model()
    eager_model = copy.deepcopy(jitted_model)

    def forward(model):
        def run(X):
            return model(X)
        return run

    step, eager = jit(forward(jitted_model)), forward(eager_model)
    rs = np.random.RandomState(2)
    for i, mode in enumerate(["train"] * 4 + ["eval"] * 4 + ["train"] * 3 + ["eval"] * 3):
        for model in (jitted_model, eager_model):
            model.train(mode == "train")
        X = rs.randn(3, 5)
        np.testing.assert_allclose(step(X).data, eager(X.copy()).data, rtol=1e-12, err_msg=f"call {i + 1} ({mode})")
        assert_same_state(jitted_model, eager_model, f"call {i + 1} ({mode})")


def test_a_jitted_eval_step_reads_running_averages_changed_between_calls():
    jitted_model = bn_model().eval()
    eager_model = copy.deepcopy(jitted_model)
    step = jit(lambda X: jitted_model(X))
    X = np.random.RandomState(3).randn(3, 4)
    for i in range(6):
        if i >= 3:  # changed outside the step, in place, by load_state_dict
            state = {"running_mean1": np.full((4, 1), 0.1 * i), "running_var1": np.full((4, 1), 1.0 + i)}
            for model in (jitted_model, eager_model):
                model.load_state_dict(state, strict=False)
        np.testing.assert_allclose(step(X).data, eager_model(X).data, rtol=1e-12, err_msg=f"call {i + 1}")


def test_changing_momentum_or_dtype_between_jitted_calls_equals_eager():
    jitted_model = bn_model()
    eager_model = copy.deepcopy(jitted_model)
    step = jit(lambda X: jitted_model(X))
    rs = np.random.RandomState(4)
    for i in range(9):
        if i == 3:
            jitted_model[1].momentum = eager_model[1].momentum = 0.9
        if i == 6:
            jitted_model.astype(np.float32)
            eager_model.astype(np.float32)
        X = rs.randn(3, 5).astype(np.float32 if i >= 6 else np.float64)
        out = step(X)
        assert out.dtype == (np.float32 if i >= 6 else np.float64)
        np.testing.assert_allclose(out.data, eager_model(X).data, rtol=1e-6 if i >= 6 else 1e-12)
        np.testing.assert_allclose(jitted_model[1].running_var, eager_model[1].running_var, rtol=1e-6)


def test_writing_a_buffer_inside_a_jitted_step_is_refused():
    model = bn_model()
    bn = model[1]

    def step(X):
        out = model(X)
        bn.running_mean = np.zeros((4, 1))  # a replay would skip this
        return out

    with pytest.raises(JitError, match="BatchNorm.running_mean was set"):
        jit(step)(np.random.RandomState(5).randn(3, 4))


def test_the_op_updates_the_buffers_of_the_layer_it_is_given():
    bn = BatchNorm(2, momentum=0.5)
    Z = np.random.RandomState(6).randn(2, 4)
    out = BatchNormalize.apply(Tensor(Z), bn.gamma, bn.beta, layer=bn, axes=(1,), eps=1e-5, momentum=0.5,
                               training=True)
    np.testing.assert_allclose(bn.running_mean, 0.5 * Z.mean(axis=1, keepdims=True), rtol=1e-13)
    assert out.requires_grad
