"""The jit recorder's side of a tutorial loop's own updates, and of the ``.grad`` its Python reads.

``recording.Recorder`` inherits these: an in-place change (``W -= lr * W.grad`` under no_grad,
``W.grad.zero_()``), ``W.data op= value`` (made as NumPy makes it), ``W.grad = None``, and every read of
a ``.grad`` by the function's own code. What such a read gave Python is part of the recording: the
``.grad`` object an op then reads becomes an input read afresh by each replay (``GradRead``), and
whether it was None is checked at that point of each replay (``GradCheck``). Where nothing in the
step could have changed that ``.grad`` before the read, whether it is None is also kept in
``grad_start``, which the jit checks before each call, to record anew rather than replay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nb._tensor import Tensor
from tinygrad_nb.anomaly import user_line
from tinygrad_nb.grad_mode import JitError
from tinygrad_nb.jit_updates import GradCheck, GradClear, InPlaceStep

_NUMBERS = (int, float, np.bool_, np.integer, np.floating)  # bool is an int


class UpdateRecorder:
    """The part of ``Recorder`` that records updates made outside the graph and ``.grad`` reads (a mixin)."""

    if TYPE_CHECKING:  # the Recorder's own state and methods, which these use
        born: dict[int, Tensor]
        former_grads: dict[int, Tensor]
        grads: dict[int, tuple[Tensor, Tensor | None, np.ndarray | None]]
        protected: dict[int, tuple[Tensor, np.ndarray]]
        program: list[tuple[str, Any]]
        in_effect: bool

        def slot(self, t: Tensor) -> int: ...
        def check_grads(self) -> None: ...
        def watch_grads(self, parameters: list[Tensor]) -> None: ...
        def _grad_owner(self, t: Tensor) -> Tensor | None: ...
        def _from_outside(self, t: Tensor) -> bool: ...

    def _init_updates(self) -> None:
        self.grad_start: dict[int, tuple[Tensor, bool]] = {}  # .grad None-ness at the call's start, read by Python
        self.grad_changed: set[int] = set()  # tensors whose .grad the step may have changed so far (backward, = None)
        self.grad_known: dict[int, bool] = {}  # None-ness already checked at this point of the program
        self.effect_ran = False  # a side effect ran: it may have changed any .grad
        self.touched: list[Tensor] = []  # outside tensors changed in place (their dtype and shape are guarded)

    def grads_changed(self, tensors: list[Tensor], effect: bool = False) -> None:
        """Note that the step may have replaced these tensors' ``.grad`` (a backward pass), or any (a side effect)."""
        if effect:
            self.effect_ran = True
            self.grad_known.clear()
        for t in tensors:
            self.grad_changed.add(id(t))
            self.grad_known.pop(id(t), None)

    def on_grad_read(self, t: Tensor, g: Tensor | None) -> None:
        """``t.grad`` read by the function's own code: its None-ness becomes a check of the program (and a guard
        before each call when nothing in the step changed it before), and the ``.grad`` itself an input that each
        replay reads afresh wherever an op or an update uses it."""
        if self.in_effect or not self._from_outside(t):
            return  # an argument's, a result's or a tensor made in the step: the same on every call by construction
        key, none = id(t), g is None
        if key not in self.grad_changed and not self.effect_ran:
            self.grad_start.setdefault(key, (t, none))
        if self.grad_known.get(key) is not none:
            self.program.append(("grad_check", GradCheck(t, none, user_line())))
            self.grad_known[key] = none
        seen = self.grads.get(key)
        if seen is None or seen[1] is not g:
            self.check_grads()
            self.watch_grads([t])

    def on_in_place(self, t: Tensor, op: str, ufunc: np.ufunc, operand: Tensor, write: Callable[[], None]) -> None:
        """An in-place change, made by ``write()``: of a tensor from outside the step (``W -= lr * W.grad`` under
        no_grad) or of a parameter's ``.grad`` (``W.grad.zero_()``), recorded as a step of the program that a
        replay performs on the same objects; of an argument, a result or a tensor made in the step, refused."""
        if self.in_effect:
            write()
            return
        owner = self._updatable(t, op)
        self._record(t, owner, write, InPlaceStep(None if owner is not None else t, owner, ufunc, self.slot(operand),
                                                  op, user_line()))

    def on_data_update(self, t: Tensor, ufunc: np.ufunc, other: Any, op: str) -> None:
        """``t.data op= other`` in the function's own code: made as NumPy makes ``ndarray op= other`` (a Tensor
        operand by its array, a number as given: NumPy's casting rules decide), and recorded as an update."""
        owner = self._updatable(t, op)
        constant, slot, value = None, None, other
        if isinstance(other, Tensor):
            slot, value = self.slot(other), other.data
        elif isinstance(other, _NUMBERS):
            constant = other
        else:
            if isinstance(other, (list, tuple)):
                value = np.asarray(other)
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
                raise JitError(f"jit: {t.name or 'a Tensor'}{op} with a {type(other).__name__} at {user_line()}; "
                               "inside a jitted function the value is a number, an array or a Tensor")
            slot = self.slot(Tensor._wrap(value))  # an argument's or a result's array is read by its slot

        def write() -> None:
            ufunc(t.data, value, out=t.data, casting="same_kind")  # what ndarray's own op= does
        self._record(t, owner, write, InPlaceStep(None if owner is not None else t, owner, ufunc, slot, op,
                                                  user_line(), bump=False, constant=constant))

    def _updatable(self, t: Tensor, op: str) -> Tensor | None:
        """The parameter whose ``.grad`` ``t`` is (None: ``t`` itself is updated); refused for what a replay does not
        keep (an argument, a result, a tensor made in the step, a former ``.grad``)."""
        self.check_grads()
        owner = self._grad_owner(t)
        if owner is None and not self._from_outside(t) or owner is not None and id(owner) in self.born:
            what = t.name or ("a .grad" if owner is not None or id(t) in self.former_grads else "a Tensor")
            raise JitError(f"jit: {what} {t.data.shape} changed in place ({op}) at {user_line()}: it is an argument, "
                           "a value computed in the step or a Tensor made in it, which a replay does not keep. Write "
                           "x = x - y (a new value) instead; in-place updates are recorded for the parameters and "
                           "buffers from outside the step and for their .grad")
        if id(t) in self.former_grads:
            raise JitError(f"jit: a former .grad changed in place ({op}) at {user_line()}: it was replaced by "
                           "W.grad = None or a backward; change W.grad itself")
        return owner

    def _record(self, t: Tensor, owner: Tensor | None, write: Callable[[], None], step: InPlaceStep) -> None:
        data = t.data
        locked = not data.flags.writeable and (id(t) in self.protected or owner is not None)
        if locked:  # a parameter or a .grad made read-only by the recording: this write is the recorded one
            data.flags.writeable = True
        try:
            write()
        finally:
            if locked:
                data.flags.writeable = False
        self.program.append(("inplace", step))
        if owner is None and not any(t is u for u in self.touched):
            self.touched.append(t)

    def on_grad_write(self, t: Tensor, value: Any) -> None:
        """``W.grad = ...`` in the function's own code: ``None`` on a tensor from outside the step is recorded (the
        tutorials' ``p.grad = None``), and the store that ends ``W.grad op= x`` (the same object) changes nothing;
        anything else is refused (a replay would skip it)."""
        if value is not None and value is t.grad:
            return
        if value is not None or not self._from_outside(t):
            raise JitError(f"jit: {t.name or 'a Tensor'}.grad was set at {user_line()} inside the jitted function; "
                           "a replay would skip it. Clear it with W.grad = None (recorded for parameters from "
                           "outside the step), zero it with W.grad.zero_() under no_grad(), or use "
                           "optimizer.zero_grad()")
        self.check_grads()
        self.program.append(("grad_none", GradClear(t, user_line())))
        old = t.grad
        if old is not None:
            self.former_grads[id(old)] = old
        self.grads[id(t)] = (t, None, None)
        self.grads_changed([t])
        self.grad_known[id(t)] = True
