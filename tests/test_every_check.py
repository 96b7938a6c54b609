"""CI runs every independent check: under TINYGRAD_NB_EVERY_CHECK=1 (set by .ci/run) a skipped test fails,
naming why it would have skipped; without it a newcomer's `make test` skips with the one-line reason."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

SKIPPING = '''
import pytest

def test_needs_a_library_that_is_missing():
    pytest.importorskip("a_library_that_is_not_installed", reason="needs a_library_that_is_not_installed")

def test_runs():
    assert True
'''


def run_pytest(folder: Path, every_check: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TINYGRAD_NB_EVERY_CHECK"}
    if every_check:
        env["TINYGRAD_NB_EVERY_CHECK"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(folder)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("every_check", [False, True])
def test_a_skip_fails_only_when_every_check_is_asked_for(tmp_path, every_check):
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # this folder is the rootdir
    result = run_pytest(tmp_path, every_check)
    out = result.stdout + result.stderr
    if every_check:
        assert result.returncode == 1, out
        assert "1 failed, 1 passed" in out and "needs a_library_that_is_not_installed" in out
        assert "TINYGRAD_NB_EVERY_CHECK=1" in out
    else:
        assert result.returncode == 0, out
        assert "1 passed, 1 skipped" in out
