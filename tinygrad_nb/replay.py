"""The jit's replay: a recording compiled into a flat program of forward and backward calls on arrays.

No Tensor, graph or heap: each op's own ``forward`` and ``backward`` run on the arrays in the
slots the recording assigned, gradients are summed in the engine's order, and each array is
dropped after its last reader (liveness), as the eager engine frees the graph while it runs.

A program of up to ``MAX_GENERATED_NODES`` recorded nodes becomes one generated straight-line
function (the fast form); a longer one (a chain of thousands of ops) runs as a list of small
closures instead, because Python's compiler needs time and memory that grow faster than the
code for one huge function (2,000 ops: 0.6 s and 225 MB).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nb._tensor import Tensor
from tinygrad_nb.engine import AccumulateGrad, as_gradients, is_own_array, reduce_to_shape
from tinygrad_nb.function import Function, _sequence
from tinygrad_nb.recording import BackwardPass, Effect, JitError, RecordedOp, Recorder

MAX_GENERATED_NODES = 1000  # forward ops and backward nodes; the course's networks need a few dozen


class Program:
    """A recording compiled into one generated Python function of straight-line calls on arrays.

    Each forward op is one line calling the op's own ``forward``; each backward node calls its
    ``backward`` and adds what it sends into local variables, one per gradient, with the
    decisions the engine makes at run time (which inputs get a gradient, in which order) taken
    once here. Each slot's last reader is found once (liveness); the replay drops an array right
    after it, as the eager engine frees the graph while backward runs, so a replayed step holds
    no more memory than an eager one. ``source`` holds the generated code, to read.
    """

    def __init__(self, rec: Recorder, outputs: Any):
        self.size = len(rec.tensor_at)
        self.inputs = rec.inputs
        self.externals = rec.externals
        self.outputs = outputs
        # the outside tensors: those read by slot, and those only updated in place (whose dtype and shape decided
        # how the update's operand is cast)
        self._outside = [t for _, t in rec.externals] + [t for t in rec.touched
                                                         if not any(t is u for _, u in rec.externals)]
        self._outside_state = _state_of(self._outside)
        self._outside_data = list(map(_data, self._outside))  # while each is the same array, dtype and shape hold
        self._outside_flags = list(map(_requires_grad, self._outside))
        for kind, item in rec.program:  # the program's own op objects: the recorded ones hold the recording's
            if kind == "forward":       # tensors (their inputs) for as long as the eager graph lives, not longer
                item.fn = _fresh(item.fn)
        frees = _last_reads(rec, outputs)
        nodes = sum(len(item.nodes) if kind == "backward" else 1 for kind, item in rec.program)
        self.source: str | None = None  # the generated code, to read (None for an interpreted program)
        if nodes <= MAX_GENERATED_NODES:
            self.source, self._run = _generate(rec, frees, self.externals)
        else:
            self._run = _interpreted(rec, frees, self.externals)

    def externals_hold(self, full: bool = False) -> bool:
        """Whether the outside tensors (parameters, constants) still have the requires_grad, dtype and shape
        they were recorded with (``p.requires_grad = False``, ``model.astype(np.float32)`` record anew)."""
        if (not full and all(map(operator.is_, map(_data, self._outside), self._outside_data))
                and list(map(_requires_grad, self._outside)) == self._outside_flags):
            return True  # the usual case, in C loops: the optimiser updated every array in place
        if _state_of(self._outside) != self._outside_state:  # hooks too: registering one bumps the state version
            return False
        self._outside_data = list(map(_data, self._outside))
        return True

    def run(self, arrays: list[np.ndarray]) -> Any:
        buf: list[Any] = [None] * self.size
        for slot, a in zip(self.inputs, arrays):
            buf[slot] = a
        for slot, t in self.externals:
            buf[slot] = t.data
        self._run(buf)
        return unflatten_outputs(self.outputs, buf)


_data, _requires_grad = operator.attrgetter("data"), operator.attrgetter("requires_grad")


def _fresh(fn: Function) -> Function:
    """A new object of ``fn``'s op (as ``Function.apply`` makes one per call), with what the replay reads of it."""
    new = type(fn)()
    needs = fn.__dict__.get("needs_input_grad")
    if needs is not None:
        new.needs_input_grad = needs
    return new


