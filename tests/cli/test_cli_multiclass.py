"""Multiclass runs train on logits: the cost stays finite where softmax underflows to 0."""

import json

import numpy as np
import pytest

import nn
from nn.training.dataset_args import default_loss
from tinygrad_nb import Tensor
from tinygrad_nb_cli.cli import main
from tinygrad_nb_cli.costs import cost_of_one_step


def log_softmax_cost(Z, labels):
    """The reference: -1/m sum log softmax(Z)[label], in NumPy."""
    shifted = Z - Z.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    return -log_p[labels.astype(int).ravel(), np.arange(Z.shape[1])].mean()


def set_last_layer(model, W, b):
    last = model.linears()[-1]
    last.W.data[...] = W
    last.b.data[...] = b


def test_the_train_cost_is_finite_when_a_probability_underflows(tmp_path, monkeypatch, capsys):
    seen = {}

    def spy(model, X, Y, *, loss=None, **kwargs):
        seen.update(model=model, loss=loss if loss is not None else default_loss(model, None))  # what fit would use
        return [1.0]

    monkeypatch.setattr(nn, "fit", spy)
    assert main(["train", "--task", "multiclass", "--iterations", "1", "--out", str(tmp_path), "--no-progress"]) == 0
    model, loss = seen["model"], seen["loss"]
    loss = nn.training.losses.LOSSES[loss] if isinstance(loss, str) else loss  # a name fit resolves (so it compiles)
    n_h = model.layer_dims[-2]
    b = np.zeros((10, 1))
    b[3] = -1000.0  # softmax gives class 3 a probability of exp(-1000) = 0.0
    set_last_layer(model, np.zeros((10, n_h)), b)
    X = np.random.RandomState(0).rand(64, 4)
    Y = np.array([[3.0, 0.0, 3.0, 9.0]])
    J = loss(model(Tensor(X, name="X")), Y)
    assert np.isfinite(J.item())
    Z = model(Tensor(X)).data
    assert J.item() == pytest.approx(log_softmax_cost(Z, Y), rel=1e-12)
    J.backward()
    assert all(np.isfinite(p.grad.data).all() for p in model.parameters())


def test_multiclass_digits_trains_saves_and_predicts(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--task", "multiclass", "--iterations", "30", "--lr", "0.5", "--out", str(out),
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "layer_dims [64, 32, 16, 10]" in printed and "test accuracy (359 examples of digits):" in printed
    costs = json.loads((out / "costs.json").read_text())["costs"]
    assert all(np.isfinite(costs)) and costs[0] > 2.0  # about log(10) at the start
    assert main(["predict", "--model", str(out / "model.h5"), "--task", "multiclass"]) == 0
    assert "359 predictions; test accuracy (359 examples of digits): " in capsys.readouterr().out
    assert main(["predict", "--model", str(out / "model.h5")]) == 0  # the task stored in model.h5
    assert "359 predictions; test accuracy (359 examples of digits): " in capsys.readouterr().out
    assert main(["predict", "--model", str(out / "model.h5"), "--task", "binary"]) == 2
    assert "n[L] = 10 output units (multiclass); predict it with --task multiclass" in capsys.readouterr().err


def test_graph_of_a_softmax_model_uses_its_logits(tmp_path):
    model = nn.MLP([3, 4, 5], output="softmax", rng=0)  # as older multiclass model.h5 files were saved
    b = np.zeros((5, 1))
    b[1] = -1000.0
    set_last_layer(model, np.zeros((5, 4)), b)
    X = np.ones((3, 2))
    Y = np.array([[1.0, 4.0]])
    J = cost_of_one_step(model, X, Y, multiclass=True)
    assert np.isfinite(J.item()) and J.item() > 400
    assert all(np.isfinite(p.grad.data).all() for p in model.parameters())


def test_graph_draws_a_multiclass_network_from_dims_and_from_a_softmax_file(tmp_path, capsys):
    assert main(["graph", "--layers", "6,4,3", "--m", "5", "--out", str(tmp_path / "g.dot")]) == 0
    assert "softmax_cross_entropy" in (tmp_path / "g.dot").read_text()  # the cost from the logits, one op
    nn.save(nn.MLP([3, 4, 5], output="softmax", rng=0), tmp_path / "old.h5")
    assert main(["graph", "--model", str(tmp_path / "old.h5"), "--m", "5", "--out", str(tmp_path / "h.dot")]) == 0
    assert "layer_dims [3, 4, 5]" in capsys.readouterr().out
