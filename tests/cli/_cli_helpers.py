"""Helpers shared by the command line's tests."""

from tinygrad_nb_cli.cli import main


def train(tmp_path, capsys, *args):
    assert main(["train", *args, "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    return capsys.readouterr().out
