"""Shared by the tests: where the course's cat files live (../shared/datasets), torch_or_skip."""

import os
from pathlib import Path

import pytest

DATASETS = Path(os.environ.get("TINYGRAD_NB_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
TRAIN, TEST = DATASETS / "train_catvnoncat.h5", DATASETS / "test_catvnoncat.h5"

needs_cat_data = pytest.mark.skipif(
    not (TRAIN.is_file() and TEST.is_file()),
    reason=f"the course's cat files are not at {DATASETS} (set TINYGRAD_NB_DATASETS to their folder)",
)


def torch_or_skip():
    return pytest.importorskip("torch")
