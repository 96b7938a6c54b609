"""Whether operations are recorded on the graph: ``no_grad`` and ``enable_grad``.

Grad mode is per thread, as in PyTorch: a ``no_grad`` block in one thread does not
switch recording off in another.
"""

from __future__ import annotations

import contextlib
import threading


class _GradState(threading.local):
    enabled: bool = True


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations are recorded on the graph (the default)."""
    return _state.enabled


class _SetGradEnabled(contextlib.ContextDecorator):
    _mode: bool

    def __enter__(self) -> None:
        self._previous = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._previous


class no_grad(_SetGradEnabled):  # noqa: N801 - PyTorch's name
    """Context manager and decorator that stops recording operations.

    Inside it every result is a constant (``requires_grad=False``): use it for
    inference (``predict``) and for parameter updates (``W1 -= lr * dW1``).
    """

    _mode = False


class enable_grad(_SetGradEnabled):  # noqa: N801 - PyTorch's name
    """Context manager and decorator that records operations again inside ``no_grad``."""

    _mode = True
