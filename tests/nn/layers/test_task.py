"""A model that knows its task (nn.Task): saved and loaded with the model, under the checksum seal, checked
against the data it predicts and against the architecture it is given to."""

import json

import h5py
import numpy as np
import pytest

import nn
from nn.files.hdf5 import BadFileError, write_seal

TEN = nn.Task("multiclass", classes=10)
ODD_EVEN = nn.Task("binary", ["even", "odd"])


def multiclass_model(task=TEN):
    return nn.MLP([4, 3, 10], output="identity", rng=0, task=task)


# ----- 1. a saved model knows its task --------------------------------------------------------------------------

def test_save_and_load_keep_the_task_with_what_the_output_means(tmp_path):
    nn.save(multiclass_model(), tmp_path / "ten.h5")
    nn.save(nn.MLP([4, 3, 1], rng=0, task=ODD_EVEN), tmp_path / "two.h5")
    ten, two = nn.load(tmp_path / "ten.h5"), nn.load(tmp_path / "two.h5")
    assert ten.task == nn.Task("multiclass", [str(d) for d in range(10)], output="logits")  # Z[L]: argmax
    assert two.task == nn.Task("binary", ["even", "odd"], output="probabilities")  # a sigmoid: A[L] > 0.5
    given = nn.MLP([4, 3, 10], output="identity")
    nn.load(tmp_path / "ten.h5", model=given)
    assert given.task == ten.task


def test_a_file_saved_without_a_task_loads_with_none_and_keeps_a_given_models_task(tmp_path):
    nn.save(nn.MLP([4, 3, 10], output="identity", rng=0), tmp_path / "plain.h5")
    with h5py.File(tmp_path / "plain.h5", "r") as f:
        assert "task" not in f.attrs and f.attrs["format_version"] == 2  # no new version: old readers still read it
    assert nn.load(tmp_path / "plain.h5").task is None
    given = multiclass_model()
    nn.load(tmp_path / "plain.h5", model=given)
    assert given.task == TEN.with_output("logits")


def test_predicting_a_multiclass_model_on_binary_labels_is_refused_naming_both(tmp_path):
    nn.save(nn.MLP([64, 8, 10], output="identity", rng=0, task=TEN), tmp_path / "multiclass.h5")
    model = nn.load(tmp_path / "multiclass.h5")
    data = nn.datasets.digits(task="binary")
    with pytest.raises(nn.TaskMismatchError) as err:
        nn.check_task(model, data.test, model_name="multiclass.h5", fix="predict with --task multiclass")
    assert str(err.value) == ("multiclass.h5 was trained for multiclass (classes 0..9); the data (digits test) has "
                              "binary labels (even, odd): predict with --task multiclass")
    assert err.value.expected == model.task and err.value.found == data.task
    assert nn.check_task(model, nn.datasets.digits(task="multiclass")) == model.task
    assert nn.check_task(nn.MLP([64, 1]), data) is None  # no task stored: nothing to check


def test_the_same_kind_with_other_classes_is_a_mismatch():
    with pytest.raises(ValueError, match=r"trained for binary \(even, odd\); the data \(planar\) has binary labels "
                                         r"\(red, blue\)"):
        nn.check_task(nn.MLP([2, 1], task=ODD_EVEN), nn.datasets.planar())
    with pytest.raises(ValueError, match="the same classes in another order"):
        ODD_EVEN.check_matches(nn.Task("binary", ["odd", "even"]))
    ODD_EVEN.check_matches(nn.Task("binary"))  # a file without class names ("0", "1") is not refused for that
    with pytest.raises(ValueError, match=r"trained for binary \(even, odd\); the data has multiclass labels"):
        ODD_EVEN.check_matches(nn.Task("multiclass", 2))


def test_a_task_must_fit_the_model_it_is_given_to():
    with pytest.raises(ValueError, match=r"n\[L\] = 1 output unit but the task is multiclass \(classes 0..9\), "
                                         r"which needs n\[L\] = 10"):
        nn.MLP([2, 1]).task = TEN
    with pytest.raises(ValueError, match="outputs logits, but its last layer gives probabilities"):
        nn.MLP([2, 1], output="sigmoid", task=nn.Task("binary", output="logits"))
    with pytest.raises(ValueError, match="outputs logits, but its last layer gives probabilities"):
        nn.MLP([2, 1]).task = nn.Task("binary", output="logits")
    assert "output='identity'" in repr(nn.MLP([2, 1], task=nn.Task("binary", output="logits")))  # the task chose
    with pytest.raises(TypeError, match="must be an nn.Task or None"):
        nn.MLP([2, 1]).task = "binary"
    model = nn.MLP([2, 1], task=ODD_EVEN)
    model.task = None
    assert model.task is None


