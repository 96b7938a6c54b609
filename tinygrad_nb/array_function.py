"""NumPy's function protocol (NEP 18, ``__array_function__``) for ``Tensor``.

``np.dot(W, A)``, ``np.sum(t)``, ``np.concatenate([a, b])`` on Tensors call :func:`array_function`, which
gives one of three answers and never a silent ndarray that dropped the gradient:

* the differentiable op, built from the Tensor's own methods and ops (``_OPS`` below);
* a plain NumPy value for a query whose answer has no gradient (``np.shape``, ``np.argmax``, ``np.allclose``);
* a ``TypeError`` naming the function and the fix (``np.linalg.norm``, ``np.sum(t, dtype=...)``).

Elementwise functions (``np.exp``, ``np.matmul``, ``np.maximum``) are ufuncs: they go through
``Tensor.__array_ufunc__``, not here.

This module imports only NumPy and the ops (as ``_tensor.py`` does), never ``_tensor`` or ``functional``,
so ``_tensor.py`` may import it without an import loop; the Tensor class is ``type(self)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_nb import ops
from tinygrad_nb.function import ShapeError
from tinygrad_nb.ops.axes import axis_index

_NO = object()  # "not given": NumPy's own <no value> default, for keywords whose None means something


def array_function(self: Any, func: Callable[..., Any], types: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_function__``: NumPy function ``func`` called on ``args``/``kwargs`` holding a Tensor.

    Returns the differentiable Tensor result for the functions in ``_OPS``, the plain NumPy result for the
    queries in ``_SHAPE_QUERIES`` and ``_VALUE_QUERIES``, and ``NotImplemented`` when another array type
    takes part (NumPy then asks that type). Anything else raises ``TypeError`` naming the function and
    what to write instead.
    """
    cls = _tensor_class(self)
    if not all(issubclass(t, (cls, np.ndarray)) for t in types):
        return NotImplemented
    handler = _OPS.get(func)
    if handler is not None:
        return handler(_Call(cls, _np_name(func)), *args, **kwargs)
    if func in _SHAPE_QUERIES:
        return func(*_plain(cls, args, _data), **_plain(cls, kwargs, _data))
    if func in _VALUE_QUERIES:
        out = kwargs.get("out")
        if any(isinstance(o, cls) for o in (out if isinstance(out, tuple) else (out,))):
            raise TypeError(f"{_np_name(func)} on a Tensor: out= cannot be a Tensor; use the returned value")
        return func(*_plain(cls, args, np.asarray), **_plain(cls, kwargs, np.asarray))
    name = _np_name(func)
    hint = _HINTS.get(func)
    raise TypeError(f"{name} on a Tensor has no gradient rule in tinygrad_nb: "
                    + (f"{hint}, " if hint else "use the Tensor's own methods, operators and functions "
                       "(t.sum(), t @ W, t.exp(), tinygrad_nb.concatenate, ...), which gradients flow through, ")
                    + f"or {name}(t.data) for a plain array without gradient")


# ----- helpers ------------------------------------------------------------------------------------------
class _Call:
    """What a handler needs to know about the call: the Tensor class and the function's name for messages."""

    __slots__ = ("cls", "name")

    def __init__(self, cls: Any, name: str):
        self.cls, self.name = cls, name

    def tensors(self, *xs: Any) -> list[Any]:
        """The operands as Tensors: plain numbers and arrays become constants, as ``t * arr`` makes them
        (int and bool arrays take the dtype of the first float Tensor operand)."""
        cls = self.cls
        ref = next((x for x in xs if isinstance(x, cls) and x.dtype.kind == "f"), None)
        out = []
        for x in xs:
            if isinstance(x, cls):
                out.append(x)
                continue
            try:
                out.append(ref._other(x) if ref is not None else cls(x))
            except TypeError as e:
                raise TypeError(f"{self.name} on a Tensor: cannot use {type(x).__name__} as an operand: {e}"
                                ) from None
        return out

    def refuse(self, **given: Any) -> None:
        """A TypeError for the first keyword given a value the engine does not support (``out=``, ``dtype=``)."""
        for kw, value in given.items():
            if value is _NO or (value is None and kw in ("out", "dtype", "copy")):
                continue
            raise TypeError(f"{self.name} on a Tensor: {kw}= is not supported; "
                            f"{_KW_FIXES.get(kw, 'leave it out').format(name=self.name)}; "
                            f"or {self.name}(t.data, {kw}=...) for a plain array without gradient")

    def order(self, order: Any) -> None:
        if order != "C":
            raise TypeError(f"{self.name} on a Tensor: only order='C' is supported, got order={order!r}")


