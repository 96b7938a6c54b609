"""How the jit compares what two recordings read: array values, without temporaries the size of the array.

Two recordings of a step must read the same constants (a NumPy value computed in the step, a mask
given to an op). A fingerprint keeps each as a ``Value``: a copy when small, a digest of its
values when large (an outside X of 20 MB would otherwise be held twice over, and compared
through ``array_equal``'s temporaries, for the life of the jitted function).
"""

from __future__ import annotations

import hashlib

import numpy as np

BLOCK_BYTES = 1 << 20  # arrays are compared and hashed a block of rows at a time: temporaries stay this small
SMALL_BYTES = 1 << 16  # a constant up to this size is kept as a copy; a larger one as a digest of its values


def _blocks(x: np.ndarray) -> list[np.ndarray]:
    """``x`` as slices along its first axis of about BLOCK_BYTES each (views, no copies)."""
    if x.ndim == 0 or x.nbytes <= BLOCK_BYTES:
        return [x]
    rows = max(1, BLOCK_BYTES * x.shape[0] // x.nbytes)
    if rows == 1 and x.ndim > 1:  # one row is already too large (a (1, m) array): its rows' blocks
        return [b for i in range(x.shape[0]) for b in _blocks(x[i])]
    return [x[i:i + rows] for i in range(0, x.shape[0], rows)]


def same(x: np.ndarray, y: np.ndarray) -> bool:
    """Same shape, dtype and values (NaN equal to NaN), block by block: no temporaries the size of ``x``."""
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if x is y:
        return True
    nan = x.dtype.kind in "fc"
    return all(np.array_equal(u, v, equal_nan=nan) for u, v in zip(_blocks(x), _blocks(y)))


def _canonical(block: np.ndarray) -> np.ndarray:
    """A contiguous block whose bytes are equal wherever ``_same`` calls the values equal (-0.0 and 0.0, NaNs)."""
    if block.dtype.kind in "fc":
        block = np.where(np.isnan(block), np.array(np.nan, block.dtype), block) + block.dtype.type(0)
    return np.ascontiguousarray(block)


class Value:
    """An array's value as a fingerprint keeps it: a copy when small, else shape, dtype and a 256-bit digest
    of its values (equal digests: equal values, but for a collision no one will meet)."""

    __slots__ = ("shape", "dtype", "copy", "digest")

    def __init__(self, a: np.ndarray):
        self.shape, self.dtype = a.shape, a.dtype
        self.copy: np.ndarray | None = a.copy() if a.nbytes <= SMALL_BYTES else None
        self.digest: bytes | None = None
        if self.copy is None:
            h = hashlib.blake2b(digest_size=32)
            for block in _blocks(a):
                h.update(_canonical(block).data)
            self.digest = h.digest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Value) or self.shape != other.shape or self.dtype != other.dtype:
            return False
        if self.copy is not None and other.copy is not None:
            return same(self.copy, other.copy)
        return self.digest == other.digest

    __hash__ = None  # type: ignore[assignment]
