"""The settings a run starts from when none are given: learning rate, iterations and hidden layers.

One table, read by ``nn.fit`` (its learning rate) and by the ``tinygrad-nb train`` command line
(all of them), so that the two agree. The numbers are the course's where the course has them:

================  =======  ==========  ==============  ======  =====================================
dataset           alpha    iterations  hidden layers   hidden  from
================  =======  ==========  ==============  ======  =====================================
cat (.h5 files)   0.0075   2500        20, 7, 5        relu    course 1, week 4 (train 0.986, test 0.8)
planar            1.2      10000       4               tanh    course 1, week 3 (train 0.905; randn x 0.01)
digits            0.1      1000        32, 16          relu    measured here (train 0.99, test 0.97)
spiral            1.0      3000        10              sigmoid DeZero's book, step 48 (300 epochs of 10)
sin               0.2      10000       10              sigmoid DeZero's book, steps 43-46 (mse)
================  =======  ==========  ==============  ======  =====================================

The optimiser changes the learning rate only: Adam and RMSprop take 0.001 (the course's Adam,
and PyTorch's default), except on the cat data: their first steps move every one of W1's
12288 weights per unit by about alpha, so 0.001 shifts Z1 by about 5 and the ReLUs die (the
cost sticks at 0.644, the label entropy); 0.00002 trains (2500 iterations: Adam train 0.967,
test 0.80; RMSprop 0.971, 0.82). Momentum keeps gradient descent's alpha
because it is the course's momentum, v := 0.9 v + 0.1 dW, whose steps are as long as
gradient descent's (``SGD(momentum=0.9, dampening=0.9)``).

Examples:
    >>> default_settings("cat", "sgd").lr
    0.0075
    >>> default_settings("planar", "adam").lr
    0.001
"""

from __future__ import annotations

from dataclasses import dataclass, replace

OPTIMIZER_NAMES = ("sgd", "momentum", "rmsprop", "adam")
ADAPTIVE = ("rmsprop", "adam")  # steps scaled by the gradients' history: about alpha per weight
ADAPTIVE_LR = 0.001
ADAPTIVE_LR_BY_DATASET = {"cat": 0.00002}  # measured: 0.001 kills the ReLUs on 12288 inputs
SGD_LR = 0.0075  # the course's gradient descent (week 4): fit's learning rate when it builds the SGD itself
ALIASES = {"h5": "cat"}  # any course .h5 file is read like the cat data


@dataclass(frozen=True)
class Settings:
    """A run's default settings: the learning rate alpha, the iterations, the hidden layers and their activation.

    ``source`` says where the numbers come from, for the line a run prints first.
    """

    lr: float
    iterations: int
    hidden_dims: tuple[int, ...]
    hidden: str
    source: str
    init: str = "deep"  # the initialiser (nn.init): the course's randn x 0.01 for planar, randn / sqrt(n[l-1]) else


_BY_DATASET = {
    "cat": Settings(SGD_LR, 2500, (20, 7, 5), "relu", "the course's week 4 settings"),
    "planar": Settings(1.2, 10_000, (4,), "tanh", "the course's week 3 settings", init="small_random"),
    "digits": Settings(0.1, 1000, (32, 16), "relu", "tinygrad-nb's settings for the digits"),
    "spiral": Settings(1.0, 3000, (10,), "sigmoid", "the settings of DeZero's book for the spiral"),
    "sin": Settings(0.2, 10_000, (10,), "sigmoid", "the settings of DeZero's book for the sin curve"),
}
DATASET_KINDS = tuple(_BY_DATASET)  # cat, planar, digits, spiral, sin


def kind_for_data(name: str) -> str:
    """The row of the table that data called ``name`` trains with: ``planar`` and ``digits`` (their held-out parts,
    ``digits test``, too), else ``cat``: the course's .h5 files, and the course's week 4 settings for any other data."""
    name = name.removesuffix(" test")
    return name if name in _BY_DATASET else "cat"


def dataset_kind(name: str) -> str:
    """``cat``, ``planar`` or ``digits``: the row of the table ``name`` reads (``h5`` is the cat data)."""
    if not isinstance(name, str):
        raise TypeError(f"the dataset kind must be a name such as 'cat', got {type(name).__name__}")
    kind = ALIASES.get(name, name)
    if kind not in _BY_DATASET:
        raise ValueError(f"no default settings for the dataset {name!r}; expected one of {list(DATASET_KINDS)} "
                         f"(or 'h5' for a course .h5 file)")
    return kind


def default_lr(optimizer: str = "sgd", dataset: str = "cat") -> float:
    """The learning rate alpha for ``optimizer`` on ``dataset``: for Adam and RMSprop 0.001 (0.00002 on the cat
    data), else the dataset's."""
    if optimizer not in OPTIMIZER_NAMES:
        raise ValueError(f"no default learning rate for the optimizer {optimizer!r}; expected one of "
                         f"{list(OPTIMIZER_NAMES)}")
    kind = dataset_kind(dataset)
    if optimizer in ADAPTIVE:
        return ADAPTIVE_LR_BY_DATASET.get(kind, ADAPTIVE_LR)
    return _BY_DATASET[kind].lr


def epochs_for(steps: int, batch_size: int | None, m: int) -> int:
    """The table's ``steps`` (gradient steps) as iterations of fit: themselves in full batch; with mini-batches
    of ``batch_size`` of the m examples, the epochs (of ceil(m / batch_size) steps) that take about as many
    steps, at least 1."""
    per_epoch = -(-m // batch_size) if batch_size else 1
    return max(1, round(steps / per_epoch))


def default_settings(dataset: str, optimizer: str = "sgd") -> Settings:
    """The defaults for training on ``dataset`` (cat/h5, planar, digits) with ``optimizer`` (sgd, momentum,
    rmsprop, adam): the table in this module's docstring, the learning rate chosen by ``default_lr``."""
    row = _BY_DATASET[dataset_kind(dataset)]
    lr = default_lr(optimizer, dataset)
    if lr == row.lr:
        return row
    return replace(row, lr=lr, source=f"{row.source}, with {optimizer}'s learning rate {lr:g}")