def _state_of(tensors: list[Tensor]) -> list[tuple[bool, np.dtype, tuple[int, ...], bool]]:
    return [(t.requires_grad, t.data.dtype, t.data.shape, bool(t._hooks) or t._retains_grad) for t in tensors]


def _generate(rec: Recorder, frees: dict[tuple[str, int], list[int]],
              externals: list[tuple[int, Tensor]]) -> tuple[str, Callable[[list[Any]], None]]:
    """The source of ``run(buf)`` for the recording, and the function itself."""
    env: dict[str, Any] = {"ndarray": np.ndarray, "asarray": np.asarray, "reduce_to_shape": reduce_to_shape,
                           "as_gradients": as_gradients, "deliver": _deliver,
                           "AccumulateGrad": AccumulateGrad, "wrap": Tensor._wrap,
                           "is_own_array": is_own_array}
    lines = ["def run(buf):"]

    def name(prefix: str, value: Any) -> str:  # a constant of the program, bound in its globals
        key = f"{prefix}{len(env)}"
        env[key] = value
        return key

    for step, (kind, item) in enumerate(rec.program):
        if kind == "forward":
            lines += _forward_lines(item, frees.get(("forward", id(item)), []), name)
        elif kind == "backward":
            lines += _backward_lines(item, step, frees, name)
        elif kind == "effect":
            lines.append(f"    {name('E', _effect(item, externals))}(buf)")
        else:  # an update of jit_updates (W -= lr * W.grad, W.grad = None, a read of W.grad)
            lines.append(f"    {name('U', item.run)}(buf)")
            lines += [f"    buf[{slot}] = None" for slot in frees.get((kind, id(item)), [])]
    lines.append("    return None")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<tinygrad_nb.jit replay>", "exec"), env)  # noqa: S102 - our own generated code
    return source, env["run"]


def _forward_lines(node: RecordedOp, frees: list[int], name: Callable[[str, Any], str]) -> list[str]:
    attrs = f"**{name('BIND', node.attrs_at)}(buf)" if node.binds else f"**{name('A', node.attrs)}"
    args = ", ".join([f"buf[{i}]" for i in node.ins] + ([attrs] if node.attrs else []))
    lines = []
    if node.needs is not None:  # the op reads it in forward (backward clears the node's state)
        lines.append(f"    {name('FN', node.fn)}.needs_input_grad = {name('N', node.needs)}")
    lines.append(f"    r = {name('F', node.fn.forward)}({args})")
    lines.append(f"    buf[{node.out}] = r if type(r) is ndarray else asarray(r)")
    lines += [f"    buf[{slot}] = None" for slot in frees]
    return lines


def _backward_lines(bp: BackwardPass, step: int, frees: dict[tuple[str, int], list[int]],
                    name: Callable[[str, Any], str]) -> list[str]:
    def g(slot: int) -> str:
        return f"g{step}_{slot}"

    slots = sorted({bp.root} | {n.out for n in bp.nodes} | {s for n in bp.nodes for s in n.ins}
                   | {slot for slot, _, _ in bp.leaves})
    seed = name("SEED", bp.seed) if bp.seed_slot is None else f"buf[{bp.seed_slot}]"
    lines = [f"    {' = '.join(g(s) for s in slots)} = None", f"    {g(bp.root)} = {seed}"]
    for n in bp.nodes:
        needs = n.needs or ()
        fn = name("FN", n.fn)
        ins = "".join(f", buf[{i}]" for i in n.ins)
        lines += [f"    gout = {g(n.out)}", f"    {g(n.out)} = None",
                  f"    {fn}.needs_input_grad = {name('N', tuple(needs))}",
                  f"    pgs = {name('B', n.fn.backward)}(gout, buf[{n.out}]{ins})",
                  f"    if type(pgs) is not tuple or len(pgs) != {len(n.ins)}:",
                  f"        pgs = as_gradients({fn}, pgs, {len(n.ins)})"]
        for k, (slot, need, shape) in enumerate(zip(n.ins, needs, n.shapes)):
            if need:
                lines += [f"    pg = pgs[{k}]", "    if pg is not None:",
                          f"        if pg.shape != {tuple(shape)!r}:",
                          f"            pg = reduce_to_shape(pg, {tuple(shape)!r})",
                          f"        {g(slot)} = pg if {g(slot)} is None else {g(slot)} + pg"]
        if not bp.retain_graph:
            lines.append(f"    {name('S', n.fn.__dict__)}.clear()")  # masks and caches, as Function.free() does
        lines += [f"    buf[{slot}] = None" for slot in frees.get((f"backward {step}", id(n)), [])]
    lines.append(f"    sink = AccumulateGrad(False, {{id({seed})}})")  # one array is never two .grad
    for slot, t, was_none in bp.leaves:
        leaf, grad = name("T", t), g(slot)
        if was_none:  # the usual case, inline: an array the engine would hand over as it is becomes the new .grad
            lines += [f"    if {grad} is not None and {leaf}.grad is None and {grad}.dtype == {leaf}.data.dtype "
                      f"and is_own_array({grad}, sink.handed_out):",
                      f"        sink.handed_out.add(id({grad}))",
                      f"        {leaf}.grad = wrap({grad})",
                      "    else:",
                      f"        deliver({grad}, {leaf}, True, sink)"]
        else:
            lines.append(f"    deliver({grad}, {leaf}, False, sink)")
    # nothing of this pass outlives it (the optimizer's step comes next: its peak must not include dZ1)
    lines.append(f"    gout = pgs = pg = sink = {' = '.join(g(s) for s in slots)} = None")
    return lines


