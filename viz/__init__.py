"""viz: see the computation graph (graphviz) and the training (matplotlib) in the course's notation.

Needs the ``viz`` extra (graphviz, matplotlib); rendering DOT to SVG/PNG/PDF needs the ``dot``
program or the ``render`` extra (pygraphviz, which bundles Graphviz). Both libraries are imported
on first use, so ``import viz`` stays cheap.

Modules, lowest first: ``rendering`` (DOT text to files), ``graph_style`` (colours, layout, legend),
``graph`` (a Tensor's DAG to a drawing), ``plots`` and ``confusion`` (matplotlib Figures, shown inline in
Jupyter, written to a file when given a path), ``explorer`` (the drawing as an interactive HTML page, with
``explorer_data``, ``explorer_history`` and ``explorer_page``); this package joins them.
A missing extra is named in the ImportError: "draw_graph needs graphviz: pip install 'tinygrad-nb[viz]'".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tinygrad_nb import Tensor, register_library
from viz import rendering
from viz.confusion import plot_confusion_matrix
from viz.explorer import Explorer, explore, save_html
from viz.graph import draw_graph, escape_record
from viz.plots import plot_costs, plot_decision_boundary, plot_gradient_check
from viz.rendering import RendererNotFoundWarning

if TYPE_CHECKING:
    import graphviz


def render(graph: Tensor | graphviz.Digraph, path: str | os.PathLike) -> Path:
    """Write a drawing from ``draw_graph`` (or a Tensor, drawn with its defaults) to ``path``.

    The .dot is always written beside it; a .svg, .png or .pdf suffix is rendered too (see
    ``viz.rendering.render``). Returns the path of the picture, or of the .dot when no renderer exists.
    A Tensor and an .html path write the interactive page instead (``save_html(J, path)``).
    """
    if Path(path).suffix.lower() in (".html", ".htm"):
        if not isinstance(graph, Tensor):
            raise TypeError("render: an .html page needs the Tensor itself (render(J, 'graph.html')), "
                            "not a drawing: the page computes its statistics and steps from the graph")
        return save_html(graph, path)
    return rendering.render(draw_graph(graph) if isinstance(graph, Tensor) else graph, path)


__all__ = ["draw_graph", "escape_record", "render", "RendererNotFoundWarning", "plot_costs",
           "plot_decision_boundary", "plot_gradient_check", "plot_confusion_matrix", "explore", "save_html", "Explorer"]

register_library("viz")  # the jit trusts this package's code to keep its contract
