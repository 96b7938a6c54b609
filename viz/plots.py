"""Training plots with matplotlib's object-oriented API (a Figure and an Agg canvas: no display needed).

- ``plot_costs``: the course's learning curve (cost per hundred iterations, alpha in the title).
- ``plot_decision_boundary``: the course's planar picture for a model on 2-D data.
- ``plot_gradient_check``: the closed-form vs autograd relative difference per layer and quantity.

Each writes its file atomically and returns the path. matplotlib (the viz extra) is imported
on the first plot, not by ``import viz``: it is most of the package's import time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nn.atomic import atomic_path
from nn.module import Module
from nn.reference import ClosedFormReport
from nn.training import predict

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _figure(width: float, height: float) -> Figure:
    """A Figure on an Agg canvas: drawn off screen, so no display is needed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # optional (the viz extra)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | os.PathLike) -> Path:
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"plots are written as .png, .svg or .pdf, got {path.suffix!r}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=110, bbox_inches="tight")
    return path


def plot_costs(costs: Sequence[float], path: str | os.PathLike, learning_rate: float | None = None,
               record_every: int = 100) -> Path:
    """The course's cost curve: one point per ``record_every`` iterations, alpha in the title."""
    values = np.asarray(list(costs), dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"plot_costs: expected a non-empty list of costs, got shape {values.shape}")
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    ax.plot(np.arange(values.size), values, color="#2563eb", linewidth=1.8)
    ax.set_ylabel("cost J")
    ax.set_xlabel(f"iterations (per {'hundreds' if record_every == 100 else record_every})")
    ax.set_title("Learning rate = " + (f"{learning_rate:g}" if learning_rate is not None else "?"))
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_decision_boundary(model: Module, X: np.ndarray, Y: np.ndarray, path: str | os.PathLike,
                           resolution: int = 300) -> Path:
    """Colour the plane by the model's prediction and scatter the m points of X (2, m) coloured by Y (1, m)."""
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or X.shape[0] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D data X of shape (2, m), got {X.shape}")
    if Y.shape != (1, X.shape[1]):
        raise ValueError(f"plot_decision_boundary: Y must be (1, {X.shape[1]}), got {Y.shape}")
    x_min, x_max = X[0].min() - 1, X[0].max() + 1
    y_min, y_max = X[1].min() - 1, X[1].max() + 1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.stack([xx.ravel(), yy.ravel()])
    Z = predict(model, grid).reshape(xx.shape)
    fig = _figure(6, 5)
    ax = fig.add_subplot()
    ax.contourf(xx, yy, Z, cmap="Spectral", alpha=0.8)
    ax.scatter(X[0], X[1], c=Y.ravel(), s=14, cmap="Spectral", edgecolors="k", linewidths=0.3)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("Decision boundary")
    return _save(fig, path)


def plot_gradient_check(report: ClosedFormReport, path: str | os.PathLike, tolerance: float = 1e-10) -> Path:
    """Bars of the relative difference of dZ, dW, db, dA per layer (log scale) with the tolerance line."""
    if not isinstance(report, ClosedFormReport):
        raise TypeError(f"plot_gradient_check expects a ClosedFormReport, got {type(report).__name__}")
    quantities = ["dZ", "dW", "db", "dA"]
    by_layer: dict[int, dict[str, float]] = {}
    for name, _, diff in report.rows:
        q, number = name[:2], int(name[2:])
        layer = number + 1 if q == "dA" else number  # dA[l-1] comes out of layer l's backward step
        by_layer.setdefault(layer, {})[q] = diff
    layers = sorted(by_layer)
    floor = 1e-18  # exact zeros drawn at the floor of the log scale
    fig = _figure(7, 4)
    ax = fig.add_subplot()
    width = 0.2
    for k, q in enumerate(quantities):
        values = [max(by_layer[l].get(q, 0.0), floor) for l in layers]
        ax.bar(np.arange(len(layers)) + (k - 1.5) * width, values, width, label=q)
    ax.axhline(tolerance, color="#dc2626", linestyle="--", linewidth=1, label=f"tolerance {tolerance:g}")
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(layers)), [f"layer {l}" for l in layers])
    ax.set_ylabel("||autograd - formula|| / (||autograd|| + ||formula||)")
    ax.set_title("Autograd against the closed-form formulas")
    ax.legend(fontsize=8, ncol=5)
    return _save(fig, path)


__all__ = ["plot_costs", "plot_decision_boundary", "plot_gradient_check"]
