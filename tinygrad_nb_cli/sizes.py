"""A bound on a network's size, checked before anything is allocated: absurd layer_dims get a message, not a hang.

A float64 entry takes 8 bytes. Training holds each W[l] several times over (the weights, dW and
an optimiser's state) and each (n[l], m) array (Z[l], A[l], dZ[l], dA[l]), so both counts are
capped at 20 million entries (160 MB per copy): the course's cat model [12288, 20, 7, 5, 1] has
246 thousand parameters and its largest (n[l], m) array, X, 2.6 million entries.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_PARAMETERS = 20_000_000
MAX_ACTIVATION = 20_000_000


def check_size(dims: Sequence[int], m: int, x_loaded: bool = False) -> None:
    """Raise ValueError, naming n[l], when layer_dims ``dims`` on m examples is too large to build.

    ``x_loaded``: X (n[0], m) is a dataset already in memory, so only A1 .. A[L] count.
    """
    parameters = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    if parameters > MAX_PARAMETERS:
        l = max(range(1, len(dims)), key=lambda k: dims[k] * dims[k - 1])
        raise ValueError(f"layer_dims {list(dims)} has {parameters:,} parameters, more than the "
                         f"{MAX_PARAMETERS:,} allowed: W{l} alone is (n[{l}], n[{l - 1}]) = ({dims[l]}, "
                         f"{dims[l - 1]}); make n[{l if dims[l] >= dims[l - 1] else l - 1}] smaller")
    l = max(range(1 if x_loaded else 0, len(dims)), key=lambda k: dims[k])
    if dims[l] * m > MAX_ACTIVATION:
        name = "X" if l == 0 else f"A{l}"
        raise ValueError(f"layer_dims {list(dims)} on m = {m} examples: {name} is (n[{l}], m) = ({dims[l]}, {m}), "
                         f"{dims[l] * m:,} entries, more than the {MAX_ACTIVATION:,} allowed; "
                         f"make n[{l}] or m smaller")
