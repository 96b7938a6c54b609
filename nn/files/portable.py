"""The layers of a model that can leave the project (to ONNX or PyTorch), in the order they run.

A Sequential or MLP of Linear, Conv2D, MaxPool2D, AvgPool2D, BatchNorm, Flatten, Sigmoid, Tanh,
ReLU, LeakyReLU, Softmax, Identity and Dropout (nested Sequentials flattened) is portable; anything
else is refused naming the layer, its position and its type. A layer used twice appears twice: the
exporters keep it one layer.

A portable model has two parts. Its IMAGE part, when it has one, comes first: the Conv2D, pool and
``BatchNorm(layout="conv")`` layers (and activations other than Softmax, Dropout, Identity) on images
(m, n_H, n_W, n_C), up to the first ``Flatten``; its DENSE part is the rest: Linear,
``BatchNorm(layout="dense")``, the activations, Dropout, Identity on (n, m). ``split`` tells them
apart and ``portable_layers`` refuses a layer in the wrong part (a Softmax on images, a BatchNorm whose
layout is not its input's) by its position.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.batchnorm import BatchNorm
from nn.layers.containers import MLP, Sequential
from nn.layers.conv import AvgPool2D, Conv2D, MaxPool2D, Pool2D
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten
from nn.layers.module import Module

PORTABLE: tuple[type[Module], ...] = (Linear, Conv2D, MaxPool2D, AvgPool2D, BatchNorm, Flatten, Sigmoid, Tanh, ReLU,
                                      LeakyReLU, Softmax, Identity, Dropout)
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
IMAGE_LAYERS = (Conv2D, Pool2D)  # the layers that take images only (with BatchNorm(layout="conv"))


def portable_layers(model: Any, who: str) -> list[Module]:
    """The leaf layers of ``model`` (an nn.Sequential or nn.MLP) in the order its forward pass runs them.

    Raises TypeError for a model that is not a Sequential/MLP or holds a layer of another type
    (a subclass included: its forward may differ), and ValueError for one with no Linear or Conv2D
    layer, or with a layer in the wrong part (see the module docstring).
    """
    return [m for _, m in labelled_layers(model, who)]


def labelled_layers(model: Any, who: str) -> list[tuple[str, Module]]:
    """``portable_layers`` with each layer as errors name it: ``layer 3 (Linear)``, ``layer 2.1 (ReLU)`` in a nested
    Sequential."""
    if type(model) not in (Sequential, MLP):
        raise TypeError(f"{who}: expected an nn.Sequential or nn.MLP, got {type(model).__name__}"
                        + (" (wrap it: nn.Sequential(layer))" if isinstance(model, Module) else ""))
    layers: list[tuple[str, Module]] = []
    _collect(model, "", layers, who)
    if not any(isinstance(m, (Linear, Conv2D)) for _, m in layers):
        raise ValueError(f"{who}: the model has no parameters (no Linear or Conv2D layer), so there is nothing "
                         "to export")
    check_parts(layers, who)
    return layers


def _collect(seq: Sequential, where: str, out: list[tuple[str, Module]], who: str) -> None:
    for i, m in enumerate(seq.layers):
        label = f"{where}{i}"
        if isinstance(m, Sequential) and type(m) in (Sequential, MLP):
            _collect(m, f"{label}.", out, who)
        elif type(m) in PORTABLE:
            out.append((f"layer {label} ({type(m).__name__})", m))
        else:
            raise TypeError(f"{who}: layer {label} ({type(m).__name__}) is not supported; supported layers: "
                            f"{', '.join(t.__name__ for t in PORTABLE)} (and nested Sequential)")


def is_conv_batchnorm(m: Module) -> bool:
    return isinstance(m, BatchNorm) and m.layout == "conv"


def takes_images(layers: list[Module]) -> bool:
    """Whether the model's input is images (m, n_H, n_W, n_C): a Conv2D, pool layer, conv BatchNorm or Flatten
    runs before its first Linear (or it has no Linear: a network of conv layers only)."""
    for m in layers:
        if isinstance(m, Linear):
            return False
        if isinstance(m, (*IMAGE_LAYERS, Flatten)) or is_conv_batchnorm(m):
            return True
    return True


def split(layers: list[Module]) -> int:
    """The number of leading layers that run on images: up to and with the first Flatten of an image input
    (0 for a dense input; ``len(layers)`` for a network of conv layers only, whose output is images)."""
    if not takes_images(layers):
        return 0
    return next((i + 1 for i, m in enumerate(layers) if isinstance(m, Flatten)), len(layers))


def check_parts(layers: list[tuple[str, Module]], who: str) -> None:
    """ValueError for a layer in the wrong part, or a BatchNorm whose n is not the units or channels it gets;
    ``layers``: (how errors name the layer, the layer)."""
    k = split([m for _, m in layers])
    channels: int | None = None  # n_C of the images, or n[l] of the dense activations, where known
    for i, (label, m) in enumerate(layers):
        on_images = i < k and not isinstance(m, Flatten)
        where = f"{who}: {label}"
        if on_images and isinstance(m, Softmax):
            raise ValueError(f"{where} runs on images (m, n_H, n_W, n_C); a Softmax is exported only on a dense "
                             "(n, m) activation, after Flatten")
        if on_images and isinstance(m, (Linear, BatchNorm)) and not is_conv_batchnorm(m):
            raise ValueError(f"{where} runs on images (m, n_H, n_W, n_C): put nn.Flatten() before it"
                             + (" or build it with layout='conv'" if isinstance(m, BatchNorm) else ""))
        if not on_images and (isinstance(m, IMAGE_LAYERS) or is_conv_batchnorm(m)):
            raise ValueError(f"{where} takes images (m, n_H, n_W, n_C) but runs on a dense (n, m) activation"
                             + (": build it with layout='dense'" if isinstance(m, BatchNorm) else ""))
        if isinstance(m, Conv2D):
            if channels is not None and m.n_C_prev != channels:
                raise ValueError(f"{who}: the layers do not chain: {label} expects n_C_prev = {m.n_C_prev} channels "
                                 f"but gets {channels}")
            channels = m.n_C
        elif isinstance(m, Linear):
            if channels is not None and m.n_in != channels:
                raise ValueError(f"{who}: the layers do not chain: {label} expects n[l-1] = {m.n_in} inputs but "
                                 f"gets {channels}")
            channels = m.n_out
        elif isinstance(m, BatchNorm):
            if channels is not None and m.n != channels:
                what = "channels" if on_images else "units"
                raise ValueError(f"{who}: the layers do not chain: {label} normalises n = {m.n} {what} but gets "
                                 f"{channels}")
            channels = m.n
        elif isinstance(m, Flatten) and i == k - 1:
            channels = None  # n_H n_W n_C: not known without the images' size


def channels_at_flatten(layers: list[Module]) -> int | None:
    """n_C of the images the first Flatten of the image part flattens, or None when no layer before it says."""
    k = split(layers)
    channels = None
    for m in layers[:k]:
        if isinstance(m, Conv2D):
            channels = m.n_C
        elif isinstance(m, BatchNorm):
            channels = m.n
    return channels


def nchw_order(F: int, n_C: int) -> np.ndarray:
    """The order in which torch's ``nn.Flatten`` of NCHW images lists the course's features: p with torch's
    feature j = c S + s the course's feature p[j] = s n_C + c (S = n_H n_W = F / n_C positions s, n_C channels c).

    The course flattens (m, n_H, n_W, n_C) channels last, torch (m, n_C, n_H, n_W) channels first, so a
    weight matrix W (n[l], F) after Flatten is torch's ``W[:, p]`` (and torch's Wt is the course's
    ``Wt[:, argsort(p)]``).
    """
    return np.arange(F).reshape(F // n_C, n_C).T.reshape(-1)


def feature_orders(layers: list[tuple[str, Module]], who: str) -> dict[int, np.ndarray]:
    """{id(layer): p} for the layers between the Flatten of NCHW images and the first Linear after it (dense
    BatchNorm and that Linear) whose features torch holds in another order: torch's feature j is their p[j]
    (``nchw_order``). Empty when torch flattens the same order: no image layer before Flatten (torch then
    flattens its input as it is given), one channel, or no Flatten (the output is images).

    ValueError when the order cannot be kept: the channels at Flatten are not known (no Conv2D or BatchNorm
    before it), the features reach the output without a Linear after Flatten, a layer's features are not a
    multiple of the channels, or a layer to reorder is also used elsewhere (one torch layer, two orders).
    """
    plain = [m for _, m in layers]
    k = split(plain)
    if not any(isinstance(m, IMAGE_LAYERS) or is_conv_batchnorm(m) for m in plain[:k]) or \
            not any(isinstance(m, Flatten) for m in plain[:k]):
        return {}
    n_C = channels_at_flatten(plain)
    flatten = layers[k - 1][0]
    if n_C is None:
        raise ValueError(f"{who}: the channels of the images {flatten} flattens are not known (no Conv2D or "
                         "BatchNorm before it), so the order of torch's features (n_C, n_H, n_W) cannot be matched "
                         "to the course's (n_H, n_W, n_C)")
    if n_C == 1:
        return {}
    orders: dict[int, np.ndarray] = {}
    told = False  # whether a layer after Flatten said how many features it gives
    for label, m in layers[k:]:
        if isinstance(m, (Linear, BatchNorm)):
            told = True
            F = m.n_in if isinstance(m, Linear) else m.n
            if F % n_C:
                raise ValueError(f"{who}: {label} takes {F} features but {flatten} gives n_H n_W n_C with "
                                 f"n_C = {n_C}; the layers do not chain")
            if F != n_C:  # one position: the orders agree
                if sum(x is m for x in plain) > 1:
                    raise ValueError(f"{who}: {label} takes the flattened images and is used more than once: "
                                     "one torch layer cannot take torch's order of the features (n_C, n_H, n_W) in "
                                     "one place and another order elsewhere; use two layers")
                orders[id(m)] = nchw_order(F, n_C)
            if isinstance(m, Linear):
                return orders
    if told and not orders:  # n_H n_W = 1: the orders agree
        return orders
    raise ValueError(f"{who}: the images {flatten} flattens reach the output with no Linear after them: torch's "
                     "nn.Flatten orders the features (n_C, n_H, n_W), the course's (n_H, n_W, n_C); add a Linear "
                     "after Flatten, or export to ONNX, which keeps the course's order")


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


def state_names(model: Module) -> dict[int, str]:
    """The name ``model.state_dict()`` gives each parameter (by the id of its Tensor: W1, b1, gamma1, ...) and each
    buffer (by the id of its array: running_mean1, ...), whatever scheme the model names them by."""
    names = {id(p): name for name, p in model.named_parameters()}
    names.update((id(b), name) for name, b in model.named_buffers())
    return names
