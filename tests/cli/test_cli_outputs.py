"""A run's outputs are replaced all together or not at all: a failed run leaves the previous one intact."""

import os
import subprocess
import sys

import pytest

import nn
import viz
from nn.files.atomic import temporary_name
from tinygrad_nb_cli.cli import main

PLANAR = ["train", "--dataset", "planar", "--hidden", "tanh", "--lr", "1.2", "--no-progress"]


def snapshot(folder):
    """{relative path: bytes} of every file under ``folder``, hidden ones included."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def previous_run(tmp_path, capsys):
    """A finished run in tmp_path/run, and the bytes of its files."""
    out = tmp_path / "run"
    assert main([*PLANAR, "--iterations", "100", "--out", str(out)]) == 0
    capsys.readouterr()
    files = snapshot(out)
    assert {"model.h5", "costs.json", "costs.png", "graph.dot"} <= set(files)
    return out, files


def test_a_run_writes_every_output_and_leaves_no_temporary_folder(tmp_path, capsys):
    out = tmp_path / "runs" / "first"
    assert main([*PLANAR, "--iterations", "100", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert {"model.h5", "costs.json", "costs.png", "graph.dot", "graph.html"} <= set(names)
    page = (out / "graph.html").read_text()
    assert "W1" in page and "Content-Security-Policy" in page  # the explorer page of this run's model
    assert not [n for n in names if n.startswith(".")]
    for name in ("model.h5", "costs.json", "costs.png"):
        assert f"wrote {out / name}" in printed


def test_iterations_0_is_refused_before_the_previous_run_is_touched(previous_run, capsys):
    out, files = previous_run
    assert main([*PLANAR, "--iterations", "0", "--out", str(out)]) == 2
    assert "--iterations: must be a positive int, got 0" in capsys.readouterr().err
    assert snapshot(out) == files


def _fail_with(error):
    def fail(*args, **kwargs):
        raise error
    return fail


FAILURES = [
    pytest.param(viz, "plot_costs", ValueError("plot_costs: expected a non-empty list of costs"), id="plot fails"),
    pytest.param(viz, "render", OSError(28, "No space left on device"), id="render fails"),
    pytest.param(nn, "save", OSError(28, "No space left on device"), id="save fails"),
]


@pytest.mark.parametrize("module, name, error", FAILURES)
def test_a_failure_while_writing_leaves_the_previous_run_intact(module, name, error, previous_run, capsys,
                                                               monkeypatch):
    out, files = previous_run
    monkeypatch.setattr(module, name, _fail_with(error))
    assert main([*PLANAR, "--iterations", "50", "--seed", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"tinygrad-nb train: error: {error}\n"
    assert snapshot(out) == files  # same files, same bytes, no temporary folder left behind


def test_ctrl_c_while_writing_leaves_the_previous_run_intact(previous_run, monkeypatch, capsys):
    out, files = previous_run
    monkeypatch.setattr(viz, "plot_costs", _fail_with(KeyboardInterrupt()))
    assert main([*PLANAR, "--iterations", "50", "--out", str(out)]) == 130
    assert capsys.readouterr().err == "tinygrad-nb train: interrupted; nothing written\n"
    assert snapshot(out) == files


def test_a_failed_first_run_leaves_no_folder_behind(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(nn, "save", _fail_with(OSError(28, "No space left on device")))
    assert main([*PLANAR, "--iterations", "50", "--out", str(tmp_path / "new" / "run")]) == 2
    assert list(tmp_path.iterdir()) == []


def test_graph_replaces_the_picture_and_its_dot_together(tmp_path, monkeypatch, capsys):
    out = tmp_path / "g.svg"
    assert main(["graph", "--layers", "3,2,1", "--m", "4", "--out", str(out)]) == 0
    files = snapshot(tmp_path)
    assert "g.dot" in files

    def half_render(graph, path):
        path.with_suffix(".dot").write_text(graph.source)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(viz, "render", half_render)
    assert main(["graph", "--layers", "4,2,1", "--m", "4", "--out", str(out)]) == 2
    assert snapshot(tmp_path) == files


def test_without_the_viz_extra_a_run_writes_the_model_and_a_note(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(viz, "plot_costs", _fail_with(ImportError("plot_costs needs matplotlib")))
    out = tmp_path / "run"
    assert main([*PLANAR, "--iterations", "50", "--out", str(out)]) == 0
    assert "note: no costs.png (plot_costs needs matplotlib); install them with: pip install " \
           "'tinygrad-nb[viz,render]'" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert "costs.png" not in names and {"costs.json", "model.h5", "graph.html"} <= set(names)


def test_without_graphviz_the_cost_plot_is_still_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(viz, "draw_graph", _fail_with(ImportError("draw_graph needs graphviz")))
    out = tmp_path / "run"
    assert main([*PLANAR, "--iterations", "50", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "note: no graph.svg or graph.html (draw_graph needs graphviz)" in printed
    assert f"wrote {out / 'costs.png'}" in printed
    assert sorted(p.name for p in out.iterdir()) == ["costs.json", "costs.png", "model.h5"]


def test_a_new_run_keeps_the_permissions_of_the_files_it_replaces(previous_run, capsys):
    out, _ = previous_run
    (out / "model.h5").chmod(0o600)
    assert main([*PLANAR, "--iterations", "50", "--out", str(out)]) == 0
    assert (out / "model.h5").stat().st_mode & 0o777 == 0o600


def test_the_staging_folder_of_a_killed_run_is_removed_by_the_next_run(previous_run, capsys):
    out, _ = previous_run
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    name = temporary_name("staging").replace(f".{os.getpid()}.", f".{dead.stdout.strip()}.")
    (out / name).mkdir()
    (out / name / "model.h5").write_bytes(b"half a model")
    assert main([*PLANAR, "--iterations", "50", "--out", str(out)]) == 0
    assert not (out / name).exists()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_graph_writes_the_explorer_page_on_request(tmp_path, capsys):
    out, page = tmp_path / "g.svg", tmp_path / "g.html"
    assert main(["graph", "--layers", "5,3,1", "--m", "7", "--out", str(out), "--html", str(page)]) == 0
    assert f"wrote {page}" in capsys.readouterr().out
    assert "dW2" in page.read_text()
    assert main(["graph", "--layers", "5,3,1", "--out", str(out), "--html", str(tmp_path / "g.txt")]) == 2
