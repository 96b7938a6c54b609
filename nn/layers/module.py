"""``Module``: the base of every layer and model, as in PyTorch.

A Tensor assigned to a module attribute with ``requires_grad=True`` is a parameter; a
Module assigned to an attribute is a child. ``parameters()``, ``state_dict()``,
``zero_grad()``, ``train()`` and ``eval()`` walk both. ``Parameter(data)`` makes such a
tensor explicitly, as PyTorch's ``nn.Parameter``: ``self.W = nn.Parameter(np.random.randn(3, 2))``.

A *buffer* is state that is saved but not trained (BatchNorm's running mean and variance):
``self.register_buffer("running_mean", np.zeros((n, 1)))`` makes a float array that
``state_dict()``, ``load_state_dict()``, ``nn.save``/``nn.load`` and ``astype`` include and that
``parameters()`` (so every optimiser) leaves out, as PyTorch's ``register_buffer``.

Modules or parameters kept in a plain ``list``, ``tuple`` or ``dict`` attribute are NOT registered (as in
PyTorch): an optimiser would never see them. That gets an ``UnregisteredWarning`` naming the attribute and
the fix, ``nn.ModuleList`` / ``nn.ParameterList``, once per class and attribute.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from nn.layers.summary import Row, Summary, format_summary, parameter_rows
from nn.layers.task import Task
from tinygrad_nb import Tensor, side_effect, state_changed, state_written

Numbering = Mapping[int, int]
"""The layer numbers of a network: ``id(linear) -> l`` for each distinct Linear layer, W{l} and b{l} its names."""


class UnregisteredWarning(UserWarning):
    """Modules or parameters kept in a plain list, tuple or dict attribute, which ``parameters()``, ``state_dict()``
    and every optimiser do not see: keep them in an ``nn.ModuleList`` or ``nn.ParameterList`` instead."""


def Parameter(data: Any, name: str | None = None) -> Tensor:
    """A parameter: a leaf Tensor with ``requires_grad=True``, which a Module registers when assigned to it.

    As PyTorch's ``nn.Parameter(data)``, a marker: ``self.W = Parameter(np.random.randn(n_l, n_prev))``
    in a Module's ``__init__`` puts W into ``parameters()`` and ``state_dict()`` (under the
    attribute's name, also given to the tensor if it has none), exactly as Linear's W and b.
    It returns a plain Tensor (so ``isinstance(p, Parameter)`` does not apply; test
    ``p.requires_grad``). A float array is shared, not copied (as PyTorch); a Tensor given as
    ``data`` lends its array (its graph is not kept). Ints and bools become float64.

    Args:
        data: an array, a nested list, a number or a Tensor, e.g. W (n[l], n[l-1]) or b (n[l], 1).
        name: a course name such as "W1"; by default the attribute's name.
    """
    array = data.data if isinstance(data, Tensor) else data
    return Tensor(array, requires_grad=True, name=name)


class Built:
    """A mixin that marks an object built (``_built``) when its outermost ``__init__`` returns: from then on
    setting an attribute is a change a jitted step must see; while the object is being built, nothing ran it
    (so layers and optimisers built inside a jitted step are not refused)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def built(self: Any, *args: Any, **kw: Any) -> None:
            init(self, *args, **kw)
            if type(self).__init__ is built:
                object.__setattr__(self, "_built", True)
                check_plain_containers()
        cls.__init__ = built  # type: ignore[method-assign]


