"""The checks every public ``nn`` function runs on its numeric options, in one place.

A wrong type (a string, None, a bool where a number belongs) raises TypeError; a number
of the right type outside its range (0 layers, a negative learning rate, NaN) raises
ValueError. Each message is one line naming the option, what it must be and what it got::

    lr must be positive, got -0.1
    batch_size must be a positive int or None, got True
    keep_prob must be in (0, 1], got 2

A bool is never accepted as a number: ``True`` is an int to Python, not to a learner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, overload

import numpy as np


def is_int(value: Any) -> bool:
    """True for Python and NumPy ints, False for bools."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any) -> bool:
    """True for Python and NumPy ints and floats (NaN included), False for bools and everything else."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


@overload
def integer(name: str, value: Any, *, low: int | None = ..., high: int | None = ...,
            allow_none: Literal[False] = ...) -> int: ...
@overload
def integer(name: str, value: Any, *, low: int | None = ..., high: int | None = ...,
            allow_none: Literal[True]) -> int | None: ...
def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None,
            allow_none: bool = False) -> int | None:
    """``value`` as an int in [low, high] (either bound may be None), or None when ``allow_none``."""
    if value is None and allow_none:
        return None
    what = _int_phrase(low, high) + (" or None" if allow_none else "")
    if not is_int(value):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)


@overload
def positive_int(name: str, value: Any, *, allow_none: Literal[False] = ...) -> int: ...
@overload
def positive_int(name: str, value: Any, *, allow_none: Literal[True]) -> int | None: ...
def positive_int(name: str, value: Any, *, allow_none: bool = False) -> int | None:
    """``value`` as an int >= 1 (a count: units, iterations between prints, a batch size)."""
    if allow_none:
        return integer(name, value, low=1, allow_none=True)
    return integer(name, value, low=1)


def number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within the bounds; ``low_open`` / ``high_open`` exclude the bound itself.

    ``number("lr", lr, low=0, low_open=True)`` accepts lr > 0 and says "lr must be positive".
    """
    bounds = _range_phrase(low, high, low_open, high_open)
    if not is_number(value):
        what = "a positive number" if bounds == "positive" else f"a number {bounds}".rstrip()
        raise TypeError(f"{name} must be {what}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {bounds}, got {value!r}")
    return float(value)


def probability(name: str, value: Any) -> float:
    """``value`` in (0, 1], as ``keep_prob``."""
    return number(name, value, low=0, high=1, low_open=True)


def optional_bool(name: str, value: Any, meaning_of_none: str) -> bool | None:
    """``value`` True, False or None (``meaning_of_none`` says what None does), else TypeError."""
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{name} must be True, False or None ({meaning_of_none}), got {value!r}")
    return value


def choice(name: str, value: Any, options: Sequence[str]) -> str:
    """``value`` one of the strings ``options``, else ValueError listing them."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}, got {value!r}")
    return value


def _int_phrase(low: int | None, high: int | None) -> str:
    if low == 1 and high is None:
        return "a positive int"
    if low is not None and high is not None:
        return f"an int in [{low}, {high}]"
    if low is not None:
        return f"an int >= {low}"
    return "an int" if high is None else f"an int <= {high}"


def _range_phrase(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return "positive" if low == 0 and low_open else f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return ""
