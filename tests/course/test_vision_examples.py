"""examples/vision: the CNNs on the digits' images and on the course's cat pictures, run as a user runs them.

Short runs check the printed lines; the slow ones (``-m slow``) run the defaults and check the accuracies the
examples claim: the cat CNN beats the course's 4-layer MLP (test 0.80), the digits CNN reaches 0.97.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _shared import TEST, TRAIN, needs_cat_data

VISION = Path(__file__).resolve().parents[2] / "examples" / "vision"
ACCURACIES = re.compile(r"^train accuracy: (\d\.\d{4}), test accuracy: (\d\.\d{4})$", re.M)


def run(script, *args, env=None, status=0):
    result = subprocess.run([sys.executable, str(VISION / script), *args], capture_output=True, text=True,
                            timeout=600, env=env)
    assert result.returncode == status, result.stderr
    return result.stdout if status == 0 else result.stderr


def accuracies(out):
    found = ACCURACIES.findall(out)
    assert len(found) == 1, out
    return float(found[0][0]), float(found[0][1])


def costs(out, word="epoch"):
    return [(int(i), float(c)) for i, c in re.findall(rf"^Cost after {word} (\d+): (\S+)$", out, re.M)]


def test_digits_cnn_short_run_prints_the_courses_lines():
    out = run("digits_cnn.py", "--epochs", "2")
    assert out.splitlines()[0] == ("digits as images: train X (1438, 8, 8, 1), test X (359, 8, 8, 1); 2 epochs of "
                                   "mini-batches of 32, Adam lr=0.003")
    printed = costs(out)
    assert [i for i, _ in printed] == [0, 1] and printed[1][1] < printed[0][1] < 2.31  # below log(10) at the start
    train_acc, test_acc = accuracies(out)
    assert train_acc > 0.8 and test_acc > 0.8


def test_digits_cnn_is_seeded():
    first = run("digits_cnn.py", "--epochs", "1", "--seed", "3")
    assert first == run("digits_cnn.py", "--epochs", "1", "--seed", "3") and "Cost after epoch 0: " in first


@needs_cat_data
def test_cat_cnn_short_run_prints_the_courses_lines():
    out = run("cat_cnn.py", "--data", str(TRAIN), "--test-data", str(TEST), "--epochs", "2")
    assert out.splitlines()[0] == ("cat images: train X (209, 64, 64, 3), test X (50, 64, 64, 3); 2 epochs of "
                                   "mini-batches of 32, Adam lr=0.003")
    assert [i for i, _ in costs(out)] == [0, 1]
    train_acc, test_acc = accuracies(out)
    assert 0 <= train_acc <= 1 and test_acc * 50 == round(test_acc * 50)  # a count of the 50 test pictures


@needs_cat_data
def test_cat_cnn_finds_the_shared_files_by_default_and_is_seeded():
    env = {**os.environ, "TINYGRAD_NB_DATASETS": str(TRAIN.parent)}
    first = run("cat_cnn.py", "--epochs", "1", env=env)
    assert first == run("cat_cnn.py", "--epochs", "1", env=env) and "Cost after epoch 0: " in first


def test_cat_cnn_without_the_files_says_where_to_get_them(tmp_path):
    env = {**os.environ, "TINYGRAD_NB_DATASETS": str(tmp_path)}
    err = run("cat_cnn.py", env=env, status=2)
    assert f"the course's cat files are not in {tmp_path}: give --data path/to/train_catvnoncat.h5" in err
    assert "course 1, week 4" in err and "Traceback" not in err
    err = run("cat_cnn.py", "--data", str(tmp_path / "train_catvnoncat.h5"), status=2)
    assert f"no file at {tmp_path / 'train_catvnoncat.h5'}: give --data" in err


@pytest.mark.parametrize("script", ["digits_cnn.py", "cat_cnn.py"])
def test_help_runs_nothing(script):
    out = run(script, "--help")
    assert out.startswith("usage: ") and "--epochs" in out and "--seed" in out and "Cost after" not in out


@pytest.mark.slow
def test_digits_cnn_default_run_reaches_097():
    out = run("digits_cnn.py")
    assert [i for i, _ in costs(out)] == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 19]
    train_acc, test_acc = accuracies(out)
    assert test_acc >= 0.97 and train_acc >= 0.99, out


@pytest.mark.slow
@needs_cat_data
def test_cat_cnn_default_run_beats_the_courses_mlp():
    out = run("cat_cnn.py", "--data", str(TRAIN), "--test-data", str(TEST))
    train_acc, test_acc = accuracies(out)
    assert test_acc > 0.80 and train_acc > 0.9, out  # the course's [12288, 20, 7, 5, 1]: train 0.986, test 0.80
