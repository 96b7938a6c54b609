"""``Tensor``: a NumPy array that remembers how it was computed.

Every operation on Tensors that require grad records a node (see ``function.py``);
``backward()`` walks those nodes in reverse topological order (see ``engine.py``).
In the course's layout data is (n_x, m), one example per column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np

from tinygrad_nb import engine
from tinygrad_nb import ops as _ops
from tinygrad_nb.array_function import array_function as _array_function
from tinygrad_nb.array_function import array_ufunc as _array_ufunc
from tinygrad_nb.explain_mode import explain as explain_mode
from tinygrad_nb.function import Function, GraphFreedError, InPlace, describe
from tinygrad_nb.grad_errors import check_requires_grad, in_place_error
from tinygrad_nb.grad_mode import JitError, _state
from tinygrad_nb.guards import state_changed
from tinygrad_nb.ops.axes import axis_index

_FLOAT_KINDS = "f"


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert user data to a float NumPy array: numbers, lists and int/bool arrays become float64."""
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, (int, float, bool, np.number, np.bool_, list, tuple)):
        try:
            arr = np.asarray(data)
        except ValueError as e:  # ragged nested lists
            raise TypeError(f"Tensor expects a rectangular nested list of numbers: {e}") from e
    else:
        raise TypeError(f"Tensor expects a number, a (nested) list of numbers or a numpy.ndarray, "
                        f"got {type(data).__name__}")
    if dtype is not None:
        return arr.astype(_float_dtype(dtype), copy=False)
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype.kind not in _FLOAT_KINDS:
        raise TypeError(f"Tensor expects numeric data, got an array of dtype {arr.dtype}")
    return arr


