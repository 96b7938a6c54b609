"""Issue 21: a network's names (W1, b1, ..., Z1, A1, ...) are computed from the network asked, never
stored on a layer, so a Sequential (or a layer) that is part of two networks is named by each as its own.

The oracles are the real runtimes: h5py writes and reads every file (``nn.save`` / ``nn.load``
without ``model=``), ONNX Runtime runs every exported graph, and each network's own forward pass
says what the answer must be. Every model here is one the README supports: nested Sequentials, a
Sequential shared by two models, a layer used twice, an MLP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

import nn
from nn.files.hdf5 import BadFileError
from nn.files.serialization import build, read_file
from nn.layers.module import Module, eval_mode
from tinygrad_nb import Tensor

M = TypeVar("M", bound=Module)
TOL = 1e-12  # float64: ONNX Runtime against this project's forward pass


def randomised(model: M, seed: int) -> M:
    """``model`` with every b[l] nonzero (a zero bias would hide a b taken from the wrong layer)."""
    rs = np.random.RandomState(seed)
    for p in model.parameters():
        p.data = rs.randn(*p.shape) * 0.5
    return model


def shared_pair() -> tuple[nn.Sequential, nn.Sequential, nn.Sequential, dict[str, np.ndarray]]:
    """S, then A containing S, A's state_dict as it was, then B containing S too (B built last)."""
    S = nn.Sequential(nn.Linear(3, 4, rng=1), nn.Tanh(), nn.Linear(4, 3, rng=2), nn.ReLU())
    A = randomised(nn.Sequential(S, nn.Linear(3, 1, rng=3), nn.Sigmoid()), 10)
    before = A.state_dict()
    B = nn.Sequential(nn.Linear(2, 3, rng=4), nn.Tanh(), nn.Linear(3, 3, rng=5), nn.Tanh(), S,
                      nn.Linear(3, 2, rng=6), nn.Softmax(axis=0))
    for i in (0, 2, 5):  # B's own layers
        randomised(B.layers[i], 11 + i)
    return S, A, B, before


def same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)


# ----- names: a function of the network asked -------------------------------------------------------------------

def test_a_shared_sequential_keeps_every_name_of_the_first_model_after_the_second_is_built():
    S, A, B, before = shared_pair()
    assert list(before) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert same_state(A.state_dict(), before)  # all 6 arrays, under the names A had before B existed
    assert {id(p) for _, p in A.named_parameters()} == {id(p) for p in A.parameters()} and len(A.parameters()) == 6
    assert list(B.state_dict()) == [f"{k}{l}" for l in range(1, 6) for k in "Wb"]
    np.testing.assert_array_equal(B.state_dict()["W3"], S.linears()[0].W.data)  # S's first layer is B's third
    assert list(S.state_dict()) == ["W1", "b1", "W2", "b2"]  # asked on its own, S counts from 1


def test_names_do_not_depend_on_which_other_models_were_built():
    def build_a(S: nn.Sequential) -> nn.Sequential:
        return nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), S, nn.Linear(3, 1, rng=1), nn.Sigmoid())

    alone_S = nn.Sequential(nn.Linear(3, 3, rng=2), nn.Tanh())
    alone = [(name, p.shape) for name, p in build_a(alone_S).named_parameters()]
    S = nn.Sequential(nn.Linear(3, 3, rng=2), nn.Tanh())
    nn.Sequential(S, nn.Linear(3, 2))  # another model built with S first ...
    A = build_a(S)
    nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3), S, nn.Linear(3, 1))  # ... and one after
    assert [(name, p.shape) for name, p in A.named_parameters()] == alone
    assert [name for name, _ in A.named_parameters()] == ["W1", "b1", "W2", "b2", "W3", "b3"]


def course_names(out: Tensor) -> list[tuple[Any, list[Any]]]:
    """(name, names of its inputs) of each tensor from the output back to X:
    [("A3", ["Z3"]), ("Z3", ["W3", "A2", "b3"]), ...]."""
    found = []
    t = out
    while t._ctx is not None:
        parents: Any = t._ctx.parents
        found.append((t.name, [p.name for p in parents]))
        t = parents[1] if t._ctx.op_name == "linear" else parents[0]
    return found


def test_the_forward_pass_names_outputs_and_labels_as_the_network_running_it_numbers_them():
    S, A, B, _ = shared_pair()
    assert course_names(A(np.ones((3, 5)))) == [
        ("A3", ["Z3"]), ("Z3", ["W3", "A2", "b3"]), ("A2", ["Z2"]), ("Z2", ["W2", "A1", "b2"]), ("A1", ["Z1"]),
        ("Z1", ["W1", "X", "b1"])]
    names = course_names(B(np.ones((2, 5))))  # S runs as B's layers 3 and 4
    assert [name for name, _ in names] == ["A5", "Z5", "A4", "Z4", "A3", "Z3", "A2", "Z2", "A1", "Z1"]
    assert dict(names)["Z3"] == ["W3", "A2", "b3"]


