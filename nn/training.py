"""Training and evaluation: ``fit``, ``predict``, ``accuracy``.

``fit`` is the course's loop: forward, cost, backward, update, printing
``Cost after iteration i: c`` every ``print_every`` iterations.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from nn import validate
from nn.layers import Dropout, as_input
from nn.losses import LOSSES, l2_penalty
from nn.module import Module, eval_mode
from nn.optim import SGD, InverseTimeDecay, Optimizer
from tinygrad_nb import JitError, Tensor, jit, no_grad

Loss = Callable[[Tensor, Any], Tensor]
SEEDS = 2**32  # numpy.random.RandomState takes seeds in [0, 2**32 - 1]


def check_X(X: Any) -> np.ndarray:
    """X as a float array (n_x, m) with m >= 1 examples and no NaN or Inf."""
    x = _matrix("X", X)
    if x.shape[1] == 0:
        raise ValueError(f"X has no examples: shape {x.shape} (m = 0)")
    if not np.isfinite(x).all():
        raise ValueError("X contains NaN or Inf")
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def check_data(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    """X as (n_x, m) and Y as (n_y, m) numeric arrays with the same m >= 1; X without NaN or Inf.

    Y's values are checked where their meaning is known: by the loss, or by ``accuracy``.
    """
    x, y = _matrix("X", X), _matrix("Y", Y)
    if x.shape[1] != 0 and y.shape[1] != x.shape[1]:
        raise ValueError(f"X has m = {x.shape[1]} examples (columns) but Y has {y.shape[1]}: X is {x.shape}, "
                         f"Y is {y.shape}")
    return check_X(x), y


def _matrix(label: str, a: Any) -> np.ndarray:
    a = a.data if isinstance(a, Tensor) else a
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{label} must be a numpy array (course layout: one example per column), "
                        f"got {type(a).__name__}")
    if a.ndim != 2:
        raise ValueError(f"{label} must be 2-D (n, m) with one example per column, got shape {a.shape}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{label} must be numeric, got dtype {a.dtype}")
    return a


def _check_model(model: Any, caller: str) -> Module:
    if not isinstance(model, Module):
        raise TypeError(f"{caller}: model must be an nn.Module such as nn.MLP([n_x, ..., n_y]), "
                        f"got {type(model).__name__}")
    return model


def _resolve_loss(loss: str | Loss) -> Loss:
    if callable(loss):
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name such as 'binary_cross_entropy' or a callable (A, Y) -> J, got {loss!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a callable (A, Y) -> J")
    return LOSSES[loss]


def _resolve_optimizer(optimizer: Optimizer | None, model: Module, lr: float) -> Optimizer:
    if optimizer is None:
        return SGD(model.parameters(), lr)
    if isinstance(optimizer, str):
        raise TypeError(f"optimizer must be an Optimizer object, not the name {optimizer!r}: pass e.g. "
                        "nn.optim.Adam(model.parameters(), lr=0.001)")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nn.optim Optimizer such as nn.optim.Adam(model.parameters(), lr), "
                        f"got {type(optimizer).__name__}")
    return optimizer


def _check_scheduler(scheduler: Any, optimizer: Optimizer | None) -> None:
    """A scheduler must drive the optimizer that fit steps, so that one must be passed as well."""
    if scheduler is None:
        return
    if not isinstance(scheduler, InverseTimeDecay):
        raise TypeError(f"scheduler must be an nn.optim.InverseTimeDecay, got {type(scheduler).__name__}")
    if optimizer is None or scheduler.optimizer is not optimizer:
        raise ValueError("scheduler must decay the optimizer fit steps: build both, e.g. opt = nn.optim.SGD("
                         "model.parameters(), lr=0.1); fit(..., optimizer=opt, scheduler=InverseTimeDecay(opt, 1))")


def _check_cost(J: Any) -> Tensor:
    """The loss function's result must be a one-element Tensor, or backward has nothing to run on."""
    if not isinstance(J, Tensor):
        raise TypeError(f"loss must return the cost J as a Tensor (built from Tensor operations, so that "
                        f"backward can run), got {type(J).__name__}")
    if J.data.size != 1:
        raise ValueError(f"loss must return a one-element cost J, got shape {J.shape}")
    return J


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, disable=None, leave=False, file=sys.stderr)  # disable=None: hidden off a terminal


