"""``Flatten``: course 4's images (m, n_H, n_W, n_C) -> (n_H n_W n_C, m), the course's ``X.reshape(X.shape[0], -1).T``.
"""

from __future__ import annotations

import math
from typing import Any

from nn import validate
from nn.layers.dense import as_input
from nn.layers.module import Module
from tinygrad_nb import Tensor

_LAYOUT = ("Flatten takes images (m, n_H, n_W, n_C), the examples first, to (n_H n_W n_C, m), the course's one "
           "example per column, flattening every axis after the examples' (X.reshape(m, -1).T), so that the Linear "
           "layers after it get a matrix (n, m); only PyTorch's defaults Flatten(start_dim=1, end_dim=-1) mean that")


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

    PyTorch's ``Flatten(start_dim=1, end_dim=-1)`` is accepted with its defaults, which mean the same:
    every axis after the examples' axis is flattened. Any other ``start_dim`` or ``end_dim`` is refused with
    the layout explained: the dense layers after Flatten take one matrix (n, m), so all of an example's
    axes become its column (for another reshape use ``A.reshape(...)``).

    Args:
        start_dim: 1, the first axis after the examples' (the only value accepted).
        end_dim: -1, or the last axis counted from 0 (checked against the input).
    """

    end_dim: int

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        start_dim = validate.integer("Flatten: start_dim", start_dim)
        end_dim = validate.integer("Flatten: end_dim", end_dim)
        if start_dim != 1:
            raise ValueError(f"Flatten: start_dim must be 1, got {start_dim}: {_LAYOUT}" + (
                "; start_dim=0 would mix the m examples into one column" if start_dim in (0, -4) else ""))
        if end_dim not in (-1,) and end_dim < 1:
            raise ValueError(f"Flatten: end_dim must be -1 (the last axis), got {end_dim}: {_LAYOUT}")
        object.__setattr__(self, "end_dim", end_dim)

    def forward(self, A: Any) -> Tensor:
        A = as_input(A, "X")
        if self.end_dim != -1 and self.end_dim != A.ndim - 1:
            raise ValueError(f"Flatten: end_dim={self.end_dim} is not the last axis of the input {A.shape} "
                             f"(axis {A.ndim - 1}): {_LAYOUT}")
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