def test_summary_and_repr_of_the_first_model_keep_its_numbers():
    S, A, B, _ = shared_pair()
    summary = A.summary()
    assert "W1 (4, 3), b1 (4, 1)" in summary and "W3 (1, 3), b3 (1, 1)" in summary and "W4" not in summary
    assert "W1 (4, 3)" in repr(A) and "W3 (1, 3)" in repr(A) and "W5 (2, 3)" in repr(B)


def test_load_state_dict_round_trips_into_a_fresh_copy():
    S, A, B, _ = shared_pair()
    X3 = np.random.RandomState(0).randn(3, 6)
    for model, X in ((A, X3), (B, X3[:2])):
        copy = build(model.config())  # zero weights, the same architecture
        copy.load_state_dict(model.state_dict())
        np.testing.assert_array_equal(copy(X).data, model(X).data)


# ----- files: h5py writes and reads them ------------------------------------------------------------------------

def round_trip(model: Module, path: Path, X: np.ndarray) -> Any:
    """Save with nn.save, load with nn.load (no model=), and check state and outputs are the same."""
    pytest.importorskip("h5py", reason="h5py is not installed: pip install 'tinygrad-nb[h5]'")
    nn.save(model, path)
    loaded = nn.load(path)
    assert same_state(loaded.state_dict(), model.state_dict())
    with eval_mode(model), eval_mode(loaded):
        np.testing.assert_array_equal(loaded(X).data, model(X).data)
    return loaded


def test_both_models_sharing_a_sequential_save_and_load(tmp_path):
    S, A, B, before = shared_pair()
    X = np.random.RandomState(1).randn(3, 7)
    loaded = round_trip(A, tmp_path / "a.h5", X)
    assert same_state(loaded.state_dict(), before)
    round_trip(B, tmp_path / "b.h5", X[:2])
    round_trip(S, tmp_path / "s.h5", X)


def test_a_layer_used_twice_loads_without_model(tmp_path):
    lin = nn.Linear(3, 3, rng=0)
    model = randomised(nn.Sequential(lin, nn.Tanh(), lin, nn.Sigmoid()), 2)
    loaded = round_trip(model, tmp_path / "m.h5", np.random.RandomState(2).randn(3, 4))
    assert loaded.layers[0] is loaded.layers[2] and list(loaded.state_dict()) == ["W1", "b1"]


def test_a_sequential_used_twice_and_a_layer_shared_across_nesting_levels_load_without_model(tmp_path):
    S = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Tanh())
    twice = randomised(nn.Sequential(S, S, nn.Linear(3, 1, rng=1)), 3)
    loaded = round_trip(twice, tmp_path / "twice.h5", np.random.RandomState(3).randn(3, 4))
    assert loaded.layers[0] is loaded.layers[1]

    lin = nn.Linear(3, 3, rng=2)  # used in the outer network and inside a nested Sequential
    across = randomised(nn.Sequential(lin, nn.ReLU(), nn.Sequential(nn.Linear(3, 3, rng=4), nn.Tanh(), lin),
                                      nn.Sigmoid()), 4)
    assert list(across.state_dict()) == ["W1", "b1", "W2", "b2"]
    loaded = round_trip(across, tmp_path / "across.h5", np.random.RandomState(4).randn(3, 4))
    assert loaded.layers[0] is loaded.layers[2].layers[2]


def test_an_mlp_inside_two_models_saves_and_loads(tmp_path):
    mlp = randomised(nn.MLP([2, 3, 3], hidden="tanh", output="relu", rng=0), 5)
    A = randomised(nn.Sequential(mlp, nn.Linear(3, 1, rng=1), nn.Sigmoid()), 6)
    B = nn.Sequential(nn.Linear(2, 2, rng=2), nn.Tanh(), nn.Linear(2, 2, rng=3), nn.Tanh(), mlp, nn.Linear(3, 1))
    assert list(A.state_dict()) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    X = np.random.RandomState(5).randn(2, 6)
    round_trip(A, tmp_path / "a.h5", X)
    round_trip(B, tmp_path / "b.h5", X)
    assert list(mlp.state_dict()) == ["W1", "b1", "W2", "b2"]


def test_the_task_is_checked_against_the_last_layer_run_not_the_highest_number(tmp_path):
    first, second = nn.Linear(3, 5, rng=0), nn.Linear(5, 3, rng=1)  # the last layer run is W1 (5 outputs)
    model = randomised(nn.Sequential(first, nn.Tanh(), second, nn.Tanh(), first, nn.Softmax(axis=0)), 7)
    model.task = nn.Task("multiclass", classes=5)
    loaded = round_trip(model, tmp_path / "m.h5", np.random.RandomState(6).randn(3, 4))
    assert loaded.task == model.task
    architecture, params = read_file(tmp_path / "m.h5")
    assert sorted(params) == ["W1", "W2", "b1", "b2"]


