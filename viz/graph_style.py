"""How ``draw_graph`` looks: colours and shapes per kind, the layout attributes, and the legend.

The layout is sized for a screen: top to bottom (the forward pass down, the backward pass back up
beside it), 12-pt text, small nodes, one-line record labels. The legend is an HTML label
beside the title at the top, not a column of its own: the kinds' colours in one row and the
gradient convention in words under it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from tinygrad_nb import Tensor
from tinygrad_nb.explain_mode import course_scale

STYLE = {  # kind: (fill colour, node shape); Mrecord has rounded corners; the output gets a thick border
    "parameter": ("#fde68a", "Mrecord"),
    "input": ("#bfdbfe", "record"),
    "intermediate": ("#e5e7eb", "record"),
    "output": ("#fca5a5", "record"),
    "gradient": ("#bbf7d0", "record"),
    "op": ("#ffffff", "ellipse"),
    "summary": ("#f5f5f5", "note"),
}
FONT = "Helvetica"
GRAPH_ATTR = {"rankdir": "TB", "fontname": FONT, "fontsize": "13", "compound": "true", "newrank": "true",
              "nodesep": "0.18", "ranksep": "0.2", "labelloc": "t", "labeljust": "l", "margin": "0.1"}
NODE_ATTR = {"fontname": FONT, "fontsize": "12", "style": "filled", "height": "0.3", "width": "0.3",
             "margin": "0.06,0.03", "penwidth": "0.8"}
EDGE_ATTR = {"arrowsize": "0.6", "penwidth": "0.9"}
CLUSTER_FONT = "12"
CACHE_EDGE = {"style": "dotted", "color": "#cbd5e1", "penwidth": "0.8", "arrowsize": "0.4", "constraint": "false"}
GRADIENT_EDGE = "#16a34a"
DIRECTION = {"forward": "forward pass, top to bottom", "backward": "backward pass, bottom to top",
             "both": "forward pass top to bottom, backward pass bottom to top"}


def examples(tensors: Sequence[Tensor]) -> int | None:
    """m, the number of examples: the last axis of the course's activations (X, Z[l], A[l]) when they agree."""
    found = {course_scale(t) for t in tensors} - {1}
    return found.pop() if len(found) == 1 else None


def convention(m: int | None) -> str:
    """The gradient convention in words, as the legend and the explorer state it."""
    where = f"m = {m} examples" if m is not None else "m = the number of examples, their last axis"
    return (f"gradients as in the course: dZ = m\u00b7\u2202J/\u2202Z, dA = m\u00b7\u2202J/\u2202A for Z[l], A[l], X "
            f"({where}); dW = \u2202J/\u2202W, db = \u2202J/\u2202b; ||.|| is the norm")


def legend(nodes: Sequence[Any], output: Tensor, show: str, name: str | None = None, hidden: int = 0) -> str:
    """The graph's label: the title, the kinds' colours beside it, the gradient convention under it (HTML).

    ``name`` is the output's name in the drawing (default ``output.name``); ``hidden`` the number of nodes
    collapsed into the summary node, which the title then states with how to see them.
    """
    title = f"{name or output.name or 'output'}: {len(nodes):,} tensors, {DIRECTION[show]}"
    if hidden:
        title += f"; {hidden:,} nodes hidden in the middle (max_nodes=None shows all)"
    kinds = ["parameter", "input", "intermediate", "output", "op"] + ([] if show == "forward" else ["gradient"])
    cells = "".join(f'<td bgcolor="{STYLE[k][0]}"{_cell_style(k)}>{k}</td>' for k in kinds)
    rows = f'<tr><td border="0" align="left"><b>{html.escape(title)}</b></td>{cells}</tr>'
    if show != "forward":
        text = html.escape(convention(examples([n.tensor for n in nodes])))
        rows += f'<tr><td border="0" align="left" colspan="{len(kinds) + 1}">{text}</td></tr>'
    return (f'<<table id="legend" border="0" cellborder="1" cellspacing="3" cellpadding="2">{rows}</table>>')


def _cell_style(kind: str) -> str:
    return ' border="2"' if kind == "output" else ""
