"""Optimiser hooks (DeZero's WeightDecay, ClipGrad, FreezeParam through add_hook), freezing with requires_grad_(False),
and weight_decay= against the course's L2 term: each against its formula written out here in NumPy."""

import numpy as np
import pytest

import nn
from nn.training.losses import l2_penalty
from tinygrad_nb import Tensor

O = nn.optim


def params_with_grads(seed=0, scale=1.0):
    """W (3, 2), b (3, 1), W2 (1, 3) with gradients set by hand; returns the tensors and copies of both arrays."""
    rng = np.random.RandomState(seed)
    shapes = [(3, 2), (3, 1), (1, 3)]
    ps = [Tensor(rng.randn(*s), requires_grad=True) for s in shapes]
    for p in ps:
        p.grad = Tensor(rng.randn(*p.shape) * scale)
    return ps, [p.data.copy() for p in ps], [p.grad.data.copy() for p in ps]


# ----- WeightDecay -------------------------------------------------------------------------------------------


def test_weight_decay_hook_is_dezeros_grad_plus_rate_times_param():
    ps, W0, G = params_with_grads()
    opt = O.SGD(ps, lr=0.1)
    opt.add_hook(O.WeightDecay(0.3))
    opt.step()
    for p, w, g in zip(ps, W0, G):
        np.testing.assert_allclose(p.grad.data, g + 0.3 * w, rtol=1e-15)  # DeZero: param.grad.data += rate * data
        np.testing.assert_allclose(p.data, w - 0.1 * (g + 0.3 * w), rtol=1e-15)


def test_weight_decay_hook_with_params_decays_only_those():
    ps, W0, G = params_with_grads()
    opt = O.SGD(ps, lr=0.1)
    opt.add_hook(O.WeightDecay(0.3, params=[ps[0], ps[2]]))
    opt.step()
    np.testing.assert_allclose(ps[0].data, W0[0] - 0.1 * (G[0] + 0.3 * W0[0]), rtol=1e-15)
    np.testing.assert_allclose(ps[1].data, W0[1] - 0.1 * G[1], rtol=1e-15)  # b untouched by the decay
    np.testing.assert_allclose(ps[2].data, W0[2] - 0.1 * (G[2] + 0.3 * W0[2]), rtol=1e-15)


@pytest.mark.parametrize("make", [lambda ps: O.SGD(ps, 0.1, momentum=0.9), lambda ps: O.RMSprop(ps, 0.01),
                                  lambda ps: O.Adam(ps, 0.01), lambda ps: O.Adagrad(ps, 0.1),
                                  lambda ps: O.Adadelta(ps)])
def test_weight_decay_argument_equals_the_weight_decay_hook(make):
    """PyTorch's weight_decay= (added to the gradient inside the update) and DeZero's hook (added to .grad first)."""
    a, _, _ = params_with_grads(1)
    b, _, _ = params_with_grads(1)
    rng = np.random.RandomState(5)
    opt_a = make(a)
    opt_a.weight_decay = 0.2
    opt_b = make(b)
    opt_b.add_hook(O.WeightDecay(0.2))
    for _ in range(4):
        for pa, pb in zip(a, b):
            g = rng.randn(*pa.shape)
            pa.grad, pb.grad = Tensor(g.copy()), Tensor(g.copy())
        opt_a.step()
        opt_b.step()
    for pa, pb in zip(a, b):
        np.testing.assert_allclose(pa.data, pb.data, rtol=1e-13)


def test_sgd_weight_decay_with_the_courses_momentum():
    """v := beta v + (1 - beta)(dW + lambda W); W := W - alpha v, written out."""
    ps, W0, _ = params_with_grads(2)
    p = ps[0]
    opt = O.SGD([p], 0.05, momentum=0.9, dampening=0.9, weight_decay=0.4)
    W, v = W0[0].copy(), np.zeros_like(W0[0])
    for k in range(5):
        dW = np.random.RandomState(k).randn(*W.shape)
        p.grad = Tensor(dW.copy())
        opt.step()
        v = 0.9 * v + 0.1 * (dW + 0.4 * W)
        W = W - 0.05 * v
    np.testing.assert_allclose(p.data, W, rtol=1e-13)


