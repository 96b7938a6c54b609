"""tinygrad-nb train: settings from the dataset and optimizer, said in the first line."""

import json

from _cli_helpers import train
from _shared import TRAIN, needs_cat_data

from nn.training.defaults import default_settings


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


def test_with_a_batch_size_the_default_iterations_are_about_as_many_steps_as_fit_takes(tmp_path, capsys):
    printed = train(tmp_path, capsys, "--batch-size", "500", "--hidden-dims", "4", "--print-every", "1000")
    steps = default_settings("digits").iterations  # 1,438 examples: 3 mini-batches of up to 500 per epoch
    assert f"{round(steps / 3)} epochs" in printed.splitlines()[0]
