"""The messages for a gradient that cannot be had: a tensor that does not require grad, an in-place update.

Each names the tensor by the op that made it (``backward: J = mean(...) of shape () does not require
grad: ...``), says why it has no gradient (made under ``no_grad()``, computed only from constants, or
made without ``requires_grad=True``) and what to do. ``backward``, ``retain_grad``, ``register_hook``,
the in-place operators and ``grad()`` all word them here, in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinygrad_nb.function import describe, op_name

if TYPE_CHECKING:
    from tinygrad_nb._tensor import Tensor

PARAMETER_FIX = ("create the parameters with requires_grad=True, e.g. W1 = Tensor(W1, requires_grad=True), "
                 "or use nn.Linear / nn.Parameter, which do")


def expression(t: Tensor) -> str:
    """A tensor as the no-grad messages name it: ``J = binary_cross_entropy(sigmoid(...), Y) of shape ()``,
    ``mean(A2) of shape ()``, ``W (3, 2)``.

    A result that was not recorded keeps the op that made it and one label per input (its name,
    else the op that made it, else its shape), not the inputs themselves: one level of the expression.
    """
    if t._ctx is not None:
        made = f"{t._ctx.op_name}(...)"
    elif t._origin is not None:
        made = f"{op_name(t._origin[0])}({', '.join(_input_text(x) for x in t._origin[2])})"
    else:
        return describe(t) if t.name else f"the tensor of shape {t.shape}"
    return f"{t.name + ' = ' if t.name else ''}{made} of shape {t.shape}"


def _input_text(label: str | type | tuple[int, ...]) -> str:
    if isinstance(label, str):
        return label
    if isinstance(label, type):
        return f"{op_name(label)}(...)"
    return f"Tensor{label}"  # an unnamed leaf: its shape


def no_grad_message(t: Tensor, who: str, role: str = "") -> str:
    """Why ``t`` does not require grad, and what to do, for ``who`` (backward, grad, ...); ``role`` as "input "."""
    if t._origin is not None and t._origin[1]:
        return (f"{who}: {role}{expression(t)} does not require grad: it was computed under no_grad(), which records "
                "nothing; compute it outside the no_grad() block to differentiate it")
    if t._origin is not None:
        return (f"{who}: {role}{expression(t)} does not require grad: none of the tensors it was computed from "
                f"requires grad, so there is nothing to differentiate; {PARAMETER_FIX}")
    return (f"{who}: {role}{expression(t)} does not require grad: it is a tensor made without requires_grad=True "
            f"(or detached); to differentiate with respect to it, make it with Tensor(..., requires_grad=True) "
            f"or call .requires_grad_(); for a network, {PARAMETER_FIX}")


def check_requires_grad(t: Tensor, who: str) -> None:
    """Raise ``RuntimeError`` with :func:`no_grad_message` unless ``t`` requires grad."""
    if not t.requires_grad:
        raise RuntimeError(no_grad_message(t, who))


def in_place_error(t: Tensor, op: str) -> RuntimeError:
    """The error for an in-place ``op`` (``-=``, ``zero_``) on ``t`` while gradients are being recorded."""
    if t.is_leaf and t.requires_grad:
        return RuntimeError(f"{op}: {describe(t)} is a leaf that requires grad: update it under no_grad() "
                            f"(with no_grad(): W -= lr * W.grad), or use an optimiser from nn.optim")
    return RuntimeError(f"{op}: in-place ops are not recorded on the graph; write x = x {op[0]} y instead")
