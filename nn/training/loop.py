"""Training: ``fit`` (``predict`` and ``accuracy`` live in ``metrics`` and are re-exported here).

``fit`` is the course's loop: forward, cost, backward, update, printing
``Cost after iteration i: c`` every ``print_every`` iterations. Around it: the data checks
(``data_checks``), the default learning rate (``defaults``), the watch for divergence
(``divergence``), the progress bar (``progress``) and the BLAS thread limit (``threads``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, SupportsIndex, overload

import numpy as np

from nn import validate
from nn.data.datasets import Dataset
from nn.data.loader import DataLoader
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.batchnorm import BatchNorm
from nn.layers.containers import MLP, Sequential, named_weights
from nn.layers.conv import AvgPool2D, Conv2D, MaxPool2D
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten
from nn.layers.module import Module
from nn.training.data_checks import (
    check_data,
    check_examples,
    check_output_and_loss,
    check_X,
    loss_function,
)
from nn.training.dataset_args import adopt_task, default_loss, fit_defaults, unpack
from nn.training.divergence import ON_DIVERGENCE, DivergenceWarning, LrAdvice, Watch
from nn.training.losses import (
    LOSSES,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    binary_cross_entropy,
    l2_penalty,
)
from nn.training.metrics import accuracy, check_model, predict
from nn.training.optim import SGD, Adadelta, Adagrad, Adam, InverseTimeDecay, Optimizer, RMSprop
from nn.training.progress import DELAY, Progress
from nn.training.threads import blas_threads as limit_blas_threads
from tinygrad_nb import InputError, JitError, Tensor, jit

__all__ = ["fit", "predict", "accuracy", "check_X", "check_data", "DivergenceWarning", "Costs"]

Loss = Callable[[Tensor, Any], Tensor]
Batches = Callable[[int], Iterable[tuple[Tensor, np.ndarray]]]  # iteration i -> its batches (Tensor X, array Y)
SEEDS = 2**32  # numpy.random.RandomState takes seeds in [0, 2**32 - 1]

# What fit compiles by default (jit=None): a step built only of these, by exact type (a subclass may do anything
# in Python that a replay would skip). Each one's forward, loss or update runs only traced ops or @side_effect.
NN_MODULES = (Sequential, MLP, Linear, Conv2D, MaxPool2D, AvgPool2D, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity,
              Flatten, Dropout)
NN_LOSS_OBJECTS = (MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss)
NN_OPTIMIZERS = (SGD, RMSprop, Adam, Adagrad, Adadelta)
_OPTIMIZER_METHODS = ("step", "zero_grad", "update", "update_all")


class Costs(list[float]):
    """The costs ``fit`` returns: a list of floats, with the iteration each was recorded at.

    It is a list (``costs == [0.69, 0.31, ...]``, ``costs[-1]``, ``json.dumps(costs)``,
    ``list(costs)`` for a plain copy) with two attributes: ``iterations``, the iteration
    (full batch) or epoch (mini-batch) of each cost, e.g. [0, 1000, 2000, 3000, 4000, 4999] for
    5000 iterations recorded every 1000 (the last one is always recorded), and ``unit``,
    "iteration" or "epoch". ``viz.plot_costs(costs)`` draws each cost at its iteration. A slice
    keeps the iterations of its costs; other list operations give plain lists.
    """

    iterations: list[int]
    unit: str

    def __init__(self, costs: Iterable[float] = (), iterations: Iterable[int] = (), unit: str = "iteration"):
        super().__init__(costs)
        self.iterations = [int(i) for i in iterations]
        self.unit = unit
        if len(self.iterations) != len(self):
            raise ValueError(f"Costs: {len(self)} costs but {len(self.iterations)} iterations; give one iteration "
                             "per cost")

    @overload
    def __getitem__(self, i: SupportsIndex) -> float: ...
    @overload
    def __getitem__(self, i: slice) -> Costs: ...
    def __getitem__(self, i: SupportsIndex | slice) -> float | Costs:
        if isinstance(i, slice):
            return Costs(list.__getitem__(self, i), self.iterations[i], self.unit)
        return list.__getitem__(self, i)

    def copy(self) -> Costs:
        """A copy that keeps the iterations (``list(costs)`` for a plain list)."""
        return Costs(self, self.iterations, self.unit)


def _resolve_loss(loss: str | Loss) -> Loss:
    """The callable fit trains with: ``loss`` itself when callable (a loss object keeps its reduction), else the
    nn.losses function of that name (``loss_function``)."""
    if callable(loss):
        return loss
    fn = loss_function(loss)
    if fn is not None:
        return fn
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name such as 'binary_cross_entropy' or a callable (A, Y) -> J, got {loss!r}")
    raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a callable (A, Y) -> J")


def _resolve_optimizer(optimizer: Optimizer | None, model: Module, lr: float | None) -> Optimizer:
    if lr is not None:
        lr = validate.number("lr", lr, low=0, low_open=True)
    if optimizer is None:
        assert lr is not None, "fit_defaults fills lr when no optimizer is given"
        return SGD(model.parameters(), lr)
    if lr is not None and isinstance(optimizer, Optimizer):
        raise ValueError(f"fit: lr={lr:g} and an optimizer with its own learning rate {optimizer.lr:g}: give the "
                         f"rate to the optimizer ({type(optimizer).__name__}(model.parameters(), lr={lr:g})) and "
                         "leave fit's lr out")
    if isinstance(optimizer, str):
        raise TypeError(f"optimizer must be an Optimizer object, not the name {optimizer!r}: pass e.g. "
                        "nn.optim.Adam(model.parameters(), lr=0.001)")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nn.optim Optimizer such as nn.optim.Adam(model.parameters(), lr), "
                        f"got {type(optimizer).__name__}")
    return optimizer


def _check_optimizer_holds_model(opt: Optimizer, model: Module) -> None:
    """Refuse an optimizer that would step none of the model's parameters (one built for another model): training
    would run and change nothing. One that holds only some of them (a frozen part) is allowed."""
    own = {id(p) for p in model.parameters()}
    if not any(id(p) in own for p in opt.params):
        name = type(opt).__name__
        raise ValueError(f"fit: the optimizer holds none of the model's parameters ({name} was given "
                         f"{len(opt.params)} other tensor{'s' if len(opt.params) != 1 else ''}, another model's?), "
                         f"so training would change nothing; build it from this model: {name}(model.parameters(), "
                         f"lr={opt.lr:g})")


def _own_step(model: Module, loss: Any, optimizer: Optimizer | None) -> bool:
    """Whether fit's step is made only of nn's own parts, which a jitted replay reproduces exactly: every module of
    the model one of ``NN_MODULES`` (exact type, no method replaced on the instance), the loss a name in
    ``nn.training.losses.LOSSES``, one of those functions, or a loss object of ``NN_LOSS_OBJECTS``, and the
    optimizer None or one of ``NN_OPTIMIZERS``.
    Code of the user's may run Python that a replay skips (a counter, a switch)."""
    for mod in model.modules():
        if (type(mod) not in NN_MODULES or any(callable(v) and not isinstance(v, (Module, Tensor))
                                               for v in vars(mod).values())  # a method replaced on the object
                or not _nn_code(type(mod))):  # ... or on the class
            return False
    if any(p._hooks or p._retains_grad for p in model.parameters()):  # the jit refuses hooks: eager, not halfway
        return False
    named = LOSSES.get(loss) if isinstance(loss, str) else loss
    own_loss = (any(named is fn for fn in LOSSES.values()) and getattr(named, "__module__", "") == MSELoss.__module__
                or type(loss) in NN_LOSS_OBJECTS)
    if not own_loss:
        return False
    return optimizer is None or (type(optimizer) in NN_OPTIMIZERS
                                 and not any(name in vars(optimizer) for name in _OPTIMIZER_METHODS))


