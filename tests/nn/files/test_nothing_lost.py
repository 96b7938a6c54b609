"""A save killed mid-write leaves the previous model intact; bad folders are named; memory stays flat."""

import gc
import os
import random
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


SAVER = textwrap.dedent("""
    import os, signal, sys, time, h5py, nn  # h5py now, not in every forked writer
    models = [nn.MLP([300, 100, 1], rng=2), nn.MLP([300, 100, 1], rng=1)]
    for line in sys.stdin:                  # "target delay": fork a writer saving in a loop, SIGKILL it after delay
        target, delay = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                while True:
                    for m in models:
                        nn.save(m, target)
            finally:
                os._exit(1)
        time.sleep(float(delay))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)      # reaped: its pid is dead now
        print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exited", flush=True)
""")


def test_real_saves_killed_at_random_moments_leave_the_old_or_the_new_model(tmp_path):
    """SIGKILL a process saving in a loop, 40 times at random moments: the target always loads as one of the two
    models, never a mix or a corrupt file, and the next save removes the killed writers' temporary files."""
    old, new = nn.MLP([300, 100, 1], rng=1), nn.MLP([300, 100, 1], rng=2)
    rng, seen, leftovers = random.Random(9), {"old": 0, "new": 0}, 0
    saver = subprocess.Popen([sys.executable, "-c", SAVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for trial in range(40):
            folder = tmp_path / f"trial{trial}"
            folder.mkdir()
            nn.save(old, folder / "model.h5")
            saver.stdin.write(f"{folder / 'model.h5'} {rng.uniform(0, 0.03)}\n")
            saver.stdin.flush()
            assert saver.stdout.readline().strip() == str(int(signal.SIGKILL)), "the writer died before the kill"
            loaded = nn.load(folder / "model.h5").state_dict()
            matches = [name for name, m in (("old", old), ("new", new))
                       if all(np.array_equal(loaded[k], v) for k, v in m.state_dict().items())]
            assert len(matches) == 1, f"{folder / 'model.h5'} is neither the old nor the new model"
            seen[matches[0]] += 1
            leftovers += len([p for p in os.listdir(folder) if p.endswith(".tinygrad-nb.tmp")])
            nn.save(old, folder / "next.h5")  # the next save in that folder cleans up
            assert sorted(os.listdir(folder)) == ["model.h5", "next.h5"]
    finally:
        saver.stdin.close()
        saver.wait(timeout=30)
    assert seen["new"] > 0 and leftovers > 0, f"the kills never landed mid-save: {seen}, {leftovers} leftovers"


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
