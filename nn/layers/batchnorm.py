"""Batch normalisation (course 2 week 3): ``BatchNorm`` and its op, forward and backward side by side.

For each unit (dense layout) or channel (conv layout), over the m examples of a mini-batch::

    mu = 1/m sum_i z(i)            sigma^2 = 1/m sum_i (z(i) - mu)^2
    Z_norm = (Z - mu) / sqrt(sigma^2 + eps)
    Z~ = gamma Z_norm + beta       (gamma, beta: learned, one per unit)

Layouts: ``layout="dense"`` normalises Z (n, m), one example per column (courses 1-2), over its m
columns, with gamma and beta (n, 1). ``layout="conv"`` normalises Z (m, n_H, n_W, n_C) (course 4)
per channel over its m n_H n_W entries, with gamma and beta (1, 1, 1, n_C): as PyTorch's
BatchNorm1d and BatchNorm2d, in the course's axes.

Running averages for eval mode, the course's exponentially weighted averages of mu and sigma^2
with PyTorch's convention for the rate: after each training pass

    running_mean = (1 - momentum) running_mean + momentum mu
    running_var  = (1 - momentum) running_var  + momentum sigma^2 m / (m - 1)

``momentum`` (default 0.1) is 1 - beta for the course's v = beta v + (1 - beta) theta (beta = 0.9).
As PyTorch, the running variance averages the UNBIASED batch variance (divided by m - 1, m the
number of entries per unit), while the training pass itself normalises with the biased one; and
there is no bias correction (the averages start at mean 0, variance 1). Eval mode normalises
with the running averages instead of the batch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import validate
from nn.layers import sizes
from nn.layers.dense import as_input
from nn.layers.module import Module, Parameter
from tinygrad_nb import Function, Tensor

LAYOUTS = ("dense", "conv")


class BatchNormalize(Function):
    """Z~ = gamma (Z - mu) / sqrt(sigma^2 + eps) + beta over ``axes`` (the examples), with the closed-form backward.

    With dZ~ the gradient of the output, M the entries per unit (m, or m n_H n_W) and sums over the examples:

        dbeta  = sum dZ~
        dgamma = sum dZ~ Z_norm
        dZ     = (1/M) gamma / sqrt(sigma^2 + eps) (M dZ~ - sum dZ~ - Z_norm sum dZ~ Z_norm)   (training)
        dZ     = gamma / sqrt(running_var + eps) dZ~                                             (eval: constants)

    ``layer`` is the BatchNorm whose buffers hold the running averages: a training pass updates them in
    place here, in the op, so that a jitted step (which replays the op's forward) updates them on every call
    as the eager step does; an eval pass reads them here, on every call, so that a replay sees them as they
    are now.
    """

    def forward(self, Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, layer: BatchNorm,
                axes: tuple[int, ...], eps: float, momentum: float, training: bool) -> np.ndarray:
        self.axes, self.eps, self.training = axes, eps, training
        if training:
            M = _count(Z.shape, axes)
            mu = Z.mean(axis=axes, keepdims=True)
            centred = Z - mu
            var = (centred * centred).mean(axis=axes, keepdims=True)  # biased: what the pass normalises with
            _update(layer.running_mean, mu, momentum)
            _update(layer.running_var, var * (M / (M - 1)), momentum)  # unbiased, as PyTorch keeps it
        else:  # copies: a later training pass updates the buffers in place
            self.running_mean = layer.running_mean.astype(Z.dtype)
            centred = Z - self.running_mean
            var = layer.running_var.astype(Z.dtype)
        self.inv_std = 1.0 / np.sqrt(var + eps)  # 1 / sqrt(sigma^2 + eps), one per unit
        self.Z_norm = centred * self.inv_std
        return gamma * self.Z_norm + beta

    def backward(self, g: Any, out: Any, Z: Any, gamma: Any, beta: Any) -> tuple[Any, Any, Any]:
        needs = self.needs_input_grad
        axes = self.axes
        if isinstance(Z, Tensor):  # create_graph: the same rule on Tensors, Z_norm recomputed from Z
            Z_norm, inv_std = self._tensor_stats(Z)
        else:
            Z_norm, inv_std = self.Z_norm, self.inv_std
        dbeta = g.sum(axis=axes, keepdims=True) if needs[2] or (needs[0] and self.training) else None
        dgamma = (g * Z_norm).sum(axis=axes, keepdims=True) if needs[1] or (needs[0] and self.training) else None
        dZ = None
        if needs[0]:
            if self.training:
                M = _count(Z.shape, axes)
                dZ = (gamma * inv_std / M) * (M * g - dbeta - Z_norm * dgamma)
            else:
                dZ = gamma * inv_std * g
        return (dZ, dgamma if needs[1] else None, dbeta if needs[2] else None)

    def _tensor_stats(self, Z: Tensor) -> tuple[Tensor, Any]:
        """Z_norm and 1/sqrt(sigma^2 + eps) as Tensors of Z (training) or with the running ones as constants."""
        if not self.training:
            return (Z - self.running_mean) * self.inv_std, self.inv_std
        mu = Z.mean(axis=self.axes, keepdims=True)
        centred = Z - mu
        inv_std = ((centred * centred).mean(axis=self.axes, keepdims=True) + self.eps) ** -0.5
        return centred * inv_std, inv_std

    def explain(self, out: str, ins: list[str]) -> list[tuple[int, str]]:
        return [(0, f"gamma/sqrt(sigma^2+eps) (d{out} - mean(d{out}) - Z_norm mean(d{out} Z_norm))"),
                (1, f"sum(d{out} Z_norm)"), (2, f"sum(d{out})")]


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """M, the entries per unit: m for (n, m), m n_H n_W for (m, n_H, n_W, n_C)."""
    return int(np.prod([shape[a] for a in axes]))


def _update(running: np.ndarray, batch: np.ndarray, momentum: float) -> None:
    """running = (1 - momentum) running + momentum batch, in place (the buffer keeps its array and dtype)."""
    running *= 1.0 - momentum
    running += momentum * batch.astype(running.dtype, copy=False)


class BatchNorm(Module):
    """Batch normalisation of Z[l] (course 2 week 3): Z~ = gamma (Z - mu) / sqrt(sigma^2 + eps) + beta.

    Put it between a Linear layer and its activation, as the course does:
    ``Sequential(Linear(2, 4), BatchNorm(4), ReLU(), Linear(4, 1), Sigmoid())`` (b[l] is then redundant:
    beta takes its place). In training mode (the default) it normalises with the mini-batch's mean and
    variance and updates the running averages; in eval mode (``model.eval()``) with the running averages.

    Parameters ``gamma`` (ones) and ``beta`` (zeros); buffers ``running_mean`` (zeros) and ``running_var``
    (ones), all (n, 1) for ``layout="dense"`` and (1, 1, 1, n) for ``layout="conv"``. The buffers are in
    ``state_dict()`` and saved, but not in ``parameters()``: no optimiser changes them. In a Sequential
    they take the number l of the layer whose Z[l] it normalises (``gamma1``, ``beta1``, ``running_mean1``,
    ``running_var1``; see ``nn.layers.containers``).

    Args:
        n: n[l], the units of the layer normalised (dense), or n_C, its channels (conv).
        eps: added to the variance before the square root (PyTorch's default 1e-5).
        momentum: the rate of the running averages, PyTorch's convention: running = (1 - momentum)
            running + momentum batch, so the course's beta = 1 - momentum (0.9 for the default 0.1).
            In [0, 1]; the running variance averages the unbiased batch variance (see the module docstring).
        layout: "dense" for Z (n, m), examples as columns; "conv" for Z (m, n_H, n_W, n_C).

    An n whose four arrays are larger than this machine's memory is refused (ValueError, see
    ``nn.layers.sizes``) before anything is allocated.
    """

    running_mean: np.ndarray
    running_var: np.ndarray

    def __init__(self, n: int, eps: float = 1e-5, momentum: float = 0.1, layout: str = "dense"):
        super().__init__()
        self.n = validate.positive_int("BatchNorm: n", n)
        self.eps = validate.number("BatchNorm: eps", eps, low=0, low_open=True)
        self.momentum = validate.number("BatchNorm: momentum", momentum, low=0, high=1)
        self.layout = validate.choice("BatchNorm: layout", layout, LAYOUTS)
        shape = (self.n, 1) if self.layout == "dense" else (1, 1, 1, self.n)
        footprint = sizes.batchnorm(self.n, self.layout)
        sizes.check(footprint)
        with sizes.allocating(footprint):
            self.gamma = Parameter(np.ones(shape))
            self.beta = Parameter(np.zeros(shape))
            self.register_buffer("running_mean", np.zeros(shape))
            self.register_buffer("running_var", np.ones(shape))

    def forward(self, Z: Any) -> Tensor:
        Z = as_input(Z, "Z")
        axes = self._check(Z.shape)
        out = BatchNormalize.apply(Z, self.gamma, self.beta, layer=self, axes=axes, eps=self.eps,
                                   momentum=self.momentum, training=self.training)
        out.name = f"{Z.name}~" if Z.name else None  # Z~, the course's name for the normalised Z
        return out

    def _check(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The axes of the examples for an input of ``shape``; ValueError in course notation when it does not fit."""
        g = self.gamma.shape
        if self.layout == "dense":
            if len(shape) != 2:
                hint = (f"; for a conv volume (m, n_H, n_W, n_C) build BatchNorm({shape[-1]}, layout='conv')"
                        if len(shape) == 4 else "")
                raise ValueError(f"BatchNorm: expected Z of shape (n, m), one example per column, got {shape}{hint}")
            if shape[0] != self.n:
                message = f"BatchNorm: Z has n = {shape[0]} rows but gamma is {g}"
                if shape[1] == self.n:
                    message += (f"; did you mean Z.T? {shape} looks like {shape[0]} examples as rows "
                                "(course layout: (n, m), one example per column)")
                raise ValueError(message)
            axes: tuple[int, ...] = (1,)
        else:
            if len(shape) != 4:
                raise ValueError(f"BatchNorm: layout='conv' expects Z of shape (m, n_H, n_W, n_C), got {shape}")
            if shape[3] != self.n:
                raise ValueError(f"BatchNorm: Z has n_C = {shape[3]} channels (its last axis) but gamma is {g}")
            axes = (0, 1, 2)
        if self.training and _count(shape, axes) <= 1:
            per = "example" if self.layout == "dense" else "entry (m n_H n_W)"
            raise ValueError(f"BatchNorm: expected more than 1 value per channel when training, got Z {shape}: "
                             f"the variance of one {per} is 0 (as PyTorch refuses it). Train on mini-batches of "
                             "m >= 2, or call model.eval() to use the running averages")
        return axes

    def config(self) -> dict[str, Any]:
        return {"type": "BatchNorm", "n": self.n, "eps": self.eps, "momentum": self.momentum, "layout": self.layout}

    def extra_repr(self) -> str:
        return (f"n={self.n}, eps={self.eps}, momentum={self.momentum}"
                + ("" if self.layout == "dense" else ", layout='conv'"))