# ----- the course's L2 ---------------------------------------------------------------------------------------


def test_course_l2_gradient_is_weight_decay_lambd_over_m_on_the_weights():
    """J + lambd/(2m) sum ||W||^2 stepped by SGD equals J stepped with weight_decay = lambd/m on W only."""
    rng = np.random.RandomState(0)
    X, Y = rng.randn(2, 12), (rng.rand(1, 12) > 0.5).astype(np.float64)
    m, lambd, lr = X.shape[1], 0.7, 0.3
    a, b = nn.MLP([2, 4, 1], rng=3), nn.MLP([2, 4, 1], rng=3)
    weights = [p for name, p in a.named_parameters() if name.split(".")[-1].startswith("W")]
    opt_a = O.SGD(a.parameters(), lr)
    b_w = [p for name, p in b.named_parameters() if name.split(".")[-1].startswith("W")]
    b_b = [p for p in b.parameters() if all(p is not w for w in b_w)]
    opt_w, opt_b = O.SGD(b_w, lr, weight_decay=lambd / m), O.SGD(b_b, lr)
    for _ in range(5):
        opt_a.zero_grad()
        (nn.binary_cross_entropy(a(Tensor(X)), Y) + l2_penalty(weights, lambd, m)).backward()
        opt_a.step()
        opt_w.zero_grad()
        opt_b.zero_grad()
        nn.binary_cross_entropy(b(Tensor(X)), Y).backward()
        opt_w.step()
        opt_b.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pa.data, pb.data, rtol=1e-12)
    # and weight_decay on b too would differ: the equivalence is on W only
    c = nn.MLP([2, 4, 1], rng=3)
    opt_c = O.SGD(c.parameters(), lr, weight_decay=lambd / m)
    for _ in range(5):
        opt_c.zero_grad()
        nn.binary_cross_entropy(c(Tensor(X)), Y).backward()
        opt_c.step()
    assert max(np.abs(pa.data - pc.data).max() for pa, pc in zip(a.parameters(), c.parameters())) > 1e-6


@pytest.mark.parametrize("jit", [False, None])  # None: fit compiles its step (a hook runs inside step)
def test_fit_lambd_equals_a_weight_decay_hook_on_the_weights(jit):
    rng = np.random.RandomState(1)
    X, Y = rng.randn(3, 16), (rng.rand(1, 16) > 0.5).astype(np.float64)
    m, lambd = X.shape[1], 2.0
    a, b = nn.MLP([3, 5, 1], rng=4), nn.MLP([3, 5, 1], rng=4)
    start = [p.data.copy() for p in a.parameters()]
    nn.fit(a, X, Y, optimizer=O.Adam(a.parameters(), 0.01), lambd=lambd, num_iterations=20, print_cost=False,
           jit=jit)
    opt = O.Adam(b.parameters(), 0.01)
    opt.add_hook(O.WeightDecay(lambd / m, params=[p for n, p in b.named_parameters() if n.startswith("W")]))
    nn.fit(b, X, Y, optimizer=opt, num_iterations=20, print_cost=False, jit=jit)
    for pa, pb, p0 in zip(a.parameters(), b.parameters(), start):
        np.testing.assert_allclose(pa.data, pb.data, rtol=1e-11)
        assert not np.array_equal(pa.data, p0)  # it trained


# ----- ClipGrad ----------------------------------------------------------------------------------------------


def dezero_clip(grads, max_norm):
    """DeZero's ClipGrad on arrays: total = sqrt(sum of every g^2), rate = max_norm / (total + 1e-6), if < 1."""
    total = np.sqrt(sum(float((g**2).sum()) for g in grads))
    rate = max_norm / (total + 1e-6)
    return [g * rate for g in grads] if rate < 1 else [g.copy() for g in grads], total