def _float_dtype(dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind not in _FLOAT_KINDS:
        raise TypeError(f"Tensor dtype must be a float type (float16, float32, float64), got {dtype}")
    return dtype


class Tensor:
    """A NumPy array (``.data``) with a gradient (``.grad``) and a place in the computation graph.

    Args:
        data: a number, a nested list or a ``numpy.ndarray``. Integers and booleans
            become float64; float32 stays float32. An ndarray of a float dtype is shared,
            not copied (as ``torch.from_numpy``).
        requires_grad: record operations on this tensor and fill ``.grad`` on backward.
        name: a course name such as ``"W1"`` or ``"X"``; shown in errors and graphs.
        dtype: force a float dtype.

    Example (course layout, W1 is (n[1], n[0]), X is (n[0], m))::

        W1 = Tensor(np.random.randn(3, 4), requires_grad=True, name="W1")
        Z1 = W1 @ Tensor(X) + b1
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_ctx", "_hooks", "_retains_grad", "_seq", "_version",
                 "_origin", "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None, dtype: Any = None):
        if not isinstance(requires_grad, (bool, int, np.bool_)) or isinstance(requires_grad, np.floating):
            raise TypeError(f"requires_grad must be a bool, got {type(requires_grad).__name__}")
        requires_grad = bool(requires_grad)  # 1 and 0 are accepted, as PyTorch does
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        if isinstance(data, Tensor) and data.data.dtype.kind in "biu":  # Tensor(an int Tensor): float64 by an op, so
            data = _ops.Cast.apply(data, dtype=np.float64 if dtype is None else _float_dtype(dtype))  # a jit reads it
        self.data: np.ndarray = _as_array(data, dtype)
        self.grad: Tensor | None = None
        self.requires_grad = requires_grad
        self.name = name
        self._ctx: Function | None = None
        self._hooks: list[Callable[[Tensor], Tensor | None]] | None = None
        self._retains_grad = False
        self._seq = 0  # leaves come first in creation order; recorded results get increasing numbers
        self._version = 0  # bumped by each in-place op, so that backward can refuse a changed input
        self._origin: tuple[type[Function], bool, tuple[Any, ...]] | None = None  # unrecorded: op, no_grad, inputs
        if _state.watch is not None and hasattr(_state.watch, "on_new_tensor"):  # the jit: made inside the step
            _state.watch.on_new_tensor(self)

    @classmethod
    def _wrap(cls, data: np.ndarray, name: str | None = None) -> Tensor:
        """A constant Tensor around an array the framework made itself (no checks, no copy)."""
        if type(data) is not np.ndarray:  # NumPy gives scalars for 0-d results; .data is always an array
            data = np.asarray(data)
        t = object.__new__(cls)
        t.data, t.grad, t.requires_grad, t.name = data, None, False, name
        t._ctx, t._hooks, t._retains_grad, t._seq, t._version, t._origin = None, None, False, 0, 0, None
        return t

    # ----- array-like properties ------------------------------------------------------------
    shape = property(lambda self: self.data.shape, doc="The shape, as a tuple (e.g. (n[l], m)).")
    ndim = property(lambda self: self.data.ndim, doc="The number of dimensions.")
    dtype = property(lambda self: self.data.dtype, doc="The NumPy dtype (float64 unless chosen).")
    size = property(lambda self: self.data.size, doc="The number of elements.")

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (parameters, inputs); False for results of recorded ops."""
        return self._ctx is None

    # ----- the node that made this tensor: a small public view for tools such as viz ------------
    @property
    def op(self) -> str | None:
        """The name of the op that computed this tensor (``"linear"``, ``"relu"``); None for a leaf."""
        return None if self._ctx is None else self._ctx.op_name

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from, in the op's argument order; () for a leaf.

        Raises ``GraphFreedError`` once ``backward()`` has freed the graph (unless it was
        called with ``retain_graph=True``).
        """
        if self._ctx is None:
            return ()
        parents = self._ctx.parents
        if parents is None:
            raise GraphFreedError(f"inputs: the graph through {self.name or 'a ' + self._ctx.op_name + ' result'} "
                                  "was freed by backward(); pass retain_graph=True to keep it")
        return parents

    @property
    def creation_order(self) -> int:
        """When this tensor was recorded: results of later ops have larger numbers; 0 for a leaf.

        ``backward()`` finishes tensors in decreasing creation order (a reverse topological order).
        """
        return self._seq

    def numpy(self) -> np.ndarray:
        """The underlying NumPy array (shared, not copied)."""
        _value_read(self, "numpy()")
        return self.data

    def tolist(self) -> Any:
        """The values as nested Python lists of numbers (a number for a 0-d tensor)."""
        _value_read(self, "tolist()")
        return self.data.tolist()

    def item(self) -> float:
        """The value of a one-element tensor as a Python float (e.g. the cost J)."""
        _value_read(self, "item()")
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, got shape {self.shape}")
        return self.data.item()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy's conversion protocol: the data itself, or a copy when ``copy=True`` or a dtype needs one."""
        _value_read(self, "numpy.asarray()")
        if copy is False and dtype is not None and np.dtype(dtype) != self.data.dtype:
            raise ValueError(f"__array__: converting {self.data.dtype} to {np.dtype(dtype)} needs a copy, "
                             "but copy=False was asked for")
        if dtype is None:
            return self.data.copy() if copy else self.data
        return self.data.astype(dtype, copy=bool(copy))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __float__(self) -> float:
        _value_read(self, "float()")
        return self.item()

    def __int__(self) -> int:
        _value_read(self, "int()")
        if self.data.size != 1:
            raise TypeError(f"int: only a one-element tensor converts to a Python int, got shape {self.shape}")
        return int(self.data.item())

    def __index__(self) -> int:
        _value_read(self, "an index")
        if self.data.size != 1 or self.data.dtype.kind not in "biu":
            raise TypeError(f"only a one-element integer tensor can be used as an index, got {self.dtype} "
                            f"{self.shape}")
        return int(self.data.item())

    def __bool__(self) -> bool:
        _value_read(self, "bool()")
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous (== is "
                             "elementwise, as in NumPy): use (t > 0).data.any() or .all(), and to find a tensor "
                             "in a list, any(x is t for x in tensors)")
        return bool(self.data)

    def __repr__(self) -> str:
        _value_read(self, "repr() (print, an f-string)")
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=50, edgeitems=2)
        extras = []
        if self.name:
            extras.append(f"name={self.name!r}")
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.op_name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    # ----- autograd -------------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False,
                 explain: bool | TextIO = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        Results accumulate into each leaf's ``.grad`` (zero them between steps). ``grad`` is
        dJ/dself; it may be omitted only when this tensor holds one element (the cost J).
        The graph's saved arrays are freed afterwards unless ``retain_graph=True``; with
        ``create_graph=True`` the gradients are themselves differentiable Tensors.
        ``explain=True`` (or an open file) prints each chain-rule step in course notation.
        """
        if not (isinstance(explain, bool) or callable(getattr(explain, "write", None))):
            raise TypeError(f"backward: explain must be True, False or an open text file to print to, "
                            f"got {type(explain).__name__} {explain!r}")
        if explain is not False:
            with explain_mode(None if explain is True else explain):
                self.backward(grad, retain_graph=retain_graph, create_graph=create_graph)
            return
        check_requires_grad(self, "backward")
        g = seed_gradient(self, grad, "backward")
        if _state.explain is not None:
            _state.explain.header(self)
        recorder = _state.watch
        if recorder is not None and hasattr(recorder, "backward_pass"):  # the jit writes the pass down
            if create_graph:
                raise JitError("jit: backward(create_graph=True) cannot be replayed inside a jitted function; "
                               "compute higher-order gradients without jit")
            recorder.backward_pass(self, g, lambda: self._backprop(g, retain_graph, create_graph), retain_graph)
        else:
            self._backprop(g, retain_graph, create_graph)

    def _backprop(self, g: np.ndarray, retain_graph: bool, create_graph: bool) -> None:
        """The engine's walk from this tensor, seeded with ``g``, filling ``.grad``."""
        handed_out = {id(g)}
        previous = _state.enabled  # a local, not a ModeSwitch: the hot path of every training step
        _state.enabled = create_graph  # rules record only when their gradients must be differentiable
        try:
            engine.backprop([self], [Tensor._wrap(g) if create_graph else g],
                            engine.AccumulateGrad(create_graph, handed_out),
                            retain_graph=retain_graph or create_graph, create_graph=create_graph,
                            handed_out=handed_out)
        finally:
            _state.enabled = previous

    def detach(self) -> Tensor:
        """The same data (shared) as a new tensor cut from the graph: no grad flows through it."""
        out = _ops.Detach.apply(self)
        out.name = self.name
        return out

    def retain_grad(self) -> Tensor:
        """Keep this intermediate's gradient in ``.grad`` on backward (to look at dZ[l], say)."""
        check_requires_grad(self, "retain_grad")
        self._retains_grad = True
        state_changed("retain_grad")
        return self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it.

        Returns a function that removes the hook.
        """
        if not callable(hook):
            raise TypeError(f"register_hook expects a callable, got {type(hook).__name__}")
        check_requires_grad(self, "register_hook")
        if self._hooks is None:
            self._hooks = []
        hooks = self._hooks
        hooks.append(hook)
        state_changed("a hook")  # a jitted step whose replay would skip it checks its tensors again
        return lambda: hooks.remove(hook) if hook in hooks else None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place and return it."""
        if not isinstance(requires_grad, (bool, int, np.bool_)):
            raise TypeError(f"requires_grad_ expects a bool, got {type(requires_grad).__name__}")
        requires_grad = bool(requires_grad)
        if not self.is_leaf:
            raise RuntimeError("requires_grad_: only leaf tensors can be changed; use detach() first")
        self.requires_grad = requires_grad
        return self

    # ----- arithmetic -----------------------------------------------------------------------
    def _other(self, other: Any) -> Tensor:
        """The other operand as a Tensor. Python numbers, NumPy integer scalars and int/bool arrays take this tensor's
        dtype; so does an integer Tensor (an index array a jitted step was given), by a Cast op that a jit replays."""
        if isinstance(other, Tensor):
            if other.data.dtype.kind in "iu" and self.data.dtype.kind == "f":
                return _ops.Cast.apply(other, dtype=self.data.dtype)
            return other
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            if isinstance(other, float) and self.data.dtype.kind != "f":  # int Tensor * 0.5: float64, as NumPy
                return Tensor._wrap(np.asarray(other))
            return Tensor._wrap(np.asarray(other, dtype=self.data.dtype))
        if isinstance(other, np.ndarray) and other.dtype.kind in "biu":
            return Tensor._wrap(other.astype(self.data.dtype))
        if isinstance(other, (np.integer, np.bool_)) and self.data.dtype.kind == "f":  # mask.sum() of an array:
            return Tensor._wrap(np.asarray(other, dtype=self.data.dtype))  # as the integer Tensor a jit sees
        try:
            return Tensor._wrap(_as_array(other))
        except TypeError:
            raise TypeError(f"expected a Tensor, a number or a numpy.ndarray as operand, "
                            f"got {type(other).__name__}") from None

    def _operands(self, other: Any) -> tuple[Tensor, Tensor]:
        """(self, other) for a binary op: an integer self meets a float operand in that operand's dtype, as an
        int ndarray would (``Y * A`` inside a jitted step, Y an int argument, is eager's ``Y_array * A``)."""
        o = self._other(other)
        if self.data.dtype.kind in "iu" and o.data.dtype.kind == "f":
            return o._other(self), o
        return self, o

    def __add__(self, other: Any) -> Tensor:
        return _ops.Add.apply(*self._operands(other))

    def __radd__(self, other: Any) -> Tensor:
        return _ops.Add.apply(*self._operands(other)[::-1])

    def __sub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(*self._operands(other))

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(*self._operands(other)[::-1])

    def __mul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(*self._operands(other))

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(*self._operands(other)[::-1])

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(*self._operands(other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(*self._operands(other)[::-1])

    def __pow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(*self._operands(other))

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(*self._operands(other)[::-1])

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.Matmul.apply(*self._operands(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.Matmul.apply(*self._operands(other)[::-1])

    def __neg__(self) -> Tensor:
        return _ops.Neg.apply(self)

    # ----- in-place updates (PyTorch's rule) ------------------------------------------------------
    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(np.add, other, "+=")

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(np.subtract, other, "-=")

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(np.multiply, other, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(np.true_divide, other, "/=")

    def zero_(self) -> Tensor:
        """Set every element to 0 in place (``W.grad.zero_()``); the same rule as ``-=``."""
        return self._in_place(np.multiply, 0.0, "zero_")

    def _in_place(self, ufunc: np.ufunc, other: Any, op: str) -> Tensor:
        """``self.data`` changed in place, as PyTorch allows: on leaves under ``no_grad`` (the tutorial's
        ``W -= lr * W.grad``) and wherever no gradient is being recorded. A node that saved this tensor
        notices (its version changes) and its backward refuses to run on the changed value."""
        o = self._other(other)
        if _state.enabled and (self.requires_grad or o.requires_grad):
            raise in_place_error(self, op)
        hook = getattr(_state.watch, "on_in_place", None)
        if hook is not None:  # the jit's recorder: records the write as a step of the program (and makes it)
            hook(self, op, ufunc, o, lambda: _write(self, ufunc, o, op))
        else:
            _write(self, ufunc, o, op)
        self._version += 1
        InPlace.seen = True
        return self

    __array_ufunc__ = _array_ufunc  # np.exp(t), arr * t: the Tensor's ops; p.data -= ... works on the arrays
    __array_function__ = _array_function  # np.dot(W, A), np.sum(t): the Tensor's ops, or a TypeError naming the fix

    # Comparisons give boolean tensors (masks, predictions) without a gradient; they are ops, so a jitted step
    # computes them afresh on every call. == and != are elementwise too, as in NumPy and PyTorch.
    def __lt__(self, other: Any) -> Tensor:
        return self._compared(_ops.Less, other)

    def __le__(self, other: Any) -> Tensor:
        return self._compared(_ops.LessEqual, other)

    def __gt__(self, other: Any) -> Tensor:
        return self._compared(_ops.Greater, other)

    def __ge__(self, other: Any) -> Tensor:
        return self._compared(_ops.GreaterEqual, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compared(_ops.Equal, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compared(_ops.NotEqual, other)

    def _compared(self, op: type[Function], other: Any) -> Any:
        try:
            o = self._other(other)
        except TypeError:
            return NotImplemented  # == with a non-number is False, < raises Python's TypeError
        return op.apply(self, o)

    __hash__ = object.__hash__

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max(self, other); at a tie each gets half the gradient (``np.maximum(t, 0)`` too)."""
        return _ops.Maximum.apply(*self._operands(other))

    def minimum(self, other: Any) -> Tensor:
        """Elementwise min(self, other); at a tie each gets half the gradient."""
        return _ops.Minimum.apply(*self._operands(other))

    # ----- PyTorch's spellings ------------------------------------------------------------------
    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``."""
        return self ** exponent

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002 - PyTorch's names
        """``clip`` with PyTorch's keywords: values limited to [min, max]."""
        return self.clip(min, max)

    def numel(self) -> int:
        """The number of elements (``size``)."""
        return self.data.size

    def nelement(self) -> int:
        """The number of elements (PyTorch's other name for ``numel``)."""
        return self.data.size

    def view(self, *shape: int | Sequence[int]) -> Tensor:
        """``reshape`` under PyTorch's name (NumPy decides whether it copies; gradients flow the same)."""
        return self.reshape(*shape)

    def log10(self) -> Tensor:
        """log10(x) elementwise: log(x) / log(10); its derivative is 1 / (x log 10)."""
        return self.log() * (1.0 / np.log(10.0))

    def unsqueeze(self, axis: int) -> Tensor:
        """A new axis of length 1 at ``axis`` (negative counts from the end of the new shape)."""
        axis = axis_index("unsqueeze", axis, self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def squeeze(self, axis: int | None = None) -> Tensor:
        """Without the axes of length 1 (only ``axis`` when given, which must have length 1)."""
        if axis is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axis = axis_index("squeeze", axis, self.ndim)
        if self.shape[axis] != 1:
            return self
        return self.reshape(self.shape[:axis] + self.shape[axis + 1:])

    def flatten(self, start: int = 0, end: int = -1) -> Tensor:
        """Axes ``start`` to ``end`` (inclusive) merged into one."""
        if self.ndim == 0:
            return self.reshape(1)
        lo, hi = axis_index("flatten", start, self.ndim), axis_index("flatten", end, self.ndim)
        if lo > hi:
            raise ValueError(f"flatten: start axis {start} comes after end axis {end}")
        return self.reshape(self.shape[:lo] + (-1,) + self.shape[hi + 1:])

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """The index of the largest element along ``axis`` (an integer tensor without gradient)."""
        return _ops.Argmax.apply(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """The index of the smallest element along ``axis`` (an integer tensor without gradient)."""
        return _ops.Argmin.apply(self, axis=axis, keepdims=keepdims)

    def sin(self) -> Tensor:
        """sin(x) elementwise; its derivative is cos(x)."""
        return _ops.Sin.apply(self)

    def cos(self) -> Tensor:
        """cos(x) elementwise; its derivative is -sin(x)."""
        return _ops.Cos.apply(self)

    # ----- elementwise functions ------------------------------------------------------------
    def exp(self) -> Tensor:
        """e**x elementwise."""
        return _ops.Exp.apply(self)

    def log(self) -> Tensor:
        """Natural logarithm elementwise."""
        return _ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        """Square root elementwise."""
        return _ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        """|x| elementwise; its derivative at 0 is taken as 0."""
        return _ops.Abs.apply(self)

    def sigmoid(self) -> Tensor:
        """A = 1 / (1 + e^-Z), stable for any Z; sigma'(Z) = A (1 - A)."""
        return _ops.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        """A = tanh(Z); tanh'(Z) = 1 - A^2."""
        return _ops.Tanh.apply(self)

    def relu(self) -> Tensor:
        """A = max(Z, 0); relu'(Z) = 1 where Z > 0, else 0 (relu'(0) = 0, as the course)."""
        return _ops.Relu.apply(self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """A = Z where Z > 0, else slope * Z; the derivative at 0 is ``slope``."""
        return _ops.LeakyRelu.apply(self, slope=float(slope))

    def softplus(self) -> Tensor:
        """log(1 + e^x), finite for any x; its derivative is sigmoid(x)."""
        return _ops.Softplus.apply(self)

    def log_sigmoid(self) -> Tensor:
        """log(sigmoid(x)), finite for any x (log_sigmoid(-1e4) = -1e4, not -inf)."""
        return _ops.LogSigmoid.apply(self)

    def softmax(self, axis: int = 0) -> Tensor:
        """exp(Z) / sum(exp(Z)) along ``axis`` (axis 0: over the classes of each example column)."""
        return _ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = 0) -> Tensor:
        """log(softmax(Z)) along ``axis``, computed stably."""
        return _ops.LogSoftmax.apply(self, axis=axis)

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(x))) along ``axis``, computed stably."""
        return _ops.Logsumexp.apply(self, axis=axis, keepdims=keepdims)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit values to [lo, hi]; the gradient passes where lo <= x <= hi."""
        if lo is None and hi is None:
            raise ValueError("clip: give lo, hi or both")
        for label, bound in (("lo", lo), ("hi", hi)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float, np.number))):
                raise TypeError(f"clip: {label} must be a number or None, got {type(bound).__name__}")
        return _ops.Clip.apply(self, lo=lo, hi=hi)

    def astype(self, dtype: Any) -> Tensor:
        """This tensor in another float dtype; the gradient is cast back."""
        dtype = np.dtype(dtype)
        if dtype.kind not in _FLOAT_KINDS:
            raise TypeError(f"astype: expected a float dtype, got {dtype}")
        return self if dtype == self.dtype else _ops.Cast.apply(self, dtype=dtype)

    # ----- reductions -----------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None), e.g. ``dZ.sum(axis=1, keepdims=True)`` for db."""
        return _ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes when None)."""
        return _ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; tied maxima share the gradient evenly."""
        return _ops.Max.apply(self, axis=axis, keepdims=keepdims)

    # ----- movement -------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same elements in a new shape (C order, as ``x.reshape(m, -1).T`` in the course)."""
        new = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _ops.Reshape.apply(self, shape=new)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (reverse them when none are given); ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
        chosen = axes[0] if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))) else axes
        return _ops.Transpose.apply(self, axes=tuple(chosen) if chosen else None)

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        """The transpose (axes reversed): ``W.T`` is (n[l-1], n[l])."""
        return _ops.Transpose.apply(self, axes=None)

    def expand(self, shape: Sequence[int]) -> Tensor:
        """Broadcast to ``shape`` without copying; the gradient is summed back."""
        return _ops.Expand.apply(self, shape=tuple(shape))

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.Getitem.apply(self, index=_normalise_index(index))

    # last in the class: a method named ``float`` would shadow the builtin in the annotations below it
    def float(self) -> Tensor:
        """This tensor in float32 (PyTorch's ``float``); the gradient is cast back."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """This tensor in float64 (PyTorch's ``double``); the gradient is cast back."""
        return self.astype(np.float64)


def _write(t: Tensor, ufunc: np.ufunc, o: Tensor, op: str) -> None:
    """``t.data`` changed in place by ``ufunc`` with ``o`` (an error names the operands as the user wrote them)."""
    try:
        ufunc(t.data, o.data, out=t.data, casting="same_kind")
    except (ValueError, TypeError) as e:
        raise type(e)(f"{op}: {describe(t)} {op} {describe(o)}: {e}") from None


def _mask_read(t: Tensor) -> None:
    """A boolean mask Tensor used as an index: while a jit records, its values become a guard."""
    hook = getattr(_state.watch, "on_state_read", None)
    if hook is not None:
        hook(f"the boolean mask {t.name or 'index'} {t.data.shape}", lambda: t.data)


def _value_read(t: Tensor, how: str) -> None:
    """A tensor's value leaves the graph as a Python or NumPy value: the jit's recorder refuses it for a
    traced tensor, whose value a replay would freeze (as JAX refuses converting a tracer)."""
    hook = getattr(_state.watch, "on_value_read", None)
    if hook is not None:
        hook(t, how)


def seed_gradient(root: Tensor, grad: Any, op: str) -> np.ndarray:
    """dJ/droot as an array of root's shape: 1 for a one-element cost when ``grad`` is None."""
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"{op}: {describe(root)} is not a scalar; pass dJ/d(output) of its shape "
                               f"{root.shape}: y.{op}(grad=np.ones_like(y.data)) (what DeZero seeds), or reduce it "
                               f"to a cost first: y.sum().{op}()")
        return np.array(1, dtype=root.data.dtype).reshape(root.data.shape)  # dJ/dJ = 1, cheaper than np.ones
    try:
        g = grad.data if isinstance(grad, Tensor) else _as_array(grad, root.dtype)
    except TypeError as e:
        raise TypeError(f"{op}: grad must be a Tensor, a number or a numpy.ndarray of {describe(root)}'s shape: {e}"
                        ) from None
    if g.shape != root.shape:
        raise ValueError(f"{op}: grad has shape {g.shape} but {describe(root)} needs the same shape")
    return g


def _normalise_index(index: Any) -> Any:
    """Tensors and lists inside an index become integer (or boolean) arrays."""
    def one(i: Any) -> Any:
        if isinstance(i, Tensor):
            # float or int values through an op, so that a jit reads them afresh on every call (a traced index, or
            # an outside tensor whose .data is rebound between calls); a boolean mask sets the result's shape, so
            # a jit refuses a traced one and guards an outside one's values (a change records anew)
            if i.dtype.kind == "b":
                _mask_read(i)
                return i.data
            return _ops.ToIndex.apply(i).data
        if isinstance(i, list):
            try:
                arr = np.asarray(i)
            except ValueError:
                raise IndexError(f"getitem: an index list must be rectangular, got {i!r}") from None
            if arr.size and arr.dtype.kind not in "biu":
                raise IndexError(f"getitem: an index list must hold ints or bools, got dtype {arr.dtype}")
            return arr.astype(np.intp) if not arr.size else arr
        return i
    return tuple(one(i) for i in index) if isinstance(index, tuple) else one(index)
