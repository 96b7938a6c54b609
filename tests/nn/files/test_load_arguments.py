"""nn.load and nn.save name the bad argument: a path that is not a str or os.PathLike (None, 5, bytes), an empty
path, a model that is not an nn.Module, and the arguments in the wrong order; nothing is read or written then."""

from __future__ import annotations

import re

import pytest

import nn
from nn.files.serialization import read_file

pytest.importorskip("h5py")


@pytest.mark.parametrize("path, got", [(None, "NoneType"), (5, "int"), (b"model.h5", "bytes"), (["m.h5"], "list")])
def test_load_refuses_a_path_that_is_not_a_path(path, got):
    with pytest.raises(TypeError, match=re.escape(f"load: path must be a str or os.PathLike naming a model file such "
                                                  f"as 'model.h5', got {got}")):
        nn.load(path)
    with pytest.raises(TypeError, match=r"read_file: path must be a str or os.PathLike"):
        read_file(path)


def test_load_refuses_an_empty_path():
    with pytest.raises(ValueError, match=r"load: path is empty"):
        nn.load("")


def test_load_refuses_a_model_that_is_not_a_module_before_reading(tmp_path):
    with pytest.raises(TypeError, match=re.escape("load: model must be an nn.Module to load the stored parameters "
                                                  "into (built as the one saved), or None to rebuild the stored "
                                                  "model, got str")):
        nn.load(tmp_path / "missing.h5", model="abc")  # the argument, not the missing file, is named


def test_the_arguments_in_the_wrong_order_are_named(tmp_path):
    model = nn.MLP([2, 1], rng=0)
    with pytest.raises(TypeError, match=re.escape("save: model must be an nn.Module, got str; the order is "
                                                  "nn.save(model, path)")):
        nn.save(str(tmp_path / "m.h5"), model)
    assert not (tmp_path / "m.h5").exists()
    nn.save(model, tmp_path / "m.h5")
    with pytest.raises(TypeError, match=re.escape("got MLP; the order is nn.load(path, model)")):
        nn.load(model, tmp_path / "m.h5")


def test_a_good_path_and_model_still_load(tmp_path):
    model = nn.MLP([2, 3, 1], rng=0)
    nn.save(model, str(tmp_path / "m.h5"))
    other = nn.MLP([2, 3, 1], rng=5)
    nn.load(tmp_path / "m.h5", model=other)
    assert all((a == b).all() for a, b in zip(model.state_dict().values(), other.state_dict().values()))
