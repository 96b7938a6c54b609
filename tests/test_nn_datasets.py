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
    ten = nn.datasets.digits(task="multiclass", seed=3)
    assert set(np.unique(ten.train.Y)) == set(range(10))
    np.testing.assert_array_equal(nn.datasets.digits(seed=3).train.X, ten.train.X)


@needs_cat_data
def test_load_course_split_finds_the_test_file_beside_the_train_file(tmp_path):
    train, test = nn.datasets.load_course_split(TRAIN)
    assert train.X.shape == (12288, 209) and test.X.shape == (12288, 50)
    lonely = tmp_path / "train_catvnoncat.h5"
    lonely.write_bytes(TRAIN.read_bytes())
    assert nn.datasets.load_course_split(lonely)[1] is None


def course_file(path, x=None, y=None, classes=None, edit=None):
    """A small file in the course's layout: train_set_x (m, 4, 4, 3) uint8, train_set_y (m,), list_classes."""
    rng = np.random.RandomState(0)
    with h5py.File(path, "w") as f:
        f["train_set_x"] = rng.randint(0, 256, size=(5, 4, 4, 3)).astype(np.uint8) if x is None else x
        f["train_set_y"] = np.array([0, 1, 1, 0, 1]) if y is None else y
        f["list_classes"] = np.array([b"non-cat", b"cat"]) if classes is None else classes
        if edit:
            edit(f)
    return path


def test_load_course_h5_reads_a_small_course_file(tmp_path):
    d = nn.datasets.load_course_h5(course_file(tmp_path / "train.h5", classes=["non-cat", "cat"]))  # vlen strings
    assert d.X.shape == (48, 5) and d.Y.tolist() == [[0, 1, 1, 0, 1]] and d.classes == ["non-cat", "cat"]
    with h5py.File(tmp_path / "train.h5", "r") as f:
        np.testing.assert_array_equal(d.X[:, 2], f["train_set_x"][2].reshape(-1) / 255.0)


def test_load_course_h5_reads_only_data_stored_inside_the_file(tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(bytes(range(240)))

    def external(f):
        del f["train_set_x"]
        f.create_dataset("train_set_x", shape=(5, 4, 4, 3), dtype=np.uint8, external=[(str(secret), 0, 240)])

    with pytest.raises(ValueError, match="train_set_x keeps its data in external files"):
        nn.datasets.load_course_h5(course_file(tmp_path / "ext.h5", edit=external))

    def link(f):
        del f["train_set_x"]
        f["train_set_x"] = h5py.ExternalLink(str(tmp_path / "ext.h5"), "/train_set_x")

    with pytest.raises(ValueError, match="train_set_x is an external link to"):
        nn.datasets.load_course_h5(course_file(tmp_path / "link.h5", edit=link))


def test_load_course_h5_refuses_scalars_strings_and_forged_sizes(tmp_path):
    cases = {
        "scalar_x": ({"x": 3.0}, r"train_set_x should hold m >= 1 images, shape \(m, 64, 64, 3\); got shape \(\)"),
        "scalar_y": ({"y": 1.0}, r"has 5 images but 1 labels \(train_set_y has shape \(\)\)"),
        "string_x": ({"x": np.array([b"cat"] * 5)}, r"train_set_x has dtype \|S3; expected numbers"),
        "no_images": ({"x": np.zeros((0, 4, 4, 3), np.uint8), "y": np.zeros(0)}, "should hold m >= 1 images"),
    }
    for name, (kwargs, match) in cases.items():
        with pytest.raises(ValueError, match=match):
            nn.datasets.load_course_h5(course_file(tmp_path / f"{name}.h5", **kwargs))

    def forged(f):
        del f["train_set_x"]
        f.create_dataset("train_set_x", shape=(100_000, 64, 64, 3), dtype=np.uint8)  # 1.2 GB declared, none stored

    with pytest.raises(ValueError, match=r"train_set_x declares shape \(100000, 64, 64, 3\) uint8 \(1.2 GB\)"):
        nn.datasets.load_course_h5(course_file(tmp_path / "forged.h5", edit=forged))


@pytest.mark.parametrize("fraction", [0.9999, 0.0001])
def test_digits_refuses_a_split_with_an_empty_side(fraction):
    with pytest.raises(ValueError, match=f"test_fraction={fraction} of 1797 examples leaves .* both need at least one"):
        nn.datasets.digits(test_fraction=fraction)


def test_digits_test_fraction_must_be_a_number_in_the_open_interval():
    for bad in (0, 1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="test_fraction must be in"):
            nn.datasets.digits(test_fraction=bad)
    with pytest.raises(TypeError, match="test_fraction must be a number"):
        nn.datasets.digits(test_fraction="0.2")