def fit(model: Module, X: Any, Y: Any, *, loss: str | Loss = "binary_cross_entropy",
        optimizer: Optimizer | None = None, lr: float = 0.0075, num_iterations: int = 2500,
        batch_size: int | None = None, seed: int = 0, lambd: float = 0.0, print_every: int = 100,
        print_cost: bool = True, progress: bool = False, record_every: int | None = None,
        scheduler: InverseTimeDecay | None = None, jit: bool | None = None,
        history: dict[str, Any] | None = None) -> list[float]:
    """Train ``model`` on X (n_x, m) and Y (n_y, m); returns the costs recorded every ``record_every`` iterations.

    Full batch (``batch_size=None``): each iteration is one gradient step, as in the course,
    and its cost is J. Mini-batch: each iteration is one epoch over mini-batches of
    ``batch_size`` columns; epoch i shuffles the columns with ``RandomState(seed + i)``, and
    its cost is the epoch's average over the m examples (the sum of every mini-batch's J
    times its size, over m: the course's ``cost_total / m``). The course's
    ``random_mini_batches`` starts at seed 10 and adds 1 before each epoch: ``seed=11``.
    ``loss`` is a name from ``nn.losses.LOSSES`` or a callable (A[L], Y) -> J returning a
    one-element Tensor. ``optimizer`` is an ``nn.optim`` object (default
    ``SGD(model.parameters(), lr)``); ``lambd`` >= 0 adds the course's L2 term
    lambd / (2 m) sum ||W[l]||^2 (m of the batch). ``scheduler`` (an
    ``nn.optim.InverseTimeDecay`` on ``optimizer``) steps after every iteration or epoch, and
    each printed cost is followed by ``learning rate after epoch i: lr``, as the course prints.
    ``jit`` compiles the training step with ``tinygrad_nb.jit`` (the same results to rounding,
    faster where per-op bookkeeping dominates). The default (None) uses it where it applies:
    not with a Dropout in training mode (its masks are drawn outside the ops, so a replay could
    not redraw them), and a step the jit cannot replay runs eagerly instead. ``jit=True`` insists
    (a ``JitError`` says why it cannot), ``jit=False`` runs eagerly.
    ``history``: a dict that fit fills (what it held is replaced), JSON-ready, for
    ``viz.explore(J, history=h)``: "iterations" and "costs" at every recorded iteration,
    "grad_norms" {"dW1": [...], ...}: ||dW[l]|| (Frobenius) after that iteration's backward (the
    last mini-batch's with ``batch_size``), "record_every" and "learning_rate".
    Every option is checked before the first step.
    """
    _check_model(model, "fit")
    x, y = check_data(X, Y)
    cost_fn = _resolve_loss(loss)
    validate.number("lr", lr, low=0, low_open=True)
    num_iterations = validate.integer("num_iterations", num_iterations, low=0)
    batch_size = validate.positive_int("batch_size", batch_size, allow_none=True)
    seed = validate.integer("seed", seed, low=0, high=SEEDS - 1)
    lambd = validate.number("lambd", lambd, low=0)
    print_every = validate.positive_int("print_every", print_every)
    record_every = validate.positive_int("record_every", record_every, allow_none=True) or print_every
    opt = _resolve_optimizer(optimizer, model, lr)
    _check_scheduler(scheduler, optimizer)
    if history is not None and not isinstance(history, dict):
        raise TypeError(f"history must be a dict for fit to fill (or None), got {type(history).__name__}")
    named = [(name, p) for name, p in model.named_parameters() if name.split(".")[-1].startswith("W")]
    weights = [p for _, p in named]
    shorts = [name.split(".")[-1] for name, _ in named]
    keys = [f"d{s}" for s in shorts] if len(set(shorts)) == len(shorts) else [f"d{name}" for name, _ in named]
    if history is not None:
        history.clear()
        history.update(iterations=[], costs=[], grad_norms={k: [] for k in keys},
                       record_every=record_every, learning_rate=float(opt.lr))
    m = x.shape[1]
    word = "iteration" if batch_size is None else "epoch"
    model.train()
    costs: list[float] = []
    bar = _progress(num_iterations, progress)
    full_batch = [(Tensor(x, name="X"), y)]

    def step(xb: Tensor, yb: np.ndarray) -> Tensor:
        J = _check_cost(cost_fn(model(xb), yb))
        if lambd:
            J = J + l2_penalty(weights, lambd, xb.shape[1])
        opt.zero_grad()
        J.backward()
        opt.step()
        return J

    if jit is not None and not isinstance(jit, bool):
        raise TypeError(f"jit must be True, False or None (where it applies), got {jit!r}")
    insist = jit
    compiled = _jit_step(step, model, insist)
    for i in range(num_iterations):
        batches = full_batch if batch_size is None else _mini_batches(x, y, batch_size, (seed + i) % SEEDS)
        total = 0.0
        for xb, yb in batches:
            J, compiled = _run_step(compiled, step, insist, xb, yb)
            total += J.item() * xb.shape[1]
        cost = J.item() if len(batches) == 1 else total / m  # one batch: J itself, not (J m) / m
        if scheduler is not None:
            scheduler.step()
        if bar is not None:
            bar.update(1)
            bar.set_postfix(cost=f"{cost:.6f}")
        if i % record_every == 0:
            costs.append(cost)
            if history is not None:
                history["iterations"].append(i)
                history["costs"].append(cost)
                for k, W in zip(keys, weights):
                    history["grad_norms"][k].append(None if W.grad is None else float(np.linalg.norm(W.grad.data)))
        if print_cost and (i % print_every == 0 or i == num_iterations - 1):
            print(f"Cost after {word} {i}: {cost}")
            if scheduler is not None:
                print(f"learning rate after {word} {i}: {opt.lr}")
    if bar is not None:
        bar.close()
    return costs


