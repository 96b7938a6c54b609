"""Evaluating a trained model: ``predict``, ``accuracy`` and ``confusion_matrix`` (fit's counterparts, in
evaluation mode).

``predict`` gives integer labels (1, m), dtype int64 (or the class names, ``names=True``);
``accuracy`` and ``confusion_matrix`` score a model on X and Y, on a Dataset, or predictions
Y_hat (1, m) against labels Y (1, m) with no model at all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import validate
from nn.data.datasets import Dataset
from nn.layers.containers import output_kind
from nn.layers.dense import as_input
from nn.layers.module import Module, eval_mode
from nn.layers.task import check_task
from nn.training.data_checks import check_examples, check_inputs
from nn.training.dataset_args import unpack
from tinygrad_nb import Tensor, no_grad

__all__ = ["predict", "accuracy", "confusion_matrix"]


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


def default_threshold(model: Module) -> float:
    """Where one output unit's prediction turns to 1: 0.5 on a probability A[L] = sigmoid(Z[L]), 0 on logits Z[L]
    (a model ending in its Linear layer, or an identity output): sigmoid(Z) > 0.5 exactly where Z > 0."""
    return 0.0 if output_kind(model) in ("identity", "linear") else 0.5


def _predicted_labels(A: np.ndarray, threshold: float) -> np.ndarray:
    if A.shape[0] == 1:
        return (A > threshold).astype(np.int64)
    return A.argmax(axis=0).reshape(1, -1).astype(np.int64)


def predict(model: Module, X: Any, threshold: float | None = None, *, names: bool = False) -> np.ndarray:
    """Predicted labels Y_hat (1, m), integers (dtype int64), for X (n_x, m) or images (m, n_H, n_W, n_C) (or a
    Dataset's X, after ``nn.check_task``): 1 where A[L] > threshold for one output unit (the course's rule), the
    argmax class 0..C-1 for C units.

    ``names=True`` gives the class names instead (a string array (1, m): ``[['odd', 'even', ...]]``), from
    ``model.task`` (set by ``fit(model, data)`` and kept by ``nn.save``), else the Dataset's. ``threshold=None``
    (the default) is 0.5 on a sigmoid's probabilities and 0 on logits Z[L] (1, m), a model ending in its Linear
    layer or an identity output: sigmoid(Z) > 0.5 exactly where Z > 0 (``default_threshold``).

    Runs in evaluation mode; afterwards the model is in the mode it was in before.
    """
    check_model(model, "predict")
    task = model.task
    if isinstance(X, Dataset):
        check_task(model, X)
        task = task or X.task
        X = X.X
    threshold = default_threshold(model) if threshold is None else validate.number("threshold", threshold)
    if not isinstance(names, bool):
        raise TypeError(f"predict: names must be True or False, got {type(names).__name__}")
    if names and task is None:
        raise ValueError("predict: names=True needs the class names, and the model has no task: train it with "
                         "nn.fit(model, data), set model.task = data.task, or predict on a Dataset")
    labels = _predicted_labels(_output(model, check_inputs(model, X)[0]), threshold)
    if not names:
        return labels
    assert task is not None
    if labels.max(initial=0) >= len(task.classes):
        raise ValueError(f"predict: the model predicts label {labels.max()} but its task has only "
                         f"{len(task.classes)} classes ({task.describe()})")
    return np.asarray(task.classes)[labels]


def accuracy(model: Module | np.ndarray, X: Any = None, Y: Any = None) -> float:
    """The fraction of the m examples whose prediction equals its label, in [0, 1].

    Three forms:

    - ``accuracy(model, X, Y)``: the model's predictions (``predict``) on X (n_x, m) against Y. With
      one output unit Y is (1, m) in {0, 1}; with C > 1 units Y is integer labels (1, m) in 0..C-1
      or one-hot (C, m).
    - ``accuracy(model, data)``: a Dataset, after ``nn.check_task``: a model whose stored task differs
      from the data's (digits 0-9 against odd/even labels) is refused with ``nn.TaskMismatchError``.
    - ``accuracy(Y_hat, Y)``: predictions Y_hat (1, m) (``nn.predict``'s labels, or class names)
      against labels Y (1, m) (or one-hot (C, m)), no model needed: ``np.mean(Y_hat == Y)`` with the
      shapes checked. Y_hat must be labels, not the output A[L]: probabilities are refused.
    """
    if Y is None and not isinstance(model, Module) and isinstance(model, (np.ndarray, list, tuple, Tensor)):
        y_hat, y = prediction_pair(model, X, "accuracy")
        return float((y_hat == y).mean())
    labels, predicted, _ = _model_labels(model, X, Y, "accuracy")
    return float((predicted == labels).mean())


def confusion_matrix(model: Module | np.ndarray, X: Any = None, Y: Any = None, *,
                     num_classes: int | None = None) -> np.ndarray:
    """Counts (C, C), dtype int64: entry [i, j] is the number of examples of true class i predicted as class j
    (rows: the labels Y, columns: the predictions, as scikit-learn's). The diagonal holds the right answers,
    so ``np.trace(M) / M.sum()`` is the accuracy.

    ``confusion_matrix(model, X, Y)`` and ``confusion_matrix(model, data)`` predict as ``accuracy`` does (C = 2
    for one output unit, else n[L]); ``confusion_matrix(Y_hat, Y)`` counts integer predictions Y_hat (1, m)
    against labels Y (1, m) (or one-hot (C, m)), with C = ``num_classes`` or the largest label + 1 (at least 2).
    ``viz.plot_confusion_matrix`` draws it with the class names.
    """
    if num_classes is not None:
        num_classes = validate.integer("confusion_matrix: num_classes", num_classes, low=2)
    if Y is None and not isinstance(model, Module) and isinstance(model, (np.ndarray, list, tuple, Tensor)):
        y_hat, y = prediction_pair(model, X, "confusion_matrix")
        if y_hat.dtype.kind not in "iuf" or y.dtype.kind not in "iuf":
            raise TypeError("confusion_matrix: Y_hat and Y must be integer labels 0..C-1 (predict without names=True)")
        found = int(max(y_hat.max(), y.max())) + 1
        C = max(found, 2) if num_classes is None else num_classes
        if found > C or min(y_hat.min(), y.min()) < 0:
            raise ValueError(f"confusion_matrix: the labels must be in 0..{C - 1} (num_classes={C}), found "
                             f"{int(min(y_hat.min(), y.min()))}..{found - 1}")
    else:
        y, y_hat, n_y = _model_labels(model, X, Y, "confusion_matrix")
        C = 2 if n_y == 1 else n_y
        if num_classes is not None and num_classes != C:
            raise ValueError(f"confusion_matrix: num_classes={num_classes}, but the model predicts {C} classes")
    counts = np.zeros((C, C), dtype=np.int64)
    np.add.at(counts, (y.astype(np.int64).ravel(), y_hat.astype(np.int64).ravel()), 1)
    return counts


def _model_labels(model: Any, X: Any, Y: Any, caller: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(labels (1, m), the model's predicted labels (1, m), n[L]) for ``caller(model, X, Y)`` or ``(model, data)``,
    every argument checked (a Dataset's task against the model's)."""
    check_model(model, caller)
    X, Y, data = unpack(X, Y, caller)
    if data is not None:
        check_task(model, data)
    x, y, _ = check_examples(model, X, Y)
    A = _output(model, x)
    return _class_labels(y, A.shape[0], caller), _predicted_labels(A, default_threshold(model)), A.shape[0]


def prediction_pair(Y_hat: Any, Y: Any, caller: str) -> tuple[np.ndarray, np.ndarray]:
    """Predictions Y_hat (1, m) and labels Y (1, m) as arrays of labels, checked: the same shape (a one-hot Y
    (C, m) becomes its labels), m >= 1, numbers that are whole (labels, not the output A[L]) or names (strings)."""
    if Y is None:
        raise TypeError(f"{caller}: Y is missing: {caller}(Y_hat, Y) compares predictions Y_hat (1, m) with labels "
                        f"Y (1, m); or pass a model: {caller}(model, X, Y)")
    y_hat, y = (np.asarray(v.data if isinstance(v, Tensor) else v) for v in (Y_hat, Y))
    for name, v in (("Y_hat", y_hat), ("Y", y)):
        if v.dtype.kind not in "biufU":
            raise TypeError(f"{caller}: {name} must hold labels (numbers or class names), got dtype {v.dtype}")
        if v.ndim != 2:
            raise ValueError(f"{caller}: {name} must be (1, m), one label per column, got shape {v.shape}"
                             + (f": use {name}.reshape(1, -1)" if v.ndim == 1 else ""))
    if (y_hat.dtype.kind == "U") != (y.dtype.kind == "U"):
        raise TypeError(f"{caller}: Y_hat holds {'names' if y_hat.dtype.kind == 'U' else 'numbers'} and Y "
                        f"{'names' if y.dtype.kind == 'U' else 'numbers'}: compare labels with labels (predict "
                        "without names=True) or names with names")
    if y.shape[0] > 1 and y_hat.shape[0] == 1 and y.shape[1] == y_hat.shape[1] and y.dtype.kind != "U":
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=0) == 1).all()):
            raise ValueError(f"{caller}: Y of shape {y.shape} must be one-hot (one 1 per column) or labels (1, m)")
        y = y.argmax(axis=0).reshape(1, -1)
    if y_hat.shape[0] > 1 and y.shape[0] == 1 and y_hat.shape[1] == y.shape[1] and y_hat.dtype.kind == "f":
        raise ValueError(f"{caller}: Y_hat {y_hat.shape} looks like scores, the output A[L] or logits Z (C, m), not "
                         f"labels (1, m): pass the predicted classes, Y_hat = Z.argmax(axis=0, keepdims=True) "
                         f"(DeZero's F.accuracy takes the scores), or {caller}(model, X, Y)")
    if y_hat.shape != y.shape or y.shape[0] != 1:
        hint = "; did you mean .T?" if y_hat.shape[::-1] == y.shape or 1 in (y_hat.shape[1], y.shape[1]) else ""
        raise ValueError(f"{caller}: Y_hat {y_hat.shape} and Y {y.shape} must both be labels (1, m), one per "
                         f"example (Y may be one-hot (C, m)){hint}")
    if y.shape[1] == 0:
        raise ValueError(f"{caller}: Y_hat and Y hold no examples (m = 0)")
    for name, v in (("Y_hat", y_hat), ("Y", y)):
        if v.dtype.kind == "f":
            bad = v[~(np.isfinite(v) & (v == np.round(v)))]
            if bad.size:
                what = ("predictions, not the output A[L]: pass nn.predict(model, X) (or A > 0.5)"
                        if name == "Y_hat" else "labels")
                raise ValueError(f"{caller}: {name} must hold {what}; found {bad[:3].tolist()}")
    return y_hat, y


def _class_labels(Y: np.ndarray, C: int, caller: str = "accuracy") -> np.ndarray:
    """Y as labels (1, m) for a model with C output units; refuses labels the model cannot predict."""
    y = Y.astype(np.float64)
    if y.shape[0] == C and C > 1:
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=0) == 1).all()):
            raise ValueError(f"{caller}: Y of shape {y.shape} must be one-hot: one 1 per column, the rest 0")
        return y.argmax(axis=0).reshape(1, -1)
    if y.shape[0] != 1:
        raise ValueError(f"{caller}: the model has {C} output unit{'s' if C > 1 else ''}, so Y must be labels "
                         f"(1, m){f' or one-hot ({C}, m)' if C > 1 else ''}, got shape {y.shape}")
    valid = (y == np.round(y)) & (y >= 0) & (y <= max(C - 1, 1))  # NaN fails every comparison
    if not valid.all():
        allowed = "0 and 1" if C == 1 else f"integers in 0..{C - 1}"
        raise ValueError(f"{caller}: Y must hold only {allowed} (labels for a model with {C} output "
                         f"unit{'s' if C > 1 else ''}), found {y[~valid][:3].tolist()}")
    return y
