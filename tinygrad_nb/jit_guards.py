"""The jit's guards: what a recording read from outside its arguments, checked before every replay.

A recording bakes in the Python values the function read: a scalar in a closure or a global
(a loss scale, an L2 lambda), the model or optimiser a global names, a flag in a list. As
torch.compile does, the jit notes each value the function can reach by name (its closure
cells and the globals it names, and those of the plain Python functions and methods they
hold, recursively) when it records, and compares them before every call:

* numbers, strings, None: by type and value (``1`` is not ``True``, ``-0.0`` is not ``0.0``);
* lists, tuples, dicts and sets of those (up to ``MAX_ITEMS``): by their items;
* NumPy arrays of up to ``MAX_ITEMS`` elements: by identity, dtype, shape and values;
* everything else (a model, an optimiser, a module, a larger array): by identity, plus the
  plain values among its attributes for an object of a class of your own.

A module's own attributes are versioned instead (``guards.state_changed``). The random
generators reachable this way, and NumPy's global one, are watched while the function
records: a draw outside an op is refused, since a replay would repeat the recorded numbers.
"""

from __future__ import annotations

import collections
import dis
import functools
import random
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_nb.guards import LIBRARY_PACKAGES

MAX_ITEMS = 64  # larger containers are guarded by identity and length alone
MAX_ARRAY = 1024  # larger arrays by identity alone (comparing their values on every call would cost too much)
MAX_DEPTH = 4  # functions reached through functions: how deep the scan goes
_PLAIN = (bool, int, float, complex, str, bytes, type(None))


def value_key(v: Any) -> Any:
    """A hashable key that tells apart values Python calls equal: ``True`` and ``1``, ``0.0`` and ``-0.0``;
    NaN equals NaN."""
    if isinstance(v, (float, complex, np.floating, np.complexfloating)):
        return (type(v), repr(v))  # -0.0 and 0.0 differ, NaN equals NaN
    if isinstance(v, _PLAIN):
        return (type(v), v)
    if isinstance(v, tuple):
        return (tuple, tuple(value_key(x) for x in v))
    if isinstance(v, frozenset):
        return (frozenset, frozenset(value_key(x) for x in v))
    return (type(v), v, repr(v))  # a frozen dataclass of -0.0 or True, a Decimal('-0.0'): equal, not the same


def _plain_snapshot(v: Any) -> Any:
    """The value as a comparable snapshot, or None when it is not plain data (then it is guarded by identity)."""
    if isinstance(v, _PLAIN):
        return value_key(v)
    if isinstance(v, (list, tuple, set, frozenset)) and len(v) <= MAX_ITEMS:
        items = [_plain_snapshot(x) for x in v]
        if all(x is not None for x in items):
            return (type(v), tuple(sorted(items, key=repr)) if isinstance(v, (set, frozenset)) else tuple(items))
        return None
    if isinstance(v, dict) and len(v) <= MAX_ITEMS:
        pairs = [(_plain_snapshot(k), _plain_snapshot(x)) for k, x in v.items()]
        if all(k is not None and x is not None for k, x in pairs):
            return (dict, tuple(pairs))
        return None
    if isinstance(v, np.generic):
        return value_key(v)
    if isinstance(v, np.ndarray) and v.size <= MAX_ARRAY:
        return (np.ndarray, v.dtype.str, v.shape, v.tobytes())
    return None


def _is_library(obj: Any) -> bool:
    module = (obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)) or ""
    return module.split(".")[0] in LIBRARY_PACKAGES  # their code and globals are not the user's state


