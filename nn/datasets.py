"""Datasets (``nn.datasets``): the course's cat images (``load_course_h5``), the planar "flower" and
the digits, each a ``Dataset`` that knows its task. The code lives in ``nn/data/datasets.py``.
"""

from nn.data.datasets import (
    Dataset,
    Split,
    digits,
    examples_axis,
    load_course_h5,
    load_course_split,
    planar,
)

__all__ = ["Dataset", "Split", "examples_axis", "load_course_h5", "load_course_split", "planar", "digits"]
