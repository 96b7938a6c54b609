"""The convolutional networks of the command line: ``train --arch cnn`` builds one, ``check --arch cnn`` checks one.

A CNN here is course 4's: for each entry n_C of ``--filters`` one block

    CONV(3x3, n_C filters, stride 1, pad "same") -> hidden activation -> MAXPOOL(f = stride = the block's pool)

then FLATTEN, the ``--hidden-dims`` dense layers (none by default) and the output: LINEAR -> SIGMOID for a binary
task, LINEAR alone (the logits, trained with cross-entropy from them) for the ten digits. ``--init`` (default he,
randn x sqrt(2 / fan_in), the scale for a layer a ReLU follows) draws the conv and hidden layers; the output
LINEAR, which no ReLU follows, is drawn by "deep", randn / sqrt(n[L-1]). Images come in course 4's
layout, the examples first and the channels last: the digits as (m, 8, 8, 1), the cat files as (m, 64, 64, 3).

The defaults (``CNN_DEFAULTS``) were measured with ``examples/vision``, which trains the same networks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

import nn
from nn.training.data_checks import takes_images
from tinygrad_nb import Tensor, gradcheck

F = 3  # every convolution's window: 3x3, padded "same" so that n_H and n_W stay until the pool
ACTIVATION_CLASSES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU}


@dataclass(frozen=True)
class CnnSettings:
    """A CNN run's defaults: the conv blocks' filters and pools, Adam's learning rate (``lr``; sgd and momentum
    take ``sgd_lr``), the epochs and the mini-batch size. ``source`` says where the numbers come from."""

    filters: tuple[int, ...]
    pools: tuple[int, ...]
    lr: float
    sgd_lr: float
    epochs: int
    batch_size: int
    source: str
    init: str = "he"
    hidden: str = "relu"
    hidden_dims: tuple[int, ...] = ()


CNN_DEFAULTS = {
    "digits": CnnSettings((16, 32), (2, 2), 0.003, 0.1, 20, 32, "tinygrad-nb's CNN settings for the digits"),
    "cat": CnnSettings((8, 16), (2, 4), 0.003, 0.03, 30, 32, "tinygrad-nb's CNN settings for the cat images"),
}


def cnn_defaults(kind: str, optimizer: str) -> CnnSettings:
    """The defaults for ``kind`` (digits or cat; planar has no images) with ``optimizer``."""
    if kind not in CNN_DEFAULTS:
        raise ValueError(f"--arch cnn trains on images: the digits (8x8) or a course .h5 file (64x64x3); {kind}'s "
                         "examples are points, not images: train an MLP on them (--arch mlp)")
    row = CNN_DEFAULTS[kind]
    if optimizer in ("sgd", "momentum"):
        return replace(row, lr=row.sgd_lr, source=f"{row.source}, with {optimizer}'s learning rate {row.sgd_lr:g}")
    return row


def image_sizes(image: Sequence[int], pools: Sequence[int]) -> list[tuple[int, int]]:
    """(n_H, n_W) after each block's pool for images (n_H, n_W, n_C); ValueError when a pool's window is larger
    than the image it gets."""
    n_H, n_W = int(image[0]), int(image[1])
    sizes = []
    for l, p in enumerate(pools, start=1):
        if p > n_H or p > n_W:
            raise ValueError(f"--pools: block {l}'s MAXPOOL(f = {p}) gets images of {n_H}x{n_W}, smaller than its "
                             f"window; give fewer --filters blocks or smaller --pools (images {image[0]}x{image[1]})")
        n_H, n_W = n_H // p, n_W // p
        sizes.append((n_H, n_W))
    return sizes


def build_cnn(image: Sequence[int], filters: Sequence[int], pools: Sequence[int], hidden_dims: Sequence[int],
              n_y: int, *, hidden: str = "relu", init: str = "he", rng: Any = None,
              task: nn.Task | None = None) -> nn.Sequential:
    """The CNN of this module's docstring for images ``image`` (n_H, n_W, n_C); multiclass (n_y > 1) ends in the
    logits, binary in a sigmoid. The Conv2D and Linear layers draw from ``rng`` in order."""
    if len(filters) != len(pools):
        raise ValueError(f"--pools gives {len(pools)} pool size{'s' if len(pools) != 1 else ''} for "
                         f"{len(filters)} conv block{'s' if len(filters) != 1 else ''} (--filters): give one per block")
    act = ACTIVATION_CLASSES[hidden]
    n_H, n_W = image_sizes(image, pools)[-1] if pools else (image[0], image[1])
    layers: list[nn.Module] = []
    n_prev = int(image[2])
    for n_C, p in zip(filters, pools):
        layers += [nn.Conv2D(n_prev, n_C, F, pad="same", init=init, rng=rng), act(), nn.MaxPool2D(p)]
        n_prev = n_C
    layers.append(nn.Flatten())
    n_prev = n_H * n_W * n_prev
    for n in hidden_dims:
        layers += [nn.Linear(n_prev, n, init=init, rng=rng), act()]
        n_prev = n
    layers.append(nn.Linear(n_prev, n_y, init="deep", rng=rng))  # no ReLU after it: randn / sqrt(n[L-1])
    if n_y == 1:
        layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    if task is not None:
        model.task = task
    return model


def describe_cnn(model: nn.Module) -> str:
    """``CONV3x3x16 > RELU > MAXPOOL2 > ... > FLATTEN > LINEAR 128->10``: a CNN's layers on one line."""
    if not isinstance(model, nn.Sequential):
        return type(model).__name__
    parts = []
    for layer in model.layers:
        if isinstance(layer, nn.Conv2D):
            parts.append(f"CONV{layer.f}x{layer.f}x{layer.n_C}")
        elif isinstance(layer, (nn.MaxPool2D, nn.AvgPool2D)):
            parts.append(f"{'MAX' if isinstance(layer, nn.MaxPool2D) else 'AVG'}POOL{layer.f}")
        elif isinstance(layer, nn.Linear):
            parts.append(f"LINEAR {layer.n_in}->{layer.n_out}")
        else:
            parts.append(type(layer).__name__.upper())
    return " > ".join(parts)