class Module(Built):
    """Base class: subclasses define ``forward`` and assign parameters and sub-modules as attributes.

    A module or a parameter reached twice (a layer used twice, a tensor assigned to two
    attributes) is one module or one parameter: ``modules()``, ``parameters()`` and
    ``state_dict()`` list it once, under the first name it is reached by, as PyTorch does.
    """

    training: bool
    _parameters: dict[str, Tensor]
    _modules: dict[str, Module]
    _buffers: dict[str, np.ndarray]
    _task: Task | None = None

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() before setting {name}")
        built = self.__dict__.get("_built")
        if built:  # refused inside a jitted step (before the write); the version moves after it
            state_written(self, name)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:  # a buffer stays one: a float array of the same shape
            value = buffers[name] = _buffer_array(type(self).__name__, name, value, buffers[name].shape)
        elif isinstance(value, Tensor) and value.requires_grad:
            self._parameters[name] = value
            if value.name is None and value.is_leaf:  # a parameter made for this attribute takes its name
                value.name = name
        elif isinstance(value, Module):
            self._modules[name] = value
        elif isinstance(value, (list, tuple, dict)) and not name.startswith("__"):
            _PENDING.setdefault(self, set()).add(name)  # checked once the module is built or asked for parameters
        object.__setattr__(self, name, value)
        if built:  # a jitted step that read the old value records again
            state_changed(self, name)

    def __delattr__(self, name: str) -> None:
        built = self.__dict__.get("_built")
        if built:
            state_written(self, name)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if name in self.__dict__.get("_buffers", {}):
            del self._buffers[name]
        object.__delattr__(self, name)
        if built:
            state_changed(self, name)

    # ----- running ----------------------------------------------------------------------------
    def forward(self, *args: Any) -> Tensor:
        """Compute the output from the input (A[l-1] -> A[l] for a layer)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any) -> Tensor:
        return self.forward(*args)

    def train(self, mode: bool = True) -> Module:
        """Switch this module and its children to training mode (dropout on). Returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be True or False, got {mode!r}")
        changed = [m for m in self.modules() if m.training is not mode]
        if changed:
            state_written(self, "training")
        for m in changed:
            object.__setattr__(m, "training", mode)
        if changed:
            state_changed(self, "training")
        return self

    def __jit_state__(self) -> tuple[Any, ...]:
        """What a jitted step bakes in of this module and its children: which objects its attributes hold
        (layers, W and b), its plain settings (keep_prob, slope) and its mode, module by module."""
        return tuple((id(m), m.training, tuple((k, _state_key(v)) for k, v in m.__dict__.items()
                                              if k not in getattr(type(m), "__jit_ignore__", ())))
                     for m in self.modules())

    def eval(self) -> Module:
        """Switch to evaluation mode (dropout off). Returns self."""
        return self.train(False)

    # ----- parameters -------------------------------------------------------------------------
    def modules(self) -> Iterator[Module]:
        """This module and every descendant, depth first, each once."""
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            m = stack.pop()
            if id(m) not in seen:
                seen.add(id(m))
                yield m
                stack.extend(reversed(m._modules.values()))

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """(name, parameter) pairs, each parameter once under its first name.

        In a Sequential or MLP the names are the course's W1, b1, ..., WL, bL; elsewhere
        a child's parameters are prefixed by its attribute name (``encoder.W``). The names
        are computed from the structure of the module asked, each time: a layer that is also
        part of another model is numbered here as this model runs it.

        Raises ValueError when two different parameters would get the same name (a
        ``state_dict`` would silently keep only one of them).
        """
        check_plain_containers()
        seen: dict[int, str] = {}
        owner: dict[str, int] = {}
        for name, p in self._reachable_parameters():
            if id(p) in seen:
                continue
            if name in owner:
                raise ValueError(f"{type(self).__name__}: two different parameters are both named {name!r}; "
                                 "give the modules distinct attribute names")
            seen[id(p)], owner[name] = name, id(p)
            yield name, p

    def _reachable_parameters(self, numbering: Numbering | None = None) -> Iterator[tuple[str, Tensor]]:
        """Every (name, parameter) pair on every path, repeats included: ``named_parameters`` drops them.

        ``numbering`` is the layer numbers (``id(linear) -> l``) of the network being asked, handed down
        by the outermost Sequential so that a nested one names its layers as that network counts them;
        None when no Sequential above this module numbers them.
        """
        yield from self._parameters.items()
        for child_name, child in self._modules.items():
            prefix = self._child_prefix(child_name, child)
            for name, p in child._reachable_parameters(numbering):
                yield prefix + name, p

    def _child_prefix(self, child_name: str, child: Module) -> str:
        """What goes before a child's parameter names: ``"encoder."``; Sequential uses course names instead."""
        return f"{child_name}."

    def parameters(self) -> list[Tensor]:
        """Every parameter, in order (W1, b1, W2, b2, ... for a network)."""
        return [p for _, p in self.named_parameters()]

    # ----- buffers ----------------------------------------------------------------------------
    def register_buffer(self, name: str, array: Any) -> None:
        """Make ``self.<name>`` a buffer: a float array saved with the module but never trained.

        As PyTorch's ``register_buffer``: BatchNorm's running mean and variance. A buffer is in
        ``state_dict()`` (so ``nn.save`` keeps it and ``load_state_dict`` restores it, with the same
        checks as a parameter) and converted by ``astype``, but not in ``parameters()``, so no optimiser
        updates it. The module updates it itself, in place (``self.running_mean[...] = ...``) or by
        assigning a new array of the same shape (``self.running_mean = ...``). Ints and bools become float64.
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"register_buffer: name must be an identifier such as 'running_mean', got {name!r}")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: {type(self).__name__}.{name} is already a "
                           f"{'parameter' if name in self._parameters else 'module'}")
        arr = _buffer_array(type(self).__name__, name, array, None)
        self._buffers[name] = arr
        self.__setattr__(name, arr)  # as any attribute: a jitted step that read the old value records anew

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """(name, buffer) pairs, each buffer once under its first name, named as ``named_parameters`` names
        (a child's prefixed by its attribute name, ``bn.running_mean``; in a Sequential ``running_mean1``, after
        the layer whose Z1 it normalises).

        Raises ValueError when two different buffers, or a buffer and a parameter, would get the same name.
        """
        seen: dict[int, str] = {}
        owner: dict[str, int] = {name: id(p) for name, p in self.named_parameters()}
        for name, b in self._reachable_buffers():
            if id(b) in seen:
                continue
            if name in owner:
                raise ValueError(f"{type(self).__name__}: a buffer and another buffer or parameter are both named "
                                 f"{name!r}; give the modules distinct attribute names")
            seen[id(b)], owner[name] = name, id(b)
            yield name, b

    def _reachable_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """Every (name, buffer) pair on every path, repeats included, prefixed as ``_reachable_parameters``."""
        yield from self.__dict__.get("_buffers", {}).items()
        for child_name, child in self._modules.items():
            prefix = self._child_prefix(child_name, child)
            for name, b in child._reachable_buffers():
                yield prefix + name, b

    def buffers(self) -> list[np.ndarray]:
        """Every buffer (the arrays themselves, not copies), in order."""
        return [b for _, b in self.named_buffers()]

    @side_effect  # a jitted step replays it
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets ``.grad`` to None)."""
        for p in self.parameters():
            p.grad = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """The course's ``parameters`` dict: {"W1": array (n[1], n[0]), "b1": array (n[1], 1), ...} (copies),
        then the buffers (a BatchNorm's ``running_mean``, ``running_var``)."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update((name, b.copy()) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays from ``state`` (e.g. the course's ``parameters`` dict) into the parameters and buffers.

        Every key is checked first: a missing key (with ``strict``), an unexpected key (with
        ``strict``), a shape that does not fit or an array that is not float (bool, int)
        raises one ValueError naming each bad key, and then no parameter or buffer has changed.
        A buffer is copied into in place (it keeps its array and dtype).
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict expects a dict of arrays, got {type(state).__name__}")
        buffers = dict(self.named_buffers())
        own: dict[str, Any] = {**dict(self.named_parameters()), **buffers}
        problems, updates = [], {}
        for name, value in state.items():
            if name not in own:
                if strict:
                    problems.append(f"unexpected key {name!r}")
                continue
            arr = value.data if isinstance(value, Tensor) else value
            if not isinstance(arr, np.ndarray):
                problems.append(f"{name!r} must be a numpy array, got {type(value).__name__}")
            elif arr.dtype.kind != "f":
                problems.append(f"{name!r} must be a float array, got dtype {arr.dtype}")
            elif arr.shape != own[name].shape:
                problems.append(f"{name!r} has shape {arr.shape}, the model needs {own[name].shape}")
            else:
                updates[name] = arr
        if strict:
            problems += [f"missing key {name!r}" for name in own if name not in state]
        if problems:
            raise ValueError(f"load_state_dict: {'; '.join(problems)}")
        for name, arr in updates.items():
            if name in buffers:
                np.copyto(buffers[name], arr, casting="unsafe")
            else:
                own[name].data = arr.astype(own[name].dtype, copy=True)

    def astype(self, dtype: Any) -> Module:
        """Convert every parameter and buffer to a float dtype (float32 for speed, float64 for gradient checks)."""
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"astype: expected a float dtype such as np.float32, got {dtype!r}") from None
        if dtype.kind != "f":
            raise TypeError(f"astype: expected a float dtype, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        for m in self.modules():
            for name, b in list(m.__dict__.get("_buffers", {}).items()):
                if b.dtype != dtype:
                    setattr(m, name, b.astype(dtype))  # through __setattr__: a jitted step records anew
        return self

    # ----- the task -----------------------------------------------------------------------------
    @property
    def task(self) -> Task | None:
        """What this model predicts (an ``nn.Task``: binary or multiclass, the class names), or None.

        None until set: ``model.task = data.task`` (or ``MLP(..., task=...)``). ``nn.save`` stores
        it in the model file and ``nn.load`` restores it, so ``nn.check_task(model, data)`` can
        refuse data labelled for another task. Setting it checks it against the model (n[L]
        output units) and fills in ``output`` (probabilities or logits) from the last layer.
        """
        return self._task

    @task.setter
    def task(self, task: Task | None) -> None:
        object.__setattr__(self, "_task", self.fit_task(task))

    def fit_task(self, task: Task | None) -> Task | None:
        """``task`` checked against this module (ValueError naming both when they disagree), its output filled in.

        A plain Module cannot tell its output units, so any Task is accepted; Sequential and MLP check n[L].
        """
        if task is not None and not isinstance(task, Task):
            raise TypeError(f"{type(self).__name__}.task must be an nn.Task or None, got {type(task).__name__}; "
                            "e.g. nn.Task('binary', ['non-cat', 'cat'])")
        return task

    # ----- persistence hooks and display ------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module (saved as JSON by ``nn.save``)."""
        return {"type": type(self).__name__}

    def extra_repr(self) -> str:
        """The part inside the parentheses of ``repr``."""
        return ""

    def count_parameters(self) -> int:
        """The number of parameter entries, each parameter once: sum of n[l] n[l-1] + n[l] over the layers."""
        return sum(p.size for p in self.parameters())

    def summary(self) -> Summary:
        """A table of the layers: course names, W[l] and b[l] shapes, parameter counts, outputs, and the total.

        Returns the text (a ``str`` whose repr is the table itself, so a notebook or the REPL
        shows it as a table) and prints nothing: in a script write ``print(model.summary())``.
        """
        return format_summary(self.summary_head(), self.summary_rows(), list(self.named_parameters()),
                              self.count_parameters(), self.task)

    def summary_head(self) -> str:
        """The first line of ``summary()``: the module's type (and, for an MLP, its layer_dims)."""
        return type(self).__name__

    def summary_rows(self) -> list[Row]:
        """The rows of ``summary()``: (layer l, module, parameters, count, output); here one per parameter."""
        return parameter_rows(list(self.named_parameters()))

    def __repr__(self) -> str:
        return self._repr_with(None)

    def _repr_with(self, numbering: Numbering | None) -> str:
        """The repr, its Linear layers named by ``numbering`` (see ``_reachable_parameters``) when given."""
        n = self.count_parameters()
        if not self._modules:
            inner = self.extra_repr()
            if n:
                inner += f"{', ' if inner else ''}params={n}"
            return f"{type(self).__name__}({inner})"
        lines = [f"  ({name}): {m._repr_with(numbering).replace(chr(10), chr(10) + '  ')}"
                 for name, m in self._modules.items()]
        return f"{type(self).__name__}(  # params={n}\n" + "\n".join(lines) + "\n)"


