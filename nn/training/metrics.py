"""Evaluating a trained model: ``predict`` and ``accuracy`` (fit's counterparts, in evaluation mode)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import validate
from nn.data.datasets import Dataset
from nn.layers.dense import as_input
from nn.layers.module import Module, eval_mode
from nn.layers.task import check_task
from nn.training.data_checks import check_examples, check_inputs
from nn.training.dataset_args import unpack
from tinygrad_nb import no_grad

__all__ = ["predict", "accuracy"]


def check_model(model: Any, caller: str) -> Module:
    """``model`` itself when it is an nn.Module; a TypeError naming ``caller`` otherwise."""
    if not isinstance(model, Module):
        raise TypeError(f"{caller}: model must be an nn.Module such as nn.MLP([n_x, ..., n_y]), "
                        f"got {type(model).__name__}")
    return model


def _output(model: Module, x: np.ndarray) -> np.ndarray:
    """A[L] (n[L], m) for X (n_x, m) or images (m, n_H, n_W, n_C), in evaluation mode (dropout off), without a
    graph; the model keeps its modes."""
    with eval_mode(model), no_grad():
        return model(as_input(x, "X")).data


def _predicted_labels(A: np.ndarray, threshold: float) -> np.ndarray:
    if A.shape[0] == 1:
        return (A > threshold).astype(np.float64)
    return A.argmax(axis=0).reshape(1, -1).astype(np.float64)


def predict(model: Module, X: Any, threshold: float = 0.5) -> np.ndarray:
    """Predicted labels (1, m) for X (n_x, m) or images (m, n_H, n_W, n_C) (or a Dataset's X, after
    ``nn.check_task``): A[L] > threshold for one output unit, the argmax class for several.

    Runs in evaluation mode; afterwards the model is in the mode it was in before.
    """
    check_model(model, "predict")
    if isinstance(X, Dataset):
        check_task(model, X)
        X = X.X
    threshold = validate.number("threshold", threshold)
    return _predicted_labels(_output(model, check_inputs(model, X)[0]), threshold)


def accuracy(model: Module, X: Any, Y: Any = None) -> float:
    """The fraction of the m examples whose prediction equals Y.

    With one output unit Y is (1, m) in {0, 1}; with C > 1 units Y is integer labels (1, m)
    in 0..C-1 or one-hot (C, m). ``accuracy(model, data)`` scores a Dataset, after
    ``nn.check_task``: a model whose stored task differs from the data's (digits 0-9 against
    odd/even labels) is refused with ``nn.TaskMismatchError`` rather than scored.
    """
    check_model(model, "accuracy")
    X, Y, data = unpack(X, Y, "accuracy")
    if data is not None:
        check_task(model, data)
    x, y, _ = check_examples(model, X, Y)
    A = _output(model, x)
    labels = _class_labels(y, A.shape[0])
    return float((_predicted_labels(A, 0.5) == labels).mean())


def _class_labels(Y: np.ndarray, C: int) -> np.ndarray:
    """Y as labels (1, m) for a model with C output units; refuses labels the model cannot predict."""
    y = Y.astype(np.float64)
    if y.shape[0] == C and C > 1:
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=0) == 1).all()):
            raise ValueError(f"accuracy: Y of shape {y.shape} must be one-hot: one 1 per column, the rest 0")
        return y.argmax(axis=0).reshape(1, -1)
    if y.shape[0] != 1:
        raise ValueError(f"accuracy: the model has {C} output unit{'s' if C > 1 else ''}, so Y must be labels "
                         f"(1, m){f' or one-hot ({C}, m)' if C > 1 else ''}, got shape {y.shape}")
    valid = (y == np.round(y)) & (y >= 0) & (y <= max(C - 1, 1))  # NaN fails every comparison
    if not valid.all():
        allowed = "0 and 1" if C == 1 else f"integers in 0..{C - 1}"
        raise ValueError(f"accuracy: Y must hold only {allowed} (labels for a model with {C} output "
                         f"unit{'s' if C > 1 else ''}), found {y[~valid][:3].tolist()}")
    return y
