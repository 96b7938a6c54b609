"""nn.save / nn.load keep a BatchNorm whole: its configuration, gamma and beta, and its running averages (buffers),
under the names a Sequential gives them (gamma{l}, running_mean{l}); a model saved in eval mode predicts the same
after loading; files that lie about a buffer are refused naming it; files from before BatchNorm still load."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import nn
from nn.files.hdf5 import BadFileError, write_seal
from nn.files.serialization import _expected_shapes, build
from nn.layers.batchnorm import BatchNorm

X_IMAGES = np.random.RandomState(7).rand(6, 8, 8, 3)
X_DENSE = np.random.RandomState(8).randn(3, 10)


def cnn():
    """The course-4 head with BatchNorm in both layouts, its running averages moved away from 0 and 1."""
    model = nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), BatchNorm(4, layout="conv", momentum=0.3), nn.ReLU(),
                          nn.MaxPool2D(2), nn.Flatten(), nn.Linear(36, 5, rng=1), BatchNorm(5, eps=1e-3), nn.ReLU(),
                          nn.Linear(5, 1, rng=2), nn.Sigmoid())
    rs = np.random.RandomState(1)
    for p in model.parameters():
        p.data = p.data + 0.1 * rs.randn(*p.shape)
    for _ in range(3):  # training passes: the running averages move
        model(rs.rand(6, 8, 8, 3) * 2)
    return model


def dense():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), BatchNorm(4), nn.Tanh(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    for _ in range(2):
        model(np.random.RandomState(3).randn(3, 10) + 1)
    return model


def assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        np.testing.assert_array_equal(sa[name], sb[name], err_msg=name)
        assert sa[name].dtype == sb[name].dtype, name


def test_a_cnn_with_batchnorm_round_trips_its_running_averages_and_predicts_the_same(tmp_path):
    model = cnn().eval()
    assert not np.allclose(model.state_dict()["running_mean1"], 0)
    nn.save(model, tmp_path / "cnn.h5")
    loaded = nn.load(tmp_path / "cnn.h5")
    assert loaded.config() == model.config()
    bn_conv, bn_dense = loaded[1], loaded[6]
    assert (bn_conv.n, bn_conv.layout, bn_conv.momentum) == (4, "conv", 0.3)
    assert (bn_dense.n, bn_dense.layout, bn_dense.eps) == (5, "dense", 1e-3)
    assert_same_state(loaded, model)
    assert loaded.training  # the mode is not stored: a rebuilt model starts in training mode, as a fresh one
    np.testing.assert_array_equal(loaded.eval()(X_IMAGES).data, model(X_IMAGES).data)
    np.testing.assert_array_equal(nn.predict(loaded.train(), X_IMAGES), nn.predict(model, X_IMAGES))
    assert loaded.training  # predict ran in eval mode and put the mode back


def test_the_file_holds_the_buffers_beside_the_parameters(tmp_path):
    path = nn.save(cnn(), tmp_path / "cnn.h5")
    with h5py.File(path, "r") as f:
        assert sorted(f["layer1"]) == ["W1", "b1", "beta1", "gamma1", "running_mean1", "running_var1"]
        assert f["layer2/running_var2"].shape == (5, 1) and f["layer1/running_var1"].shape == (1, 1, 1, 4)
        assert f.attrs["format_version"] == 2
        bn = json.loads(f.attrs["architecture"])["layers"][1]
    assert bn == {"type": "BatchNorm", "n": 4, "eps": 1e-5, "momentum": 0.3, "layout": "conv"}


def test_a_dense_model_in_float32_round_trips(tmp_path):
    model = dense().astype(np.float32)
    loaded = nn.load(nn.save(model, tmp_path / "d.h5"))
    assert_same_state(loaded, model)
    assert loaded.state_dict()["running_var1"].dtype == np.float32
    np.testing.assert_array_equal(loaded.eval()(X_DENSE.astype(np.float32)).data,
                                  model.eval()(X_DENSE.astype(np.float32)).data)


def test_loading_into_a_given_model_restores_the_buffers_in_place_and_keeps_its_mode(tmp_path):
    model = dense().eval()
    path = nn.save(model, tmp_path / "d.h5")
    target = nn.Sequential(nn.Linear(3, 4), BatchNorm(4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid()).eval()
    arrays = target[1].running_mean, target[1].running_var
    assert nn.load(path, model=target) is target
    assert target[1].running_mean is arrays[0] and target[1].running_var is arrays[1]  # copied into
    assert_same_state(target, model)
    assert not target.training
    np.testing.assert_array_equal(target(X_DENSE).data, model(X_DENSE).data)


def test_loading_into_a_model_without_the_batchnorm_is_refused_naming_the_keys(tmp_path):
    path = nn.save(dense(), tmp_path / "d.h5")
    plain = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    before = plain.state_dict()
    with pytest.raises(ValueError, match=r"unexpected key 'gamma1'.*unexpected key 'running_mean1'"):
        nn.load(path, model=plain)
    for name, value in plain.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_nested_shared_and_repeated_batchnorms_round_trip_under_their_names(tmp_path):
    lin, bn = nn.Linear(3, 3, rng=0), BatchNorm(3)
    inner = nn.Sequential(nn.Linear(3, 3, rng=1), BatchNorm(3))
    model = nn.Sequential(BatchNorm(3), lin, bn, nn.Tanh(), inner, BatchNorm(3), lin, bn, nn.Sigmoid())
    model(X_DENSE)
    model.eval()
    names = list(model.state_dict())
    assert names[:8] == ["gamma0", "beta0", "W1", "b1", "gamma1", "beta1", "W2", "b2"]
    assert "gamma2_2" in names and "running_var2_2" in names
    expected, unknown, _ = _expected_shapes(model.config(), "test")
    assert unknown is None and expected == {name: a.shape for name, a in model.state_dict().items()}
    loaded = nn.load(nn.save(model, tmp_path / "m.h5"))
    assert loaded[2] is loaded[7] and loaded[1] is loaded[6]  # still one layer each
    assert_same_state(loaded, model)
    np.testing.assert_array_equal(loaded.eval()(X_DENSE).data, model(X_DENSE).data)


def test_a_batchnorm_saved_on_its_own_round_trips(tmp_path):
    bn = BatchNorm(3, momentum=0.5, layout="conv")
    bn(np.random.RandomState(0).randn(2, 2, 2, 3))
    loaded = nn.load(nn.save(bn, tmp_path / "bn.h5"))
    assert isinstance(loaded, BatchNorm) and loaded.config() == bn.config()
    assert list(loaded.state_dict()) == ["gamma", "beta", "running_mean", "running_var"]
    assert_same_state(loaded, bn)


def test_the_expected_shapes_of_a_file_are_the_models_state_dict():
    for model in (cnn(), dense(), nn.Sequential(nn.Linear(2, 3), BatchNorm(3), BatchNorm(3), nn.Sequential(
            nn.Linear(3, 3), BatchNorm(3)))):
        expected, unknown, _ = _expected_shapes(model.config(), "test")
        assert unknown is None
        assert expected == {name: a.shape for name, a in model.state_dict().items()}
        assert list(build(model.config()).state_dict()) == list(model.state_dict())


# ----- files that lie ------------------------------------------------------------------------------------------


def rewrite(path, edit):
    """Change a saved file with h5py, then reseal it as an attacker would (so the structural checks are tested)."""
    with h5py.File(path, "r+") as f:
        userblock = f.userblock_size
        edit(f)
    write_seal(path, userblock)
    return path


def refused(path, match, model=None):
    before = model.state_dict() if model is not None else None
    with pytest.raises(BadFileError, match=match) as err:
        nn.load(path, model=model)
    assert str(path) in str(err.value)
    if model is not None:
        for name, value in model.state_dict().items():
            np.testing.assert_array_equal(value, before[name])


def test_a_buffer_of_the_wrong_shape_is_refused_naming_it(tmp_path):
    def wrong(f):
        del f["layer2/running_var2"]
        f["layer2"].create_dataset("running_var2", data=np.ones((1, 5)))

    path = rewrite(nn.save(cnn(), tmp_path / "cnn.h5"), wrong)
    message = r"does not match its own architecture: buffer running_var2 is stored as \(1, 5\), the architecture " \
              r"needs \(5, 1\)$"
    refused(path, message)
    refused(path, message, model=cnn())  # the given model is left as it was


def test_a_missing_or_extra_buffer_is_refused(tmp_path):
    path = rewrite(nn.save(dense(), tmp_path / "d.h5"), lambda f: f.__delitem__("layer1/running_mean1"))
    refused(path, r"buffer running_mean1 \(4, 1\) is missing")
    path = rewrite(nn.save(dense(), tmp_path / "e.h5"),
                   lambda f: f["layer1"].create_dataset("running_mean9", data=np.zeros((4, 1))))
    refused(path, r"running_mean9 is stored but the architecture has no such parameter or buffer")


def test_an_invalid_batchnorm_configuration_is_refused(tmp_path):
    for key, value, match in (("layout", "sideways", "layout must be one of 'dense', 'conv'"),
                              ("n", 0, "n must be a positive int"), ("momentum", 2.0, "momentum")):
        def edit(f, key=key, value=value):
            architecture = json.loads(f.attrs["architecture"])
            architecture["layers"][1][key] = value
            f.attrs["architecture"] = json.dumps(architecture)

        path = rewrite(nn.save(dense(), tmp_path / f"{key}.h5"), edit)
        refused(path, rf"the stored architecture is invalid \({match}")


def test_files_without_buffers_from_before_batchnorm_still_load(tmp_path):
    params = {"W1": np.arange(6.0).reshape(2, 3), "b1": np.zeros((2, 1)), "W2": np.ones((1, 2)), "b2": np.zeros((1, 1))}
    architecture = {"type": "Sequential", "layers": [{"type": "Linear", "n_in": 3, "n_out": 2}, {"type": "ReLU"},
                                                      {"type": "Linear", "n_in": 2, "n_out": 1}, {"type": "Sigmoid"}]}
    for version in (1, 2):
        path = tmp_path / f"v{version}.h5"
        with h5py.File(path, "w", userblock_size=4096) as f:
            f.attrs["format"], f.attrs["format_version"] = "tinygrad-nb", version
            f.attrs["architecture"] = json.dumps(architecture)
            for name, array in params.items():
                f.require_group(f"layer{name[1:]}").create_dataset(name, data=array)
        if version == 2:
            write_seal(path, 4096)
        loaded = nn.load(path)
        assert list(loaded.state_dict()) == list(params) and loaded.buffers() == []
        np.testing.assert_array_equal(loaded.state_dict()["W1"], params["W1"])


# ----- trained with nn.fit -------------------------------------------------------------------------------------


def test_a_model_trained_with_fit_predicts_the_same_after_save_and_load(tmp_path):
    rs = np.random.RandomState(0)
    X = rs.randn(2, 64) * 3 + 1
    Y = (X[0:1] * X[1:2] > 1).astype(float)
    model = nn.Sequential(nn.Linear(2, 6, rng=1), BatchNorm(6), nn.Tanh(), nn.Linear(6, 1, rng=2), nn.Sigmoid())
    costs = nn.fit(model, X, Y, optimizer=nn.optim.Adam(model.parameters(), lr=0.05), num_iterations=20,
                   batch_size=16, print_cost=False, progress=False)
    assert costs[-1] < costs[0]
    state = model.state_dict()
    assert not np.allclose(state["running_mean1"], 0) and not np.allclose(state["running_var1"], 1)
    loaded = nn.load(nn.save(model, tmp_path / "fitted.h5"))
    assert_same_state(loaded, model)
    np.testing.assert_array_equal(nn.predict(loaded, X), nn.predict(model, X))
    assert nn.accuracy(loaded, X, Y) == nn.accuracy(model, X, Y)
    model.eval()
    np.testing.assert_array_equal(loaded.eval()(X).data, model(X).data)
