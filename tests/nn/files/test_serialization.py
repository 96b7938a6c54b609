"""HDF5 save/load: round trips, atomic writes, and clear errors that change nothing."""

import json
import os

import h5py
import numpy as np
import pytest

import nn


def same_parameters(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(np.array_equal(sa[k], sb[k]) and sa[k].dtype == sb[k].dtype for k in sa)


def test_mlp_round_trip_rebuilds_architecture_and_predictions(tmp_path):
    model = nn.MLP([5, 4, 3, 1], hidden="leaky_relu", slope=0.2, rng=1)
    nn.save(model, tmp_path / "model.h5")
    loaded = nn.load(tmp_path / "model.h5")
    assert isinstance(loaded, nn.MLP) and loaded.layer_dims == [5, 4, 3, 1] and loaded.hidden == "leaky_relu"
    assert same_parameters(model, loaded)
    X = np.random.RandomState(0).randn(5, 7)
    np.testing.assert_array_equal(model(X).data, loaded(X).data)


def test_file_layout_one_group_per_layer_and_json_architecture(tmp_path):
    model = nn.MLP([3, 2, 1], rng=1).astype(np.float32)
    nn.save(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert sorted(f.keys()) == ["layer1", "layer2"] and sorted(f["layer1"].keys()) == ["W1", "b1"]
        assert f["layer2"]["W2"].dtype == np.float32
        assert f.attrs["format"] == "tinygrad-nb" and f.attrs["format_version"] == 2
        assert json.loads(f.attrs["architecture"])["layer_dims"] == [3, 2, 1]
    assert nn.load(tmp_path / "m.h5").parameters()[0].dtype == np.float32


def test_sequential_with_dropout_and_softmax_round_trips(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.Tanh(), nn.Dropout(keep_prob=0.7), nn.Linear(3, 2, rng=1),
                          nn.Softmax())
    nn.save(model, tmp_path / "s.h5")
    loaded = nn.load(tmp_path / "s.h5")
    assert [type(m).__name__ for m in loaded.layers] == ["Linear", "Tanh", "Dropout", "Linear", "Softmax"]
    assert loaded.layers[2].keep_prob == 0.7 and same_parameters(model, loaded)


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "model.h5"
    nn.save(nn.MLP([3, 1], rng=1), path)
    nn.save(nn.MLP([3, 1], rng=2), path)  # overwrite by replace
    assert os.listdir(tmp_path) == ["model.h5"]
    np.testing.assert_array_equal(nn.load(path).state_dict()["W1"], nn.MLP([3, 1], rng=2).state_dict()["W1"])


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.h5"
    nn.save(nn.MLP([3, 1], rng=1), path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(nn.files.serialization.os, "replace", explode)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.MLP([3, 1], rng=2), path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.h5"]


def test_load_into_a_model_names_bad_keys_and_changes_nothing(tmp_path):
    nn.save(nn.MLP([3, 4, 1], rng=1), tmp_path / "other.h5")
    model = nn.MLP([3, 2, 1], rng=5)
    before = model.state_dict()
    with pytest.raises(ValueError) as err:
        nn.load(tmp_path / "other.h5", model=model)
    assert "'W1' has shape (4, 3), the model needs (2, 3)" in str(err.value)
    assert "'W2' has shape (1, 4)" in str(err.value)
    assert all(np.array_equal(v, before[k]) for k, v in model.state_dict().items())
    deep = nn.MLP([3, 2, 2, 1], rng=0)
    with pytest.raises(ValueError, match="missing key 'W3'"):
        nn.load(tmp_path / "other.h5", model=deep)


def test_foreign_corrupt_and_missing_files(tmp_path):
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = np.ones(3)
    with pytest.raises(ValueError, match="not a tinygrad-nb model"):
        nn.load(tmp_path / "foreign.h5")
    (tmp_path / "corrupt.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        nn.load(tmp_path / "corrupt.h5")
    nn.save(nn.MLP([3, 1]), tmp_path / "ok.h5")
    data = (tmp_path / "ok.h5").read_bytes()
    (tmp_path / "truncated.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated|corrupt|damaged"):
        nn.load(tmp_path / "truncated.h5")
    with pytest.raises(FileNotFoundError, match="no model file"):
        nn.load(tmp_path / "absent.h5")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.save(nn.MLP([3, 1]), tmp_path / "no" / "such" / "m.h5")


def test_save_and_load_round_trip_flatten_and_dropout_given_as_p(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 3, rng=0), nn.Tanh(), nn.Dropout(p=0.25),
                          nn.Linear(3, 1, rng=1), nn.Sigmoid())
    nn.save(model, tmp_path / "m.h5")
    loaded = nn.load(tmp_path / "m.h5")
    assert isinstance(loaded[0], nn.Flatten) and loaded[3].keep_prob == 0.75
    X = np.random.RandomState(3).rand(5, 2, 3)  # m = 5 examples first: Flatten gives (6, 5)
    np.testing.assert_array_equal(loaded.eval()(X).data, model.eval()(X).data)
