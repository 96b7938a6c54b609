"""The examples run end to end on the embedded defaults (short runs) and on the cat files when present."""

import subprocess
import sys
from pathlib import Path

import pytest
from _shared import TRAIN, needs_cat_data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(script, *args):
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("script", ["logistic_regression.py", "planar_shallow.py", "deep_network.py"])
def test_example_runs_on_embedded_default(script):
    out = run(script, "--iterations", "30")
    assert "Cost after iteration 0:" in out and "train accuracy:" in out


@needs_cat_data
def test_deep_example_on_cat_data_prints_the_courses_first_cost():
    out = run("deep_network.py", "--data", str(TRAIN), "--iterations", "1")
    assert "Cost after iteration 0: 0.77174932842" in out and "test accuracy:" in out


def test_deep_example_uses_the_learning_rate_it_is_given():
    printed = {lr: run("deep_network.py", "--lr", lr, "--iterations", "11") for lr in ("0.0001", "0.01", "0.1")}
    last = {lr: next(line for line in out.splitlines() if line.startswith("Cost after iteration 10:"))
            for lr, out in printed.items()}
    assert len(set(last.values())) == 3, last
    assert "learning rate 0.1 (the default for this data)" in run("deep_network.py", "--iterations", "1")


@pytest.mark.parametrize("script", ["when_things_go_wrong.py", "deep_network.py"])
def test_help_prints_help_and_runs_nothing(script):
    out = run(script, "--help")
    assert out.startswith("usage: ") and "---" not in out and "Cost after" not in out
