"""The engine: reverse-mode differentiation over the recorded graph. It knows no specific op.

Every recorded result carries its creation number ``_seq``; an op's output is always
created after its inputs, so decreasing ``_seq`` is a reverse topological order.
``_backprop`` keeps the recorded results that have received a gradient in a heap keyed by
``_seq`` and repeatedly takes the latest one: by then every consumer has sent it its share. It
calls that node's ``Function.backward``, reduces each input gradient to the input's shape
(the one place where broadcasting is undone), adds it to what the input has received and,
unless ``retain_graph``, frees the node. Leaves (parameters) have no inputs, so they wait
in a plain list and get their ``.grad`` at the end. The walk is a loop, never a recursion
(a chain of 100,000 ops is fine), visits only tensors that require grad and reach the
output, and costs O(log width) per node, where width is the number of results waiting at once.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from tinygrad_nb.function import GraphFreedError, describe
from tinygrad_nb.grad_mode import _state, enable_grad, no_grad
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


def _root_grad(root: Tensor, grad: Any) -> np.ndarray:
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward: {describe(root)} is not a scalar; pass grad= with its shape, "
                               "or reduce it to a cost first (e.g. .sum() or .mean())")
        return np.array(1, dtype=root.data.dtype).reshape(root.data.shape)  # dJ/dJ = 1
    g = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.dtype)
    if g.shape != root.shape:
        raise ValueError(f"backward: grad has shape {g.shape} but {describe(root)} needs the same shape")
    return g


def _backprop(roots: Sequence[Tensor], root_grads: Sequence[Any], *, retain_graph: bool, create_graph: bool,
              targets: set[Tensor] | None = None) -> dict[Tensor, Any]:
    """Propagate ``root_grads`` backwards. Accumulate into leaves' ``.grad`` when ``targets`` is None,
    else return {target: gradient} and leave every ``.grad`` alone."""
    pending: dict[Tensor, Any] = {}  # the gradient each waiting tensor has received so far
    heap: list[tuple[int, Tensor]] = []  # recorded results waiting, latest-created first (_seq is unique)
    leaves: list[Tensor] = []  # leaves have no inputs: they are finished after every recorded result

    def send(t: Tensor, g: Any) -> None:
        prev = pending.get(t)
        if prev is not None:
            pending[t] = prev + g
            return
        pending[t] = g
        if t._ctx is None:
            leaves.append(t)
        else:
            heapq.heappush(heap, (-t._seq, t))

    found: dict[Tensor, Any] = {}
    handed_out = {id(g) for g in root_grads}

    def complete(t: Tensor, g: Any, keep: bool) -> Any:
        """t has all its gradient g: run its hooks, then keep it in ``.grad`` (or ``found``) if asked."""
        if t._hooks:
            g = _run_hooks(t, g, create_graph)
        if targets is not None:
            if t in targets:
                found[t] = g
        elif keep:
            _accumulate(t, g, create_graph, handed_out)
        return g

    for r, g in zip(roots, root_grads):
        send(r, g)
    observe = _state.anomaly or _state.explain  # the debugging modes, read once per pass
    while heap:
        node = heapq.heappop(heap)[1]
        fn = node._ctx
        g = pending.pop(node)
        if node._hooks or node._retains_grad or targets is not None:
            g = complete(node, g, keep=node._retains_grad)
        parents = fn.parents
        if parents is None:
            raise GraphFreedError(FREED_GRAPH_MESSAGE.format(name=node.name or f"a {fn.op_name} result"))
        if create_graph:
            grads = fn.backward(g, node, *parents)
        else:
            grads = fn.backward(g, node.data, *[p.data for p in parents])
        if observe:
            _observe(fn, node, grads, pending)
        for parent, needed, pg in zip(parents, fn.needs_input_grad, grads):
            if needed and pg is not None:
                if pg.shape != parent.data.shape:
                    pg = reduce_to_shape(pg, parent.data.shape)
                send(parent, pg)
        if not retain_graph:
            fn.parents = None  # frees the graph: the inputs, and the arrays the node saved
    for leaf in leaves:
        complete(leaf, pending.pop(leaf), keep=True)
    return found


def _observe(fn, node: Tensor, grads: tuple, pending: dict[Tensor, Any]) -> None:
    """The debugging hooks of one backward step: anomaly checks and the explain trace."""
    if _state.anomaly:
        from tinygrad_nb.anomaly import on_backward

        on_backward(fn, node, grads)
    if _state.explain:
        from tinygrad_nb.chain_rule import print_step

        print_step(fn, node, grads, pending, _state.explain)


def _accumulate(node: Tensor, g: Any, create_graph: bool, handed_out: set[int]) -> None:
    """Add ``g`` into ``node.grad``. Each ``.grad`` gets an array of its own: a read-only view, or an
    array already handed to another tensor (Add passes one array to both inputs), is copied."""
    if create_graph:
        node.grad = g if node.grad is None else node.grad + g
        return
    if g.dtype is not node.data.dtype and g.dtype != node.data.dtype:
        g = g.astype(node.data.dtype)
    if node.grad is None:
        private = g.base is None and id(g) not in handed_out  # not a view, not given to another tensor
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


def backward(root: Tensor, grad: Any = None, *, retain_graph: bool = False, create_graph: bool = False,
             explain: bool | TextIO = False) -> None:
    """``root.backward()``: accumulate dJ/dleaf into every leaf's ``.grad``.

    ``explain=True`` (or a file) prints each chain-rule step as it runs (see ``chain_rule``).
    """
    if explain:
        from tinygrad_nb.chain_rule import explain as explain_mode

        with explain_mode(None if explain is True else explain):
            backward(root, grad, retain_graph=retain_graph, create_graph=create_graph)
        return
    if not isinstance(root, Tensor):
        raise TypeError(f"backward expects a Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(f"backward: {describe(root)} does not require grad: no input it was computed "
                           "from has requires_grad=True (or it was computed under no_grad)")
    g = _root_grad(root, grad)
    if _state.explain:
        from tinygrad_nb.chain_rule import print_header

        print_header(root, _state.explain)
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
                          retain_graph=retain, create_graph=create_graph, targets=set(ins))
    result: list[Tensor | None] = []
    for t in ins:
        g = found.get(t)
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: the outputs do not depend on input {describe(t)}; "
                               "pass allow_unused=True to get None for it")
        result.append(g if g is None or create_graph else Tensor._wrap(np.asarray(g).astype(t.dtype, copy=False)))
    return tuple(result)
