"""The jit's recorder: what a jitted function's first calls write down while they run eagerly.

It sits in ``grad_mode``'s ``watch`` slot while the function runs and sees every op's forward
(with the slots it reads and writes), the order in which ``backward()`` finishes the nodes, and
the calls of ``@side_effect`` methods. Parameters are read-only meanwhile, so an update that a
replay would miss is refused. ``replay.py`` compiles what it wrote; ``tracing.py`` is the jit.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from tinygrad_nb._tensor import Tensor
from tinygrad_nb.anomaly import user_line
from tinygrad_nb.function import Function
from tinygrad_nb.grad_mode import JitError, _state
from tinygrad_nb.guards import LIBRARY_PACKAGES
from tinygrad_nb.jit_updates import DataUpdate, GradRead, WatchedGrad, augmented_data_read, grad_descriptor
from tinygrad_nb.recording_updates import UpdateRecorder


class RecordedOp:
    """One recorded op: the slots it reads and writes, and what its backward needs.

    ``binds`` lists the array attributes that are the value of a traced tensor (a mask ``Z > 0`` given to
    ``where``, a boolean index): (attribute, path inside it, slot). A replay puts that slot's current
    array there, so they are inputs of the op, never constants of the recording."""

    __slots__ = ("fn", "attrs", "ins", "out", "needs", "shapes", "line", "binds")

    def __init__(self, fn: Function, attrs: dict[str, Any], ins: list[int], out: int,
                 needs: tuple[bool, ...] | None, shapes: list[tuple[int, ...]], line: str,
                 binds: tuple[tuple[str, tuple[int, ...], int], ...] = ()):
        self.fn, self.attrs, self.ins, self.out, self.needs, self.shapes, self.line, self.binds = (
            fn, attrs, ins, out, needs, shapes, line, binds)

    def signature(self) -> tuple[Any, ...]:
        """What must match between two recordings: op, slots, shapes, needs, attribute shapes, bound slots."""
        attrs = sorted((k, shape_of(v)) for k, v in self.attrs.items())
        return (self.fn.op_name, self.ins, self.out, tuple(self.shapes), self.needs, tuple(attrs), self.binds)

    def arrays(self) -> list[np.ndarray]:
        """The op's array-valued arguments (masks, index arrays, inside tuples too) that are constants of the
        recording: the bound ones are inputs and left out."""
        bound = {(k, path) for k, path, _ in self.binds}
        return [a for k, v in sorted(self.attrs.items()) for path, a in arrays_at(v) if (k, path) not in bound]

    def attrs_at(self, buf: list[Any]) -> dict[str, Any]:
        """The attributes for a replay: each bound array replaced by its slot's current value."""
        attrs = dict(self.attrs)
        for k, path, slot in self.binds:
            attrs[k] = _replace_at(attrs[k], path, buf[slot])
        return attrs


