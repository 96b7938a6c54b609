"""The engine: reverse-mode differentiation over the recorded graph. It knows no specific op.

It knows the node contract only: a recorded result has ``_ctx`` (its ``Function``, with
``parents``, ``needs_input_grad`` and ``backward``) and ``_seq``, its creation number. An
op's output is always created after its inputs, so decreasing ``_seq`` is a reverse
topological order. ``backprop`` keeps the recorded results that have received a gradient in
a heap keyed by ``_seq`` and repeatedly takes the latest one: by then every consumer has sent
it its share. It calls that node's ``Function.backward``, reduces each input gradient to the
input's shape (the one place where broadcasting is undone), adds it to what the input has
received and, unless ``retain_graph``, frees the node. Leaves (parameters) have no inputs, so
they wait in a plain list and are finished at the end. The walk is a loop, never a recursion
(a chain of 100,000 ops is fine), visits only tensors that require grad and reach the
output, and costs O(log width) per node, where width is the number of results waiting at once.

Each finished gradient goes to a *sink*: ``AccumulateGrad`` adds it into ``.grad``
(``backward()``), ``CollectGrads`` keeps the ones asked for (``grad()``).

Under ``create_graph`` each gradient the sink keeps is a Tensor of its own graph; the pass records
what it is the gradient of (``gradient_of``: the tensor and the order, 1 for dJ/dx, 2 for the
gradient of a gradient, ...), so that a drawing can name it ``dx``, ``d2x``. Without
``create_graph`` nothing is recorded.
"""

from __future__ import annotations

import functools
import heapq
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nb.function import Array, Function, GraphFreedError, InPlace, describe
from tinygrad_nb.grad_mode import _state

if TYPE_CHECKING:
    from tinygrad_nb._tensor import Tensor

FREED_GRAPH_MESSAGE = (
    "backward: the graph through {name} was already freed by an earlier backward. "
    "Pass retain_graph=True to the first backward() to go through it again."
)


@dataclass(frozen=True)
class GradientOf:
    """What a gradient Tensor made under ``create_graph`` is the gradient of.

    ``sources``: the tensors t whose dJ/dt it is (usually one; several when one Tensor object was handed
    to several, as x + y hands the same gradient to x and y); ``order``: 1 for a first derivative, n for
    the gradient of an (n-1)-th order gradient.
    """

    _refs: tuple[weakref.ref, ...]
    order: int

    @property
    def sources(self) -> tuple[Tensor, ...]:
        """The tensors this is the gradient of, those still alive."""
        return tuple(t for t in (r() for r in self._refs) if t is not None)


# id(gradient Tensor) -> (a weak reference to it, GradientOf). Keyed by id, not by the Tensor, because
# Tensor's == is elementwise (a WeakKeyDictionary would call it); weak both ways, because a gradient is
# often its source's .grad and a strong reference from here would keep both alive for ever.
_GRADIENT_OF: dict[int, tuple[weakref.ref, GradientOf]] = {}


def gradient_of(t: Tensor) -> GradientOf | None:
    """What ``t`` is the gradient of, when a ``create_graph`` pass made it (``x.grad``, ``grad(...)[0]``); else None."""
    entry = _GRADIENT_OF.get(id(t))
    return entry[1] if entry is not None and entry[0]() is t else None


def _forget(ref: weakref.ref, *, key: int) -> None:
    entry = _GRADIENT_OF.get(key)
    if entry is not None and entry[0] is ref:
        del _GRADIENT_OF[key]


class GradientShapeError(RuntimeError):
    """An op's backward returned a gradient that cannot belong to its input: a bug in that op."""


