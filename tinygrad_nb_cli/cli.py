"""The command line: ``tinygrad-nb train | check | graph | predict | export`` (also ``python -m tinygrad_nb``).

``train --arch cnn`` trains a convolutional network (``cnn.py``) on images: the digits (m, 8, 8, 1) or the
course's cat files (m, 64, 64, 3); ``predict`` and ``graph`` take its saved model.h5 as an MLP's, and
``check --arch cnn`` checks a small CNN's gradients against finite differences.

This is the application layer: it sits on top of tinygrad_nb, nn and viz. ``main`` is the one
place where bad input becomes one line on stderr and exit status 2: a bad argument (refused by
its argparse type in ``arguments.py``) or an error the libraries raise about the input
(ValueError, TypeError, OSError, a missing optional package). Ctrl-C is one line too
("interrupted ...; nothing written") and exit status 130; every output is staged, so the
previous run's files are left as they were. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import NoReturn

import tinygrad_nb
from nn.training.threads import blas_threads
from tinygrad_nb_cli import arguments as a
from tinygrad_nb_cli import export
from tinygrad_nb_cli.commands import cmd_check, cmd_graph, cmd_predict, cmd_train

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu"]

# Errors about the input or the machine, not bugs: MemoryError when sizes within the
# limits of sizes.py still do not fit.
INPUT_ERRORS = (ValueError, TypeError, OSError, ImportError, MemoryError)


class UsageError(Exception):
    """A bad command line, reported by ``main`` as ``<prog>: error: <message>``."""

    def __init__(self, prog: str, message: str):
        super().__init__(message)
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of printing the usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of every subcommand; every argument has a type that checks it."""
    parser = Parser(prog="tinygrad-nb", description="Train and check networks in the course's notation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train an MLP or a CNN; write model.h5, costs.json, costs.png, graph.svg and "
                                     "graph.html")
    t.add_argument("--arch", choices=["mlp", "cnn"], default="mlp",
                   help="mlp (default): [LINEAR -> hidden] x (L-1) -> LINEAR -> output on X (n_x, m); cnn: per "
                        "--filters entry CONV 3x3 'same' -> hidden -> MAXPOOL, then FLATTEN, the --hidden-dims "
                        "dense layers (default none) and LINEAR -> output, on the images (m, n_H, n_W, n_C) of the "
                        "digits (8x8x1) or a course .h5 file (64x64x3); with adam, mini-batches of 32 and he init "
                        "by default")
    t.add_argument("--filters", type=a.filters,
                   help="cnn: the filters n_C of each conv block, e.g. 16,32 (default: digits 16,32; cat 8,16)")
    t.add_argument("--pools", type=a.pools,
                   help="cnn: each conv block's max-pool window f (= its stride), one per block, e.g. 2,4 "
                        "(default: digits 2,2; cat 2,4; 2 for each block when only --filters is given)")
    t.add_argument("--dataset", type=a.dataset, default="digits",
                   help="digits (default), planar, or path/to/train_catvnoncat.h5")
    t.add_argument("--test-data", help="test .h5 file (default: the train path with 'train' -> 'test')")
    t.add_argument("--task", choices=["binary", "multiclass"], default="binary", help="digits: odd/even or 0-9")
    t.add_argument("--hidden-dims", type=a.hidden_dims,
                   help="hidden layer sizes, e.g. 20,7,5 (default: the dataset's, see nn.defaults; cnn: the dense "
                        "layers after FLATTEN, none by default)")
    t.add_argument("--hidden", choices=ACTIVATIONS, help="hidden activation (default: the dataset's)")
    t.add_argument("--init", choices=["deep", "he", "xavier", "small_random"],
                   help="initialiser (default per dataset: small_random, the course's randn x 0.01, for planar; "
                        "deep, randn / sqrt(n[l-1]), else; cnn: he, randn x sqrt(2 / fan_in), for the conv and "
                        "hidden layers, the output layer always deep)")
    t.add_argument("--optimizer", choices=["sgd", "momentum", "rmsprop", "adam"],
                   help="sgd (default; adam for a cnn); momentum is the course's v := 0.9 v + 0.1 dW")
    t.add_argument("--lr", type=a.positive_float,
                   help="learning rate alpha (default: the dataset's and optimizer's, e.g. 0.0075 for the cat "
                        "data with sgd, 1.2 for planar, 0.1 for digits, 0.001 for adam and "
                        "rmsprop, 0.00002 for those on the cat data; cnn: 0.003 with adam or rmsprop, with sgd "
                        "0.1 on the digits and 0.03 on the cat images)")
    t.add_argument("--iterations", type=a.positive_int,
                   help="gradient steps, epochs with --batch-size (default: the dataset's: cat 2500, planar "
                        "10000, digits 1000; cnn: epochs, digits 20, cat 30)")
    t.add_argument("--batch-size", type=a.positive_int, help="mini-batch size (default: full batch; cnn 32)")
    t.add_argument("--seed", type=a.seed, default=1,
                   help="seed for the initialisation and the mini-batch shuffling (the test split is fixed)")
    t.add_argument("--print-every", type=a.positive_int,
                   help="print and record the cost every this many iterations or epochs (default 100; cnn: a "
                        "tenth of the epochs)")
    t.add_argument("--out", type=a.output_folder, default="runs/latest",
                   help="output folder (created; a failed run leaves its previous files as they were)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    c = sub.add_parser("check", help="check autograd on a small random model: an MLP against the closed-form dZ, "
                                     "dW, db, dA; a CNN (--arch cnn) against finite differences")
    c.add_argument("--arch", choices=["mlp", "cnn"], default="mlp",
                   help="mlp (default): autograd against the course's closed-form backward, tolerance 1e-10; cnn: "
                        "the course's gradient check, autograd's dW, db against centred finite differences of J "
                        "(eps 1e-7) for every parameter, tolerance 1e-7 (a CNN has no closed form here)")
    c.add_argument("--n-x", type=a.positive_int, help="mlp: n[0] (default 5)")
    c.add_argument("--hidden-dims", type=a.hidden_dims,
                   help="hidden layer sizes (default 4,3; cnn: the dense layers after FLATTEN, default none)")
    c.add_argument("--hidden", default="relu", choices=ACTIVATIONS)
    c.add_argument("--filters", type=a.filters, help="cnn: the filters of each conv block (default 3,4)")
    c.add_argument("--pools", type=a.pools, help="cnn: each block's max-pool window (default 2 per block)")
    c.add_argument("--image-shape", type=a.image_shape, help="cnn: one image's n_H,n_W,n_C (default 8,8,2)")
    c.add_argument("--m", type=a.positive_int, default=8)
    c.add_argument("--seed", type=a.seed, default=1)
    c.add_argument("--tolerance", type=a.positive_float,
                   help="the largest difference that passes (default: mlp 1e-10, cnn 1e-7)")
    c.set_defaults(func=cmd_check)

    g = sub.add_parser("graph", help="draw a model's forward and backward graph")
    source = g.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a saved model.h5")
    source.add_argument("--layers", type=a.layer_dims, help="layer_dims instead of a model, e.g. 12288,20,7,5,1")
    g.add_argument("--hidden", default="relu", choices=ACTIVATIONS)
    g.add_argument("--data", type=a.dataset,
                   help="draw a saved model (--model) on this dataset's train examples (digits, planar or a course "
                        ".h5 file) instead of random inputs")
    g.add_argument("--m", type=a.positive_int,
                   help="examples in the drawn batch (shapes show (n[l], m)); default 209 random inputs, or all of "
                        "--data's")
    g.add_argument("--image-shape", type=a.image_shape,
                   help="a saved CNN's input image n_H,n_W,n_C, e.g. 64,64,3 (default: the smallest square "
                        "image its layers take, e.g. 8x8 for the digits' CNN, 64x64 for the cat images')")
    g.add_argument("--show", default="both", choices=["forward", "backward", "both"])
    g.add_argument("--max-nodes", type=a.int_at_least(4), default=500)
    g.add_argument("--seed", type=a.seed, default=1)
    g.add_argument("--out", type=a.output_file(a.GRAPH_SUFFIXES), default="graph.svg",
                   help=".svg, .png, .pdf or .dot")
    g.add_argument("--html", type=a.output_file((".html",)),
                   help="also write the interactive page here (pan, zoom, search, statistics, step through "
                        "forward and backward; one offline file)")
    g.set_defaults(func=cmd_graph)

    p = sub.add_parser("predict", help="predict with a saved model.h5 (an MLP, or a CNN on the data's images)")
    p.add_argument("--model", required=True, help="a saved model.h5")
    p.add_argument("--data", type=a.dataset, default="digits", help="digits, planar or a course .h5 file")
    p.add_argument("--task", choices=["binary", "multiclass"],
                   help="the data's labels (default: the task stored in the model, else what n[L] says)")
    p.add_argument("--seed", type=a.seed, help=argparse.SUPPRESS)  # before the splits were fixed; now a note
    p.add_argument("--train-split", action="store_true", help="predict on the train split instead of test")
    p.add_argument("--out", type=a.output_file(), help="write predictions as JSON here")
    p.set_defaults(func=cmd_predict)

    export.add_parser(sub)
    return parser


def package_version() -> str:
    """The installed tinygrad-nb's version (importlib.metadata), else the source tree's ``__version__``."""
    try:
        return metadata.version("tinygrad-nb")
    except metadata.PackageNotFoundError:
        return tinygrad_nb.__version__


def one_line(error: BaseException) -> str:
    """The error's message on one line (h5py and renderers can put several in one message)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return "; ".join(lines) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tinygrad-nb``; returns the exit status (2 for bad input, with a one-line error)."""
    parser = build_parser()
    prog = parser.prog
    try:
        args = parser.parse_args(argv)
        prog = f"{parser.prog} {args.command}"
        with blas_threads(None, 0):  # one BLAS thread for these small matrices, unless the environment says
            return int(args.func(args))
    except UsageError as e:
        print(f"{e.prog}: error: {one_line(e)}", file=sys.stderr)
    except INPUT_ERRORS as e:
        print(f"{prog}: error: {one_line(e)}", file=sys.stderr)
    except KeyboardInterrupt:  # Ctrl-C outside training (train reports its own, with the iteration)
        print(f"{prog}: interrupted; nothing written", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
