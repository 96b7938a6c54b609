"""Issue 23: the datasets as images (m, n_H, n_W, n_C), course 4's layout: load_course_h5(flatten=False),
digits(images=True); nn.Flatten() gives back the flattened X of the defaults."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from _shared import TEST, TRAIN, needs_cat_data

import nn
from nn.data.datasets import Dataset


def small_course_file(path, x):
    with h5py.File(path, "w") as f:
        f["train_set_x"] = x
        f["train_set_y"] = np.array([0, 1, 1, 0, 1])
        f["list_classes"] = np.array([b"non-cat", b"cat"])
    return path


def test_load_course_h5_gives_the_images_unflattened_scaled_the_same_way(tmp_path):
    raw = np.random.RandomState(0).randint(0, 256, size=(5, 4, 4, 3)).astype(np.uint8)
    path = small_course_file(tmp_path / "train.h5", raw)
    flat, imgs = nn.datasets.load_course_h5(path), nn.datasets.load_course_h5(path, flatten=False)
    assert imgs.X.shape == (5, 4, 4, 3) and imgs.m == 5 and imgs.examples_axis == 0
    np.testing.assert_array_equal(imgs.X, raw / 255.0)
    np.testing.assert_array_equal(nn.Flatten()(imgs.X).data, flat.X)  # the course's x.reshape(m, -1).T / 255.
    np.testing.assert_array_equal(imgs.Y, flat.Y)
    assert imgs.classes == flat.classes and imgs.task == flat.task
    grey = nn.datasets.load_course_h5(small_course_file(tmp_path / "grey.h5", raw[..., 0]), flatten=False)
    assert grey.X.shape == (5, 4, 4, 1)  # one channel: n_C = 1
    with pytest.raises(TypeError, match="flatten must be True or False"):
        nn.datasets.load_course_h5(path, flatten="no")


@needs_cat_data
def test_the_cat_images_load_as_m_64_64_3():
    train, test = nn.datasets.load_course_split(TRAIN, TEST, flatten=False)
    assert train.X.shape == (209, 64, 64, 3) and test is not None and test.X.shape == (50, 64, 64, 3)
    np.testing.assert_array_equal(nn.Flatten()(train.X).data, nn.datasets.load_course_h5(TRAIN).X)


def test_digits_as_images_are_the_default_digits_unflattened():
    flat, imgs = nn.datasets.digits(seed=3), nn.datasets.digits(seed=3, images=True)
    assert imgs.X.shape == (1438, 8, 8, 1) and imgs.test.X.shape == (359, 8, 8, 1)
    np.testing.assert_array_equal(nn.Flatten()(imgs.X).data, flat.X)
    np.testing.assert_array_equal(nn.Flatten()(imgs.test.X).data, flat.test.X)
    np.testing.assert_array_equal(imgs.Y, flat.Y)
    multi = nn.datasets.digits("multiclass", images=True)
    assert multi.X.shape[1:] == (8, 8, 1) and multi.task.kind == "multiclass"
    assert 0.0 <= imgs.X.min() and imgs.X.max() <= 1.0
    with pytest.raises(TypeError, match="images must be True or False"):
        nn.datasets.digits(images=1)


def test_a_dataset_of_images_counts_and_splits_its_examples_along_the_first_axis():
    X = np.arange(10, dtype=np.float64)[:, None, None, None] * np.ones((10, 3, 3, 2))
    Y = (np.arange(10) % 2).reshape(1, 10).astype(np.float64)
    data = Dataset(X, Y, ["even", "odd"], name="squares")
    assert data.m == 10 and "X (10, 3, 3, 2)" in repr(data)
    split = data.split(0.3, seed=0)
    assert split.X.shape == (7, 3, 3, 2) and split.test.X.shape == (3, 3, 3, 2)
    for part in (split, split.test):
        np.testing.assert_array_equal(part.X[:, 0, 0, 0] % 2, part.Y[0])  # each image keeps its label
    with pytest.raises(ValueError, match=r"X \(10, 3, 3, 2\) has 10 examples \(images .*\) but Y \(1, 9\) has 9"):
        Dataset(X, Y[:, :9], ["even", "odd"])
