"""Training plots with matplotlib's object-oriented API (a Figure and an Agg canvas: no display needed).

- ``plot_costs``: the course's learning curve (cost against the iterations it was recorded at, alpha in the title).
- ``plot_decision_boundary``: the course's planar picture for a model on 2-D data.
- ``plot_gradient_check``: the closed-form vs autograd relative difference per layer and quantity.

Each returns the matplotlib Figure, which Jupyter shows inline as the last expression of a cell
(it has ``_repr_png_``; no pyplot, so no global figure state is kept or leaked), and writes it
atomically to ``path`` (.png, .svg or .pdf) when one is given. matplotlib (the viz extra) is
imported on the first plot, not by ``import viz``: it is most of the package's import time.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.files.atomic import atomic_path
from nn.layers.module import Module
from nn.training.dataset_args import unpack
from nn.training.metrics import predict
from nn.training.reference import ClosedFormReport
from viz.explorer_history import as_history, history_data
from viz.rendering import missing_extra

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@functools.cache
def figure_class() -> type[Figure]:
    """``PlotFigure``: a matplotlib Figure that Jupyter shows inline as PNG (``_repr_png_``) without pyplot.
    Made on first use, so that ``import viz`` loads no matplotlib."""
    try:
        from matplotlib.figure import Figure  # optional (the viz extra)
    except ImportError as e:
        raise missing_extra("the viz plots", "matplotlib") from e

    class PlotFigure(Figure):
        """A matplotlib Figure on an Agg canvas that shows itself inline in Jupyter as PNG."""

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
            return buffer.getvalue()

    PlotFigure.__qualname__ = "PlotFigure"  # viz.plots.PlotFigure, as pickle looks it up
    return PlotFigure


def __getattr__(name: str) -> Any:
    if name == "PlotFigure":
        return figure_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DPI = 110


def _figure(user: str, width: float, height: float) -> Figure:
    """A PlotFigure on an Agg canvas: drawn off screen, so no display is needed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # optional (the viz extra)
    except ImportError as e:
        raise missing_extra(user, "matplotlib") from e
    fig = figure_class()(figsize=(width, height))  # matplotlib imports: FigureCanvasAgg did
    FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    """Write ``fig`` to ``path`` atomically when a path is given; the figure either way."""
    if path is None:
        return fig
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"plots are written as .png, .svg or .pdf, got {path.suffix!r}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches="tight")
    return fig


def _check_path(user: str, path: Any) -> None:
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{user}: path must be a file name (str or Path) or None, got {type(path).__name__}")


def plot_costs(costs: Sequence[float] | Mapping[str, Any], path: str | os.PathLike | None = None,
               learning_rate: float | None = None, record_every: int | None = None, *,
               iterations: Sequence[float] | None = None) -> Figure:
    """The course's cost curve: J against the iteration it was recorded at, alpha in the title.

    Args:
        costs: the costs ``nn.fit`` returns (they carry the iteration of each, ``costs.iterations``), a
            plain list of costs, or the history dict ``nn.fit(history=h)`` fills (its "iterations",
            "record_every" and "learning_rate" are used when not given here).
        path: write the figure there too (.png, .svg or .pdf, atomically); None writes nothing.
        learning_rate: alpha, for the title ("Learning rate = 0.0075"; without one, and none in a history
            dict, the title is "Learning curve").
        record_every: costs were recorded every this many iterations (default 100), used only when no
            ``iterations`` are known (a plain list of costs).
        iterations: the iteration of each cost (one per cost, increasing): a run's recorded
            iterations need not be evenly spaced (the last one, say). Given here, they win over the
            costs' own.

    Returns the matplotlib Figure (Jupyter shows it inline).
    """
    _check_path("plot_costs", path)
    history = as_history(costs)
    given = {"iterations": iterations, "record_every": record_every, "learning_rate": learning_rate}
    history.update({key: value for key, value in given.items() if value is not None})  # explicit arguments win
    if history.get("iterations") is None and history.get("record_every") is None:
        history["record_every"] = 100
    data = history_data(history, who="plot_costs")
    assert data is not None  # history is a dict
    steps = np.asarray(data["iterations"], dtype=np.float64)
    values = np.asarray([np.nan if c is None else c for c in data["costs"]], dtype=np.float64)  # a gap
    alpha = data["learning_rate"]
    fig = _figure("plot_costs", 6, 4)
    ax = fig.add_subplot()
    ax.plot(steps, values, color="#2563eb", linewidth=1.8, marker="o" if values.size <= 30 else None, markersize=3)
    ax.set_ylabel("cost J")
    unit = getattr(costs, "unit", None)  # fit's costs say whether they are per iteration or per epoch
    ax.set_xlabel(unit if unit in ("iteration", "epoch") else "iteration")
    ax.set_title(f"Learning rate = {alpha:g}" if alpha is not None else "Learning curve")
    ax.grid(alpha=0.3)
    return _finish(fig, path)


def plot_decision_boundary(model: Module, X: Any, Y: Any = None, path: str | os.PathLike | None = None,
                           resolution: int = 300) -> Figure:
    """Colour the plane by the model's prediction and scatter the m points of X (2, m) coloured by Y (1, m).

    ``plot_decision_boundary(model, data)`` takes an ``nn.datasets`` Dataset of 2-D points (planar) as ``fit``
    does, its X and Y; pass ``path=`` by name then. Returns the matplotlib Figure (Jupyter shows it inline);
    writes it to ``path`` too when one is given.
    """
    _check_path("plot_decision_boundary", path)
    X, Y, _ = unpack(X, Y, "plot_decision_boundary")
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or X.shape[0] != 2:
        hint = "; did you mean X.T?" if X.ndim == 2 and X.shape[1] == 2 else ""
        raise ValueError(f"plot_decision_boundary needs 2-D points X of shape (2, m), one per column, got "
                         f"{X.shape}{hint}")
    if Y.shape != (1, X.shape[1]):
        hint = "; did you mean Y.T?" if Y.shape == (X.shape[1], 1) else ""
        raise ValueError(f"plot_decision_boundary: Y must be (1, {X.shape[1]}), got {Y.shape}{hint}")
    x_min, x_max = X[0].min() - 1, X[0].max() + 1
    y_min, y_max = X[1].min() - 1, X[1].max() + 1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.stack([xx.ravel(), yy.ravel()])
    Z = predict(model, grid).reshape(xx.shape)
    fig = _figure("plot_decision_boundary", 6, 5)
    ax = fig.add_subplot()
    ax.contourf(xx, yy, Z, cmap="Spectral", alpha=0.8)
    ax.scatter(X[0], X[1], c=Y.ravel(), s=14, cmap="Spectral", edgecolors="k", linewidths=0.3)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("Decision boundary")
    return _finish(fig, path)


def plot_gradient_check(report: ClosedFormReport, path: str | os.PathLike | None = None,
                        tolerance: float = 1e-10) -> Figure:
    """Bars of the relative difference of dZ, dW, db, dA per layer (log scale) with the tolerance line.

    Returns the matplotlib Figure (Jupyter shows it inline); writes it to ``path`` too when one is given.
    """
    _check_path("plot_gradient_check", path)
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
    fig = _figure("plot_gradient_check", 7, 4)
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
    return _finish(fig, path)


__all__ = ["plot_costs", "plot_decision_boundary", "plot_gradient_check"]
