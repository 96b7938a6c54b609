"""Binary arithmetic: ``+ - * / ** @``. Each op: forward, then its derivative.

Gradients may come back in the broadcast shape; the engine reduces them to each input's
shape (``b1`` of shape (n[1], 1) gets db1 summed over the m columns).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinygrad_nb.function import Function, ShapeError, describe
from tinygrad_nb.ops import dual

if TYPE_CHECKING:
    from tinygrad_nb._tensor import Tensor


class Add(Function):
    """a + b (broadcast); d/da = d/db = 1."""

    symbol = "+"

    def forward(self, a, b):
        return a + b

    def backward(self, g, out, a, b):
        return g, g

    def explain(self, out, ins):
        return [(0, f"d{out}"), (1, f"d{out}")]


class Sub(Function):
    """a - b (broadcast); d/da = 1, d/db = -1."""

    symbol = "-"

    def forward(self, a, b):
        return a - b

    def backward(self, g, out, a, b):
        return g, (-g if self.needs_input_grad[1] else None)

    def explain(self, out, ins):
        return [(0, f"d{out}"), (1, f"-d{out}")]


class Mul(Function):
    """a * b (broadcast); d/da = b, d/db = a."""

    symbol = "*"

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        ga, gb = self.needs_input_grad
        return (g * b if ga else None), (g * a if gb else None)

    def explain(self, out, ins):
        return [(0, f"d{out} * {ins[1]}"), (1, f"d{out} * {ins[0]}")]


class Div(Function):
    """a / b (broadcast); d/da = 1/b, d/db = -a/b^2."""

    symbol = "/"

    def forward(self, a, b):
        return a / b

    def backward(self, g, out, a, b):  # d(a/b)/db = -a/b^2 = -out/b
        ga, gb = self.needs_input_grad
        return (g / b if ga else None), (-g * out / b if gb else None)

    def explain(self, out, ins):
        return [(0, f"d{out} / {ins[1]}"), (1, f"-d{out} * {out} / {ins[1]}")]


class Pow(Function):
    """a ** b (broadcast); d/da = b a^(b-1), d/db = a^b ln a; both 0 where the formula reads 0 * inf.

    As in PyTorch: d/da is 0 where b = 0 (x**0 is constant, even at x = 0), and d/db is 0
    where a = 0 and b >= 0 (0**b is constant there). The masks are constants shifting the
    exponent and the log's argument, so the same rule runs on arrays and Tensors.
    """

    symbol = "**"

    def forward(self, a, b):
        b_zero, a_zero = b == 0, (a == 0) & (b >= 0)
        self.b_is_zero = b_zero if b_zero.any() else 0  # the exponent b-1 becomes 0 there: b * a^0 = 0
        self.a_is_zero = a_zero if a_zero.any() else 0  # ln(a + 1) = 0 there
        return a**b

    def backward(self, g, out, a, b):  # d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b ln a
        ga, gb = self.needs_input_grad
        return ((g * b * a ** (b - 1 + self.b_is_zero) if ga else None),
                (g * out * dual.log(a + self.a_is_zero) if gb else None))


def check_matrix_product(op: str, W: Tensor, A: Tensor) -> None:
    """W @ A must be a product of 2-D matrices with matching inner dimensions (course layout)."""
    w, a = W.data.shape, A.data.shape
    if len(w) != 2 or len(a) != 2:
        raise ShapeError(f"{op}: {describe(W)} @ {describe(A)}: both operands must be 2-D matrices "
                         "(course layout: W is (n[l], n[l-1]), A is (n[l-1], m))")
    if w[1] != a[0]:
        raise ShapeError(f"{op}: {describe(W)} @ {describe(A)}: inner dimensions {w[1]} and {a[0]} differ")


class Matmul(Function):
    """Z = W @ A for 2-D operands: (n[l], n[l-1]) @ (n[l-1], m) -> (n[l], m)."""

    symbol = "@"

    @classmethod
    def apply(cls, *inputs: Tensor, **attrs: Any) -> Tensor:
        check_matrix_product("matmul", *inputs)
        return super().apply(*inputs)

    def forward(self, a, b):
        return a @ b

    def backward(self, g, out, a, b):  # dW = dZ A^T;  dA_prev = W^T dZ
        ga, gb = self.needs_input_grad
        return (g @ b.T if ga else None), (a.T @ g if gb else None)

    def explain(self, out, ins):
        return [(0, f"d{out} {ins[1]}^T"), (1, f"{ins[0]}^T d{out}")]

