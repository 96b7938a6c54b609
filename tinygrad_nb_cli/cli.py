"""The command line: ``tinygrad-nb train | check | graph | predict`` (also ``python -m tinygrad_nb``).

This is the application layer: it sits on top of tinygrad_nb, nn and viz.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nn.atomic import atomic_path

DEFAULT_HIDDEN = {"digits": "32,16", "planar": "4", "h5": "20,7,5"}


def _dims(text: str) -> list[int]:
    try:
        dims = [int(t) for t in text.split(",") if t.strip()] if text.strip() else []
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints such as 20,7,5, got {text!r}") from None
    if any(d <= 0 for d in dims):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return dims


def load_data(dataset: str, task: str, seed: int, test_path: str | None = None):
    """(train, test) Datasets for ``digits``, ``planar`` or a course .h5 file (its test file beside it)."""
    from nn import datasets

    if dataset == "digits":
        split = datasets.digits(binary=task == "binary", seed=seed)
        return split.train, split.test
    if dataset == "planar":
        return datasets.planar(seed=1), None
    path = Path(dataset)
    if path.suffix not in (".h5", ".hdf5"):
        raise ValueError(f"--dataset must be digits, planar or a path to a course .h5 file, got {dataset!r}")
    return datasets.load_course_split(path, test_path)


def write_json_atomically(path: Path, payload: Any) -> None:
    """Write JSON to a temporary file beside ``path`` and move it into place."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2))


def make_optimizer(name: str, params, lr: float):
    """The optimiser named on the command line (momentum is SGD with momentum 0.9)."""
    from nn import optim

    if name == "momentum":
        return optim.SGD(params, lr, momentum=0.9)
    if name not in optim.OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}")
    return optim.OPTIMIZERS[name](params, lr=lr)


def cmd_train(args: argparse.Namespace) -> int:
    """``tinygrad-nb train``: train an MLP, print accuracies, write model.h5, costs.json and pictures."""
    import nn

    kind = args.dataset if args.dataset in ("digits", "planar") else "h5"
    train, test = load_data(args.dataset, args.task, args.seed, args.test_data)
    multiclass = kind == "digits" and args.task == "multiclass"
    n_y = 10 if multiclass else 1
    hidden = args.hidden_dims if args.hidden_dims is not None else _dims(DEFAULT_HIDDEN[kind])
    dims = [train.X.shape[0], *hidden, n_y]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = nn.MLP(dims, hidden=args.hidden, output="softmax" if multiclass else "sigmoid", init=args.init,
                   rng=np.random.RandomState(args.seed))
    loss = "binary_cross_entropy"
    if multiclass:  # softmax output: cross-entropy of its log, computed from the probabilities
        def loss(A, Y):
            return nn.cross_entropy(A.log(), Y)
    print(f"tinygrad-nb train: {kind} ({train.X.shape[1]} train examples"
          f"{f', {test.X.shape[1]} test' if test else ''}), layer_dims {dims}, {args.hidden} hidden, "
          f"{args.optimizer} lr={args.lr}, {args.iterations} iterations")
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    start = time.perf_counter()
    costs = nn.fit(model, train.X, train.Y, loss=loss, optimizer=optimizer, num_iterations=args.iterations,
                   batch_size=args.batch_size, seed=args.seed, print_every=args.print_every,
                   progress=not args.no_progress)
    seconds = time.perf_counter() - start
    train_acc = nn.accuracy(model, train.X, train.Y)
    test_acc = nn.accuracy(model, test.X, test.Y) if test is not None else None
    print(f"train accuracy: {train_acc:.4f}" + (f"   test accuracy: {test_acc:.4f}" if test is not None else ""))
    print(f"trained in {seconds:.2f} s")
    written = [nn.save(model, out / "model.h5")]
    write_json_atomically(out / "costs.json", {
        "costs": costs, "record_every": args.print_every, "learning_rate": args.lr, "layer_dims": dims,
        "train_accuracy": train_acc, "test_accuracy": test_acc, "seconds": seconds,
    })
    written.append(out / "costs.json")
    written += _pictures(model, train, costs, args, out)
    for path in written:
        print(f"wrote {path}")
    return 0