_KW_FIXES = {
    "out": "the result is a new Tensor: assign it, y = {name}(t, ...), instead of writing into out",
    "dtype": "cast first with t.astype(dtype)",
    "where": "select the elements first: {name}(t[mask])",
    "initial": "combine the result with the initial value yourself: np.sum(t) + initial, "
               "tinygrad_nb.maximum(np.max(t), initial)",
    "casting": "the Tensors' dtypes are promoted as NumPy promotes them; leave casting out",
    "copy": "a Tensor result is new either way; leave copy out",
}


def _tensor_class(t: Any) -> type:
    """The Tensor class itself (the base, for a subclass): the farthest class in the MRO defining ``_wrap``."""
    return [c for c in type(t).__mro__ if "_wrap" in vars(c)][-1]


def _np_name(func: Any) -> str:
    """``np.dot``, ``np.linalg.norm``: the function as the user wrote it."""
    module = getattr(func, "__module__", None) or "numpy"
    name = getattr(func, "__name__", repr(func))
    if module == "numpy" or not module.startswith("numpy.") or any(p.startswith("_") for p in module.split(".")):
        return f"np.{name}"
    return "np." + module[len("numpy."):] + "." + name


def _data(t: Any) -> np.ndarray:
    return t.data


def _plain(cls: type, x: Any, array: Callable[[Any], np.ndarray]) -> Any:
    """``x`` with every Tensor (also inside lists, tuples and dicts) replaced by ``array(tensor)``:
    ``.data`` where only shapes and dtypes are read, ``np.asarray`` (the Tensor's own conversion,
    ``__array__``, so whatever it checks applies) where values leave the graph."""
    if isinstance(x, cls):
        return array(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(cls, i, array) for i in x)
    if isinstance(x, dict):
        return {k: _plain(cls, v, array) for k, v in x.items()}
    return x


def _shape_after(func: Callable[..., np.ndarray], shape: tuple[int, ...], *args: Any) -> tuple[int, ...]:
    """The shape NumPy's ``func`` gives an array of ``shape`` (its own checks and errors), without copying data."""
    return func(np.broadcast_to(np.zeros((), dtype=bool), shape), *args).shape


def _sequence(call: _Call, arrays: Any) -> list[Any]:
    if isinstance(arrays, (call.cls, np.ndarray, str, bytes)) or not isinstance(arrays, Sequence) or not arrays:
        raise TypeError(f"{call.name} on a Tensor: expected a non-empty list or tuple of tensors/arrays, "
                        f"got {type(arrays).__name__}")
    return call.tensors(*arrays)