class Guards:
    """The values a function can reach by name, as they were when it recorded; ``holds()`` checks them now.

    ``states`` holds the objects that describe their own baked-in state (``__jit_state__``, a module's
    layers, modes and settings): those are compared only when ``guards.StateVersion`` moved, since
    comparing them costs more than the counter that says whether anything may have changed."""

    def __init__(self, fn: Callable[..., Any], statics: list[tuple[str, Any]] | None = None,
                 written: set[str] | None = None):
        self.fn = fn
        self.written = written or set()  # what side effects changed while the function recorded (by name)
        self.checks: list[tuple[Callable[[], Any], Any, Any, str]] = []  # (read, identity, snapshot, name)
        self.generators: list[tuple[str, Any]] = []
        self.states: list[tuple[Any, Any, str]] = []  # (object, its __jit_state__(), name)
        # checked only while the function records (a change the function makes outside a side effect is refused):
        # what replayed side effects write (a logger's list, an optimiser subclass's step count), which they read
        # afresh at replay, so not guarded between calls
        self.recording_checks: list[tuple[Callable[[], Any], Any, Any, str]] = []
        self.attributes: set[str] = set()  # the attribute names the scanned code reads (settings.lam)
        self._seen: set[int] = set()
        for _ in range(4):  # until the names settle: an object reached early is guarded on names read later
            known = set(self.attributes)
            self._scan(fn, statics or [])
            if self.attributes == known:
                break

    def _scan(self, fn: Callable[..., Any], statics: list[tuple[str, Any]]) -> None:
        self.checks, self.recording_checks, self.generators, self.states = [], [], [], []
        self._seen = set()
        self._scan_callable(fn, "", 0)
        for name, value in statics:  # a model, a config, a generator passed as an argument
            self._guard(_constant(value), value, name, 0)

    def holds(self) -> bool:
        """Whether every guarded value is as it was when the function recorded (the states aside). ``_differs``
        inlined: this runs before every call."""
        for read, obj, snap, _ in self.checks:
            v = read()
            if v is not obj if snap is None else _plain_snapshot(v) != snap:
                return False
        return True

    def states_hold(self) -> bool:
        """Whether every object's own baked-in state (``__jit_state__``) is as it was."""
        return all(obj.__jit_state__() == state for obj, state, _ in self.states)

    def first_change(self) -> str | None:
        """The name of the first guarded value or state that changed (for messages), or None."""
        for check in self.checks + self.recording_checks:
            if _differs(check):
                return check[3]
        for obj, state, name in self.states:
            if obj.__jit_state__() != state:
                return f"the state of {name}"
        return None

    def add_reads(self, reads: list[tuple[str, Callable[[], Any]]]) -> None:
        """Guard state the function's Python read through ``guards.state_read`` (an optimiser's learning rate)."""
        for name, read in reads:
            value = read()
            self._check(read, value, _plain_snapshot(value), name)

    def changed(self) -> set[str]:
        """The names of every guarded value that changed since the scan (what a side effect just wrote)."""
        return {check[3] for check in self.checks + self.recording_checks if _differs(check)}

    def rng_states(self) -> list[Any]:
        """The state of every generator the function can reach, and of NumPy's and Python's global ones."""
        return ([_rng_state(np.random.mtrand._rand), random.getstate()]
                + [_rng_state(g) for _, g in self.generators])

    def rng_drawn(self, before: list[Any]) -> str | None:
        """The name of a generator that moved since ``before`` (``rng_states()``), or None."""
        names = (["numpy.random (the global generator)", "Python's random module"]
                 + [name for name, _ in self.generators])
        for name, old, new in zip(names, before, self.rng_states()):
            if not _same_state(old, new):
                return name
        return None

    # ----- the scan -----
    def _scan_callable(self, fn: Any, prefix: str, depth: int) -> None:
        if id(fn) in self._seen or depth > MAX_DEPTH or getattr(fn, "__jit_side_effect__", False):
            return  # a side effect is replayed whole, reading what it reads afresh
        if isinstance(fn, (staticmethod, classmethod)):  # @jit over @staticmethod: the function inside
            self._scan_callable(fn.__func__, prefix, depth)
            return
        if isinstance(fn, types.MethodType):  # jit(trainer.step): the object is read too
            self._seen.add(id(fn))
            self._guard(_constant(fn.__self__), fn.__self__, f"{prefix}self", depth)
            self._scan_callable(fn.__func__, prefix, depth)
            return
        if isinstance(fn, functools.partial):  # its arguments are read on every call
            self._seen.add(id(fn))
            for i, arg in enumerate(fn.args):
                self._guard(_constant(arg), arg, f"{prefix}partial argument {i}", depth + 1)
            for key, arg in fn.keywords.items():
                self._guard(_constant(arg), arg, f"{prefix}{key}", depth + 1)
            self._scan_callable(fn.func, prefix, depth)
            return
        code = getattr(fn, "__code__", None)
        if code is None:  # a callable object: its attributes and its class's __call__
            if not isinstance(fn, type) and hasattr(fn, "__dict__"):
                self._guard(_constant(fn), fn, f"{prefix}self", depth)
            return
        if depth and _is_library(fn):
            return
        self._seen.add(id(fn))
        self.attributes |= _attribute_names(code)
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: a name bound later in the enclosing function
                continue
            self._guard(_cell_reader(cell), value, f"{prefix}{name}", depth)
        for i, value in enumerate(fn.__defaults__ or ()):  # def step(X, lam=[0.1])
            self._guard(_default_reader(fn, i), value, f"{prefix}default {i}", depth)
        for key, value in (fn.__kwdefaults__ or {}).items():
            self._guard(_entry_reader(fn.__kwdefaults__, key), value, f"{prefix}{key}", depth)
        scope = fn.__globals__
        for name in sorted(_global_names(code)):
            if name in scope:
                self._guard(_entry_reader(scope, name), scope[name], f"{prefix}{name}", depth)

    def _guard(self, read: Callable[[], Any], value: Any, name: str, depth: int) -> None:
        snap = _plain_snapshot(value)
        self._check(read, value, snap, name)
        if snap is not None or depth > MAX_DEPTH or id(value) in self._seen:
            return
        if isinstance(value, (np.random.RandomState, np.random.Generator, random.Random)):
            self.generators.append((name, value))
            return
        if isinstance(value, (types.FunctionType, types.MethodType, functools.partial)):
            self._scan_callable(value, f"{name}.", depth + 1)  # it notes itself as seen
            return
        self._seen.add(id(value))
        describe = getattr(type(value), "__jit_state__", None)  # looked up on the class: an AttrDict's lookups raise
        if describe is not None and not isinstance(value, type):  # a module: its layers, modes, settings
            self.states.append((value, describe(value), name))
        if isinstance(value, types.ModuleType):  # a settings module: the attributes the code reads
            if not _is_library(value):
                for attr in sorted(self.attributes & set(vars(value))):
                    self._guard(_entry_reader(vars(value), attr), vars(value)[attr], f"{name}.{attr}", depth + 1)
        elif isinstance(value, (list, tuple, dict, collections.deque)):  # a container: its length and items
            if not isinstance(value, tuple):
                self._check(_length_reader(value), value, value_key(len(value)), f"len({name})")
            if len(value) > MAX_ITEMS:  # too many to compare each call: while recording, which objects it holds
                read = _contents_reader(value)
                self.recording_checks.append((read, value, value_key(read()), f"{name}'s items"))
                return
            for key in (list(value) if isinstance(value, dict) else range(len(value))):
                self._guard(_item_reader(value, key), value[key], f"{name}[{key!r}]", depth + 1)
        elif isinstance(value, type):  # a class: the attributes the code reads (Config.lam, Counter.n)
            if not _is_library(value):
                for item in vars(value).values():  # its methods' code says which (a classmethod returning cls.lam)
                    code = getattr(item, "__func__", item)
                    if isinstance(code, types.FunctionType):
                        self._scan_callable(code, f"{name}.", depth + 1)
                for attr in sorted(self.attributes & set(vars(value))):
                    self._guard(_class_reader(value, attr), vars(value)[attr], f"{name}.{attr}", depth + 1)
        elif not _is_library(type(value)):  # an object of the user's own class
            self._guard_object(value, name, depth)
        for i, child in enumerate(_user_parts(value)):  # a user's layer inside a library container
            self._guard(_constant(child), child, f"{name}'s {type(child).__name__} {i}", depth + 1)

    def _check(self, read: Callable[[], Any], value: Any, snap: Any, name: str) -> None:
        (self.recording_checks if name in self.written else self.checks).append((read, value, snap, name))

    def _guard_object(self, value: Any, name: str, depth: int) -> None:
        """A user object: its attributes (``__dict__`` or ``__slots__``), the class attributes the code reads,
        and the code of its class's methods and properties (``self.helper()`` reads globals too)."""
        attributes = getattr(value, "__dict__", None)
        ignored = getattr(type(value), "__jit_ignore__", ())  # caches a class keeps of itself
        classes = [cls for cls in type(value).__mro__ if not _is_library(cls) and cls is not object]
        for cls in classes:  # the code first: it says which attributes are read (self.model, self.lam)
            for item in vars(cls).values():
                code = item.fget if isinstance(item, property) else getattr(item, "__func__", item)
                if isinstance(code, types.FunctionType):
                    self._scan_callable(code, f"{name}.", depth + 1)
        if isinstance(attributes, dict):
            for attr, item in list(attributes.items()):  # those the scanned code names (a history list it never
                if attr in ignored or attr not in self.attributes:  # reads may grow between calls)
                    continue
                self._guard(_entry_reader(attributes, attr), item, f"{name}.{attr}", depth + 1)
        for attr in _slot_names(type(value)):
            if hasattr(value, attr):
                self._guard(_attribute_reader(value, attr), getattr(value, attr), f"{name}.{attr}", depth + 1)
        for cls in classes:
            for attr, item in vars(cls).items():
                code = item.fget if isinstance(item, property) else getattr(item, "__func__", item)
                if not isinstance(code, types.FunctionType) and not attr.startswith("__") and attr in self.attributes:
                    self._guard(_class_reader(cls, attr), item, f"{name}.{attr}", depth + 1)  # Config.lam


