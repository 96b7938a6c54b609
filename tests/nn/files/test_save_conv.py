"""Issue 23: nn.save and nn.load keep Conv2D, MaxPool2D and AvgPool2D (configuration and weights); a loaded CNN
predicts as the one saved; the exporters take the convolutional layers."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn.files.portable import portable_layers
from nn.files.serialization import _expected_shapes


def cnn():
    model = nn.Sequential(nn.Conv2D(3, 4, 3, pad="same", rng=0), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Conv2D(4, 6, 2, stride=2, pad=1, rng=1), nn.LeakyReLU(0.1), nn.AvgPool2D(2, stride=1),
                          nn.Flatten(), nn.Linear(24, 5, rng=2), nn.Tanh(), nn.Linear(5, 1, rng=3), nn.Sigmoid())
    for p in model.parameters():  # biases that are not zero, so that loading them is seen
        p.data = p.data + 0.01 * np.random.RandomState(p.size).randn(*p.shape)
    return model


X = np.random.RandomState(7).rand(6, 8, 8, 3)


def test_a_cnn_round_trips_its_layers_and_weights_and_predicts_the_same(tmp_path):
    model = cnn()
    nn.save(model, tmp_path / "cnn.h5")
    loaded = nn.load(tmp_path / "cnn.h5")
    assert loaded.config() == model.config()
    assert [type(m) for m in loaded.layers] == [type(m) for m in model.layers]
    conv = loaded[3]
    assert (conv.n_C_prev, conv.n_C, conv.f, conv.stride, conv.pad) == (4, 6, 2, 2, 1)
    assert loaded[0].same and loaded[0].pad == 1 and (loaded[5].f, loaded[5].stride) == (2, 1)
    saved, back = model.state_dict(), loaded.state_dict()
    assert list(back) == ["W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"]
    for name in saved:
        np.testing.assert_array_equal(back[name], saved[name], err_msg=name)
    np.testing.assert_array_equal(loaded(X).data, model(X).data)
    np.testing.assert_array_equal(nn.predict(loaded, X, threshold=0.6), nn.predict(model, X, threshold=0.6))


def test_the_stored_shapes_are_the_models_and_a_lone_conv2d_keeps_its_number(tmp_path):
    model = cnn()
    expected, unknown, n_L = _expected_shapes(model.config(), "test")
    assert unknown is None and n_L == 1
    assert expected == {name: p.shape for name, p in model.named_parameters()}
    alone = nn.Conv2D(2, 3, 3, index=4, rng=0)
    nn.save(alone, tmp_path / "conv.h5")
    loaded = nn.load(tmp_path / "conv.h5")
    assert sorted(loaded.state_dict()) == ["W4", "b4"] and loaded.index == 4
    np.testing.assert_array_equal(loaded.W.data, alone.W.data)
    pool = nn.load(nn.save(nn.MaxPool2D(3, stride=2), tmp_path / "pool.h5"))
    assert isinstance(pool, nn.MaxPool2D) and (pool.f, pool.stride) == (3, 2)


def test_a_file_whose_filters_do_not_match_its_architecture_is_refused(tmp_path):
    model = nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), nn.ReLU(), nn.Flatten(), nn.Linear(144, 1, rng=1))
    config = model.config()
    config["layers"][0]["n_C"] = 5  # the file says 5 filters, W1 holds 4
    expected, _, _ = _expected_shapes(config, "test")
    assert expected is not None and expected["W1"] == (3, 3, 3, 5) and expected["b1"] == (1, 1, 1, 5)
    with pytest.raises(ValueError, match=r"'W1' has shape \(3, 3, 3, 4\), the model needs \(3, 3, 3, 5\)"):
        nn.Sequential(nn.Conv2D(3, 5, 3), nn.ReLU(), nn.Flatten(), nn.Linear(180, 1)).load_state_dict(
            model.state_dict())


def test_the_exporters_take_the_convolutional_layers_now():
    """Issue 23: what the exporters refused ("not supported yet") they now take, in the order the model runs them
    (tests/interop/test_onnx_cnn.py and test_torch_cnn.py check what the exported networks compute)."""
    model = cnn()
    for who in ("to_onnx", "to_torch"):
        assert portable_layers(model, who) == list(model.layers)
    layers = portable_layers(nn.Sequential(nn.MaxPool2D(2), nn.Flatten(), nn.Linear(48, 1)), "to_onnx")
    assert [type(m).__name__ for m in layers] == ["MaxPool2D", "Flatten", "Linear"]
