"""Layers: ``Linear``, the activations g, ``Dropout``, ``Flatten``.

Course layout throughout: A[l-1] is (n[l-1], m), one example per column; W[l] is
(n[l], n[l-1]); b[l] is (n[l], 1); Z[l] = W[l] A[l-1] + b[l]; A[l] = g(Z[l]).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nn import init as initialisers
from nn import validate
from nn.module import Module, Numbering
from nn.summary import Row, output_cell
from tinygrad_nb import Function, ShapeError, Tensor, linear


def as_input(A: Any, name: str = "X") -> Tensor:
    """Accept a Tensor or a NumPy array as a layer's input; arrays become a constant Tensor named ``name``."""
    if isinstance(A, Tensor):
        return A
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
        n_out: n[l], the units of this layer.
        init: an initialiser name from ``nn.init`` or a callable ``f(shape, rng)``; b starts at zero.
        rng: an int seed, a RandomState or a Generator (the course: ``RandomState(1)``).
        index: the number l the layer has on its own (``MLP`` gives its layers theirs): used alone,
            it names its parameters W{l}, b{l} and its output Z{l}; None names them W, b and Z.
            A network numbers the layer itself, whatever ``index`` is.
    """

    index: int | None

    def __init__(self, n_in: int, n_out: int, init: str | Callable[..., np.ndarray] = "deep",
                 rng: initialisers.RNG = None, index: int | None = None):
        super().__init__()
        self.n_in = validate.positive_int("Linear: n_in", n_in)
        self.n_out = validate.positive_int("Linear: n_out", n_out)
        W = np.asarray(initialisers.get(init)((self.n_out, self.n_in), initialisers.as_rng(rng)), dtype=np.float64)
        if W.shape != (self.n_out, self.n_in):
            raise ValueError(f"Linear: the initialiser returned shape {W.shape}, expected {(self.n_out, self.n_in)}")
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


class DropoutMask(Function):
    """D[l] = (rand(n[l], m) < keep_prob) drawn from ``rng`` (re-seeded with ``reseed`` first when given): an
    op without gradient, so a jitted step draws a fresh mask on every call, as the eager step does."""

    differentiable = False

    def forward(self, A, rng, keep_prob, reseed):
        if isinstance(rng, np.random.RandomState):
            if reseed is not None:
                rng.seed(reseed)
            r = rng.rand(*A.shape)
        else:
            r = rng.random(A.shape)
        return (r < keep_prob).astype(A.dtype)

    def backward(self, g, out, A):  # never called: no node is recorded
        return (None,)


class Dropout(Module):
    """Inverted dropout: keep each unit with probability ``keep_prob`` and divide by it; off in eval mode.

    The mask D[l] (n[l], m) is drawn from ``rng`` each training forward pass, as the course's
    ``D = np.random.rand(*A.shape) < keep_prob; A = A * D; A = A / keep_prob``.

    The rate is keyword-only, in either spelling: ``Dropout(keep_prob=0.8)`` (the course's:
    the probability of KEEPING a unit) or ``Dropout(p=0.2)`` (PyTorch's: the probability of
    DROPPING one); the two lines make the same layer. A bare ``Dropout(0.2)`` is refused, as it
    keeps 20 % here and drops 20 % in PyTorch. With neither, keep_prob = p = 0.5.

    Args:
        keep_prob: the probability of keeping a unit, in (0, 1].
        p: the probability of dropping a unit, in [0, 1): keep_prob = 1 - p.
        rng: an int seed, a RandomState or a Generator. Dropout layers given the same
            RandomState draw their masks one after another from its stream.
        reseed: None (the default: fresh masks every pass), or a seed: before drawing its
            mask in each training forward pass the layer re-seeds ``rng`` (a RandomState)
            with it, so that every pass draws the same masks. This is what the course's
            ``forward_propagation_with_dropout`` does (``np.random.seed(1)`` first, then D1
            and D2 from the one stream): give ``reseed=1`` to the first Dropout layer and the
            same RandomState to both.
    """

    def __init__(self, *args: Any, keep_prob: float | None = None, p: float | None = None,
                 rng: initialisers.RNG = None, reseed: int | None = None):
        super().__init__()
        if args:
            raise TypeError(f"Dropout: the rate is keyword-only, got Dropout({', '.join(map(repr, args))}); write "
                            "Dropout(keep_prob=...) for the probability of keeping a unit (the course's) or "
                            "Dropout(p=...) for the probability of dropping one (PyTorch's)")
        if keep_prob is not None and p is not None:
            raise TypeError(f"Dropout: got both keep_prob={keep_prob!r} and p={p!r}; give one "
                            "(keep_prob = 1 - p)")
        if p is not None:
            keep_prob = 1.0 - validate.number("Dropout: p", p, low=0, high=1, high_open=True)
        self.keep_prob = validate.probability("Dropout: keep_prob", 0.5 if keep_prob is None else keep_prob)
        self.rng = initialisers.as_rng(rng)
        self.reseed = validate.integer("Dropout: reseed", reseed, low=0, high=2**32 - 1, allow_none=True)
        if self.reseed is not None and not isinstance(self.rng, np.random.RandomState):
            raise TypeError("Dropout: reseed needs rng to be an int seed or a numpy RandomState (the course's "
                            f"generator), got a {type(self.rng).__name__}")

    @property
    def p(self) -> float:
        """The probability of dropping a unit, 1 - keep_prob (PyTorch's ``p``)."""
        return 1.0 - self.keep_prob

    def forward(self, A: Any) -> Tensor:
        A = as_input(A, "A")
        if not self.training or self.keep_prob == 1.0:
            return A
        D = DropoutMask.apply(A, rng=self.rng, keep_prob=self.keep_prob, reseed=self.reseed)
        out = (A * D) / self.keep_prob  # masked, then divided: bit for bit the course's A * D / keep_prob
        out.name = A.name
        return out

    def config(self) -> dict[str, Any]:
        return {"type": "Dropout", "keep_prob": self.keep_prob}

    def extra_repr(self) -> str:
        return f"keep_prob={self.keep_prob}" + ("" if self.reseed is None else f", reseed={self.reseed}")


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
