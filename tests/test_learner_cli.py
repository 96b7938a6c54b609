"""tinygrad-nb train for a learner: settings from the dataset and optimizer, said in the first line; every
accuracy says which data it is on; the last cost kept; --version; a missing h5py found before training."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _shared import TRAIN, needs_cat_data

import nn
from nn.training.defaults import default_settings
from tinygrad_nb_cli.cli import main

ROOT = Path(__file__).resolve().parents[1]


def train(tmp_path, capsys, *args):
    assert main(["train", *args, "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    return capsys.readouterr().out


def test_planar_trains_with_the_courses_settings_and_a_test_split(tmp_path, capsys):
    printed = train(tmp_path, capsys, "--dataset", "planar", "--iterations", "1000", "--print-every", "400")
    settings = default_settings("planar")
    header = printed.splitlines()[0]
    assert f"{settings.hidden} hidden, sgd lr={settings.lr:g}, 1000 iterations" in header
    assert "layer_dims [2, 4, 1]" in header and "320 examples of planar (test: 80 examples of planar)" in header
    assert "defaults for planar with sgd (the course's week 3 settings): lr, hidden_dims, hidden, init" in printed
    assert "train accuracy (320 examples of planar): 0.8" in printed or "train accuracy (320 examples of planar): 0.9" \
        in printed
    assert "test accuracy (80 examples of planar): " in printed
    costs = json.loads((tmp_path / "run" / "costs.json").read_text())
    assert costs["iterations"] == [0, 400, 800, 999] and len(costs["costs"]) == 4
    assert costs["learning_rate"] == settings.lr and costs["defaults"] == ["lr", "hidden_dims", "hidden", "init"]


def test_adam_takes_its_own_default_rate_and_given_settings_are_kept(tmp_path, capsys):
    printed = train(tmp_path, capsys, "--optimizer", "adam", "--iterations", "5", "--hidden-dims", "8")
    assert f"adam lr={default_settings('digits', 'adam').lr:g}, 5 iterations" in printed
    assert "layer_dims [64, 8, 1]" in printed and "defaults for digits with adam" in printed
    printed = train(tmp_path, capsys, "--lr", "0.05", "--iterations", "5", "--hidden-dims", "8", "--hidden", "tanh",
                    "--init", "deep")
    assert "sgd lr=0.05, 5 iterations" in printed and "defaults for" not in printed


@needs_cat_data
def test_the_cat_file_gets_the_courses_network_and_rate(tmp_path, capsys):
    printed = train(tmp_path, capsys, "--dataset", str(TRAIN), "--iterations", "2")
    assert "layer_dims [12288, 20, 7, 5, 1], relu hidden, sgd lr=0.0075, 2 iterations" in printed
    assert "Cost after iteration 0: 0.77174932842" in printed
    assert "test accuracy (50 examples of test_catvnoncat): " in printed


def test_predict_says_which_data_its_accuracy_is_on(tmp_path, capsys):
    train(tmp_path, capsys, "--dataset", "planar", "--iterations", "50")
    model = str(tmp_path / "run" / "model.h5")
    assert main(["predict", "--model", model, "--data", "planar"]) == 0
    assert "80 predictions; test accuracy (80 examples of planar): " in capsys.readouterr().out
    assert main(["predict", "--model", model, "--data", "planar", "--train-split"]) == 0
    assert "320 predictions; train accuracy (320 examples of planar): " in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("tinygrad-nb ") and out.split()[1][0].isdigit()


def test_a_missing_h5py_is_found_before_training(tmp_path):
    code = ("import sys; sys.modules['h5py'] = None\n"
            "from tinygrad_nb_cli.cli import main\n"
            f"sys.exit(main(['train', '--dataset', 'planar', '--out', {str(tmp_path / 'run')!r}, '--no-progress']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert "needs h5py: pip install 'tinygrad-nb[h5]'" in result.stderr
    assert "Cost after" not in result.stdout and not (tmp_path / "run").exists()


def test_the_saved_model_knows_its_task_and_predict_refuses_data_of_another(tmp_path, capsys):
    train(tmp_path, capsys, "--dataset", "digits", "--task", "multiclass", "--iterations", "3")
    path = tmp_path / "run" / "model.h5"
    task = nn.load(path).task
    assert task is not None and task.kind == "multiclass" and list(task.classes) == [str(d) for d in range(10)]
    assert main(["predict", "--model", str(path), "--data", "digits", "--task", "multiclass"]) == 0
    capsys.readouterr()

    train(tmp_path, capsys, "--dataset", "planar", "--iterations", "3")  # a binary model of red / blue points
    assert main(["predict", "--model", str(path), "--data", "digits"]) == 2  # odd / even: another task
    err = capsys.readouterr().err
    assert "red" in err and "even" in err and "accuracy" not in err, err


def test_predicts_test_split_is_the_one_train_held_out_whatever_the_seed(tmp_path, capsys):
    train(tmp_path, capsys, "--iterations", "30", "--seed", "7")
    model = nn.load(tmp_path / "run" / "model.h5")
    split = nn.datasets.digits()  # the digits' own split, which train held out
    assert split.test is not None
    expected = nn.accuracy(model, split.test.X, split.test.Y)
    assert main(["predict", "--model", str(tmp_path / "run" / "model.h5")]) == 0
    assert f"test accuracy (359 examples of digits): {expected:.4f}" in capsys.readouterr().out


@needs_cat_data
def test_a_course_file_predicted_as_it_is_says_accuracy_not_train_accuracy(tmp_path, capsys):
    train(tmp_path, capsys, "--dataset", str(TRAIN), "--iterations", "3")
    test_file = str(TRAIN).replace("train_catvnoncat", "test_catvnoncat")
    assert main(["predict", "--model", str(tmp_path / "run" / "model.h5"), "--data", test_file]) == 0
    printed = capsys.readouterr().out
    assert "50 predictions; accuracy (50 examples of test_catvnoncat): " in printed and "train" not in printed


def test_predict_explains_seed_and_a_multiclass_model_on_two_class_data(tmp_path, capsys):
    train(tmp_path, capsys, "--task", "multiclass", "--iterations", "2")
    model = str(tmp_path / "run" / "model.h5")
    assert main(["predict", "--model", model, "--seed", "1"]) == 0
    assert "note: --seed no longer changes predict's data" in capsys.readouterr().out
    assert main(["predict", "--model", model, "--data", "planar"]) == 2
    assert "is a multiclass model (classes 0..9); planar has two classes: predict it on --data digits" \
        in capsys.readouterr().err


def test_a_model_saved_without_its_task_gets_a_note_on_its_test_split(tmp_path, capsys):
    train(tmp_path, capsys, "--iterations", "2")
    model = nn.load(tmp_path / "run" / "model.h5")
    model.task = None  # as files saved before models kept their task
    nn.save(model, tmp_path / "old.h5")
    assert main(["predict", "--model", str(tmp_path / "old.h5")]) == 0
    assert "this test split may hold some of its training examples" in capsys.readouterr().out


def test_with_a_batch_size_the_default_iterations_are_about_as_many_steps_as_fit_takes(tmp_path, capsys):
    printed = train(tmp_path, capsys, "--batch-size", "500", "--hidden-dims", "4", "--print-every", "1000")
    steps = default_settings("digits").iterations  # 1,438 examples: 3 mini-batches of up to 500 per epoch
    assert f"{round(steps / 3)} epochs" in printed.splitlines()[0]