_MISSING = object()


def _differs(check: tuple[Callable[[], Any], Any, Any, str]) -> bool:
    """Whether a guarded value changed: by identity when it had no snapshot, else by its snapshot."""
    read, obj, snap, _ = check
    value = read()
    return value is not obj if snap is None else _plain_snapshot(value) != snap


def _constant(value: Any) -> Callable[[], Any]:
    def read() -> Any:
        return value
    return read


def _cell_reader(cell: types.CellType) -> Callable[[], Any]:
    def read() -> Any:
        try:
            return cell.cell_contents
        except ValueError:  # emptied since
            return _MISSING
    return read


def _entry_reader(scope: dict[str, Any], name: str) -> Callable[[], Any]:
    def read() -> Any:
        return scope.get(name, _MISSING)
    return read


def _default_reader(fn: Any, i: int) -> Callable[[], Any]:
    def read() -> Any:
        defaults = fn.__defaults__ or ()
        return defaults[i] if i < len(defaults) else _MISSING
    return read


def _class_reader(cls: type, name: str) -> Callable[[], Any]:
    def read() -> Any:
        return vars(cls).get(name, _MISSING)
    return read


def _item_reader(container: Any, key: Any) -> Callable[[], Any]:
    def read() -> Any:
        try:
            return container[key]
        except (IndexError, KeyError):
            return _MISSING
    return read


