"""``jit``: trace a training step once, then replay it as a flat program of NumPy calls.

    step = tinygrad_nb.jit(train_step)   # forward, cost, backward, optimiser step
    for i in range(2500):
        J = step(X, Y)

Semantics (as tinygrad's TinyJit and JAX's jit):

* The first two calls for a given signature (the shapes and dtypes of the array arguments,
  the other arguments' values, and whether grad mode is on) run eagerly and record. The two
  recordings must agree op for op; otherwise the function's ops depend on the data (Python
  control flow on values, a NumPy value computed from the data) and ``JitError`` names the
  first op that differs and the line that made it.
* Later calls with that signature replay the recording: each op's ``forward`` and ``backward``
  called directly on arrays, in the recorded order, with no Tensor, no graph and no heap.
  New shapes or dtypes record again (up to ``cache_size`` signatures are kept).
* Parameters are updated in place as in eager mode, and ``.grad`` holds the step's gradients
  afterwards. State changed outside the graph (an optimiser's ``step``, ``zero_grad``) is
  replayed because those methods are marked ``@side_effect``; writing a parameter's ``.data``
  any other way inside a jitted function is refused while recording.
* The function returns Tensors (the cost J), a tuple or list of them, or None. A Python
  number would be frozen at its traced value, so it is refused.

What a replay cannot see, and so the function must keep out: Python control flow that
depends on values (``if J.item() > 1``), NumPy computations on ``.data`` (they are constants
of the recording), ``grad()``, hooks, ``retain_grad``, ``create_graph``, ``detect_anomaly``
and explain mode (run the function without jit to debug it).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nb.anomaly import user_line
from tinygrad_nb.engine import as_gradients, own_array, reduce_to_shape
from tinygrad_nb.function import Function
from tinygrad_nb.grad_mode import _state
from tinygrad_nb.tensor import Tensor


class JitError(RuntimeError):
    """A function cannot be traced or replayed faithfully; the message says why and where."""


def side_effect(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method that changes state outside the graph (an optimiser's ``step``, ``zero_grad``).

    Called while a jitted function records, the call is recorded and replayed on every later call.
    """
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        recorder = _state.watch
        if isinstance(recorder, Recorder):
            return recorder.side_effect(method, args, kwargs)
        return method(*args, **kwargs)
    return wrapper


# ----- recording ---------------------------------------------------------------------------------
class _Node:
    """One recorded op: the slots it reads and writes, and what its backward needs."""

    __slots__ = ("fn", "attrs", "ins", "out", "needs", "shapes", "line")

    def __init__(self, fn: Function, attrs: dict[str, Any], ins: list[int], out: int,
                 needs: tuple[bool, ...] | None, shapes: list[tuple[int, ...]], line: str):
        self.fn, self.attrs, self.ins, self.out, self.needs, self.shapes, self.line = (
            fn, attrs, ins, out, needs, shapes, line)

    def signature(self) -> tuple[Any, ...]:
        attrs = sorted((k, _shape_of(v)) for k, v in self.attrs.items())
        return (self.fn.op_name, self.ins, self.out, tuple(self.shapes), self.needs, tuple(attrs))

    def arrays(self) -> list[np.ndarray]:
        """The op's array-valued arguments (masks, index arrays, inside tuples too): constants of the recording."""
        return [a for _, v in sorted(self.attrs.items()) for a in _arrays_in(v)]


def _arrays_in(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays_in(v)]
    return []


