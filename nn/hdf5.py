"""Opening HDF5 files for reading with one clear error per way it can fail (h5py is an optional extra)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def require_h5py(purpose: str) -> Any:
    """The h5py module, or an ImportError that says how to install it."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError(f"{purpose} needs h5py: pip install 'tinygrad-nb[h5]'") from e
    return h5py


def open_for_reading(path: str | os.PathLike, who: str, what: str = "file") -> Any:
    """An open ``h5py.File``: FileNotFoundError when absent, ValueError when not readable HDF5."""
    h5py = require_h5py(who)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{who}: no {what} at {path}")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{who}: {path} is not a readable HDF5 file (truncated or corrupt?): {e}") from e
