"""The command line: train writes model.h5 and costs.json (and its plot); check; predict; the three entry
points; --version; a missing h5py found before training."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from tinygrad_nb_cli.cli import main


def test_train_on_planar_writes_the_model_and_costs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "planar", "--hidden", "tanh", "--lr", "1.2", "--iterations", "300",
                 "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "Cost after iteration 0:" in printed and "train accuracy (320 examples of planar):" in printed
    assert f"wrote {out / 'model.h5'}" in printed and f"wrote {out / 'costs.json'}" in printed
    costs = json.loads((out / "costs.json").read_text())
    assert len(costs["costs"]) == 4 and costs["iterations"][-1] == 299 and costs["layer_dims"] == [2, 4, 1]
    assert (out / "model.h5").is_file()
    predictions = tmp_path / "p.json"
    assert main(["predict", "--model", str(out / "model.h5"), "--data", "planar", "--out", str(predictions)]) == 0
    printed = capsys.readouterr().out
    assert "80 predictions; test accuracy (80 examples of planar): 0." in printed and "first predictions: [" in printed
    assert f"wrote {predictions}" in printed
    assert len(json.loads(predictions.read_text())["predictions"]) == 80


def test_train_digits_default_briefly(tmp_path, capsys):
    assert main(["train", "--iterations", "50", "--out", str(tmp_path), "--no-progress"]) == 0
    assert "test accuracy (359 examples of digits):" in capsys.readouterr().out


def test_check_prints_the_table_and_passes(capsys):
    assert main(["check", "--hidden", "tanh"]) == 0
    out = capsys.readouterr().out
    assert "dZ3" in out and "dA0" in out and "PASS" in out


def test_bad_dataset_is_one_clear_line_and_writes_nothing(tmp_path, capsys):
    assert main(["train", "--dataset", str(tmp_path / "missing.h5"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "error: load_course_h5: no file at" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


ENTRY_POINTS = [
    pytest.param([sys.executable, "-m", "tinygrad_nb"], id="python -m tinygrad_nb"),
    pytest.param([sys.executable, "-m", "tinygrad_nb_cli"], id="python -m tinygrad_nb_cli"),
    pytest.param([str(Path(sys.executable).with_name("tinygrad-nb"))], id="tinygrad-nb",
                 marks=pytest.mark.skipif(not Path(sys.executable).with_name("tinygrad-nb").is_file(),
                                          reason="the tinygrad-nb script is not installed beside python")),
]


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_entry_points_run_the_command_line(command, tmp_path):
    result = subprocess.run([*command, "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "train" in result.stdout and "predict" in result.stdout
    result = subprocess.run([*command, "check", "--tolerance", "-1"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "tinygrad-nb check: error: argument --tolerance: must be a finite number > 0, got '-1'\n"

ROOT = Path(__file__).resolve().parents[2]


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

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_cli_still_lists_the_cost_plot_it_wrote(tmp_path):
    from tinygrad_nb_cli.pictures import run_pictures

    data = nn.datasets.planar(m=10)
    model = nn.MLP([2, 3, 1], rng=0)
    written = run_pictures(model, data.X, data.Y, [0.7, 0.6, 0.5], multiclass=False, learning_rate=0.1,
                           record_every=10, folder=tmp_path, history={"iterations": [0, 10, 14],
                                                                       "costs": [0.7, 0.6, 0.5]})
    assert written[0] == tmp_path / "costs.png" and written[0].read_bytes()[:8] == PNG_MAGIC
