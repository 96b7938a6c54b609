"""The course's linear step as one op: its forward and its ``linear_backward`` side by side.

Z = W A_prev + b  for W (n[l], n[l-1]), A_prev (n[l-1], m), b (n[l], 1).
Backward (with the 1/m already inside dZ, since J is the mean cost):
    dW = dZ A_prev^T,   db = sum(dZ, axis=1, keepdims=True),   dA_prev = W^T dZ.
One op instead of ``W @ A_prev + b`` halves the bookkeeping of a layer (the training
step's hot path) and needs no broadcast reduction for b.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinygrad_nb.explain_mode import COURSE_ACTIVATION
from tinygrad_nb.function import Function, ShapeError, describe
from tinygrad_nb.ops import dual
from tinygrad_nb.ops.binary import check_matrix_product

if TYPE_CHECKING:
    from tinygrad_nb._tensor import Tensor


class Linear(Function):
    """Z = W A_prev + b: W (n[l], n[l-1]), A_prev (n[l-1], m), b (n[l], 1) -> Z (n[l], m)."""

    @classmethod
    def apply(cls, *inputs: Tensor, **attrs: Any) -> Tensor:
        W, A_prev, b = inputs
        check_matrix_product("linear", W, A_prev)
        if b.data.shape != (W.data.shape[0], 1):
            raise ShapeError(f"linear: {describe(b)} must have shape ({W.data.shape[0]}, 1) to match {describe(W)}")
        return super().apply(W, A_prev, b)

    def forward(self, W, A_prev, b):
        Z = W @ A_prev
        Z += b  # in place: Z is new, so this saves one temporary of shape (n[l], m)
        return Z

    def backward(self, dZ, Z, W, A_prev, b):
        need_W, need_A, need_b = self.needs_input_grad
        return ((dZ @ A_prev.T if need_W else None),
                (W.T @ dZ if need_A else None),
                (dual.sum_rows(dZ) if need_b else None))

    def explain(self, Z, ins):
        """The course's linear_backward. The 1/m is there when dZ is the course's m * dJ/dZ (Z named Z[l]); for
        any other Z, say an RNN's, dZ is dJ/dZ and the formulas are rnn_cell_backward's dWax = dz x<t>^T, ..."""
        W, A_prev, b = ins
        scaled_out, scaled_in = bool(COURSE_ACTIVATION.match(Z)), bool(COURSE_ACTIVATION.match(A_prev))
        mean = "1/m " if scaled_out else ""
        back = "" if scaled_out == scaled_in else "m " if scaled_in else "1/m "
        return [(0, f"{mean}d{Z} {A_prev}^T"), (2, f"{mean}sum(d{Z}, axis=1, keepdims=True)"), (1, f"{back}{W}^T d{Z}")]
