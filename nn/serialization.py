"""Saving and loading models as HDF5 (h5py), atomically, without pickle.

File layout (format "tinygrad-nb", version 1)::

    /                      attrs: format, format_version, architecture (JSON)
    /layer1/W1, /layer1/b1 each layer's parameters in their native dtype
    /layer2/W2, ...

``save`` writes a temporary file beside the target and moves it into place with
``os.replace``, so a crash never leaves a half-written model. ``load`` reads and checks
everything before it builds or changes a model.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from nn.atomic import atomic_path
from nn.containers import MLP, Sequential
from nn.hdf5 import open_for_reading, require_h5py
from nn.layers import ACTIVATIONS, Dropout, LeakyReLU, Linear, Softmax
from nn.module import Module

FORMAT = "tinygrad-nb"
FORMAT_VERSION = 1


def _group_of(name: str) -> str:
    """W3 and b3 live in group layer3; other parameters in group 'other'."""
    match = re.fullmatch(r"[A-Za-z_]+(\d+)", name)
    return f"layer{match.group(1)}" if match else "other"


def save(model: Module, path: str | os.PathLike) -> Path:
    """Write ``model`` (architecture and parameters) to ``path`` atomically; returns the path."""
    h5py = require_h5py("saving models")
    if not isinstance(model, Module):
        raise TypeError(f"save expects an nn.Module, got {type(model).__name__}")
    architecture = json.dumps(model.config())
    try:
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["architecture"] = architecture
            for name, p in model.named_parameters():
                f.require_group(_group_of(name)).create_dataset(name, data=p.data)
    except (FileNotFoundError, PermissionError) as e:
        raise type(e)(f"save: {e}") from e
    return Path(path)


def read_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The architecture dict and the {name: array} parameters stored in ``path``, checked for format."""
    path = Path(path)
    with open_for_reading(path, "load", "model file") as f:
        if f.attrs.get("format") != FORMAT:
            raise ValueError(f"load: {path} is not a tinygrad-nb model (format attribute is "
                             f"{f.attrs.get('format')!r}, expected {FORMAT!r})")
        version = int(f.attrs.get("format_version", -1))
        if version != FORMAT_VERSION:
            raise ValueError(f"load: {path} has format version {version}; this tinygrad-nb reads {FORMAT_VERSION}")
        try:
            architecture = json.loads(f.attrs["architecture"])
        except (KeyError, json.JSONDecodeError) as e:
            raise ValueError(f"load: {path} has no readable architecture attribute: {e}") from e
        params: dict[str, np.ndarray] = {}
        try:
            for group in f.values():
                for name, ds in group.items():
                    params[name] = ds[()]
        except (OSError, KeyError, AttributeError) as e:
            raise ValueError(f"load: {path} is damaged: {e}") from e
    return architecture, params


def build(config: dict[str, Any]) -> Module:
    """A fresh module (zero-initialised weights) from a ``config()`` dict."""
    try:
        kind = config["type"]
        if kind == "MLP":
            return MLP(config["layer_dims"], hidden=config["hidden"], output=config["output"], init="zeros",
                       slope=config.get("slope", 0.01), keep_prob=config.get("keep_prob", 1.0))
        if kind == "Sequential":
            return Sequential(*[build(c) for c in config["layers"]])
        if kind == "Linear":
            return Linear(config["n_in"], config["n_out"], init="zeros")
        if kind == "LeakyReLU":
            return LeakyReLU(config["slope"])
        if kind == "Softmax":
            return Softmax(config["axis"])
        if kind == "Dropout":
            return Dropout(config["keep_prob"])
        by_class = {cls.__name__: cls for cls in ACTIVATIONS.values()}
        if kind in by_class:
            return by_class[kind]()
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"load: the stored architecture is invalid ({e}): {config}") from e
    raise ValueError(f"load: unknown module type {kind!r} in the stored architecture")


def load(path: str | os.PathLike, model: Module | None = None) -> Module:
    """Rebuild the model stored in ``path`` or, given ``model``, load the stored parameters into it.

    Missing, extra or mis-shaped parameters raise a ValueError naming each bad key; the
    given model is then unchanged.
    """
    architecture, params = read_file(path)
    target = build(architecture) if model is None else model
    stored_dtypes = {a.dtype for a in params.values() if a.dtype.kind == "f"}
    if model is None and len(stored_dtypes) == 1:
        target.astype(stored_dtypes.pop())  # keep the file's native dtype (float32 stays float32)
    target.load_state_dict(params, strict=True)
    return target
