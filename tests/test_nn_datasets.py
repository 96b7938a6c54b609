"""Datasets in the course's layout: the cat files (when present), planar, digits."""

import hashlib

import h5py
import numpy as np
import pytest
from _shared import TEST, TRAIN, needs_cat_data

import nn


@needs_cat_data
def test_load_course_h5_matches_the_courses_preprocessing():
    assert hashlib.sha256(TRAIN.read_bytes()).hexdigest().startswith("fbe56ab6")
    train, test = nn.datasets.load_course_h5(TRAIN), nn.datasets.load_course_h5(TEST)
    assert train.X.shape == (12288, 209) and train.Y.shape == (1, 209)
    assert test.X.shape == (12288, 50) and test.Y.shape == (1, 50)
    assert train.classes == ["non-cat", "cat"]
    with h5py.File(TRAIN, "r") as f:
        raw = np.array(f["train_set_x"])
    np.testing.assert_array_equal(train.X[:, 7], raw[7].reshape(-1) / 255.0)  # column j is image j, C order
    assert train.X.dtype == np.float64 and 0 <= train.X.min() and train.X.max() <= 1


def test_load_course_h5_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        nn.datasets.load_course_h5(tmp_path / "missing.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["images"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="lacks the course's keys"):
        nn.datasets.load_course_h5(tmp_path / "other.h5")


def test_planar_shape_balance_and_seed():
    d = nn.datasets.planar()
    assert d.X.shape == (2, 400) and d.Y.shape == (1, 400) and d.Y.sum() == 200
    assert np.array_equal(d.X, nn.datasets.planar().X)
    assert not np.array_equal(d.X, nn.datasets.planar(seed=2).X)
    assert np.abs(d.X).max() < 5  # petals of radius about a = 4
    with pytest.raises(ValueError, match="even int"):
        nn.datasets.planar(m=3)


def test_digits_binary_and_multiclass():
    split = nn.datasets.digits()
    assert split.train.X.shape[0] == 64 and split.train.X.shape[1] + split.test.X.shape[1] == 1797
    assert set(np.unique(split.train.Y)) == {0.0, 1.0} and split.train.X.max() <= 1.0
    ten = nn.datasets.digits(binary=False, seed=3)
    assert set(np.unique(ten.train.Y)) == set(range(10))
    np.testing.assert_array_equal(nn.datasets.digits(seed=3).train.X, ten.train.X)


@needs_cat_data
def test_load_course_split_finds_the_test_file_beside_the_train_file(tmp_path):
    train, test = nn.datasets.load_course_split(TRAIN)
    assert train.X.shape == (12288, 209) and test.X.shape == (12288, 50)
    lonely = tmp_path / "train_catvnoncat.h5"
    lonely.write_bytes(TRAIN.read_bytes())
    assert nn.datasets.load_course_split(lonely)[1] is None