def arrays_at(value: Any, path: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """(path, array) for each ndarray in an op attribute, looking inside tuples and lists (an index [:, mask])."""
    if isinstance(value, np.ndarray):
        return [(path, value)]
    if isinstance(value, (tuple, list)):
        return [found for i, v in enumerate(value) for found in arrays_at(v, path + (i,))]
    return []


def _array_at(value: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        value = value[i]
    return value


def _replace_at(value: Any, path: tuple[int, ...], new: Any) -> Any:
    if not path:
        return new
    items = list(value)
    items[path[0]] = _replace_at(items[path[0]], path[1:], new)
    return type(value)(items)


def shape_of(value: Any) -> Any:
    """An attribute as the signature compares it: arrays by shape and dtype (their values separately)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(shape_of(v) for v in value))
    return repr(value)


class BackwardPass:
    """One recorded ``backward()``: the root, its seed dJ/dJ, the nodes in the order the engine ran
    them, and the parameters (slot, tensor, whether its ``.grad`` was None before) that get a gradient."""

    def __init__(self, root: int, seed: np.ndarray, nodes: list[RecordedOp], leaves: list[tuple[int, Tensor, bool]],
                 retain_graph: bool, seed_slot: int | None = None):
        self.root, self.seed, self.nodes, self.leaves, self.retain_graph = root, seed, nodes, leaves, retain_graph
        self.seed_slot = seed_slot  # backward(G) with G traced (an argument, a result): the seed is read at replay

    def signature(self) -> tuple[Any, ...]:
        """What must match between two recordings: the root, the order of the nodes, which .grad were None."""
        return (self.root, tuple(n.out for n in self.nodes), tuple((s, none) for s, _, none in self.leaves),
                self.seed_slot)


class Effect:
    """One recorded ``@side_effect`` call: the method and its arguments, the traced Tensors among them bound to
    their slots (argument position or keyword, and a slot, or the parameter whose ``.grad`` it is), and the
    slots of the Tensors it returns (a slot, a tuple or list of them, or None)."""

    __slots__ = ("method", "args", "kwargs", "binds", "out")

    def __init__(self, method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 binds: tuple[tuple[int | str, int | Tensor], ...], out: Any):
        self.method, self.args, self.kwargs, self.binds, self.out = method, args, kwargs, binds, out


class Recorder(UpdateRecorder):
    """What ``jit`` switches on while a function runs eagerly: writes down its program.

    Besides the ops it keeps watch over what a replay would skip, and refuses it (``JitError``, naming
    the line): a traced value read as a Python or NumPy value (``.item()``, ``float()``, ``bool()``), an
    in-place change (``W -= ...``, ``W.grad.zero_()``), a write to a parameter's ``.data`` or ``.grad``,
    a module's attribute set, a ``.grad`` or a side effect's result read by an op. Parameters and their
    gradients are read-only meanwhile, except inside ``@side_effect`` methods, which are replayed whole.
    """

    def __init__(self, args: list[Tensor]):
        self.slot_of: dict[int, int] = {}  # id(Tensor) -> the slot holding its value
        self.tensor_at: list[Tensor] = []  # slot -> the tensor that first held it (keeps every id alive)
        self.array_slot: dict[int, int] = {}  # id(array) of each argument and result -> its slot
        self.arrays_alive: list[np.ndarray] = []  # the arrays array_slot names (their ids stay theirs)
        self.externals: list[tuple[int, Tensor]] = []  # tensors from outside the recording: read at replay
        self.node_of: dict[int, RecordedOp] = {}  # id(result Tensor) -> the node that made it
        self.program: list[tuple[str, Any]] = []
        self.protected: dict[int, tuple[Tensor, np.ndarray]] = {}  # parameters made read-only while recording
        self.grads: dict[int, tuple[Tensor, Tensor | None, np.ndarray | None]] = {}  # parameter -> its .grad seen
        self.frozen_grads: list[np.ndarray] = []  # .grad arrays made read-only here (made writable after)
        self.current: list[RecordedOp] | None = None
        self.in_effect = False
        self.outside: Any = None  # the jit's watch over closures, globals and generators (check, refresh)
        self.reads: list[tuple[str, Callable[[], Any]]] = []  # state the function's Python read (state_read)
        self.external_slots: set[int] = set()
        self.born: dict[int, Tensor] = {}  # tensors made by the function while it records (kept alive: their ids)
        self.former_grads: dict[int, Tensor] = {}  # .grad tensors since replaced (W.grad = None, a backward)
        self.grad_arrays: dict[int, tuple[Tensor, np.ndarray, str]] = {}  # GradRead slot -> its .grad, array, line
        self._init_updates()
        self.inputs = [self._new_slot(t) for t in args]
        for t, slot in zip(args, self.inputs):
            self._name_array(t.data, slot)

    def _new_slot(self, t: Tensor) -> int:
        self.slot_of[id(t)] = len(self.tensor_at)
        self.tensor_at.append(t)
        return len(self.tensor_at) - 1

    def _name_array(self, data: np.ndarray, slot: int) -> None:
        if id(data) not in self.array_slot:
            self.array_slot[id(data)] = slot
            self.arrays_alive.append(data)

    def traced(self, t: Tensor) -> bool:
        """Whether ``t``'s value comes from the recording: an argument, an op's result, a parameter, a .grad."""
        return id(t) in self.slot_of or id(t.data) in self.array_slot or t.requires_grad or self._is_grad(t)

    def _is_grad(self, t: Tensor) -> bool:
        return any(g is t for _, g, _ in self.grads.values())

    def _grad_owner(self, t: Tensor) -> Tensor | None:
        """The parameter whose ``.grad`` ``t`` is, or None."""
        return next((p for p, g, _ in self.grads.values() if g is t), None)

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
        owner = self._grad_owner(t)
        if owner is not None:  # lr * W.grad: read afresh at this point of every replay (a slot of its own each time)
            slot = len(self.tensor_at)
            self.tensor_at.append(t)
            self.program.append(("grad", GradRead(slot, owner, user_line(), t)))
            self.grad_arrays[slot] = (t, t.data, user_line())
            return slot
        if id(t) in self.former_grads:
            raise JitError(f"jit: an op reads a former .grad at {user_line()} (a gradient kept in a variable after "
                           "the parameter's .grad was replaced by W.grad = None or a backward); a replay reads each "
                           "parameter's current .grad. Read W.grad itself where you use it")
        slot = self._new_slot(t)
        self.externals.append((slot, t))
        self.external_slots.add(slot)
        if t.requires_grad and t.data.flags.writeable:
            self.protected[id(t)] = (t, t.data)
            t.data.flags.writeable = False  # a write outside @side_effect would not be replayed
        return slot

    # ----- the observer protocol of the engine (grad_mode's ``watch``) -----
    def on_forward(self, fn: Function, inputs: tuple[Tensor, ...], out: Tensor, attrs: dict[str, Any]) -> None:
        """Write down one op (called by ``Function.apply``); ops inside a side effect are left to it."""
        if self.in_effect:  # the side effect is replayed as a whole, its own ops with it
            return
        ins = [self.slot(t) for t in inputs]
        binds = tuple((k, path, self.array_slot[id(a)]) for k, v in sorted(attrs.items())
                      for path, a in arrays_at(v) if id(a) in self.array_slot)
        for k, path, _ in binds:
            if k in fn.value_shaped and _array_at(attrs[k], path).dtype == bool:
                raise JitError(f"jit: {fn.op_name} with a boolean mask computed in the step, at {user_line()}: the "
                               "result's shape depends on the values, which a replay cannot follow (as JAX refuses "
                               "it). Use where(mask, x, 0) to keep the shape, or run this function without jit")
        needs = fn.needs_input_grad if out._ctx is fn else None
        node = RecordedOp(fn, attrs, ins, self._new_slot(out), needs, [t.data.shape for t in inputs], user_line(),
                          binds)
        self.node_of[id(out)] = node
        self._name_array(out.data, node.out)  # out.detach() and Tensor(out.data) share it
        self.program.append(("forward", node))

    def on_backward(self, fn: Function, node: Tensor, grads: tuple[Any, ...]) -> None:
        """Note that the engine finished ``node`` (called by the engine, in its order)."""
        if node._hooks or node._retains_grad:
            raise JitError(f"jit: hooks and retain_grad cannot be replayed (on a {fn.op_name} result, "
                           f"made at {self.node_of[id(node)].line})")
        if self.current is None:
            raise JitError("jit: grad() cannot be replayed inside a jitted function; use J.backward() "
                           "and an optimiser from nn.optim")
        recorded = self.node_of.get(id(node))
        if recorded is None:
            raise JitError(f"jit: backward runs through a {fn.op_name} computed inside a side effect, whose ops a "
                           "replay does not run one by one; compute it in the step itself")
        for slot in recorded.ins:
            read = self.grad_arrays.get(slot)
            if read is not None and read[0].data is not read[1]:  # eager's backward took the .grad's new array
                raise JitError(f"jit: the backward of {fn.op_name} (made at {recorded.line}) reads a .grad that an "
                               f"op read at {read[2]} and a backward pass has added into since; a replay keeps the "
                               "array that op read. Use a copy made before that backward (G = W.grad * 1.0)")
        self.current.append(recorded)

    def on_value_read(self, t: Tensor, how: str) -> None:
        """A tensor's value read as a Python or NumPy value (outside a side effect): refused, traced or from
        outside alike (a replay would keep what Python made of this recording's value)."""
        if self.in_effect:
            return
        raise JitError(f"jit: {how} of a Tensor ({t.name or 'a value computed in the step'}, shape "
                       f"{t.data.shape}) at {user_line()}: a replay would keep the value of the recording. Use "
                       "Tensor ops instead (comparisons and where() for a branch on values), return the Tensor and "
                       "read it outside the jitted function, or run this function without jit")

    def on_data_read(self, t: Tensor) -> None:
        """``.data`` read by the user's code while the function records (outside a side effect): refused. What
        Python computes from it (a NumPy value, a branch, a number) is frozen by a replay, whether the tensor is
        traced or comes from outside (its value is read afresh by the ops, never by that Python)."""
        if self.in_effect:
            return
        owner = self._grad_owner(t)
        if owner is not None:  # p.data -= lr * p.grad.data, the older tutorials' spelling
            name = owner.name or "p"
            raise JitError(f"jit: .data of {name}.grad read at {user_line()}, inside the jitted function: a replay "
                           f"would keep this call's gradient. Drop the .data on the gradient: {name}.data -= lr * "
                           f"{name}.grad (or, under no_grad, {name} -= lr * {name}.grad), which the jit records")
        raise JitError(f"jit: .data of {t.name or 'a Tensor'} {t.data.shape} read at {user_line()}, inside the jitted "
                       "function: a replay would keep what Python computed from this recording's value. Use Tensor "
                       "ops on the Tensor itself (X.shape for sizes; comparisons and where() for a branch), read it "
                       "outside the jitted function, or, to update parameters, mark the method @side_effect")

    def on_new_tensor(self, t: Tensor) -> None:
        """A Tensor made by the function while it records: not one of the objects every call shares."""
        self.born[id(t)] = t

    def _from_outside(self, t: Tensor) -> bool:
        """Whether ``t`` is the same object on every call: made before the recording, neither an argument nor a
        result of the step (a parameter, a buffer)."""
        slot = self.slot_of.get(id(t))
        return (id(t) not in self.born and id(t.data) not in self.array_slot
                and (slot is None or slot in self.external_slots))

    def on_state_read(self, what: str, read: Callable[[], Any]) -> None:
        """State a side effect reads afresh, read by the function's own Python (``opt.lr``): guarded from now."""
        if not self.in_effect:
            self.reads.append((what, read))

    def on_state_write(self, what: str) -> None:
        """State a replay would not set again (a module's attribute, a learning rate) set outside a side effect."""
        if self.in_effect:
            return
        raise JitError(f"jit: {what} was set at {user_line()} inside the jitted function, outside a method marked "
                       "@side_effect; a replay would skip it. Set it outside the jitted function")

    def backward_pass(self, root: Tensor, seed: np.ndarray, run: Callable[[], None],
                      retain_graph: bool = False) -> None:
        """Run one eager backward, noting the order in which the engine finishes the nodes."""
        self.check_grads()
        nodes: list[RecordedOp] = []
        self.current = nodes
        try:
            run_leaves = self._leaves_before(root)
            self._thaw_grads()  # the engine adds into .grad
            run()
        finally:
            self.current = None
        root_slot = self.slot(root)
        # a leaf gets a gradient when a node of the pass reads it, or when it is the root (W.backward(g): the seed)
        leaves = [(slot, t, none) for slot, (t, none) in run_leaves.items()
                  if slot == root_slot or any(slot in n.ins for n in nodes)]
        seed_slot = self.array_slot.get(id(seed))
        self.program.append(("backward", BackwardPass(root_slot, seed.copy(), nodes, leaves, retain_graph, seed_slot)))
        self.watch_grads([t for _, t, _ in leaves])
        self.grads_changed([t for _, t, _ in leaves])

    def _leaves_before(self, root: Tensor) -> dict[int, tuple[Tensor, bool]]:
        """The parameters ``root`` may send a gradient to (the leaves ops read, and ``root`` itself when it is
        one), with whether each ``.grad`` is None before the pass."""
        candidates = [(slot, self.tensor_at[slot]) for _, node in self.program
                      if isinstance(node, RecordedOp) and node.needs
                      for slot, need in zip(node.ins, node.needs) if need]
        if root.requires_grad:
            candidates.append((self.slot(root), root))
        found: dict[int, tuple[Tensor, bool]] = {}
        for slot, t in candidates:
            if t.is_leaf:
                if t._hooks or t._retains_grad:
                    raise JitError(f"jit: hooks on {t.name or 'a parameter'} cannot be replayed")
                found[slot] = (t, t.grad is None)
        return found

    def side_effect(self, method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Record a ``@side_effect`` call and run it with the parameters and their gradients writable.

        A traced Tensor among its arguments (``logger.log(J)``) is bound to its slot, so that a replay passes
        the value of that call; a Tensor it returns gets a slot of its own, filled by each replay."""
        if self.in_effect:  # called by another side effect (Adam.step calls Optimizer.step): replayed with it
            return method(*args, **kwargs)
        self.check_grads()
        if self.outside is not None:
            self.outside.check()
        binds = self._effect_binds(method, args, kwargs)
        self.unprotect()
        self.in_effect = True
        try:
            result = method(*args, **kwargs)
        finally:
            self.in_effect = False
            self._protect()
        if isinstance(result, (int, float)) and not isinstance(result, bool):  # a learning rate a schedule returns:
            result = Tensor._wrap(np.asarray(float(result)))  # a 0-d Tensor the replay fills, not a frozen number
        out = self._effect_result(method, result)
        if binds:  # the recording's values of bound arguments are not kept (a replay passes its own)
            args = tuple(None if any(k == i for k, _ in binds) else a for i, a in enumerate(args))
            kwargs = {k: None if any(b == k for b, _ in binds) else v for k, v in kwargs.items()}
        self.program.append(("effect", Effect(method, args, kwargs, binds, out)))
        self.watch_grads([t for t, _, _ in self.grads.values()])
        self.grads_changed([], effect=True)
        if self.outside is not None:
            self.outside.refresh()
        return result

    def _effect_result(self, method: Callable[..., Any], result: Any) -> Any:
        """Slots for what a side effect returns: a Tensor, or a tuple or list of them (None: nothing)."""
        if result is None:
            return None
        if isinstance(result, Tensor):
            out = self._new_slot(result)
            self._name_array(result.data, out)
            return out
        if isinstance(result, (tuple, list)) and all(isinstance(r, Tensor) for r in result):
            return type(result)(self._effect_result(method, r) for r in result)
        raise JitError(f"jit: {getattr(method, '__qualname__', 'a side effect')} returned a "
                       f"{type(result).__name__} at {user_line()} inside the jitted function; a replay runs it again "
                       "but the step would keep this recording's value. Call it outside, or return Tensors")

    def _effect_binds(self, method: Callable[..., Any], args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> tuple[tuple[int | str, int | Tensor], ...]:
        binds: list[tuple[int | str, int | Tensor]] = []
        given: list[tuple[int | str, Any]] = [*enumerate(args), *kwargs.items()]
        for key, a in given:
            owner = self._grad_owner(a) if isinstance(a, Tensor) else None
            if owner is not None:  # W.grad: the replay passes that call's gradient
                binds.append((key, owner))
            elif isinstance(a, Tensor) and not (a.requires_grad and a.is_leaf) and self.traced(a):
                binds.append((key, self.slot(a)))
            elif isinstance(a, (list, tuple, dict)) and any(
                    isinstance(x, Tensor) and not (x.requires_grad and x.is_leaf) and self.traced(x)
                    for x in (a.values() if isinstance(a, dict) else a)):
                raise JitError(f"jit: {getattr(method, '__qualname__', 'a side effect')} gets traced Tensors inside "
                               f"a container at {user_line()}; a replay would pass this recording's. Pass each as an "
                               "argument of its own, or call it outside the jitted function")
        return tuple(binds)

    def protect_early(self, parameters: list[Tensor]) -> None:
        """Make the parameters an earlier recording found (and their gradients) read-only before the function
        runs, so that a write before their first use is refused too."""
        for t in parameters:
            if t.data.flags.writeable:
                self.protected[id(t)] = (t, t.data)
                t.data.flags.writeable = False
        self.watch_grads(parameters)

    def watch_grads(self, parameters: list[Tensor]) -> None:
        """Note each parameter's ``.grad`` as it is now and make its array read-only: until the next backward or
        side effect, a change to it is one a replay would skip."""
        for t in parameters:
            g = t.grad
            data = None if g is None else g.data
            seen = self.grads.get(id(t))
            if seen is not None and seen[1] is not None and seen[1] is not g:
                self.former_grads[id(seen[1])] = seen[1]
            self.grads[id(t)] = (t, g, data)
            if data is not None and data.flags.writeable:
                data.flags.writeable = False
                self.frozen_grads.append(data)

    def check_grads(self) -> None:
        """Refuse a ``.grad`` replaced or rebound since it was noted (``W.grad = ...``, ``W.grad.data = ...``)."""
        for t, g, data in self.grads.values():
            if t.grad is not g or (g is not None and g.data is not data):
                raise JitError(f"jit: {t.name + '.grad' if t.name else 'a parameter' + chr(39) + 's .grad'} was "
                               "replaced inside the jitted function, "
                               "outside a method marked @side_effect; a replay would skip it. Clear gradients with "
                               "optimizer.zero_grad() or model.zero_grad(), clip them with "
                               "nn.utils.clip_grad_norm_ / clip_grad_value_ (all replayed)")

    def _thaw_grads(self) -> None:
        for data in self.frozen_grads:
            data.flags.writeable = True
        self.frozen_grads.clear()

    def check_rebinding(self) -> None:
        """A parameter whose .data was rebound (``W.data = W.data - ...``) outside a side effect."""
        for t, data in self.protected.values():
            if t.data is not data:
                raise JitError(f"jit: {t.name or 'a parameter'}.data was rebound inside the jitted function outside "
                               "a method marked @side_effect; a replay would skip it. Update parameters with an "
                               "optimiser from nn.optim, or mark your update method with @tinygrad_nb.side_effect")
        self.check_grads()

    def unprotect(self) -> None:
        """Make the protected parameters and gradients writable again (the recording is over, or an effect runs)."""
        for _, data in self.protected.values():
            data.flags.writeable = True
        self._thaw_grads()

    def _protect(self) -> None:
        for key, (t, _) in list(self.protected.items()):
            self.protected[key] = (t, t.data)  # an effect may have rebound .data
            t.data.flags.writeable = False

    def signature(self) -> list[Any]:
        """What two recordings of one function must share, op for op."""
        out: list[Any] = []
        for kind, item in self.program:
            if kind == "effect":
                binds = tuple((k, ("grad of", id(v)) if isinstance(v, Tensor) else v) for k, v in item.binds)
                out.append(("effect", getattr(item.method, "__qualname__", repr(item.method)), binds, item.out))
            else:
                out.append((kind, item.signature()))
        return out


_SLOT = Tensor.__dict__["data"]  # the slot's own descriptor: what .data is outside a recording
_GRAD_SLOT = grad_descriptor(Tensor)
_watching = 0  # recordings in progress, in any thread (the descriptor is the class's, shared by the threads)
_watching_lock = threading.Lock()


class _WatchedData:
    """``Tensor.data`` while a jitted function records: the same slot, and a read from the user's own code
    (not the engine's, nn's or viz's) is shown to the recorder of this thread, which refuses it."""

    def __get__(self, t: Tensor | None, owner: type | None = None) -> Any:
        if t is None:
            return self
        rec = _state.watch
        if rec is not None and hasattr(rec, "on_data_read"):
            frame = sys._getframe(1)
            module = frame.f_globals.get("__name__", "")
            if module.partition(".")[0] not in LIBRARY_PACKAGES:
                if not rec.in_effect and augmented_data_read(frame):  # W.data -= lr * W.grad: W's own update
                    return DataUpdate(t)
                rec.on_data_read(t)
        return _SLOT.__get__(t, owner)

    def __set__(self, t: Tensor, value: Any) -> None:
        if isinstance(value, DataUpdate) and value.t is t:  # the store that ends W.data op= ...: already made
            return
        rec = _state.watch
        if rec is not None and hasattr(rec, "on_state_write") and not rec.in_effect:
            module = sys._getframe(1).f_globals.get("__name__", "")
            if module.partition(".")[0] not in LIBRARY_PACKAGES:  # the user's code rebinds a tensor's array in the step
                rec.on_state_write(f"{t.name or 'a Tensor'}.data")
        _SLOT.__set__(t, value)


@contextmanager
def watching_data() -> Iterator[None]:
    """Within the block (a recording), ``.data`` reads go through ``_WatchedData``; the plain slot after."""
    global _watching
    with _watching_lock:
        _watching += 1
        if _watching == 1:
            type.__setattr__(Tensor, "data", _WatchedData())
            type.__setattr__(Tensor, "grad", WatchedGrad())
    try:
        yield
    finally:
        with _watching_lock:
            _watching -= 1
            if _watching == 0:
                type.__setattr__(Tensor, "data", _SLOT)
                type.__setattr__(Tensor, "grad", _GRAD_SLOT)


def flatten_outputs(value: Any, rec: Recorder) -> Any:
    """The returned structure with each Tensor replaced by ('slot', n) or ('tensor', t)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        if value.requires_grad and value.is_leaf:
            return ("tensor", value)  # a parameter: the live object
        slot = rec.slot_of.get(id(value), rec.array_slot.get(id(value.data)))
        if slot is not None:  # as eager returns it: its name, and whether it has a graph (freed, or not)
            if value._ctx is None:
                return ("slot", slot, value.name)
            live = value._ctx.__dict__.get("parents") is not None
            return ("graph" if live else "freed", slot, value.name)
        if any(value is t for _, t in rec.externals):
            return ("tensor", value)  # an outside tensor: the live object
        owner = rec._grad_owner(value)
        if owner is not None:  # W.grad: the .grad the parameter holds at the end of each call
            return ("grad", owner)
        raise JitError("jit: the function returns a Tensor that no traced op made (a copy of some .data, "
                       ".grad, ...); a replay would return its first value. Return the op's result itself")
    if isinstance(value, (tuple, list)):
        return type(value)(flatten_outputs(v, rec) for v in value)
    raise JitError(f"jit: a jitted function returns Tensors (the cost J), a tuple or list of them, or None; "
                   f"got {type(value).__name__}, which a replay would freeze at its traced value "
                   "(return J, and call J.item() outside)")


def first_readers(rec: Recorder) -> dict[int, str]:
    """For each slot some op reads, where the first such op was made: `` by matmul at file:line``.

    One pass over the program (a recording's every constant needs one: a lookup each, not a scan each).
    """
    found: dict[int, str] = {}
    for kind, n in rec.program:
        if kind == "forward":
            for slot in n.ins:
                if slot not in found:
                    found[slot] = f" by {n.fn.op_name} at {n.line}"
    return found


def describe_step(rec: Recorder, i: int) -> str:
    """Step ``i`` of a recording in words, for the jit's messages."""
    if i >= len(rec.program):
        return "nothing"
    kind, item = rec.program[i]
    if kind == "forward":
        return f"{item.fn.op_name} at {item.line}"
    if kind == "effect":
        return f"a call of {getattr(item.method, '__qualname__', item.method)}"
    if kind == "inplace":
        return item.describe()
    if kind == "grad":
        return f"a read of {item.owner.name or 'a parameter'}.grad at {item.line}"
    if kind == "grad_none":
        return f"{item.owner.name or 'a parameter'}.grad = None at {item.line}"
    if kind == "grad_check":
        return f"{item.owner.name or 'a parameter'}.grad read ({'None' if item.none else 'set'}) at {item.line}"
    return "a backward pass"