def _interpreted(rec: Recorder, frees: dict[tuple[str, int], list[int]],
                 externals: list[tuple[int, Tensor]]) -> Callable[[list[Any]], None]:
    """``run(buf)`` for a long recording: one small closure per forward op, backward pass and effect."""
    steps: list[Callable[[list[Any]], None]] = []
    for step, (kind, item) in enumerate(rec.program):
        if kind == "forward":
            steps.append(_forward_step(item, frees.get(("forward", id(item)), [])))
        elif kind == "backward":
            steps.append(_backward_step(item, len(rec.tensor_at),
                                        {id(n): frees.get((f"backward {step}", id(n)), []) for n in item.nodes}))
        elif kind == "effect":
            steps.append(_effect(item, externals))
        else:
            steps.append(_update_step(item, frees.get((kind, id(item)), [])))

    def run(buf: list[Any]) -> None:
        for run_step in steps:
            run_step(buf)
    return run


def _update_step(item: Any, frees: list[int]) -> Callable[[list[Any]], None]:
    update = item.run

    def run(buf: list[Any]) -> None:
        update(buf)
        for slot in frees:
            buf[slot] = None
    return run


def _forward_step(node: RecordedOp, frees: list[int]) -> Callable[[list[Any]], None]:
    fn, ins, out, attrs, needs = node.fn, node.ins, node.out, node.attrs, node.needs
    forward, bound = fn.forward, node.attrs_at if node.binds else None

    def run(buf: list[Any]) -> None:
        if needs is not None:
            fn.needs_input_grad = needs
        r = forward(*[buf[i] for i in ins], **(attrs if bound is None else bound(buf)))
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
    root, fixed_seed, seed_slot, leaves, keep_caches = bp.root, bp.seed, bp.seed_slot, bp.leaves, bp.retain_graph

    def run(buf: list[Any]) -> None:
        grads: list[Any] = [None] * size
        seed = fixed_seed if seed_slot is None else buf[seed_slot]
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
        sink = AccumulateGrad(False, {id(seed)})
        for slot, t, was_none in leaves:
            _deliver(grads[slot], t, was_none, sink)
    return run


def _effect(item: Effect, externals: list[tuple[int, Tensor]]) -> Callable[[list[Any]], None]:
    method, args, kwargs, binds, out = item.method, item.args, item.kwargs, item.binds, item.out

    def effect(buf: list[Any]) -> None:
        if binds:  # traced arguments: this call's values
            given, named = list(args), dict(kwargs)
            for key, source in binds:
                value = source.grad if isinstance(source, Tensor) else Tensor._wrap(buf[source])
                if isinstance(key, int):
                    given[key] = value
                else:
                    named[key] = value
            result = method(*given, **named)
        else:
            result = method(*args, **kwargs)
        if out is not None:
            _fill(buf, out, result)
        for slot, t in externals:  # the effect may have rebound a parameter's .data
            buf[slot] = t.data
    return effect


