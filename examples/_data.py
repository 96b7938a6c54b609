"""Shared by the examples: the embedded default data, or the course's cat files given with --data."""

from __future__ import annotations

import argparse
from typing import Any

import nn
from nn import datasets


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--data path/to/train_catvnoncat.h5`` to an example's parser."""
    parser.add_argument("--data", help="path to train_catvnoncat.h5 (its test file is read from beside it)")


def report(model: nn.Module, train: Any, test: Any) -> dict[str, float]:
    """Print and return the train (and test) accuracy."""
    result = {"train_accuracy": nn.accuracy(model, train.X, train.Y)}
    if test is not None:
        result["test_accuracy"] = nn.accuracy(model, test.X, test.Y)
    print(", ".join(f"{k.replace('_', ' ')}: {v:.3f}" for k, v in result.items()))  # "train accuracy: 0.993"
    return result


def train_and_test(data: str | None, default: str = "digits") -> tuple[Any, Any]:
    """(train, test) from the course's .h5 files when ``data`` is given, else from the embedded default."""
    if data:
        return datasets.load_course_split(data)
    if default == "planar":
        return datasets.planar(), None
    split = datasets.digits(task="binary")
    return split.train, split.test
