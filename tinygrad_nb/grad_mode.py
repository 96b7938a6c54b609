"""Per-thread modes of the engine: recording (``no_grad``, ``enable_grad``), and the switches
that ``detect_anomaly`` and ``explain`` turn on.

Modes are per thread, as in PyTorch: a ``no_grad`` block in one thread does not switch
recording off in another.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any


class _GradState(threading.local):
    enabled: bool = True  # record operations on the graph
    anomaly: bool = False  # check every forward and backward result for NaN and Inf
    explain: Any = None  # a file to print each chain-rule step to, or None


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
