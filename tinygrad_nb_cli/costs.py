"""The costs J the command line trains and draws: binary cross-entropy, and multiclass cross-entropy from logits.

A multiclass network here ends in Linear (output "identity"): its output is the logits Z[L],
and nn.cross_entropy takes log softmax(Z[L]) from them directly. log(softmax(Z)) would be -inf,
and J inf or NaN, as soon as a probability underflows to 0 (a logit about 745 below the largest).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nn
from tinygrad_nb import Tensor


def multiclass_cost(Z: Tensor, Y: Any) -> Tensor:
    """-1/m sum(Y log softmax(Z)) for logits Z (C, m) and labels Y (1, m) in 0..C-1 or one-hot (C, m).

    nn.cross_entropy takes the logits and applies log-softmax itself, stably.
    """
    return nn.cross_entropy(Z, Y)


def logits_model(model: nn.Module) -> nn.Module:
    """``model`` without a final Softmax (an older saved model): the layers that give Z[L]."""
    if isinstance(model, nn.Sequential) and len(model) > 1 and isinstance(model[len(model) - 1], nn.Softmax):
        return nn.Sequential(*[model[i] for i in range(len(model) - 1)])
    return model


def cost_of_one_step(model: nn.Module, X: np.ndarray, Y: np.ndarray, multiclass: bool, x_name: str = "X") -> Tensor:
    """J on (X, Y) with backward run and the graph kept, so that a drawing shows the gradient norms; the input
    tensor is named ``x_name`` in the graph (e.g. "X (209 examples of cat)": where its examples are from)."""
    X_t = Tensor(X, name=x_name)
    J = multiclass_cost(logits_model(model)(X_t), Y) if multiclass else nn.binary_cross_entropy(model(X_t), Y)
    model.zero_grad()
    J.backward(retain_graph=True)
    return J
