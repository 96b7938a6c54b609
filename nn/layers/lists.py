"""``ModuleList`` and ``ParameterList``: lists whose items a Module registers, as PyTorch's.

A plain Python list of layers or parameters assigned to a module is invisible to it (``parameters()``,
``state_dict()``, ``nn.save`` and every optimiser skip it; ``Module`` warns). These hold their items as
the attributes "0", "1", ... of a Module, so a model that keeps ``self.layers = ModuleList([Linear(2, 4),
Linear(4, 1)])`` has the parameters ``layers.0.W``, ``layers.0.b``, ``layers.1.W``, ``layers.1.b`` (a
Linear on its own names its W[l] (n[l], n[l-1]) and b[l] (n[l], 1) ``W`` and ``b``), saved and loaded by
``nn.save`` / ``nn.load(path, model=...)`` and ``state_dict`` / ``load_state_dict``. Neither list is a
layer: it has no ``forward``; a module of your own runs its items (``for layer in self.layers: A = layer(A)``),
and ``nn.Sequential`` is the list that is run in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar, overload

import numpy as np

from nn.layers.module import Module, Numbering, Parameter
from tinygrad_nb import Tensor

T = TypeVar("T", Module, Tensor)


class _List(Module, Generic[T]):
    """What ModuleList and ParameterList share: the items are the attributes "0" .. "n-1", in order."""

    _kind = "item"

    def __init__(self, items: Iterable[Any] | None = None):
        super().__init__()
        if items is not None:
            self.extend(items)

    # ----- what the subclasses say -----
    def _item(self, value: Any, where: str) -> T:
        raise NotImplementedError

    def _items(self) -> list[T]:
        raise NotImplementedError

    # ----- the list -----
    def _set_items(self, items: list[T]) -> None:
        """Make the attributes "0" .. "len(items)-1" the items (through ``Module.__setattr__``, so a jitted step
        sees the change) and delete the attributes past them."""
        old = self._items()
        for i, item in enumerate(items):
            if i >= len(old) or old[i] is not item:
                setattr(self, str(i), item)
        for i in range(len(items), len(old)):
            delattr(self, str(i))

    def __len__(self) -> int:
        return len(self._items())

    def __iter__(self) -> Iterator[T]:
        return iter(self._items())

    def __contains__(self, item: object) -> bool:
        return any(x is item for x in self._items())  # by identity: a Tensor's == is elementwise

    def _index(self, i: Any, op: str) -> int:
        if not isinstance(i, (int, np.integer)) or isinstance(i, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.{op}: index must be an int or a slice, got {type(i).__name__}")
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}.{op}: index {i} is out of range for {n} {self._kind}s")
        return int(i) % n

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> _List[T]: ...
    def __getitem__(self, i: int | slice) -> T | _List[T]:
        if isinstance(i, slice):
            return type(self)(self._items()[i])
        return self._items()[self._index(i, "__getitem__")]

    def __setitem__(self, i: int, value: Any) -> None:
        items = self._items()
        items[self._index(i, "__setitem__")] = self._item(value, f"[{i}]")
        self._set_items(items)

    def __delitem__(self, i: int | slice) -> None:
        items = self._items()
        if isinstance(i, slice):
            del items[i]
        else:
            del items[self._index(i, "__delitem__")]
        self._set_items(items)

    def append(self, value: Any) -> _List[T]:
        """Add one item at the end; returns the list (as PyTorch)."""
        items = self._items()
        items.append(self._item(value, "append"))
        self._set_items(items)
        return self

    def extend(self, values: Iterable[Any]) -> _List[T]:
        """Add the items of ``values`` at the end; returns the list."""
        if isinstance(values, (Module, Tensor, np.ndarray, str, bytes)) and not isinstance(values, _List):
            raise TypeError(f"{type(self).__name__}.extend expects an iterable of {self._kind}s, got one "
                            f"{type(values).__name__}; use append for one")
        try:
            new = list(values)
        except TypeError:
            raise TypeError(f"{type(self).__name__}.extend expects an iterable of {self._kind}s, got "
                            f"{type(values).__name__}") from None
        items = self._items()
        start = len(items)
        for k, v in enumerate(new):
            items.append(self._item(v, f"item {start + k}"))
        self._set_items(items)
        return self

    def insert(self, index: int, value: Any) -> None:
        """Insert one item before position ``index`` (as ``list.insert``: any int, clipped to the list)."""
        if not isinstance(index, (int, np.integer)) or isinstance(index, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.insert: index must be an int, got {type(index).__name__}")
        items = self._items()
        items.insert(int(index), self._item(value, "insert"))
        self._set_items(items)

    def pop(self, index: int = -1) -> T:
        """Remove the item at ``index`` (the last by default) and return it."""
        items = self._items()
        item = items.pop(self._index(index, "pop"))
        self._set_items(items)
        return item

    def __iadd__(self, values: Iterable[Any]) -> _List[T]:
        return self.extend(values)

    def __add__(self, other: Iterable[Any]) -> _List[T]:
        combined = type(self)(self._items())
        return combined.extend(other)

    def __dir__(self) -> list[str]:
        return [k for k in super().__dir__() if not k.isdigit()]

    def forward(self, *args: Any) -> Tensor:
        raise TypeError(f"{type(self).__name__} is a list, not a layer: run its items yourself (for layer in "
                        f"self.layers: A = layer(A)), or use nn.Sequential for layers applied in order")


class ModuleList(_List[Module]):
    """A list of modules that its owner registers, as PyTorch's ``nn.ModuleList``.

    ``self.layers = ModuleList([Linear(2, 4), Linear(4, 1)])`` in a Module's ``__init__`` puts both layers'
    W (n[l], n[l-1]) and b (n[l], 1) in ``parameters()`` and ``state_dict()``, named ``layers.0.W``,
    ``layers.0.b``, ``layers.1.W``, ``layers.1.b``. Supports ``append``, ``extend``, ``insert``, ``pop``,
    indexing (a slice gives a new ModuleList of the same modules), ``len``, iteration and ``+=``.
    A module appearing twice is one module (its parameters listed once, under its first position).

    Args:
        modules: an iterable of Modules, or None for an empty list.
    """

    _kind = "module"

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__(modules)

    def _item(self, value: Any, where: str) -> Module:
        if not isinstance(value, Module):
            raise TypeError(f"ModuleList {where}: expected an nn.Module (a layer such as nn.Linear(n_in, n_out)), "
                            f"got {type(value).__name__}")
        return value

    def _items(self) -> list[Module]:
        return [self._modules[str(i)] for i in range(len(self._modules))]

    def config(self) -> dict[str, Any]:
        """The type and each module's config, in order."""
        return {"type": "ModuleList", "modules": [m.config() for m in self]}


