"""Per-thread modes of the engine: recording (``no_grad``, ``enable_grad``), and the observers
that ``detect_anomaly`` and ``explain`` switch on.

Modes are per thread, as in PyTorch: a ``no_grad`` block in one thread does not switch
recording off in another. Every switch saves the value it replaces on a per-thread stack,
never on itself, so one decorator instance is safe under recursion and across threads.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any


class _ThreadModes(threading.local):
    """The modes of the current thread; ``__init__`` runs once in every thread that reads them."""

    def __init__(self) -> None:
        self.enabled = True  # record operations on the graph
        self.watch: Any = None  # an observer of every op (detect_anomaly's checks, or the jit's recorder), or None
        self.explain: Any = None  # an observer with header/step (explain mode), or None
        self.saved: list[tuple[str, Any, Any]] = []  # (mode, value replaced, context entered with it)


_state = _ThreadModes()


class ModeSwitch(contextlib.ContextDecorator):
    """Base of the mode switches: set ``mode`` to ``value()`` on enter, restore it on exit.

    Subclasses name the ``mode`` (an attribute of the per-thread state) and give its new
    ``value()``; ``context()`` may return a context manager to hold open meanwhile.
    """

    mode: str

    def value(self) -> Any:
        raise NotImplementedError

    def context(self) -> contextlib.AbstractContextManager[Any] | None:
        return None

    def __enter__(self) -> Any:
        value = self.value()  # first: a switch that refuses (inside a jitted function) changes nothing
        extra = self.context()
        if extra is not None:
            extra.__enter__()
        _state.saved.append((self.mode, getattr(_state, self.mode), extra))
        setattr(_state, self.mode, value)
        return self

    def __exit__(self, *exc: Any) -> None:
        mode, previous, extra = _state.saved.pop()
        setattr(_state, mode, previous)
        if extra is not None:
            extra.__exit__(*exc)


class JitError(RuntimeError):
    """A function cannot be traced or replayed faithfully; the message says why and where."""


def refuse_inside_jit(what: str) -> None:
    """Debugging modes cannot be replayed: refuse them while a jitted function records."""
    if hasattr(_state.watch, "backward_pass"):  # the jit's recorder
        raise JitError(f"jit: {what} cannot run inside a jitted function: call the function without jit to debug it")


def is_grad_enabled() -> bool:
    """True when new operations are recorded on the graph (the default)."""
    return _state.enabled


class no_grad(ModeSwitch):  # noqa: N801 - PyTorch's name
    """Context manager and decorator that stops recording operations.

    Inside it every result is a constant (``requires_grad=False``): use it for
    inference (``predict``) and for parameter updates (``W1 -= lr * dW1``).
    """

    mode = "enabled"

    def value(self) -> bool:
        return False


class enable_grad(ModeSwitch):  # noqa: N801 - PyTorch's name
    """Context manager and decorator that records operations again inside ``no_grad``."""

    mode = "enabled"

    def value(self) -> bool:
        return True
