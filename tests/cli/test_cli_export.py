"""``tinygrad-nb export``: a saved model.h5 to ONNX (checked by ONNX Runtime) and to a torch state_dict.

The commands go through ``cli.main`` (one-line errors, exit status 2); when ``export`` is not
wired into the parser yet, the test adds it with ``export.add_parser``.
"""

import argparse
import re
import sys

import numpy as np
import pytest

import nn
from tinygrad_nb_cli import cli, export

pytest.importorskip("h5py", reason="h5py is not installed: pip install 'tinygrad-nb[h5]'")


@pytest.fixture(autouse=True)
def parser_with_export(monkeypatch):
    build = cli.build_parser

    def build_with_export():
        parser = build()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "export" not in sub.choices:
            export.add_parser(sub)
        return parser

    monkeypatch.setattr(cli, "build_parser", build_with_export)


@pytest.fixture
def saved(tmp_path):
    model = nn.MLP([3, 5, 1], hidden="tanh", rng=1)
    for lin in model.linears():
        lin.b.data = lin.b.data + 0.3
    path = tmp_path / "model.h5"
    nn.save(model, path)
    return model, path


def main(*argv):
    return cli.main(["export", *map(str, argv)])


@pytest.mark.parametrize("layout", ["batch_first", "course"])
def test_export_onnx_runs_in_onnx_runtime(saved, tmp_path, capsys, layout):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed: pip install 'tinygrad-nb[onnx]'")
    model, path = saved
    out = tmp_path / "model.onnx"
    assert main("--model", path, "--onnx", out, "--layout", layout) == 0
    shapes = "X (m, 3) -> A2 (m, 1)" if layout == "batch_first" else "X (3, m) -> A2 (1, m)"
    assert capsys.readouterr().out == f"wrote {out}: ONNX opset 17, {layout} layout, {shapes}\n"
    X = np.random.RandomState(0).randn(3, 4)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"X": X if layout == "course" else X.T.copy()})[0]
    np.testing.assert_allclose(got if layout == "course" else got.T, model(X).data, rtol=0, atol=1e-12)


def test_export_torch_writes_a_weights_only_state_dict(saved, tmp_path, capsys):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
    model, path = saved
    out = tmp_path / "model.pt"
    assert main("--model", path, "--torch", out) == 0
    assert "torch.nn.Sequential(Linear, Tanh, Linear, Sigmoid)" in capsys.readouterr().out
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1),
                              torch.nn.Sigmoid()).double()
    net.load_state_dict(torch.load(out, weights_only=True))
    X = np.random.RandomState(1).randn(3, 6)
    np.testing.assert_allclose(net(torch.from_numpy(X.T.copy())).detach().numpy().T, model(X).data,
                               rtol=0, atol=1e-12)


def test_export_both_at_once(saved, tmp_path):
    pytest.importorskip("onnx", reason="onnx is not installed: pip install 'tinygrad-nb[onnx]'")
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
    _, path = saved
    assert main("--model", path, "--onnx", tmp_path / "m.onnx", "--torch", tmp_path / "m.pt") == 0
    assert (tmp_path / "m.onnx").is_file() and (tmp_path / "m.pt").is_file()


@pytest.mark.parametrize("args, message", [
    ([], "nothing to write: give --onnx FILE.onnx and/or --torch FILE.pt"),
    (["--onnx", "{tmp}/missing/m.onnx"], "argument --onnx: .*the folder .*missing does not exist"),
    (["--onnx", "{tmp}/m.txt"], "argument --onnx: .*must end in .onnx"),
    (["--torch", "{tmp}/m.onnx"], "argument --torch: .*must end in .pt, .pth"),
    (["--onnx", "{tmp}/m.onnx", "--layout", "rows"], "argument --layout: invalid choice"),
])
def test_bad_arguments_are_one_line_and_exit_2(saved, tmp_path, capsys, args, message):
    _, path = saved
    assert main("--model", path, *[a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tinygrad-nb") and "error: " in err
    assert re.search(message, err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5"]


def test_a_missing_model_is_one_line_and_exit_2(tmp_path, capsys):
    assert main("--model", tmp_path / "nope.h5", "--onnx", tmp_path / "m.onnx") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.h5" in err
    assert list(tmp_path.iterdir()) == []


def test_an_unexportable_model_is_one_line_and_exit_2(tmp_path, capsys):
    pytest.importorskip("onnx", reason="onnx is not installed: pip install 'tinygrad-nb[onnx]'")
    nn.save(nn.Linear(2, 3), tmp_path / "layer.h5")
    assert main("--model", tmp_path / "layer.h5", "--onnx", tmp_path / "m.onnx") == 2
    err = capsys.readouterr().err
    assert err == "tinygrad-nb export: error: export_onnx: expected an nn.Sequential or nn.MLP, got Linear " \
                  "(wrap it: nn.Sequential(layer))\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer.h5"]


def test_a_missing_package_is_one_line_and_nothing_is_written(saved, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    _, path = saved
    assert main("--model", path, "--onnx", tmp_path / "m.onnx", "--torch", tmp_path / "m.pt") == 2
    assert capsys.readouterr().err == "tinygrad-nb export: error: to_torch needs PyTorch: pip install torch\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5"]