def reduce_to_shape(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back to ``shape``: the one place where broadcasting is undone.

    Only broadcasting is undone: a gradient whose shape ``shape`` does not broadcast to is
    refused (``GradientShapeError``), never reshaped to fit.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != gn for n, gn in zip(shape, g.shape[lead:])):
        raise GradientShapeError(f"gradient of shape {g.shape} cannot be reduced to the input's shape {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def is_own_array(g: Any, handed_out: set[int]) -> bool:
    """Whether ``g`` may be handed to the user as it is: an ndarray, not a view, writable, not handed out yet."""
    return type(g) is np.ndarray and g.base is None and g.flags.writeable and id(g) not in handed_out


def own_array(g: Any, handed_out: set[int]) -> np.ndarray:
    """``g`` as an ndarray the user may write: views, read-only arrays and arrays already handed out are copied."""
    if not is_own_array(g, handed_out):
        g = np.asarray(g) if type(g) is not np.ndarray else g.copy()
    handed_out.add(id(g))
    return g


class AccumulateGrad:
    """The sink of ``backward()``: leaves, and results that ``retain_grad()``, add dJ/dt into ``t.grad``."""

    def __init__(self, create_graph: bool, handed_out: set[int]):
        self.create_graph = create_graph
        self.handed_out = handed_out
        self.taken: list[Tensor] = []  # under create_graph: the tensors whose .grad this pass set

    def take(self, t: Tensor, g: Any) -> None:
        """Add ``g`` into ``t.grad`` (a Tensor of its own array, or the sum so far)."""
        if self.create_graph:
            t.grad = g if t.grad is None else t.grad + g
            self.taken.append(t)
            return
        if g.dtype != t.data.dtype:
            g = g.astype(t.data.dtype)
        if t.grad is None:
            t.grad = type(t)._wrap(own_array(g, self.handed_out))
        else:
            t.grad.data = np.asarray(t.grad.data + g)


class CollectGrads:
    """The sink of ``grad()``: keeps dJ/dt for the chosen tensors and touches no ``.grad``."""

    def __init__(self, targets: Sequence[Tensor]):
        self.targets = set(targets)
        self.found: dict[Tensor, Any] = {}

    def take(self, t: Tensor, g: Any) -> None:
        """Keep ``g`` as dJ/dt."""
        self.found[t] = g

    @property
    def taken(self) -> list[Tensor]:
        """The tensors whose gradient this sink kept."""
        return list(self.found)


Sink = AccumulateGrad | CollectGrads


def _gradient_tensors(sink: Sink) -> list[tuple[Tensor, Any]]:
    """(t, its gradient) for each gradient the sink kept in this pass."""
    if isinstance(sink, CollectGrads):
        return list(sink.found.items())
    return [(t, t.grad) for t in sink.taken]


def _record_gradients_of(sink: Sink, order: int) -> None:
    """Mark each gradient Tensor the sink kept with what it is the gradient of (``gradient_of``)."""
    sources: dict[int, tuple[Any, list[Tensor]]] = {}
    for t, g in _gradient_tensors(sink):
        if g is not None and hasattr(g, "__weakref__"):
            sources.setdefault(id(g), (g, []))[1].append(t)
    for g, ts in sources.values():
        key = id(g)
        ref = weakref.ref(g, functools.partial(_forget, key=key))
        _GRADIENT_OF[key] = (ref, GradientOf(tuple(weakref.ref(t) for t in dict.fromkeys(ts)), order))


def backprop(roots: Sequence[Tensor], root_grads: Sequence[Any], sink: Sink, *, retain_graph: bool,
             create_graph: bool, handed_out: set[int]) -> None:
    """Propagate ``root_grads`` (dJ/droot, arrays or Tensors under ``create_graph``) backwards into ``sink``.

    ``handed_out`` holds the ids of arrays the user already owns; hooks get arrays of their own.
    """
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

    for r, g in zip(roots, root_grads):
        send(r, g)
    observe = _state.watch is not None or _state.explain is not None  # read once per pass
    targets = sink.targets if isinstance(sink, CollectGrads) else None  # None: every leaf and retain_grad result
    order = 0  # under create_graph: the highest order of a gradient this pass differentiates through
    while heap:
        node = heapq.heappop(heap)[1]
        if create_graph and _GRADIENT_OF:
            order = _higher_order(node, order)
        fn = node._ctx
        assert fn is not None  # only recorded results enter the heap
        g = pending.pop(node)
        keep = node._retains_grad if targets is None else node in targets
        if keep or node._hooks:
            g = _finish(node, g, keep, sink, create_graph, handed_out)
        parents = fn.parents
        if parents is None:
            raise GraphFreedError(FREED_GRAPH_MESSAGE.format(name=node.name or f"a {fn.op_name} result"))
        if InPlace.seen:
            check_versions(fn, parents)
        if create_graph:
            grads = fn.backward(g, node, *parents)
        else:
            grads = fn.backward(g, node.data, *[p.data for p in parents])
        if type(grads) is not tuple or len(grads) != len(parents):
            grads = as_gradients(fn, grads, len(parents))
        if observe:
            _observe(fn, node, grads, pending)
        for parent, needed, pg in zip(parents, fn.needs_input_grad, grads):
            if needed and pg is not None:
                if pg.shape != parent.data.shape:
                    pg = _fit(fn, pg, parent)
                send(parent, pg)
        if not retain_graph:
            fn.free()
    for leaf in leaves:
        if create_graph and _GRADIENT_OF:
            order = _higher_order(leaf, order)
        _finish(leaf, pending.pop(leaf), targets is None or leaf in targets, sink, create_graph, handed_out)
    if create_graph:
        _record_gradients_of(sink, order + 1)


def _higher_order(node: Tensor, order: int) -> int:
    """``order``, raised to ``node``'s when ``node`` is itself a gradient of higher order."""
    known = gradient_of(node)
    return order if known is None or known.order <= order else known.order


def as_gradients(fn: Function, grads: Any, n: int) -> tuple[Any, ...]:
    """A backward rule's result as one gradient per input: a bare gradient is accepted for one input
    (as PyTorch allows); any other count is refused naming the op."""
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != n:
        raise TypeError(f"{fn.op_name} backward returned {len(grads)} gradient(s) for {n} input(s); return one per "
                        "input, in the order of forward's arguments (None for an input that needs none)")
    return tuple(grads)


def check_versions(fn: Function, parents: tuple[Tensor, ...]) -> None:
    """Refuse to run a backward rule on an input that was changed in place after the op read it."""
    saved = getattr(fn, "versions", None) or (0,) * len(parents)
    for i, (p, v) in enumerate(zip(parents, saved)):
        if p._version != v:
            raise RuntimeError(f"backward: input {i} of {fn.op_name}, {describe(p)}, was modified in place after "
                               f"{fn.op_name} used it, so its gradient would be wrong; change a copy instead "
                               "(x = x - y), or do the in-place update after backward()")


def _fit(fn: Function, pg: Array, parent: Tensor) -> Array:
    """Undo broadcasting in ``pg``; a shape that broadcasting cannot explain names the op that made it."""
    try:
        return reduce_to_shape(pg, parent.data.shape)
    except GradientShapeError as e:
        raise GradientShapeError(f"{fn.op_name} backward: {e} (input {describe(parent)})") from None


def _finish(t: Tensor, g: Any, keep: bool, sink: Sink, create_graph: bool, handed_out: set[int]) -> Any:
    """``t`` has all of its gradient ``g``: run its hooks, then hand it to the sink if ``keep``."""
    if t._hooks:
        g = _run_hooks(t, g, create_graph, handed_out)
    if keep:
        sink.take(t, g)
    return g


def _observe(fn: Function, node: Tensor, grads: tuple, pending: dict[Tensor, Any]) -> None:
    """The debugging observers of one backward step: anomaly checks and the explain trace."""
    if _state.watch is not None:
        _state.watch.on_backward(fn, node, grads)
    if _state.explain is not None:
        _state.explain.step(fn, node, grads, pending)


def _run_hooks(node: Tensor, g: Any, create_graph: bool, handed_out: set[int]) -> Any:
    for hook in list(node._hooks or ()):
        result = hook(g if create_graph else type(node)._wrap(own_array(g, handed_out)))
        if result is not None:
            new = result if create_graph else np.asarray(result.data if hasattr(result, "data") else result)
            if new.shape != node.shape:
                raise ValueError(f"register_hook: the hook returned shape {new.shape}, expected {node.shape}")
            g = new
    return g