def _nn_code(cls: type) -> bool:
    """Whether every method of ``cls`` (through its bases) is nn's own code, none patched in from outside."""
    return all(getattr(getattr(item, "__func__", item), "__module__", "nn").split(".")[0] in ("nn", "builtins")
               for klass in cls.__mro__ if klass is not object for item in vars(klass).values() if callable(item))


def _check_scheduler(scheduler: Any, optimizer: Optimizer | None) -> None:
    """A scheduler must drive the optimizer that fit steps, so that one must be passed as well."""
    if scheduler is None:
        return
    if not isinstance(scheduler, InverseTimeDecay):
        raise TypeError(f"scheduler must be an nn.optim.InverseTimeDecay, got {type(scheduler).__name__}")
    if optimizer is None or scheduler.optimizer is not optimizer:
        raise ValueError("scheduler must decay the optimizer fit steps: build both, e.g. opt = nn.optim.SGD("
                         "model.parameters(), lr=0.1); fit(..., optimizer=opt, scheduler=InverseTimeDecay(opt, 1))")


def _check_batches_for_batchnorm(model: Module, m: int, batch_size: int | None) -> None:
    """Refuse, before any step, a batch a dense BatchNorm cannot normalise: one example has no variance."""
    if not any(isinstance(mod, BatchNorm) and mod.layout == "dense" for mod in model.modules()):
        return
    last = m if batch_size is None or batch_size >= m else m % batch_size or batch_size
    if last == 1:
        where = f"m = {m}" if batch_size is None or batch_size >= m else f"m = {m} with batch_size = {batch_size}"
        raise ValueError(f"fit: a mini-batch of one example ({where}) cannot train a BatchNorm, which normalises "
                         "each unit over the examples of a batch; choose a batch_size that leaves no single "
                         "example over, or train without BatchNorm")


