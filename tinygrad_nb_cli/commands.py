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
from tinygrad_nb_cli.cnn import (
    F,
    build_cnn,
    check_cnn_gradients,
    cnn_defaults,
    describe_cnn,
    image_sizes,
    input_image,
    is_cnn,
)
from tinygrad_nb_cli.costs import cost_of_one_step
from tinygrad_nb_cli.data import check_task, describe, load_data
from tinygrad_nb_cli.outputs import staged_outputs, training_warnings, write_json_atomically
from tinygrad_nb_cli.pictures import draw_quietly, run_pictures, save_html_quietly
from tinygrad_nb_cli.sizes import check_cnn_size, check_conv_size, check_size


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
    table = default_settings(kind, optimizer_of(args))
    given: dict[str, Any] = {"lr": args.lr, "iterations": args.iterations,
                             "hidden_dims": None if args.hidden_dims is None else tuple(args.hidden_dims),
                             "hidden": args.hidden, "init": args.init}
    table = replace(table, iterations=epochs_for(table.iterations, args.batch_size, m))
    settings = replace(table, **{k: v for k, v in given.items() if v is not None})
    return settings, [name for name, value in given.items() if value is None]


def optimizer_of(args: argparse.Namespace) -> str:
    """The optimiser a train run uses: the one given, else sgd for an MLP and adam for a CNN."""
    return args.optimizer or ("adam" if getattr(args, "arch", "mlp") == "cnn" else "sgd")


def cnn_settings(args: argparse.Namespace, kind: str) -> tuple[dict[str, Any], list[str], str]:
    """A CNN run's settings (each given argument, else ``cnn.CNN_DEFAULTS``' for the dataset and optimizer), the
    names of those that came from the defaults, and where the defaults come from."""
    row = cnn_defaults(kind, optimizer_of(args))
    given: dict[str, Any] = {"lr": args.lr, "iterations": args.iterations, "batch_size": args.batch_size,
                             "filters": args.filters, "pools": args.pools, "hidden_dims": args.hidden_dims,
                             "hidden": args.hidden, "init": args.init}
    table: dict[str, Any] = {"lr": row.lr, "iterations": row.epochs, "batch_size": row.batch_size,
                             "filters": list(row.filters), "pools": list(row.pools),
                             "hidden_dims": list(row.hidden_dims), "hidden": row.hidden, "init": row.init}
    if args.filters is not None and args.pools is None:  # a pool of 2 for each block the table has no pool for
        table["pools"] = (list(row.pools) + [2] * len(args.filters))[:len(args.filters)]
    settings = {k: (table[k] if v is None else v) for k, v in given.items()}
    n, b = len(settings["pools"]), len(settings["filters"])
    if n != b:
        raise ValueError(f"--pools gives {n} pool size{'s' if n != 1 else ''} for {b} conv "
                         f"block{'s' if b != 1 else ''} (--filters {','.join(map(str, settings['filters']))}): give "
                         "one per block")
    defaulted = [k for k in ("lr", "iterations", "batch_size", "filters", "pools", "hidden_dims", "hidden", "init")
                 if given[k] is None]
    return settings, defaulted, row.source


def check_arch_options(args: argparse.Namespace) -> None:
    """Refuse --filters and --pools for an MLP, where they would be silently ignored."""
    if args.arch != "cnn":
        for option, value in (("--filters", args.filters), ("--pools", args.pools)):
            if value is not None:
                raise ValueError(f"{option} sets the conv blocks of a CNN: add --arch cnn (an MLP has none)")


