"""Writing a run's outputs so that a failure never leaves a mix of two runs.

``staged_outputs(folder)`` yields an empty temporary folder; every output is written there.
Only when the whole block has succeeded are the files moved into ``folder``, one
``os.replace`` each. The guarantee:

- any error while the outputs are produced (a failed plot, a full disk, Ctrl-C) leaves
  ``folder`` exactly as it was: the previous run's model.h5, costs.json and pictures intact,
  and the temporary folder removed;
- each file in ``folder`` is at every moment either the old one or the complete new one
  (``os.replace`` is atomic on one filesystem, and the temporary folder is inside ``folder``,
  so it is always on the same one);
- only a crash of the machine in the short moment of the moves can leave some files new and
  some old; an old file this run does not produce (say a graph.svg when no renderer is
  installed now) is left as it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nn.files.atomic import atomic_path, fsync_folder, mode_of, remove_stale_temporaries, temporary_name
from nn.training.training_warnings import TrainingWarning

FLAGS = {"lr_scale": "--lr", "hidden": "--hidden", "init": "--init"}  # a warning's suggestion -> train's flag


def write_json_atomically(path: Path, payload: Any) -> Path:
    """Write JSON to a temporary file beside ``path`` and move it into place; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2))
    return path


@contextlib.contextmanager
def staged_outputs(folder: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder inside ``folder`` (created if missing); on success move its files in.

    On an error (or Ctrl-C) the temporary folder is removed, ``folder`` keeps its previous files,
    and the folders created here are removed again.
    """
    created = _missing_folders(folder)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)  # staging folders of runs that were killed
    stage = folder / temporary_name("staging")
    stage.mkdir()
    done = False
    try:
        yield stage
        for path in sorted(stage.iterdir()):
            target = folder / path.name
            mode = mode_of(target)
            if mode is not None:  # a replaced file keeps its permissions, as nn.save does
                os.chmod(path, mode)
            os.replace(path, target)
        fsync_folder(folder)
        done = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not done:
            for new in created:  # innermost first; a folder something else wrote into stays
                with contextlib.suppress(OSError):
                    new.rmdir()


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, innermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def warning_line(warning: TrainingWarning, lr: float, prog: str = "tinygrad-nb train") -> str:
    """One line for fit's ``warning``, its advice in ``train``'s flags (``lr``: this run's learning rate), e.g.
    ``tinygrad-nb train: warning: the cost oscillates: ...; try --hidden tanh, or --lr 0.12``."""
    text = warning.diagnosis
    tries = [f"{FLAGS[k]} {lr * v:.4g}" if k == "lr_scale" else f"{FLAGS[k]} {v}"
             for k, v in warning.suggestion.items() if k in FLAGS]
    advice = f"; try {', or '.join(tries)}" if tries else ""
    return " ".join(f"{prog}: warning: {text}{advice}".split())


@contextlib.contextmanager
def training_warnings(lr: float, prog: str = "tinygrad-nb train") -> Iterator[None]:
    """Within the block, fit's warnings (``TrainingWarning``: divergence, a dead network, an oscillating cost) print
    as one line each on stderr (``warning_line``), when they happen, instead of Python's file:line form with the
    source line; other warnings show as before."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", TrainingWarning)  # fit warns once a run; a second run in-process too
        shown = warnings.showwarning

        def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
            if isinstance(message, TrainingWarning):
                print(warning_line(message, lr, prog), file=sys.stderr, flush=True)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield
