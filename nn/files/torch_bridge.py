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
    Conv2D(n_C_prev, n_C, f, stride, pad)  <->  torch.nn.Conv2d(n_C_prev, n_C, f, stride, padding=pad)
                                                (pad="same" <-> padding="same")
    MaxPool2D(f, stride)  <->  torch.nn.MaxPool2d(f, stride)
    AvgPool2D(f, stride)  <->  torch.nn.AvgPool2d(f, stride)
    BatchNorm(n, eps, momentum, layout="conv")   <->  torch.nn.BatchNorm2d(n, eps, momentum)
    BatchNorm(n, eps, momentum, layout="dense")  <->  torch.nn.BatchNorm1d(n, eps, momentum)
    Flatten               <->  torch.nn.Flatten()

A convolutional network becomes a plain torch.nn.Sequential of these standard layers, and takes
what PyTorch users give it: images NCHW, (m, n_C, n_H, n_W), where the course holds them NHWC,
(m, n_H, n_W, n_C). For images X as the course holds them::

    net = nn.to_torch(model)
    A = net(torch.from_numpy(X.transpose(0, 3, 1, 2).copy()))   # model(X).T: (m, n[L]), one example per row

The filters W[l] (f, f, n_C_prev, n_C) are torch's weight (n_C, n_C_prev, f, f) = W.transpose(3, 2, 0, 1),
b[l] (1, 1, 1, n_C) its bias (n_C,); gamma, beta, running_mean, running_var are torch's weight, bias,
running_mean, running_var as vectors, with the same eps and momentum (the same convention: PyTorch's).
The course flattens images channels last, features in (n_H, n_W, n_C) order, torch's nn.Flatten
channels first, (n_C, n_H, n_W): so the columns of the Linear after Flatten (and a dense BatchNorm
between them) are reordered on the way (``nn.files.portable.nchw_order``), torch's W[:, p], and back
in ``from_torch``; the outputs and every gradient are the same (the reordered ones reordered alike).
A network of conv layers only outputs NCHW images. A network whose image layers are only Flatten
(and activations) takes its input as it comes (NHWC images, or rows), as the course's Flatten does.

torch is optional: it is imported only inside these functions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nn.files.atomic import atomic_path
from nn.files.portable import check_parts, feature_orders, labelled_layers, parameter_dtype
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.batchnorm import BatchNorm
from nn.layers.containers import Sequential
from nn.layers.conv import AvgPool2D, Conv2D, MaxPool2D
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten
from nn.layers.module import Module

SUPPORTED = ("Linear, Conv2d, MaxPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Flatten, Sigmoid, Tanh, ReLU, "
             "LeakyReLU, Softmax, Dropout, Identity (and nested Sequential)")


def require_torch(who: str) -> Any:
    """The ``torch`` module, or an ImportError saying how to install it."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"{who} needs PyTorch: pip install torch") from e
    return torch


def to_torch(model: Module) -> Any:
    """An equivalent ``torch.nn.Sequential`` with copies of the parameters (and BatchNorm's running averages),
    in their dtype.

    ``to_torch(model)(torch.from_numpy(X.T))`` is ``model(X).T`` for X (n_x, m). A network that takes
    images takes them NCHW, as PyTorch's layers do: ``net(torch.from_numpy(X.transpose(0, 3, 1, 2).copy()))``
    is ``model(X).T`` for images X (m, n_H, n_W, n_C) (see the module docstring for the Flatten order).
    A layer used twice becomes one torch layer used twice; nested Sequentials are flattened. The torch
    network starts in the mode ``model`` is in (train or eval).
    """
    torch = require_torch("to_torch")
    labelled = labelled_layers(model, "to_torch")
    orders = feature_orders(labelled, "to_torch")
    dtype = _torch_dtype(torch, parameter_dtype(model, "to_torch"))
    made: dict[int, Any] = {}  # id of a layer here -> its torch layer (a shared layer stays shared)
    modules = []
    for _, m in labelled:
        if id(m) not in made:
            made[id(m)] = _to_torch_layer(torch, m, dtype, orders.get(id(m)))
        modules.append(made[id(m)])
    net = torch.nn.Sequential(*modules)
    net.train(model.training)
    return net


def _to_torch_layer(torch: Any, m: Module, dtype: Any, order: np.ndarray | None) -> Any:
    """The torch layer of ``m``; ``order``: torch's order of its input features (after Flatten), or None."""
    tnn = torch.nn

    def copy(target: Any, array: np.ndarray) -> None:
        with torch.no_grad():
            target.copy_(torch.from_numpy(np.ascontiguousarray(array)))

    if isinstance(m, Linear):
        lin = tnn.Linear(m.n_in, m.n_out, dtype=dtype)
        copy(lin.weight, m.W.data if order is None else m.W.data[:, order])
        copy(lin.bias, m.b.data.reshape(-1))
        return lin
    if isinstance(m, Conv2D):
        conv = tnn.Conv2d(m.n_C_prev, m.n_C, m.f, stride=m.stride, padding="same" if m.same else m.pad, dtype=dtype)
        copy(conv.weight, m.W.data.transpose(3, 2, 0, 1))  # (f, f, n_C_prev, n_C) -> (n_C, n_C_prev, f, f)
        copy(conv.bias, m.b.data.reshape(-1))
        return conv
    if isinstance(m, BatchNorm):
        cls = tnn.BatchNorm2d if m.layout == "conv" else tnn.BatchNorm1d
        bn = cls(m.n, eps=m.eps, momentum=m.momentum, dtype=dtype)
        pick = slice(None) if order is None else order
        for target, array in ((bn.weight, m.gamma.data), (bn.bias, m.beta.data), (bn.running_mean, m.running_mean),
                              (bn.running_var, m.running_var)):
            copy(target, array.reshape(-1)[pick])
        return bn
    if isinstance(m, MaxPool2D):
        return tnn.MaxPool2d(m.f, stride=m.stride)
    if isinstance(m, AvgPool2D):
        return tnn.AvgPool2d(m.f, stride=m.stride)  # no padding: count_include_pad changes nothing
    if isinstance(m, Flatten):
        return tnn.Flatten()
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

    Nested torch Sequentials are flattened; a torch layer used twice becomes one shared layer
    (W{l}, b{l} once). The result has the weights' dtype (float32 or float64) and the torch
    module's mode; its Linear and Conv2D layers are numbered 1..L (``index``) as MLP numbers its
    layers. A torch network that takes NCHW images gives a model that takes them as the course
    holds them, (m, n_H, n_W, n_C), the Linear after Flatten reordered to match (module docstring).
    Anything else is refused with a TypeError or ValueError naming the layer by its position and
    type (``layer 2 (Conv1d)``), before anything is built: a Conv2d with groups, dilation, a padding
    mode other than zeros, unequal or asymmetric padding, a non-square kernel or stride, or no bias; a
    pool layer with padding, dilation, ceil_mode or divisor_override (the course's pools have none);
    a BatchNorm with affine=False, track_running_stats=False or momentum=None (a cumulative average);
    a Flatten of other dims than 1..-1. So is a subclass of torch.nn.Sequential (at the top or
    nested), whose own ``forward`` would be lost.
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
    labelled: list[tuple[str, Module]] = []
    for label, layer in flat:
        if id(layer) not in made:
            made[id(layer)] = _from_torch_layer(torch, layer, label)
        labelled.append((label, made[id(layer)]))
    numbered = [m for m in made.values() if isinstance(m, (Linear, Conv2D))]
    if not numbered:
        raise ValueError("from_torch: the model has no parameters (no Linear or Conv2d layer)")
    dtypes = {p.data.dtype for m in made.values() for p in m.parameters()}
    if len(dtypes) > 1:
        raise ValueError(f"from_torch: the layers mix dtypes {sorted(map(str, dtypes))}; convert with .double()")
    check_parts(labelled, "from_torch")
    for key, order in feature_orders(labelled, "from_torch").items():  # torch's order of the features -> ours
        _reorder(next(m for m in made.values() if id(m) == key), np.argsort(order))
    for l, layer in enumerate(numbered, start=1):  # each its number l on its own too, as MLP gives its layers
        layer.set_index(l)
    try:
        model = Sequential(*(m for _, m in labelled))
    except ValueError as e:  # the layers do not chain
        raise ValueError(f"from_torch: {e}") from None
    model.train(bool(module.training))
    return model


def _reorder(m: Module, inverse: np.ndarray) -> None:
    """Take the input features of ``m`` (a Linear's columns, a dense BatchNorm's vectors) in the order ``inverse``."""
    if isinstance(m, Linear):
        m.W.data = np.ascontiguousarray(m.W.data[:, inverse])
    elif isinstance(m, BatchNorm):
        m.gamma.data = m.gamma.data[inverse]
        m.beta.data = m.beta.data[inverse]
        m.running_mean = m.running_mean[inverse]
        m.running_var = m.running_var[inverse]


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
        if kind is tnn.Conv2d:
            return _conv_from_torch(torch, layer, label)
        if kind in (tnn.MaxPool2d, tnn.AvgPool2d):
            return _pool_from_torch(layer, label)
        if kind in (tnn.BatchNorm1d, tnn.BatchNorm2d):
            return _batchnorm_from_torch(torch, layer, label)
        if kind is tnn.Flatten:
            if (layer.start_dim, layer.end_dim) not in ((1, -1), (1, 3)):
                raise ValueError(f"from_torch: {label} flattens dims {layer.start_dim}..{layer.end_dim}; the course's "
                                 "Flatten keeps the examples (dim 0) and flattens the rest: Flatten(1, -1)")
            return Flatten()
        if kind is tnn.LeakyReLU:
            return LeakyReLU(layer.negative_slope)
        if kind is tnn.Dropout:
            return Dropout(keep_prob=_complement(layer.p))
        simple = {tnn.Sigmoid: Sigmoid, tnn.Tanh: Tanh, tnn.ReLU: ReLU, tnn.Identity: Identity}
        if kind in simple:
            return simple[kind]()
    except ValueError as e:
        if str(e).startswith("from_torch: "):
            raise
        raise ValueError(f"from_torch: {label}: {e}") from None  # the layer's own check, e.g. a slope outside [0, 1)
    except TypeError as e:
        if str(e).startswith("from_torch: "):
            raise
        raise ValueError(f"from_torch: {label}: {e}") from None
    raise TypeError(f"from_torch: {label} is not supported; supported: {SUPPORTED}")


def _check_dtypes(torch: Any, label: str, *tensors: Any) -> None:
    for p in tensors:
        if p.dtype not in (torch.float32, torch.float64) or p.dtype != tensors[0].dtype:
            raise TypeError(f"from_torch: {label} has dtype {p.dtype}; convert with .double() or .float()")


def _numpy(t: Any) -> np.ndarray:
    return np.array(t.detach().cpu().numpy(), copy=True)


def _linear_from_torch(torch: Any, layer: Any, label: str) -> Linear:
    if layer.bias is None:
        raise ValueError(f"from_torch: {label} has no bias (bias=False); a Linear here always has b[l]")
    _check_dtypes(torch, label, layer.weight, layer.bias)
    lin = Linear(layer.in_features, layer.out_features, init="zeros")
    lin.W.data = _numpy(layer.weight)
    lin.b.data = _numpy(layer.bias).reshape(-1, 1)
    return lin


def _square(label: str, what: str, value: Any) -> int:
    """An int, or a pair (k, k): the course's filters, windows and strides are square."""
    if isinstance(value, int):
        return value
    if len(value) == 2 and value[0] == value[1]:
        return int(value[0])
    raise ValueError(f"from_torch: {label} has {what}={tuple(value)}; the course's are square (f x f, one stride)")


def _conv_from_torch(torch: Any, layer: Any, label: str) -> Conv2D:
    if layer.bias is None:
        raise ValueError(f"from_torch: {label} has no bias (bias=False); a Conv2D here always has b[l]")
    if layer.groups != 1:
        raise ValueError(f"from_torch: {label} has groups={layer.groups}; a Conv2D here has groups=1")
    if tuple(layer.dilation) != (1, 1):
        raise ValueError(f"from_torch: {label} has dilation={tuple(layer.dilation)}; a Conv2D here has none")
    if layer.padding_mode != "zeros":
        raise ValueError(f"from_torch: {label} has padding_mode={layer.padding_mode!r}; the course pads with zeros")
    _check_dtypes(torch, label, layer.weight, layer.bias)
    f = _square(label, "kernel_size", layer.kernel_size)
    stride = _square(label, "stride", layer.stride)
    pad: int | str
    if layer.padding == "same":
        if f % 2 == 0:
            raise ValueError(f"from_torch: {label} has padding='same' with an even kernel_size={f}, which torch pads "
                             "unequally; the course's pad='same' needs an odd f")
        pad = "same"
    elif layer.padding == "valid":
        pad = 0
    else:
        pad = _square(label, "padding", layer.padding)
    conv = Conv2D(layer.in_channels, layer.out_channels, f, stride=stride, pad=pad, init="zeros")
    conv.W.data = np.ascontiguousarray(_numpy(layer.weight).transpose(2, 3, 1, 0))  # -> (f, f, n_C_prev, n_C)
    conv.b.data = _numpy(layer.bias).reshape(1, 1, 1, -1)
    return conv


def _pool_from_torch(layer: Any, label: str) -> MaxPool2D | AvgPool2D:
    refused = [(name, value) for name, value, default in (
        ("padding", layer.padding, 0), ("ceil_mode", layer.ceil_mode, False),
        ("dilation", getattr(layer, "dilation", 1), 1), ("return_indices", getattr(layer, "return_indices", False),
                                                         False),
        ("divisor_override", getattr(layer, "divisor_override", None), None))
        if value != default and not (isinstance(value, (tuple, list)) and all(v == default for v in value))]
    if refused:
        name, value = refused[0]
        raise ValueError(f"from_torch: {label} has {name}={value!r}; the course's pools have no padding, dilation, "
                         "ceil_mode, return_indices or divisor_override")
    f = _square(label, "kernel_size", layer.kernel_size)
    stride = _square(label, "stride", layer.stride)
    return MaxPool2D(f, stride) if type(layer).__name__ == "MaxPool2d" else AvgPool2D(f, stride)


def _batchnorm_from_torch(torch: Any, layer: Any, label: str) -> BatchNorm:
    if not layer.affine or layer.bias is None:
        raise ValueError(f"from_torch: {label} has affine=False or bias=False; BatchNorm here always learns gamma "
                         "and beta")
    if not layer.track_running_stats or layer.running_mean is None:
        raise ValueError(f"from_torch: {label} has track_running_stats=False; BatchNorm here keeps running averages "
                         "for eval mode")
    if layer.momentum is None:
        raise ValueError(f"from_torch: {label} has momentum=None (a cumulative average); BatchNorm here keeps "
                         "exponentially weighted averages: give momentum a number such as 0.1")
    _check_dtypes(torch, label, layer.weight, layer.bias, layer.running_mean, layer.running_var)
    layout = "conv" if type(layer).__name__ == "BatchNorm2d" else "dense"
    bn = BatchNorm(layer.num_features, eps=layer.eps, momentum=layer.momentum, layout=layout)
    shape = bn.gamma.shape
    bn.gamma.data = _numpy(layer.weight).reshape(shape)
    bn.beta.data = _numpy(layer.bias).reshape(shape)
    bn.running_mean = _numpy(layer.running_mean).reshape(shape)
    bn.running_var = _numpy(layer.running_var).reshape(shape)
    return bn


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
