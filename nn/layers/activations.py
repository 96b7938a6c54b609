"""Activations g, A[l] = g(Z[l]) elementwise: sigmoid, tanh, ReLU, leaky ReLU, softmax, identity.

Each is a ``Module`` with no parameters; ``activation("relu")`` builds one by name.
"""

from __future__ import annotations

from typing import Any

from nn import validate
from nn.layers.dense import as_input
from nn.layers.module import Module
from tinygrad_nb import Tensor


class Activation(Module):
    """A[l] = g(Z[l]) elementwise; ``kind`` names g for the closed-form reference and the graph."""

    kind: str = ""

    def forward(self, Z: Any) -> Tensor:
        return self.g(Z if isinstance(Z, Tensor) else as_input(Z, "Z"))

    def g(self, Z: Tensor) -> Tensor:
        raise NotImplementedError


class Sigmoid(Activation):
    """A = 1 / (1 + e^-Z); the course's output unit for binary classification."""

    kind = "sigmoid"

    def g(self, Z: Tensor) -> Tensor:
        return Z.sigmoid()


class Tanh(Activation):
    """A = tanh(Z); the course's hidden unit in the planar example."""

    kind = "tanh"

    def g(self, Z: Tensor) -> Tensor:
        return Z.tanh()


class ReLU(Activation):
    """A = max(Z, 0); relu'(0) = 0 as the course's relu_backward."""

    kind = "relu"

    def g(self, Z: Tensor) -> Tensor:
        return Z.relu()


class LeakyReLU(Activation):
    """A = Z where Z > 0, else slope * Z."""

    kind = "leaky_relu"

    def __init__(self, slope: float = 0.01):
        super().__init__()
        self.slope = validate.number("LeakyReLU: slope", slope, low=0, high=1, high_open=True)

    def g(self, Z: Tensor) -> Tensor:
        return Z.leaky_relu(self.slope)

    def config(self) -> dict[str, Any]:
        return {"type": "LeakyReLU", "slope": self.slope}

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class Softmax(Activation):
    """A = softmax(Z) over ``axis`` (0: over the classes of each example column)."""

    kind = "softmax"

    def __init__(self, axis: int = 0):
        super().__init__()
        self.axis = validate.integer("Softmax: axis", axis, low=-2, high=1)

    def g(self, Z: Tensor) -> Tensor:
        return Z.softmax(self.axis)

    def config(self) -> dict[str, Any]:
        return {"type": "Softmax", "axis": self.axis}


class Identity(Activation):
    """A = Z (a linear output, e.g. for regression or for logits).

    It returns Z itself, not a copy, so in a Sequential the output keeps the name Z{l}.
    """

    kind = "identity"

    def g(self, Z: Tensor) -> Tensor:
        return Z


ACTIVATIONS: dict[str, type[Activation]] = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "softmax": Softmax,
    "identity": Identity, "linear": Identity,
}


def activation(name: str, slope: float = 0.01) -> Activation:
    """An activation module by name: sigmoid, tanh, relu, leaky_relu, softmax, identity (or linear)."""
    if not isinstance(name, str):
        raise TypeError(f"an activation is named by a string such as 'relu', got {name!r}")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return LeakyReLU(slope) if name == "leaky_relu" else ACTIVATIONS[name]()
