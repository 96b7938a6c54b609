"""The task chooses the output and the loss: nn.MLP(..., task=data.task) for a multiclass task ends in logits and
fit trains it with cross_entropy, as ``tinygrad-nb train --task multiclass`` does; an explicit choice wins."""

import numpy as np
import pytest

import nn
from nn.layers.task import loss_for, output_for
from nn.training.dataset_args import default_loss
from tinygrad_nb import Tensor


def test_a_multiclass_task_gives_logits_and_cross_entropy():
    data = nn.datasets.digits(task="multiclass", seed=1)
    model = nn.MLP([64, 16, 10], task=data.task, rng=1)
    assert model.output == "identity" and model.task.output == "logits"
    assert default_loss(model, data) == "cross_entropy"
    costs = nn.fit(model, data, num_iterations=60, print_cost=False)
    # the first cost is cross-entropy of the initial logits, computed here from its formula
    fresh = nn.MLP([64, 16, 10], task=data.task, rng=1)
    Z = fresh(data.X).data
    log_softmax = Z - Z.max(axis=0) - np.log(np.exp(Z - Z.max(axis=0)).sum(axis=0))
    expected = -log_softmax[data.Y[0].astype(int), np.arange(data.m)].mean()
    assert costs[0] == pytest.approx(expected, rel=1e-12)
    assert costs[-1] < costs[0] and nn.accuracy(model, data.test) > 0.5


def test_a_binary_task_and_no_task_keep_the_sigmoid_and_binary_cross_entropy():
    binary = nn.datasets.digits(task="binary", seed=1)
    for model in (nn.MLP([64, 4, 1], task=binary.task, rng=0), nn.MLP([64, 4, 1], rng=0)):
        assert model.output == "sigmoid" and default_loss(model, binary) == "binary_cross_entropy"


def test_an_explicit_output_or_loss_wins():
    data = nn.datasets.digits(task="multiclass", seed=1)
    softmax = nn.MLP([64, 4, 10], output="softmax", task=data.task, rng=0)
    assert softmax.output == "softmax"
    with pytest.raises(ValueError, match="output='identity'"):  # cross_entropy takes logits: the fix is named
        nn.fit(softmax, data, num_iterations=1, print_cost=False)
    logits = nn.MLP([2, 3, 1], output="identity", rng=0)
    assert default_loss(logits, None) == "binary_cross_entropy_with_logits"
    X, Y = np.random.RandomState(0).randn(2, 8), (np.arange(8) % 2).reshape(1, -1)
    costs = nn.fit(logits, X, Y, loss="mse", lr=0.01, num_iterations=1, print_cost=False)
    assert costs[0] == pytest.approx(float(np.mean((nn.MLP([2, 3, 1], output="identity", rng=0)(X).data - Y) ** 2)))


@pytest.mark.parametrize("kind, last, n_y, loss", [
    ("multiclass", "identity", 10, "cross_entropy"), (None, "linear", 3, "cross_entropy"),
    ("binary", "identity", 1, "binary_cross_entropy_with_logits"), ("binary", "sigmoid", 1, "binary_cross_entropy"),
    (None, "sigmoid", 10, "binary_cross_entropy"), ("multiclass", "softmax", 10, "cross_entropy"),
    ("multiclass", None, None, "cross_entropy"), (None, None, None, "binary_cross_entropy"),
])
def test_the_rule(kind, last, n_y, loss):
    assert loss_for(kind, last, n_y) == loss


def test_output_for():
    assert output_for(nn.Task("multiclass", 3)) == "identity"
    assert output_for(nn.Task("binary")) == output_for(None) == "sigmoid"


def test_a_task_that_is_not_a_task_is_still_refused():
    with pytest.raises(TypeError, match="must be an nn.Task"):
        nn.MLP([2, 3], task="multiclass")
    assert isinstance(nn.MLP([2, 3], rng=0)(Tensor(np.zeros((2, 1)))), Tensor)
