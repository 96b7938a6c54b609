"""Every ``>>>`` example in a docstring (the API reference shows them) runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["tinygrad_nb", "nn", "viz"]


def modules_with_examples() -> list[str]:
    """The modules of the three packages whose source shows a ``>>>`` example."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] != "__main__" and ">>>" in path.read_text(encoding="utf-8"):
                names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


WITH_EXAMPLES = modules_with_examples()


def test_the_examples_are_found():
    assert {"nn", "nn.layers.task", "nn.training.defaults", "tinygrad_nb.gradcheck"} <= set(WITH_EXAMPLES)


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} shows >>> examples that doctest did not find"
    assert result.failed == 0, f"{result.failed} of {name}'s {result.attempted} docstring examples failed (see above)"
