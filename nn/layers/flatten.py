"""``Flatten``: (d1, ..., m) -> (d1 d2 ..., m), the examples kept in the last axis (the course's layout).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.layers.dense import as_input
from nn.layers.module import Module
from tinygrad_nb import Tensor


class Flatten(Module):
    """(d1, d2, ..., m) -> (d1 d2 ..., m): every example, a column, flattened; the m examples stay in the LAST axis.

    The course's layout puts the examples last, so this is not PyTorch's ``Flatten`` (which
    keeps the FIRST axis). Example i's entries are read in C order, as the course's
    ``X.reshape(X.shape[0], -1).T`` does for images stored (m, 64, 64, 3): with those images
    moved to (64, 64, 3, m) (``X.transpose(1, 2, 3, 0)``), ``Flatten()`` gives the same
    (12288, m). A 2-D input (n, m) passes through unchanged. The output keeps the input's
    name (X stays X); the engine's ``Tensor.reshape`` and ``transpose`` do the rest.
    """

    def forward(self, A: Any) -> Tensor:
        A = as_input(A, "X")
        if A.ndim < 2:
            raise ValueError(f"Flatten: expected an input (d1, ..., m) with the m examples in the last axis, "
                             f"got shape {A.shape}; for one feature per example write X.reshape(1, m)")
        if A.ndim == 2:
            return A
        m = A.shape[-1]
        out = A.reshape(int(np.prod(A.shape[:-1])), m)
        out.name = A.name
        return out
