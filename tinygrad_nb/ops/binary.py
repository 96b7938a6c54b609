"""Binary arithmetic: ``+ - * / ** @``. Each op: forward, then its derivative.

Gradients may come back in the broadcast shape; the engine reduces them to each input's
shape (``b1`` of shape (n[1], 1) gets db1 summed over the m columns).
"""

from __future__ import annotations

from tinygrad_nb.function import Function, ShapeError, describe
from tinygrad_nb.ops import dual


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
    """a ** b (broadcast); d/da = b a^(b-1), d/db = a^b ln a."""

    symbol = "**"

    def forward(self, a, b):
        return a**b

    def backward(self, g, out, a, b):  # d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b ln a
        ga, gb = self.needs_input_grad
        return (g * b * a ** (b - 1) if ga else None), (g * out * dual.log(a) if gb else None)


class Matmul(Function):
    """Z = W @ A for 2-D operands: (n[l], n[l-1]) @ (n[l-1], m) -> (n[l], m)."""

    symbol = "@"

    @classmethod
    def apply(cls, a, b):
        if a.ndim != 2 or b.ndim != 2:
            raise ShapeError(f"matmul: {describe(a)} @ {describe(b)}: both operands must be 2-D matrices "
                             "(course layout: W is (n[l], n[l-1]), A is (n[l-1], m))")
        if a.shape[1] != b.shape[0]:
            raise ShapeError(f"matmul: {describe(a)} @ {describe(b)}: inner dimensions "
                             f"{a.shape[1]} and {b.shape[0]} differ")
        return super().apply(a, b)

    def forward(self, a, b):
        return a @ b

    def backward(self, g, out, a, b):  # dW = dZ A^T;  dA_prev = W^T dZ
        ga, gb = self.needs_input_grad
        return (g @ b.T if ga else None), (a.T @ g if gb else None)

    def explain(self, out, ins):
        return [(0, f"d{out} {ins[1]}^T"), (1, f"{ins[0]}^T d{out}")]

