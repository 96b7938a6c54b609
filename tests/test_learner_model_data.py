"""A learner's first hour: a model that knows its task, one Dataset type, summaries, and messages that say the fix."""

import json
import re
import warnings

import h5py
import numpy as np
import pytest

import nn
from nn.data.datasets import Dataset, Split
from nn.files.hdf5 import BadFileError, write_seal
from tinygrad_nb import Tensor, grad, no_grad

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
        nn.MLP([2, 1], task=nn.Task("binary", output="logits"))
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
    """A model file written by hand (as tests/test_files_hostile.py does) with ``task`` as its task attribute."""
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


# ----- 3. parameter counts --------------------------------------------------------------------------------------

def test_summary_lists_each_layer_in_course_notation_with_counts():
    model = nn.MLP([2, 4, 1], hidden="tanh", task=nn.Task("binary", ["red", "blue"]))
    text = model.summary()
    assert isinstance(text, str) and repr(text) == str(text)  # a notebook shows the table, not an escaped string
    lines = text.splitlines()
    assert lines[0] == "MLP(layer_dims=[2, 4, 1], hidden='tanh', output='sigmoid')"
    assert re.fullmatch(r"1 +Linear +W1 \(4, 2\), b1 \(4, 1\) +12 +Z1 \(4, m\)", lines[2])
    assert re.fullmatch(r" +Tanh +A1 \(4, m\)", lines[3])
    assert re.fullmatch(r"2 +Linear +W2 \(1, 4\), b2 \(1, 1\) +5 +Z2 \(1, m\)", lines[4])
    assert lines[-2:] == ["total: 17 parameters (W: 12, b: 5)", "task: binary (red, blue), outputs probabilities"]
    assert nn.summary(model) == text


def test_a_shared_layer_is_counted_once_in_the_summary():
    lin = nn.Linear(3, 3)
    text = nn.Sequential(lin, nn.ReLU(), lin, nn.Sigmoid()).summary()
    assert "shared" in text and "total: 12 parameters" in text


def test_reprs_show_parameter_counts():
    assert repr(nn.Linear(2, 4)) == "Linear(n_in=2, n_out=4: W (4, 2), b (4, 1), params=12)"
    seq = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    assert repr(seq).splitlines()[0] == "Sequential(  # params=17"
    assert repr(nn.MLP([2, 4, 1])).splitlines()[0] == ("MLP(layer_dims=[2, 4, 1], hidden='relu', "
                                                        "output='sigmoid', params=17)")
    assert nn.MLP([12288, 20, 7, 5, 1]).count_parameters() == 12288 * 20 + 20 + 20 * 7 + 7 + 7 * 5 + 5 + 5 + 1


# ----- 4. transposed data ---------------------------------------------------------------------------------------

def test_data_with_examples_as_rows_gets_did_you_mean_the_transpose():
    model = nn.MLP([3, 5, 1], rng=0)
    with pytest.raises(ValueError, match=r"Linear 1 expects X with 3 rows, got \(10, 3\) .*did you mean X\.T\? "
                                         r"\(10, 3\) looks like 10 examples as rows of 3 features"):
        model(np.ones((10, 3)))
    with pytest.raises(ValueError, match=r"did you mean A1\.T\?"):
        model.linears()[1](np.ones((7, 5)))
    with pytest.raises(ValueError) as err:
        model(np.ones((4, 10)))  # simply the wrong size: no transpose would fit
    assert "did you mean" not in str(err.value)


# ----- 5. forgetting requires_grad --------------------------------------------------------------------------------

def test_backward_without_requires_grad_names_the_result_and_the_fix():
    W, X = Tensor(np.ones((1, 2))), Tensor(np.ones((2, 5)), name="X")
    J = (W @ X).sigmoid().mean()
    with pytest.raises(RuntimeError) as err:
        J.backward()
    message = str(err.value)
    assert message.startswith("backward: mean(sigmoid(...)) of shape () does not require grad: none of the tensors "
                              "it was computed from requires grad")
    assert "requires_grad=True" in message and "nn.Linear" in message and "nn.Parameter" in message
    J.name = "J"
    with pytest.raises(RuntimeError, match=r"backward: J = mean\(sigmoid\(\.\.\.\)\) of shape \(\)"):
        J.backward()
    Z = W @ X  # an unnamed leaf is labelled by its shape, a named one by its name
    with pytest.raises(RuntimeError, match=r"backward: matmul\(Tensor\(1, 2\), X\) of shape \(1, 5\)"):
        Z.backward(np.ones((1, 5)))


def test_backward_of_a_result_computed_under_no_grad_says_so():
    W = Tensor(np.ones((1, 2)), requires_grad=True, name="W")
    with no_grad():
        J = (W * 2.0).sum()
    with pytest.raises(RuntimeError, match=r"sum\(mul\(\.\.\.\)\) of shape \(\) does not require grad: it was "
                                           r"computed under no_grad\(\)"):
        J.backward()
    with pytest.raises(RuntimeError, match=r"grad: output sum\(mul\(\.\.\.\)\) .* under no_grad\(\)"):
        grad(J, [W])


def test_grad_with_respect_to_a_tensor_without_requires_grad_names_it_and_the_fix():
    x = Tensor(np.ones(3), name="x")
    with pytest.raises(RuntimeError, match=r"grad: input x \(3,\) does not require grad: .*requires_grad=True.*"
                                           r"requires_grad_\(\)"):
        grad((x * x).sum(), [x])


def test_no_warning_is_left_behind_by_the_new_api():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.datasets.digits(task="multiclass").split  # noqa: B018 - only the call may warn
        nn.MLP([2, 1], task=nn.Task("binary")).summary()