_PENDING: weakref.WeakKeyDictionary[Module, set[str]] = weakref.WeakKeyDictionary()
"""The modules given a plain list, tuple or dict attribute since the last check, and those attributes' names."""
_WARNED: set[tuple[type, str]] = set()


def check_plain_containers() -> None:
    """Warn (``UnregisteredWarning``, once per class and attribute) for each list, tuple or dict attribute set since
    the last check that holds a Module or a parameter which the module does not reach otherwise.

    Checked when a module's outermost ``__init__`` returns and when parameters are asked for, not when the
    attribute is set: a container that mirrors registered children (Sequential's ``layers``) is fine, and may
    be set before the children are.
    """
    if not _PENDING:
        return
    pending = list(_PENDING.items())
    _PENDING.clear()
    for module, names in pending:
        if "_built" not in module.__dict__:  # still being built: checked when its __init__ returns
            _PENDING.setdefault(module, set()).update(names)
            continue
        reached: set[int] | None = None
        for name in sorted(names):
            if (type(module), name) in _WARNED or name not in module.__dict__:
                continue
            items = list(_held(module.__dict__[name]))
            if not items:
                continue
            if reached is None:
                reached = {id(x) for m in module.modules() for x in (m, *m._parameters.values())}
            lost = [x for x in items if id(x) not in reached]
            if lost:
                _WARNED.add((type(module), name))
                container = type(module.__dict__[name]).__name__
                fix = "nn.ModuleList" if isinstance(lost[0], Module) else "nn.ParameterList"
                counts = (sum(isinstance(x, Module) for x in lost), sum(not isinstance(x, Module) for x in lost))
                what = " and ".join(f"{n} {kind}{'s' if n > 1 else ''}"
                                    for n, kind in zip(counts, ("module", "parameter")) if n)
                verb = "is" if len(lost) == 1 else "are"
                warnings.warn(f"{type(module).__name__}.{name} is a plain {container} holding {what} that {verb} not "
                              f"registered: parameters(), state_dict(), nn.save and every optimiser leave "
                              f"{'it' if len(lost) == 1 else 'them'} out; use {fix}(...) instead",
                              UnregisteredWarning, stacklevel=3)


