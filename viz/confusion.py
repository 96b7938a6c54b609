"""``plot_confusion_matrix``: the counts of ``nn.training.metrics.confusion_matrix`` drawn as a table of cells.

Rows are the true classes, columns the predicted ones, each cell holding its count and shaded by
it; the axes carry the class names (the model's task, else the Dataset's, else 0..C-1) and the
title the accuracy, the diagonal's share.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.data.datasets import Dataset
from nn.layers.module import Module
from nn.training.dataset_args import unpack
from nn.training.metrics import confusion_matrix
from viz.plots import _check_path, _figure, _finish

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_DRAWN = 50  # classes: beyond this the cells are too small to read


def plot_confusion_matrix(model: Module | Any, X: Any, Y: Any = None, path: str | os.PathLike | None = None, *,
                          classes: list[str] | None = None) -> Figure:
    """The confusion matrix of ``model`` on X (n_x, m) and Y (1, m), or on a Dataset (``plot_confusion_matrix(model,
    data)``), or of predictions against labels (``plot_confusion_matrix(Y_hat, Y)``, as ``nn.accuracy(Y_hat, Y)``):
    a C x C grid whose cell [i, j] shows how many examples of true class i were predicted as class j.

    Args:
        model: a trained nn model (n[L] = 1 for a binary task, C for a multiclass one), or predictions Y_hat
            (1, m), integer labels (``nn.predict``'s).
        X: the examples X (n_x, m) (or images (m, n_H, n_W, n_C)), or a Dataset (then leave Y out); with
            predictions as the first argument, the labels Y (1, m).
        Y: their labels, integers (1, m) or one-hot (C, m).
        path: write the figure there too (.png, .svg or .pdf, atomically); None writes nothing.
        classes: the names of the C classes in label order; default the model's task's, else the Dataset's,
            else "0".."C-1".

    Returns the matplotlib Figure (Jupyter shows it inline). The numbers themselves:
    ``nn.training.metrics.confusion_matrix(model, data)``.
    """
    _check_path("plot_confusion_matrix", path)
    data = X if isinstance(X, Dataset) else None
    if not isinstance(model, Module):  # predictions and labels, as nn.confusion_matrix(Y_hat, Y)
        if Y is not None or data is not None:
            raise TypeError("plot_confusion_matrix: give a model with X and Y (or a Dataset), or predictions and "
                            f"labels: plot_confusion_matrix(Y_hat, Y); got a {type(model).__name__} first and "
                            f"{'a Dataset' if data is not None else 'three arrays'}")
        counts = confusion_matrix(model, X)
    else:
        x, y, _ = unpack(X, Y, "plot_confusion_matrix")
        counts = confusion_matrix(model, data) if data is not None else confusion_matrix(model, x, y)
    C = counts.shape[0]
    names = _names(model, data, classes, C)
    if C > MAX_DRAWN:
        raise ValueError(f"plot_confusion_matrix: {C} classes are too many cells to read (at most {MAX_DRAWN}); "
                         "use the numbers, nn.training.metrics.confusion_matrix(model, X, Y)")
    size = 2.5 + 0.45 * C
    fig = _figure("plot_confusion_matrix", size + 1, size)
    ax = fig.add_subplot()
    image = ax.imshow(counts, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    threshold = counts.max() / 2
    for i in range(C):
        for j in range(C):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=9,
                    color="white" if counts[i, j] > threshold else "black")
    ax.set_xticks(np.arange(C), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right"
                  if max(map(len, names)) > 3 else "center")
    ax.set_yticks(np.arange(C), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    m = int(counts.sum())
    ax.set_title(f"Confusion matrix: accuracy {np.trace(counts) / m:.4f} on {m:,} examples")
    return _finish(fig, path)


def _names(model: Module, data: Dataset | None, classes: list[str] | None, C: int) -> list[str]:
    """The C class names: those given, the model's task's, the Dataset's, or "0".."C-1"."""
    if classes is not None:
        if isinstance(classes, (str, bytes)) or len(classes) != C or not all(isinstance(c, str) for c in classes):
            raise ValueError(f"plot_confusion_matrix: classes must be a list of {C} names in label order, got "
                             f"{classes!r}"[:300])
        return list(classes)
    for task in (getattr(model, "task", None) if isinstance(model, Module) else None,
                 data.task if data is not None else None):
        if task is not None and len(task.classes) == C:
            return list(task.classes)
    return [str(i) for i in range(C)]


__all__ = ["plot_confusion_matrix"]
