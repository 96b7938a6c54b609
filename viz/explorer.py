"""``explore`` and ``save_html``: a Tensor's graph as one interactive, self-contained HTML page.

    ex = viz.explore(J)                         # in Jupyter, the last line of a cell shows the page inline
    viz.save_html(J, "graph.html", history=h)   # one file; opens offline in any browser, no server

The page shows ``draw_graph(J, show=...)`` rendered to SVG (layer clusters, forward and backward,
the gradients dZ1, dW1, ...), with pan and zoom, a search box, a panel per node (course name, op,
shape, dtype, the forward formula, the chain-rule step of explain mode that formed its gradient,
statistics and a histogram of its value and gradient; the fraction of dead units of a ReLU
output), a step control that walks the forward pass in creation order and the backward pass in
the order the engine runs it, and, given a ``history``, the cost curve and the norms of dW[l].

What ``explore`` does to J's graph: it walks it (as ``draw_graph`` does) and runs one
``tinygrad_nb.grad(J, [every tensor that requires grad], retain_graph=True)`` pass under explain
mode (see ``viz.explorer_data``). So it changes no ``.grad``, frees no part of the graph, and J can
be explored before or after ``J.backward(retain_graph=True)``; only hooks registered with
``register_hook`` see that pass, as they see any backward. After a plain ``J.backward()`` the graph
is freed, and ``explore`` raises ``GraphFreedError`` saying so.
"""

from __future__ import annotations

import html
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nn.files.atomic import atomic_path
from tinygrad_nb import Tensor
from viz.explorer_data import page_data
from viz.explorer_history import history_data
from viz.explorer_page import build_page
from viz.graph import draw_graph
from viz.rendering import INSTALL_HINT, RendererNotFoundWarning, renderer_available, svg_text

History = Mapping[str, Any] | Sequence[float]
DOT_NODE = re.compile(r'^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s*\[', re.M)  # `t5 [label=...]`; edges have `->`
FRAME_HEIGHT = 760  # pixels of the Jupyter output frame


def drawn_ids(dot_source: str) -> set[str]:
    """The ids of the nodes a DOT source declares (what a collapse past ``max_nodes`` left drawn)."""
    return {m.group(1) for m in DOT_NODE.finditer(dot_source)} - {"graph", "node", "edge"}


class Explorer:
    """An interactive page of a graph: ``html`` is the whole page; Jupyter shows it inline (``_repr_html_``).

    Make one with ``viz.explore(J)``; ``save(path)`` writes the page to a file. ``data`` is what the
    page shows, as a dict (tensors with their statistics, the steps; see ``viz.explorer_data``).
    """

    def __init__(self, page: str, data: dict[str, Any], summary: str):
        self.html = page
        self.data = data
        self.summary = summary

    @property
    def size(self) -> int:
        """The page's size in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (an .html file, written atomically); returns the path."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"save: the explorer page is HTML; give a path ending in .html, got {str(path)!r}")
        with atomic_path(path) as tmp:
            tmp.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """The page in a sandboxed frame, so that its script and style stay apart from the notebook's."""
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'style="width: 100%; height: {FRAME_HEIGHT}px; border: 1px solid #e5e7eb" '
                f'title="{html.escape(self.summary, quote=True)}"></iframe>')

    def __repr__(self) -> str:
        return f"<Explorer {self.summary}, {self.size / 1000:.0f} KB page>"


def explore(J: Tensor, *, history: History | None = None, show: str = "both", max_nodes: int | None = 500,
            title: str | None = None) -> Explorer:
    """An interactive page of the graph that produced ``J`` (the cost, or any Tensor).

    Args:
        J: the output to explore, usually the cost J (one element); for another shape the page has
            no gradients and no backward steps.
        history: the training history for the training view: a dict ``{"costs": [...],
            "iterations": [...], "grad_norms": {"dW1": [...], ...}, "learning_rate": a}`` (see
            ``viz.explorer_history``; ``costs.json`` of ``tinygrad-nb train`` is one) or the list of
            costs ``nn.fit`` returns.
        show: "both" (default), "forward" or "backward", as for ``draw_graph``.
        max_nodes: past this many nodes the middle of the graph is collapsed, as in ``draw_graph``;
            the page then holds panels and steps for the drawn nodes only.
        title: the page's title (default: J's name and its number of tensors).

    Returns an ``Explorer``. J's graph is left as it was: no ``.grad`` changes and nothing is freed
    (see the module docstring). Raises ``GraphFreedError`` when backward() has already freed it.
    Without Graphviz (neither ``dot`` nor pygraphviz) the page has no drawing, only search, panels and
    steps, and a ``RendererNotFoundWarning`` says how to install one.
    """
    if not isinstance(J, Tensor):
        raise TypeError(f"explore expects a Tensor (the cost J), got {type(J).__name__}")
    graph = draw_graph(J, show=show, max_nodes=max_nodes)
    data = page_data(J, drawn_ids(graph.source))
    data["history"] = history_data(history)
    if renderer_available():
        svg = svg_text(graph)
    else:
        warnings.warn(INSTALL_HINT.replace("only the .dot file was written", "the page has no drawing"),
                      RendererNotFoundWarning, stacklevel=2)
        svg = ""
    name = title or f"tinygrad-nb explorer: {data['title']}"
    summary = (f"{data['title']}, {data['forward_total']} forward and {data['backward_total']} backward steps"
               + (", with training history" if data["history"] else ""))
    return Explorer(build_page(svg, data, name), data, summary)


def save_html(J: Tensor, path: str | os.PathLike, *, history: History | None = None, show: str = "both",
              max_nodes: int | None = 500, title: str | None = None) -> Path:
    """Write ``explore(J, ...)`` to ``path`` (.html): one self-contained file that opens offline in any browser.

    Every script, style and picture is inline and the page's Content-Security-Policy forbids any
    request. Returns the path. See ``explore`` for the arguments and what is done to J's graph.
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"save_html: give a path ending in .html, got {str(path)!r}")
    return explore(J, history=history, show=show, max_nodes=max_nodes, title=title).save(path)
