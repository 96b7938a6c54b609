"""Dense layers: ``Linear`` (Z[l] = W[l] A[l-1] + b[l]) and the course's names for a layer's values.

Course layout throughout: A[l-1] is (n[l-1], m), one example per column; W[l] is
(n[l], n[l-1]); b[l] is (n[l], 1); Z[l] = W[l] A[l-1] + b[l]; A[l] = g(Z[l]).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nn import validate
from nn.layers import init as initialisers
from nn.layers import sizes
from nn.layers.module import Module, Numbering
from nn.layers.summary import Row, output_cell
from tinygrad_nb import ShapeError, Tensor, linear


def as_input(A: Any, name: str = "X") -> Tensor:
    """Accept a Tensor or a NumPy array as a layer's input; arrays become a constant Tensor named ``name``.

    An integer Tensor becomes a float one as an integer array does (``Tensor(A)``, a recorded conversion), so a
    jitted step, whose integer array arguments arrive as integer Tensors, computes in the eager step's dtype.
    """
    if isinstance(A, Tensor):
        return A if A.dtype.kind == "f" else Tensor(A, name=name)
    if isinstance(A, np.ndarray):
        return Tensor(A, name=name)
    raise TypeError(f"expected the input as a Tensor or a numpy.ndarray of shape (n_x, m), got {type(A).__name__}")


class Linear(Module):
    """Z[l] = W[l] A[l-1] + b[l], with W[l] of shape (n_out, n_in) and b[l] of shape (n_out, 1).

    Inside a Sequential or MLP the layer is named by the network asked: ``model.state_dict()``
    calls it W{l}, b{l} and its output Z{l} for the l at which that network runs it, so a layer
    (or a Sequential) that is part of two networks is numbered by each as its own. Nothing a
    network computes is stored on the layer.

    Args:
        n_in: n[l-1], the rows of the input A[l-1] (n[l-1], m).
        n_out: n[l], the units of this layer. Both sizes are required, in this order: ``Linear(10)`` is
            refused (TypeError) naming the course's order, and a W[l] larger than this machine's memory is
            refused (ValueError) with its parameters and bytes before anything is allocated.
        init: an initialiser name from ``nn.init`` or a callable ``f(shape, rng)``; b starts at zero.
        rng: an int seed, a RandomState or a Generator (the course: ``RandomState(1)``).
        index: the number l the layer has on its own (``MLP`` gives its layers theirs): used alone,
            it names its parameters W{l}, b{l} and its output Z{l}; None names them W, b and Z.
            A network numbers the layer itself, whatever ``index`` is.
    """

    index: int | None

    def __init__(self, n_in: int, n_out: int | None = None, init: str | Callable[..., np.ndarray] = "deep",
                 rng: initialisers.RNG = None, index: int | None = None):
        super().__init__()
        if n_out is None:  # Linear(10) meaning 10 units (Keras' Dense(10), PyTorch's LazyLinear(10))
            raise TypeError(f"Linear: got one size, n_in = {n_in!r}, but a Linear needs two, in the course's order "
                            f"Linear(n_in, n_out) = Linear(n[l-1], n[l]) (W[l] is (n[l], n[l-1])): e.g. "
                            f"Linear(n_x, {n_in!r}) for {n_in!r} units taking X (n_x, m)")
        self.n_in = validate.positive_int("Linear: n_in", n_in)
        self.n_out = validate.positive_int("Linear: n_out", n_out)
        footprint = sizes.linear(self.n_in, self.n_out, validate.positive_int("Linear: index", index, allow_none=True))
        sizes.check(footprint)
        with sizes.allocating(footprint):
            W = np.asarray(initialisers.get(init)((self.n_out, self.n_in), initialisers.as_rng(rng)),
                           dtype=np.float64)
            if W.shape != (self.n_out, self.n_in):
                raise ValueError(f"Linear: the initialiser returned shape {W.shape}, "
                                 f"expected {(self.n_out, self.n_in)}")
            self.W = Tensor(W, requires_grad=True)
            self.b = Tensor(np.zeros((self.n_out, 1)), requires_grad=True)
        self.set_index(index)

    def set_index(self, index: int | None) -> None:
        """Give the layer the number l it has on its own (see ``index``): W{l}, b{l}, Z{l} when used alone."""
        index = validate.positive_int("Linear: index", index, allow_none=True)
        object.__setattr__(self, "index", index)
        self.label_parameters(index)

    def label_parameters(self, l: int | None) -> None:
        """Set the display names of the tensors W and b (the labels a graph shows) to W{l} and b{l}.

        A Sequential calls this with its own number for the layer each time it runs it, so the
        graph of a forward pass reads as the network that ran it numbers it. The labels are
        only for display: parameter names (``state_dict``, files, exports) never come from them.
        """
        self.W.name, self.b.name = ("W", "b") if l is None else (course_name("W", l), course_name("b", l))

    def forward(self, A_prev: Any) -> Tensor:
        return self.apply_as(A_prev, self.index)

    def apply_as(self, A_prev: Any, l: int | None) -> Tensor:
        """Z{l} = W A_prev + b: the forward pass of this layer run as layer ``l`` of a network (None: on its own).

        ``l`` names the output Z{l} and the input A{l-1} in a shape error; nothing is stored.
        """
        A_prev = A_prev if isinstance(A_prev, Tensor) else as_input(A_prev, _input_name(l))
        try:
            Z = linear(self.W, A_prev, self.b)  # the op checks the shapes once
        except ShapeError as e:  # ... and the layer says it in course notation
            raise ValueError(self._shape_message(A_prev.shape, l)) from e
        Z.name = "Z" if l is None else course_name("Z", l)
        return Z

    def _shape_message(self, shape: tuple[int, ...], l: int | None) -> str:
        """Why an input of ``shape`` does not fit layer ``l``, in course notation; a transposed input is named."""
        label = "Linear" if l is None else f"Linear {l}"
        name = _input_name(l)
        message = (f"{label} expects {name} with {self.n_in} rows, got {shape} "
                   "(course layout: (n[l-1], m), one example per column)")
        if len(shape) == 2 and shape[1] == self.n_in and shape[0] != self.n_in:
            message += (f"; did you mean {name}.T? {shape} looks like {shape[0]} examples as rows of {self.n_in} "
                        f"features, and {name}.T is ({self.n_in}, {shape[0]})")
        elif l == 1 and len(shape) == 2:
            message += (f"; a network's sizes start with the input's n_x: nn.MLP([{shape[0]}, ...]) (DeZero's "
                        f"MLP((10, 3)) is nn.MLP([n_x, 10, 3]))")
        return message

    def _number_in(self, numbering: Numbering | None) -> int | None:
        """This layer's number in ``numbering`` (the network asking), or its own ``index`` when used alone."""
        if numbering is not None and id(self) in numbering:
            return numbering[id(self)]
        return self.index

    def _reachable_parameters(self, numbering: Numbering | None = None) -> Iterator[tuple[str, Tensor]]:
        names = parameter_names(self._number_in(numbering))
        yield names[0], self.W
        yield names[1], self.b

    def summary_rows(self) -> list[Row]:
        """One row: layer l, W[l] and b[l] with their shapes, n[l] n[l-1] + n[l] parameters, Z[l] (n[l], m)."""
        l = self.index
        return [("" if l is None else str(l), "Linear", self.describe_parameters(l), f"{self.count_parameters():,}",
                 output_cell("Z" if l is None else f"Z{l}", self.n_out))]

    def describe_parameters(self, l: int | None) -> str:
        """``W1 (4, 2), b1 (4, 1)``: the parameters as layer ``l`` (None: unnumbered) with their shapes."""
        W, b = parameter_names(l)
        return f"{W} {self.W.shape}, {b} {self.b.shape}"

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"type": "Linear", "n_in": self.n_in, "n_out": self.n_out}
        if self.index is not None:  # it names the parameters of a Linear saved on its own
            config["index"] = self.index
        return config

    def extra_repr(self) -> str:
        return f"n_in={self.n_in}, n_out={self.n_out}: {self.describe_parameters(self.index)}"

    def _repr_with(self, numbering: Numbering | None) -> str:
        inner = f"n_in={self.n_in}, n_out={self.n_out}: {self.describe_parameters(self._number_in(numbering))}"
        return f"Linear({inner}, params={self.count_parameters()})"


def parameter_names(l: int | None) -> tuple[str, str]:
    """("W{l}", "b{l}"), or ("W", "b") for an unnumbered layer."""
    suffix = "" if l is None else str(l)
    return f"W{suffix}", f"b{suffix}"


_NAMES = {prefix: tuple(f"{prefix}{l}" for l in range(64)) for prefix in ("Z", "A", "W", "b")}


def course_name(prefix: str, l: int) -> str:
    """``Z3``, ``A3``, ``W3``, ``b3``: made once for the first 64 layers (a forward pass names every output)."""
    return _NAMES[prefix][l] if l < 64 else f"{prefix}{l}"


def _input_name(l: int | None) -> str:
    """The course's name for the input of layer l: X for the first (or an unnumbered) layer, else A{l-1}."""
    return "X" if l is None or l == 1 else f"A{l - 1}"