def _check_cost(J: Any) -> Tensor:
    """The loss function's result must be a one-element Tensor, or backward has nothing to run on."""
    if not isinstance(J, Tensor):
        raise TypeError(f"loss must return the cost J as a Tensor (built from Tensor operations, so that "
                        f"backward can run), got {type(J).__name__}")
    if J.data.size != 1:
        raise ValueError(f"loss must return a one-element cost J, got shape {J.shape}")
    return J


def fit(model: Module, X: Any, Y: Any = None, *, loss: str | Loss | None = None,
        optimizer: Optimizer | None = None, lr: float | None = None, num_iterations: int | None = None,
        batch_size: int | None = None, seed: int | None = None, lambd: float = 0.0, print_every: int = 100,
        print_cost: bool = True, progress: bool | None = None, record_every: int | None = None,
        scheduler: InverseTimeDecay | None = None, jit: bool | None = None,
        history: dict[str, Any] | None = None, on_divergence: str = "warn",
        blas_threads: int | None = None) -> Costs:
    """Train ``model`` on X (n_x, m) (or images (m, n_H, n_W, n_C)) and Y (n_y, m); returns the costs recorded every
    ``record_every`` iterations (default: ``print_every``) and at the last iteration run, as a ``Costs`` list: a
    list of floats whose ``.iterations`` holds the iteration (or epoch, with ``batch_size``) of each cost, e.g.
    [0, 1000, ..., 4000, 4999], which ``viz.plot_costs(costs)`` draws them at.

    A model that starts with a Conv2D or a pool layer (or a Flatten) takes images X (m, n_H, n_W, n_C),
    course 4's layout with the examples FIRST; Y stays (n_y, m), what its dense layers output. The
    examples axis of X is ``nn.training.data_checks.examples_axis``: mini-batches slice it.

    ``fit(model, data)`` takes an ``nn.datasets`` Dataset instead (X and Y are its .X and .Y):
    the learning rate and ``num_iterations`` left out are then that data's defaults, the same as
    ``tinygrad-nb train`` (``nn.defaults``: planar 1.2 for 10,000 iterations, the cat files
    0.0075 for 2500, digits 0.1 for 1000), and the model takes on the data's task
    (``model.task``, which ``nn.save`` stores), or must match it when it has one. With arrays,
    ``num_iterations=None`` is the course's 2500.

    ``fit(model, loader)`` takes an ``nn.DataLoader`` instead (Y, ``batch_size`` and ``seed`` left
    out: the loader holds them): each iteration is one epoch over the loader's batches, in the
    loader's order (``shuffle``, drawn from its ``rng``), and its cost is the epoch's average over
    the examples, as with ``batch_size``. The defaults of lr and ``num_iterations`` are those of the
    loader's dataset when it is an ``nn.datasets`` Dataset (the model takes on its task too), else the
    course's; the iterations are epochs (``nn.defaults.epochs_for``).

    Full batch (``batch_size=None``): each iteration is one gradient step, as in the course,
    and its cost is J. Mini-batch: each iteration is one epoch over mini-batches of
    ``batch_size`` examples (columns, or images); epoch i shuffles the examples with ``RandomState(seed + i)``, and
    its cost is the epoch's average over the m examples (the sum of every mini-batch's J
    times its size, over m: the course's ``cost_total / m``). The course's
    ``random_mini_batches`` starts at seed 10 and adds 1 before each epoch: ``seed=11``. ``seed=None`` is 0.
    ``loss`` (None: ``nn.training.dataset_args.default_loss``) is a name from ``nn.training.losses.LOSSES``
    or a callable (A[L], Y) -> J returning a one-element Tensor; a built-in loss that cannot take the model's
    output (cross_entropy after a softmax, binary_cross_entropy after an identity output) is refused with the fix.

    The learning rate: without ``optimizer`` fit steps ``SGD(model.parameters(), lr)``, and
    ``lr=None`` is the course's 0.0075 (``nn.defaults``; Adam and RMSprop take 0.001 there,
    0.00002 on the cat data). An ``optimizer`` (an ``nn.optim`` object) carries its own learning
    rate, so ``lr`` must then be left out: giving both is refused rather than one ignored. An
    optimizer that holds none of the model's parameters (built for another model) is refused
    with a ValueError before training; one holding only some of them steps those.
    ``lambd`` >= 0 adds the course's L2 term lambd / (2 m) sum ||W[l]||^2 (m of the batch).
    ``scheduler`` (an ``nn.optim.InverseTimeDecay`` on ``optimizer``) steps after every iteration
    or epoch, and each printed cost is followed by ``learning rate after epoch i: lr``.

    ``jit`` compiles the training step with ``tinygrad_nb.jit`` (the same results to rounding,
    faster where per-op bookkeeping dominates). A replay runs only the recorded ops and
    ``@side_effect`` calls, not your Python, so the default (None) compiles only a step that is
    safe by construction, made entirely of nn's own parts: a model of nn's own layer classes
    (``Sequential``, ``MLP``, ``Linear``, ``Conv2D``, ``MaxPool2D``, ``AvgPool2D``, the activations,
    ``Identity``, ``Flatten``, ``Dropout``; exact
    types, not subclasses), a loss from ``nn.training.losses.LOSSES`` (its name or the function) or an
    ``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss`` or ``CrossEntropyLoss`` object, and no
    optimizer or an ``nn.optim`` ``SGD``, ``RMSprop``, ``Adam``, ``Adagrad`` or ``Adadelta`` (exact types).
    A Dropout's mask is drawn in a ``@side_effect`` a replay runs again, so it draws the masks the eager
    step would. Anything else (a Module,
    loss or optimizer of your own, whose Python a replay would skip) runs eagerly, as does a
    step the jit cannot replay. ``jit=True`` compiles any step (you vouch for it; a ``JitError``
    says why one cannot be), ``jit=False`` runs eagerly.

    ``on_divergence``: fit watches each cost (``nn.training.divergence``): a NaN or Inf cost, weights
    turned NaN, a binary cross-entropy stuck at its floor (outputs exactly 0 or 1), or a cost
    that keeps rising. ``"warn"`` (the default) warns once with a ``DivergenceWarning`` naming
    the iteration and what to try, and trains on; ``"stop"`` warns and ends training there,
    returning the costs so far; ``"ignore"`` does neither. A NaN or Inf cost ends training under
    ``"warn"`` too: nothing can be learned from it. Two signs that are not divergence warn too (not
    under ``"ignore"``) and never stop training: a network that cannot learn (a dead ReLU layer,
    all-zero weights, a cost stuck at its first value: ``DeadNetworkWarning``) and a full-batch
    cost that swings up and down (``OscillatingCostWarning``: the learning rate is too large).

    ``progress``: a tqdm bar (the ``progress`` extra) with the cost beside it; the printed lines
    go above it. True: always; False: never; None (default): once the run has lasted a few
    seconds, on a terminal or in a notebook (``nn.training.progress``).

    ``blas_threads``: the threads NumPy's matrix products may use during training. None (default)
    applies the rule of ``nn.training.threads``: 1 thread for these small matrices (more only for products
    of 500 million multiply-adds and up): measured on a 2-core machine beside two busy processes,
    the digits (1,000 iterations) took 2.3-4.6 s with 1 BLAS thread and 14-30 s with 2, and on
    an idle machine a second thread gained nothing (cat, 200 iterations: 1.23 s and 1.21 s). A
    BLAS variable in the environment
    (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ...) is respected and
    then nothing changes. An int sets the limit. Needs threadpoolctl; the previous limits are
    restored on return.

    ``history``: a dict that fit fills (what it held is replaced), JSON-ready, for
    ``viz.explore(J, history=h)``: "iterations" and "costs" at every recorded iteration (the
    last one included, so the spacing is even except at the end), "grad_norms"
    {"dW1": [...], ...}: ||dW[l]|| (Frobenius) after that iteration's backward (the last
    mini-batch's with ``batch_size``), "record_every", "learning_rate", and "divergence" (the
    warning's text, or None). Every option is checked before the first step.
    """
    check_model(model, "fit")
    loader = X if isinstance(X, DataLoader) else None
    if loader is not None:
        _check_loader_call(loader, Y, batch_size, seed)
        x, y, axis = check_examples(model, *loader.batch(np.arange(min(loader.batch_size, loader.examples()))))
        data = loader.dataset if isinstance(loader.dataset, Dataset) else None
        m, batch_size = loader.examples(), loader.batch_size
    else:
        X, Y, data = unpack(X, Y, "fit")
        x, y, axis = check_examples(model, X, Y)
        m = x.shape[axis]
        batch_size = validate.positive_int("batch_size", batch_size, allow_none=True)
    _check_batches_for_batchnorm(model, m, batch_size)
    lr, num_iterations = fit_defaults(data, lr, num_iterations, optimizer is not None, batch_size, m)
    if loss is None:
        loss = default_loss(model, data)
    cost_fn = _resolve_loss(loss)
    loss_fn = loss_function(cost_fn)  # the nn.training.losses function behind it (a loss object's), for the checks
    check_output_and_loss(model, loss_fn, y)
    num_iterations = validate.integer("num_iterations", num_iterations, low=0)
    seed = validate.integer("seed", 0 if seed is None else seed, low=0, high=SEEDS - 1)
    lambd = validate.number("lambd", lambd, low=0)
    if print_every is None or (validate.is_int(print_every) and print_every == 0):
        raise ValueError(f"fit: print_every must be a positive int (iterations between printed costs), got "
                         f"{print_every!r}; to print nothing, pass print_cost=False")
    print_every = validate.positive_int("fit: print_every", print_every)
    record_every = validate.positive_int("record_every", record_every, allow_none=True) or print_every
    opt = _resolve_optimizer(optimizer, model, lr)
    _check_optimizer_holds_model(opt, model)
    _check_scheduler(scheduler, optimizer)
    on_divergence = validate.choice("on_divergence", on_divergence, ON_DIVERGENCE)
    progress = validate.optional_bool("progress", progress, f"a bar once a run lasts {DELAY:g} s")
    threads = validate.positive_int("blas_threads", blas_threads, allow_none=True)
    if history is not None and not isinstance(history, dict):
        raise TypeError(f"history must be a dict for fit to fill (or None), got {type(history).__name__}")
    jit = validate.optional_bool("jit", jit, "where it applies")
    if jit is None and not _own_step(model, loss, optimizer):
        jit = False  # code of the user's in the step: a replay would skip its Python
    floors = loss_fn is binary_cross_entropy and getattr(cost_fn, "reduction", "mean") == "mean"
    watch = None if on_divergence == "ignore" else Watch(
        m if floors and not lambd else None, _advice(opt, optimizer is not None),
        "iteration" if batch_size is None else "epoch", model=model)
    adopt_task(model, data, "fit")  # last: a refused call leaves the model as it was
    if loader is not None:
        batches = _loader_batches(loader, x, y, axis)
    elif batch_size is None:
        full_batch = [(Tensor(x, name="X"), y)]
        batches = lambda i: full_batch  # noqa: E731
    else:
        batches = _shuffled_batches(x, y, batch_size, seed, axis)
    with limit_blas_threads(threads, _largest_product(model, x.shape, axis, batch_size or m)):
        return _train(model, batches, m, axis, cost_fn, opt, scheduler, watch, on_divergence == "stop", history,
                      num_iterations=num_iterations, epochs=batch_size is not None, lambd=lambd,
                      print_every=print_every if print_cost else 0, record_every=record_every,
                      progress=progress, insist=jit)


