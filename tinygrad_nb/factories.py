"""Tensors made from data or a shape: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``linspace``,
``randn``, ``rand``, ``randint``.

PyTorch's factories with NumPy's defaults: float64 unless ``dtype`` says otherwise, and
``requires_grad`` and ``name`` keywords. The random ones take ``rng`` (see ``tinygrad_nb.random_state``):
None for NumPy's global generator (so ``np.random.seed(1)`` or ``tinygrad_nb.manual_seed(1)`` makes
them reproducible, with the course's exact draws), an int seed for a fresh ``RandomState``, or a
``numpy.random.Generator`` / ``RandomState`` of your own.

    W1 = tinygrad_nb.randn(4, 2, rng=1, requires_grad=True, name="W1")   # (n[1], n[0])
    x = tinygrad_nb.linspace(-np.pi, np.pi, 2000)

Every factory checks its arguments first, and refuses a size that cannot fit in this machine's
memory before NumPy tries to allocate it (with the number of elements and bytes in the message).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from tinygrad_nb._tensor import Tensor
from tinygrad_nb.random_state import RNG, default_rng_of


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _memory_bytes() -> int:
    """This machine's physical memory in bytes (2**48, an address space, where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return 2**48


def _bytes_text(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def _check_size(op: str, what: str, count: float, dtype: np.dtype) -> None:
    """Refuse ``count`` elements of ``dtype`` when they exceed physical memory (NumPy would raise a
    MemoryError naming no function, or, with overcommit, the OS would kill the process later)."""
    nbytes = count * dtype.itemsize
    if nbytes > _memory_bytes():
        raise ValueError(f"{op}: {what} asks for {int(count):,} elements, {int(nbytes):,} bytes "
                         f"({_bytes_text(nbytes)}) as {dtype}, more than this machine's memory "
                         f"({_bytes_text(_memory_bytes())})")


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(np.float64 if dtype is None else dtype)
    except TypeError as e:
        raise TypeError(f"{op}: dtype must be a float dtype (float16, float32, float64), got {dtype!r}") from e
    if dt.kind != "f":
        raise TypeError(f"{op}: dtype must be a float dtype (float16, float32, float64), got {dt}")
    return dt


def _shape(op: str, shape: tuple[Any, ...], arg: str = "shape") -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` as (2, 3); every side a non-negative int."""
    dims = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    for n in dims:
        if not _is_int(n):
            raise TypeError(f"{op}: {arg} must be made of non-negative ints, got {dims!r}")
        if n < 0:
            raise ValueError(f"{op}: a shape is made of non-negative ints, got {dims!r} ({arg})")
    return tuple(int(n) for n in dims)


def _make(op: str, dims: tuple[int, ...], dtype: Any, fill: Any, requires_grad: bool, name: str | None) -> Tensor:
    """Check the size, then build ``fill(dims)`` (a float64 array) as a Tensor of ``dtype``."""
    dt = _float_dtype(op, dtype)
    _check_size(op, f"shape {dims}", math.prod(dims), dt)
    return Tensor(np.asarray(fill(dims), dtype=np.float64), requires_grad=requires_grad, name=name, dtype=dt)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """PyTorch's ``torch.tensor``: a new leaf Tensor holding a copy of ``data``.

    ``data`` is a number, a (nested) list, a ``numpy.ndarray`` or a Tensor (whose values are copied,
    detached from its graph). Unlike ``Tensor(ndarray)``, which shares a float array, the data is
    always copied, as ``torch.tensor`` does. Ints and bools become float64 unless ``dtype`` says.

        X = tinygrad_nb.tensor([[1.0, 2.0], [3.0, 4.0]])           # (n_x, m) = (2, 2)
        b1 = tinygrad_nb.tensor(np.zeros((3, 1)), requires_grad=True, name="b1")
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        data = data.copy()
    try:
        return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)
    except TypeError as e:  # Tensor's own message, under the name the user called
        raise TypeError(f"tensor: {e}") from e


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor of zeros, e.g. ``zeros(n1, 1)`` for b[1] (n[1], 1)."""
    return _make("zeros", _shape("zeros", shape), dtype, np.zeros, requires_grad, name)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor of ones, e.g. ``ones(n1, 1)``."""
    return _make("ones", _shape("ones", shape), dtype, np.ones, requires_grad, name)


def full(shape: Any, fill_value: float, *, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """A tensor of ``shape`` (an int or a tuple of ints, ``()`` for a scalar) holding ``fill_value``."""
    if _is_int(shape):
        shape = (shape,)
    elif not isinstance(shape, (tuple, list)):
        raise TypeError(f"full: shape must be an int or a tuple of non-negative ints, "
                        f"got {type(shape).__name__} {shape!r}")
    if not _is_real(fill_value):
        raise TypeError(f"full: fill_value must be a real number, got {type(fill_value).__name__} {fill_value!r}")
    value = float(fill_value)
    return _make("full", _shape("full", tuple(shape)), dtype, lambda dims: np.full(dims, value), requires_grad, name)


def _finite(op: str, name: str, value: Any) -> float:
    if not _is_real(value):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{op}: {name} must be finite, got {value!r}")
    return float(value)


def arange(start: float, stop: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Evenly spaced values in [start, stop) (``arange(n)`` is 0 .. n-1), as ``np.arange``, in float64.

    ``start``, ``stop`` and ``step`` are finite real numbers and ``step`` is not 0.
    """
    if stop is None:
        start, stop = 0, start
    _finite("arange", "start", start)
    _finite("arange", "stop", stop)
    if _finite("arange", "step", step) == 0:
        raise ValueError("arange: step must not be 0")
    count = max(0.0, math.ceil((float(stop) - float(start)) / float(step)))
    dt = _float_dtype("arange", dtype)
    _check_size("arange", f"start={start!r}, stop={stop!r}, step={step!r}", count, dt)
    values = np.arange(start, stop, step).astype(np.float64)
    return Tensor(values, requires_grad=requires_grad, name=name, dtype=dt)


def linspace(start: float, stop: float, num: int = 50, *, dtype: Any = None, requires_grad: bool = False,
             name: str | None = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop``, both included (``start``, ``stop`` finite)."""
    _finite("linspace", "start", start)
    _finite("linspace", "stop", stop)
    if not _is_int(num):
        raise TypeError(f"linspace: num must be a non-negative int, got {type(num).__name__} {num!r}")
    if num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    dt = _float_dtype("linspace", dtype)
    _check_size("linspace", f"num={num}", int(num), dt)
    return Tensor(np.linspace(start, stop, int(num)), requires_grad=requires_grad, name=name, dtype=dt)


def randn(*shape: Any, rng: RNG = None, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Standard normal samples (``randn(n1, n0) * 0.01`` is the course's small random W1 (n[1], n[0])).

    With ``rng=None`` they come from NumPy's global generator: after ``np.random.seed(1)`` this is
    exactly ``np.random.randn(n1, n0)``.
    """
    dims, gen = _shape("randn", shape), default_rng_of(rng, "randn")
    if isinstance(gen, np.random.Generator):
        return _make("randn", dims, dtype, gen.standard_normal, requires_grad, name)
    return _make("randn", dims, dtype, lambda d: gen.randn(*d), requires_grad, name)


def rand(*shape: Any, rng: RNG = None, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1) (``rng=None``: NumPy's global generator, as ``np.random.rand``)."""
    dims, gen = _shape("rand", shape), default_rng_of(rng, "rand")
    if isinstance(gen, np.random.Generator):
        return _make("rand", dims, dtype, gen.random, requires_grad, name)
    return _make("rand", dims, dtype, lambda d: gen.rand(*d), requires_grad, name)


def randint(low: int = 0, high: Any = None, size: Any = None, *, rng: RNG = None, dtype: Any = np.int64,
            name: str | None = None) -> Tensor:
    """Random integers in [low, high), PyTorch's ``torch.randint(low=0, high, size)``.

    ``randint(10, (3,))`` and ``randint(high=10, size=(3,))`` draw from [0, 10);
    ``randint(3, 10, (2, 2))`` from [3, 10). ``size`` is a tuple of ints (an int n means (n,)).
    The result is an int64 (or ``dtype``, an integer dtype) Tensor without gradient, like
    ``argmax``'s: use ``.double()`` for floats. ``rng=None`` draws from NumPy's global generator.
    """
    if high is None:
        low, high = 0, low
    elif size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    for arg, value in (("low", low), ("high", high)):
        if not _is_int(value):
            raise TypeError(f"randint: {arg} must be an int, got {type(value).__name__} {value!r}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"randint: name must be a str, got {type(name).__name__}")
    if size is None:
        raise TypeError("randint: size is required, a tuple such as (2, 3): randint(high, size) or "
                        "randint(low, high, size)")
    if not (_is_int(size) or isinstance(size, (tuple, list))):
        raise TypeError(f"randint: size must be a tuple of non-negative ints, got {type(size).__name__} {size!r}")
    dims = _shape("randint", (size,) if _is_int(size) else tuple(size), "size")
    if high <= low:
        raise ValueError(f"randint: high must be greater than low (the range is [low, high)), "
                         f"got low={low}, high={high}")
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"randint: dtype must be an integer dtype such as int64, got {dtype!r}") from e
    if dt.kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer dtype such as int64, got {dt}")
    info = np.iinfo(dt)
    if low < info.min or high - 1 > info.max:
        raise ValueError(f"randint: [low, high) = [{low}, {high}) does not fit in {dt} "
                         f"([{info.min}, {info.max}])")
    _check_size("randint", f"size {dims}", math.prod(dims), dt)
    gen = default_rng_of(rng, "randint")
    if isinstance(gen, np.random.Generator):
        data = gen.integers(int(low), int(high), size=dims, dtype=dt)
    else:
        data = gen.randint(int(low), int(high), size=dims, dtype=dt)
    return Tensor._wrap(np.asarray(data), name)