def _fill(buf: list[Any], out: Any, result: Any) -> None:
    """Put a side effect's returned Tensors (one, or a tuple or list of them) into their slots."""
    if isinstance(out, int):
        buf[out] = result.data if isinstance(result, Tensor) else np.asarray(float(result))
    else:
        for slot, r in zip(out, result):
            _fill(buf, slot, r)


def _deliver(g: np.ndarray | None, t: Tensor, was_none: bool, sink: AccumulateGrad) -> None:
    """Add a replayed backward's gradient to a parameter's ``.grad`` through the engine's own sink."""
    if g is None:
        return
    if was_none and t.grad is not None:
        raise JitError(f"jit: {t.name or 'a parameter'}.grad was None when the step was recorded but is "
                       "set now; zero gradients inside the step with optimizer.zero_grad() or "
                       "model.zero_grad() (replayed), or outside it, not by assigning .grad inside")
    sink.take(t, g)


def _last_reads(rec: Recorder, outputs: Any) -> dict[tuple[str, int], list[int]]:
    """{id(node): slots whose last reader it is}; arguments, outside tensors and outputs are never dropped."""
    keep = set(rec.inputs) | {slot for slot, _ in rec.externals} | set(_output_slots(outputs))
    keep |= {item.seed_slot for kind, item in rec.program if kind == "backward" and item.seed_slot is not None}
    keep |= {slot for kind, item in rec.program if kind == "effect" for _, slot in item.binds if isinstance(slot, int)}
    last: dict[int, tuple[str, int]] = {}  # slot -> (where, id(node)) of its last reader
    for step, (kind, item) in enumerate(rec.program):
        if kind == "forward":
            for slot in item.ins:
                last[slot] = ("forward", id(item))
        elif kind == "backward":  # a node can take part in several passes (retain_graph): keyed by the pass
            for node in item.nodes:
                for slot in (node.out, *node.ins):
                    last[slot] = (f"backward {step}", id(node))
        elif kind == "inplace" and item.operand is not None:  # W -= dW reads dW's slot
            last[item.operand] = (kind, id(item))
    frees: dict[tuple[str, int], list[int]] = {}
    for slot, reader in last.items():
        if slot not in keep:
            frees.setdefault(reader, []).append(slot)
    return frees


_KINDS = ("slot", "graph", "freed", "tensor", "grad")


def _is_output(spec: Any) -> bool:
    return isinstance(spec, tuple) and 2 <= len(spec) <= 3 and spec[0] in _KINDS and not isinstance(spec[1], tuple)


def _output_slots(spec: Any) -> list[int]:
    if spec is None:
        return []
    if _is_output(spec):
        return [spec[1]] if spec[0] not in ("tensor", "grad") else []
    return [s for sub in spec for s in _output_slots(sub)]


class NoGraph(Function):
    """The node of a replayed result whose eager counterpart had a graph: the replay kept none. With its graph
    still there (a jitted forward, backward outside) a backward that reaches it raises a JitError instead of
    leaving gradients out; with its graph freed (the cost after its own backward) it raises as eager would."""

    def forward(self, x):  # never run: the node is attached to a replayed result
        return x

    def backward(self, g, out):
        raise JitError("jit: backward() reached a result a jitted function returned with its graph, which a replay "
                       "does not keep (from the third call on). Jit the whole training step: forward, cost, "
                       "J.backward() and the optimiser's step inside the function")


def _as_eager(data: np.ndarray, name: str | None, graph: bool) -> Tensor:
    t = Tensor._wrap(data, name)
    fn = NoGraph()
    fn.parents = () if graph else None  # None: "the graph ... was already freed", as eager says
    fn.needs_input_grad = ()
    t.requires_grad, t._ctx, t._seq = True, fn, next(_sequence)
    return t


def unflatten_outputs(spec: Any, buf: list[Any]) -> Any:
    """The returned structure rebuilt from the replay's slots, each result as eager returned it: its name, and
    a node standing for its graph (``NoGraph``) where it had one."""
    if spec is None:
        return None
    if _is_output(spec):
        kind, where = spec[0], spec[1]
        if kind == "tensor":
            return where
        if kind == "grad":  # a parameter's .grad, as it is at the end of this call
            return where.grad
        if kind == "slot":
            return Tensor._wrap(buf[where], spec[2])
        return _as_eager(buf[where], spec[2], kind == "graph")
    return type(spec)(unflatten_outputs(s, buf) for s in spec)