def _check_loader_call(loader: DataLoader, Y: Any, batch_size: Any, seed: Any) -> None:
    """``fit(model, loader)``: the loader holds the labels, the batch size and the order; refuse them given twice."""
    for name, value, holds in (("Y", Y, "the labels are its dataset's"), ("batch_size", batch_size,
                               f"it has batch_size={loader.batch_size}"),
                               ("seed", seed, "the order of its batches comes from its rng")):
        if value is not None:
            raise TypeError(f"fit: given a DataLoader, leave {name} out: {holds}")


def _loader_batches(loader: DataLoader, x0: np.ndarray, y0: np.ndarray, axis: int) -> Batches:
    """Iteration i's batches: one epoch of ``loader``. Its first batch (``x0``, ``y0``; X's examples along ``axis``)
    was checked against the model in full before training; each batch is checked against that one for what can
    differ from batch to batch (``_like_first``)."""
    sizes = _sizes_but(x0.shape, axis)

    def epoch(i: int) -> Iterator[tuple[Tensor, np.ndarray]]:
        for Xb, Yb in loader:
            xb, yb = _like_first(Xb, Yb, x0, y0, axis, sizes)
            yield Tensor(xb, name="X"), yb
    return epoch


def _sizes_but(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    """``shape`` without its examples axis: what every batch of a DataLoader shares."""
    return shape[:axis] + shape[axis + 1:]


def _like_first(X: Any, Y: Any, x0: np.ndarray, y0: np.ndarray, axis: int,
                sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A DataLoader's batch (X, Y) as arrays, refused unless shaped as its first batch (``x0``, ``y0``, fully checked
    by ``check_examples``; ``sizes``: x0's shape without the examples axis) but for the number of examples b: X
    numeric, its other sizes the first's, Y (n_y, b) with the first's n_y, and X without NaN or Inf (values differ
    from batch to batch). A float X stays as it is; other numbers become float64."""
    layout = "(n_x, b)" if axis == 1 else "(b, n_H, n_W, n_C)"
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "biuf":
        what = f"dtype {X.dtype}" if isinstance(X, np.ndarray) else type(X).__name__
        raise TypeError(f"fit: the DataLoader gave a batch whose X is {what}; X must be a numeric array {layout}, "
                        f"as its first batch ({x0.dtype})")
    if X.ndim != x0.ndim or _sizes_but(X.shape, axis) != sizes:
        expected = tuple("b" if k == axis else n for k, n in enumerate(x0.shape))
        raise ValueError(f"fit: the DataLoader gave a batch whose X is {X.shape}, but its first batch's X is "
                         f"{x0.shape}: every batch must be {layout} = {_shape_text(expected)} for b examples")
    b = X.shape[axis]
    if not isinstance(Y, np.ndarray) or Y.dtype.kind not in "biuf" or Y.shape != (y0.shape[0], b):
        what = f"{Y.shape}" if isinstance(Y, np.ndarray) else type(Y).__name__
        raise ValueError(f"fit: the DataLoader gave a batch of b = {b} examples whose Y is {what}; Y must be "
                         f"(n_y, b) = ({y0.shape[0]}, {b}) numbers, as its first batch's {y0.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"fit: the DataLoader gave a batch whose X contains NaN or Inf (X {X.shape})")
    return (X if X.dtype.kind == "f" else X.astype(np.float64)), Y


def _shape_text(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _shuffled_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, axis: int) -> Batches:
    """Iteration (epoch) i's mini-batches: the examples shuffled with ``RandomState(seed + i)``."""
    return lambda i: _mini_batches(x, y, batch_size, (seed + i) % SEEDS, axis)


def _train(model: Module, batches_of: Batches, m: int, axis: int, cost_fn: Loss, opt: Optimizer,
           scheduler: InverseTimeDecay | None, watch: Watch | None, stop_on_divergence: bool,
           history: dict[str, Any] | None, *, num_iterations: int, epochs: bool,
           lambd: float, print_every: int, record_every: int, progress: bool | None,
           insist: bool | None) -> Costs:
    """fit's loop, its arguments checked; ``print_every=0`` prints nothing. ``batches_of(i)``: iteration i's batches
    of the m examples (each iteration an epoch when ``epochs``); ``axis``: X's examples axis."""
    named = named_weights(model)
    weights = [p for _, p in named]
    shorts = [name.split(".")[-1] for name, _ in named]
    keys = [f"d{s}" for s in shorts] if len(set(shorts)) == len(shorts) else [f"d{name}" for name, _ in named]
    if history is not None:
        history.clear()
        history.update(iterations=[], costs=[], grad_norms={k: [] for k in keys},
                       record_every=record_every, learning_rate=float(opt.lr), divergence=None)
    word = "epoch" if epochs else "iteration"
    model.train()
    costs: list[float] = []
    recorded: list[int] = []  # the iteration (epoch) of each cost

    def step(xb: Tensor, yb: np.ndarray) -> Tensor:
        J = _check_cost(cost_fn(model(xb), yb))
        if lambd:
            J = J + l2_penalty(weights, lambd, xb.shape[axis])
        opt.zero_grad()
        J.backward()
        opt.step()
        return J

    compiled = _jit_step(step, model, insist)
    bar = Progress(num_iterations, progress)
    i = 0
    try:
        for i in range(num_iterations):
            total, count = 0.0, 0
            try:
                for xb, yb in batches_of(i):
                    J, compiled = _run_step(compiled, step, insist, xb, yb)
                    cost = J.item()  # one batch: J itself; several: their average over the m examples
                    total += cost * xb.shape[axis]
                    count += 1
            except InputError:  # a loss refusing NaN outputs, which NaN weights give
                if watch is None or all(np.isfinite(p.data).all() for p in model.parameters()):
                    raise
                _warn_diverged(f"training diverged: the weights became NaN or Inf in an update before {word} {i}; "
                               f"training stopped", watch.advice, history)
                break
            if count > 1:
                cost = total / m
            if scheduler is not None:
                scheduler.step()
            bar.update(cost)
            diverged = None if watch is None else watch.check(i, cost)
            stop = diverged is not None and (stop_on_divergence or not math.isfinite(cost))
            last = stop or i == num_iterations - 1
            if i % record_every == 0 or last:
                costs.append(cost)
                recorded.append(i)
                if history is not None:
                    _record(history, i, cost, keys, weights)
            if print_every and (i % print_every == 0 or last):
                bar.line(f"Cost after {word} {i}: {cost}")
                if scheduler is not None:
                    bar.line(f"learning rate after {word} {i}: {opt.lr}")
            if diverged is not None:
                assert watch is not None
                _warn_diverged(diverged + ("; training stopped" if stop else ""), watch.advice, history)
            if stop:
                break
    except KeyboardInterrupt as e:
        e.iteration = i  # type: ignore[attr-defined]  # where it stopped, for the CLI's one-line message
        raise
    finally:
        bar.close()
    return Costs(costs, recorded, word)


def _record(history: dict[str, Any], i: int, cost: float, keys: list[str], weights: list[Tensor]) -> None:
    history["iterations"].append(i)
    history["costs"].append(cost)
    for k, W in zip(keys, weights):
        history["grad_norms"][k].append(None if W.grad is None else float(np.linalg.norm(W.grad.data)))


def _warn_diverged(diagnosis: str, advice: LrAdvice, history: dict[str, Any] | None) -> None:
    """Warn that training diverged (``diagnosis``: what happened, "training diverged: ..."), advising a tenth of
    the learning rate; the warning's text goes into ``history["divergence"]``."""
    tenth = 0.1
    warning = DivergenceWarning(diagnosis=diagnosis, advice_text=f"try {advice.rate(tenth)}",
                                suggestion={"lr_scale": tenth})
    if history is not None:
        history["divergence"] = str(warning)
    warnings.warn(warning, stacklevel=4)  # _warn_diverged < _train < fit < the caller


def _advice(opt: Optimizer, given: bool) -> LrAdvice:
    """fit's learning rate, to be spelt the way it was given: ``fit(..., lr=...)``, or the optimiser's own call."""
    return LrAdvice(float(opt.lr), type(opt).__name__ if given else "fit")


def _largest_product(model: Module, shape: tuple[int, ...], axis: int, m: int) -> int:
    """Multiply-adds of the step's largest matrix product on ``m`` examples of X (``shape``): W[l] A[l-1], n[l] n[l-1]
    m, for a Linear; for a Conv2D the windows' matrix times W[l], m n_H n_W (f f n_C_prev) n_C (0 when unknown)."""
    if not isinstance(model, Sequential):
        return 0
    largest = max((lin.n_in * lin.n_out * m for lin in model.linears()), default=0)
    if axis == 0:
        for layer, out in model.trace_shapes((m, *shape[1:])):
            if isinstance(layer, Conv2D) and out is not None:
                _, n_H, n_W, n_C = out
                largest = max(largest, m * n_H * n_W * layer.f * layer.f * layer.n_C_prev * n_C)
    return largest


def _jit_step(step: Callable[[Tensor, np.ndarray], Tensor], model: Module,
              insist: bool | None) -> Callable[[Tensor, np.ndarray], Tensor] | None:
    """The compiled step, or None to run eagerly (jit=False)."""
    if insist is False:
        return None
    return jit(step)


def _run_step(compiled: Callable[[Tensor, np.ndarray], Tensor] | None, step: Callable[[Tensor, np.ndarray], Tensor],
              insist: bool | None, xb: Tensor, yb: np.ndarray) -> tuple[Tensor, Any]:
    """One training step, compiled where possible; by default a step the jit cannot replay runs eagerly."""
    if compiled is None:
        return step(xb, yb), None
    try:
        return compiled(xb, yb), compiled
    except JitError as e:
        if insist:
            raise
        # fit's step changes state only in opt.step, its last call: run it eagerly from here on
        result = getattr(e, "result", None)
        return (result if isinstance(result, Tensor) else step(xb, yb)), None


def _mini_batches(x: np.ndarray, y: np.ndarray, size: int, seed: int,
                  axis: int = 1) -> list[tuple[Tensor, np.ndarray]]:
    """Shuffle the examples with ``seed`` and cut them into batches of ``size`` (the last may be smaller): X's
    examples lie along ``axis`` (the columns of X (n_x, m), 0 for images (m, n_H, n_W, n_C)), Y's are its columns."""
    m = x.shape[axis]
    perm = np.random.RandomState(seed).permutation(m)
    xs, ys = np.take(x, perm, axis=axis), y[:, perm]
    before = (slice(None),) * axis
    return [(Tensor(xs[before + (slice(k, k + size),)], name="X"), ys[:, k:k + size]) for k in range(0, m, size)]
