"""The checks fit, predict and accuracy make before they run: the data's layout against the model, and the
model's output against the loss.

The course's layout is one example per column: X (n_x, m), Y (n_y, m). Data in the other
layout (one example per row, as scikit-learn and PyTorch keep it) gets the usual message plus
"did you mean X.T?" when the shapes say so.

Images are course 4's X (m, n_H, n_W, n_C), the examples FIRST (and the channels last), for a
model that starts with a Conv2D, a pool layer or a Flatten; Y stays (n_y, m), since the dense
layers at the end output (n_y, m). ``examples_axis`` is the one place that says which axis of X
holds the m examples for a model (0 for images, else the last); fit's mini-batches slice that
axis. Images given to a model that starts with a Linear get "did you mean Flatten() first?",
images in PyTorch's (m, n_C, n_H, n_W) get "channels last". A loss that cannot go with the model's output (a
loss on logits fed a squashed output: a sigmoid's, a softmax's or a tanh's; a binary cross-entropy fed logits) is
refused with the fix; a custom loss or a model whose last layer is not known is accepted as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nn.layers.activations import Activation
from nn.layers.containers import Sequential, output_kind
from nn.layers.conv import Conv2D, Pool2D
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten
from nn.layers.module import Module
from nn.layers.task import output_of_layer
from nn.training.losses import (
    LOSSES,
    SQUASHING,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
)
from tinygrad_nb import Tensor


def check_X(X: Any, n_x: int | None = None) -> np.ndarray:
    """X as a float array (n_x, m) with m >= 1 examples and no NaN or Inf; with ``n_x``, X must have n_x rows."""
    x = matrix("X", X)
    if n_x is not None and x.shape[0] != n_x:
        hint = ("; did you mean X.T? (one example per column)" if x.shape[1] == n_x else
                f"; a model's sizes start with the input's n_x: nn.MLP([{x.shape[0]}, ...]) (DeZero's MLP((10, 3)) "
                f"is nn.MLP([n_x, 10, 3]))")
        raise ValueError(f"X has {x.shape[0]} rows but the model's first layer expects X with {n_x} rows "
                         f"(n_x = n[0] = {n_x}): X is {x.shape}, it must be (n_x, m) = ({n_x}, m){hint}")
    if x.shape[1] == 0:
        raise ValueError(f"X has no examples: shape {x.shape} (m = 0)")
    if not np.isfinite(x).all():
        raise ValueError("X contains NaN or Inf")
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def check_data(X: Any, Y: Any, n_x: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """X as (n_x, m) and Y as (n_y, m) numeric arrays with the same m >= 1; X without NaN or Inf.

    Y's values are checked where their meaning is known: by the loss, or by ``accuracy``.
    With ``n_x`` (the model's input size), X must have n_x rows.
    """
    x, y = matrix("X", X), matrix("Y", Y)
    if x.shape[1] != 0 and y.shape[1] != x.shape[1]:
        raise ValueError(f"X has m = {x.shape[1]} examples (columns) but Y has {y.shape[1]}: X is {x.shape}, "
                         f"Y is {y.shape}{_transposed(x, y, n_x)}")
    return check_X(x, n_x), y


def _transposed(x: np.ndarray, y: np.ndarray, n_x: int | None) -> str:
    """"; did you mean ...?" when X, Y or both look like one example per row."""
    x_rows = x.shape[0] == y.shape[1] or (n_x is not None and x.shape[1] == n_x)  # X is (m, n_x)
    y_rows = y.shape[0] == x.shape[1] and y.shape[1] <= y.shape[0]  # Y is (m, n_y)
    if x.shape[0] == y.shape[0] > y.shape[1] and not (n_x is not None and x.shape[0] == n_x):  # both (m, ...)
        return "; did you mean X.T and Y.T? (one example per column)"
    if y_rows:
        return f"; did you mean Y.T? ({y.shape[::-1]}, one example per column)"
    if x_rows:
        return f"; did you mean X.T? ({x.shape[::-1]}, one example per column)"
    return ""


def matrix(label: str, a: Any) -> np.ndarray:
    """``a`` (an array or a Tensor) as a 2-D numeric array, or a TypeError/ValueError naming ``label``."""
    a = a.data if isinstance(a, Tensor) else a
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{label} must be a numpy array (course layout: one example per column), "
                        f"got {type(a).__name__}")
    if a.ndim != 2:
        raise ValueError(f"{label} must be 2-D (n, m) with one example per column, got shape {a.shape}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{label} must be numeric, got dtype {a.dtype}")
    return a


def input_size(model: Module) -> int | None:
    """n[0], the rows the model's first Linear layer expects, where the model says it (a Sequential, a Linear)."""
    first = first_layer(model)
    return first.n_in if isinstance(first, Linear) else None


def first_layer(model: Module) -> Module | None:
    """The first layer ``model`` runs on X, looking into Sequentials and past activations and dropout (which take
    any layout); None when the model does not say (a module of your own, a Sequential subclass with its forward)."""
    todo = [model]
    while todo:
        m = todo.pop(0)
        if isinstance(m, Sequential):
            if type(m).forward is not Sequential.forward:
                return None
            todo = list(m.layers) + todo
        elif isinstance(m, (Activation, Dropout)):
            continue
        else:
            return m
    return None


def takes_images(model: Module) -> bool:
    """Whether ``model`` starts with a Conv2D or a pool layer: its X is images (m, n_H, n_W, n_C)."""
    return isinstance(first_layer(model), (Conv2D, Pool2D))


def examples_axis(model: Module, X: Any) -> int:
    """The axis of X (an array) that holds the m examples for ``model``: 0 for images (m, n_H, n_W, n_C) and other
    inputs of 3 or more axes (course 4's layout, which Conv2D, the pool layers and Flatten take), 1 for X (n_x, m)
    (the course's one example per column). ValueError, in course notation, for an X the model cannot take."""
    x = _array("X", X)
    first = first_layer(model)
    if x.ndim == 2:
        if isinstance(first, (Conv2D, Pool2D)):
            label = (f"Conv2D {_index(model, first)}" if isinstance(first, Conv2D) else type(first).__name__)
            raise ValueError(f"{label} takes images X (m, n_H_prev, n_W_prev, n_C_prev), but X is {x.shape}, a "
                             f"matrix (n_x, m): keep the images unflattened (e.g. nn.datasets.load_course_h5(path, "
                             f"flatten=False), nn.datasets.digits(images=True)), or start the model with nn.Flatten()"
                             f" and a Linear for flattened X")
        return 1
    if x.ndim < 2:
        raise ValueError(f"X must be 2-D (n, m) with one example per column, or images (m, n_H, n_W, n_C), "
                         f"got shape {x.shape}")
    if isinstance(first, Linear):
        n = int(np.prod(x.shape[1:]))
        raise ValueError(f"X {x.shape} has {x.ndim} axes, but the model's first layer is a Linear, which takes X "
                         f"(n_x, m) = ({first.n_in}, m), one example per column; for images (m, n_H, n_W, n_C) did "
                         f"you mean Flatten() first? nn.Sequential(nn.Flatten(), ...) gives X.reshape(m, -1).T, "
                         f"({n}, {x.shape[0]})")
    if x.ndim != 4 and not isinstance(first, Flatten):
        raise ValueError(f"X {x.shape} must be images (m, n_H, n_W, n_C) (one channel: n_C = 1, "
                         f"X[..., None]) or a matrix (n_x, m), one example per column")
    return 0


def _index(model: Module, layer: Module) -> int | None:
    if isinstance(model, Sequential):
        return model.numbering().get(id(layer))
    return getattr(layer, "index", None)


def check_inputs(model: Module, X: Any) -> tuple[np.ndarray, int]:
    """(X as a float array, its examples axis) for ``model``: X (n_x, m) with n_x = n[0], or images
    (m, n_H, n_W, n_C) that fit every layer (``Sequential.trace_shapes``: the filters' n_C_prev, the windows,
    the Linear after Flatten); m >= 1, no NaN or Inf. Errors name the layer, in course notation."""
    axis = examples_axis(model, X)
    if axis == 1:
        return check_X(X, input_size(model)), 1
    x = _array("X", X)
    if x.shape[0] == 0:
        raise ValueError(f"X has no examples: shape {x.shape} (m = 0; images are (m, n_H, n_W, n_C))")
    if isinstance(model, Sequential):
        model.trace_shapes(x.shape)
    elif isinstance(model, (Conv2D, Pool2D)):
        model.output_shape(x.shape, getattr(model, "index", None))
    if not np.isfinite(x).all():
        raise ValueError("X contains NaN or Inf")
    return (x if x.dtype.kind == "f" else x.astype(np.float64)), 0


def check_examples(model: Module, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """(X, Y, X's examples axis) for ``model``: ``check_inputs`` and Y (n_y, m) with X's m, for fit and accuracy."""
    x = _array("X", X)
    if x.ndim == 2 and examples_axis(model, x) == 1:
        x2, y = check_data(x, Y, input_size(model))
        return x2, y, 1
    y = matrix("Y", Y)
    x, axis = check_inputs(model, x)
    m = x.shape[axis]
    if y.shape[1] != m:
        hint = f"; did you mean Y.T? ({y.shape[::-1]}, one example per column)" if y.shape[0] == m else ""
        raise ValueError(f"X has m = {m} examples (images (m, n_H, n_W, n_C) = {x.shape}, the examples first) but Y "
                         f"has {y.shape[1]}: Y is {y.shape}, it must be (n_y, m), one example per column{hint}")
    return x, y, axis


def _array(label: str, a: Any) -> np.ndarray:
    """``a`` (an array or a Tensor) as a numeric array of any shape, or a TypeError naming ``label``."""
    a = a.data if isinstance(a, Tensor) else a
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{label} must be a numpy array (course layout: one example per column, or images "
                        f"(m, n_H, n_W, n_C)), got {type(a).__name__}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{label} must be numeric, got dtype {a.dtype}")
    return a


def loss_function(loss: Any) -> Callable[..., Any] | None:
    """The nn.training.losses function behind ``loss`` (a name, the function, or a loss object), else None."""
    if isinstance(loss, str):
        return LOSSES.get(loss)
    if isinstance(loss, (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss)):
        return type(loss).fn
    return loss if callable(loss) else None


def check_output_and_loss(model: Module, fn: Callable[..., Any] | None, Y: np.ndarray | None = None) -> None:
    """Refuse a loss that cannot go with the model's last layer (or with labels Y (n_y, m)); say which output or
    loss to use instead. ``fn`` is the nn.training.losses function behind the loss (``loss_function``), or None."""
    kind = output_kind(model)
    n_y = model.layer_dims[-1] if isinstance(model, Sequential) and model.layer_dims else None
    if (fn in (binary_cross_entropy, binary_cross_entropy_with_logits) and Y is not None and n_y is not None
            and n_y > 1 and Y.shape[0] == 1):
        raise ValueError(f"fit: loss {fn.__name__} compares each of the model's n[L] = {n_y} output units with a "
                         f"yes/no label, but Y is one row of labels (1, m): for {n_y} classes end the model in "
                         f"logits and train with cross-entropy: build it with the data's task, nn.MLP([...], "
                         f"task=data.task), which chooses both, or nn.MLP(..., output='identity') with "
                         f"loss='cross_entropy'")
    if fn in (binary_cross_entropy, binary_cross_entropy_with_logits) and kind == "softmax":
        raise ValueError(f"fit: loss {fn.__name__} is for one output unit (a yes/no label per example), but the "
                         f"model ends in a softmax over several classes: for C classes use loss='cross_entropy' "
                         f"on logits (nn.MLP(..., output='identity')); for two, one sigmoid unit (output='sigmoid')")
    if fn in (cross_entropy, binary_cross_entropy_with_logits) and kind in SQUASHING:  # sigmoid, softmax, tanh
        applies = "log-softmax" if fn is cross_entropy else "the sigmoid"
        what = "values in [-1, 1]" if kind == "tanh" else "probabilities"
        other = (" or use loss='binary_cross_entropy' with this output"
                 if fn is binary_cross_entropy_with_logits and kind == "sigmoid" else "")
        raise ValueError(f"fit: loss {fn.__name__} takes the logits Z[L] and applies {applies} itself, but the "
                         f"model's output is the output of {SQUASHING[kind]} ({what}): build the model with "
                         f"output='identity' (nn.MLP(..., output='identity')) or drop its last {kind}{other}")
    output = output_of_layer(kind)
    if output is None:
        return
    probabilities, logits = output == "probabilities", output == "logits"
    ends = f"the model's output is the output of a {kind}" if probabilities else f"the model ends in {kind}"
    if fn is binary_cross_entropy and logits:
        raise ValueError(f"fit: loss binary_cross_entropy takes probabilities A[L] in (0, 1), but {ends} (logits "
                         f"Z[L], any real number): end the model in a sigmoid (output='sigmoid') or use "
                         f"loss='binary_cross_entropy_with_logits' with this output")
