"""The jit's replay: a recording compiled into a flat program of forward and backward calls on arrays.

No Tensor, graph or heap: each op's own ``forward`` and ``backward`` run on the arrays in the
slots the recording assigned, gradients are summed in the engine's order, and each array is
dropped after its last reader (liveness), as the eager engine frees the graph while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nb.engine import as_gradients, own_array, reduce_to_shape
from tinygrad_nb.recording import BackwardPass, JitError, RecordedOp, Recorder
from tinygrad_nb.tensor import Tensor


class Program:
    """A recording compiled into a flat list of calls on arrays.

    Each slot's last reader is found once (liveness); the replay drops an array right after
    its last reader, as the eager engine frees the graph while backward runs, so a replayed
    step holds no more memory than an eager one.
    """

    def __init__(self, rec: Recorder, outputs: Any):
        self.size = len(rec.tensor_at)
        self.inputs = rec.inputs
        self.externals = rec.externals
        self.outputs = outputs
        frees = _last_reads(rec, outputs)
        self.steps = [self._compile(i, kind, item, frees) for i, (kind, item) in enumerate(rec.program)]

    def _compile(self, step: int, kind: str, item: Any,
                 frees: dict[tuple[str, int], list[int]]) -> Callable[[list[Any]], None]:
        if kind == "forward":
            return _forward_step(item, frees.get(("forward", id(item)), []))
        if kind == "backward":
            return _backward_step(item, self.size, {id(n): frees.get((f"backward {step}", id(n)), [])
                                                    for n in item.nodes})
        method, args, kwargs = item
        externals = self.externals

        def effect(buf: list[Any]) -> None:
            method(*args, **kwargs)
            for slot, t in externals:  # the effect may have rebound a parameter's .data
                buf[slot] = t.data
        return effect

    def run(self, arrays: list[np.ndarray]) -> Any:
        buf: list[Any] = [None] * self.size
        for slot, a in zip(self.inputs, arrays):
            buf[slot] = a
        for slot, t in self.externals:
            buf[slot] = t.data
        for step in self.steps:
            step(buf)
        return unflatten_outputs(self.outputs, buf)


def _last_reads(rec: Recorder, outputs: Any) -> dict[tuple[str, int], list[int]]:
    """{id(node): slots whose last reader it is}; arguments, outside tensors and outputs are never dropped."""
    keep = set(rec.inputs) | {slot for slot, _ in rec.externals} | set(_output_slots(outputs))
    last: dict[int, tuple[str, int]] = {}  # slot -> (where, id(node)) of its last reader
    for step, (kind, item) in enumerate(rec.program):
        if kind == "forward":
            for slot in item.ins:
                last[slot] = ("forward", id(item))
        elif kind == "backward":  # a node can take part in several passes (retain_graph): keyed by the pass
            for node in item.nodes:
                for slot in (node.out, *node.ins):
                    last[slot] = (f"backward {step}", id(node))
    frees: dict[tuple[str, int], list[int]] = {}
    for slot, reader in last.items():
        if slot not in keep:
            frees.setdefault(reader, []).append(slot)
    return frees


def _output_slots(spec: Any) -> list[int]:
    if spec is None:
        return []
    if isinstance(spec, tuple) and len(spec) == 2 and spec[0] in ("slot", "tensor"):
        return [spec[1]] if spec[0] == "slot" else []
    return [s for sub in spec for s in _output_slots(sub)]


def _forward_step(node: RecordedOp, frees: list[int]) -> Callable[[list[Any]], None]:
    fn, ins, out, attrs, needs = node.fn, node.ins, node.out, node.attrs, node.needs
    forward = fn.forward

    def run(buf: list[Any]) -> None:
        if needs is not None:
            fn.needs_input_grad = needs
        r = forward(*[buf[i] for i in ins], **attrs)
        buf[out] = r if type(r) is np.ndarray else np.asarray(r)
        for slot in frees:
            buf[slot] = None
    return run


def _backward_step(bp: BackwardPass, size: int, frees: dict[int, list[int]]) -> Callable[[list[Any]], None]:
    plan = []
    for n in bp.nodes:
        needs = n.needs or ()
        sends = tuple((k, slot, shape) for k, (slot, need, shape) in enumerate(zip(n.ins, needs, n.shapes)) if need)
        plan.append((n.fn, n.out, n.ins, needs, sends, frees[id(n)]))
    root, seed, leaves, keep_caches = bp.root, bp.seed, bp.leaves, bp.retain_graph

    def run(buf: list[Any]) -> None:
        grads: list[Any] = [None] * size
        grads[root] = seed
        for fn, out, ins, needs, sends, done in plan:  # the engine's order: every consumer has sent its share
            g = grads[out]
            grads[out] = None
            fn.needs_input_grad = needs
            pgs = fn.backward(g, buf[out], *[buf[i] for i in ins])
            if type(pgs) is not tuple or len(pgs) != len(ins):
                pgs = as_gradients(fn, pgs, len(ins))
            for k, slot, shape in sends:
                pg = pgs[k]
                if pg is not None:
                    if pg.shape != shape:
                        pg = reduce_to_shape(pg, shape)
                    prev = grads[slot]
                    grads[slot] = pg if prev is None else prev + pg
            if not keep_caches:
                fn.__dict__.clear()  # masks and caches, as Function.free() does in eager mode
            for slot in done:
                buf[slot] = None
        handed_out = {id(seed)}
        for slot, t, was_none in leaves:
            g = grads[slot]
            if g is None:
                continue
            if g.dtype != t.data.dtype:
                g = g.astype(t.data.dtype)
            if t.grad is None:
                t.grad = Tensor._wrap(own_array(g, handed_out))
            elif was_none:
                raise JitError(f"jit: {t.name or 'a parameter'}.grad was None when the step was recorded but is "
                               "set now; zero gradients inside the step with optimizer.zero_grad() or "
                               "model.zero_grad() (replayed), or outside it, not by assigning .grad inside")
            else:
                t.grad.data = np.asarray(t.grad.data + g)
    return run


def unflatten_outputs(spec: Any, buf: list[Any]) -> Any:
    """The returned structure rebuilt from the replay's slots (results as constant Tensors)."""
    if spec is None:
        return None
    if isinstance(spec, tuple) and len(spec) == 2 and spec[0] in ("slot", "tensor"):
        return Tensor._wrap(buf[spec[1]]) if spec[0] == "slot" else spec[1]
    return type(spec)(unflatten_outputs(s, buf) for s in spec)
