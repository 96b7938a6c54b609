"""The engine: reverse-mode differentiation over the recorded graph. It knows no specific op.

1. ``topological_order`` sorts the nodes that lead to the outputs, iteratively (no
   recursion, so a chain of 100,000 ops is fine), following only edges that require grad.
2. ``_backprop`` visits them in reverse, calls each node's ``Function.backward`` and
   accumulates the gradients of its inputs, reduced to each input's shape.
3. Unless ``retain_graph``, each node drops its inputs and saved arrays once used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_nb.function import describe
from tinygrad_nb.grad_mode import enable_grad, no_grad
from tinygrad_nb.tensor import Tensor

FREED_GRAPH_MESSAGE = (
    "backward: the graph through {name} was already freed by an earlier backward. "
    "Pass retain_graph=True to the first backward() to go through it again."
)


def reduce_to_shape(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back to ``shape``: the one place where broadcasting is undone."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor that requires grad and leads to ``roots``, inputs before the ops that use them."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(r, False) for r in roots]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None:
            if ctx.parents is None:
                raise RuntimeError(FREED_GRAPH_MESSAGE.format(name=node.name or f"a {ctx.op_name} result"))
            stack.extend((p, False) for p in ctx.parents if p.requires_grad and id(p) not in visited)
    return order


def _root_grad(root: Tensor, grad: Any) -> np.ndarray:
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward: {describe(root)} is not a scalar; pass grad= with its shape, "
                               "or reduce it to a cost first (e.g. .sum() or .mean())")
        return np.ones_like(root.data)
    g = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.dtype)
    if g.shape != root.shape:
        raise ValueError(f"backward: grad has shape {g.shape} but {describe(root)} needs the same shape")
    return g


def _backprop(roots: Sequence[Tensor], root_grads: Sequence[Any], *, retain_graph: bool, create_graph: bool,
              targets: dict[int, Tensor] | None = None) -> dict[int, Any]:
    """Propagate ``root_grads`` backwards. Accumulate into leaves' ``.grad`` when ``targets`` is None,
    else return {id(target): gradient} and leave every ``.grad`` alone."""
    order = topological_order(roots)
    if targets is not None:
        order = _prune_to_targets(order, targets)
    pending: dict[int, Any] = {}
    for r, g in zip(roots, root_grads):
        pending[id(r)] = pending[id(r)] + g if id(r) in pending else g
    found: dict[int, Any] = {}
    handed_out = {id(g) for g in root_grads}
    for node in reversed(order):
        g = pending.pop(id(node), None)
        fn = node._ctx
        if g is not None:
            if node._hooks:
                g = _run_hooks(node, g, create_graph)
            if targets is not None:
                if id(node) in targets:
                    found[id(node)] = g
            elif fn is None or node._retains_grad:
                _accumulate(node, g, create_graph, handed_out)
            if fn is not None:
                _propagate(fn, node, g, pending, create_graph)
        if fn is not None and not retain_graph:
            fn.parents = None
    return found


def _propagate(fn, node: Tensor, g: Any, pending: dict[int, Any], create_graph: bool) -> None:
    if create_graph:
        grads = fn.backward(g, node, *fn.parents)
    else:
        grads = fn.backward(g, node.data, *[p.data for p in fn.parents])
    for parent, needed, pg in zip(fn.parents, fn.needs_input_grad, grads):
        if not needed or pg is None:
            continue
        pg = reduce_to_shape(pg, parent.shape)
        key = id(parent)
        pending[key] = pg if key not in pending else pending[key] + pg


def _accumulate(node: Tensor, g: Any, create_graph: bool, handed_out: set[int]) -> None:
    """Add ``g`` into ``node.grad``. Each ``.grad`` gets an array of its own: a read-only view, or an
    array already handed to another tensor (Add passes one array to both inputs), is copied."""
    if create_graph:
        node.grad = g if node.grad is None else node.grad + g
        return
    if g.dtype != node.dtype:
        g = g.astype(node.dtype)
    if node.grad is None:
        private = g.flags.writeable and g.flags.owndata and id(g) not in handed_out
        node.grad = Tensor._wrap(g if private else g.copy())
        handed_out.add(id(node.grad.data))
    else:
        node.grad.data = node.grad.data + g


def _run_hooks(node: Tensor, g: Any, create_graph: bool) -> Any:
    for hook in list(node._hooks):
        result = hook(g if create_graph else Tensor._wrap(g))
        if result is not None:
            new = result if create_graph else np.asarray(result.data if isinstance(result, Tensor) else result)
            if new.shape != node.shape:
                raise ValueError(f"register_hook: the hook returned shape {new.shape}, expected {node.shape}")
            g = new
    return g


def _prune_to_targets(order: list[Tensor], targets: dict[int, Tensor]) -> list[Tensor]:
    """Keep only nodes on a path to some target (inputs come first in ``order``)."""
    leads: set[int] = set()
    kept = []
    for node in order:
        ctx = node._ctx
        if id(node) in targets or (ctx is not None and any(id(p) in leads for p in ctx.parents)):
            leads.add(id(node))
            kept.append(node)
    return kept


def backward(root: Tensor, grad: Any = None, *, retain_graph: bool = False, create_graph: bool = False) -> None:
    """``root.backward()``: accumulate dJ/dleaf into every leaf's ``.grad``."""
    if not isinstance(root, Tensor):
        raise TypeError(f"backward expects a Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(f"backward: {describe(root)} does not require grad: no input it was computed "
                           "from has requires_grad=True (or it was computed under no_grad)")
    g = _root_grad(root, grad)
    with enable_grad() if create_graph else no_grad():
        _backprop([root], [Tensor._wrap(g) if create_graph else g],
                  retain_graph=retain_graph or create_graph, create_graph=create_graph)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor], grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) as a tuple of Tensors, one per input, without touching any ``.grad``.

    ``grad_outputs`` gives dJ/doutput for non-scalar outputs. With ``create_graph=True``
    the results are differentiable, so ``grad`` of ``grad`` gives second derivatives.
    ``retain_graph`` defaults to ``create_graph``. An input that no output depends on
    raises, unless ``allow_unused=True`` (then its entry is None).
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in outs + ins:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad expects Tensors as outputs and inputs, got {type(t).__name__}")
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {describe(t)} does not require grad")
    if grad_outputs is None:
        gos = [None] * len(outs)
    else:
        gos = [grad_outputs] if isinstance(grad_outputs, (Tensor, np.ndarray)) else list(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gos)} grad_outputs")
    roots = [o for o in outs if o.requires_grad]
    root_grads = [_root_grad(o, go) for o, go in zip(outs, gos) if o.requires_grad]
    retain = create_graph if retain_graph is None else retain_graph
    with enable_grad() if create_graph else no_grad():
        found = _backprop(roots, [Tensor._wrap(g) for g in root_grads] if create_graph else root_grads,
                          retain_graph=retain, create_graph=create_graph, targets={id(t): t for t in ins})
    result: list[Tensor | None] = []
    for t in ins:
        g = found.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: the outputs do not depend on input {describe(t)}; "
                               "pass allow_unused=True to get None for it")
        result.append(g if g is None or create_graph else Tensor._wrap(np.asarray(g).astype(t.dtype, copy=False)))
    return tuple(result)
