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
the same arrays in the same order as eager, so the results are equal bit for bit (``W.data op= v``
is NumPy's own ``ndarray op= v``, with its casting). An op that reads a ``.grad`` (``lr * W.grad``)
reads it afresh at that point of every replay (``GradRead``), and wherever the function's Python
read a ``.grad`` the replay checks that it is None, or not, as it was (``GradCheck``).
``recording_updates`` is the recorder's side of these.
"""

from __future__ import annotations

import dis
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nb.anomaly import user_line
from tinygrad_nb.grad_mode import JitError, _state
from tinygrad_nb.guards import LIBRARY_PACKAGES
from tinygrad_nb.jit_guards import value_key

if TYPE_CHECKING:
    from tinygrad_nb._tensor import Tensor


def _label(t: Tensor) -> str:
    return t.name or f"a parameter {t.data.shape}"


class InPlaceStep:
    """``target op= operand`` (``W -= dW``, ``W.grad.zero_()``, ``W.data *= 0.999``): ``ufunc(x, v, out=x)`` where
    ``x`` is the outside tensor ``target``'s array, or the array of ``owner.grad`` as it is at that point of the call,
    and ``v`` the operand's slot (``buf[operand]``) or, for ``W.data op= number``, the number itself (``constant``:
    NumPy casts a Python number and a NumPy scalar differently, so the replay gives it as the user's code did)."""

    __slots__ = ("target", "owner", "ufunc", "operand", "constant", "op", "line", "bump", "dtype", "shape")

    def __init__(self, target: Tensor | None, owner: Tensor | None, ufunc: np.ufunc, operand: int | None, op: str,
                 line: str, bump: bool = True, constant: Any = None):
        self.target, self.owner, self.ufunc, self.operand, self.op, self.line = (
            target, owner, ufunc, operand, op, line)
        self.constant = constant
        self.bump = bump  # False for W.data op= ..., which does not change the version (as NumPy on .data)
        x = owner.grad if owner is not None else target
        self.dtype, self.shape = x.data.dtype, x.data.shape  # type: ignore[union-attr]

    def signature(self) -> tuple[Any, ...]:
        """What must match between two recordings: which tensor (or whose .grad), the op, the operand (its slot,
        or the number by type and value)."""
        which = ("grad of", id(self.owner)) if self.owner is not None else ("tensor", id(self.target))
        operand = self.operand if self.operand is not None else ("constant", value_key(self.constant))
        return (which, self.ufunc.__name__, operand, self.bump)

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
        x = t.data  # type: ignore[union-attr]
        if x.dtype != self.dtype or x.shape != self.shape:
            raise JitError(f"jit: {self.describe()} meets a {x.dtype} array of shape {x.shape} in this call; it was "
                           f"recorded on {self.dtype} {self.shape}, where the operand's casting was decided. Change "
                           "dtypes and shapes outside the jitted function between recordings, not in the step")
        self.ufunc(x, buf[self.operand] if self.operand is not None else self.constant, out=x, casting="same_kind")
        if self.bump:
            t._version += 1  # type: ignore[union-attr]


def _grad_is_none(owner: Tensor, line: str, now: bool) -> JitError:
    said = "None" if now else "set"
    return JitError(f"jit: {_label(owner)}.grad is {said} at {line} in this call, but it was "
                    f"{'set' if now else 'None'} at that point when the step was recorded (the function's Python "
                    "read it there); clear and fill gradients in the same places on every call")


class GradRead:
    """An op's read of ``owner.grad`` (``lr * W.grad``): the slot gets that ``.grad``'s array as it is at this
    point of every call, never the recording's."""

    __slots__ = ("slot", "owner", "line", "dtype", "shape")

    def __init__(self, slot: int, owner: Tensor, line: str, grad: Tensor):
        self.slot, self.owner, self.line = slot, owner, line
        self.dtype, self.shape = grad.data.dtype, grad.data.shape  # what the op that reads it was recorded on

    def signature(self) -> tuple[Any, ...]:
        """The slot filled and whose .grad fills it."""
        return (self.slot, id(self.owner))

    def run(self, buf: list[Any]) -> None:
        """Put the current ``.grad``'s array into the slot."""
        g = self.owner.grad
        if g is None:
            raise _grad_is_none(self.owner, self.line, True)
        x = g.data
        if x.dtype != self.dtype or x.shape != self.shape:  # the ops' casting was decided on the recording's
            raise JitError(f"jit: {_label(self.owner)}.grad is a {x.dtype} array of shape {x.shape} at {self.line} "
                           f"in this call; it was {self.dtype} {self.shape} when the step was recorded")
        buf[self.slot] = x


class GradCheck:
    """The function's Python read ``owner.grad`` here (``if p.grad is None: continue``, ``p.grad`` given to an op):
    whether it is None is part of the recording, so a replay checks it at this point of every call (and the jit
    checks the ``.grad`` read before anything changed it before each call, to record anew instead)."""

    __slots__ = ("owner", "none", "line")

    def __init__(self, owner: Tensor, none: bool, line: str):
        self.owner, self.none, self.line = owner, none, line

    def signature(self) -> tuple[Any, ...]:
        """Whose .grad, and whether it was None."""
        return (id(self.owner), self.none)

    def run(self, buf: list[Any]) -> None:
        """Raise if the ``.grad`` is not as it was when the step was recorded."""
        if (self.owner.grad is None) is not self.none:
            raise _grad_is_none(self.owner, self.line, not self.none)


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
    """``Tensor.grad`` while a jitted function records: the same slot; a read by the user's own code is shown to
    this thread's recorder (which makes the ``.grad`` an input read afresh and guards whether it is None), and an
    assignment (``W.grad = None``) too, which it records or refuses."""

    def __get__(self, t: Tensor | None, owner: type | None = None) -> Any:
        if t is None:
            return self
        g = _GRAD.__get__(t, owner)
        rec = _state.watch
        hook = getattr(rec, "on_grad_read", None)
        if hook is not None and not rec.in_effect:
            module = sys._getframe(1).f_globals.get("__name__", "")
            if module.partition(".")[0] not in LIBRARY_PACKAGES:  # the user's Python reads it: it may branch on it
                hook(t, g)
        return g

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
    ins = [x for x in dis.get_instructions(code) if x.opname != "EXTENDED_ARG"]  # a prefix of a large argument
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
    """What ``X.data`` gives the function's own code while it records ``X.data op= value``: the update is recorded as
    a step of the program and made as NumPy makes ``ndarray op= value`` (the same casting: a NumPy float64 scalar on
    a float32 array is applied in float64 and rounded once), with no version bump, as ``.data``."""

    __slots__ = ("t",)

    def __init__(self, t: Tensor):
        self.t = t

    def _update(self, ufunc: np.ufunc, other: Any, op: str) -> DataUpdate:
        _state.watch.on_data_update(self.t, ufunc, other, op)
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
