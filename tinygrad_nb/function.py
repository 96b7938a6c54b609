"""``Function``: the one shape every op has, its forward and its backward side by side.

An op subclasses ``Function`` and defines two methods::

    class Tanh(Function):
        def forward(self, x):            # NumPy arrays in, a NumPy array out
            return np.tanh(x)
        def backward(self, g, out, x):    # dJ/dout in, dJ/dinput out (one per input)
            return (g * (1 - out * out),)

``backward`` is written once and runs in two modes. In the ordinary mode ``g``, ``out``
and the inputs are NumPy arrays and the rule is plain vectorised NumPy. With
``create_graph=True`` they are Tensors, so the same expression is recorded on the graph
and the gradient can itself be differentiated. Constants such as masks are computed in
``forward`` and stored on ``self``.

A rule may return a gradient in the broadcast shape of the output: the engine reduces
every gradient to its input's shape in one place (``engine.reduce_to_shape``). It returns
``None`` for an input whose ``self.needs_input_grad`` entry is False, so nothing is
computed that nobody needs (for an input X, dA[0] = W[1]^T dZ[1] is never formed).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from tinygrad_nb.grad_mode import _state

_sequence = itertools.count(1)  # creation order of recorded results: a topological order of the graph

if TYPE_CHECKING:
    from tinygrad_nb._tensor import Tensor

Array = Union[np.ndarray, "Tensor"]  # what a backward rule computes with: arrays, or Tensors under create_graph


class InPlace:
    """Whether any in-place op has run in this process (``x -= y``, ``zero_()``).

    Until one has, every tensor's version is 0 and nothing is recorded or checked; after,
    each recorded node notes its inputs' versions and backward refuses a changed input.
    """

    seen = False


class InputError(ValueError):
    """An op was given input it cannot use; the message says what was expected and what was given."""


class GraphFreedError(RuntimeError):
    """The graph a backward pass or a tool needs was already freed by an earlier ``backward()``."""


class ShapeError(InputError):
    """An op was given operands whose shapes do not fit; the message names op, tensors and shapes."""


def describe(t: Tensor) -> str:
    """A tensor as error messages show it: its course name (when set) and its shape, ``W2 (7, 20)``."""
    return f"{t.name} {t.shape}" if t.name else str(t.shape)


class Function:
    """Base of every op; see the module docstring for the contract.

    A subclass defines ``forward(self, *arrays, **attrs) -> np.ndarray`` and
    ``backward(self, g, out, *inputs) -> tuple`` (one gradient or None per input), side by side.
    Attributes set on a recorded node: ``parents`` (the input Tensors, ``None`` once the
    graph is freed) and ``needs_input_grad`` (one bool per input).
    """

    symbol: str | None = None  # infix symbol for error messages, e.g. "+"
    differentiable = True  # False: the result never carries a gradient (comparisons, argmax, detach)
    value_shaped: tuple[str, ...] = ()  # attributes whose boolean arrays set the result's shape by their values
    parents: tuple[Tensor, ...] | None
    needs_input_grad: tuple[bool, ...]
    created_at: str  # the user's line, recorded under detect_anomaly
    versions: tuple[int, ...]  # the inputs' versions when recorded (only once an in-place op has run)
    forward: Callable[..., np.ndarray]
    backward: Callable[..., tuple[Array | None, ...]]

    @property
    def op_name(self) -> str:
        """The op's name as users see it in errors and graphs: ``matmul``, ``relu``."""
        return op_name(type(self))

    def explain(self, out: str, ins: list[str]) -> list[tuple[int, str]]:
        """The chain-rule step in words for explain mode: (input index, right-hand side) pairs.

        ``out`` and ``ins`` are course names (Z2, A1, ...). Ops the course covers override
        this with the course's formula; the default is the chain rule itself.
        """
        return [(i, f"d{out} * \u2202{out}/\u2202{x}") for i, x in enumerate(ins)]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A ``backward`` that cannot take ``(g, out, *inputs)`` is refused when the op is defined, not mid-pass
        (DeZero's ``backward(self, gy)`` is the usual case)."""
        super().__init_subclass__(**kwargs)
        given = _positional(cls.__dict__.get("backward"))
        if given is not None and given < 2:  # g and out, then the inputs (none for a node made without any)
            raise TypeError(f"{cls.__name__}.backward takes {given} argument{'s' if given != 1 else ''} after self; "
                            f"here it is backward(self, g, out, *inputs): g = dJ/dout, out = forward's result, "
                            f"then forward's inputs, as arrays (DeZero's backward(self, gy) reads them from "
                            f"self.inputs; here they are passed)")

    def __call__(self, *inputs: Tensor, **attrs: Any) -> Tensor:
        """DeZero's spelling, ``Sin()(x)``: the same as ``Sin.apply(x)``."""
        return type(self).apply(*inputs, **attrs)

    @classmethod
    def apply(cls, *inputs: Tensor, **attrs: Any) -> Tensor:
        """Run ``forward`` on the inputs' data and, when grad is on and an input needs it, record the node."""
        fn = cls()
        try:
            data = fn.forward(*[t.data for t in inputs], **attrs)
        except InputError:
            raise
        except ValueError as e:  # NumPy's own message, prefixed with what the user wrote
            raise ShapeError(f"{fn.op_name}: {fn.describe_inputs(inputs)}: {e}") from e
        except IndexError as e:  # e.g. an index out of bounds: same prefix, same type
            raise IndexError(f"{fn.op_name}: {fn.describe_inputs(inputs)}: {e}") from e
        except TypeError as e:  # plain TypeError: NumPy's subclasses need arguments of their own
            raise TypeError(f"{fn.op_name}: {fn.describe_inputs(inputs)}: {e}") from e
        out = type(inputs[0])._wrap(data)  # the Tensor class, without importing it
        if _state.enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs and cls.differentiable:
                fn.parents = inputs
                fn.needs_input_grad = needs
                out.requires_grad = True
                out._ctx = fn
                out._seq = next(_sequence)
                if InPlace.seen:
                    fn.versions = tuple([t._version for t in inputs])
            else:  # not recorded: no input requires grad (the op and its inputs' labels, for the error message)
                out._origin = (cls, False, _labels(inputs))
        else:
            out._origin = (cls, True, _labels(inputs))  # not recorded: grad is off (no_grad)
        if _state.watch is not None:  # detect_anomaly's checks, or the jit's recorder
            _state.watch.on_forward(fn, inputs, out, attrs)
        return out

    def free(self) -> None:
        """Drop the inputs and everything the node saved (masks, caches): its part of the graph is done."""
        self.__dict__.clear()
        self.parents = None

    def describe_inputs(self, inputs: tuple[Tensor, ...]) -> str:
        """``W2 (7, 20) @ A1 (19, 209)`` for infix ops, ``Z1 (3, 4)`` for the others."""
        if self.symbol and len(inputs) == 2:
            return f"{describe(inputs[0])} {self.symbol} {describe(inputs[1])}"
        return ", ".join(describe(t) for t in inputs)


def _positional(method: Any) -> int | None:
    """How many positional arguments ``method`` takes after self; None when it takes any number (or is absent)."""
    if not callable(method):
        return None
    params = list(inspect.signature(method).parameters.values())[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _labels(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """What an unrecorded result keeps of its inputs, to name itself in an error: per input its name, else
    the class of the op that made it, else its shape (never its array, nor its own inputs: a chain stays one
    level). It runs for every op run without a graph (inference, no_grad updates): one pass, no calls."""
    return tuple([t.name or (type(t._ctx) if t._ctx is not None else t._origin[0] if t._origin is not None
                             else t.data.shape) for t in inputs])


def op_name(cls: type) -> str:
    """The name users see for the op class ``cls``: ``Matmul`` -> ``matmul``, ``LeakyReLU`` -> ``leaky_relu``."""
    return _snake(cls.__name__)


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not (name[i - 1].isupper() or name[i - 1].isdigit()):  # Conv2D -> conv2d
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