def test_sharing_a_file_cannot_describe_is_refused_before_writing(tmp_path):
    pytest.importorskip("h5py", reason="h5py is not installed: pip install 'tinygrad-nb[h5]'")
    mlp = nn.MLP([3, 3, 3], rng=0)
    model = nn.Sequential(mlp, mlp.layers[0])  # a layer of a nested MLP used again
    with pytest.raises(ValueError, match=r"layer 1 is a layer of a nested MLP used again"):
        nn.save(model, tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []


class Doubled(nn.Sequential):
    """A Sequential with its own forward: loading it as a plain Sequential would halve its outputs."""

    def forward(self, X: Any) -> Tensor:
        return super().forward(X) * 2.0


class DoubledMLP(nn.MLP):
    def forward(self, X: Any) -> Tensor:
        return super().forward(X) * 2.0


@pytest.mark.parametrize("make", [lambda: Doubled(nn.Linear(3, 2, rng=0), nn.Tanh()),
                                  lambda: DoubledMLP([3, 2], output="tanh", rng=0),
                                  lambda: nn.Sequential(nn.Linear(3, 3, rng=1), Doubled(nn.Linear(3, 2, rng=0)))],
                         ids=["Sequential subclass", "MLP subclass", "nested subclass"])
def test_a_subclass_with_its_own_forward_is_not_loaded_as_a_plain_network(tmp_path, make):
    pytest.importorskip("h5py", reason="h5py is not installed: pip install 'tinygrad-nb[h5]'")
    model = randomised(make(), 1)
    nn.save(model, tmp_path / "m.h5")
    with pytest.raises(BadFileError, match=r"unknown module type 'Doubled(MLP)?' .*pass model="):
        nn.load(tmp_path / "m.h5")
    loaded = nn.load(tmp_path / "m.h5", model=randomised(make(), 2))  # the user's own class reads it
    X = np.random.RandomState(3).randn(3, 4)
    np.testing.assert_array_equal(loaded(X).data, model(X).data)


@pytest.mark.parametrize("entry, message", [
    ({"type": "Shared", "layer": 0}, r"Shared entry layer 0 refers to layer 0, which is not a layer used before it"),
    ({"type": "Shared", "layer": 5}, r"Shared entry layer 0 refers to layer 5, which is not a layer used before it"),
    ({"type": "Shared", "path": [0, 9]}, r"refers to layer 0\.9, which is not a layer used before it"),
    ({"type": "Shared", "layer": "0"}, r"refers to layer '0', not an int"),
])
def test_a_shared_entry_that_points_nowhere_is_refused_naming_it(entry, message):
    config = {"type": "Sequential", "layers": [entry, {"type": "Linear", "n_in": 2, "n_out": 1}]}
    with pytest.raises(ValueError, match=message):
        build(json.loads(json.dumps(config)))


# ----- ONNX: ONNX Runtime runs the exported graph ---------------------------------------------------------------

@pytest.mark.parametrize("layout", ["batch_first", "course"])
def test_onnx_runtime_computes_what_each_model_computes(tmp_path, layout):
    """A and B share S (built in that order), S on its own, a layer used twice, a layer used at two levels:
    each file holds the model's own weights under the model's own names, and computes its forward pass."""
    onnx = pytest.importorskip("onnx", reason="onnx is not installed: pip install 'tinygrad-nb[onnx]'")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed: pip install 'tinygrad-nb[onnx]'")
    S, A, B, _ = shared_pair()
    lin = nn.Linear(3, 3, rng=7)
    models: dict[str, tuple[Any, int]] = {  # the model and its number of distinct Linear layers
        "A": (A, 3), "B": (B, 5), "S": (S, 2),
        "used twice": (randomised(nn.Sequential(lin, nn.Tanh(), lin, nn.Sigmoid()), 8), 1),
        "across levels": (randomised(nn.Sequential(lin, nn.ReLU(), nn.Sequential(nn.Linear(3, 3), lin)), 9), 2),
    }
    for which, (model, L) in models.items():
        X = np.random.RandomState(8).randn(model.layer_dims[0], 5)
        path = nn.export_onnx(model, tmp_path / f"{which}.onnx", layout=layout)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        got = session.run(None, {"X": X if layout == "course" else np.ascontiguousarray(X.T)})[0]
        with eval_mode(model):
            want = model(X).data
        np.testing.assert_allclose(got if layout == "course" else got.T, want, rtol=0, atol=TOL, err_msg=which)
        stored = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
        state = model.state_dict()  # the file's weights are the model's, under the model's names
        assert sorted(stored) == sorted(state) == sorted(f"{k}{l}" for l in range(1, L + 1) for k in "Wb"), which
        for name, array in state.items():
            np.testing.assert_array_equal(stored[name].reshape(array.shape), array, err_msg=f"{which}: {name}")
