"""Bad input to the command line: one line on stderr naming the problem, exit status 2, nothing written.

Every argument is refused by its argparse type before anything runs; errors the libraries
raise about the input (ValueError, TypeError, OSError) are turned into one line in ``main``;
a bug (any other exception) keeps its traceback.
"""

import pytest

import nn
from tinygrad_nb_cli.cli import main


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder holding a small binary model.h5 and a plain file; defaults write here."""
    monkeypatch.chdir(tmp_path)
    nn.save(nn.MLP([2, 3, 1], rng=0), tmp_path / "model.h5")
    (tmp_path / "afile").write_text("not a folder")
    return tmp_path


def files_in(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused(argv, folder, capsys):
    """Run main(argv); check exit 2, one stderr line, no traceback, nothing written; return that line."""
    before = files_in(folder)
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and "usage:" not in captured.err
    assert files_in(folder) == before
    return lines[0]


BAD_ARGUMENTS = [
    (["train", "--dataset", "planar", "--iterations", "0", "--out", "run"],
     "tinygrad-nb train: error: argument --iterations: must be a positive int, got 0"),
    (["train", "--dataset", "planar", "--iterations", "-3", "--out", "run"], "--iterations: must be a positive int"),
    (["train", "--dataset", "planar", "--iterations", "ten"], "--iterations: expected an int, got 'ten'"),
    (["train", "--dataset", "planar", "--lr", "0"], "--lr: must be a finite number > 0, got '0'"),
    (["train", "--dataset", "planar", "--lr", "-0.1"], "--lr: must be a finite number > 0"),
    (["train", "--dataset", "planar", "--lr", "nan"], "--lr: must be a finite number > 0, got 'nan'"),
    (["train", "--dataset", "planar", "--lr", "inf"], "--lr: must be a finite number > 0"),
    (["train", "--dataset", "planar", "--batch-size", "0"], "--batch-size: must be a positive int"),
    (["train", "--dataset", "planar", "--print-every", "0"], "--print-every: must be a positive int"),
    (["train", "--dataset", "planar", "--seed", "-1"], "--seed: the seed must be in 0 .. 2**32 - 1"),
    (["train", "--dataset", "planar", "--hidden-dims", "4,0"], "--hidden-dims: n[2] must be a positive int"),
    (["train", "--dataset", "planar", "--hidden-dims", "4,x"], "--hidden-dims: expected comma-separated ints"),
    (["train", "--dataset", "cats.csv"], "--dataset: expected digits, planar or a path to a course .h5 file"),
    (["train", "--dataset", "planar", "--out", "afile"], "--out: afile is a file, not a folder"),
    (["train", "--dataset", "planar", "--out", "afile/run"], "--out: cannot create afile/run"),
    (["train", "--dataset", "planar", "--task", "multiclass"], "--task multiclass needs the digits dataset"),
    (["train", "--dataset", "planar", "--test-data", "test.h5"], "--test-data goes with a course .h5 dataset"),
    (["train", "--dataset", "planar", "--hidden-dims", "100000000"],
     "layer_dims [2, 100000000, 1] has 400,000,001 parameters, more than the 20,000,000 allowed: "
     "W1 alone is (n[1], n[0]) = (100000000, 2); make n[1] smaller"),
    (["train", "--dataset", "planar", "--hidden-dims", "100000"], "A1 is (n[1], m) = (100000, 320)"),
    (["check", "--tolerance", "-1"], "tinygrad-nb check: error: argument --tolerance: must be a finite number > 0"),
    (["check", "--tolerance", "nan"], "--tolerance: must be a finite number > 0"),
    (["check", "--m", "0"], "--m: must be a positive int, got 0"),
    (["check", "--n-x", "0"], "--n-x: must be a positive int, got 0"),
    (["check", "--n-x", "10000", "--hidden-dims", "10000"], "make n[1] smaller"),
    (["check", "--m", "100000000"], "X is (n[0], m) = (5, 100000000)"),
    (["graph", "--layers", "100000,100000,1"],
     "tinygrad-nb graph: error: layer_dims [100000, 100000, 1] has 10,000,200,001 parameters"),
    (["graph", "--layers", "5"], "--layers: layer_dims needs at least n_x,n_y"),
    (["graph", "--layers", "3,0,1"], "--layers: n[1] must be a positive int"),
    (["graph", "--layers", "3,1", "--out", "g.txt"], "--out: g.txt must end in .svg, .png, .pdf, .dot"),
    (["graph", "--layers", "3,1", "--out", "nowhere/g.svg"],
     "--out: nowhere/g.svg: the folder nowhere does not exist; create it first"),
    (["graph", "--layers", "3,1", "--out", "."], "--out: . is a folder"),
    (["graph", "--layers", "3,1", "--max-nodes", "2"], "--max-nodes: must be an int >= 4, got 2"),
    (["graph", "--layers", "3,1", "--m", "0"], "--m: must be a positive int"),
    (["graph", "--layers", "3,1", "--model", "model.h5"], "--model: not allowed with argument --layers"),
    (["graph"], "one of the arguments --model --layers is required"),
    (["predict", "--model", "model.h5", "--data", "planar", "--out", "."],
     "tinygrad-nb predict: error: argument --out: . is a folder; give a file name such as ./predictions.json"),
    (["predict", "--model", "model.h5", "--data", "planar", "--out", "nowhere/p.json"], "nowhere does not exist"),
    (["predict", "--model", "afile", "--data", "planar"], "load: afile is not a readable HDF5 file"),
    (["predict", "--model", "missing.h5", "--data", "planar"], "load: no model file at missing.h5"),
    (["predict", "--model", "model.h5", "--data", "digits", "--task", "multiclass"],
     "the model has n[L] = 1 output unit (binary); predict it with --task binary"),
    (["frobnicate"], "tinygrad-nb: error: argument command: invalid choice: 'frobnicate'"),
    ([], "tinygrad-nb: error: the following arguments are required: command"),
]


@pytest.mark.parametrize("argv, message", BAD_ARGUMENTS, ids=[" ".join(v) or "no command" for v, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_one_line_and_exit_2_before_anything_is_written(argv, message, workdir, capsys):
    assert message in refused(argv, workdir, capsys)


def test_the_n_x_of_a_model_and_its_data_must_agree(workdir, capsys):
    line = refused(["predict", "--model", "model.h5", "--data", "digits"], workdir, capsys)
    assert line.startswith("tinygrad-nb predict: error: ") and "64" in line


def test_a_corrupt_model_file_is_one_line(workdir, capsys):
    (workdir / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    line = refused(["predict", "--model", "broken.h5", "--data", "planar"], workdir, capsys)
    assert line.startswith("tinygrad-nb predict: error: load:") and "broken.h5" in line


LIBRARY_ERRORS = [
    (ValueError("W1 is wrong"), "W1 is wrong"),
    (TypeError("X must be a numpy array"), "X must be a numpy array"),
    (FileNotFoundError("load: no model file at m.h5"), "load: no model file at m.h5"),
    (OSError(28, "No space left on device"), "[Errno 28] No space left on device"),
    (MemoryError(), "MemoryError"),
]


@pytest.mark.parametrize("error, message", LIBRARY_ERRORS, ids=[type(e).__name__ for e, _ in LIBRARY_ERRORS])
def test_library_errors_of_each_kind_become_one_line(error, message, workdir, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(nn, "check_against_closed_form", fail)
    assert refused(["check"], workdir, capsys) == f"tinygrad-nb check: error: {message}"


def test_a_multi_line_library_message_is_joined_on_one_line(workdir, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("render: dot failed:\n  syntax error in line 3\n")
    monkeypatch.setattr(nn, "check_against_closed_form", fail)
    assert refused(["check"], workdir, capsys) == \
        "tinygrad-nb check: error: render: dot failed:; syntax error in line 3"


def test_a_bug_keeps_its_traceback(workdir, monkeypatch):
    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug, not bad input")
    monkeypatch.setattr(nn, "check_against_closed_form", bug)
    with pytest.raises(ZeroDivisionError):
        main(["check"])


def test_help_still_exits_0(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0 and "--hidden-dims" in capsys.readouterr().out


def test_sizes_at_the_bound_are_accepted(workdir, capsys):
    assert main(["check", "--n-x", "3", "--hidden-dims", "2", "--m", "4"]) == 0
    assert main(["graph", "--layers", "4000,4000,1", "--m", "2", "--show", "forward", "--out", "g.dot"]) == 0
    assert "layer_dims [4000, 4000, 1]" in capsys.readouterr().out
    assert (workdir / "g.dot").is_file()
