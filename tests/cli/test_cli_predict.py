"""tinygrad-nb predict: every accuracy says which data it is on; the saved model's task is checked."""

from _cli_helpers import train
from _shared import TRAIN, needs_cat_data

import nn
from tinygrad_nb_cli.cli import main


def test_predict_says_which_data_its_accuracy_is_on(tmp_path, capsys):
    train(tmp_path, capsys, "--dataset", "planar", "--iterations", "50")
    model = str(tmp_path / "run" / "model.h5")
    assert main(["predict", "--model", model, "--data", "planar"]) == 0
    assert "80 predictions; test accuracy (80 examples of planar): " in capsys.readouterr().out
    assert main(["predict", "--model", model, "--data", "planar", "--train-split"]) == 0
    assert "320 predictions; train accuracy (320 examples of planar): " in capsys.readouterr().out


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
