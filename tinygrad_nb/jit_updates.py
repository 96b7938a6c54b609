"""The updates a tutorial's loop makes outside the graph, as steps of a jitted function's program.

Hand-written loops (micrograd's, PyTorch's "What is torch.nn really?", makemore's) update their
parameters themselves::

    with no_grad():
        W -= lr * W.grad      # an in-place change of a tensor from outside the step
        W.grad.zero_()        # an in-place change of a .grad
    W.grad = None             # a .grad cleared

While a jitted function records, ``recording.Recorder`` writes each of these down as a step of
the program, in its place among the ops, and a replay performs it on the same objects (the
parameters, and whatever ``.grad`` each holds at that point of the call): the same NumPy call on
the same arrays in the same order as eager, so the results are equal bit for bit. An op that
reads a ``.grad`` (``lr * W.grad``) reads it afresh at that point of every replay (``GradRead``).
"""

from __future__ import annotations

import dis
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nb.anomaly import user_line
from tinygrad_nb.grad_mode import JitError, _state
from tinygrad_nb.guards import LIBRARY_PACKAGES

if TYPE_CHECKING:
    from tinygrad_nb.tensor import Tensor


def _label(t: Tensor) -> str:
    return t.name or f"a parameter {t.data.shape}"


class InPlaceStep:
    """``target op= operand`` (``W -= dW``, ``W.grad.zero_()``): ``ufunc(x, buf[operand], out=x)`` where ``x`` is
    the outside tensor ``target``'s array, or the array of ``owner.grad`` as it is at that point of the call."""

    __slots__ = ("target", "owner", "ufunc", "operand", "op", "line", "bump")

    def __init__(self, target: Tensor | None, owner: Tensor | None, ufunc: np.ufunc, operand: int, op: str,
                 line: str, bump: bool = True):
        self.target, self.owner, self.ufunc, self.operand, self.op, self.line = (
            target, owner, ufunc, operand, op, line)
        self.bump = bump  # False for W.data op= ..., which does not change the version (as NumPy on .data)

    def signature(self) -> tuple[Any, ...]:
        """What must match between two recordings: which tensor (or whose .grad), the op, the operand's slot."""
        which = ("grad of", id(self.owner)) if self.owner is not None else ("tensor", id(self.target))
        return (which, self.ufunc.__name__, self.operand, self.bump)

    def describe(self) -> str:
        """The step in words, for the jit's messages."""
        what = f"{_label(self.owner)}.grad" if self.owner is not None else _label(self.target)  # type: ignore[arg-type]
        return f"{what} {self.op} at {self.line}"

    def run(self, buf: list[Any]) -> None:
        """Perform the change on this call's arrays (the replay's form of ``Tensor._in_place``)."""
        t = self.target
        if self.owner is not None:
            t = self.owner.grad
            if t is None:
                raise JitError(f"jit: {_label(self.owner)}.grad is None at {self.line} in this call, but it was set "
                               "when the step was recorded; clear gradients in the same place on every call")
        self.ufunc(t.data, buf[self.operand], out=t.data, casting="same_kind")  # type: ignore[union-attr]
        if self.bump:
            t._version += 1  # type: ignore[union-attr]


class GradRead:
    """An op's read of ``owner.grad`` (``lr * W.grad``): the slot gets that ``.grad``'s array as it is at this
    point of every call, never the recording's."""

    __slots__ = ("slot", "owner", "line")

    def __init__(self, slot: int, owner: Tensor, line: str):
        self.slot, self.owner, self.line = slot, owner, line

    def signature(self) -> tuple[Any, ...]:
        """The slot filled and whose .grad fills it."""
        return (self.slot, id(self.owner))

    def run(self, buf: list[Any]) -> None:
        """Put the current ``.grad``'s array into the slot."""
        g = self.owner.grad
        if g is None:
            raise JitError(f"jit: {_label(self.owner)}.grad is None at {self.line} in this call, but it was set "
                           "when the step was recorded; clear gradients in the same place on every call")
        buf[self.slot] = g.data


class GradClear:
    """``W.grad = None`` on a tensor from outside the step (a parameter)."""

    __slots__ = ("owner", "line")

    def __init__(self, owner: Tensor, line: str):
        self.owner, self.line = owner, line

    def signature(self) -> tuple[Any, ...]:
        """Whose .grad is cleared."""
        return (id(self.owner),)

    def run(self, buf: list[Any]) -> None:
        """Clear it, as the user's line did."""
        self.owner.grad = None


