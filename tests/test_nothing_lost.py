"""A save killed mid-write leaves the previous model intact; bad folders are named; memory stays flat."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

import nn

KILLED_WRITER = textwrap.dedent("""
    import sys, time, h5py, nn
    original = h5py.Group.create_dataset
    def slow(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        print("writing", flush=True)   # the temporary file is half-written now
        time.sleep(60)
        return result
    h5py.Group.create_dataset = slow
    nn.save(nn.MLP([50, 40, 1], rng=2), sys.argv[1])
""")


def test_save_killed_mid_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.h5"
    first = nn.MLP([50, 40, 1], rng=1)
    nn.save(first, path)
    before = path.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        leftovers = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
        assert leftovers, "the writer should be writing a temporary file beside the model"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert path.read_bytes() == before
    loaded = nn.load(path)
    for k, v in first.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[k], v)


def test_saved_files_get_ordinary_permissions(tmp_path):
    nn.save(nn.MLP([3, 1]), tmp_path / "m.h5")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "m.h5").stat().st_mode & 0o777 == 0o666 & ~umask


def test_unwritable_and_missing_folders_are_named(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.save(nn.MLP([3, 1]), tmp_path / "missing" / "m.h5")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # root may write anywhere; pretend not
    with pytest.raises(PermissionError, match=f"{tmp_path} is not writable"):
        nn.save(nn.MLP([3, 1]), tmp_path / "m.h5")
    assert os.listdir(tmp_path) == []


def test_failed_load_changes_nothing(tmp_path):
    model = nn.MLP([3, 2, 1], rng=0)
    before = model.state_dict()
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(ValueError):
        nn.load(tmp_path / "bad.h5", model=model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_memory_is_flat_over_many_training_steps():
    data = nn.datasets.planar(m=100)
    model = nn.MLP([2, 4, 1], hidden="tanh", rng=1)
    opt = nn.optim.SGD(model.parameters(), lr=0.5)

    def steps(n):
        for _ in range(n):
            J = nn.binary_cross_entropy(model(data.X), data.Y)
            opt.zero_grad()
            J.backward()
            opt.step()

    steps(100)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    steps(2000)
    grown = tracemalloc.get_traced_memory()[0] - base
    collected = gc.collect()
    tracemalloc.stop()
    assert grown < 64 * 1024, f"memory grew by {grown} bytes over 2,000 steps"
    assert collected == 0, "the graph should leave no reference cycles for the collector"
