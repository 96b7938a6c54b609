"""Convolution and pooling layers (course 4, week 1): ``Conv2D``, ``MaxPool2D``, ``AvgPool2D``.

Course 4's layout throughout: the examples come FIRST and the channels last. A[l-1] is
(m, n_H_prev, n_W_prev, n_C_prev); the filters W[l] are (f, f, n_C_prev, n_C), the biases b[l]
(1, 1, 1, n_C); Z[l] = W[l] * A[l-1] + b[l] is (m, n_H, n_W, n_C) with
n_H = floor((n_H_prev - f + 2 pad) / stride) + 1 (and n_W alike). A pool layer keeps n_C and has no
parameters. ``nn.Flatten()`` turns the last images into (n_H n_W n_C, m) for the dense layers after them.

In a Sequential, Conv2D and Linear layers are numbered together 1..L in the order they run: in
``Sequential(Conv2D(3, 8, 3), ReLU(), MaxPool2D(2), Flatten(), Linear(n, 1), Sigmoid())`` the
parameters are W1, b1 (the filters) and W2, b2 (the dense layer), and the outputs Z1, A1, P1, Z2, A2.
The forward passes are the engine's ``tinygrad_nb.conv2d`` and ``tinygrad_nb.pool2d``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nn import validate
from nn.layers import init as initialisers
from nn.layers import sizes
from nn.layers.dense import _input_name, as_input, course_name, parameter_names
from nn.layers.module import Module, Numbering
from nn.layers.summary import Row, image_cell
from tinygrad_nb import ShapeError, Tensor, conv2d, pool2d

Shape = tuple[Any, ...]  # a shape whose entries may be None where they are not known (summary without an input)

# The initialisers by name for a filter bank W (f, f, n_C_prev, n_C): a standard normal draw scaled as nn.init's
# (the same arithmetic), with fan_in = f f n_C_prev (the inputs of one unit) and fan_out = f f n_C, as He et al.
# and Glorot count them.
_SCALES: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "he": lambda W, fan_in, fan_out: W * np.sqrt(2.0 / fan_in),
    "deep": lambda W, fan_in, fan_out: W / np.sqrt(fan_in),
    "xavier": lambda W, fan_in, fan_out: W * np.sqrt(2.0 / (fan_in + fan_out)),
    "small_random": lambda W, fan_in, fan_out: W * 0.01,
}


def output_size(n_prev: int, f: int, pad: int, stride: int) -> int:
    """The course's n_H = floor((n_H_prev - f + 2 pad) / stride) + 1."""
    return (n_prev - f + 2 * pad) // stride + 1


def filters(init: str | Callable[..., np.ndarray], shape: tuple[int, int, int, int],
            rng: initialisers.RNG) -> np.ndarray:
    """W (f, f, n_C_prev, n_C) drawn by ``init``: a name from ``nn.init`` (or its function) or ``f(shape, rng)``.

    "he" is randn(f, f, n_C_prev, n_C) * sqrt(2 / fan_in), fan_in = f f n_C_prev; "deep" divides by
    sqrt(fan_in); "xavier" is sqrt(2 / (fan_in + fan_out)), fan_out = f f n_C; "small_random" 0.01;
    "zeros" zeros. With a RandomState the draw is the course's ``np.random.randn(f, f, n_C_prev, n_C)``.
    """
    if callable(init):  # nn.init.he and the others take (n[l], n[l-1]): use the filter bank's fan_in instead
        init = next((name for name, fn in initialisers.INITIALISERS.items() if fn is init), init)
    f, _, n_C_prev, n_C = shape
    if isinstance(init, str):
        if init == "zeros":
            return np.zeros(shape)
        if init not in _SCALES:
            raise ValueError(f"Conv2D: unknown initialiser {init!r}; expected one of {sorted([*_SCALES, 'zeros'])} or "
                             "a callable f(shape, rng) returning W (f, f, n_C_prev, n_C)")
        draw = initialisers.standard_normal(shape, initialisers.as_rng(rng))
        return _SCALES[init](draw, f * f * n_C_prev, f * f * n_C)
    if not callable(init):
        raise TypeError(f"Conv2D: init must be an initialiser name such as 'he' or a callable, got {init!r}")
    W = np.asarray(init(shape, initialisers.as_rng(rng)), dtype=np.float64)
    if W.shape != shape:
        raise ValueError(f"Conv2D: the initialiser returned shape {W.shape}, expected (f, f, n_C_prev, n_C) = {shape}")
    return W


