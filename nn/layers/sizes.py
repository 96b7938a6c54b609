"""Every layer's size check, in one place: a layer whose parameters cannot fit in memory is refused before allocating.

Each layer that holds arrays (``Linear``, ``Conv2D``, ``BatchNorm``, ``Embedding``, the recurrent layers) and
``MLP`` (all its layers together) describes what it will allocate as a ``Footprint`` and calls ``check`` before
drawing anything, then allocates inside ``allocating``. Too many float64 bytes for this machine's memory is a
ValueError naming the layer as it was called, its arrays in course notation, the number of parameters and the
bytes, the limit and what to make smaller::

    Linear(1000000, 1000000): W[l] (n[l], n[l-1]) = (1000000, 1000000) and b[l] (n[l], 1) = (1000000, 1) have
    1,000,001,000,000 parameters, 8,000,008,000,000 bytes (8.0 TB) as float64, more than this machine's memory
    (67.4 GB): make n_in or n_out smaller

An allocation that fails anyway (memory taken by other programs) raises MemoryError with the same description
instead of NumPy's bare one. Bytes are written as the engine's factories write them (``tinygrad_nb.zeros``):
the exact count, then decimal units (1 GB = 10**9 bytes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

FLOAT64_BYTES = 8


@dataclass(frozen=True)
class Footprint:
    """What a layer is about to allocate, described for a message.

    Attributes:
        call: the layer as it was called, ``"Conv2D(3, 8, 5)"``.
        arrays: its parameters in course notation, ``("W (f, f, n_C_prev, n_C) = (5, 5, 3, 8)", ...)``.
        parameters: their number of entries.
        fix: what to make smaller, ``"make n_in or n_out smaller"``.
        buffers: entries held besides the parameters (BatchNorm's running averages), described by ``buffers_text``.
    """

    call: str
    arrays: tuple[str, ...]
    parameters: int
    fix: str
    buffers: int = 0
    buffers_text: str = ""

    @property
    def nbytes(self) -> int:
        """The float64 bytes of the parameters and buffers."""
        return FLOAT64_BYTES * (self.parameters + self.buffers)

    def describe(self) -> str:
        """``W[1] (n[1], n[0]) = (4, 2) and b[1] (n[1], 1) = (4, 1) have 12 parameters, 96 bytes as float64``."""
        names = self.arrays[0] if len(self.arrays) == 1 else ", ".join(self.arrays[:-1]) + f" and {self.arrays[-1]}"
        verb = "has" if len(self.arrays) == 1 else "have"
        text = f"{names} {verb} {self.parameters:,} parameters"
        if self.buffers:
            return f"{text}, and {self.buffers_text} hold {self.buffers:,} more: {bytes_text(self.nbytes)} as float64"
        return f"{text}, {bytes_text(self.nbytes)} as float64"


def check(footprint: Footprint) -> None:
    """Refuse ``footprint`` (ValueError) when its bytes exceed this machine's memory; nothing where the OS does not
    say how much memory there is. NumPy would raise a MemoryError naming no layer, or the OS swap and kill."""
    limit = physical_memory()
    if limit is not None and footprint.nbytes > limit:
        raise ValueError(f"{footprint.call}: {footprint.describe()}, more than this machine's memory "
                         f"({short_bytes(limit)}): {footprint.fix}")


@contextmanager
def allocating(footprint: Footprint) -> Iterator[None]:
    """Run the allocation of ``footprint``: a MemoryError in it (the memory is there but not free) is re-raised
    naming the layer, its arrays and their bytes."""
    try:
        yield
    except MemoryError:
        raise MemoryError(f"{footprint.call}: {footprint.describe()}; there was not enough free memory for it: "
                          f"{footprint.fix}") from None


def physical_memory() -> int | None:
    """This machine's memory in bytes, None where the OS does not say (then no size is refused in advance)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows) or no such name
        return None


def short_bytes(n: int) -> str:
    """A byte count in decimal units, as the engine writes them: ``67.4 GB``, ``8.0 TB``; ``968 bytes`` below 1 MB."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def bytes_text(n: int) -> str:
    """The exact count with the short form: ``8,000,008,000,000 bytes (8.0 TB)``; ``968 bytes`` below 1 MB."""
    return f"{n:,} bytes" if n < 10**6 else f"{n:,} bytes ({short_bytes(n)})"


# ----- the footprints of the layers, in the course's notation --------------------------------------------------

def _layer(l: int | None) -> tuple[str, str]:
    """("l", "l-1") for an unnumbered layer, ("3", "2") for layer 3: the indices of n[l] and n[l-1]."""
    return ("l", "l-1") if l is None else (str(l), str(l - 1))


def linear(n_in: int, n_out: int, l: int | None = None, who: str = "Linear") -> Footprint:
    """W[l] (n[l], n[l-1]) and b[l] (n[l], 1) of ``Linear(n_in, n_out)``, layer ``l`` (None: unnumbered)."""
    at, before = _layer(l)
    return Footprint(f"{who}({n_in}, {n_out})",
                     (f"W[{at}] (n[{at}], n[{before}]) = ({n_out}, {n_in})", f"b[{at}] (n[{at}], 1) = ({n_out}, 1)"),
                     n_out * n_in + n_out, "make n_in or n_out smaller")


def conv2d(n_C_prev: int, n_C: int, f: int, l: int | None = None) -> Footprint:
    """The filters W[l] (f, f, n_C_prev, n_C) and biases b[l] (1, 1, 1, n_C) of ``Conv2D(n_C_prev, n_C, f)``."""
    W, b = ("W", "b") if l is None else (f"W[{l}]", f"b[{l}]")
    return Footprint(f"Conv2D({n_C_prev}, {n_C}, {f})",
                     (f"{W} (f, f, n_C_prev, n_C) = ({f}, {f}, {n_C_prev}, {n_C})",
                      f"{b} (1, 1, 1, n_C) = (1, 1, 1, {n_C})"),
                     f * f * n_C_prev * n_C + n_C, "make n_C_prev, n_C or f smaller")


def batchnorm(n: int, layout: str) -> Footprint:
    """gamma and beta, and the buffers running_mean and running_var: (n, 1) each, or (1, 1, 1, n_C) for conv."""
    shape = f"(n, 1) = ({n}, 1)" if layout == "dense" else f"(1, 1, 1, n_C) = (1, 1, 1, {n})"
    call = f"BatchNorm({n})" if layout == "dense" else f"BatchNorm({n}, layout='conv')"
    return Footprint(call, (f"gamma {shape}", f"beta {shape}"), 2 * n, "make n smaller",
                     buffers=2 * n, buffers_text="the buffers running_mean and running_var")


def embedding(n_vocab: int, n_e: int) -> Footprint:
    """The embedding matrix E (n_e, n_vocab) of ``Embedding(n_vocab, n_e)``."""
    return Footprint(f"Embedding({n_vocab}, {n_e})", (f"the embedding matrix E (n_e, n_vocab) = ({n_e}, {n_vocab})",),
                     n_e * n_vocab, "make n_vocab or n_e smaller")


def rnn(who: str, n_x: int, n_a: int, n_y: int) -> Footprint:
    """Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1) of ``RNN(n_x, n_a, n_y)``."""
    return Footprint(f"{who}({n_x}, {n_a}, {n_y})",
                     (f"Wax (n_a, n_x) = ({n_a}, {n_x})", f"Waa (n_a, n_a) = ({n_a}, {n_a})",
                      f"Wya (n_y, n_a) = ({n_y}, {n_a})", f"ba (n_a, 1) = ({n_a}, 1)", f"by (n_y, 1) = ({n_y}, 1)"),
                     n_a * n_x + n_a * n_a + n_y * n_a + n_a + n_y, "make n_x, n_a or n_y smaller")


def lstm(who: str, n_x: int, n_a: int, n_y: int) -> Footprint:
    """The four gates' Wf, Wi, Wc, Wo (n_a, n_a + n_x) and bf, bi, bc, bo (n_a, 1), and Wy (n_y, n_a), by (n_y, 1)."""
    return Footprint(f"{who}({n_x}, {n_a}, {n_y})",
                     (f"Wf, Wi, Wc, Wo (n_a, n_a + n_x) = ({n_a}, {n_a + n_x}) each",
                      f"bf, bi, bc, bo (n_a, 1) = ({n_a}, 1) each", f"Wy (n_y, n_a) = ({n_y}, {n_a})",
                      f"by (n_y, 1) = ({n_y}, 1)"),
                     4 * (n_a * (n_a + n_x) + n_a) + n_y * n_a + n_y, "make n_x, n_a or n_y smaller")


def mlp(dims: Sequence[int]) -> Footprint:
    """All of ``MLP(dims)``'s W[l] (n[l], n[l-1]) and b[l] (n[l], 1), l = 1..L, with the largest named in the fix."""
    L = len(dims) - 1
    per_layer = [dims[l] * dims[l - 1] + dims[l] for l in range(1, L + 1)]
    l = 1 + max(range(L), key=per_layer.__getitem__)
    side = l if dims[l] >= dims[l - 1] else l - 1
    arrays = linear(dims[0], dims[1], 1).arrays if L == 1 else (f"W[1] .. W[{L}]", f"b[1] .. b[{L}]")
    return Footprint(f"MLP({list(dims)})", arrays, sum(per_layer),
                     f"the largest layer is W[{l}] (n[{l}], n[{l - 1}]) = ({dims[l]}, {dims[l - 1]}), "
                     f"{per_layer[l - 1]:,} parameters with b[{l}]: make n[{side}] smaller")
