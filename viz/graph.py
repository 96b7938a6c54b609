"""``draw_graph``: a Tensor's DAG as a graphviz drawing in the course's notation.

Tensors are one-line record nodes ``name | shape`` (X, W1, b1, Z1, A1, ..., J); ops are ellipses.
Parameters, inputs, intermediates and the output have their own colour and shape, and
each Linear + activation block is the cluster "layer l". The backward view draws dZ1,
dW1, db1, dA0 with their shapes (and norms once backward has run, in the course's convention:
dZ = m * dJ/dZ, see ``tinygrad_nb.explain_mode``). Colours, sizes and the legend are in
``viz.graph_style``. Node ids come from the walk order, never from ``id()``, so the same model
draws the same DOT every time.

The graph is read only through the Tensor's public view of its node (``op``, ``inputs``,
``creation_order``, ``is_leaf``, ``requires_grad``, ``name``, ``shape``, ``grad``), and, for an
unnamed gradient made with ``create_graph=True``, the engine's record of what it is the gradient of
(``tinygrad_nb.engine.gradient_of``): see ``display_name``.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nb import GraphFreedError, Tensor, grad
from tinygrad_nb.engine import gradient_of
from tinygrad_nb.explain_mode import course_gradient
from viz.graph_style import CACHE_EDGE, CLUSTER_FONT, EDGE_ATTR, GRADIENT_EDGE, GRAPH_ATTR, NODE_ATTR, STYLE, legend
from viz.rendering import import_graphviz, svg_text

if TYPE_CHECKING:
    import graphviz

LAYER_NAME = re.compile(r"^[WbZAD](\d+)$")
OP_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@", "neg": "-"}


def escape_record(text: str) -> str:
    """Escape the characters that break a DOT record label: { } | < > \\ and quotes."""
    return re.sub(r'([{}|<>\\"])', r"\\\1", text)


@dataclass
class _Node:
    """A tensor of the walked graph with its stable id and what is known of it."""

    tensor: Tensor
    key: str
    layer: int | None = None
    inputs: list[_Node] = field(default_factory=list)  # parents (empty for leaves)


def walk(output: Tensor) -> list[_Node]:
    """Every tensor the output depends on, inputs first, iteratively; ids t0, t1, ... in that order."""
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph expects a Tensor, got {type(output).__name__}")
    order: list[Tensor] = []
    inputs_of: dict[int, tuple[Tensor, ...]] = {}
    stack: list[tuple[Tensor, bool]] = [(output, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in inputs_of:
            continue
        inputs_of[id(t)] = _inputs(t)
        stack.append((t, True))
        stack.extend((p, False) for p in reversed(inputs_of[id(t)]) if id(p) not in inputs_of)
    nodes: dict[int, _Node] = {}
    for i, t in enumerate(order):
        node = _Node(t, f"t{i}")
        node.inputs = [nodes[id(p)] for p in inputs_of[id(t)]]
        node.layer = _layer_of(node)
        nodes[id(t)] = node
    return list(nodes.values())


def _inputs(t: Tensor) -> tuple[Tensor, ...]:
    """``t.inputs``, with draw_graph's own advice when backward() has freed the graph."""
    try:
        return t.inputs
    except GraphFreedError as e:
        raise GraphFreedError("draw_graph: this graph was freed by backward(); draw it before backward, "
                              "or call backward(retain_graph=True)") from e


def _layer_of(node: _Node) -> int | None:
    """Layer l from a course name (W1, Z1, A1), or from a parameter W{l}/b{l} among the op's inputs."""
    match = LAYER_NAME.match(node.tensor.name or "")
    if match:
        return int(match.group(1))
    layers = [p.layer for p in node.inputs if p.tensor.is_leaf and p.tensor.requires_grad and p.layer]
    return max(layers) if layers else None


def kind_of(node: _Node, output: Tensor) -> str:
    """parameter, input, intermediate or output: what the node's colour and shape say."""
    t = node.tensor
    if t is output:
        return "output"
    if t.is_leaf:
        return "parameter" if t.requires_grad else "input"
    return "intermediate"


def display_name(t: Tensor) -> str:
    """The name a drawing gives ``t``: its own name, which always wins; else, for a gradient made with
    ``create_graph=True``, what it is the gradient of; else "" (the node shows its shape alone).

    The rule joins the course's and DeZero's: the course calls dJ/dW1 ``dW1``, so the gradient of x is
    ``dx``; the gradient of that gradient (DeZero's ``ggx``) is ``d2x``, the n-th order one ``dnx``
    (``d7x`` for the 7th derivative of tanh). An unnamed source is named the same way (``d(d2x)``), or by
    the op that made it (``d(tanh)``), or ``d(leaf)``; one gradient handed to several tensors (x + y hands
    the same one to x and y) is named for each: ``dx = dy``.
    """
    return t.name or _gradient_name(t, depth=0)


