"""Model files that lie: links and external storage, forged sizes, odd attributes. Each is refused by name.

Every hostile file is made twice: as a version-1 file (no seal) and as a version-2 file whose
checksum seal an attacker has recomputed, so the structural checks are tested on their own.
"""

import json
import tracemalloc

import h5py
import numpy as np
import pytest

import nn
from nn.files.hdf5 import write_seal

ARCH = {"type": "MLP", "layer_dims": [3, 2, 1], "hidden": "relu", "output": "sigmoid", "slope": 0.01, "keep_prob": 1.0}
PARAMS = {"W1": np.arange(6.0).reshape(2, 3), "b1": np.zeros((2, 1)), "W2": np.ones((1, 2)), "b2": np.zeros((1, 1))}


def model_file(path, version, edit=None, architecture=ARCH, params=PARAMS):
    """The documented layout written by hand (not by nn.save), then ``edit``; version 2 sealed as an attacker would."""
    with h5py.File(path, "w", userblock_size=4096) as f:
        f.attrs["format"] = "tinygrad-nb"
        f.attrs["format_version"] = version
        f.attrs["architecture"] = architecture if isinstance(architecture, str) else json.dumps(architecture)
        for name, array in params.items():
            f.require_group(f"layer{name[1:]}").create_dataset(name, data=array)
        if edit:
            edit(f)
    if version == 2:
        write_seal(path, 4096)
    return path


def replace_W1(f, **kwargs):
    del f["layer1/W1"]
    f["layer1"].create_dataset("W1", **kwargs)


@pytest.fixture(params=[1, 2], ids=["v1", "v2-resealed"])
def version(request):
    return request.param


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_bytes(bytes(range(48)))  # 48 bytes: six float64 numbers, W1's (2, 3)
    return path


def refused(path, match, model=None):
    """Load ``path``: a ValueError matching ``match``, and the given model (if any) unchanged."""
    before = model.state_dict() if model is not None else {}
    with pytest.raises(ValueError, match=match) as err:
        nn.load(path, model=model)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    if model is not None:
        assert all(np.array_equal(v, before[k]) for k, v in model.state_dict().items())
    return str(err.value)


def test_the_hand_written_layout_loads_so_the_refusals_below_are_about_the_edits(tmp_path, version):
    loaded = nn.load(model_file(tmp_path / "m.h5", version))
    np.testing.assert_array_equal(loaded.state_dict()["W1"], PARAMS["W1"])


def test_external_storage_cannot_read_another_file(tmp_path, version, secret):
    path = model_file(tmp_path / "m.h5", version,
                      lambda f: replace_W1(f, shape=(2, 3), dtype="f8", external=[(str(secret), 0, 48)]))
    message = refused(path, "W1 keeps its data in external files", model=nn.MLP([3, 2, 1], rng=0))
    assert str(secret) in message


def test_external_links_are_not_followed(tmp_path, version, secret):
    other = model_file(tmp_path / "other.h5", 1, params={**PARAMS, "W1": np.full((2, 3), 7.0)})

    def link(f):
        del f["layer1/W1"]
        f["layer1/W1"] = h5py.ExternalLink(str(other), "/layer1/W1")

    refused(model_file(tmp_path / "m.h5", version, link), "W1 is an external link to")

    def link_to_text(f):  # before the fix: TypeError 'NoneType' object is not subscriptable
        f["layer3"] = h5py.ExternalLink(str(secret), "/")

    refused(model_file(tmp_path / "t.h5", version, link_to_text), "/layer3 is an external link to")


def test_soft_links_and_virtual_datasets_are_refused(tmp_path, version):
    def soft(f):
        del f["layer1/W1"]
        f["layer1/W1"] = h5py.SoftLink("/layer2/W2")

    refused(model_file(tmp_path / "soft.h5", version, soft), "W1 is a soft link")
    source = model_file(tmp_path / "source.h5", 1)

    def virtual(f):
        layout = h5py.VirtualLayout(shape=(2, 3), dtype="f8")
        layout[:] = h5py.VirtualSource(str(source), "layer1/W1", shape=(2, 3))
        del f["layer1/W1"]
        f["layer1"].create_virtual_dataset("W1", layout)

    refused(model_file(tmp_path / "virtual.h5", version, virtual), "W1 is a virtual dataset")


def test_compressed_datasets_are_refused_before_reading(tmp_path, version):
    path = model_file(tmp_path / "m.h5", version, lambda f: replace_W1(f, data=PARAMS["W1"], compression="gzip"))
    refused(path, "W1 is stored with HDF5 filters")