@pytest.mark.parametrize("max_norm_fraction", [0.1, 0.9, 1.5])
def test_clip_grad_hook_is_dezeros_formula(max_norm_fraction):
    ps, W0, G = params_with_grads(scale=3.0)
    total = np.sqrt(sum((g**2).sum() for g in G))
    max_norm = max_norm_fraction * total
    want, _ = dezero_clip(G, max_norm)
    opt = O.SGD(ps, lr=0.5)
    opt.add_hook(O.ClipGrad(max_norm))
    opt.step()
    for p, w, g in zip(ps, W0, want):
        np.testing.assert_allclose(p.grad.data, g, rtol=1e-13)
        np.testing.assert_allclose(p.data, w - 0.5 * g, rtol=1e-13)
    if max_norm_fraction > 1:
        assert all(np.array_equal(p.grad.data, g) for p, g in zip(ps, G))


def test_clip_grad_counts_only_parameters_with_a_gradient_and_not_frozen():
    ps, _, G = params_with_grads(scale=3.0)
    ps[1].grad = None
    ps[2].requires_grad_(False)
    want, _ = dezero_clip([G[0]], 0.5)
    opt = O.SGD(ps, lr=0.5)
    opt.add_hook(O.ClipGrad(0.5))
    opt.step()
    np.testing.assert_allclose(ps[0].grad.data, want[0], rtol=1e-13)
    np.testing.assert_array_equal(ps[2].grad.data, G[2])  # frozen: neither clipped nor stepped


@pytest.mark.parametrize("norm_type", [1.0, float("inf")])
def test_clip_grad_other_norms_are_clip_grad_norm_s(norm_type):
    a, _, _ = params_with_grads(scale=3.0)
    b, _, _ = params_with_grads(scale=3.0)
    nn.utils.clip_grad_norm_(a, 0.7, norm_type=norm_type)
    O.ClipGrad(0.7, norm_type=norm_type)(b)
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.grad.data, pb.grad.data)
    assert not np.array_equal(a[0].grad.data, params_with_grads(scale=3.0)[2][0])  # it did clip


# ----- FreezeParam and requires_grad_(False) -------------------------------------------------------------------


def small_model_and_data(seed=0):
    rng = np.random.RandomState(seed)
    X, Y = rng.randn(2, 10), (rng.rand(1, 10) > 0.5).astype(np.float64)
    return nn.MLP([2, 3, 1], rng=seed), X, Y


def train(model, opt, X, Y, n=3):
    for _ in range(n):
        opt.zero_grad()
        nn.binary_cross_entropy(model(Tensor(X)), Y).backward()
        opt.step()


@pytest.mark.parametrize("how", ["layer", "tensors", "requires_grad_"])
def test_a_frozen_layer_keeps_its_parameters_and_the_rest_train(how):
    model, X, Y = small_model_and_data()
    first = model.layers[0]
    before = {id(p): p.data.copy() for p in model.parameters()}
    opt = O.Adam(model.parameters(), 0.05)
    if how == "layer":
        opt.add_hook(O.FreezeParam(first))
    elif how == "tensors":
        opt.add_hook(O.FreezeParam(*first.parameters()))
    else:
        for p in first.parameters():
            p.requires_grad_(False)
    train(model, opt, X, Y)
    frozen = {id(p) for p in first.parameters()}
    for p in model.parameters():
        if id(p) in frozen:
            np.testing.assert_array_equal(p.data, before[id(p)])
        else:
            assert not np.array_equal(p.data, before[id(p)])
    # the rest trained as they would with the first layer held fixed: an optimiser of the rest only
    ref, _, _ = small_model_and_data()
    rest = [p for p in ref.parameters() if all(p is not q for q in ref.layers[0].parameters())]
    train(ref, O.Adam(rest, 0.05), X, Y)
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-13)


def test_freeze_param_first_keeps_frozen_gradients_out_of_a_later_clip():
    ps, _, G = params_with_grads(scale=3.0)
    opt = O.SGD(ps, lr=0.5)
    opt.add_hook(O.FreezeParam(ps[0]))
    opt.add_hook(O.ClipGrad(0.5))
    opt.step()
    want, _ = dezero_clip(G[1:], 0.5)
    assert ps[0].grad is None
    for p, g in zip(ps[1:], want):
        np.testing.assert_allclose(p.grad.data, g, rtol=1e-13)


