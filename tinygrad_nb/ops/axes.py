"""Axis arguments, checked and made non-negative in one place for every op that takes them.

NumPy accepts negative axes and so do the ops, but a backward rule computes with axes
(an inverse permutation, the shape a reduction kept), and there ``-1`` and ``ndim - 1``
must be the same number. Every op turns its axes into non-negative ints here first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nb.function import InputError


def axis_index(op: str, axis: Any, ndim: int) -> int:
    """One axis in ``range(ndim)``; -1 is the last."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise InputError(f"{op}: axis must be an int, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise InputError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return int(axis) % ndim


def axis_tuple(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """The axes a reduction runs over, sorted: None means all of them; an int or a tuple of distinct ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = tuple(sorted(axis_index(op, a, ndim) for a in axes))
    if len(set(out)) != len(out):
        raise InputError(f"{op}: axis {axis!r} names an axis twice")
    return out


def permutation(op: str, axes: Any, ndim: int) -> tuple[int, ...]:
    """A permutation of ``range(ndim)`` (reversed when None), each axis named once."""
    if axes is None:
        return tuple(range(ndim))[::-1]
    out = tuple(axis_index(op, a, ndim) for a in axes)
    if sorted(out) != list(range(ndim)):
        raise InputError(f"{op}: axes {tuple(axes)!r} are not a permutation of the {ndim} axes")
    return out