_GRAD: Any = None  # Tensor's own ``grad`` slot descriptor, set by ``install``


class WatchedGrad:
    """``Tensor.grad`` while a jitted function records: the same slot, and an assignment by the user's own code
    (``W.grad = None``) is shown to this thread's recorder, which records it or refuses it."""

    def __get__(self, t: Tensor | None, owner: type | None = None) -> Any:
        if t is None:
            return self
        return _GRAD.__get__(t, owner)

    def __set__(self, t: Tensor, value: Any) -> None:
        rec = _state.watch
        hook = getattr(rec, "on_grad_write", None)
        if hook is not None and not rec.in_effect:
            module = sys._getframe(1).f_globals.get("__name__", "")
            if module.partition(".")[0] not in LIBRARY_PACKAGES:  # the engine's own writes are its backward
                hook(t, value)
        _GRAD.__set__(t, value)


def grad_descriptor(cls: type) -> Any:
    """The plain ``grad`` slot of ``cls`` (kept once, to restore after a recording)."""
    global _GRAD
    if _GRAD is None:
        _GRAD = cls.__dict__["grad"]
    return _GRAD


# ----- ``p.data += -lr * p.grad`` (makemore, micrograd): the tensor's own in-place update, without a version bump -----
_AUGMENTED: dict[tuple[Any, int], bool] = {}  # (code, offset of the read) -> whether it reads X.data for X.data op= ...
_COPY = ("COPY", "DUP_TOP")  # what precedes the read of the attribute an augmented assignment updates


def augmented_data_read(frame: Any) -> bool:
    """Whether ``frame`` is reading ``X.data`` as the target of ``X.data op= value`` (the bytecode: a copy of X,
    the read of .data, the value, an in-place operator, and the store back into .data)."""
    code, at = frame.f_code, frame.f_lasti
    found = _AUGMENTED.get((code, at))
    if found is None:
        found = _AUGMENTED[(code, at)] = _is_augmented(code, at)
    return found


def _is_augmented(code: Any, at: int) -> bool:
    ins = list(dis.get_instructions(code))
    k = next((i for i, x in enumerate(ins) if x.offset == at), None)
    if k is None or k == 0 or ins[k].argval != "data" or ins[k - 1].opname not in _COPY:
        return False
    for i in range(k + 1, len(ins) - 2):
        x = ins[i]
        if x.opname.startswith("INPLACE_") or x.opname == "BINARY_OP" and x.argrepr.endswith("="):
            return ins[i + 1].opname in ("SWAP", "ROT_TWO") and ins[i + 2].opname == "STORE_ATTR" and (
                ins[i + 2].argval == "data")
    return False


class DataUpdate:
    """What ``X.data`` gives the function's own code while it records ``X.data op= value``: the update goes to
    ``X``'s recorded in-place path (as ``X op= value`` under no_grad, with no version bump, as ``.data``)."""

    __slots__ = ("t",)

    def __init__(self, t: Tensor):
        self.t = t

    def _update(self, ufunc: np.ufunc, other: Any, op: str) -> DataUpdate:
        self.t._in_place(ufunc, other, op, data=True)
        return self

    def __iadd__(self, other: Any) -> DataUpdate:
        return self._update(np.add, other, ".data +=")

    def __isub__(self, other: Any) -> DataUpdate:
        return self._update(np.subtract, other, ".data -=")

    def __imul__(self, other: Any) -> DataUpdate:
        return self._update(np.multiply, other, ".data *=")

    def __itruediv__(self, other: Any) -> DataUpdate:
        return self._update(np.true_divide, other, ".data /=")

    def _refused(self, other: Any) -> DataUpdate:
        raise JitError(f"jit: {self.t.name or 'a Tensor'}.data updated at {user_line()} by an operator other than "
                       "+=, -=, *=, /= inside the jitted function; a replay records only those. Write it with them, "
                       "or outside the jitted function")

    __ifloordiv__ = __imod__ = __ipow__ = __imatmul__ = __iand__ = __ior__ = __ixor__ = _refused
    __ilshift__ = __irshift__ = _refused