def _jit_step(step: Callable[[Tensor, np.ndarray], Tensor], model: Module,
              insist: bool | None) -> Callable[[Tensor, np.ndarray], Tensor] | None:
    """The compiled step, or None to run eagerly (jit=False, or a Dropout in training mode by default)."""
    if insist is False:
        return None
    if insist is None and any(isinstance(mod, Dropout) and mod.training for mod in model.modules()):
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


def _mini_batches(x: np.ndarray, y: np.ndarray, size: int, seed: int) -> list[tuple[Tensor, np.ndarray]]:
    """Shuffle the columns with ``seed`` and cut them into batches of ``size`` (the last may be smaller)."""
    perm = np.random.RandomState(seed).permutation(x.shape[1])
    xs, ys = x[:, perm], y[:, perm]
    return [(Tensor(xs[:, k:k + size], name="X"), ys[:, k:k + size]) for k in range(0, x.shape[1], size)]


def _output(model: Module, x: np.ndarray) -> np.ndarray:
    """A[L] (n[L], m) in evaluation mode (dropout off), without a graph; the model keeps its modes."""
    with eval_mode(model), no_grad():
        return model(as_input(x, "X")).data


def _predicted_labels(A: np.ndarray, threshold: float) -> np.ndarray:
    if A.shape[0] == 1:
        return (A > threshold).astype(np.float64)
    return A.argmax(axis=0).reshape(1, -1).astype(np.float64)


def predict(model: Module, X: Any, threshold: float = 0.5) -> np.ndarray:
    """Predicted labels (1, m) for X (n_x, m): A[L] > threshold for one output unit, the argmax class for several.

    Runs in evaluation mode; afterwards the model is in the mode it was in before.
    """
    _check_model(model, "predict")
    threshold = validate.number("threshold", threshold)
    return _predicted_labels(_output(model, check_X(X)), threshold)


def accuracy(model: Module, X: Any, Y: Any) -> float:
    """The fraction of the m examples whose prediction equals Y.

    With one output unit Y is (1, m) in {0, 1}; with C > 1 units Y is integer labels (1, m)
    in 0..C-1 or one-hot (C, m).
    """
    _check_model(model, "accuracy")
    x, y = check_data(X, Y)
    A = _output(model, x)
    labels = _class_labels(y, A.shape[0])
    return float((_predicted_labels(A, 0.5) == labels).mean())


def _class_labels(Y: np.ndarray, C: int) -> np.ndarray:
    """Y as labels (1, m) for a model with C output units; refuses labels the model cannot predict."""
    y = Y.astype(np.float64)
    if y.shape[0] == C and C > 1:
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=0) == 1).all()):
            raise ValueError(f"accuracy: Y of shape {y.shape} must be one-hot: one 1 per column, the rest 0")
        return y.argmax(axis=0).reshape(1, -1)
    if y.shape[0] != 1:
        raise ValueError(f"accuracy: the model has {C} output unit{'s' if C > 1 else ''}, so Y must be labels "
                         f"(1, m){f' or one-hot ({C}, m)' if C > 1 else ''}, got shape {y.shape}")
    valid = (y == np.round(y)) & (y >= 0) & (y <= max(C - 1, 1))  # NaN fails every comparison
    if not valid.all():
        allowed = "0 and 1" if C == 1 else f"integers in 0..{C - 1}"
        raise ValueError(f"accuracy: Y must hold only {allowed} (labels for a model with {C} output "
                         f"unit{'s' if C > 1 else ''}), found {y[~valid][:3].tolist()}")
    return y