def is_cnn(model: nn.Module) -> bool:
    """Whether ``model`` takes images (m, n_H, n_W, n_C): it starts with a Conv2D or a pool layer."""
    return takes_images(model)


def input_image(model: nn.Sequential, largest: int = 1024) -> tuple[int, int, int]:
    """The smallest square image (n, n, n_C) a saved CNN takes: n_C from its first Conv2D, n the smallest size whose
    last pool feeds the Linear after Flatten exactly its n_in inputs. ValueError when none up to ``largest`` fits."""
    first = next((layer for layer in model.layers if isinstance(layer, nn.Conv2D)), None)
    if first is None:
        raise ValueError("the model starts with a pool layer, so its images' channels are not known; "
                         "give --image-shape n_H,n_W,n_C")
    for n in range(1, largest + 1):
        try:
            model.trace_shapes((1, n, n, first.n_C_prev))
        except ValueError:
            continue
        return (n, n, first.n_C_prev)
    raise ValueError(f"no square image up to {largest}x{largest} fits the model's layers; give --image-shape "
                     "n_H,n_W,n_C")


@dataclass(frozen=True)
class GradientCheck:
    """``check --arch cnn``'s outcome: the course's difference for each parameter (W1, b1, ...), and the worst."""

    differences: dict[str, float]
    worst: float

    def passed(self, tolerance: float) -> bool:
        return self.worst <= tolerance


def check_cnn_gradients(model: nn.Sequential, X: np.ndarray, Y: np.ndarray, eps: float = 1e-7) -> GradientCheck:
    """Autograd's dW, db of every parameter against centred finite differences of the cost J, parameter by
    parameter: ``tinygrad_nb.gradcheck``'s difference ||grad - gradapprox|| / (||grad|| + ||gradapprox||) (the course's
    gradient check, eps = 1e-7; below norms of 1 the difference is absolute, see ``tinygrad_nb.gradcheck``)."""
    X_t = Tensor(X, name="X")
    multiclass = Y.shape[0] == 1 and model.layer_dims[-1] > 1

    def cost(*_params: Tensor) -> Tensor:
        out = model(X_t)
        return nn.cross_entropy(out, Y) if multiclass else nn.binary_cross_entropy(out, Y)

    differences = {}
    for name, p in model.named_parameters():
        result = gradcheck(cost, [p], eps=eps, threshold=1.0)
        differences[name] = result.difference
    return GradientCheck(differences, max(differences.values()))