def _gradient_name(t: Tensor, depth: int) -> str:
    record = gradient_of(t)
    if record is None or depth > 8:
        return ""
    prefix = "d" if record.order == 1 else f"d{record.order}"
    names = []
    for source in record.sources:
        name = source.name
        if name and name.isidentifier():
            names.append(prefix + name)
        else:
            names.append(f"{prefix}({name or _gradient_name(source, depth + 1) or source.op or 'leaf'})")
    return " = ".join(names)


def _shape(t: Tensor) -> str:
    return str(tuple(t.shape))


@functools.cache
def drawing_class() -> type[graphviz.Digraph]:
    """``GraphDrawing``: a ``graphviz.Digraph`` that shows itself inline in Jupyter as SVG with whichever
    renderer exists (``dot`` or pygraphviz). Made on first use, so that ``import viz`` loads no graphviz."""
    gv = import_graphviz("draw_graph")

    class GraphDrawing(gv.Digraph):  # type: ignore[name-defined]
        """A ``graphviz.Digraph`` that shows itself inline in Jupyter as SVG with whichever renderer exists."""

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, str]:
            return {"image/svg+xml": svg_text(self)}

    GraphDrawing.__qualname__ = "GraphDrawing"  # viz.graph.GraphDrawing, as pickle looks it up
    return GraphDrawing


