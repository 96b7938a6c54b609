"""``Flatten``: course 4's images (m, n_H, n_W, n_C) -> (n_H n_W n_C, m), the course's ``X.reshape(X.shape[0], -1).T``.
"""

from __future__ import annotations

import math
from typing import Any

from nn.layers.dense import as_input
from nn.layers.module import Module
from tinygrad_nb import Tensor


class Flatten(Module):
    """(m, n_H, n_W, n_C) -> (n_H n_W n_C, m): each example flattened into a column, for the dense layers after it.

    The examples come FIRST in an input of 3 or more axes (course 4's images, as the conv and
    pool layers output them and as the course loads the cat pictures, (m, 64, 64, 3)) and LAST
    in the output, the dense layers' (n, m): exactly the course's ``X.reshape(X.shape[0], -1).T``
    (each image read row by row, its channels innermost). A 2-D input (n, m) is already in the
    dense layout and passes through unchanged. So ``Sequential(Conv2D(...), ReLU(), MaxPool2D(2),
    Flatten(), Linear(n_H n_W n_C, 1), Sigmoid())`` chains, and ``Sequential(Flatten(), Linear(12288, 1),
    Sigmoid())`` takes the cat images as loaded. The output keeps the input's name (X stays X);
    the engine's ``Tensor.reshape`` and ``.T`` do the rest (and the gradient flows back through them).
    """

    def forward(self, A: Any) -> Tensor:
        A = as_input(A, "X")
        if A.ndim < 2:
            raise ValueError(f"Flatten: expected images (m, n_H, n_W, n_C) or a matrix (n, m), got shape {A.shape}; "
                             "for one feature per example write X.reshape(1, m)")
        if A.ndim == 2:
            return A
        out = A.reshape(A.shape[0], math.prod(A.shape[1:])).T
        out.name = A.name
        return out

    @staticmethod
    def output_shape(shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """(n_H n_W n_C, m) for an input of ``shape`` (m, n_H, n_W, n_C) (None where a size is not known);
        a 2-D shape unchanged."""
        if len(shape) < 3:
            return tuple(shape)
        rest = shape[1:]
        return (None if any(n is None for n in rest) else math.prod(rest), shape[0])
