"""Datasets in the course's layout: the cat files (when present), planar, digits; one Dataset type, split,
the deprecated spellings."""

import hashlib
import warnings

import h5py
import numpy as np
import pytest
from _shared import TEST, TRAIN, needs_cat_data

import nn
from nn.data.datasets import Dataset, Split


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

TEN = nn.Task("multiclass", classes=10)
ODD_EVEN = nn.Task("binary", ["even", "odd"])


# ----- 2. one Dataset type ----------------------------------------------------------------------------------------

def test_digits_and_planar_return_one_dataset_type_with_a_short_repr():
    digits, planar = nn.datasets.digits(), nn.datasets.planar()
    assert type(digits) is type(planar) is Dataset
    assert digits.X.shape == (64, 1438) and digits.train is digits and digits.test.X.shape == (64, 359)
    assert planar.X.shape == (2, 400) and planar.test is None
    assert repr(digits) == ("Dataset('digits', task='binary', X (64, 1438), Y (1, 1438), classes ['even', 'odd'], "
                            "test: 359 examples)")
    assert repr(nn.datasets.digits(task="multiclass")).startswith(
        "Dataset('digits', task='multiclass', X (64, 1438), Y (1, 1438), classes 0..9,")
    assert str(planar) == "Dataset('planar', task='binary', X (2, 400), Y (1, 400), classes ['red', 'blue'])"
    assert digits.task == ODD_EVEN and planar.task == nn.Task("binary", ["red", "blue"])


def test_binary_is_the_deprecated_spelling_of_task():
    with pytest.warns(DeprecationWarning, match=r"digits\(binary=False\) is deprecated: write digits\(task="
                                                r"'multiclass'\)"):
        old = nn.datasets.digits(binary=False)
    new = nn.datasets.digits(task="multiclass")
    np.testing.assert_array_equal(old.test.Y, new.test.Y)
    assert old.task == new.task == TEN
    with pytest.raises(ValueError, match="task must be 'binary'"):
        nn.datasets.digits(task="ten")
    with pytest.raises(TypeError, match="give task= only"):
        nn.datasets.digits(task="multiclass", binary=True)


def test_split_holds_out_a_test_set_and_planar_can_too():
    planar = nn.datasets.planar(test_fraction=0.25, seed=3)
    assert planar.X.shape == (2, 300) and planar.test.X.shape == (2, 100) and planar.test.task == planar.task
    whole = nn.datasets.planar(seed=3)
    both = np.concatenate([planar.X, planar.test.X], axis=1)
    assert sorted(map(tuple, both.T)) == sorted(map(tuple, whole.X.T))  # the same 400 points, none lost
    assert np.array_equal(whole.split(0.25, seed=3).test.X, planar.test.X)
    with pytest.raises(ValueError, match="already has a test set"):
        planar.split(0.5)
    with pytest.raises(ValueError, match="test_fraction must be in"):
        whole.split(1.0)


def test_the_old_ways_of_using_datasets_keep_working():
    X, Y, classes = nn.datasets.planar()  # a Dataset unpacks as the tuple it was
    assert X.shape == (2, 400) and classes == ["red", "blue"]
    d = Dataset(X, Y, classes)
    assert d.task == nn.Task("binary", ["red", "blue"]) and d.test is None and d.m == 400
    old = Split(d, Dataset(X[:, :10], Y[:, :10], classes))
    assert old.train.X.shape == (2, 400) and old.test.Y.shape == (1, 10)
    with pytest.raises(ValueError, match="has 400 examples .* but Y .* has 10"):
        Dataset(X, Y[:, :10], classes)


def test_no_warning_is_left_behind_by_the_new_api():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.datasets.digits(task="multiclass").split  # noqa: B018 - only the call may warn
        nn.MLP([2, 1], task=nn.Task("binary")).summary()
