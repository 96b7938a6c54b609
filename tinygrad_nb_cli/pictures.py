"""The pictures of a run: costs.png (the learning curve) and graph.svg (one step's forward and backward graph)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nn
import viz
from tinygrad_nb import Tensor
from tinygrad_nb_cli.costs import cost_of_one_step

INSTALL_HINT = "install them with: pip install 'tinygrad-nb[viz,render]'"


def draw_quietly(J: Tensor, path: Path, show: str = "both", max_nodes: int = 500) -> tuple[Path, int]:
    """Draw J's graph and render it to ``path``: (the path written, the number of nodes drawn).

    A missing renderer becomes one printed note instead of a warning trace (the .dot is written).
    """
    graph = viz.draw_graph(J, show=show, max_nodes=max_nodes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", viz.RendererNotFoundWarning)
        written = viz.render(graph, path)
    for w in caught:
        print(f"note: {w.message}")
    return written, graph.source.count("[label=")


def save_html_quietly(J: Tensor, path: Path, **options: Any) -> Path:
    """viz.save_html, a missing renderer turned into one printed note (the page is written without its drawing)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", viz.RendererNotFoundWarning)
        written = viz.save_html(J, path, **options)
    for w in caught:
        print(f"note: {w.message}")
    return written


def run_pictures(model: nn.Module, X: np.ndarray, Y: np.ndarray, costs: Sequence[float], *, multiclass: bool,
                 learning_rate: float, record_every: int, folder: Path,
                 history: dict[str, Any] | None = None) -> list[Path]:
    """Write costs.png, graph.svg (or graph.dot without a renderer) and graph.html (the explorer page,
    with the training view from ``history``) into ``folder``; the paths written.

    Without the viz extra (matplotlib, graphviz) prints a note instead of the pictures it cannot make.
    """
    written: list[Path] = []
    h = history or {"costs": list(costs), "record_every": record_every, "learning_rate": learning_rate}
    try:
        viz.plot_costs(h, folder / "costs.png", learning_rate=learning_rate, record_every=record_every)
        written.append(folder / "costs.png")
    except ImportError as e:
        _note_missing("costs.png", e)
    try:
        J = cost_of_one_step(model, X, Y, multiclass=multiclass)
        written.append(draw_quietly(J, folder / "graph.svg")[0])
        written.append(save_html_quietly(J, folder / "graph.html", history=h))
    except ImportError as e:
        _note_missing("graph.svg or graph.html", e)
    return written


def _note_missing(what: str, e: ImportError) -> None:
    """One printed note for a picture an optional library is missing for, with the pip command to get it."""
    print(f"note: no {what} ({e}){'' if 'pip install' in str(e) else '; ' + INSTALL_HINT}")
