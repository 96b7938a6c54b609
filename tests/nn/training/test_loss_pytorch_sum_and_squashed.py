"""reduction="sum" is PyTorch's for every loss and any n[L] (every term summed), against torch.nn.functional, value
and gradient; the default "mean" stays the course's J = 1/m sum over the examples. A loss that takes logits refuses
the output of a squashing activation (sigmoid, tanh, softmax) naming the fix, output="identity"; fit says it before
training; l2_penalty refuses a model or arrays, naming the argument."""

from __future__ import annotations

import re

import numpy as np
import pytest
from _shared import torch_or_skip

import nn
from tinygrad_nb import Tensor


def _case(n, m, seed):
    rs = np.random.RandomState(seed)
    return rs.uniform(0.05, 0.95, (n, m)), rs.randn(n, m) * 2, (rs.rand(n, m) > 0.5).astype(np.float64)


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("which", ["mse", "bce", "bce_with_logits", "cross_entropy"])
def test_sum_is_pytorchs_value_and_gradient_for_several_output_rows(which, n):
    torch = torch_or_skip()
    F = torch.nn.functional
    A, Z, Y = _case(n, 6, seed=11)
    labels = np.random.RandomState(2).randint(0, n, size=(1, 6))
    ours_fn, theirs_fn, x, y, y_torch = {
        "mse": (nn.mse, F.mse_loss, Z, A, torch.tensor(A)),
        "bce": (nn.binary_cross_entropy, F.binary_cross_entropy, A, Y, torch.tensor(Y)),
        "bce_with_logits": (nn.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, Z, Y,
                            torch.tensor(Y)),
        # torch: one example per row, (m, C) logits and (m,) class indices
        "cross_entropy": (nn.cross_entropy, lambda a, t, reduction: F.cross_entropy(a.T, t, reduction=reduction),
                          Z, labels, torch.tensor(labels.reshape(-1))),
    }[which]
    X = Tensor(x, requires_grad=True)
    J = ours_fn(X, y, reduction="sum")
    J.backward()
    xt = torch.tensor(x, requires_grad=True)
    Jt = theirs_fn(xt, y_torch, reduction="sum")
    Jt.backward()
    assert J.item() == pytest.approx(Jt.item(), rel=1e-12)
    np.testing.assert_allclose(X.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("which", ["bce", "bce_with_logits", "cross_entropy"])
def test_the_default_mean_is_the_courses_cost_one_over_m_times_the_sum(which):
    A, Z, Y = _case(3, 5, seed=4)
    labels = np.array([[0, 2, 1, 1, 0]])
    fn, x, y = {"bce": (nn.binary_cross_entropy, A, Y), "bce_with_logits": (nn.binary_cross_entropy_with_logits, Z, Y),
                "cross_entropy": (nn.cross_entropy, Z, labels)}[which]
    if which == "bce":  # the course's J = -1/m sum(Y log A + (1 - Y) log(1 - A)), written out
        expected = -(Y * np.log(A) + (1 - Y) * np.log(1 - A)).sum() / 5
        assert fn(Tensor(x), y).item() == pytest.approx(expected, rel=1e-12)
    assert fn(Tensor(x), y).item() == pytest.approx(fn(Tensor(x), y, reduction="sum").item() / 5, rel=1e-12)


def test_mse_mean_and_sum_are_pytorchs_and_none_is_each_examples_mean():
    A, Z, _ = _case(3, 4, seed=5)
    squared = (Z - A) ** 2
    assert nn.mse(Tensor(Z), A, reduction="sum").item() == pytest.approx(squared.sum(), rel=1e-12)
    assert nn.mse(Tensor(Z), A).item() == pytest.approx(squared.mean(), rel=1e-12)
    np.testing.assert_allclose(nn.mse(Tensor(Z), A, reduction="none").data, squared.mean(axis=0, keepdims=True))


# ----- logits losses refuse squashed outputs -------------------------------------------------------

@pytest.mark.parametrize("activation, article", [(nn.Sigmoid, "a sigmoid"), (nn.Tanh, "a tanh"),
                                                 (lambda: nn.Softmax(axis=0), "a softmax")])
@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy_with_logits"])
def test_a_loss_on_logits_refuses_a_squashed_output_naming_the_fix(loss, activation, article):
    X = np.random.RandomState(0).randn(2, 4)
    n_out = 3 if loss == "cross_entropy" else 1
    model = nn.Sequential(nn.Linear(2, n_out, rng=0), activation())
    Y = np.array([[0, 1, 2, 1]]) if loss == "cross_entropy" else np.array([[0.0, 1, 1, 0]])
    with pytest.raises(ValueError) as info:
        getattr(nn, loss)(model(X), Y)
    message = str(info.value)
    assert message.startswith(f"{loss}: Z is the output of {article}, but {loss} takes the logits Z[L]")
    assert 'output="identity"' in message


def test_mlps_default_sigmoid_output_is_refused_by_cross_entropy_and_identity_is_accepted():
    X = np.random.RandomState(1).randn(2, 5)
    t = np.array([[0, 1, 2, 1, 0]])
    with pytest.raises(ValueError, match=re.escape('cross_entropy: Z is the output of a sigmoid')):
        nn.cross_entropy(nn.MLP([2, 10, 3], rng=1)(X), t)
    J = nn.cross_entropy(nn.MLP([2, 10, 3], output="identity", rng=1)(X), t)
    assert np.isfinite(J.item())


def test_a_sigmoid_output_fed_to_bce_with_logits_points_to_binary_cross_entropy():
    Z = Tensor(np.zeros((1, 3)), requires_grad=True).sigmoid()
    with pytest.raises(ValueError, match=re.escape("use nn.binary_cross_entropy on this output, or end the model")):
        nn.binary_cross_entropy_with_logits(Z, np.array([[0.0, 1, 0]]))


@pytest.mark.parametrize("output, loss", [("tanh", "cross_entropy"), ("tanh", "binary_cross_entropy_with_logits"),
                                          ("sigmoid", "cross_entropy")])
def test_fit_refuses_a_squashed_output_for_a_logits_loss_before_training(output, loss):
    n_y = 3 if loss == "cross_entropy" else 1
    model = nn.MLP([2, 4, n_y], output=output, rng=0)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    Y = np.array([[0, 1, 2, 1]]) if n_y == 3 else np.array([[0.0, 1, 1, 0]])
    with pytest.raises(ValueError, match=rf"fit: loss {loss} takes the logits Z\[L\].*output='identity'"):
        nn.fit(model, np.ones((2, 4)), Y, loss=loss, num_iterations=1, print_cost=False)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_fits_multiclass_path_on_logits_still_trains():
    X = np.random.RandomState(3).randn(2, 12)
    Y = (X[0:1] > 0).astype(int) + (X[1:2] > 0).astype(int)  # classes 0, 1, 2
    model = nn.MLP([2, 6, 3], output="identity", rng=3)
    costs = nn.fit(model, X, Y, loss="cross_entropy", num_iterations=30, print_cost=False)
    assert costs[-1] < costs[0]


# ----- l2_penalty ------------------------------------------------------------------------------

def test_l2_penalty_refuses_a_model_naming_the_fix():
    model = nn.MLP([2, 3, 1], rng=0)
    with pytest.raises(TypeError, match=re.escape("l2_penalty: weights must be a list of the W[l] Tensors, got MLP; "
                                                  "for a model pass [p for name, p in model.named_parameters()")):
        nn.l2_penalty(model, 0.1, 10)
    with pytest.raises(TypeError, match=r"l2_penalty: weights must be a list of the W\[l\] Tensors, got a Tensor"):
        nn.l2_penalty(model.parameters()[0], 0.1, 10)


def test_l2_penalty_refuses_arrays_which_would_get_no_gradient():
    with pytest.raises(TypeError, match=r"l2_penalty: weights\[1\] must be a Tensor W\[l\].*got ndarray; an array "
                                        r"would get no gradient"):
        nn.l2_penalty([nn.Parameter(np.ones((2, 2))), np.ones((2, 2))], 0.1, 10)


def test_l2_penalty_takes_the_ws_of_a_model_and_a_parameter_list():
    from nn.layers.lists import ParameterList

    model = nn.MLP([2, 3, 1], rng=0)
    Ws = [p for name, p in model.named_parameters() if name.startswith("W")]
    expected = 0.1 / (2 * 10) * sum((W.data ** 2).sum() for W in Ws)  # lambd / (2m) sum ||W[l]||_F^2
    assert nn.l2_penalty(Ws, 0.1, 10).item() == pytest.approx(expected, rel=1e-12)
    assert nn.l2_penalty(ParameterList(Ws), 0.1, 10).item() == pytest.approx(expected, rel=1e-12)