def test_a_parameter_frozen_after_its_backward_is_not_stepped():
    ps, W0, G = params_with_grads()
    opt = O.SGD(ps, lr=0.1, momentum=0.9)
    ps[0].requires_grad_(False)  # its .grad is still there: frozen means left alone
    opt.step()
    np.testing.assert_array_equal(ps[0].data, W0[0])
    np.testing.assert_allclose(ps[1].data, W0[1] - 0.1 * G[1], rtol=1e-15)
    ps[0].requires_grad_(True)  # unfrozen: trained again, its momentum starting then
    opt.step()
    np.testing.assert_allclose(ps[0].data, W0[0] - 0.1 * G[0], rtol=1e-15)


# ----- add_hook --------------------------------------------------------------------------------------------


def test_hooks_run_in_order_on_the_parameters_about_to_be_updated_and_can_be_removed():
    ps, _, _ = params_with_grads()
    ps[1].grad = None
    seen = []
    opt = O.Adam(ps)
    remove = opt.add_hook(lambda params: seen.append(("first", [id(p) for p in params])))
    opt.add_hook(lambda params: seen.append(("second", len(params))))
    opt.step()
    assert seen == [("first", [id(ps[0]), id(ps[2])]), ("second", 2)]
    remove()
    seen.clear()
    opt.step()
    assert seen == [("second", 2)]


# ----- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, error, message", [
    (lambda ps: O.SGD(ps, 0.1).add_hook(0.5), TypeError, r"SGD\.add_hook: hook must be a callable .* got float"),
    (lambda ps: O.WeightDecay(-0.1), ValueError, r"WeightDecay: rate must be >= 0, got -0.1"),
    (lambda ps: O.WeightDecay("0.1"), TypeError, r"WeightDecay: rate"),
    (lambda ps: O.WeightDecay(0.1, params=[ps[0], 3]), TypeError, r"WeightDecay: params item 1 must be a layer"),
    (lambda ps: O.ClipGrad(-1.0), ValueError, r"ClipGrad: max_norm must be >= 0"),
    (lambda ps: O.ClipGrad(1.0, norm_type=0), ValueError, r"ClipGrad: norm_type must be a number > 0 or inf"),
    (lambda ps: O.FreezeParam(), TypeError, r"FreezeParam: give the layers or parameters"),
    (lambda ps: O.FreezeParam(ps), TypeError, r"FreezeParam: argument 0 .* got list; .* FreezeParam\(\*params\)"),
    (lambda ps: O.FreezeParam(nn.ReLU()), ValueError, r"FreezeParam: the layers given hold no parameters"),
    (lambda ps: O.SGD(ps, 0.1, weight_decay=-1.0), ValueError, r"SGD: weight_decay must be >= 0"),
    (lambda ps: O.Adam(ps, weight_decay=float("nan")), ValueError, r"Adam: weight_decay must be a finite number"),
    (lambda ps: O.SGD(ps, 0.1, nesterov=True), ValueError, r"SGD: nesterov=True needs momentum > 0"),
    (lambda ps: O.SGD(ps, 0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, r"and dampening 0"),
    (lambda ps: O.SGD(ps, 0.1, momentum=0.9, nesterov="yes"), TypeError, r"SGD: nesterov must be True or False"),
])
def test_bad_arguments_are_refused_naming_the_function_and_argument(make, error, message):
    ps, _, _ = params_with_grads()
    with pytest.raises(error, match=message):
        make(ps)


def test_an_optimiser_needs_one_trainable_leaf():
    p = Tensor(np.ones((2, 1)), requires_grad=True)
    p.requires_grad_(False)
    with pytest.raises(TypeError, match=r"Adagrad: no parameter is a Tensor with requires_grad=True"):
        O.Adagrad([p])
    q = Tensor(np.ones((2, 1)), requires_grad=True)
    with pytest.raises(ValueError, match=r"Adadelta: parameter 1 is the result of an operation"):
        O.Adadelta([q, q * 2])
    O.SGD([p, q], 0.1)  # one frozen among trainable ones is fine, as in PyTorch
