"""The bridge to PyTorch: ``to_torch``, ``from_torch`` and ``save_torch_state_dict``.

PyTorch keeps one example per ROW: feed a converted network ``X.T`` of the course's X
(n_x, m) and read A[L].T back. Its ``Linear`` stores the weight as (out, in), which is the
course's W[l] (n[l], n[l-1]) as it is; its bias is b[l] (n[l], 1) as a vector (n[l],).

    Linear(n_in, n_out)   <->  torch.nn.Linear(n_in, n_out)
    Sigmoid, Tanh, ReLU   <->  torch.nn.Sigmoid, Tanh, ReLU
    LeakyReLU(slope)      <->  torch.nn.LeakyReLU(negative_slope=slope)
    Softmax(axis=0)       <->  torch.nn.Softmax(dim=1)    (over the classes of each example)
    Dropout(keep_prob)    <->  torch.nn.Dropout(p=1 - keep_prob)
    Identity              <->  torch.nn.Identity

torch is optional: it is imported only inside these functions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nn.files.atomic import atomic_path
from nn.files.portable import parameter_dtype, portable_layers
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.containers import Sequential
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.module import Module


def require_torch(who: str) -> Any:
    """The ``torch`` module, or an ImportError saying how to install it."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"{who} needs PyTorch: pip install torch") from e
    return torch


def to_torch(model: Module) -> Any:
    """An equivalent ``torch.nn.Sequential`` with copies of the parameters, in their dtype.

    ``to_torch(model)(torch.from_numpy(X.T))`` is ``model(X).T`` for X (n_x, m). A Linear used
    twice becomes one torch Linear used twice; nested Sequentials are flattened. The torch
    network starts in the mode ``model`` is in (train or eval).
    """
    torch = require_torch("to_torch")
    layers = portable_layers(model, "to_torch")
    dtype = _torch_dtype(torch, parameter_dtype(model, "to_torch"))
    made: dict[int, Any] = {}  # id of a Linear here -> its torch Linear (a shared layer stays shared)
    modules = []
    for m in layers:
        if id(m) not in made:
            made[id(m)] = _to_torch_layer(torch, m, dtype)
        modules.append(made[id(m)])
    net = torch.nn.Sequential(*modules)
    net.train(model.training)
    return net


def _to_torch_layer(torch: Any, m: Module, dtype: Any) -> Any:
    tnn = torch.nn
    if isinstance(m, Linear):
        lin = tnn.Linear(m.n_in, m.n_out, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(m.W.data))
            lin.bias.copy_(torch.from_numpy(m.b.data.reshape(-1)))
        return lin
    if isinstance(m, LeakyReLU):
        return tnn.LeakyReLU(negative_slope=m.slope)
    if isinstance(m, Softmax):
        return tnn.Softmax(dim=1 if m.axis % 2 == 0 else 0)  # the course's axis 0 (classes) is torch's dim 1
    if isinstance(m, Dropout):
        return tnn.Dropout(p=_complement(m.keep_prob))
    simple: dict[type[Module], Any] = {Sigmoid: tnn.Sigmoid, Tanh: tnn.Tanh, ReLU: tnn.ReLU, Identity: tnn.Identity}
    return simple[type(m)]()


def from_torch(module: Any) -> Sequential:
    """The equivalent nn.Sequential of a ``torch.nn.Sequential`` of the layers above, with copies of its weights.

    Nested torch Sequentials are flattened; a torch Linear used twice becomes one shared Linear
    (W{l}, b{l} once). The result has the weights' dtype (float32 or float64) and the torch
    module's mode. Anything else is refused with a TypeError or ValueError naming the layer
    by its position and type (``layer 2 (Conv1d)``), before anything is built; so is a subclass
    of torch.nn.Sequential (at the top or nested), whose own ``forward`` would be lost.
    """
    torch = require_torch("from_torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(module).__name__}")
    _refuse_subclass(torch, module, "the model")
    flat: list[tuple[str, Any]] = []
    _flatten_torch(torch, module, "", flat)
    if not flat:
        raise ValueError("from_torch: the torch Sequential is empty")
    made: dict[int, Module] = {}
    modules = []
    for label, layer in flat:
        if id(layer) not in made:
            made[id(layer)] = _from_torch_layer(torch, layer, label)
        modules.append(made[id(layer)])
    dtypes = {p.data.dtype for m in made.values() for p in m.parameters()}
    if not dtypes:
        raise ValueError("from_torch: the model has no parameters (no Linear layer)")
    if len(dtypes) > 1:
        raise ValueError(f"from_torch: the layers mix dtypes {sorted(map(str, dtypes))}; convert with .double()")
    linears = [m for m in made.values() if isinstance(m, Linear)]
    for l, lin in enumerate(linears, start=1):  # each its number l on its own too, as MLP gives its layers
        lin.set_index(l)
    try:
        model = Sequential(*modules)
    except ValueError as e:  # the layers do not chain
        raise ValueError(f"from_torch: {e}") from None
    model.train(bool(module.training))
    return model


