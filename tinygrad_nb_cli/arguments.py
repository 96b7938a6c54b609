"""argparse types: each argument is checked, with a one-line message, before anything runs or is written.

A type raises ``argparse.ArgumentTypeError``; argparse then reports
``argument --lr: <message>`` and the parser in ``cli.py`` turns that into one line and exit 2.
Files that must already exist (a dataset, a model) are left to the loaders, which check them
before anything is written and name the file; what a type checks here is the form of a value
and that an output can go where it is asked to.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

MAX_SEED = 2**32 - 1  # numpy.random.RandomState accepts 0 .. 2**32 - 1
DATASETS = ("digits", "planar")
H5_SUFFIXES = (".h5", ".hdf5")
GRAPH_SUFFIXES = (".svg", ".png", ".pdf", ".dot")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int, got {text!r}") from None


def int_at_least(low: int) -> Callable[[str], int]:
    """A type for ints >= ``low``: ``int_at_least(1)`` for counts such as --iterations and --m."""
    wanted = "a positive int" if low == 1 else f"an int >= {low}"

    def parse(text: str) -> int:
        value = _int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {value}")
        return value

    parse.__name__ = f"int_at_least_{low}"
    return parse


positive_int = int_at_least(1)


def seed(text: str) -> int:
    """A RandomState seed: an int in 0 .. 2**32 - 1."""
    value = _int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"the seed must be in 0 .. 2**32 - 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (a learning rate alpha, a tolerance); NaN and inf are refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _sizes(text: str, first: int) -> list[int]:
    """Comma-separated n[l], numbered from ``first`` in messages."""
    parts = [t.strip() for t in text.split(",")] if text.strip() else []
    dims = []
    for l, part in enumerate(parts, start=first):
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated ints such as 20,7,5, got {text!r} (n[{l}] = {part!r})") from None
        if n <= 0:
            raise argparse.ArgumentTypeError(f"n[{l}] must be a positive int, got {n} in {text!r}")
        dims.append(n)
    return dims


def hidden_dims(text: str) -> list[int]:
    """Hidden layer sizes n[1], ..., n[L-1] such as ``20,7,5``; empty means no hidden layer."""
    return _sizes(text, first=1)


def layer_dims(text: str) -> list[int]:
    """layer_dims n[0], ..., n[L] such as ``12288,20,7,5,1``: at least n_x and n_y."""
    dims = _sizes(text, first=0)
    if len(dims) < 2:
        raise argparse.ArgumentTypeError(f"layer_dims needs at least n_x,n_y such as 12288,20,7,5,1, got {text!r}")
    return dims


def dataset(text: str) -> str:
    """``digits``, ``planar`` or a path ending in .h5/.hdf5 (the loader says when the file is missing)."""
    if text in DATASETS or Path(text).suffix.lower() in H5_SUFFIXES:
        return text
    raise argparse.ArgumentTypeError(f"expected digits, planar or a path to a course .h5 file, got {text!r}")


def h5_file(text: str) -> str:
    """A path ending in .h5 or .hdf5 (a model or a course data file)."""
    if Path(text).suffix.lower() in H5_SUFFIXES:
        return text
    raise argparse.ArgumentTypeError(f"expected a .h5 file, got {text!r}")


def _writable_dir(folder: Path, given: str) -> None:
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{given}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{given}: the folder {folder} is not writable")


def output_folder(text: str) -> Path:
    """A folder for a run's outputs: an existing folder, or a new one under a writable existing folder."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder; give a folder for the run's outputs")
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"cannot create {text}: {existing} is a file, not a folder")
    _writable_dir(existing, text)
    return path


def output_file(suffixes: tuple[str, ...] | None = None) -> Callable[[str], Path]:
    """A type for an output file: not a folder, in an existing writable folder, with one of ``suffixes``."""

    def parse(text: str) -> Path:
        path = Path(text)
        if path.is_dir() or not path.name or text.endswith(os.sep):
            raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name such as {text.rstrip(os.sep)}"
                                             f"{os.sep}{'graph.svg' if suffixes else 'predictions.json'}")
        if suffixes is not None and path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"{text} must end in {', '.join(suffixes)}")
        _writable_dir(path.parent, text)
        return path

    parse.__name__ = "output_file"
    return parse


def _per_block(text: str, what: str, example: str) -> list[int]:
    """Comma-separated positive ints, one per conv block (at least one)."""
    parts = [t.strip() for t in text.split(",")]
    values = []
    for l, part in enumerate(parts, start=1):
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated ints such as {example}, one {what} per conv "
                                             f"block, got {text!r} (block {l}: {part!r})") from None
        if n <= 0:
            raise argparse.ArgumentTypeError(f"block {l}'s {what} must be a positive int, got {n} in {text!r}")
        values.append(n)
    return values


def filters(text: str) -> list[int]:
    """The filters n_C of each conv block, such as ``16,32`` (one block or more)."""
    return _per_block(text, "number of filters", "16,32")


def pools(text: str) -> list[int]:
    """Each conv block's max-pool window f (= its stride), such as ``2,4``."""
    return _per_block(text, "pool size", "2,4")


def image_shape(text: str) -> tuple[int, int, int]:
    """One image's (n_H, n_W, n_C), such as ``64,64,3``: three positive ints."""
    try:
        values = [int(t) for t in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 3 or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected one image's n_H,n_W,n_C as three positive ints such as 64,64,3, "
                                         f"got {text!r}")
    return values[0], values[1], values[2]
