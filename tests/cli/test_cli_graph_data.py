"""``tinygrad-nb graph --model`` says its inputs are random, or draws the model on ``--data``'s examples."""

import nn
from tinygrad_nb_cli.cli import main


def test_without_data_the_drawing_and_the_console_say_the_inputs_are_random(tmp_path, capsys):
    nn.save(nn.MLP([2, 3, 1], rng=0), tmp_path / "model.h5")
    assert main(["graph", "--model", str(tmp_path / "model.h5"), "--out", str(tmp_path / "g.dot")]) == 0
    assert "X (209 random inputs)|(2, 209)" in (tmp_path / "g.dot").read_text()
    assert "on 209 random inputs (give --data" in capsys.readouterr().out


def test_with_data_the_model_is_drawn_on_the_datas_examples(tmp_path, capsys):
    nn.save(nn.MLP([2, 3, 1], rng=0, task=nn.Task("binary", ["red", "blue"])), tmp_path / "model.h5")
    args = ["graph", "--model", str(tmp_path / "model.h5"), "--data", "planar"]
    assert main([*args, "--out", str(tmp_path / "g.dot")]) == 0
    assert "X (320 examples of planar)|(2, 320)" in (tmp_path / "g.dot").read_text()  # planar's train split
    assert "on 320 examples of planar" in capsys.readouterr().out
    assert main([*args, "--m", "25", "--out", str(tmp_path / "h.dot")]) == 0
    assert "X (25 examples of planar)|(2, 25)" in (tmp_path / "h.dot").read_text()


def test_data_that_does_not_fit_the_model_is_refused_in_one_line(tmp_path, capsys):
    nn.save(nn.MLP([64, 3, 10], rng=0, task=nn.Task("multiclass", 10)), tmp_path / "digits.h5")
    assert main(["graph", "--model", str(tmp_path / "digits.h5"), "--data", "planar",
                 "--out", str(tmp_path / "g.dot")]) == 2
    assert "multiclass" in capsys.readouterr().err
    assert main(["graph", "--layers", "2,3,1", "--data", "planar", "--out", str(tmp_path / "g.dot")]) == 2
    assert "--data draws a saved model (--model)" in capsys.readouterr().err
    assert not (tmp_path / "g.dot").exists()
