"""A ``Dataset`` where ``fit``, ``predict`` and ``accuracy`` take X and Y, and what it tells them.

``nn.fit(model, nn.datasets.planar())`` reads X (n_x, m) and Y (n_y, m) from the Dataset, and
with them what arrays cannot say: which data it is, so the learning rate and the iterations
left out are that data's defaults (``nn.defaults``: the same table as ``tinygrad-nb train``),
and its task, which the model takes on (``model.task``, stored by ``nn.save``) or, when the
model already has one, is checked against (``nn.check_task``).
"""

from __future__ import annotations

from typing import Any

from nn.data.datasets import Dataset
from nn.layers.containers import Sequential, output_kind
from nn.layers.module import Module
from nn.layers.task import check_task, loss_for
from nn.training.defaults import default_settings, epochs_for, kind_for_data


def unpack(X: Any, Y: Any, caller: str) -> tuple[Any, Any, Dataset | None]:
    """(X, Y, the Dataset or None): a Dataset given as X with Y left out, or X and Y given as arrays."""
    if isinstance(X, Dataset):
        if Y is not None:
            raise TypeError(f"{caller}: given a Dataset ({X.name}), leave Y out: the labels are its .Y")
        return X.X, X.Y, X
    if Y is None:
        raise TypeError(f"{caller}: Y is missing: pass X (n_x, m) and Y (n_y, m), or one nn.datasets Dataset")
    return X, Y, None


def fit_defaults(data: Dataset | None, lr: float | None, num_iterations: Any, optimizer_given: bool,
                 batch_size: int | None = None, m: int = 1) -> tuple[float | None, Any]:
    """The learning rate and the iterations fit uses: those given, else the Dataset's defaults (the CLI's),
    else the course's 0.0075 and 2500. An optimizer object keeps its own rate (None is returned).

    The defaults count gradient steps; with mini-batches an iteration is an epoch, so the default
    becomes the epochs that take about as many steps (``nn.defaults.epochs_for``).
    """
    settings = default_settings(kind_for_data(data.name) if data is not None else "cat")
    if lr is None and not optimizer_given:
        lr = settings.lr
    if num_iterations is None:
        num_iterations = epochs_for(settings.iterations, batch_size, m)
    return lr, num_iterations


def default_loss(model: Module, data: Dataset | None) -> str:
    """The loss ``fit`` trains with when ``loss`` is left out, from the model's last layer and the task (the
    model's, else the data's; ``nn.layers.task.loss_for``): ``"binary_cross_entropy"`` after a sigmoid,
    ``"cross_entropy"`` on logits for a multiclass task (or n[L] > 1), ``"binary_cross_entropy_with_logits"`` on
    logits (1, m); ``"mse"`` on an identity output for a Dataset of real-valued targets (no task, no classes:
    ``nn.datasets.sin_curve``). A loss given to ``fit`` always wins."""
    task = model.task if model.task is not None else (data.task if data is not None else None)
    dims = model.layer_dims if isinstance(model, Sequential) else []
    if task is None and data is not None and not data.classes and output_kind(model) in ("identity", "linear"):
        return "mse"
    return loss_for(task.kind if task is not None else None, output_kind(model), dims[-1] if dims else None)


def adopt_task(model: Module, data: Dataset | None, caller: str) -> None:
    """``fit`` on a Dataset: a model without a task takes the data's (checked against its n[L]); a model with
    one must match it (``nn.TaskMismatchError`` otherwise)."""
    if data is None or data.task is None:
        return
    if model.task is None:
        try:
            model.task = data.task
        except ValueError as e:
            raise ValueError(f"{caller}: {data.name} is {data.task.describe()}, which this model cannot learn: "
                             f"{e}") from None
        return
    check_task(model, data)
