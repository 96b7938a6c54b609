"""``jit``: trace a training step once, then replay it as a flat program of NumPy calls.

    step = tinygrad_nb.jit(train_step)   # forward, cost, backward, optimiser step
    for i in range(2500):
        J = step(X, Y)

Semantics (as tinygrad's TinyJit and JAX's jit):

* The first two calls for a given signature (the shapes and dtypes of the array arguments,
  the other arguments by type and value, and whether grad mode is on) run eagerly and record.
  The two recordings must agree op for op, and read the same constants; otherwise
  ``JitError`` names the first op that differs and the line that made it.
* Later calls with that signature replay the recording: each op's ``forward`` and ``backward``
  called directly on arrays, in the recorded order, with no Tensor, no graph and no heap.
  New shapes or dtypes record again (up to ``cache_size`` signatures are kept).
* The contract: a call gives the eager result, or raises ``JitError``. What the function reads
  from outside its arguments is guarded (``jit_guards``: the values it reaches by name; the
  modules' state version; each outside tensor's requires_grad, dtype and shape) and a failed
  guard records anew. What a replay would skip is refused while recording (``recording``: a
  traced value read as a Python number or through ``.data``, an in-place change, a ``.grad``
  replaced, a module attribute set, random numbers drawn outside an op).
* Parameters are updated in place as in eager mode, and ``.grad`` holds the step's gradients
  afterwards. State changed outside the graph (an optimiser's ``step``, ``zero_grad``,
  ``nn.utils.clip_grad_norm_``) is replayed because those methods are marked ``@side_effect``;
  a side effect gets each call's traced Tensors and ``.grad`` and returns each call's Tensors.
* The function returns Tensors (the cost J), a tuple or list of them, or None. A Python
  number would be frozen at its traced value, so it is refused.
* Calls from several threads take turns (one lock per jitted function): a recording's ops keep
  their masks from forward to backward, so two replays of one program cannot interleave.

docs/guides/jit.md ("Compiled steps: jit") has the whole contract as a table, each row a test,
and the sharp bits left to the user.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nb._tensor import Tensor
from tinygrad_nb.grad_mode import _state
from tinygrad_nb.guards import StateVersion
from tinygrad_nb.jit_guards import Guards, value_key
from tinygrad_nb.jit_values import Value, same
from tinygrad_nb.recording import JitError, Recorder, describe_step, first_readers, flatten_outputs, watching_data
from tinygrad_nb.replay import Program

__all__ = ["Jit", "JitError", "jit", "side_effect"]


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
    wrapper.__jit_side_effect__ = True  # type: ignore[attr-defined]  # replayed whole: the guards do not look in
    return wrapper


class _Fingerprint:
    """What two recordings must share, kept without the recording's tensors: the op sequence, the
    constants the ops read (outside tensors, array arguments of ops, backward seeds), the arguments."""

    def __init__(self, rec: Recorder):
        self.signature = rec.signature()
        self.described = [describe_step(rec, i) for i in range(len(rec.program))]
        readers = first_readers(rec)
        # values, not copies: a constant as large as X would otherwise be held twice over (this recording's
        # and the last one's) plus array_equal's temporaries while the two are compared
        self.constants = [(Value(t.data), readers.get(slot, ""), weakref.ref(t))
                          for slot, t in rec.externals if not t.requires_grad]
        self.op_arrays = [([Value(a) for a in n.arrays()], f"{n.fn.op_name} at {n.line}")
                          for kind, n in rec.program if kind == "forward"]
        self.seeds = [bp.seed for kind, bp in rec.program if kind == "backward" and bp.seed_slot is None]
        self.parameters = [t for _, t in rec.externals if t.requires_grad]


class _Entry:
    """What the jit knows of one signature: the last recording's fingerprint, the compiled program, and the
    guards on what the recordings read from outside the arguments.

    A program is replayed once two recordings agreed, whatever arrays come next: nothing in a
    recording can come from the arguments' values but through ops (the user's code cannot read
    ``.data``, ``.item()`` or ``np.asarray`` of them while it records, and the ops read arrays
    given to them as inputs). The guards must hold: the values the function reached by name
    (``jit_guards``), the modules' state (``guards``), and each outside tensor's requires_grad,
    dtype and shape; when one fails, the signature records anew."""

    def __init__(self) -> None:
        self.recorded: _Fingerprint | None = None
        self.program: Program | None = None
        self.guards: Guards | None = None
        self.version = -1
        self.settling = 0  # recordings that differed from the last only in which .grad were None (a warm-up)
        self.grad_states: list[tuple[Tensor, bool]] = []  # .grad the function's Python read: None at the start?

    def holds(self) -> bool:
        """Whether everything the recordings read from outside the arguments is as it was."""
        version = StateVersion.value  # read first: a change made while the checks run is seen by the next call
        if self.guards is None or not self.guards.holds():
            return False
        for t, none in self.grad_states:  # ``if p.grad is None``: a replay would take the recorded branch
            if (t.grad is None) is not none:
                return False
        full = self.version != version
        if full:  # something may have changed: compare the states themselves
            if not self.guards.states_hold():
                return False
        if self.program is not None and not self.program.externals_hold(full):
            return False
        self.version = version
        return True


class Jit:
    """A function traced on its first calls and replayed afterwards; see the module docstring."""

    def __init__(self, fn: Callable[..., Any], cache_size: int = 8):
        if not callable(fn):
            raise TypeError(f"jit expects a function, got {type(fn).__name__}")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"jit: cache_size must be a positive int, got {cache_size!r}")
        self.fn, self.cache_size = fn, cache_size
        self.cache: OrderedDict[Any, _Entry] = OrderedDict()
        # the last replayed call: (its arguments, each Tensor argument's array, grad mode, arrays, entry); a call
        # with the very same arguments replays without looking them over again (a training loop's steady state)
        self._last: tuple[tuple[Any, ...], bool, list[np.ndarray], _Entry] | None = None
        # one call at a time: a recording's ops keep their masks between forward and backward, so two threads
        # replaying one program at once would read each other's (an RLock: a side effect may call back in)
        self._lock = threading.RLock()
        functools.update_wrapper(self, fn)

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        """``@jit`` on a method: the object is passed as the first (static, guarded) argument."""
        return self if obj is None else functools.partial(self, obj)

    def __reduce__(self) -> tuple[Any, ...]:
        """A copy (``copy.deepcopy``, ``pickle``) is the same function jitted afresh: recordings are not copied."""
        return (Jit, (self.fn, self.cache_size))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if isinstance(_state.watch, Recorder):  # called from a function being traced: traced inline
            return self.fn(*args, **kwargs)
        if _state.watch is not None or _state.explain is not None:
            raise JitError("jit: detect_anomaly and explain mode cannot run inside a jitted function; "
                           "call the function without jit to debug it")
        with self._lock:
            return self._call(args, kwargs)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        last = self._last
        if (last is not None and not kwargs and _state.enabled is last[1] and _same_arguments(args, last[0], last[2])
                and last[3].holds()):
            return last[3].program.run(last[2])  # type: ignore[union-attr]
        arrays, statics, key, call, as_given = self._split(args, kwargs)
        entry = self.cache.get(key)
        if entry is None or entry.recorded is not None and not entry.holds():  # new, or a guard failed: record anew
            entry = self.cache[key] = _Entry()
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        self.cache.move_to_end(key)
        if entry.program is not None:
            # only arrays used as they are (a converted int array would be a stale copy the next time)
            self._last = (args, _state.enabled, arrays, entry) if as_given and not kwargs else None
            return entry.program.run(arrays)
        self._last = None
        return self._record(entry, arrays, call, statics)

    def _split(self, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> tuple[list[np.ndarray], list[tuple[str, Any]], Any, Any, bool]:
        """The array arguments (traced), the other arguments (static: part of the signature, and guarded as the
        closure's values are), the signature, a way to call fn with Tensors in their places, and whether every
        array argument is used as it was given (none converted)."""
        arrays: list[np.ndarray] = []
        statics: list[tuple[str, Any]] = []
        key: list[Any] = [_state.enabled]
        converted = False

        def convert(name: str, value: Any) -> Any:
            if isinstance(value, Tensor):
                if value.requires_grad:
                    if "[" in name and value.is_leaf:  # step([W, b], X, Y): a parameter in a list is itself
                        key.append((name, "parameter", id(value)))
                        return value
                    raise JitError(f"jit: argument {name} requires grad; pass data (X, Y) as arguments and reach "
                                   "parameters through the model")
                value = value.data
            if isinstance(value, np.ndarray):
                if value.dtype.kind == "b":
                    raise JitError(f"jit: argument {name} is a boolean array; the function would get it as a Tensor "
                                   "of 0.0 and 1.0 (a mask index would pick entries 0 and 1). Pass it as floats and "
                                   "use where(mask > 0, a, b), or keep it out of the arguments")
                if value.dtype.kind not in "fiu":
                    nonlocal converted
                    converted = True
                    value = Tensor(value).data  # raises for a dtype Tensor() refuses
                # an int array stays an int array (an index: word ids, labels); ops meet it as eager meets the array
                arrays.append(value)
                key.append((name, value.shape, value.dtype.str))
                return len(arrays) - 1
            if isinstance(value, (list, tuple)) and _holds_arrays(value):  # Nielsen's mini_batch: [(x, y), ...]
                if type(value) not in (list, tuple) and not _is_namedtuple(value):
                    raise JitError(f"jit: argument {name} is a {type(value).__name__}, a subclass of "
                                   f"{'list' if isinstance(value, list) else 'tuple'} holding arrays; the function "
                                   "gets such an argument rebuilt with its arrays traced, which would lose what the "
                                   "subclass adds (its attributes, its methods). Pass a plain list or tuple, and "
                                   "the rest as arguments of their own")
                converted = True  # a list can be refilled between calls: never the fast path's same-arguments check
                placed = [convert(f"{name}[{i}]", v) for i, v in enumerate(value)]
                key.append((name, type(value), len(value)))  # with its items' shapes: a structure of its own
                return _Tree(type(value), placed, name)
            try:
                hash(value)
                key.append((name, "static", value_key(value)))  # True is not 1, -0.0 is not 0.0
            except TypeError:  # a dataclass, a dict of settings: keyed by identity, guarded by value
                key.append((name, "object", id(value)))
            statics.append((f"argument {name}", value))
            return value

        placed_args = [convert(str(i), a) for i, a in enumerate(args)]
        placed_kwargs = {k: convert(k, v) for k, v in kwargs.items()}
        n_args = len(args)

        def call(tensors: list[Tensor], built: list[_Built]) -> Any:
            pos = [_place(args[i], p, tensors, built) for i, p in enumerate(placed_args[:n_args])]
            kw = {k: _place(kwargs[k], v, tensors, built) for k, v in placed_kwargs.items()}
            return self.fn(*pos, **kw)
        return arrays, statics, tuple(key), call, not converted

    def _record(self, entry: _Entry, arrays: list[np.ndarray], call: Callable[[list[Tensor], Any], Any],
                statics: list[tuple[str, Any]]) -> Any:
        version = StateVersion.value  # before the call: a change made meanwhile by another thread is seen next time
        tensors = [Tensor._wrap(a) for a in arrays]
        rec = Recorder(tensors)
        outside = _Outside(self.fn, statics)
        rec.outside = outside
        if entry.recorded is not None:  # parameters seen before are read-only from the start this time
            rec.protect_early(entry.recorded.parameters)
        _state.watch = rec
        finished = False
        result = None
        built: list[_Built] = []  # the list arguments as the function got them
        try:
            try:
                with watching_data():
                    result = call(tensors, built)
            finally:
                changed = _lists_changed(built)  # a change the function made to a list it was given: made on yours
            finished = True
            if changed is not None:
                raise JitError(f"jit: the function changed its list argument {changed} (pop, append, an item set, "
                               "...); it ran as written and the change was made to your list too, but a replay "
                               "runs no Python and would skip it. Change the list outside the jitted function")
            outputs = flatten_outputs(result, rec)
            rec.check_rebinding()
            outside.check()
        except JitError as e:
            if finished:  # the function ran to its end eagerly: its result is the eager one
                e.result = result  # type: ignore[attr-defined]
            raise
        finally:
            _state.watch = None
            rec.unprotect()
        outside.guards.add_reads(rec.reads)
        outside.guards.recording_checks.clear()  # needed only while recording
        entry.guards, entry.version = outside.guards, version
        entry.grad_states = list(rec.grad_start.values())
        fingerprint = _Fingerprint(rec)
        previous = entry.recorded
        if previous is not None and entry.program is None and entry.settling < MAX_SETTLING and _settling(
                previous, fingerprint):  # W.grad None on the first call, zeroed from then on: record once more
            entry.settling += 1
            entry.recorded = fingerprint
            return result
        if previous is not None:
            try:
                _compare(previous, fingerprint)
            except JitError as e:
                e.result = result  # type: ignore[attr-defined]  # this call ran eagerly to the end
                raise
            if entry.program is None:
                entry.program = Program(rec, outputs)
        entry.recorded = fingerprint
        return result


class _Outside:
    """What the function reads from outside its arguments, watched while it records: the guarded values must
    not change and no random generator may move, except inside a ``@side_effect`` method (replayed whole)."""

    def __init__(self, fn: Callable[..., Any], statics: list[tuple[str, Any]]):
        self.statics = statics  # the static arguments: a model, a config, a generator passed to the function
        self.written: set[str] = set()
        self.guards = Guards(fn, statics)
        self.rng = self.guards.rng_states()

    def check(self) -> None:
        """Refuse a change made since the last look (the function's own Python, which a replay skips)."""
        changed = self.guards.first_change()
        if changed is not None:
            raise JitError(f"jit: the function changed {changed} while it ran, outside a method marked "
                           "@side_effect; a replay would skip the change. Change it outside the jitted function")
        drawn = self.guards.rng_drawn(self.rng)
        if drawn is not None:
            raise JitError(f"jit: the function drew random numbers from {drawn} outside an op; a replay would "
                           "repeat the recorded numbers. Draw them outside and pass them as an argument")

    def refresh(self) -> None:
        """Take the values as they are now (after a side effect, whose changes a replay repeats): what the effect
        changed is checked from now on only while recording, since each replay's effect changes it again."""
        self.written |= self.guards.changed()
        self.guards = Guards(self.guards.fn, self.statics, self.written)
        self.rng = self.guards.rng_states()


def _same_arguments(args: tuple[Any, ...], last: tuple[Any, ...], arrays: list[np.ndarray]) -> bool:
    """Whether ``args`` are the very objects of the last replayed call, each Tensor still holding the array
    traced then and still not requiring grad (what ``_split`` would check)."""
    if len(args) != len(last):
        return False
    k = 0
    for a, b in zip(args, last):
        if a is not b:
            return False
        if isinstance(a, Tensor):
            if a.requires_grad or a.data is not arrays[k]:
                return False
            k += 1
        elif isinstance(a, np.ndarray):
            k += 1
    return True


def _is_array_arg(value: Any) -> bool:
    return isinstance(value, (np.ndarray, Tensor))


def _holds_arrays(value: Any) -> bool:
    """Whether a list or tuple argument holds arrays or Tensors (at any depth): then they are traced inputs."""
    return any(_is_array_arg(v) or isinstance(v, (list, tuple)) and _holds_arrays(v) for v in value)


def _is_namedtuple(value: Any) -> bool:
    """A namedtuple (its fields are its items; a subclass that adds attributes has a ``__dict__``)."""
    return isinstance(value, tuple) and hasattr(type(value), "_fields") and not hasattr(value, "__dict__")


class _Tree:
    """A list or tuple argument holding arrays, as ``_split`` placed it: each array an input's index."""

    __slots__ = ("kind", "items", "name")

    def __init__(self, kind: type, items: list[Any], name: str):
        self.kind, self.items, self.name = kind, items, name


_Built = tuple[str, list[Any], list[Any], list[Any], list[Any]]  # name, caller's list, function's list, their items


def _place(given: Any, placed: Any, tensors: list[Tensor], built: list[_Built]) -> Any:
    """An argument as the function gets it: each array (also inside a list or tuple) as its traced Tensor, a
    parameter in a list as itself. A rebuilt list is noted in ``built`` so that a change the function makes to it
    is seen (``_lists_changed``)."""
    if isinstance(placed, _Tree):
        items = [_place(g, p, tensors, built) for g, p in zip(given, placed.items)]
        if hasattr(placed.kind, "_fields"):  # a namedtuple
            return placed.kind(*items)
        rebuilt = placed.kind(items)
        if isinstance(rebuilt, list):
            built.append((placed.name, given, rebuilt, list(given), items))
        return rebuilt
    return placed if placed is given else tensors[placed]


def _lists_changed(built: list[_Built]) -> str | None:
    """The name of the first list argument the function changed (its length or which objects it holds), or None.
    Each changed list is changed on the caller's side as well, item for item (an array the function got as a
    Tensor given back as the caller's array), so that the caller's lists are as an eager call leaves them."""
    changed = None
    for name, given, rebuilt, given_items, items in built:
        if len(rebuilt) == len(items) and all(x is y for x, y in zip(rebuilt, items)):
            continue
        back = {id(x): g for x, g in zip(items, given_items)}
        given[:] = [back.get(id(x), x) for x in rebuilt]
        changed = changed or name
    return changed


MAX_SETTLING = 2  # the recordings that may differ from the last in .grad None-ness before the jit refuses


def _settling(first: _Fingerprint, second: _Fingerprint) -> bool:
    """Whether two recordings differ only in which ``.grad`` were None before a backward: the first call of a
    tutorial loop that zeroes gradients after its update (``W.grad.zero_()``) starts from None, later ones not."""
    def settled(sig: list[Any]) -> list[Any]:
        return [(x[0], x[1][:2] + (tuple(s for s, _ in x[1][2]),) + x[1][3:]) if x[0] == "backward" else x
                for x in sig]
    return first.signature != second.signature and settled(first.signature) == settled(second.signature)


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
        if not all(u == v for u, v in zip(xs, ys)):
            raise JitError(f"jit: an array argument of {where} changed between two calls; a replay would keep "
                           "its first value (make it a Tensor input of the op)")
    for (x, where, x_tensor), (y, _, y_tensor) in zip(first.constants, second.constants):
        if x_tensor() is not None and x_tensor() is y_tensor():
            continue  # one tensor from outside the step, read afresh by every replay: its value may change
        if x != y:  # a constant made inside the step (by Python, NumPy): a replay would keep this one
            raise JitError(f"jit: a constant read{where} changed between two calls: it was computed outside the "
                           "traced ops (NumPy on .data, random numbers drawn outside an op, a Python number from "
                           ".item()), and a replay would keep its first value")
    for x, y in zip(first.seeds, second.seeds):
        if not same(x, y):
            raise JitError("jit: backward(grad=...) got a different gradient on two calls; a replay would keep "
                           "the first (pass a fixed grad, or reduce the output to a cost and call backward())")


def jit(fn: Callable[..., Any] | None = None, *, cache_size: int = 8) -> Any:
    """Trace ``fn`` (a training step: forward, cost, backward, optimiser step) and replay it.

    Use as ``step = jit(train_step)`` or as a decorator (``@jit`` or ``@jit(cache_size=4)``).
    Array arguments (X, Y: ndarrays or Tensors) are traced; other arguments are part of the
    signature. See the module docstring for what a replay keeps and what it cannot see.
    """
    if fn is None:
        return functools.partial(Jit, cache_size=cache_size)
    return Jit(fn, cache_size=cache_size)
