"""The layers of a model that can leave the project (to ONNX or PyTorch), in the order they run.

A Sequential or MLP of Linear, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity and Dropout
(nested Sequentials flattened) is portable; anything else is refused naming the layer, its
position and its type (Conv2D and the pool layers: "not supported yet"). A Linear used twice
appears twice: the exporters keep it one layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.containers import MLP, Sequential
from nn.layers.conv import Conv2D, Pool2D
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.module import Module

PORTABLE: tuple[type[Module], ...] = (Linear, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity, Dropout)
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def portable_layers(model: Any, who: str) -> list[Module]:
    """The leaf layers of ``model`` (an nn.Sequential or nn.MLP) in the order its forward pass runs them.

    Raises TypeError for a model that is not a Sequential/MLP or holds a layer of another type
    (a subclass included: its forward may differ), and ValueError for one with no Linear layer.
    """
    if type(model) not in (Sequential, MLP):
        raise TypeError(f"{who}: expected an nn.Sequential or nn.MLP, got {type(model).__name__}"
                        + (" (wrap it: nn.Sequential(layer))" if isinstance(model, Module) else ""))
    layers: list[Module] = []
    _collect(model, "", layers, who)
    if not any(isinstance(m, Linear) for m in layers):
        raise ValueError(f"{who}: the model has no parameters (no Linear layer), so there is nothing to export")
    return layers


def _collect(seq: Sequential, where: str, out: list[Module], who: str) -> None:
    for i, m in enumerate(seq.layers):
        label = f"{where}{i}"
        if isinstance(m, Sequential) and type(m) in (Sequential, MLP):
            _collect(m, f"{label}.", out, who)
        elif type(m) in PORTABLE:
            out.append(m)
        elif isinstance(m, (Conv2D, Pool2D)):
            raise TypeError(f"{who}: layer {label} ({type(m).__name__}) is not supported yet: the exporters take "
                            f"dense networks ({', '.join(t.__name__ for t in PORTABLE)}); convolutional layers are "
                            "not exported yet (nn.save keeps the whole model)")
        else:
            raise TypeError(f"{who}: layer {label} ({type(m).__name__}) is not supported; supported layers: "
                            f"{', '.join(t.__name__ for t in PORTABLE)} (and nested Sequential)")


def parameter_dtype(model: Module, who: str, dtype: Any = None) -> np.dtype:
    """``dtype`` when given, else the dtype every parameter of ``model`` has: float32 or float64."""
    if dtype is None:
        found = {p.data.dtype for p in model.parameters()}
        if len(found) != 1:
            raise ValueError(f"{who}: the parameters mix dtypes {sorted(map(str, found))}; "
                             "pass dtype=np.float32 or np.float64")
        chosen = found.pop()
    else:
        try:
            chosen = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{who}: dtype must be np.float32 or np.float64, got {dtype!r}") from None
    if chosen not in FLOAT_DTYPES:
        raise TypeError(f"{who}: dtype must be float32 or float64, got {chosen}")
    return chosen