def __getattr__(name: str) -> Any:
    if name == "GraphDrawing":
        return drawing_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def draw_graph(output: Tensor, *, show: str = "forward", group_layers: bool = True, max_nodes: int | None = 500,
               show_values: bool = False, caches: bool = True) -> graphviz.Digraph:
    """Draw the computation graph that produced ``output``.

    Args:
        output: the tensor to draw from (the cost J, or A[L]).
        show: "forward" (tensors and ops, top to bottom), "backward" (the gradients dZ1, dW1, ...
            with their shapes, and norms once backward has run; each backward step numbered in the
            order the engine runs it, as explain mode prints it; bottom to top) or "both" (the two
            side by side, rank by rank: dZ1 level with Z1).
        group_layers: draw each Linear + activation block as the cluster "layer l".
        max_nodes: past this many nodes (tensors and ops; 500 by default) the middle of the graph, in
            creation order, is collapsed into one summary node that says how many nodes it hides, and the
            title says so too; ``max_nodes=None`` draws every node (the 7th derivative of tanh has 1,851:
            Graphviz takes seconds).
        show_values: add each tensor's value (small tensors) or mean to its label.
        caches: with show="both", draw the caches (A_prev, W, b, Z) each backward step reads as thin
            dotted grey lines from the forward pass; False leaves them out.

    Tensors are labelled by ``display_name``: their name, else for an unnamed gradient made with
    ``create_graph=True`` what it is the gradient of (``dx``, ``d2x``, ..., see ``display_name``).

    The gradients follow the course (see ``tinygrad_nb.explain_mode``): for Z[l], A[l] and X of shape
    (n, m), dZ and dA are m * dJ/dZ and m * dJ/dA (m the examples); dW, db and any other dT are dJ/dT.
    The legend beside the title says so. Returns a ``GraphDrawing`` (a ``graphviz.Digraph``): pass it
    to ``render``, or let Jupyter show it. Raises ``GraphFreedError`` (a RuntimeError) when backward()
    has freed the graph, and an ImportError naming the viz extra without graphviz.
    """
    if show not in ("forward", "backward", "both"):
        raise ValueError(f"show must be 'forward', 'backward' or 'both', got {show!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 4):
        raise ValueError(f"draw_graph: max_nodes must be an int >= 4, or None to draw every node; got {max_nodes!r}")
    import_graphviz("draw_graph")  # every call, not only the first (drawing_class is cached): cheap once loaded
    nodes = walk(output)
    kept, summary, hidden = _collapse(nodes, max_nodes)
    GraphDrawing = drawing_class()
    title = legend(nodes, output, show, name=display_name(output), hidden=hidden)
    g = GraphDrawing(name="tinygrad_nb", graph_attr=dict(GRAPH_ATTR, label=title),
                     node_attr=NODE_ATTR, edge_attr=EDGE_ATTR)
    if show in ("forward", "both"):
        _forward(g, nodes, kept, summary, output, group_layers, show_values)
    if show in ("backward", "both"):
        _backward(g, nodes, kept, summary, output, group_layers, caches=caches and show == "both")
    return g


def node_count(nodes: list[_Node]) -> int:
    """The nodes a drawing of ``nodes`` has: one per tensor, and one more per op result (its op's ellipse)."""
    return sum(1 if n.tensor.is_leaf else 2 for n in nodes)


def _collapse(nodes: list[_Node], max_nodes: int | None) -> tuple[set[str], str | None, int]:
    """The keys to draw, a summary label for the rest (the middle of the walk order) if any, and how many
    nodes (tensors and ops) the summary hides."""
    if max_nodes is None or node_count(nodes) <= max_nodes:
        return {n.key for n in nodes}, None, 0
    half = max_nodes // 4  # each kept tensor usually brings an op node with it
    kept_nodes = nodes[:half] + nodes[-half:]
    middle = nodes[half:-half]
    hidden = node_count(middle)
    ops = Counter(n.tensor.op for n in middle if n.tensor.op is not None)
    listing = ", ".join(f"{name} x{count:,}" for name, count in ops.most_common(4))
    return ({n.key for n in kept_nodes},
            f"\u2026 {hidden:,} nodes hidden: {len(middle):,} more tensors\\n({listing});\\n"
            f"draw_graph(..., max_nodes=None) shows all", hidden)


def _tensor_label(t: Tensor, prefix: str = "", show_values: bool = False, norm: float | None = None) -> str:
    """One line of fields: ``W1|(20, 12288)``; a gradient ``dW1|(20, 12288)|\\|\\|dW1\\|\\| = 0.3``.

    The norm is that of the course's gradient (``course_gradient``: m * dJ/dZ for Z[l], A[l], X).
    """
    own = display_name(t)
    name = prefix + own if own else ("grad" if prefix else "")
    parts = [escape_record(p) for p in (name, _shape(t)) if p]
    if norm is not None:
        parts.append(escape_record(f"||{name}|| = {norm:.3g}"))
    if show_values:
        value = np.array2string(t.data, precision=3, threshold=6) if t.size <= 6 else f"mean {t.data.mean():.3g}"
        parts.append(escape_record(value))
    return "|".join(parts)


def _cluster_for(g: graphviz.Digraph, layer: int | None, group_layers: bool, suffix: str):
    if not group_layers or layer is None:
        return _NoCluster(g)
    return g.subgraph(name=f"cluster_layer{layer}_{suffix}")


class _NoCluster:
    def __init__(self, g: graphviz.Digraph):
        self.g = g

    def __enter__(self) -> graphviz.Digraph:
        return self.g

    def __exit__(self, *exc: object) -> None:
        return None


def _by_layer(nodes: list[_Node], kept: set[str]) -> dict[int | None, list[_Node]]:
    groups: dict[int | None, list[_Node]] = {}
    for n in nodes:
        if n.key in kept:
            groups.setdefault(n.layer, []).append(n)
    return groups


def _minlen(p: _Node, n: _Node, group_layers: bool) -> dict[str, str]:
    """The edge's attributes: minlen 2 for an edge into layer l from another layer (A[l-1] into layer l's
    linear), else none (Graphviz's minlen 1).

    The extra rank keeps A[l-1] above layer l's parameters, so that the layer clusters do not share a
    rank: they stack in one straight column instead of a staircase that doubles the drawing's size.
    """
    return {"minlen": "2"} if group_layers and n.layer is not None and p.layer != n.layer and not p.tensor.is_leaf \
        else {}


def _forward(g, nodes, kept, summary, output, group_layers, show_values) -> None:
    with g.subgraph(name="cluster_forward") as fwd:
        fwd.attr(label="forward pass", style="dashed", color="#9ca3af", fontsize=CLUSTER_FONT)
        for layer, members in _by_layer(nodes, kept).items():
            with _cluster_for(fwd, layer, group_layers, "f") as c:
                if group_layers and layer is not None:
                    c.attr(label=f"layer {layer}", style="rounded,filled", fillcolor="#f8fafc", color="#64748b",
                           fontsize=CLUSTER_FONT)
                for n in members:
                    kind = kind_of(n, output)
                    fill, shape = STYLE[kind]
                    c.node(n.key, _tensor_label(n.tensor, show_values=show_values), shape=shape, fillcolor=fill,
                           penwidth="2.5" if kind == "output" else "0.8")
                    op = n.tensor.op
                    if op is not None:
                        c.node(f"op_{n.key}", OP_SYMBOL.get(op, op), shape="ellipse", fillcolor=STYLE["op"][0])
        if summary:
            fwd.node("summary_f", summary, shape="note", fillcolor=STYLE["summary"][0])
    edges: dict[tuple[str, str], dict[str, str]] = {}
    for n in nodes:
        if n.key not in kept or n.tensor.is_leaf:
            continue
        g.edge(f"op_{n.key}", n.key)
        for p in n.inputs:
            edges[(p.key if p.key in kept else "summary_f", f"op_{n.key}")] = _minlen(p, n, group_layers)
    edges.update({(p, "summary_f"): {} for p in _feeding_summary(nodes, kept)})
    for (tail, head), attrs in sorted(edges.items()):
        g.edge(tail, head, **attrs)


def _feeding_summary(nodes: list[_Node], kept: set[str]) -> set[str]:
    """Keys of kept tensors that a collapsed (not kept) op reads."""
    return {p.key for c in nodes if c.key not in kept for p in c.inputs if p.key in kept}


def _gradient_norms(output: Tensor, nodes: list[_Node]) -> dict[str, float]:
    """||dT|| for every tensor in the course's convention (m * dJ/dZ for Z[l], A[l], X; dJ/dT for the rest),
    when backward has run on this (retained) graph and J is a scalar."""
    trainable = [n for n in nodes if n.tensor.requires_grad]
    if output.size != 1 or not any(n.tensor.is_leaf and n.tensor.grad is not None for n in trainable):
        return {}
    grads = grad(output, [n.tensor for n in trainable], retain_graph=True, allow_unused=True)
    return {n.key: float(np.linalg.norm(course_gradient(n.tensor, gr))) for n, gr in zip(trainable, grads)
            if gr is not None}


def _backward(g, nodes, kept, summary, output, group_layers, caches) -> None:
    norms = _gradient_norms(output, nodes)
    # The engine runs backward steps latest-created first: number them in that order (as explain mode prints).
    steps = sorted((n for n in nodes if not n.tensor.is_leaf and n.tensor.requires_grad),
                   key=lambda n: -n.tensor.creation_order)
    step_of = {n.key: k for k, n in enumerate(steps, start=1)}
    with g.subgraph(name="cluster_backward") as bwd:
        bwd.attr(label="backward pass", style="dashed", color="#9ca3af", fontsize=CLUSTER_FONT)
        for layer, members in _by_layer(nodes, kept).items():
            with _cluster_for(bwd, layer, group_layers, "b") as c:
                if group_layers and layer is not None:
                    c.attr(label=f"layer {layer} (backward)", style="rounded,filled", fillcolor="#f0fdf4",
                           color=GRADIENT_EDGE, fontsize=CLUSTER_FONT)
                for n in members:
                    if not n.tensor.requires_grad:
                        continue
                    label = _tensor_label(n.tensor, prefix="d", norm=norms.get(n.key))
                    c.node(f"d_{n.key}", label, shape="record", fillcolor=STYLE["gradient"][0])
                    op = n.tensor.op
                    if op is not None:
                        c.node(f"dop_{n.key}", f"{step_of[n.key]}. {op}'", shape="ellipse",
                               fillcolor=STYLE["op"][0])
        if summary:
            bwd.node("summary_b", summary, shape="note", fillcolor=STYLE["summary"][0])
    # Edges are declared in forward direction with dir=back, so the backward pass is laid out beside the
    # forward pass, mirrored (dJ at the bottom, dW1 at the top): the arrows run back up.
    edges: dict[tuple[str, str], dict[str, str]] = {}
    for n in nodes:
        if n.key not in kept or n.tensor.is_leaf or not n.tensor.requires_grad:
            continue
        g.edge(f"dop_{n.key}", f"d_{n.key}", dir="back", color=GRADIENT_EDGE)
        for p in n.inputs:
            if p.tensor.requires_grad:
                edges[(f"d_{p.key}" if p.key in kept else "summary_b", f"dop_{n.key}")] = _minlen(p, n, group_layers)
            if caches and p.key in kept and p.tensor.name:  # the cache (A_prev, W, b, Z) this step reads
                g.edge(p.key, f"dop_{n.key}", **CACHE_EDGE)
    edges.update({(f"d_{p}", "summary_b"): {} for p in _feeding_summary(nodes, kept)
                  if next(n for n in nodes if n.key == p).tensor.requires_grad})
    for (tail, head), attrs in sorted(edges.items()):
        g.edge(tail, head, dir="back", color=GRADIENT_EDGE, **attrs)