def _padding(pad: Any, f: int, stride: int) -> tuple[int, bool]:
    """(the pad in pixels, whether it was given as "same")."""
    if isinstance(pad, str):
        if pad != "same":
            raise ValueError(f"Conv2D: pad must be an int >= 0 or 'same', got {pad!r}")
        if f % 2 == 0 or stride != 1:
            raise ValueError(f"Conv2D: pad='same' keeps n_H = n_H_prev only with stride 1 and an odd f, where "
                             f"pad = (f - 1) / 2; got f={f}, stride={stride}: give pad as an int")
        return (f - 1) // 2, True
    return validate.integer("Conv2D: pad", pad, low=0), False


def _image_shape_error(label: str, name: str, shape: Shape, expects: str) -> ValueError:
    hint = ""
    if len(shape) == 2:
        hint = (f"; {shape} is a dense activation (n, m) (or a flattened X): the conv and pool layers come before "
                "nn.Flatten() and the Linear layers")
    return ValueError(f"{label}: expects {name} of shape {expects} (images, channels last), got {shape}{hint}")


class Conv2D(Module):
    """Z[l] = W[l] * A[l-1] + b[l]: a bank of n_C filters W[l] (f, f, n_C_prev, n_C), biases b[l] (1, 1, 1, n_C).

    The input A[l-1] is (m, n_H_prev, n_W_prev, n_C_prev), the course's images with the examples first and
    the channels last; the output Z[l] is (m, n_H, n_W, n_C), n_H = floor((n_H_prev - f + 2 pad) / stride) + 1.
    Named and numbered exactly as ``Linear``: a Sequential numbers its Conv2D and Linear layers together,
    1..L in order, so the first Conv2D owns W1, b1 and outputs Z1. Runs ``tinygrad_nb.conv2d``.

    The default initialiser is "he", randn(f, f, n_C_prev, n_C) * sqrt(2 / (f f n_C_prev)): convolutional
    networks use ReLU, and He et al.'s scale keeps the activations' variance through ReLU layers
    (PyTorch's own default is a uniform draw of about the same spread).

    Args:
        n_C_prev: the channels of the input (3 for RGB images).
        n_C: the number of filters, the channels of the output.
        f: the filters' height and width.
        stride: the step between windows, s.
        pad: the zeros added on each side of the height and width, p; ``"same"`` keeps n_H = n_H_prev and
            n_W = n_W_prev (pad = (f - 1) / 2, only for stride 1 and an odd f).
        init: "he" (default), "deep", "xavier", "small_random", "zeros" (the ``nn.init`` names, with
            fan_in = f f n_C_prev), or a callable ``f(shape, rng)`` returning W (f, f, n_C_prev, n_C).
        rng: an int seed, a RandomState or a Generator.
        index: the number l the layer has on its own, as ``Linear``'s: W{l}, b{l}, Z{l} used alone.

    Filters larger than this machine's memory are refused (ValueError, see ``nn.layers.sizes``) with their
    parameters and bytes before anything is allocated.
    """

    index: int | None

    def __init__(self, n_C_prev: int, n_C: int, f: int, stride: int = 1, pad: int | str = 0,
                 init: str | Callable[..., np.ndarray] = "he", rng: initialisers.RNG = None, index: int | None = None):
        super().__init__()
        self.n_C_prev = validate.positive_int("Conv2D: n_C_prev", n_C_prev)
        self.n_C = validate.positive_int("Conv2D: n_C", n_C)
        self.f = validate.positive_int("Conv2D: f", f)
        self.stride = validate.positive_int("Conv2D: stride", stride)
        self.pad, self.same = _padding(pad, self.f, self.stride)
        shape = (self.f, self.f, self.n_C_prev, self.n_C)
        footprint = sizes.conv2d(self.n_C_prev, self.n_C, self.f,
                                 validate.positive_int("Conv2D: index", index, allow_none=True))
        sizes.check(footprint)
        with sizes.allocating(footprint):
            self.W = Tensor(filters(init, shape, rng), requires_grad=True)
            self.b = Tensor(np.zeros((1, 1, 1, self.n_C)), requires_grad=True)
        self.set_index(index)

    def set_index(self, index: int | None) -> None:
        """Give the layer the number l it has on its own: W{l}, b{l}, Z{l} when used alone (as ``Linear``'s)."""
        index = validate.positive_int("Conv2D: index", index, allow_none=True)
        object.__setattr__(self, "index", index)
        self.label_parameters(index)

    def label_parameters(self, l: int | None) -> None:
        """Set the display names of W and b to W{l}, b{l} (a Sequential calls it with its number for the layer)."""
        self.W.name, self.b.name = ("W", "b") if l is None else (course_name("W", l), course_name("b", l))

    def forward(self, A_prev: Any) -> Tensor:
        return self.apply_as(A_prev, self.index)

    def apply_as(self, A_prev: Any, l: int | None) -> Tensor:
        """Z{l} = W * A_prev + b: this layer run as layer ``l`` of a network (None: on its own); nothing is stored."""
        A_prev = A_prev if isinstance(A_prev, Tensor) else as_input(A_prev, _input_name(l))
        self.output_shape(A_prev.shape, l, A_prev.name or _input_name(l))  # the errors in course notation
        try:
            Z = conv2d(A_prev, self.W, self.b, stride=self.stride, pad=self.pad)
        except ShapeError as e:
            raise ValueError(f"{self._label(l)}: {e}") from e
        Z.name = "Z" if l is None else course_name("Z", l)
        return Z

    def _label(self, l: int | None) -> str:
        return "Conv2D" if l is None else f"Conv2D {l}"

    def output_shape(self, shape: Shape, l: int | None = None, name: str | None = None) -> Shape:
        """Z's shape (m, n_H, n_W, n_C) for an input of ``shape`` (None entries: not known), or a ValueError naming
        layer ``l`` and its input ``name`` that says why the input does not fit, in course notation."""
        name = name or _input_name(l)
        label = self._label(l)
        if len(shape) != 4:
            raise _image_shape_error(label, name, tuple(shape), "(m, n_H_prev, n_W_prev, n_C_prev)")
        m, H, W, C = shape
        if C is not None and C != self.n_C_prev:
            hint = ""
            if H == self.n_C_prev:
                hint = (f"; images are (m, n_H, n_W, n_C), channels last: {tuple(shape)} looks like (m, n_C, n_H, "
                        f"n_W), PyTorch's layout; did you mean {name}.transpose(0, 2, 3, 1)?")
            W_name = parameter_names(l)[0]
            raise ValueError(f"{label}: {name} (m, n_H_prev, n_W_prev, n_C_prev) = {tuple(shape)} has n_C_prev = {C} "
                             f"but {W_name} {self.W.shape} expects n_C_prev = {self.n_C_prev}{hint}")
        f, p, s = self.f, self.pad, self.stride
        n_H = None if H is None else output_size(H, f, p, s)
        n_W = None if W is None else output_size(W, f, p, s)
        if (n_H is not None and n_H < 1) or (n_W is not None and n_W < 1):
            raise ValueError(f"{label}: a {f}x{f} filter with pad={p}, stride={s} does not fit {name} {tuple(shape)}: "
                             f"n_H = floor(({H} - {f} + 2*{p}) / {s}) + 1 = {n_H}, "
                             f"n_W = floor(({W} - {f} + 2*{p}) / {s}) + 1 = {n_W}")
        return (m, n_H, n_W, self.n_C)

    def _number_in(self, numbering: Numbering | None) -> int | None:
        if numbering is not None and id(self) in numbering:
            return numbering[id(self)]
        return self.index

    def _reachable_parameters(self, numbering: Numbering | None = None) -> Iterator[tuple[str, Tensor]]:
        W, b = parameter_names(self._number_in(numbering))
        yield W, self.W
        yield b, self.b

    def hyperparameters(self) -> str:
        """``f=3, s=1, p=1``: the filter size, stride and pad in the course's letters (p=same when so given)."""
        return f"f={self.f}, s={self.stride}, p={'same' if self.same else self.pad}"

    def describe_parameters(self, l: int | None) -> str:
        """``W1 (3, 3, 3, 8), b1 (1, 1, 1, 8)``: the parameters as layer ``l`` (None: unnumbered) with their shapes."""
        W, b = parameter_names(l)
        return f"{W} {self.W.shape}, {b} {self.b.shape}"

    def summary_rows(self) -> list[Row]:
        """One row: layer l, W[l] and b[l], f f n_C_prev n_C + n_C parameters, Z[l] (m, n_H, n_W, n_C)."""
        l = self.index
        return [("" if l is None else str(l), f"Conv2D {self.hyperparameters()}", self.describe_parameters(l),
                 f"{self.count_parameters():,}", image_cell("Z" if l is None else f"Z{l}", (None, None, self.n_C)))]

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"type": "Conv2D", "n_C_prev": self.n_C_prev, "n_C": self.n_C, "f": self.f,
                                  "stride": self.stride, "pad": "same" if self.same else self.pad}
        if self.index is not None:
            config["index"] = self.index
        return config

    def _arguments(self) -> str:
        pad = "'same'" if self.same else str(self.pad)
        return f"n_C_prev={self.n_C_prev}, n_C={self.n_C}, f={self.f}, stride={self.stride}, pad={pad}"

    def extra_repr(self) -> str:
        return f"{self._arguments()}: {self.describe_parameters(self.index)}"

    def _repr_with(self, numbering: Numbering | None) -> str:
        inner = f"{self._arguments()}: {self.describe_parameters(self._number_in(numbering))}"
        return f"Conv2D({inner}, params={self.count_parameters()})"