def _flatten_torch(torch: Any, seq: Any, where: str, out: list[tuple[str, Any]]) -> None:
    for i, layer in enumerate(seq):
        label = f"layer {where}{i} ({type(layer).__name__})"
        if isinstance(layer, torch.nn.Sequential):
            _refuse_subclass(torch, layer, f"layer {where}{i}")
            _flatten_torch(torch, layer, f"{where}{i}.", out)
        else:
            out.append((label, layer))


def _refuse_subclass(torch: Any, seq: Any, where: str) -> None:
    """TypeError naming the class when ``seq`` (``where`` in the model) subclasses torch.nn.Sequential.

    Only the layers of a Sequential are read, so a subclass's own ``forward`` (or anything else it
    changes) would be dropped without a word; it is refused, as a subclass of any other layer is.
    """
    kind = type(seq)
    if kind is torch.nn.Sequential:
        return
    why = ("defines its own forward, which would be lost" if kind.forward is not torch.nn.Sequential.forward
           else "may run its layers its own way, which would be lost")
    raise TypeError(f"from_torch: {where} is a {kind.__name__}, a subclass of torch.nn.Sequential that {why} (only "
                    f"the layers are converted); pass a plain torch.nn.Sequential of the same layers")


def _from_torch_layer(torch: Any, layer: Any, label: str) -> Module:
    tnn, kind = torch.nn, type(layer)
    if kind is tnn.Linear:
        return _linear_from_torch(torch, layer, label)
    if kind is tnn.Softmax:
        return _softmax_from_torch(layer, label)
    try:
        if kind is tnn.LeakyReLU:
            return LeakyReLU(layer.negative_slope)
        if kind is tnn.Dropout:
            return Dropout(keep_prob=_complement(layer.p))
        simple = {tnn.Sigmoid: Sigmoid, tnn.Tanh: Tanh, tnn.ReLU: ReLU, tnn.Identity: Identity}
        if kind in simple:
            return simple[kind]()
    except (TypeError, ValueError) as e:  # the layer's own check, e.g. a LeakyReLU slope outside [0, 1)
        raise ValueError(f"from_torch: {label}: {e}") from None
    raise TypeError(f"from_torch: {label} is not supported; supported: Linear, Sigmoid, Tanh, ReLU, LeakyReLU, "
                    "Softmax, Dropout, Identity (and nested Sequential)")


def _linear_from_torch(torch: Any, layer: Any, label: str) -> Linear:
    if layer.bias is None:
        raise ValueError(f"from_torch: {label} has no bias (bias=False); a Linear here always has b[l]")
    for p in (layer.weight, layer.bias):
        if p.dtype not in (torch.float32, torch.float64) or p.dtype != layer.weight.dtype:
            raise TypeError(f"from_torch: {label} has dtype {p.dtype}; convert with .double() or .float()")
    lin = Linear(layer.in_features, layer.out_features, init="zeros")
    lin.W.data = layer.weight.detach().cpu().numpy().copy()
    lin.b.data = layer.bias.detach().cpu().numpy().reshape(-1, 1).copy()
    return lin


def _softmax_from_torch(layer: Any, label: str) -> Softmax:
    if layer.dim in (1, -1):
        return Softmax(axis=0)
    if layer.dim in (0, -2):
        return Softmax(axis=1)
    raise ValueError(f"from_torch: {label} has dim={layer.dim}; use dim=1 (over the classes of each example)")


def save_torch_state_dict(model: Module, path: str | os.PathLike) -> Path:
    """Write ``to_torch(model).state_dict()`` with ``torch.save``, atomically; returns the path.

    Keys are torch's ("0.weight" (n[1], n[0]), "0.bias" (n[1],), ...); read the file with
    ``torch.load(path, weights_only=True)`` into ``to_torch(model)`` or the same torch layers.
    """
    torch = require_torch("save_torch_state_dict")
    state = to_torch(model).state_dict()
    with atomic_path(path, who="save_torch_state_dict") as tmp:
        torch.save(state, tmp)
    return Path(path)


def _complement(x: float) -> float:
    """1 - x, as its 15-digit decimal when that has the same complement: keep_prob 0.9 -> p 0.1, not
    0.09999999999999998 (and back to 0.9)."""
    y = 1.0 - float(x)
    short = float(f"{y:.15g}")
    return short if 1.0 - short == x else y


def _torch_dtype(torch: Any, dtype: np.dtype) -> Any:
    return torch.float32 if dtype == np.float32 else torch.float64
