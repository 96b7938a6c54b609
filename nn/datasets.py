"""Datasets (``nn.datasets``): the course's cat images (``load_course_h5``), the planar "flower" and
the digits, each a ``Dataset`` that knows its task, and the DeZero book's toy data (``spiral``, the
``sin_curve``). The code lives in ``nn/data/`` (``datasets.py``, ``toy.py``); ``DataLoader``
(``nn/data/loader.py``) batches any of them, or a dataset class of your own (``ExampleDataset``).
"""

from nn.data import (
    DataLoader,
    Dataset,
    ExampleDataset,
    Split,
    digits,
    examples_axis,
    load_course_h5,
    load_course_split,
    planar,
    sin_curve,
    spiral,
)

__all__ = ["Dataset", "Split", "examples_axis", "load_course_h5", "load_course_split", "planar", "digits",
           "spiral", "sin_curve", "DataLoader", "ExampleDataset"]