class ParameterList(_List[Tensor]):
    """A list of parameters that its owner registers, as PyTorch's ``nn.ParameterList``.

    ``self.Ws = ParameterList([np.random.randn(4, 2), np.random.randn(1, 4)])`` puts each tensor in
    ``parameters()`` and ``state_dict()`` as ``Ws.0``, ``Ws.1``. An item is kept as it is when it is a Tensor
    that requires grad (an ``nn.Parameter``); an array, a nested list or a Tensor that does not require grad is
    made one with ``nn.Parameter`` (a float array shared, not copied), as PyTorch wraps tensors. Supports the
    same list operations as ``ModuleList``.

    Args:
        parameters: an iterable of Tensors or arrays (e.g. W[l] (n[l], n[l-1]), b[l] (n[l], 1)), or None.
    """

    _kind = "parameter"

    def __init__(self, parameters: Iterable[Any] | None = None):
        super().__init__(parameters)

    def _item(self, value: Any, where: str) -> Tensor:
        if isinstance(value, Tensor) and value.requires_grad:
            return value
        if isinstance(value, Module):
            raise TypeError(f"ParameterList {where}: expected a parameter (a Tensor or an array), got the module "
                            f"{type(value).__name__}; keep modules in an nn.ModuleList")
        if isinstance(value, (Tensor, np.ndarray, list, tuple, int, float, np.number)) and not isinstance(value, bool):
            arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"ParameterList {where}: expected numbers, got an array of dtype {arr.dtype}")
            return Parameter(value if arr.dtype.kind == "f" else arr.astype(np.float64))
        raise TypeError(f"ParameterList {where}: expected a Tensor or a numpy array, got {type(value).__name__}")

    def _items(self) -> list[Tensor]:
        return [self._parameters[str(i)] for i in range(len(self._parameters))]

    def _repr_with(self, numbering: Numbering | None) -> str:
        inner = ", ".join(f"({i}): {p.shape}" for i, p in enumerate(self))
        return f"ParameterList({inner}{', ' if inner else ''}params={self.count_parameters()})"
