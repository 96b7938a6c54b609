"""Ctrl-C during ``tinygrad-nb train``: one line naming the iteration, exit status 130, the previous run intact."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_during_training_prints_one_line_exits_130_and_keeps_the_previous_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    previous = {"model.h5": b"the previous model", "costs.json": b'{"costs": [0.5]}'}
    for name, content in previous.items():
        (out / name).write_bytes(content)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    child = subprocess.Popen(
        [sys.executable, "-m", "tinygrad_nb", "train", "--dataset", "planar", "--hidden", "tanh",
         "--iterations", "1000000", "--print-every", "1", "--no-progress", "--out", str(out)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        seen = ""
        while "Cost after iteration 3:" not in seen:  # training has started (and the jit has recorded its step)
            line = child.stdout.readline()
            assert line and time.monotonic() < deadline, f"training never started: {seen[-2000:]}"
            seen += line
        child.send_signal(signal.SIGINT)
        rest, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(r"tinygrad-nb train: interrupted at iteration (\d+); nothing written",
                                            lines[0]), err
    assert "Traceback" not in err
    last_printed = max(int(i) for i in re.findall(r"Cost after iteration (\d+):", seen + rest))
    assert int(re.search(r"iteration (\d+)", lines[0]).group(1)) >= last_printed
    assert {p.name: p.read_bytes() for p in out.iterdir()} == previous  # nothing written, no staging folder left
