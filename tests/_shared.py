"""Shared by the tests: where the course's cat files live (../shared/datasets), torch_or_skip, and the one
central-difference gradient the tests compare autograd with."""

import os
from pathlib import Path

import numpy as np
import pytest

DATASETS = Path(os.environ.get("TINYGRAD_NB_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
TRAIN, TEST = DATASETS / "train_catvnoncat.h5", DATASETS / "test_catvnoncat.h5"

needs_cat_data = pytest.mark.skipif(
    not (TRAIN.is_file() and TEST.is_file()),
    reason=f"the course's cat files are not at {DATASETS} (set TINYGRAD_NB_DATASETS to their folder)",
)


def torch_or_skip():
    return pytest.importorskip("torch")


def numeric_grad(f, x, eps=1e-6):
    """d f(x) / dx by central differences, f a scalar function of a float64 array (x is not changed)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        hi = f(x)
        x[i] = old - eps
        lo = f(x)
        x[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g

