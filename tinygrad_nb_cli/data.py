"""The datasets the command line trains and predicts on: digits, planar, or the course's .h5 files.

Every dataset comes with a test split, so that each accuracy printed can say which data it is on:
the digits' own split, the course's test file beside an .h5 train file, and for planar the
flower with ``PLANAR_TEST_FRACTION`` of its 400 points held out. The splits are fixed
(``SPLIT_SEED``), not drawn with a run's ``--seed``: ``predict``'s test data is then always the
data ``train`` held out, whatever seed the model was trained with.
"""

from __future__ import annotations

from nn import datasets
from nn.data.datasets import Dataset
from nn.training.defaults import kind_for_data

PLANAR_TEST_FRACTION = 0.2
SPLIT_SEED = 0  # the digits' split and planar's held-out points, the same for every run


def describe(data: Dataset) -> str:
    """``1,438 examples of digits``: how a printed line names the data it is about (its line says train or test:
    a held-out part's name, ``digits test``, is given without its suffix)."""
    return f"{data.m:,} examples of {data.name.removesuffix(' test')}"


def check_task(dataset: str, task: str, test_path: str | None = None, model: str | None = None) -> None:
    """Refuse combinations that would be silently ignored: multiclass needs digits, --test-data an .h5 dataset.

    ``model`` names the model file when the task is the model's own rather than one given with --task.
    """
    if task == "multiclass" and dataset != "digits":
        if model is not None:
            raise ValueError(f"{model} is a multiclass model (classes 0..9); {dataset} has two classes: "
                             "predict it on --data digits")
        raise ValueError(f"--task multiclass needs the digits dataset (0-9); {dataset} has two classes")
    if test_path is not None and kind_for_data(dataset) != "cat":
        raise ValueError(f"--test-data goes with a course .h5 dataset, not {dataset}")


def load_data(dataset: str, task: str, test_path: str | None = None,
              images: bool = False) -> tuple[Dataset, Dataset | None]:
    """(train, test) Datasets for ``digits``, ``planar`` or a course .h5 file (its test file beside it, when there
    is one); each carries its name and its task (``nn.Task``), which a saved model is checked against.

    ``images``: X as course 4's images (m, n_H, n_W, n_C) for a CNN, the digits (m, 8, 8, 1) and the cat files
    (m, 64, 64, 3); planar's points are not images and are refused."""
    check_task(dataset, task, test_path)
    if images and dataset == "planar":
        raise ValueError("a CNN takes images: the digits (8x8) or a course .h5 file (64x64x3); planar's examples "
                         "are points (X (2, m)): use an MLP")
    if dataset == "digits":
        split = datasets.digits(task=task, seed=SPLIT_SEED, images=images)
        return split, split.test
    if dataset == "planar":
        flower = datasets.planar(seed=1).split(PLANAR_TEST_FRACTION, SPLIT_SEED)  # the course's 400 points
        return flower, flower.test
    return datasets.load_course_split(dataset, test_path, flatten=not images)
