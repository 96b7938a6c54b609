"""What a jitted function's recording bakes in besides its arguments, and how a change to it is noticed.

A recording keeps the values Python computed while it ran: a module's training flag, its
``keep_prob``, which W and b a layer holds. Objects that hold such state call
``state_changed`` whenever it changes (``nn.Module.__setattr__``, ``train()``, ``eval()``):
the change bumps one process-wide counter, which every jitted call compares with the value
its recording saw (one integer comparison), and a mismatch records again. A change made by
the function itself while it records, outside a ``@side_effect`` method, would be skipped by
every replay, so it is refused; ``state_written`` refuses such a write without the bump, for
state that a replay reads live (an optimiser's learning rate, read by its replayed ``step``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_nb.grad_mode import _state


class StateVersion:
    """The process-wide count of changes to state that recordings bake in."""

    value = 0


def state_version() -> int:
    """The current count of changes to state recordings bake in (caches of a module's structure key on it)."""
    return StateVersion.value


def state_changed(what: str) -> None:
    """Note a change to state a recording may have baked in (``what`` names it, e.g. ``Dropout.keep_prob``)."""
    StateVersion.value += 1
    state_written(what)


def state_read(what: str, read: Callable[[], Any]) -> None:
    """Note a read of state a replay reads afresh in its side effects but that the function's own Python may
    bake in (``optimizer.lr`` read by the step): while a function records, its value becomes a guard."""
    hook = getattr(_state.watch, "on_state_read", None)
    if hook is not None:
        hook(what, read)


def state_written(what: str) -> None:
    """Refuse a write that a replay would skip: one made by a jitted function while it records."""
    hook = getattr(_state.watch, "on_state_write", None)
    if hook is not None:
        hook(what)
