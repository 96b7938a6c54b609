"""A bound on a network's size, checked before anything is allocated: absurd layer_dims get a message, not a hang.

A float64 entry takes 8 bytes. Training holds each W[l] several times over (the weights, dW and
an optimiser's state) and each (n[l], m) array (Z[l], A[l], dZ[l], dA[l]), so both counts are
capped at 20 million entries (160 MB per copy): the course's cat model [12288, 20, 7, 5, 1] has
246 thousand parameters and its largest (n[l], m) array, X, 2.6 million entries.

A CNN (``check_cnn_size``) also holds each convolution's output Z[l] (m, n_H, n_W, n_C), capped as the
activations above, and its windows: the convolution's one matrix product multiplies the (m n_H n_W, f f n_C_prev)
matrix of every f x f window of A[l-1] by W[l], so that matrix is capped at ``MAX_WINDOWS`` entries (320 MB). The m
counted is the examples the network runs on at once: the whole training set, since the accuracy is computed on it in
one pass (the cat images: 209 x 64 x 64 x 27 = 23 million entries in the first layer's windows).
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_PARAMETERS = 20_000_000
MAX_ACTIVATION = 20_000_000
MAX_WINDOWS = 40_000_000


def check_size(dims: Sequence[int], m: int, x_loaded: bool = False) -> None:
    """Raise ValueError, naming n[l], when layer_dims ``dims`` on m examples is too large to build.

    ``x_loaded``: X (n[0], m) is a dataset already in memory, so only A1 .. A[L] count.
    """
    parameters = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    if parameters > MAX_PARAMETERS:
        l = max(range(1, len(dims)), key=lambda k: dims[k] * dims[k - 1])
        raise ValueError(f"layer_dims {list(dims)} has {parameters:,} parameters, more than the "
                         f"{MAX_PARAMETERS:,} allowed: W{l} alone is (n[{l}], n[{l - 1}]) = ({dims[l]}, "
                         f"{dims[l - 1]}); make n[{l if dims[l] >= dims[l - 1] else l - 1}] smaller")
    l = max(range(1 if x_loaded else 0, len(dims)), key=lambda k: dims[k])
    if dims[l] * m > MAX_ACTIVATION:
        name = "X" if l == 0 else f"A{l}"
        raise ValueError(f"layer_dims {list(dims)} on m = {m} examples: {name} is (n[{l}], m) = ({dims[l]}, {m}), "
                         f"{dims[l] * m:,} entries, more than the {MAX_ACTIVATION:,} allowed; "
                         f"make n[{l}] or m smaller")


def check_cnn_size(image: Sequence[int], filters: Sequence[int], pools: Sequence[int], f: int,
                   dense_dims: Sequence[int], m: int) -> None:
    """Raise ValueError, naming the conv block, when a CNN on m images ``image`` (n_H, n_W, n_C) is too large to
    build: blocks of ``filters`` f x f "same" convolutions, each followed by a max-pool of ``pools``, then the dense
    layers ``dense_dims`` [n_H n_W n_C after the last pool, ..., n[L]] (checked as ``check_size``)."""
    n_H, n_W, n_prev = (int(n) for n in image)
    parameters = 0
    for l, (n_C, p) in enumerate(zip(filters, pools), start=1):
        parameters += f * f * n_prev * n_C + n_C
        if parameters > MAX_PARAMETERS:
            raise ValueError(f"conv block {l}: W{l} (f, f, n_C_prev, n_C) = ({f}, {f}, {n_prev}, {n_C}) brings the "
                             f"parameters to {parameters:,}, more than the {MAX_PARAMETERS:,} allowed; give fewer "
                             f"--filters")
        check_conv_size(l, (m, n_H, n_W, n_prev), f, (m, n_H, n_W, n_C))
        n_H, n_W, n_prev = n_H // p, n_W // p, n_C
    check_size(dense_dims, m)


def check_conv_size(l: int, before: Sequence[int], f: int, after: Sequence[int]) -> None:
    """Raise ValueError when the convolution of layer ``l`` from A[l-1] of shape ``before`` (m, n_H_prev, n_W_prev,
    n_C_prev) to Z[l] of shape ``after`` (m, n_H, n_W, n_C), f x f windows, needs too large a windows' matrix
    (m n_H n_W, f f n_C_prev) or output."""
    m, n_H, n_W, n_C = (int(n) for n in after)
    n_prev = int(before[3])
    windows = m * n_H * n_W * f * f * n_prev
    if windows > MAX_WINDOWS:
        raise ValueError(f"conv layer {l} on m = {m} images of {before[1]}x{before[2]}x{n_prev}: the windows' matrix "
                         f"(m n_H n_W, f f n_C_prev) = ({m * n_H * n_W:,}, {f * f * n_prev}) has {windows:,} "
                         f"entries, more than the {MAX_WINDOWS:,} allowed; give fewer filters to the layer "
                         f"before it, a larger pool, or fewer images")
    if m * n_H * n_W * n_C > MAX_ACTIVATION:
        raise ValueError(f"conv layer {l} on m = {m} images: Z{l} is (m, n_H, n_W, n_C) = ({m}, {n_H}, {n_W}, "
                         f"{n_C}), {m * n_H * n_W * n_C:,} entries, more than the {MAX_ACTIVATION:,} allowed; "
                         f"give layer {l} fewer filters, or use fewer images")
