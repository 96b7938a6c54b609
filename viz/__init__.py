"""viz: see the computation graph (graphviz) and the training (matplotlib) in the course's notation.

Needs the ``viz`` extra (graphviz, matplotlib); rendering DOT to SVG/PNG/PDF needs the ``dot``
program or the ``render`` extra (pygraphviz, which bundles Graphviz).
"""

from viz.graph import draw_graph, escape_record
from viz.plots import plot_costs, plot_decision_boundary, plot_gradient_check
from viz.rendering import RendererNotFoundWarning, render

__all__ = ["draw_graph", "escape_record", "render", "RendererNotFoundWarning", "plot_costs",
           "plot_decision_boundary", "plot_gradient_check"]