def _length_reader(container: Any) -> Callable[[], Any]:
    def read() -> Any:
        return len(container)
    return read


def _global_names(code: types.CodeType) -> set[str]:
    """The names a code object (and the functions, lambdas and comprehensions inside it) reads as globals."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _attribute_names(code: types.CodeType) -> set[str]:
    """Every name a code object (and the code inside it) may read as an attribute, ``getattr(cfg, "lam")`` too."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _attribute_names(const)
        elif isinstance(const, str) and const.isidentifier():
            names.add(const)
    return names


def _contents(container: Any) -> tuple[Any, ...]:
    """Which objects a large container holds, in order (keys and values of a dict): a snapshot by identity."""
    items = container.items() if isinstance(container, dict) else enumerate(container)
    return tuple((value_key(k) if isinstance(k, _PLAIN) else id(k), id(v)) for k, v in items)


def _contents_reader(container: Any) -> Callable[[], Any]:
    def read() -> Any:
        return hash(_contents(container))
    return read


def _user_parts(value: Any) -> Iterator[Any]:
    """The parts of a container object (a model's modules) whose classes are the user's own."""
    parts = getattr(type(value), "modules", None)
    if callable(parts) and getattr(type(value), "__jit_state__", None) is not None:
        yield from (m for m in parts(value) if m is not value and not _is_library(type(m)))


def _slot_names(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        slots = vars(klass).get("__slots__", ())
        names += [slots] if isinstance(slots, str) else [s for s in slots if s not in ("__dict__", "__weakref__")]
    return names


def _attribute_reader(obj: Any, name: str) -> Callable[[], Any]:
    def read() -> Any:
        return getattr(obj, name, _MISSING)
    return read


def _rng_state(g: Any) -> Any:
    if isinstance(g, random.Random):
        return g.getstate()
    if isinstance(g, np.random.RandomState):
        return g.get_state(legacy=False)
    return g.bit_generator.state


def _same_state(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)