def _held(value: Any, depth: int = 0) -> Iterator[Module | Tensor]:
    """The Modules and parameters (leaf Tensors that require grad) in a list, tuple or dict, nested up to 3 levels;
    a computed Tensor (a course-style cache ``self.cache = (A_prev, Z)``) is not a parameter."""
    if depth > 3:
        return
    values = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for v in values:
        if isinstance(v, Module) or (isinstance(v, Tensor) and v.requires_grad and v.is_leaf):
            yield v
        elif isinstance(v, (list, tuple, dict)):
            yield from _held(v, depth + 1)


def _buffer_array(owner: str, name: str, value: Any, shape: tuple[int, ...] | None) -> np.ndarray:
    """``value`` as a buffer's array: a float ndarray (ints and bools become float64; a float array is kept,
    not copied), of ``shape`` when given (the shape the buffer has)."""
    arr = value.data if isinstance(value, Tensor) else value
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{owner}.{name} is a buffer: it must be a numpy array, got {type(value).__name__}")
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{owner}.{name} is a buffer: it must be a float array, got dtype {arr.dtype}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{owner}.{name} is a buffer of shape {shape}, got an array of shape {arr.shape}")
    return arr


def _state_key(v: Any) -> Any:
    """A module attribute as ``__jit_state__`` compares it: plain values by value, containers by their items'
    identities, anything else (a tensor, a layer, a generator) by identity."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return (type(v), repr(v))
    if isinstance(v, dict):
        return tuple((k, id(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return tuple(id(x) for x in v)
    return id(v)


@contextmanager
def eval_mode(module: Module) -> Iterator[Module]:
    """``module`` in evaluation mode inside the block; afterwards (also after an exception) every
    sub-module is back in the mode it had, so a model the user put in eval mode stays there."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        changed = any(m.training is not mode for m, mode in modes)
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
        if changed:
            state_changed(module, "training")