def _shape_of(value: Any) -> Any:
    """An attribute as the signature compares it: arrays by shape and dtype (their values separately)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_shape_of(v) for v in value))
    return repr(value)


class _BackwardPass:
    """One recorded ``backward()``: the root, its seed dJ/dJ, the nodes in the order the engine ran
    them, and the parameters (slot, tensor, whether its ``.grad`` was None before) that get a gradient."""

    def __init__(self, root: int, seed: np.ndarray, nodes: list[_Node], leaves: list[tuple[int, Tensor, bool]],
                 retain_graph: bool):
        self.root, self.seed, self.nodes, self.leaves, self.retain_graph = root, seed, nodes, leaves, retain_graph

    def signature(self) -> tuple[Any, ...]:
        return (self.root, tuple(n.out for n in self.nodes), tuple((s, none) for s, _, none in self.leaves))


class Recorder:
    """What ``jit`` switches on while a function runs eagerly: writes down its program."""

    def __init__(self, args: list[Tensor]):
        self.slot_of: dict[int, int] = {}  # id(Tensor) -> the slot holding its value
        self.tensor_at: list[Tensor] = []  # slot -> the tensor that first held it (keeps every id alive)
        self.array_slot: dict[int, int] = {}  # id(array) of each argument -> its slot (for re-wrapped inputs)
        self.externals: list[tuple[int, Tensor]] = []  # tensors from outside the recording: read at replay
        self.node_of: dict[int, _Node] = {}  # id(result Tensor) -> the node that made it
        self.program: list[tuple[str, Any]] = []
        self.protected: dict[int, tuple[Tensor, np.ndarray]] = {}  # parameters made read-only while recording
        self.current: list[_Node] | None = None
        self.in_effect = False
        self.inputs = [self._new_slot(t) for t in args]
        for t, slot in zip(args, self.inputs):
            self.array_slot[id(t.data)] = slot

    def _new_slot(self, t: Tensor) -> int:
        self.slot_of[id(t)] = len(self.tensor_at)
        self.tensor_at.append(t)
        return len(self.tensor_at) - 1

    def slot(self, t: Tensor) -> int:
        """The slot of ``t``'s value: recorded, an argument re-wrapped, or an outside tensor read at replay."""
        slot = self.slot_of.get(id(t))
        if slot is not None:
            return slot
        slot = self.array_slot.get(id(t.data))
        if slot is not None:  # Tensor(X) inside the function shares the argument's array
            self.slot_of[id(t)] = slot
            self.tensor_at.append(t)  # kept alive; never read by slot
            return slot
        slot = self._new_slot(t)
        self.externals.append((slot, t))
        if t.requires_grad and t.data.flags.writeable:
            self.protected[id(t)] = (t, t.data)
            t.data.flags.writeable = False  # a write outside @side_effect would not be replayed
        return slot

    # ----- the observer protocol of the engine (grad_mode's ``watch``) -----
    def on_forward(self, fn: Function, inputs: tuple[Tensor, ...], out: Tensor, attrs: dict[str, Any]) -> None:
        if self.in_effect:  # the side effect is replayed as a whole, its own ops with it
            return
        ins = [self.slot(t) for t in inputs]
        needs = fn.needs_input_grad if out._ctx is fn else None
        node = _Node(fn, attrs, ins, self._new_slot(out), needs, [t.data.shape for t in inputs], user_line())
        self.node_of[id(out)] = node
        self.array_slot.setdefault(id(out.data), node.out)  # out.detach() and Tensor(out.data) share it
        self.program.append(("forward", node))

    def on_backward(self, fn: Function, node: Tensor, grads: tuple[Any, ...]) -> None:
        if node._hooks or node._retains_grad:
            raise JitError(f"jit: hooks and retain_grad cannot be replayed (on a {fn.op_name} result, "
                           f"made at {self.node_of[id(node)].line})")
        if self.current is None:
            raise JitError("jit: grad() cannot be replayed inside a jitted function; use J.backward() "
                           "and an optimiser from nn.optim")
        self.current.append(self.node_of[id(node)])

    def backward_pass(self, root: Tensor, seed: np.ndarray, run: Callable[[], None],
                      retain_graph: bool = False) -> None:
        """Run one eager backward, noting the order in which the engine finishes the nodes."""
        nodes: list[_Node] = []
        self.current = nodes
        try:
            run_leaves = self._leaves_before(root)
            run()
        finally:
            self.current = None
        leaves = [(slot, t, none) for slot, (t, none) in run_leaves.items()
                  if any(slot in n.ins for n in nodes)]
        self.program.append(("backward", _BackwardPass(self.slot(root), seed.copy(), nodes, leaves, retain_graph)))

    def _leaves_before(self, root: Tensor) -> dict[int, tuple[Tensor, bool]]:
        """The parameters ``root`` depends on, with whether each ``.grad`` is None before the pass."""
        found: dict[int, tuple[Tensor, bool]] = {}
        for _, node in self.program:
            if isinstance(node, _Node) and node.needs:
                for slot, need in zip(node.ins, node.needs):
                    t = self.tensor_at[slot]
                    if need and t.is_leaf:
                        if t._hooks or t._retains_grad:
                            raise JitError(f"jit: hooks on {t.name or 'a parameter'} cannot be replayed")
                        found[slot] = (t, t.grad is None)
        return found

    def side_effect(self, method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.in_effect:  # called by another side effect (Adam.step calls Optimizer.step): replayed with it
            return method(*args, **kwargs)
        self.program.append(("effect", (method, args, kwargs)))
        self.unprotect()
        self.in_effect = True
        try:
            return method(*args, **kwargs)
        finally:
            self.in_effect = False
            self._protect()

    def protect_early(self, parameters: list[Tensor]) -> None:
        """Make the parameters an earlier recording found read-only before the function runs, so that a
        write before their first use is refused too."""
        for t in parameters:
            if t.data.flags.writeable:
                self.protected[id(t)] = (t, t.data)
                t.data.flags.writeable = False

    def check_rebinding(self) -> None:
        """A parameter whose .data was rebound (``W.data = W.data - ...``) outside a side effect."""
        for t, data in self.protected.values():
            if t.data is not data:
                raise JitError(f"jit: {t.name or 'a parameter'}.data was rebound inside the jitted function outside "
                               "a method marked @side_effect; a replay would skip it. Update parameters with an "
                               "optimiser from nn.optim, or mark your update method with @tinygrad_nb.side_effect")

    def unprotect(self) -> None:
        for _, data in self.protected.values():
            data.flags.writeable = True

    def _protect(self) -> None:
        for key, (t, _) in list(self.protected.items()):
            self.protected[key] = (t, t.data)  # an effect may have rebound .data
            t.data.flags.writeable = False

    def signature(self) -> list[Any]:
        """What two recordings of one function must share, op for op."""
        out: list[Any] = []
        for kind, item in self.program:
            if kind == "effect":
                out.append(("effect", getattr(item[0], "__qualname__", repr(item[0]))))
            else:
                out.append((kind, item.signature()))
        return out


# ----- replay ----------------------------------------------------------------------------------------
class _Program:
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
        return _unflatten(self.outputs, buf)


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


def _forward_step(node: _Node, frees: list[int]) -> Callable[[list[Any]], None]:
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


def _backward_step(bp: _BackwardPass, size: int, frees: dict[int, list[int]]) -> Callable[[list[Any]], None]:
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


def _flatten(value: Any, rec: Recorder) -> Any:
    """The returned structure with each Tensor replaced by ('slot', n) or ('tensor', t)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        slot = rec.slot_of.get(id(value), rec.array_slot.get(id(value.data)))
        if slot is not None:
            return ("slot", slot)
        if any(value is t for _, t in rec.externals) or value.requires_grad and value.is_leaf:
            return ("tensor", value)  # a parameter: the live object
        raise JitError("jit: the function returns a Tensor that no traced op made (a copy of some .data, "
                       ".grad, ...); a replay would return its first value. Return the op's result itself")
    if isinstance(value, (tuple, list)):
        return type(value)(_flatten(v, rec) for v in value)
    raise JitError(f"jit: a jitted function returns Tensors (the cost J), a tuple or list of them, or None; "
                   f"got {type(value).__name__}, which a replay would freeze at its traced value "
                   "(return J, and call J.item() outside)")


def _unflatten(spec: Any, buf: list[Any]) -> Any:
    if spec is None:
        return None
    if isinstance(spec, tuple) and len(spec) == 2 and spec[0] in ("slot", "tensor"):
        return Tensor._wrap(buf[spec[1]]) if spec[0] == "slot" else spec[1]
    return type(spec)(_unflatten(s, buf) for s in spec)


# ----- the jit -----------------------------------------------------------------------------------------
class _Fingerprint:
    """What two recordings must share, kept without the recording's tensors: the op sequence, the
    constants the ops read (outside tensors, array arguments of ops, backward seeds), the arguments."""

    def __init__(self, rec: Recorder, arrays: list[np.ndarray]):
        self.signature = rec.signature()
        self.described = [_describe(rec, i) for i in range(len(rec.program))]
        self.constants = [(t.data.copy(), _reader(rec, t)) for _, t in rec.externals if not t.requires_grad]
        self.op_arrays = [([a.copy() for a in n.arrays()], f"{n.fn.op_name} at {n.line}")
                          for kind, n in rec.program if kind == "forward"]
        self.seeds = [bp.seed for kind, bp in rec.program if kind == "backward"]
        self.arrays = arrays
        self.parameters = [t for _, t in rec.externals if t.requires_grad]


class _Entry:
    """What the jit knows of one signature: the last recording's fingerprint and the compiled program.

    A program is replayed when the recordings it came from had different values in every array
    argument (so the constants they agreed on do not come from the data), or when the arguments
    are the very arrays it was recorded with (full-batch training); otherwise the call records
    again and must agree with the last recording."""

    def __init__(self) -> None:
        self.recorded: _Fingerprint | None = None
        self.program: _Program | None = None
        self.validated = False

    def replays(self, arrays: list[np.ndarray]) -> bool:
        if self.program is None or self.recorded is None:
            return False
        return self.validated or all(a is b for a, b in zip(arrays, self.recorded.arrays))


class Jit:
    """A function traced on its first calls and replayed afterwards; see the module docstring."""

    def __init__(self, fn: Callable[..., Any], cache_size: int = 8):
        if not callable(fn):
            raise TypeError(f"jit expects a function, got {type(fn).__name__}")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"jit: cache_size must be a positive int, got {cache_size!r}")
        self.fn, self.cache_size = fn, cache_size
        self.cache: OrderedDict[Any, _Entry] = OrderedDict()
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if isinstance(_state.watch, Recorder):  # called from a function being traced: traced inline
            return self.fn(*args, **kwargs)
        if _state.watch is not None or _state.explain is not None:
            raise JitError("jit: detect_anomaly and explain mode cannot run inside a jitted function; "
                           "call the function without jit to debug it")
        arrays, key, call = self._split(args, kwargs)
        entry = self.cache.get(key)
        if entry is None:
            entry = self.cache[key] = _Entry()
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(key)
        if entry.replays(arrays):
            return entry.program.run(arrays)  # type: ignore[union-attr]
        return self._record(entry, arrays, call)

    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[np.ndarray], Any, Any]:
        """The array arguments (traced), the signature, and a way to call fn with Tensors in their places."""
        arrays: list[np.ndarray] = []
        key: list[Any] = [_state.enabled]

        def convert(name: str, value: Any) -> Any:
            if isinstance(value, Tensor):
                if value.requires_grad:
                    raise JitError(f"jit: argument {name} requires grad; pass data (X, Y) as arguments and reach "
                                   "parameters through the model")
                value = value.data
            if isinstance(value, np.ndarray):
                t = Tensor(value)  # ints and bools become float64, as Tensor() does
                arrays.append(t.data)
                key.append((name, t.data.shape, t.data.dtype.str))
                return len(arrays) - 1
            try:
                hash(value)
            except TypeError:
                raise JitError(f"jit: argument {name} ({type(value).__name__}) is neither an array nor hashable; "
                               "pass arrays, Tensors, numbers or strings") from None
            key.append((name, "static", value))
            return value

        placed_args = [convert(str(i), a) for i, a in enumerate(args)]
        placed_kwargs = {k: convert(k, v) for k, v in kwargs.items()}
        n_args = len(args)

        def call(tensors: list[Tensor]) -> Any:
            pos = [tensors[p] if _is_array_arg(args[i]) else p for i, p in enumerate(placed_args[:n_args])]
            kw = {k: tensors[v] if _is_array_arg(kwargs[k]) else v for k, v in placed_kwargs.items()}
            return self.fn(*pos, **kw)
        return arrays, tuple(key), call

    def _record(self, entry: _Entry, arrays: list[np.ndarray], call: Callable[[list[Tensor]], Any]) -> Any:
        tensors = [Tensor._wrap(a) for a in arrays]
        rec = Recorder(tensors)
        if entry.recorded is not None:  # parameters seen before are read-only from the start this time
            rec.protect_early(entry.recorded.parameters)
        _state.watch = rec
        try:
            result = call(tensors)
            outputs = _flatten(result, rec)
            rec.check_rebinding()
        except ValueError as e:
            if "read-only" not in str(e):
                raise
            raise JitError(f"jit: a parameter's .data was written inside the jitted function outside a method "
                           f"marked @side_effect ({e}); a replay would skip it. Update parameters with an "
                           "optimiser from nn.optim, or mark your update method with @tinygrad_nb.side_effect") from e
        finally:
            _state.watch = None
            rec.unprotect()
        fingerprint = _Fingerprint(rec, arrays)
        previous = entry.recorded
        if previous is not None:
            try:
                _compare(previous, fingerprint)
            except JitError as e:
                e.result = result  # type: ignore[attr-defined]  # this call ran eagerly to the end
                raise
            if entry.program is None:
                entry.program = _Program(rec, outputs)
            entry.validated = all(not _same(a, b) for a, b in zip(arrays, previous.arrays))
        entry.recorded = fingerprint
        return result


def _is_array_arg(value: Any) -> bool:
    return isinstance(value, (np.ndarray, Tensor))


def _compare(first: _Fingerprint, second: _Fingerprint) -> None:
    """Two recordings of one signature must agree op for op, and read the same constants."""
    a, b = first.signature, second.signature
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            if x[0] == y[0] == "backward" and x[1][:2] == y[1][:2]:
                raise JitError("jit: a parameter's .grad was None on one call and set on the next; zero gradients "
                               "in the same place on every call (optimizer.zero_grad() inside the step, or always "
                               "before it), or gradients would pile up differently in a replay")
            raise JitError(f"jit: the function ran different ops on two calls with the same shapes "
                           f"({first.described[i]} one time, {second.described[i]} the next); its ops depend on "
                           "the data (Python control flow on values?), so it cannot be replayed")
    if len(a) != len(b):
        i = min(len(a), len(b))
        longer = first if len(a) > len(b) else second
        raise JitError(f"jit: the function ran {len(a)} steps on one call and {len(b)} on the next with the same "
                       f"shapes (first extra: {longer.described[i]}); it cannot be replayed")
    for (xs, where), (ys, _) in zip(first.op_arrays, second.op_arrays):
        if not all(_same(u, v) for u, v in zip(xs, ys)):
            raise JitError(f"jit: an array argument of {where} changed between two calls; a replay would keep "
                           "its first value (make it a Tensor input of the op)")
    for (x, where), (y, _) in zip(first.constants, second.constants):
        if not _same(x, y):
            raise JitError(f"jit: a constant read{where} changed between two calls: it was computed outside the "
                           "traced ops (NumPy on .data, random numbers drawn outside an op, a Python number from "
                           ".item()), and a replay would keep its first value")
    for x, y in zip(first.seeds, second.seeds):
        if not _same(x, y):
            raise JitError("jit: backward(grad=...) got a different gradient on two calls; a replay would keep "
                           "the first (pass a fixed grad, or reduce the output to a cost and call backward())")


def _reader(rec: Recorder, t: Tensor) -> str:
    reader = next((n for k, n in rec.program if k == "forward" and _reads(n, rec, t)), None)
    return f" by {reader.fn.op_name} at {reader.line}" if reader is not None else ""


def _reads(node: _Node, rec: Recorder, t: Tensor) -> bool:
    return rec.slot_of.get(id(t)) in node.ins


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    return x.shape == y.shape and x.dtype == y.dtype and bool(np.array_equal(x, y, equal_nan=x.dtype.kind == "f"))


def _describe(rec: Recorder, i: int) -> str:
    if i >= len(rec.program):
        return "nothing"
    kind, item = rec.program[i]
    if kind == "forward":
        return f"{item.fn.op_name} at {item.line}"
    if kind == "effect":
        return f"a call of {getattr(item[0], '__qualname__', item[0])}"
    return "a backward pass"


def jit(fn: Callable[..., Any] | None = None, *, cache_size: int = 8) -> Any:
    """Trace ``fn`` (a training step: forward, cost, backward, optimiser step) and replay it.

    Use as ``step = jit(train_step)`` or as a decorator (``@jit`` or ``@jit(cache_size=4)``).
    Array arguments (X, Y: ndarrays or Tensors) are traced; other arguments are part of the
    signature. See the module docstring for what a replay keeps and what it cannot see.
    """
    if fn is None:
        return functools.partial(Jit, cache_size=cache_size)
    return Jit(fn, cache_size=cache_size)
