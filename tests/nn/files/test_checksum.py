"""Corrupt model files are refused by name; version-1 files (no checksum) still load."""

import json

import h5py
import numpy as np
import pytest

import nn


def saved(tmp_path, model=None, name="m.h5"):
    path = tmp_path / name
    nn.save(model if model is not None else nn.MLP([3, 4, 1], rng=1), path)
    return path


def flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def data_offset(path, dataset):
    with h5py.File(path, "r") as f:
        return f[dataset].id.get_offset()


def test_a_flipped_byte_inside_W1_is_refused_naming_W1(tmp_path):
    path = saved(tmp_path)
    flip(path, data_offset(path, "layer1/W1") + 7)  # the top byte of W1[0, 0]: 1.46e308-style garbage
    with pytest.raises(ValueError, match=f"load: {path}: W1 does not match its checksum; the file is corrupt"):
        nn.load(path)


def test_a_flipped_byte_in_the_hdf5_structure_is_refused(tmp_path):
    path = saved(tmp_path)
    with h5py.File(path, "r") as f:
        start = f.userblock_size
    flip(path, start + 9)  # inside the superblock, before any array
    with pytest.raises(ValueError, match="HDF5 structure does not match its checksum"):
        nn.load(path)


def test_every_corruption_is_refused_or_harmless(tmp_path):
    """Flip bytes and truncate all over a saved file: only a clear ValueError, or the very same model."""
    model = nn.MLP([3, 4, 1], rng=1)
    data = saved(tmp_path, model).read_bytes()
    broken = tmp_path / "broken.h5"
    outcomes = {"refused": 0, "same": 0}
    for offset in range(0, len(data), 9):
        for damaged in (data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1:], data[:offset]):
            broken.write_bytes(damaged)
            try:
                loaded = nn.load(broken)
            except ValueError as e:
                assert str(broken) in str(e) and "\n" not in str(e)
                outcomes["refused"] += 1
                continue
            for k, v in model.state_dict().items():  # a byte nobody reads (padding of the seal)
                np.testing.assert_array_equal(loaded.state_dict()[k], v)
            outcomes["same"] += 1
    assert outcomes["refused"] >= len(data) // 9  # every truncation at least


def test_version_1_files_without_a_checksum_still_load(tmp_path):
    """A version-1 file as tinygrad-nb 0.1 wrote it: no user block, no seal."""
    path = tmp_path / "old.h5"
    model = nn.MLP([3, 4, 1], hidden="tanh", rng=3)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "tinygrad-nb"
        f.attrs["format_version"] = 1
        f.attrs["architecture"] = json.dumps(model.config())
        for name, value in model.state_dict().items():
            f.require_group(f"layer{name[1:]}").create_dataset(name, data=value)
    loaded = nn.load(path)
    assert loaded.hidden == "tanh"
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[k], v)


def test_a_version_2_file_without_its_seal_is_refused(tmp_path):
    path = saved(tmp_path)
    data = bytearray(path.read_bytes())
    data[:32] = bytes(32)  # the seal's first bytes overwritten
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="has format version 2 but no checksum seal"):
        nn.load(path)


def test_saved_files_are_plain_hdf5_with_the_checksums_in_the_user_block(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Tanh(), nn.Linear(2, 1, rng=1)).astype(np.float32)
    path = saved(tmp_path, model)
    with h5py.File(path, "r") as f:
        assert f.userblock_size >= 512 and f.attrs["format_version"] == 2
        np.testing.assert_array_equal(f["layer2/W2"][()], model.state_dict()["W2"])
    head = path.read_bytes()[:512]
    assert head.startswith(b"tinygrad-nb seal 1 ")
    loaded = nn.load(path)
    assert loaded.parameters()[0].dtype == np.float32
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[k], v)