def peak_memory_of(action):
    tracemalloc.start()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_declared_shapes_must_fit_the_bytes_on_disk(tmp_path, version):
    architecture = {**ARCH, "layer_dims": [3000, 3000, 1]}
    params = {"W1": np.zeros((1, 1)), "b1": np.zeros((3000, 1)), "W2": np.zeros((1, 3000)), "b2": np.zeros((1, 1))}
    path = model_file(tmp_path / "m.h5", version, lambda f: replace_W1(f, shape=(3000, 3000), dtype="f8"),
                      architecture=architecture, params=params)
    assert path.stat().st_size < 100_000  # a small file declaring 72 MB

    def load():
        refused(path, r"W1 declares shape \(3000, 3000\) float64 \(72.0 MB\) but the file stores only 0 bytes")

    assert peak_memory_of(load) < 5_000_000


def test_the_architecture_is_checked_against_the_stored_shapes_before_building(tmp_path, version):
    path = model_file(tmp_path / "m.h5", version, architecture={**ARCH, "layer_dims": [3000, 3000, 1]})

    def load():
        refused(path, r"does not match its own architecture: W1 is stored as \(2, 3\), "
                      r"the architecture needs \(3000, 3000\)")

    assert peak_memory_of(load) < 5_000_000  # before the fix: a zero-filled 72 MB MLP, then the refusal


def test_huge_layer_dims_are_a_value_error_not_a_memory_error(tmp_path, version):
    path = model_file(tmp_path / "m.h5", version, architecture={**ARCH, "layer_dims": [10**9, 10**9, 1]})
    refused(path, "does not match its own architecture")
    invalid = model_file(tmp_path / "i.h5", version, architecture={**ARCH, "layer_dims": [3, -2, 1]})
    refused(invalid, r"stored architecture is invalid \(layer_dims\[1\] must be a positive int")


def test_architecture_nested_5000_deep_is_refused_without_recursion_error(tmp_path, version):
    refused(model_file(tmp_path / "lists.h5", version, architecture="[" * 5000 + "]" * 5000), "nested more than")
    deep = '{"type": "Sequential", "layers": [' * 5000 + '{"type": "Tanh"}' + "]}" * 5000
    refused(model_file(tmp_path / "seq.h5", version, architecture=deep), "nested more than")


@pytest.mark.parametrize("attribute, value, match", [
    ("format_version", "abc", "has format_version 'abc'; expected an integer"),
    ("format_version", 7, "has format version 7; this tinygrad-nb reads versions 1, 2"),
    ("format", np.array(["tinygrad-nb"] * 3, dtype=h5py.string_dtype()),
     r"the format attribute should be a single value, found an array of shape \(3,\)"),
    ("format", "keras", "is not a tinygrad-nb model"),
    ("architecture", "{not json", "has no readable architecture attribute"),
    ("architecture", np.float64(3.0), "has no readable architecture attribute"),
])
def test_odd_attributes_are_named(tmp_path, attribute, value, match):
    def edit(f):
        f.attrs[attribute] = value

    refused(model_file(tmp_path / "m.h5", 1, edit), match, model=nn.MLP([3, 2, 1], rng=0))


def test_odd_structures_are_named(tmp_path, version):
    refused(model_file(tmp_path / "nested.h5", version, lambda f: f["layer1"].create_group("deeper")),
            "/layer1/deeper is a nested group")
    refused(model_file(tmp_path / "root.h5", version, lambda f: f.create_dataset("W9", data=1.0)),
            "/W9 should be a group of parameters")
    refused(model_file(tmp_path / "twice.h5", version, lambda f: f.create_group("other").create_dataset(
        "W1", data=PARAMS["W1"])), "parameter W1 is stored twice")
    refused(model_file(tmp_path / "text.h5", version, lambda f: replace_W1(f, data=np.array([b"abc"] * 6).reshape(
        2, 3))), "W1 has dtype |S3; expected numbers")


def test_an_unknown_module_type_is_refused_before_reading_unless_a_model_is_given(tmp_path):
    architecture = {"type": "MyNet"}
    path = model_file(tmp_path / "m.h5", 2, architecture=architecture)
    refused(path, "unknown module type 'MyNet'")
    assert nn.files.serialization.read_file(path)[0] == architecture


def test_an_architecture_build_refuses_names_the_file(tmp_path):
    path = model_file(tmp_path / "m.h5", 2, architecture={**ARCH, "hidden": "swish"})
    refused(path, r"the stored architecture is invalid \(unknown activation 'swish'")
