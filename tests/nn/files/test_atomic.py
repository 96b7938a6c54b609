"""Writing files: a replaced file keeps its mode, bad targets are refused up front, dead writers' leftovers go."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import h5py
import pytest

import nn
from nn.files.atomic import atomic_path

SUFFIX = ".tinygrad-nb.tmp"


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_saving_over_a_file_keeps_its_mode(tmp_path, mode):
    path = tmp_path / "model.h5"
    nn.save(nn.MLP([3, 1], rng=1), path)
    os.chmod(path, mode)
    nn.save(nn.MLP([3, 1], rng=2), path)
    assert mode_of(path) == mode
    assert nn.load(path).state_dict()["W1"].tolist() == nn.MLP([3, 1], rng=2).state_dict()["W1"].tolist()


def test_the_temporary_file_of_a_private_file_is_private_too(tmp_path):
    path = tmp_path / "secret.json"
    path.write_text("{}")
    os.chmod(path, 0o600)
    with atomic_path(path) as tmp:
        assert mode_of(tmp) & 0o077 == 0
        tmp.write_text('{"new": true}')
    assert mode_of(path) == 0o600 and path.read_text() == '{"new": true}'


def test_new_files_get_their_mode_from_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        nn.save(nn.MLP([3, 1]), tmp_path / "m.h5")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "m.h5") == 0o640


def test_a_folder_or_an_empty_path_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("h5py.File must not be reached")

    monkeypatch.setattr(h5py, "File", never)
    with pytest.raises(IsADirectoryError, match=f"save: {tmp_path} is a folder"):
        nn.save(nn.MLP([3, 1]), tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="save: the path is empty"):
        nn.save(nn.MLP([3, 1]), "")
    with pytest.raises(TypeError, match="save: the path must be a str or os.PathLike, got NoneType"):
        nn.save(nn.MLP([3, 1]), None)
    assert os.listdir(tmp_path) == []


def test_temporary_files_are_named_after_the_target_and_the_writer(tmp_path):
    with atomic_path(tmp_path / "model.h5") as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".model.h5.") and tmp.name.endswith(SUFFIX) and f".{os.getpid()}." in tmp.name
        tmp.write_bytes(b"x")
    assert os.listdir(tmp_path) == ["model.h5"]


def test_old_leftovers_are_removed_recent_ones_of_other_hosts_and_other_files_kept(tmp_path):
    week_old = time.time() - 8 * 24 * 3600
    old = tmp_path / f".model.h5.elsewhere.4242.0badf00d{SUFFIX}"
    recent = tmp_path / f".model.h5.elsewhere.4243.0badf00d{SUFFIX}"
    unrelated = [tmp_path / ".model.h5.x1y2z3.tmp", tmp_path / "notes.txt", tmp_path / f"visible{SUFFIX}"]
    for p in [old, recent, *unrelated]:
        p.write_bytes(b"leftover")
    os.utime(old, (week_old, week_old))
    for p in unrelated:
        os.utime(p, (week_old, week_old))
    nn.save(nn.MLP([3, 1]), tmp_path / "m.h5")
    assert not old.exists() and recent.exists() and all(p.exists() for p in unrelated)


LIVE_WRITER = textwrap.dedent("""
    import sys, time, h5py, nn
    original = h5py.Group.create_dataset
    def slow(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        print("writing", flush=True)
        time.sleep(60)
        return result
    h5py.Group.create_dataset = slow
    nn.save(nn.MLP([5, 1], rng=2), sys.argv[1])
""")


def test_a_live_writers_temporary_file_is_kept_and_removed_once_it_is_dead(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(tmp_path / "theirs.h5")],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        theirs = [p for p in os.listdir(tmp_path) if p.endswith(SUFFIX)]
        assert len(theirs) == 1 and f".{proc.pid}." in theirs[0]
        nn.save(nn.MLP([3, 1]), tmp_path / "mine.h5")  # a concurrent save in the same folder
        assert sorted(os.listdir(tmp_path)) == sorted(["mine.h5", *theirs])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    nn.save(nn.MLP([3, 1]), tmp_path / "mine.h5")
    assert os.listdir(tmp_path) == ["mine.h5"]


def test_a_leftover_naming_an_impossible_pid_is_removed_and_never_breaks_a_save(tmp_path):
    with atomic_path(tmp_path / "m.h5") as tmp:
        impossible = tmp.with_name(tmp.name.replace(f".{os.getpid()}.", ".9999999999."))
        tmp.write_bytes(b"x")
    impossible.write_bytes(b"leftover")
    nn.save(nn.MLP([3, 1]), tmp_path / "m.h5")
    assert os.listdir(tmp_path) == ["m.h5"]
