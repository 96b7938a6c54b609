"""The four commands, ``train``, ``check``, ``graph`` and ``predict``; each returns its exit status.

Every command checks all of its input (arguments, data, sizes) before it writes anything,
and writes its outputs through ``outputs.staged_outputs`` or ``atomic_path``, so a failure
leaves the files of the previous run as they were. Errors are raised, not printed:
``cli.main`` turns them into one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import nn
from nn import optim
from nn.files.hdf5 import require_h5py
from nn.training.defaults import Settings, default_settings, epochs_for, kind_for_data
from tinygrad_nb import Tensor
from tinygrad_nb_cli.costs import cost_of_one_step
from tinygrad_nb_cli.data import check_task, describe, load_data
from tinygrad_nb_cli.outputs import staged_outputs, write_json_atomically
from tinygrad_nb_cli.pictures import draw_quietly, run_pictures, save_html_quietly
from tinygrad_nb_cli.sizes import check_size


def make_optimizer(name: str, params: Iterable[Tensor], lr: float) -> optim.Optimizer:
    """The optimiser named on the command line; momentum is the course's v := 0.9 v + 0.1 dW (sgd's step length)."""
    if name == "momentum":
        return optim.SGD(params, lr, momentum=0.9, dampening=0.9)
    if name not in optim.OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(optim.OPTIMIZERS)} or momentum")
    return optim.OPTIMIZERS[name](params, lr=lr)


def train_settings(args: argparse.Namespace, kind: str, m: int) -> tuple[Settings, list[str]]:
    """The settings this run uses (each given argument, else nn.defaults' for the dataset and optimizer), and the
    names of those that came from the defaults. The table counts gradient steps: with --batch-size its
    iterations become about as many steps' worth of epochs of the m examples, as ``nn.fit`` does."""
    table = default_settings(kind, args.optimizer)
    given: dict[str, Any] = {"lr": args.lr, "iterations": args.iterations,
                             "hidden_dims": None if args.hidden_dims is None else tuple(args.hidden_dims),
                             "hidden": args.hidden, "init": args.init}
    table = replace(table, iterations=epochs_for(table.iterations, args.batch_size, m))
    settings = replace(table, **{k: v for k, v in given.items() if v is not None})
    return settings, [name for name, value in given.items() if value is None]


def cmd_train(args: argparse.Namespace) -> int:
    """``tinygrad-nb train``: train an MLP, print accuracies, write model.h5, costs.json and pictures.

    Settings not given come from ``nn.defaults`` for the dataset and the optimizer; the first line
    printed says which were used and which of them are defaults. The packages the outputs need
    (h5py for model.h5) are checked before training starts. A multiclass network ends in Linear and
    is trained on log softmax of its logits Z[L] (``nn.cross_entropy``, so fit compiles it); its predictions are
    the argmax of Z[L].
    """
    kind = kind_for_data(args.dataset)
    check_task(args.dataset, args.task, args.test_data)
    require_h5py("tinygrad-nb train (to save model.h5)")  # before minutes of training, not after
    train, test = load_data(args.dataset, args.task, args.test_data)
    multiclass = args.task == "multiclass"
    settings, defaulted = train_settings(args, kind, train.m)
    dims = [train.X.shape[0], *settings.hidden_dims, 10 if multiclass else 1]
    check_size(dims, train.X.shape[1], x_loaded=True)
    model = nn.MLP(dims, hidden=settings.hidden, output="identity" if multiclass else "sigmoid", init=settings.init,
                   rng=np.random.RandomState(args.seed), task=train.task)  # model.h5 remembers its task
    optimizer = make_optimizer(args.optimizer, model.parameters(), settings.lr)
    print(f"tinygrad-nb train: {describe(train)}{f' (test: {describe(test)})' if test else ''}, layer_dims "
          f"{dims}, {settings.hidden} hidden, {args.optimizer} lr={settings.lr:g}, {settings.iterations} "
          f"{'epochs' if args.batch_size else 'iterations'}")
    if defaulted:
        print(f"  defaults for {kind} with {args.optimizer} ({settings.source}): {', '.join(defaulted)}")
    start = time.perf_counter()
    history: dict = {}
    costs = nn.fit(model, train.X, train.Y, loss="cross_entropy" if multiclass else "binary_cross_entropy",
                   optimizer=optimizer, num_iterations=settings.iterations, batch_size=args.batch_size,
                   seed=args.seed, print_every=args.print_every, history=history,
                   progress=not args.no_progress and sys.stderr.isatty())
    seconds = time.perf_counter() - start
    train_acc = nn.accuracy(model, train.X, train.Y)
    test_acc = nn.accuracy(model, test.X, test.Y) if test is not None else None
    print(f"train accuracy ({describe(train)}): {train_acc:.4f}")
    if test is not None:
        print(f"test accuracy ({describe(test)}): {test_acc:.4f}")
    print(f"trained in {seconds:.2f} s")
    out: Path = args.out
    with staged_outputs(out) as stage:
        written = [nn.save(model, stage / "model.h5"), write_json_atomically(stage / "costs.json", {
            "costs": costs, "iterations": history.get("iterations"), "record_every": args.print_every,
            "learning_rate": settings.lr, "optimizer": args.optimizer, "num_iterations": settings.iterations,
            "layer_dims": dims, "hidden": settings.hidden, "defaults": defaulted,
            "train_accuracy": train_acc, "test_accuracy": test_acc, "seconds": seconds,
            "divergence": history.get("divergence"),
        })]
        written += run_pictures(model, train.X, train.Y, costs, multiclass=multiclass, learning_rate=settings.lr,
                                record_every=args.print_every, folder=stage, history=history)
    for path in written:
        print(f"wrote {out / path.name}")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    """``tinygrad-nb graph``: draw a model's graph from layer dims or a saved model.h5."""
    model: nn.Sequential
    if args.layers is not None:
        check_size(args.layers, args.m)
        multiclass = args.layers[-1] > 1
        model = nn.MLP(args.layers, hidden=args.hidden, output="identity" if multiclass else "sigmoid",
                       rng=args.seed)
    else:
        loaded = nn.load(args.model)
        if not isinstance(loaded, nn.Sequential):
            raise ValueError(f"graph: expected a Sequential or MLP model, got {type(loaded).__name__}")
        model = loaded
        check_size(model.layer_dims, args.m)
    n_x, n_y = model.layer_dims[0], model.layer_dims[-1]
    rng = np.random.RandomState(args.seed)
    X = rng.rand(n_x, args.m)
    if n_y == 1:
        Y = (rng.rand(1, args.m) > 0.5).astype(np.float64)
    else:
        Y = rng.randint(0, n_y, size=(1, args.m)).astype(np.float64)
    J = cost_of_one_step(model, X, Y, multiclass=n_y > 1)
    start = time.perf_counter()
    out: Path = args.out
    with staged_outputs(out.parent) as stage:  # the picture and its .dot are replaced together
        path, nodes = draw_quietly(J, stage / out.name, show=args.show, max_nodes=args.max_nodes)
    print(f"drew {nodes} nodes for layer_dims {model.layer_dims} (m = {args.m}) in "
          f"{time.perf_counter() - start:.3f} s")
    print(f"wrote {out.parent / path.name}")
    if args.html is not None:
        print(f"wrote {save_html_quietly(J, args.html, show=args.show, max_nodes=args.max_nodes)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``tinygrad-nb check``: the closed-form table on a small random model; exit 1 on a mismatch."""
    dims = [args.n_x, *args.hidden_dims, 1]
    check_size(dims, args.m)
    rng = np.random.RandomState(args.seed)
    model = nn.MLP(dims, hidden=args.hidden, init="xavier", rng=rng)
    X = rng.randn(args.n_x, args.m)
    Y = (rng.rand(1, args.m) > 0.5).astype(np.float64)
    print(f"autograd against the closed-form formulas: layer_dims {dims}, {args.hidden} hidden, m = {args.m}")
    report = nn.check_against_closed_form(model, X, Y)
    ok = report.passed(args.tolerance)
    print(f"{'PASS' if ok else 'FAIL'}: largest relative difference {report.max_difference:.3e} "
          f"(tolerance {args.tolerance:.0e})")
    return 0 if ok else 1


def _predict_task(model: nn.Module, stored: nn.Task | None, given: str | None) -> str:
    """The --task to read the data with: the one given, else the model's stored task ``stored``, else what n[L]
    says (n[L] = 1 is binary). A given task that contradicts the model's n[L] is refused."""
    n_y = model.layer_dims[-1] if isinstance(model, nn.Sequential) else None
    task = given or (stored.kind if stored is not None else ("multiclass" if n_y and n_y > 1 else "binary"))
    if n_y == 1 and task == "multiclass":
        raise ValueError("the model has n[L] = 1 output unit (binary); predict it with --task binary")
    if n_y is not None and n_y > 1 and task == "binary":
        raise ValueError(f"the model has n[L] = {n_y} output units (multiclass); predict it with --task multiclass")
    return task


def cmd_predict(args: argparse.Namespace) -> int:
    """``tinygrad-nb predict``: load model.h5, predict on a dataset, print the accuracy and which data it is on.

    Without --task the data is read for the task stored in the model (or, for an older file, the one
    its n[L] implies). A model saved with its task (``nn.Task``: binary or multiclass, and its
    classes) is refused on data labelled for another task. The accuracy line says whether it is on
    the test split (the default), the train split (--train-split), or a file given as it is.
    """
    model = nn.load(args.model)
    stored = model.task
    task = _predict_task(model, stored, args.task)
    check_task(args.data, task, model=None if args.task else str(args.model))  # before the --seed note
    if args.seed is not None:
        print("note: --seed no longer changes predict's data: the splits train holds out are fixed")
    train, test = load_data(args.data, task)
    on_test = test is not None and not args.train_split
    data = test if on_test and test is not None else train
    nn.check_task(model, data, model_name=str(args.model),
                  fix=f"predict with --task {stored.kind}" if stored is not None and data.task is not None
                  and stored.kind != data.task.kind else "predict on data with the classes it was trained for")
    pred = nn.predict(model, data.X)
    which = "test accuracy" if on_test else ("train accuracy" if test is not None else "accuracy")
    if on_test and stored is None:  # saved before models kept their task: trained on a split drawn by --seed
        print(f"note: {args.model} was saved by an older tinygrad-nb, whose train drew its test split with --seed; "
              "this test split may hold some of its training examples")
    print(f"{pred.shape[1]} predictions; {which} ({describe(data)}): {nn.accuracy(model, data.X, data.Y):.4f}")
    print("first predictions:", pred[0, :20].astype(int).tolist())
    if args.out:
        write_json_atomically(args.out, {"predictions": pred[0].astype(int).tolist()})
        print(f"wrote {args.out}")
    return 0
