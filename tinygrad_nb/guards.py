"""What a jitted function's recording bakes in besides its arguments, and how a change to it is noticed.

A recording keeps the values Python computed while it ran: a module's training flag, its
``keep_prob``, which W and b a layer holds. Objects that hold such state call
``state_changed`` after it changes (a built ``nn.Module``'s attribute set, a real change of
``train()``/``eval()``, a loss's setting, a hook registered): the change bumps one
process-wide counter. A jitted call whose recording saw another count compares the states
themselves (each module's ``__jit_state__``, each outside tensor's flags), and records anew
only when one differs. A change made by the function itself while it records, outside a
``@side_effect`` method, would be skipped by every replay, so it is refused; ``state_written``
refuses such a write without the bump, for state that a replay reads afresh (an optimiser's
settings, read by its replayed ``step``), and ``state_read`` turns such state read by the
function's own Python into a guard.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

from tinygrad_nb.grad_mode import _state


class StateVersion:
    """The process-wide count of changes to state that recordings bake in."""

    value = 0
    counter = itertools.count(1)  # next() on it is atomic: two threads never take the same number


def state_version() -> int:
    """The current count of changes to state recordings bake in (caches of a module's structure key on it)."""
    return StateVersion.value


def state_changed(owner: object, name: str = "") -> None:
    """Note a change, just made, to state a recording may have baked in (``owner``'s ``name``, e.g. a Dropout's
    keep_prob; ``owner`` may be a label). Called after the write, so that a jitted call that sees the new count
    also sees the new state."""
    StateVersion.value = next(StateVersion.counter)
    state_written(owner, name)


def state_read(mapping: Any, key: Any, label: str) -> None:
    """Note that ``mapping[key]`` was read: state a replay reads afresh in its side effects, but that the
    function's own Python may bake in (``optimizer.lr`` read by the step). While a function records, its value
    becomes a guard; otherwise this costs one lookup (it runs on every optimiser step)."""
    hook = getattr(_state.watch, "on_state_read", None)
    if hook is not None:
        hook(f"{label}[{key!r}]", functools.partial(dict.get, mapping, key))


def state_written(owner: object, name: str = "") -> None:
    """Refuse a write that a replay would skip: one made by a jitted function while it records (outside a side
    effect). The message is formatted only then: this runs on every optimiser step."""
    hook = getattr(_state.watch, "on_state_write", None)
    if hook is not None:
        label = owner if isinstance(owner, str) else type(owner).__name__
        hook(f"{label}.{name}" if name else label)


LIBRARY_PACKAGES = {"tinygrad_nb", "numpy", "builtins"}  # packages whose code is trusted to keep the contract


def register_library(package: str) -> None:
    """Mark ``package`` (a top-level name, e.g. ``"nn"``) as library code for the jit: its functions and objects
    are not the user's state to guard, and its reads of ``.data`` while a step records are the engine's own.
    A library built on tinygrad_nb registers itself on import; its own code then keeps the contract (its ops read
    arrays as inputs, its state changes go through ``state_changed`` and ``@side_effect``)."""
    LIBRARY_PACKAGES.add(package)
