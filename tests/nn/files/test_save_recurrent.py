"""nn.save / nn.load keep course 5's layers whole: RNNCell, RNN, LSTMCell, LSTM and Embedding round-trip on their own
(the recurrent layers return tuples, so they are models of their own) and inside a Sequential, their parameters stored
under the course's names (Wax, Waa, ..., Wf, bf, ..., E); files that lie about them are refused naming the parameter,
and a flipped byte is refused as corrupt."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import nn
from nn.files.hdf5 import BadFileError, write_seal
from nn.files.serialization import _expected_shapes, build
from nn.layers.embedding import Embedding
from nn.layers.recurrent import LSTM, RNN, LSTMCell, RNNCell

RNN_NAMES = ["Wax", "Waa", "Wya", "ba", "by"]
LSTM_NAMES = ["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo", "Wy", "by"]
X = np.random.RandomState(3).randn(3, 4, 5)  # (n_x, m, T_x)


def trained(model):
    """The model with every parameter moved away from its initial value (biases included)."""
    rs = np.random.RandomState(1)
    for p in model.parameters():
        p.data = p.data + 0.1 * rs.randn(*p.shape)
    return model


def assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        np.testing.assert_array_equal(sa[name], sb[name], err_msg=name)
        assert sa[name].dtype == sb[name].dtype, name


def models():
    return [trained(RNNCell(3, 5, 2, rng=1)), trained(RNN(3, 5, 2, rng=1)), trained(LSTMCell(3, 5, 2, rng=1)),
            trained(LSTM(3, 5, 2, rng=1)), trained(Embedding(10, 3, rng=1))]


@pytest.mark.parametrize("model", models(), ids=lambda m: type(m).__name__)
def test_each_layer_round_trips_on_its_own_under_the_course_names(tmp_path, model):
    path = nn.save(model, tmp_path / "model.h5")
    loaded = nn.load(path)
    assert type(loaded) is type(model)
    assert loaded.config() == model.config()
    assert_same_state(loaded, model)
    names = {"Embedding": ["E"]}.get(type(model).__name__,
                                     LSTM_NAMES if "LSTM" in type(model).__name__ else RNN_NAMES)
    assert list(loaded.state_dict()) == names
    with h5py.File(path, "r") as f:  # stored as the course's parameters dict
        stored = {name for group in f.values() for name in group}
    assert stored == set(names)


def test_a_loaded_rnn_and_lstm_compute_the_same_sequences(tmp_path):
    for model in (trained(RNN(3, 5, 2, rng=1)), trained(LSTM(3, 5, 2, rng=1))):
        loaded = nn.load(nn.save(model, tmp_path / f"{type(model).__name__}.h5"))
        for a, b in zip(model(X), loaded(X)):
            np.testing.assert_array_equal(a.data, b.data)


def test_a_float32_lstm_stays_float32(tmp_path):
    model = trained(LSTM(3, 4, 2, rng=2)).astype(np.float32)
    loaded = nn.load(nn.save(model, tmp_path / "f32.h5"))
    assert_same_state(loaded, model)
    assert loaded.Wf.dtype == np.float32


def test_loading_into_a_given_model(tmp_path):
    path = nn.save(trained(RNN(3, 5, 2, rng=1)), tmp_path / "rnn.h5")
    target = RNN(3, 5, 2, rng=9)
    assert nn.load(path, model=target) is target
    assert_same_state(target, nn.load(path))


def test_an_embedding_and_an_rnn_round_trip_inside_a_sequential(tmp_path):
    classifier = trained(nn.Sequential(Embedding(10, 4, rng=1), nn.Linear(4, 1, rng=2), nn.Sigmoid()))
    encoder = trained(nn.Sequential(Embedding(10, 4, rng=1), RNN(4, 5, 2, rng=2)))
    words = np.array([[1, 2, 3], [4, 0, 9]])  # (m, T_x)
    for model, names in ((classifier, ["0.E", "W1", "b1"]), (encoder, ["0.E"] + [f"1.{n}" for n in RNN_NAMES])):
        loaded = nn.load(nn.save(model, tmp_path / "seq.h5"))
        assert list(loaded.state_dict()) == names
        assert_same_state(loaded, model)
        assert loaded.config() == model.config()
    np.testing.assert_array_equal(loaded(words)[0].data, encoder(words)[0].data)


def test_the_expected_shapes_of_a_file_are_the_models_state_dict():
    for model in [*models(), nn.Sequential(Embedding(10, 4), LSTM(4, 5, 2)),
                  nn.Sequential(Embedding(10, 4), nn.Linear(4, 2), nn.Softmax())]:
        expected, unknown, _ = _expected_shapes(model.config(), "test")
        assert unknown is None
        assert expected == {name: a.shape for name, a in model.state_dict().items()}
        assert list(build(model.config()).state_dict()) == list(model.state_dict())


def test_the_architecture_stores_the_sizes():
    assert RNN(3, 5, 2).config() == {"type": "RNN", "n_x": 3, "n_a": 5, "n_y": 2}
    assert Embedding(10, 4).config() == {"type": "Embedding", "n_vocab": 10, "n_e": 4}
    lstm = build(LSTM(3, 5, 2).config())
    assert isinstance(lstm, LSTM) and lstm.Wf.shape == (5, 8) and not lstm.Wf.data.any()


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


def test_a_parameter_of_the_wrong_shape_is_refused_naming_it(tmp_path):
    def wrong(f):
        del f["other/Waa"]
        f["other"].create_dataset("Waa", data=np.ones((5, 4)))

    path = rewrite(nn.save(RNN(3, 5, 2, rng=1), tmp_path / "rnn.h5"), wrong)
    message = r"does not match its own architecture: Waa is stored as \(5, 4\), the architecture needs \(5, 5\)$"
    refused(path, message)
    refused(path, message, model=RNN(3, 5, 2, rng=2))  # the given model is left as it was


def test_a_missing_or_extra_parameter_is_refused(tmp_path):
    path = rewrite(nn.save(LSTM(3, 5, 2, rng=1), tmp_path / "a.h5"), lambda f: f.__delitem__("other/Wo"))
    refused(path, r"Wo \(5, 8\) is missing")
    path = rewrite(nn.save(Embedding(10, 4, rng=1), tmp_path / "b.h5"),
                   lambda f: f["other"].create_dataset("Wax", data=np.zeros((4, 1))))
    refused(path, r"Wax is stored but the architecture has no such parameter or buffer")


def test_an_architecture_that_disagrees_with_the_weights_is_refused(tmp_path):
    def edit(f):
        architecture = json.loads(f.attrs["architecture"])
        architecture["n_a"] = 6
        f.attrs["architecture"] = json.dumps(architecture)

    path = rewrite(nn.save(RNN(3, 5, 2, rng=1), tmp_path / "rnn.h5"), edit)
    refused(path, r"Wax is stored as \(5, 3\), the architecture needs \(6, 3\)")


def test_an_invalid_size_is_refused(tmp_path):
    for key, value in (("n_x", 0), ("n_y", "2"), ("n_vocab", -1)):
        model = Embedding(10, 4) if key == "n_vocab" else RNN(3, 5, 2)

        def edit(f, key=key, value=value):
            architecture = json.loads(f.attrs["architecture"])
            architecture[key] = value
            f.attrs["architecture"] = json.dumps(architecture)

        path = rewrite(nn.save(model, tmp_path / f"{key}.h5"), edit)
        refused(path, rf"the stored architecture is invalid \({key} must be a positive int")


def test_a_flipped_byte_is_refused_as_corrupt(tmp_path):
    path = nn.save(trained(RNN(3, 5, 2, rng=1)), tmp_path / "rnn.h5")
    with h5py.File(path, "r") as f:
        offset = f["other/Wax"].id.get_offset()
    data = bytearray(path.read_bytes())
    data[offset + 7] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(BadFileError, match=f"load: {path}: Wax does not match its checksum; the file is corrupt"):
        nn.load(path)


def test_a_subclass_is_refused_without_a_model_and_loads_into_one(tmp_path):
    class MyRNN(RNN):
        pass

    path = nn.save(MyRNN(3, 5, 2, rng=1), tmp_path / "mine.h5")
    refused(path, "unknown module type 'MyRNN'")
    assert_same_state(nn.load(path, model=RNN(3, 5, 2)), MyRNN(3, 5, 2, rng=1))
