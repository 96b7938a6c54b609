"""The datasets the command line trains and predicts on: digits, planar, or the course's .h5 files."""

from __future__ import annotations

from nn import datasets
from nn.datasets import Dataset

DEFAULT_HIDDEN = {"digits": [32, 16], "planar": [4], "h5": [20, 7, 5]}


def kind_of(dataset: str) -> str:
    """``digits``, ``planar`` or ``h5`` (a course file), the key of DEFAULT_HIDDEN."""
    return dataset if dataset in ("digits", "planar") else "h5"


def check_task(dataset: str, task: str, test_path: str | None = None) -> None:
    """Refuse combinations that would be silently ignored: multiclass needs digits, --test-data an .h5 dataset."""
    if task == "multiclass" and dataset != "digits":
        raise ValueError(f"--task multiclass needs the digits dataset (0-9); {dataset} has two classes")
    if test_path is not None and kind_of(dataset) != "h5":
        raise ValueError(f"--test-data goes with a course .h5 dataset, not {dataset}")


def load_data(dataset: str, task: str, seed: int, test_path: str | None = None) -> tuple[Dataset, Dataset | None]:
    """(train, test) Datasets for ``digits``, ``planar`` or a course .h5 file (its test file beside it)."""
    check_task(dataset, task, test_path)
    if dataset == "digits":
        split = datasets.digits(binary=task == "binary", seed=seed)
        return split.train, split.test
    if dataset == "planar":
        return datasets.planar(seed=1), None  # the course's flower, always the same 400 points
    return datasets.load_course_split(dataset, test_path)