@pytest.mark.parametrize("args, match", [
    (("ternary",), "kind must be 'binary' or 'multiclass'"),
    (("binary", ["a", "b", "c"]), "exactly 2 classes"),
    (("multiclass",), "needs its classes"),
    (("multiclass", ["a", "a"]), "named twice"),
    (("binary", None, "odds"), "output must be"),
])
def test_task_refuses_what_it_cannot_mean(args, match):
    with pytest.raises(ValueError, match=match):
        nn.Task(*args)


def hand_written(path, version, task):
    """A model file written by hand (as tests/nn/files/test_hostile_files.py does) with ``task`` as its task
    attribute."""
    model = nn.MLP([3, 2, 1], rng=0)
    with h5py.File(path, "w", userblock_size=4096) as f:
        f.attrs["format"], f.attrs["format_version"] = "tinygrad-nb", version
        f.attrs["architecture"] = json.dumps(model.config())
        f.attrs["task"] = task
        for name, array in model.state_dict().items():
            f.require_group(f"layer{name[1:]}").create_dataset(name, data=array)
    if version == 2:
        write_seal(path, 4096)
    return path


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("task, match", [
    ("not json", "the stored task is invalid: the task is not valid JSON"),
    ("[1, 2]", "should be a JSON object with a 'kind'"),
    (json.dumps({"kind": "ternary", "classes": ["a", "b"]}), "kind must be 'binary' or 'multiclass'"),
    (json.dumps({"kind": "binary", "classes": "ab"}), "classes should be a list"),
    (json.dumps({"kind": "multiclass", "classes": [str(i) for i in range(20_000)]}), "at most"),
    (json.dumps({"kind": "binary", "classes": [1, 2]}), "non-empty strings"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply|not valid JSON"),
    (json.dumps({"kind": "multiclass", "classes": ["a", "b", "c"]}), r"needs n\[L\] = 3 output units, but the stored "
                                                                       r"architecture has n\[L\] = 1"),
    (np.array([b"a", b"b"]), "should be a single value"),
    (12, "should be a JSON string"),
])
def test_a_malformed_task_is_refused_by_name_and_changes_nothing(tmp_path, version, task, match):
    path = hand_written(tmp_path / "m.h5", version, task)
    with pytest.raises(BadFileError, match=match) as err:
        nn.load(path)
    assert str(path) in str(err.value)
    given = nn.MLP([3, 2, 1], rng=1, task=ODD_EVEN)
    before = given.state_dict()
    with pytest.raises(BadFileError, match=match):
        nn.load(path, model=given)
    assert given.task == ODD_EVEN.with_output("probabilities")
    assert all(np.array_equal(v, before[k]) for k, v in given.state_dict().items())


@pytest.mark.parametrize("version", [1, 2])
def test_a_task_whose_output_contradicts_the_architecture_is_refused_unless_a_model_is_given(tmp_path, version):
    path = hand_written(tmp_path / "m.h5", version, nn.Task("binary", ["a", "b"], output="logits").to_json())
    with pytest.raises(BadFileError, match=r"the stored task does not fit its model: .*outputs logits, but its last "
                                           r"layer gives probabilities"):
        nn.load(path)  # the stored MLP ends in a sigmoid
    given = nn.MLP([3, 2, 1], output="identity")
    nn.load(path, model=given)  # the given model's last layer says what its output is
    assert given.task == nn.Task("binary", ["a", "b"], output="logits")


def test_the_task_is_under_the_checksum_seal(tmp_path):
    path = nn.save(multiclass_model(), tmp_path / "m.h5")
    raw = bytearray(path.read_bytes())
    at = raw.index(b'"multiclass"')
    raw[at + 1:at + 6] = b"binar"  # "binarclass": an edit h5py would read without complaint
    path.write_bytes(bytes(raw))
    with pytest.raises(BadFileError, match="does not match its checksum"):
        nn.load(path)