class Pool2D(Module):
    """The max (``MaxPool2D``) or mean (``AvgPool2D``) of each f x f window, per channel; no parameters.

    A[l-1] (m, n_H_prev, n_W_prev, n_C) -> P (m, n_H, n_W, n_C), n_H = floor((n_H_prev - f) / stride) + 1;
    ``stride`` defaults to f (windows side by side). Runs ``tinygrad_nb.pool2d``.
    """

    mode = ""

    def __init__(self, f: int, stride: int | None = None):
        super().__init__()
        who = type(self).__name__
        self.f = validate.positive_int(f"{who}: f", f)
        self.stride = self.f if stride is None else validate.positive_int(f"{who}: stride", stride)

    def forward(self, A_prev: Any) -> Tensor:
        return self.apply_as(A_prev, None)

    def apply_as(self, A_prev: Any, l: int | None) -> Tensor:
        """P{l}: the pool of layer ``l`` (the number of the Conv2D before it; None on its own)."""
        A_prev = A_prev if isinstance(A_prev, Tensor) else as_input(A_prev, "X" if not l else course_name("A", l))
        self.output_shape(A_prev.shape, l, A_prev.name)
        try:
            P = pool2d(A_prev, self.f, self.stride, self.mode)
        except ShapeError as e:
            raise ValueError(f"{self._label(l)}: {e}") from e
        P.name = "P" if not l else f"P{l}"
        return P

    def _label(self, l: int | None) -> str:
        return type(self).__name__ if not l else f"{type(self).__name__} {l}"

    def output_shape(self, shape: Shape, l: int | None = None, name: str | None = None) -> Shape:
        """P's shape (m, n_H, n_W, n_C) for an input of ``shape`` (None entries: not known), or a ValueError naming
        the layer and saying why the input does not fit."""
        name = name or ("X" if not l else f"A{l}")
        label = self._label(l)
        if len(shape) != 4:
            raise _image_shape_error(label, name, tuple(shape), "(m, n_H_prev, n_W_prev, n_C)")
        m, H, W, C = shape
        f, s = self.f, self.stride
        n_H = None if H is None else output_size(H, f, 0, s)
        n_W = None if W is None else output_size(W, f, 0, s)
        if (n_H is not None and n_H < 1) or (n_W is not None and n_W < 1):
            raise ValueError(f"{label}: a {f}x{f} window with stride={s} does not fit {name} {tuple(shape)}: "
                             f"n_H = floor(({H} - {f}) / {s}) + 1 = {n_H}, n_W = floor(({W} - {f}) / {s}) + 1 = {n_W}")
        return (m, n_H, n_W, C)

    def hyperparameters(self) -> str:
        """``f=2, s=2``: the window size and stride in the course's letters."""
        return f"f={self.f}, s={self.stride}"

    def summary_rows(self) -> list[Row]:
        return [("", f"{type(self).__name__} {self.hyperparameters()}", "", "", image_cell("P", (None, None, None)))]

    def config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "f": self.f, "stride": self.stride}

    def extra_repr(self) -> str:
        return f"f={self.f}, stride={self.stride}"


class MaxPool2D(Pool2D):
    """Max pooling: each f x f window's largest entry, per channel (the course's ``pool_forward``, mode "max").

    The gradient goes to each window's maximum. ``MaxPool2D(2)`` halves n_H and n_W.

    Args:
        f: the window's height and width.
        stride: the step between windows; None (default) is f.
    """

    mode = "max"


class AvgPool2D(Pool2D):
    """Average pooling: each f x f window's mean, per channel (the course's ``pool_forward``, mode "average").

    The gradient is spread evenly, dP / f^2 to each entry of the window.

    Args:
        f: the window's height and width.
        stride: the step between windows; None (default) is f.
    """

    mode = "average"
