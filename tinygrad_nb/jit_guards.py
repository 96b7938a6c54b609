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

import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

MAX_ITEMS = 64  # larger containers and arrays are guarded by identity alone
MAX_DEPTH = 4  # functions reached through functions: how deep the scan goes
_LIBRARY = ("tinygrad_nb", "nn", "viz", "numpy", "builtins")  # their code and globals are not the user's state
_PLAIN = (bool, int, float, complex, str, bytes, type(None))


def value_key(v: Any) -> Any:
    """A hashable key that tells apart values Python calls equal: ``True`` and ``1``, ``0.0`` and ``-0.0``;
    NaN equals NaN."""
    if isinstance(v, float):
        return (float, repr(v))
    if isinstance(v, complex):
        return (complex, repr(v))
    if isinstance(v, _PLAIN):
        return (type(v), v)
    if isinstance(v, tuple):
        return (tuple, tuple(value_key(x) for x in v))
    if isinstance(v, frozenset):
        return (frozenset, frozenset(value_key(x) for x in v))
    return (type(v), v)


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
        return (type(v), repr(v))
    if isinstance(v, np.ndarray) and v.size <= MAX_ITEMS:
        return (np.ndarray, v.dtype.str, v.shape, v.tobytes())
    return None


def _is_library(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in _LIBRARY


class Guards:
    """The values a function can reach by name, as they were when it recorded; ``holds()`` checks them now."""

    def __init__(self, fn: Callable[..., Any]):
        self.fn = fn
        self.checks: list[tuple[Callable[[], Any], Any, Any, str]] = []  # (read, identity, snapshot, name)
        self.generators: list[tuple[str, Any]] = []
        self._seen: set[int] = set()
        self._scan_callable(fn, "", 0)

    def holds(self) -> bool:
        """Whether every guarded value is as it was when the function recorded."""
        for read, obj, snap, _ in self.checks:
            v = read()
            if v is not obj if snap is None else _plain_snapshot(v) != snap:
                return False
        return True

    def first_change(self) -> str | None:
        """The name of the first guarded value that changed (for messages), or None."""
        for read, obj, snap, name in self.checks:
            v = read()
            if (v is not obj) if snap is None else (_plain_snapshot(v) != snap):
                return name
        return None

    def rng_states(self) -> list[Any]:
        """The state of every generator the function can reach, and of NumPy's global one."""
        return [_rng_state(np.random.mtrand._rand)] + [_rng_state(g) for _, g in self.generators]

    def rng_drawn(self, before: list[Any]) -> str | None:
        """The name of a generator that moved since ``before`` (``rng_states()``), or None."""
        names = ["numpy.random (the global generator)"] + [name for name, _ in self.generators]
        for name, old, new in zip(names, before, self.rng_states()):
            if not _same_state(old, new):
                return name
        return None

    # ----- the scan -----
    def _scan_callable(self, fn: Any, prefix: str, depth: int) -> None:
        if isinstance(fn, types.MethodType):
            self._scan_callable(fn.__func__, prefix, depth)
            return
        code = getattr(fn, "__code__", None)
        if code is None or id(fn) in self._seen or depth > MAX_DEPTH or (depth and _is_library(fn)):
            return
        self._seen.add(id(fn))
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: a name bound later in the enclosing function
                continue
            self._guard(_cell_reader(cell), value, f"{prefix}{name}", depth)
        scope = fn.__globals__
        for name in sorted(_global_names(code)):
            if name in scope:
                self._guard(_entry_reader(scope, name), scope[name], f"{prefix}{name}", depth)

    def _guard(self, read: Callable[[], Any], value: Any, name: str, depth: int) -> None:
        if isinstance(value, types.ModuleType):
            self.checks.append((read, value, None, name))
            return
        snap = _plain_snapshot(value)
        self.checks.append((read, value, snap, name))
        if snap is not None:
            return
        if isinstance(value, (np.random.RandomState, np.random.Generator)):
            self.generators.append((name, value))
        elif isinstance(value, (types.FunctionType, types.MethodType)):
            self._scan_callable(value, f"{name}.", depth + 1)
            if isinstance(value, types.MethodType):
                self._guard_attributes(value.__self__, name)
        elif not isinstance(value, type) and hasattr(value, "__dict__"):
            self._guard_attributes(value, name)
            forward = getattr(type(value), "forward", None) or vars(type(value)).get("__call__")
            if forward is not None and not _is_library(type(value)):
                self._scan_callable(forward, f"{name}.", depth + 1)
            for child in _submodules(value):
                if not _is_library(type(child)):
                    self._scan_callable(type(child).forward, f"{name}.", depth + 1)

    def _guard_attributes(self, obj: Any, name: str) -> None:
        """An object of the user's own class: its plain attributes and generators (not a library object's:
        an optimiser's step count changes on every call, and what it reads it reads at replay)."""
        if _is_library(type(obj)) or id(obj) in self._seen:
            return
        self._seen.add(id(obj))
        attributes = getattr(obj, "__dict__", {})
        for attr, value in list(attributes.items()):
            if isinstance(value, (np.random.RandomState, np.random.Generator)):
                self.generators.append((f"{name}.{attr}", value))
                continue
            snap = _plain_snapshot(value)
            if snap is not None:
                self.checks.append((_entry_reader(attributes, attr), value, snap, f"{name}.{attr}"))


_MISSING = object()


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


def _global_names(code: types.CodeType) -> set[str]:
    """The names a code object (and the functions, lambdas and comprehensions inside it) may read as globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _submodules(value: Any) -> Iterator[Any]:
    modules = getattr(value, "modules", None)
    if callable(modules) and hasattr(value, "_modules"):
        yield from modules()


def _rng_state(g: Any) -> Any:
    if isinstance(g, np.random.RandomState):
        return g.get_state(legacy=False)
    return g.bit_generator.state


def _same_state(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)

