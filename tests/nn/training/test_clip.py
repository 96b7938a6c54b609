"""nn.utils.clip_grad_norm_ and clip_grad_value_: PyTorch's semantics, checked against NumPy formulas written here,
and replayed by a jitted training step exactly as they run eagerly."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor, jit


def params_with_grads(seed: int = 0, scale: float = 10.0) -> tuple[list[Tensor], list[np.ndarray | None]]:
    """Three parameters with gradients set by hand (shapes (3, 4), (3, 1), (2, 3)) and one whose .grad is None."""
    rng = np.random.RandomState(seed)
    shapes = [(3, 4), (3, 1), (2, 3)]
    params = [Tensor(rng.randn(*s), requires_grad=True) for s in shapes + [(2, 2)]]
    grads: list[np.ndarray | None] = [rng.randn(*s) * scale for s in shapes] + [None]
    for p, g in zip(params, grads):
        p.grad = None if g is None else Tensor(g.copy())
    return params, grads


def numpy_total_norm(grads: list[np.ndarray | None], p: float) -> float:
    """The p-norm of every entry of every gradient, as one concatenated vector."""
    flat = np.concatenate([g.ravel() for g in grads if g is not None])
    if p == math.inf:
        return float(np.abs(flat).max())
    return float((np.abs(flat) ** p).sum() ** (1 / p))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
def test_clip_grad_norm_scales_every_gradient_by_max_norm_over_the_total(norm_type):
    params, grads = params_with_grads()
    p = math.inf if norm_type == "inf" else float(norm_type)
    total = numpy_total_norm(grads, p)
    max_norm = 0.25 * total  # clipping is active
    coef = max_norm / (total + 1e-6)
    returned = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert isinstance(returned, Tensor) and returned.shape == ()
    assert abs(returned.item() - total) <= 1e-12 * total
    for t, g in zip(params, grads):
        if g is None:
            assert t.grad is None  # skipped, left None
        else:
            np.testing.assert_allclose(t.grad.data, g * coef, rtol=1e-13, atol=0)
    clipped = [t.grad.data for t in params if t.grad is not None]
    assert abs(numpy_total_norm(clipped, p) - max_norm) <= 1e-6 * max_norm + 1e-6


def test_clip_grad_norm_leaves_gradients_within_max_norm_unchanged():
    params, grads = params_with_grads()
    total = numpy_total_norm(grads, 2.0)
    returned = nn.utils.clip_grad_norm_(params, total * 2)  # clip_coef = 2 total / (total + 1e-6) > 1
    assert abs(returned.item() - total) <= 1e-12 * total
    for t, g in zip(params, grads):
        if g is not None:
            assert np.array_equal(t.grad.data, g)


def test_clip_grad_norm_changes_the_gradient_arrays_in_place():
    params, grads = params_with_grads()
    held = [t.grad for t in params]  # references taken before clipping, as an optimiser would hold them
    arrays = [None if g is None else g.data for g in held]
    nn.utils.clip_grad_norm_(params, 1.0)
    total = numpy_total_norm(grads, 2.0)
    for t, g, h, a in zip(params, grads, held, arrays):
        if g is not None:
            assert t.grad is h and t.grad.data is a
            np.testing.assert_allclose(h.data, g * (1.0 / (total + 1e-6)), rtol=1e-13)


def test_clip_grad_norm_takes_a_single_tensor_or_a_generator():
    W = Tensor(np.zeros((1, 2)), requires_grad=True)
    W.grad = Tensor(np.array([[3.0, 4.0]]))  # norm 5
    assert nn.utils.clip_grad_norm_(W, 1.0).item() == 5.0
    np.testing.assert_allclose(W.grad.data, [[3.0, 4.0]] / np.float64(5 + 1e-6), rtol=1e-15)
    params, grads = params_with_grads()
    total = numpy_total_norm(grads, 2.0)
    nn.utils.clip_grad_norm_((p for p in params), 1.0)
    np.testing.assert_allclose(params[0].grad.data, grads[0] / (total + 1e-6), rtol=1e-13)


def test_clip_grad_norm_with_no_gradients_returns_zero():
    params = [Tensor(np.ones((2, 2)), requires_grad=True)]
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == 0.0
    assert params[0].grad is None


def test_a_gradient_of_float32_keeps_its_dtype_and_the_norm_is_float32():
    W = Tensor(np.zeros((2, 2), dtype=np.float32), requires_grad=True, dtype=np.float32)
    g = np.array([[3.0, 4.0], [0.0, 12.0]], dtype=np.float32)  # norm 13
    W.grad = Tensor(g.copy(), dtype=np.float32)
    total = nn.utils.clip_grad_norm_([W], 1.0)
    assert total.dtype == np.float32 and total.item() == 13.0
    assert W.grad.dtype == np.float32
    np.testing.assert_allclose(W.grad.data, g / np.float64(13 + 1e-6), rtol=1e-6)


def test_error_if_nonfinite_refuses_a_nan_or_inf_norm_and_changes_nothing():
    for bad in (np.nan, np.inf):
        params, grads = params_with_grads()
        params[0].grad.data[0, 0] = bad
        before = [None if t.grad is None else t.grad.data.copy() for t in params]
        with pytest.raises(RuntimeError, match="not finite"):
            nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
        for t, b in zip(params, before):
            assert (t.grad is None) if b is None else np.array_equal(t.grad.data, b, equal_nan=True)


def test_without_error_if_nonfinite_an_inf_norm_scales_by_zero_as_pytorch():
    params, grads = params_with_grads()
    params[0].grad.data[0, 0] = np.inf
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.item() == np.inf
    # clip_coef = 1 / (inf + 1e-6) = 0: finite entries become 0, the Inf becomes NaN (inf * 0)
    assert np.isnan(params[0].grad.data[0, 0])
    assert np.array_equal(params[0].grad.data.ravel()[1:], np.zeros(11))
    assert np.array_equal(params[1].grad.data, np.zeros((3, 1)))


@pytest.mark.parametrize("call, error, match", [
    (lambda ps: nn.utils.clip_grad_norm_(ps, -1.0), ValueError, "max_norm"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, float("nan")), ValueError, "max_norm"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, norm_type=0), ValueError, "norm_type"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, norm_type="two"), TypeError, "norm_type"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite="yes"), TypeError, "error_if_nonfinite"),
    (lambda ps: nn.utils.clip_grad_norm_(ps + ps[:1], 1.0), ValueError, "count twice"),
    (lambda ps: nn.utils.clip_grad_norm_(ps + [np.ones(2)], 1.0), TypeError, "parameter 4 must be a Tensor"),
    (lambda ps: nn.utils.clip_grad_norm_(nn.MLP([2, 1]), 1.0), TypeError, r"model.parameters\(\)"),
    (lambda ps: nn.utils.clip_grad_value_(ps, -0.5), ValueError, "clip_value"),
    (lambda ps: nn.utils.clip_grad_value_(3.0, 0.5), TypeError, "parameters must be"),
])
def test_bad_arguments_are_refused_naming_them_and_change_nothing(call, error, match):
    params, grads = params_with_grads()
    with pytest.raises(error, match=match):
        call(params)
    for t, g in zip(params, grads):
        assert (t.grad is None) if g is None else np.array_equal(t.grad.data, g)


def test_clip_grad_value_clamps_every_entry():
    params, grads = params_with_grads()
    assert nn.utils.clip_grad_value_(params, 5.0) is None
    for t, g in zip(params, grads):
        if g is None:
            assert t.grad is None
        else:
            assert np.array_equal(t.grad.data, np.minimum(np.maximum(g, -5.0), 5.0))
    assert any((np.abs(g) > 5).any() for g in grads if g is not None)  # the clamp did something


# ----- inside a jitted training step -----------------------------------------------------------------------------

def big_gradient_problem() -> tuple[nn.Module, np.ndarray, np.ndarray]:
    """A regression whose gradients are far above the max_norm used below, on every one of 20 steps."""
    rng = np.random.RandomState(3)
    model = nn.MLP([4, 6, 3], hidden="tanh", output="identity", rng=1)
    X = rng.randn(4, 16) * 3
    Y = rng.randn(3, 16) * 50
    return model, X, Y


def make_step(model: nn.Module, opt: nn.optim.Optimizer, clip: str, norms: list[float] | None = None):
    def step(X: Tensor, Y: np.ndarray) -> Tensor:
        opt.zero_grad()
        J = nn.mse(model(X), Y)
        J.backward()
        if clip == "norm":
            # a generator, read anew by each eager call: a replay must clip the same parameters
            total = nn.utils.clip_grad_norm_((p for p in model.parameters()), max_norm=0.5)
            if norms is not None:
                norms.append(total.item())
        else:
            nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
        opt.step()
        return J
    return step


@pytest.mark.parametrize("clip", ["norm", "value"])
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_jitted_step_clips_as_the_eager_step_over_20_steps(clip, optimizer):
    model, X, Y = big_gradient_problem()
    twin = copy.deepcopy(model)  # the same start

    def opt_for(m: nn.Module) -> nn.optim.Optimizer:
        return nn.optim.SGD(m.parameters(), lr=0.05) if optimizer == "SGD" else nn.optim.Adam(m.parameters(), lr=0.01)

    eager_norms: list[float] = []
    eager = make_step(twin, opt_for(twin), clip, eager_norms)
    compiled = jit(make_step(model, opt_for(model), clip))
    Xt = Tensor(X, name="X")
    for i in range(20):
        J_jit, J_eager = compiled(Xt, Y), eager(Xt, Y)
        assert abs(J_jit.item() - J_eager.item()) <= 1e-12 * abs(J_eager.item()), i
        for a, b in zip(model.parameters(), twin.parameters()):
            np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-12, atol=1e-12)
        if clip == "norm":
            total = numpy_total_norm([b.grad.data for b in twin.parameters()], 2.0)
            assert total <= 0.5 + 1e-9  # the eager step clipped
        else:
            assert max(np.abs(b.grad.data).max() for b in twin.parameters()) <= 0.05
    if clip == "norm":
        assert min(eager_norms) > 5.0  # clipping was active on every step, by a factor of 10 at least
    else:
        assert any((np.abs(b.grad.data) == 0.05).any() for b in twin.parameters())  # the clamp was active
    assert any(entry.program is not None for entry in compiled.cache.values())  # later calls were replays
