"""tinygrad-nb train --arch cnn: a CNN on the digits' images (and the cat files), its outputs, and predict, graph
and check on a CNN; the options refused where they would be ignored."""

import json
import re

import pytest
from _cli_helpers import train
from _shared import TRAIN, needs_cat_data

import nn
from tinygrad_nb_cli.cli import main
from tinygrad_nb_cli.cnn import CNN_DEFAULTS, input_image
from tinygrad_nb_cli.sizes import MAX_ACTIVATION, MAX_WINDOWS

CNN = ["--arch", "cnn"]


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def digits_cnn(tmp_path_factory):
    """One short multiclass CNN run on the digits, shared by the tests that read its outputs."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("cnn") / "run"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["train", *CNN, "--task", "multiclass", "--iterations", "3", "--print-every", "1",
                     "--out", str(out), "--no-progress"]) == 0
    return out, printed.getvalue()


def test_train_cnn_says_the_network_and_its_defaults(digits_cnn):
    _, printed = digits_cnn
    header, defaults = printed.splitlines()[:2]
    assert header == ("tinygrad-nb train: 1,438 examples of digits (test: 359 examples of digits), images (8, 8, 1), "
                      "CNN CONV3x3x16 > RELU > MAXPOOL2 > CONV3x3x32 > RELU > MAXPOOL2 > FLATTEN > LINEAR 128->10, "
                      "relu hidden, adam lr=0.003, 3 epochs of mini-batches of 32")
    assert defaults == ("  defaults for digits (cnn) with adam (tinygrad-nb's CNN settings for the digits): lr, "
                        "batch_size, filters, pools, hidden_dims, hidden, init")
    assert [line.split(":")[0] for line in printed.splitlines() if line.startswith("Cost after")] == \
        ["Cost after epoch 0", "Cost after epoch 1", "Cost after epoch 2"]
    test_line = next(line for line in printed.splitlines() if line.startswith("test accuracy"))
    assert test_line.startswith("test accuracy (359 examples of digits): ")
    assert float(test_line.rsplit(" ", 1)[1]) > 0.9  # 3 epochs already learn the digits


def test_train_cnn_writes_every_output_and_the_model_is_a_cnn(digits_cnn):
    out, printed = digits_cnn
    for name in ("model.h5", "costs.json", "costs.png", "graph.html"):
        assert (out / name).stat().st_size > 0 and f"wrote {out / name}" in printed
    assert (out / "graph.svg").exists() or (out / "graph.dot").exists()
    record = json.loads((out / "costs.json").read_text())
    assert record["arch"] == "cnn" and record["filters"] == [16, 32] and record["pools"] == [2, 2]
    assert record["image_shape"] == [8, 8, 1] and record["batch_size"] == 32 and record["layer_dims"] == [128, 10]
    assert record["iterations"] == [0, 1, 2] and len(record["costs"]) == 3 and record["costs"][2] < record["costs"][0]
    model = nn.load(out / "model.h5")
    assert isinstance(model[0], nn.Conv2D) and model.task.kind == "multiclass"
    assert input_image(model) == (8, 8, 1)


def test_the_graph_and_the_explorer_show_the_convolutions(digits_cnn):
    out, _ = digits_cnn
    page = (out / "graph.html").read_text()
    assert "conv2d" in page and "pool2d" in page
    assert len(page) < 1_000_000  # a small page: one step's graph, not one node per image
    drawing = (out / "graph.svg") if (out / "graph.svg").exists() else (out / "graph.dot")
    assert "conv2d" in drawing.read_text() and "(1438, 8, 8, 16)" in drawing.read_text()


def test_predict_on_a_saved_cnn_reads_the_data_as_images(digits_cnn, capsys):
    out, printed = digits_cnn
    status, said, _ = run(capsys, "predict", "--model", str(out / "model.h5"))
    assert status == 0
    test_line = next(line for line in printed.splitlines() if line.startswith("test accuracy"))
    assert f"359 predictions; {test_line}" in said  # the accuracy train printed, on the same held-out digits
    status, said, _ = run(capsys, "predict", "--model", str(out / "model.h5"), "--train-split")
    assert status == 0 and "1438 predictions; train accuracy (1,438 examples of digits): " in said


def test_export_of_a_saved_cnn_says_how_to_feed_each_runtime(digits_cnn, tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
    pytest.importorskip("onnx", reason="onnx is not installed: pip install 'tinygrad-nb[onnx]'")
    out, _ = digits_cnn
    status, said, _ = run(capsys, "export", "--model", str(out / "model.h5"), "--onnx", str(tmp_path / "m.onnx"),
                          "--torch", str(tmp_path / "m.pt"))
    assert status == 0
    assert re.search(r"X \(m, \w+, \w+, 1\)", said), said  # the ONNX file takes images as the course holds them
    assert "feed it the images as NCHW, X.transpose(0, 3, 1, 2)" in said and "X.T" not in said


def test_graph_draws_a_saved_cnn(digits_cnn, tmp_path, capsys):
    out, _ = digits_cnn
    status, said, err = run(capsys, "graph", "--model", str(out / "model.h5"), "--m", "5",
                            "--out", str(tmp_path / "g.svg"), "--html", str(tmp_path / "g.html"))
    assert status == 0, err
    assert said.startswith("drew ") and "on images (m, n_H, n_W, n_C) = (5, 8, 8, 1)" in said
    assert "conv2d" in (tmp_path / "g.html").read_text()
    status, _, err = run(capsys, "graph", "--model", str(out / "model.h5"), "--image-shape", "8,8,3")
    assert status == 2 and "n_C_prev = 3" in err and "expects n_C_prev = 1" in err
    status, _, err = run(capsys, "graph", "--model", str(out / "model.h5"), "--m", "200000",
                         "--out", str(tmp_path / "big.svg"))
    assert status == 2 and f"more than the {MAX_WINDOWS:,} allowed" in err and not (tmp_path / "big.svg").exists()


def test_a_binary_cnn_on_the_digits_trains_and_predicts(tmp_path, capsys):
    printed = train(tmp_path, capsys, *CNN, "--iterations", "2", "--filters", "4", "--pools", "4")
    assert "CNN CONV3x3x4 > RELU > MAXPOOL4 > FLATTEN > LINEAR 16->1 > SIGMOID" in printed
    assert "2 epochs of mini-batches of 32" in printed
    model = tmp_path / "run" / "model.h5"
    status, said, _ = run(capsys, "predict", "--model", str(model))
    assert status == 0 and "359 predictions; test accuracy (359 examples of digits): " in said


def test_given_settings_are_kept_and_not_called_defaults(tmp_path, capsys):
    printed = train(tmp_path, capsys, *CNN, "--iterations", "1", "--filters", "2,3", "--pools", "2,2",
                    "--hidden-dims", "5", "--optimizer", "sgd", "--lr", "0.05", "--batch-size", "100",
                    "--hidden", "tanh", "--init", "xavier")
    header = printed.splitlines()[0]
    assert ("CONV3x3x2 > TANH > MAXPOOL2 > CONV3x3x3 > TANH > MAXPOOL2 > FLATTEN > LINEAR 12->5 > TANH > "
            "LINEAR 5->1 > SIGMOID, tanh hidden, sgd lr=0.05, 1 epochs of mini-batches of 100") in header
    assert "defaults for" not in printed


def test_sgd_takes_the_cnn_tables_sgd_rate(tmp_path, capsys):
    printed = train(tmp_path, capsys, *CNN, "--iterations", "1", "--optimizer", "momentum", "--filters", "2")
    assert f"momentum lr={CNN_DEFAULTS['digits'].sgd_lr:g}" in printed
    assert "with momentum's learning rate" in printed and "pools" in printed.splitlines()[1]


@pytest.mark.parametrize(("argv", "message"), [
    (["--filters", "4"], "--filters sets the conv blocks of a CNN: add --arch cnn"),
    (["--pools", "2"], "--pools sets the conv blocks of a CNN: add --arch cnn"),
    ([*CNN, "--dataset", "planar"], "planar's examples are points, not images"),
    ([*CNN, "--filters", "4,4", "--pools", "2"], "--pools gives 1 pool size for 2 conv blocks"),
    ([*CNN, "--filters", "4,4,4", "--pools", "2,2,4"], "block 3's MAXPOOL(f = 4) gets images of 2x2"),
    ([*CNN, "--filters", "2000"], f"more than the {MAX_ACTIVATION:,} allowed"),
    ([*CNN, "--filters", "4,0"], "block 2's number of filters must be a positive int"),
    ([*CNN, "--pools", "x"], "argument --pools: expected comma-separated ints"),
])
def test_bad_cnn_options_are_refused_before_anything_is_written(tmp_path, capsys, argv, message):
    status, out, err = run(capsys, "train", *argv, "--out", str(tmp_path / "run"), "--no-progress")
    assert status == 2 and message in err and err.count("\n") == 1, err
    assert "Cost after" not in out and not (tmp_path / "run").exists()


def test_check_cnn_compares_autograd_with_finite_differences(capsys):
    status, out, _ = run(capsys, "check", *CNN)
    lines = out.splitlines()
    assert status == 0 and lines[0].startswith("autograd against finite differences")
    assert [line.split()[0] for line in lines[1:-1]] == ["dW1", "db1", "dW2", "db2", "dW3", "db3"]
    assert lines[-1].startswith("PASS: largest difference ") and lines[-1].endswith("(tolerance 1e-07)")
    assert float(lines[-1].split()[3]) < 1e-7
    status, out, _ = run(capsys, "check", *CNN, "--tolerance", "1e-30")  # no finite difference is that exact
    assert status == 1 and out.splitlines()[-1].startswith("FAIL: ")


def test_check_keeps_the_mlps_closed_form_and_refuses_mixed_options(capsys):
    status, out, _ = run(capsys, "check")
    assert status == 0 and "closed-form" in out and "(tolerance 1e-10)" in out
    status, _, err = run(capsys, "check", "--filters", "3")
    assert status == 2 and "--filters describes the CNN of check --arch cnn" in err
    status, _, err = run(capsys, "check", *CNN, "--n-x", "4")
    assert status == 2 and "--n-x is an MLP's input size" in err
    status, _, err = run(capsys, "check", *CNN, "--filters", "200,200")
    assert status == 2 and "parameters, more than the 20,000 the finite differences check" in err


@needs_cat_data
def test_train_cnn_on_the_cat_files_reads_them_as_images(tmp_path, capsys):
    printed = train(tmp_path, capsys, *CNN, "--dataset", str(TRAIN), "--iterations", "1", "--filters", "2,2")
    assert "209 examples of train_catvnoncat (test: 50 examples of test_catvnoncat), images (64, 64, 3)" in printed
    assert "MAXPOOL2 > CONV3x3x2 > RELU > MAXPOOL4 > FLATTEN > LINEAR 128->1 > SIGMOID" in printed
    assert "test accuracy (50 examples of test_catvnoncat): " in printed
    status, said, _ = run(capsys, "predict", "--model", str(tmp_path / "run" / "model.h5"), "--data", str(TRAIN))
    assert status == 0 and "50 predictions; test accuracy (50 examples of test_catvnoncat)" in said
    status, _, err = run(capsys, "predict", "--model", str(tmp_path / "run" / "model.h5"), "--data", "digits")
    assert status == 2 and "(non-cat, cat)" in err and "(even, odd)" in err  # the task, before the image shape