def cmd_train(args: argparse.Namespace) -> int:
    """``tinygrad-nb train``: train an MLP or a CNN, print accuracies, write model.h5, costs.json and pictures.

    Settings not given come from ``nn.defaults`` for the dataset and the optimizer (an MLP), or from
    ``cnn.CNN_DEFAULTS`` (a CNN, ``--arch cnn``, on the images of the digits or the cat files); the first
    line printed says which were used and which of them are defaults. The packages the outputs need
    (h5py for model.h5) are checked before training starts. A multiclass network ends in Linear and
    is trained on log softmax of its logits Z[L] (``nn.cross_entropy``, so fit compiles it); its predictions are
    the argmax of Z[L].
    """
    kind = kind_for_data(args.dataset)
    check_task(args.dataset, args.task, args.test_data)
    check_arch_options(args)
    cnn = args.arch == "cnn"
    if cnn:
        cnn_defaults(kind, optimizer_of(args))  # planar refused before any data is read
    require_h5py("tinygrad-nb train (to save model.h5)")  # before minutes of training, not after
    train, test = load_data(args.dataset, args.task, args.test_data, images=cnn)
    multiclass = args.task == "multiclass"
    n_y = 10 if multiclass else 1
    optimizer_name = optimizer_of(args)
    rng = np.random.RandomState(args.seed)
    if cnn:
        chosen, defaulted, source = cnn_settings(args, kind)
        image = train.X.shape[1:]
        n_H, n_W = image_sizes(image, chosen["pools"])[-1]
        dims = [n_H * n_W * chosen["filters"][-1], *chosen["hidden_dims"], n_y]
        check_cnn_size(image, chosen["filters"], chosen["pools"], F, dims, train.m)
        model: nn.Sequential = build_cnn(image, chosen["filters"], chosen["pools"], chosen["hidden_dims"], n_y,
                                         hidden=chosen["hidden"], init=chosen["init"], rng=rng, task=train.task)
        lr, iterations, batch_size, hidden = chosen["lr"], chosen["iterations"], chosen["batch_size"], chosen["hidden"]
        network = f"images {image}, CNN {describe_cnn(model)}"
    else:
        settings, defaulted = train_settings(args, kind, train.m)
        source = settings.source
        dims = [train.X.shape[0], *settings.hidden_dims, n_y]
        check_size(dims, train.X.shape[1], x_loaded=True)
        # the task chooses the output, as nn.MLP(..., task=data.task) does: logits Z[L] for multiclass
        model = nn.MLP(dims, hidden=settings.hidden, init=settings.init, rng=rng,
                       task=train.task)  # model.h5 remembers its task
        lr, iterations, batch_size, hidden = settings.lr, settings.iterations, args.batch_size, settings.hidden
        network = f"layer_dims {dims}"
    optimizer = make_optimizer(optimizer_name, model.parameters(), lr)
    batches = f" of mini-batches of {batch_size}" if cnn and batch_size else ""
    print(f"tinygrad-nb train: {describe(train)}{f' (test: {describe(test)})' if test else ''}, {network}, "
          f"{hidden} hidden, {optimizer_name} lr={lr:g}, {iterations} {'epochs' if batch_size else 'iterations'}"
          f"{batches}")
    if defaulted:
        print(f"  defaults for {kind}{' (cnn)' if cnn else ''} with {optimizer_name} ({source}): "
              f"{', '.join(defaulted)}")
    print_every = args.print_every or (max(1, iterations // 10) if cnn else 100)
    start = time.perf_counter()
    history: dict = {}
    try:  # the loss is fit's default for the model's task: cross_entropy on logits, or binary cross-entropy
        with training_warnings(lr):  # one line each, their advice in train's flags
            costs = nn.fit(model, train.X, train.Y, optimizer=optimizer, num_iterations=iterations,
                           batch_size=batch_size, seed=args.seed, print_every=print_every, history=history,
                           progress=not args.no_progress and sys.stderr.isatty())
    except KeyboardInterrupt as e:
        return interrupted(e, "epoch" if batch_size else "iteration")
    seconds = time.perf_counter() - start
    train_acc = nn.accuracy(model, train.X, train.Y)
    test_acc = nn.accuracy(model, test.X, test.Y) if test is not None else None
    print(f"train accuracy ({describe(train)}): {train_acc:.4f}")
    if test is not None:
        print(f"test accuracy ({describe(test)}): {test_acc:.4f}")
    print(f"trained in {seconds:.2f} s")
    record: dict[str, Any] = {
        "costs": costs, "iterations": history.get("iterations"), "record_every": print_every,
        "learning_rate": lr, "optimizer": optimizer_name, "num_iterations": iterations,
        "layer_dims": dims, "hidden": hidden, "defaults": defaulted,
        "train_accuracy": train_acc, "test_accuracy": test_acc, "seconds": seconds,
        "divergence": history.get("divergence"),
    }
    if cnn:
        record.update(arch="cnn", layers=describe_cnn(model), image_shape=list(train.X.shape[1:]),
                      filters=chosen["filters"], pools=chosen["pools"], batch_size=batch_size)
    out: Path = args.out
    with staged_outputs(out) as stage:
        written = [nn.save(model, stage / "model.h5"), write_json_atomically(stage / "costs.json", record)]
        written += run_pictures(model, train.X, train.Y, costs, multiclass=multiclass, learning_rate=lr,
                                record_every=print_every, folder=stage, history=history)
    for path in written:
        print(f"wrote {out / path.name}")
    return 0


INTERRUPTED = 130  # the shell's status for a command ended by SIGINT (128 + 2)


def interrupted(error: KeyboardInterrupt, word: str) -> int:
    """Ctrl-C during training: one line on stderr, ``interrupted at iteration i; nothing written``, and exit status
    130; nothing has been written yet, so the previous run's files stay as they were."""
    where = _iteration_of(error)
    at = f" at {word} {where}" if where is not None else " during training"
    print(f"tinygrad-nb train: interrupted{at}; nothing written", file=sys.stderr)
    return INTERRUPTED


def _iteration_of(error: BaseException) -> int | None:
    """The iteration fit's loop was at when ``error`` (a KeyboardInterrupt) left it (``fit`` attaches it); None
    when the interrupt came before the loop."""
    where = getattr(error, "iteration", None)
    return where if isinstance(where, int) else None


def cmd_graph(args: argparse.Namespace) -> int:
    """``tinygrad-nb graph``: draw a model's graph from layer dims or a saved model.h5 (an MLP or a CNN).

    The drawn step runs on ``--data``'s train examples (the first ``--m`` of them, or all), read for the task
    stored in the model; without ``--data`` on m random inputs (209 by default), which the input tensor's name
    and the printed line say ("X (209 random inputs)").
    """
    model: nn.Sequential
    image: tuple[int, ...] | None = None
    if args.data is not None and args.layers is not None:
        raise ValueError("--data draws a saved model (--model) on the data's examples; --layers builds a fresh "
                         "MLP, drawn on random inputs")
    if args.layers is not None:
        if args.image_shape is not None:
            raise ValueError("--image-shape is the input of a saved CNN (--model); --layers draws an MLP")
        m = GRAPH_M if args.m is None else args.m
        check_size(args.layers, m)
        task = nn.Task("multiclass", args.layers[-1]) if args.layers[-1] > 1 else None
        model = nn.MLP(args.layers, hidden=args.hidden, rng=args.seed, task=task)
    else:
        loaded = nn.load(args.model)
        if not isinstance(loaded, nn.Sequential):
            raise ValueError(f"graph: expected a Sequential or MLP model, got {type(loaded).__name__}")
        model = loaded
        if args.data is not None and args.image_shape is not None:
            raise ValueError("--image-shape sets the random images drawn without --data; with --data the images "
                             "are the data's")
        examples = _graph_data(model, args) if args.data is not None else None
        m = examples[0].shape[0 if is_cnn(model) else 1] if examples is not None else (
            GRAPH_M if args.m is None else args.m)
        if is_cnn(model):
            image = (tuple(examples[0].shape[1:]) if examples is not None else tuple(args.image_shape)
                     if args.image_shape is not None else input_image(model))
            check_model_size(model, (m, *image))
        else:
            if args.image_shape is not None:
                raise ValueError(f"--image-shape is the input of a CNN; {args.model} is an MLP on X (n_x, m)")
            check_size(model.layer_dims, m)
    n_x, n_y = model.layer_dims[0], model.layer_dims[-1]
    if args.data is not None and examples is not None:
        X, Y = examples
        source = f"{m:,} examples of {args.data}"
    else:
        rng = np.random.RandomState(args.seed)
        X = rng.rand(m, *image) if image is not None else rng.rand(n_x, m)
        if n_y == 1:
            Y = (rng.rand(1, m) > 0.5).astype(np.float64)
        else:
            Y = rng.randint(0, n_y, size=(1, m)).astype(np.float64)
        source = f"{m} random inputs"
    J = cost_of_one_step(model, X, Y, multiclass=n_y > 1, x_name=f"X ({source})")
    start = time.perf_counter()
    out: Path = args.out
    with staged_outputs(out.parent) as stage:  # the picture and its .dot are replaced together
        path, nodes = draw_quietly(J, stage / out.name, show=args.show, max_nodes=args.max_nodes)
    what = (f"CNN {describe_cnn(model)} on images (m, n_H, n_W, n_C) = {(m, *image)}" if image is not None
            else f"layer_dims {model.layer_dims} (m = {m})")
    print(f"drew {nodes} nodes for {what}, on {source}"
          f"{'' if args.data is not None else ' (give --data to draw it on a dataset)'}, in "
          f"{time.perf_counter() - start:.3f} s")
    print(f"wrote {out.parent / path.name}")
    if args.html is not None:
        title = f"tinygrad-nb graph: {what}, on {source}"
        print(f"wrote {save_html_quietly(J, args.html, show=args.show, max_nodes=args.max_nodes, title=title)}")
    return 0


GRAPH_M = 209  # random inputs drawn without --data or --m: the cat training set's m


def _graph_data(model: nn.Sequential, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """``graph --data``: the train split's X and Y read for the model's task (its stored one, else what n[L]
    says), the first ``--m`` examples when given."""
    task = _predict_task(model, model.task, None)
    check_task(args.data, task, model=str(args.model))
    train, _ = load_data(args.data, task, images=is_cnn(model))
    nn.check_task(model, train, model_name=str(args.model))
    cnn = is_cnn(model)
    m = train.m if args.m is None else min(args.m, train.m)
    X = train.X[:m] if cnn else train.X[:, :m]
    return X, train.Y[:, :m]


def check_model_size(model: nn.Sequential, shape: tuple[int, ...]) -> None:
    """``sizes.check_cnn_size`` for a network already built (a saved CNN) on images of ``shape``
    (m, n_H, n_W, n_C): its layers' shapes traced (ValueError when the images do not fit them), then each
    Conv2D's windows and output, and the dense layers, checked against the limits."""
    previous: tuple[Any, ...] = tuple(shape)
    numbering = model.numbering()
    for layer, out in model.trace_shapes(shape):
        if isinstance(layer, nn.Conv2D) and out is not None and None not in previous:
            check_conv_size(numbering.get(id(layer), 0), previous, layer.f, out)
        if out is not None:
            previous = out
    check_size(model.layer_dims, shape[0])


def cmd_check(args: argparse.Namespace) -> int:
    """``tinygrad-nb check``: autograd on a small random model against a reference; exit 1 on a mismatch.

    An MLP (the default) is checked against the closed-form dZ, dW, db, dA of the course (``nn.check_against_
    closed_form``, tolerance 1e-10); a CNN (``--arch cnn``), which has no closed form here, against centred finite
    differences of J, parameter by parameter (the course's gradient check, eps = 1e-7, tolerance 1e-7).
    """
    if args.arch == "cnn":
        return _check_cnn(args)
    for option, value in (("--filters", args.filters), ("--pools", args.pools), ("--image-shape", args.image_shape)):
        if value is not None:
            raise ValueError(f"{option} describes the CNN of check --arch cnn; the MLP check takes --n-x, "
                             "--hidden-dims, --hidden and --m")
    n_x = 5 if args.n_x is None else args.n_x
    tolerance = 1e-10 if args.tolerance is None else args.tolerance
    dims = [n_x, *([4, 3] if args.hidden_dims is None else args.hidden_dims), 1]
    check_size(dims, args.m)
    rng = np.random.RandomState(args.seed)
    model = nn.MLP(dims, hidden=args.hidden, init="xavier", rng=rng)
    X = rng.randn(n_x, args.m)
    Y = (rng.rand(1, args.m) > 0.5).astype(np.float64)
    print(f"autograd against the closed-form formulas: layer_dims {dims}, {args.hidden} hidden, m = {args.m}")
    report = nn.check_against_closed_form(model, X, Y)
    ok = report.passed(tolerance)
    print(f"{'PASS' if ok else 'FAIL'}: largest relative difference {report.max_difference:.3e} "
          f"(tolerance {tolerance:.0e})")
    return 0 if ok else 1


CHECK_IMAGE, CHECK_FILTERS, CHECK_POOLS = (8, 8, 2), [3, 4], [2, 2]
CHECK_LIMIT = 20_000  # parameters: each costs two forward passes of finite differences


def _check_cnn(args: argparse.Namespace) -> int:
    """``check --arch cnn``: the course's gradient check of every W[l], b[l] of a small random CNN."""
    if args.n_x is not None:
        raise ValueError("--n-x is an MLP's input size; a CNN takes images: give --image-shape n_H,n_W,n_C")
    image = tuple(args.image_shape) if args.image_shape is not None else CHECK_IMAGE
    filters = CHECK_FILTERS if args.filters is None else args.filters
    pools = args.pools if args.pools is not None else ([2] * len(filters) if args.filters is not None else CHECK_POOLS)
    tolerance = 1e-7 if args.tolerance is None else args.tolerance
    n_H, n_W = image_sizes(image, pools)[-1]
    hidden_dims = [] if args.hidden_dims is None else args.hidden_dims
    dims = [n_H * n_W * filters[-1], *hidden_dims, 1]
    check_cnn_size(image, filters, pools, F, dims, args.m)
    parameters = sum(F * F * c_in * c_out + c_out for c_in, c_out in zip([image[2], *filters], filters))
    parameters += sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    if parameters > CHECK_LIMIT:
        raise ValueError(f"the CNN has {parameters:,} parameters, more than the {CHECK_LIMIT:,} the finite "
                         "differences check in reasonable time (two forward passes each); give fewer --filters, "
                         "a smaller --image-shape or smaller --hidden-dims")
    rng = np.random.RandomState(args.seed)
    model = build_cnn(image, filters, pools, hidden_dims, 1, hidden=args.hidden, init="xavier", rng=rng)
    X = rng.randn(args.m, *image)
    Y = (rng.rand(1, args.m) > 0.5).astype(np.float64)
    print(f"autograd against finite differences (the course's gradient check, eps = 1e-7): CNN "
          f"{describe_cnn(model)}, {args.hidden} hidden, images (m, n_H, n_W, n_C) = {(args.m, *image)}")
    report = check_cnn_gradients(model, X, Y)
    for name, p in model.named_parameters():
        print(f"  d{name} {p.shape}: difference {report.differences[name]:.3e}")
    ok = report.passed(tolerance)
    print(f"{'PASS' if ok else 'FAIL'}: largest difference {report.worst:.3e} (tolerance {tolerance:.0e})")
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
    train, test = load_data(args.data, task, images=is_cnn(model))
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