# ----- the differentiable functions --------------------------------------------------------------------
def _dot(call: _Call, a: Any, b: Any, out: Any = None) -> Any:
    """NumPy's dot: 2-D @ 2-D is matmul; 1-D vectors are treated as a row (left) or a column (right) and the
    axis removed again; 0-d multiplies; N-D sums over a's last axis and b's second-to-last, via reshapes,
    one transpose and one matmul."""
    call.refuse(out=out)
    a, b = call.tensors(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:
        return a @ b
    k_axis = 0 if b.ndim == 1 else b.ndim - 2
    n = a.shape[-1]
    if n != b.shape[k_axis]:
        raise ShapeError(f"{call.name}: shapes {a.shape} and {b.shape} not aligned: "
                         f"{n} (dim {a.ndim - 1}) != {b.shape[k_axis]} (dim {k_axis})")
    lead = a.shape[:-1]
    rest = b.shape[:k_axis] + b.shape[k_axis + 1:]
    a2 = a.reshape(int(np.prod(lead, dtype=np.int64)), n) if a.ndim != 2 else a
    if b.ndim > 2:  # b's summed axis first, then everything else
        b = b.transpose((k_axis,) + tuple(i for i in range(b.ndim) if i != k_axis))
    b2 = b.reshape(n, int(np.prod(rest, dtype=np.int64))) if b.ndim != 2 else b
    return (a2 @ b2).reshape(lead + rest)


def _sum(call: _Call, a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = False,
         initial: Any = _NO, where: Any = _NO) -> Any:
    call.refuse(dtype=dtype, out=out, initial=initial, where=where)
    return call.tensors(a)[0].sum(axis=axis, keepdims=bool(keepdims))


def _mean(call: _Call, a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = False,
          *, where: Any = _NO) -> Any:
    call.refuse(dtype=dtype, out=out, where=where)
    return call.tensors(a)[0].mean(axis=axis, keepdims=bool(keepdims))


def _max(call: _Call, a: Any, axis: Any = None, out: Any = None, keepdims: Any = False, initial: Any = _NO,
         where: Any = _NO) -> Any:
    call.refuse(out=out, initial=initial, where=where)
    return call.tensors(a)[0].max(axis=axis, keepdims=bool(keepdims))


def _min(call: _Call, a: Any, axis: Any = None, out: Any = None, keepdims: Any = False, initial: Any = _NO,
         where: Any = _NO) -> Any:
    """min(x) = -max(-x): the gradient goes to the minima, ties sharing it evenly (as ``max``)."""
    call.refuse(out=out, initial=initial, where=where)
    return -(-call.tensors(a)[0]).max(axis=axis, keepdims=bool(keepdims))


def _transpose(call: _Call, a: Any, axes: Any = None) -> Any:
    t = call.tensors(a)[0]
    return t.transpose(None if axes is None else tuple(np.atleast_1d(axes).tolist()))


def _swapaxes(call: _Call, a: Any, axis1: Any, axis2: Any) -> Any:
    t = call.tensors(a)[0]
    i, j = axis_index(call.name, axis1, t.ndim), axis_index(call.name, axis2, t.ndim)
    perm = list(range(t.ndim))
    perm[i], perm[j] = j, i
    return t.transpose(tuple(perm))


def _reshape(call: _Call, a: Any, shape: Any = None, order: Any = "C", *, newshape: Any = None,
             copy: Any = None) -> Any:
    call.order(order)
    call.refuse(copy=copy)
    if shape is None and newshape is None:
        raise TypeError(f"{call.name}: the new shape is missing")
    return call.tensors(a)[0].reshape(shape if shape is not None else newshape)


def _ravel(call: _Call, a: Any, order: Any = "C") -> Any:
    call.order(order)
    return call.tensors(a)[0].reshape(-1)


def _squeeze(call: _Call, a: Any, axis: Any = None) -> Any:
    t = call.tensors(a)[0]
    return t.reshape(_shape_after(np.squeeze, t.shape, axis))


def _expand_dims(call: _Call, a: Any, axis: Any) -> Any:
    t = call.tensors(a)[0]
    return t.reshape(_shape_after(np.expand_dims, t.shape, axis))


def _concatenate(call: _Call, arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None,
                 casting: Any = "same_kind") -> Any:
    call.refuse(out=out, dtype=dtype, casting=_NO if casting == "same_kind" else casting)
    xs = _sequence(call, arrays)
    if axis is None:  # NumPy flattens every input first
        xs, axis = [x.reshape(-1) for x in xs], 0
    return ops.Concatenate.apply(*xs, axis=axis)


def _stack(call: _Call, arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None,
           casting: Any = "same_kind") -> Any:
    call.refuse(out=out, dtype=dtype, casting=_NO if casting == "same_kind" else casting)
    return ops.Stack.apply(*_sequence(call, arrays), axis=axis)


def _where(call: _Call, *args: Any) -> Any:
    """np.where(cond, x, y): x where cond holds, else y; the gradient flows to x and y, not to the mask.
    np.where(cond) alone is NumPy's nonzero: the indices, a plain answer."""
    if len(args) == 1:
        return np.where(_plain(call.cls, args[0], np.asarray))
    if len(args) != 3:
        raise TypeError(f"{call.name}: either both or neither of x and y should be given")
    condition = args[0]
    if isinstance(condition, call.cls):  # an input of the op: a jitted step reads or recomputes it every call
        cond = condition if condition.dtype == bool else condition != 0
    else:  # NumPy's truth test
        cond = call.cls._wrap(np.asarray(_plain(call.cls, condition, _data)).astype(bool, copy=False))
    x, y = call.tensors(args[1], args[2])
    return ops.Where.apply(cond, x, y)


def _clip(call: _Call, a: Any, a_min: Any = _NO, a_max: Any = _NO, out: Any = None, *, min: Any = _NO,
          max: Any = _NO, **kwargs: Any) -> Any:  # min, max: NumPy's keyword names
    call.refuse(out=out, **kwargs)
    for label, pos, kw in (("min", a_min, min), ("max", a_max, max)):
        if pos is not _NO and kw is not _NO:
            raise TypeError(f"{call.name}: a_{label} and {label} were both given; give one")
    bounds: list[Any] = []
    for label, bound in (("a_min", a_min if min is _NO else min), ("a_max", a_max if max is _NO else max)):
        if bound is _NO or bound is None:
            bounds.append(None)
        elif isinstance(bound, call.cls) or (np.ndim(bound) != 0 and not isinstance(bound, (int, float))):
            raise TypeError(f"{call.name} on a Tensor: {label} must be a number (the engine clips to constant "
                            f"bounds); for elementwise bounds use tinygrad_nb.minimum(tinygrad_nb.maximum(t, lo), hi)")
        else:
            bounds.append(bound.item() if isinstance(bound, np.ndarray) else bound)
    return call.tensors(a)[0].clip(*bounds)


_OPS: dict[Any, Callable[..., Any]] = {
    np.dot: _dot, np.sum: _sum, np.mean: _mean, np.max: _max, np.amax: _max, np.min: _min, np.amin: _min,
    np.transpose: _transpose, np.swapaxes: _swapaxes, np.reshape: _reshape, np.ravel: _ravel,
    np.squeeze: _squeeze, np.expand_dims: _expand_dims, np.concatenate: _concatenate, np.stack: _stack,
    np.where: _where, np.clip: _clip,
}

# Questions about a Tensor whose answers carry no gradient: NumPy answers them on the arrays, plainly.
# About the shape and dtype only:
_SHAPE_QUERIES = frozenset({np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj})
# About the values (indices, booleans, text), which leave the graph as NumPy values:
_VALUE_QUERIES = frozenset({
    np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.argwhere, np.count_nonzero,
    np.any, np.all, np.isclose, np.allclose, np.array_equal, np.array_equiv,
    np.array2string, np.array_repr, np.array_str,
})

# The differentiable spelling of common functions the engine has no op for (default: the generic advice).
_HINTS: dict[Any, str] = {
    np.linalg.norm: "write the norm with Tensor ops, e.g. (t * t).sum().sqrt() for the 2-norm",
    np.std: "write it with Tensor ops, e.g. ((t - t.mean()) ** 2).mean().sqrt()",
    np.var: "write it with Tensor ops, e.g. ((t - t.mean()) ** 2).mean()",
    np.prod: "write it with Tensor ops, e.g. t.log().sum().exp() for positive t",
    np.outer: "use a.reshape(-1, 1) * b.reshape(1, -1)",
    np.inner: "use np.dot(a, b) (the same for 1-D vectors) or a @ b.T",
    np.vdot: "use np.dot(a.reshape(-1), b.reshape(-1))",
    np.copy: "a Tensor needs no copy: use t itself, t.detach() for a constant, or t + 0 for a new node",
    np.round: "rounding has no useful gradient (zero almost everywhere)",
    np.cumsum: "sum slices with Tensor ops (t[:k].sum(...) for each k)",
}


def array_ufunc(self: Any, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """NumPy's ``__array_ufunc__`` for Tensor: ``p.data -= lr * p.grad`` (an array result) works on the arrays,
    and the elementwise functions the engine differentiates (``np.exp(t)``, ``arr * t``) become Tensor ops."""
    cls = type(self)
    out = kwargs.get("out")
    if out is not None:
        if any(isinstance(o, cls) for o in out):
            return NotImplemented  # t += ... is Tensor.__iadd__'s
        return getattr(ufunc, method)(*[x.data if isinstance(x, cls) else x for x in inputs], **kwargs)
    names = _UFUNCS.get(ufunc)
    if method != "__call__" or names is None or kwargs:
        raise TypeError(f"np.{ufunc.__name__} on a Tensor: use the Tensor's own methods and operators "
                        f"(x.exp(), x.sin(), x * y, ...), which gradients flow through, or np.{ufunc.__name__}"
                        "(x.data) for a plain array")
    if isinstance(inputs[0], cls):
        return getattr(inputs[0], names[0])(*inputs[1:])
    return getattr(inputs[1], names[1])(inputs[0])  # array <op> Tensor: the reflected operator


# NumPy ufuncs a Tensor answers with its own (differentiable) op: (method, reflected method)
_UFUNCS: dict[Any, tuple[str, str]] = {
    np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"), np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"), np.matmul: ("__matmul__", "__rmatmul__"),
    np.greater: ("__gt__", "__lt__"), np.less: ("__lt__", "__gt__"),
    np.greater_equal: ("__ge__", "__le__"), np.less_equal: ("__le__", "__ge__"),
    np.equal: ("__eq__", "__eq__"), np.not_equal: ("__ne__", "__ne__"),
    np.maximum: ("maximum", "maximum"), np.minimum: ("minimum", "minimum"),
    np.negative: ("__neg__", "__neg__"), np.exp: ("exp", "exp"), np.log: ("log", "log"),
    np.sqrt: ("sqrt", "sqrt"), np.absolute: ("abs", "abs"), np.tanh: ("tanh", "tanh"),
    np.sin: ("sin", "sin"), np.cos: ("cos", "cos"),
}