def _pictures(model, train, costs, args, out: Path) -> list[Path]:
    """graph.svg (the forward and backward graph of one step on the train set) and costs.png."""
    try:
        import viz
    except ImportError as e:
        print(f"note: no pictures ({e}); install them with: pip install 'tinygrad-nb[viz,render]'")
        return []
    written = [viz.plot_costs(costs, out / "costs.png", learning_rate=args.lr, record_every=args.print_every)]
    J = _cost_of_one_step(model, train.X, train.Y, multiclass=model.output == "softmax")
    written.append(_render_quietly(viz, viz.draw_graph(J, show="both"), out / "graph.svg"))
    return written


def _cost_of_one_step(model, X, Y, multiclass: bool):
    """J on (X, Y) with backward run and the graph kept, so that the drawing shows gradient norms."""
    import nn
    from tinygrad_nb import Tensor

    A = model(Tensor(X, name="X"))
    J = nn.cross_entropy(A.log(), Y) if multiclass else nn.binary_cross_entropy(A, Y)
    model.zero_grad()
    J.backward(retain_graph=True)
    return J


def _render_quietly(viz, graph, path: Path) -> Path:
    """Render, turning a missing renderer into one printed line instead of a warning trace."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", viz.RendererNotFoundWarning)
        written = viz.render(graph, path)
    for w in caught:
        print(f"note: {w.message}")
    return written


def cmd_graph(args: argparse.Namespace) -> int:
    """``tinygrad-nb graph``: draw a model's graph from layer dims or a saved model.h5."""
    import nn
    import viz

    if (args.model is None) == (args.layers is None):
        raise ValueError("graph: give exactly one of --model model.h5 or --layers 12288,20,7,5,1")
    model = nn.load(args.model) if args.model else nn.MLP(args.layers, hidden=args.hidden, rng=args.seed)
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"graph: expected a Sequential or MLP model, got {type(model).__name__}")
    rng = np.random.RandomState(args.seed)
    n_x, n_y = model.layer_dims[0], model.layer_dims[-1]
    X = rng.rand(n_x, args.m)
    if n_y == 1:
        Y = (rng.rand(1, args.m) > 0.5).astype(np.float64)
    else:
        Y = rng.randint(0, n_y, size=(1, args.m)).astype(np.float64)
    J = _cost_of_one_step(model, X, Y, multiclass=n_y > 1)
    start = time.perf_counter()
    graph = viz.draw_graph(J, show=args.show, max_nodes=args.max_nodes)
    path = _render_quietly(viz, graph, Path(args.out))
    nodes = graph.source.count("[label=")
    print(f"drew {nodes} nodes for layer_dims {model.layer_dims} (m = {args.m}) in "
          f"{time.perf_counter() - start:.3f} s")
    print(f"wrote {path}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``tinygrad-nb check``: the closed-form table on a small random model; exit 1 on a mismatch."""
    import nn

    rng = np.random.RandomState(args.seed)
    dims = [args.n_x, *args.hidden_dims, 1]
    model = nn.MLP(dims, hidden=args.hidden, init="xavier", rng=rng)
    X = rng.randn(args.n_x, args.m)
    Y = (rng.rand(1, args.m) > 0.5).astype(np.float64)
    print(f"autograd against the closed-form formulas: layer_dims {dims}, {args.hidden} hidden, m = {args.m}")
    report = nn.check_against_closed_form(model, X, Y)
    ok = report.passed(args.tolerance)
    print(f"{'PASS' if ok else 'FAIL'}: largest relative difference {report.max_difference:.3e} "
          f"(tolerance {args.tolerance:.0e})")
    return 0 if ok else 1


def cmd_predict(args: argparse.Namespace) -> int:
    """``tinygrad-nb predict``: load model.h5, predict on a dataset, print the accuracy."""
    import nn

    model = nn.load(args.model)
    train, test = load_data(args.data, args.task, args.seed)
    data = test if test is not None and not args.train_split else train
    pred = nn.predict(model, data.X)
    print(f"{pred.shape[1]} predictions; accuracy {nn.accuracy(model, data.X, data.Y):.4f}")
    print("first predictions:", pred[0, :20].astype(int).tolist())
    if args.out:
        write_json_atomically(Path(args.out), {"predictions": pred[0].astype(int).tolist()})
        print(f"wrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="tinygrad-nb",
                                     description="Train and check networks in the course's notation.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train an MLP; write model.h5, costs.json, costs.png and graph.svg")
    t.add_argument("--dataset", default="digits", help="digits (default), planar, or path/to/train_catvnoncat.h5")
    t.add_argument("--test-data", help="test .h5 file (default: the train path with 'train' -> 'test')")
    t.add_argument("--task", choices=["binary", "multiclass"], default="binary", help="digits: odd/even or 0-9")
    t.add_argument("--hidden-dims", type=_dims, help="hidden layer sizes, e.g. 20,7,5 (default per dataset)")
    t.add_argument("--hidden", default="relu", choices=["relu", "tanh", "sigmoid", "leaky_relu"])
    t.add_argument("--init", default="deep", choices=["deep", "he", "xavier", "small_random"])
    t.add_argument("--optimizer", default="sgd", choices=["sgd", "momentum", "rmsprop", "adam"])
    t.add_argument("--lr", type=float, default=0.1, help="learning rate alpha (default 0.1)")
    t.add_argument("--iterations", type=int, default=1000, help="gradient steps (epochs with --batch-size)")
    t.add_argument("--batch-size", type=int, help="mini-batch size (default: full batch)")
    t.add_argument("--seed", type=int, default=1, help="seed for the initialisation, split and shuffling")
    t.add_argument("--print-every", type=int, default=100)
    t.add_argument("--out", default="runs/latest", help="output folder (created)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    c = sub.add_parser("check", help="print autograd against the closed-form dZ, dW, db, dA on a small model")
    c.add_argument("--n-x", type=int, default=5)
    c.add_argument("--hidden-dims", type=_dims, default=[4, 3])
    c.add_argument("--hidden", default="relu", choices=["relu", "tanh", "sigmoid", "leaky_relu"])
    c.add_argument("--m", type=int, default=8)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--tolerance", type=float, default=1e-10)
    c.set_defaults(func=cmd_check)

    g = sub.add_parser("graph", help="draw a model's forward and backward graph")
    g.add_argument("--model", help="a saved model.h5")
    g.add_argument("--layers", type=_dims, help="layer_dims instead of a model, e.g. 12288,20,7,5,1")
    g.add_argument("--hidden", default="relu", choices=["relu", "tanh", "sigmoid", "leaky_relu"])
    g.add_argument("--m", type=int, default=209, help="examples in the drawn batch (shapes show (n[l], m))")
    g.add_argument("--show", default="both", choices=["forward", "backward", "both"])
    g.add_argument("--max-nodes", type=int, default=500)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out", default="graph.svg", help=".svg, .png, .pdf or .dot")
    g.set_defaults(func=cmd_graph)

    p = sub.add_parser("predict", help="predict with a saved model.h5")
    p.add_argument("--model", required=True)
    p.add_argument("--data", default="digits", help="digits, planar or a course .h5 file")
    p.add_argument("--task", choices=["binary", "multiclass"], default="binary")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--train-split", action="store_true", help="predict on the train split instead of test")
    p.add_argument("--out", help="write predictions as JSON here")
    p.set_defaults(func=cmd_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tinygrad-nb``; returns the exit status (2 for bad input, with a one-line error)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError, PermissionError, ImportError) as e:
        print(f"tinygrad-nb {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
