"""The API reference (docs/api/*.md) covers every public name: each name in the ``__all__`` of
``tinygrad_nb``, ``nn`` and ``viz``, and nn's public submodules, has a ``::: module.name`` entry, and
every entry uses a public path (``nn.Linear``, ``nn.optim.SGD``), never a file's (``nn.layers.dense``).
A new public name without an entry fails here; ``make docs`` (mkdocs --strict) renders them.
"""

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "docs" / "api"
PACKAGES = ("tinygrad_nb", "nn", "viz")
NN_SUBMODULES = ("optim", "init", "datasets", "utils", "defaults")


def entries() -> dict[str, str]:
    """{identifier: page} of every ``::: identifier`` line in docs/api."""
    found = {}
    for page in sorted(API.glob("*.md")):
        for ident in re.findall(r"^::: ([\w.]+)\s*$", page.read_text(encoding="utf-8"), re.M):
            found[ident] = page.name
    return found


def public_names() -> set[str]:
    names = set()
    for package in PACKAGES:
        module = importlib.import_module(package)
        names |= {f"{package}.{name}" for name in module.__all__}
    return names


def test_every_public_name_has_an_entry():
    have = entries()
    missing = sorted(public_names() - set(have) - {f"nn.{m}" for m in NN_SUBMODULES})
    assert missing == [], f"public names with no `::: name` in docs/api/: {missing}"
    assert sorted(f"nn.{m}" for m in NN_SUBMODULES if f"nn.{m}" not in have) == []
    assert len(have) >= 100


def test_every_entry_is_a_public_path():
    """``::: nn.Linear`` or a member of a public submodule (``::: nn.optim.SGD``); no file paths."""
    public = public_names() | {f"nn.{m}" for m in NN_SUBMODULES}
    wrong = []
    for ident, page in entries().items():
        parent = ident.rsplit(".", 1)[0]
        if ident in public:
            continue
        if parent in {f"nn.{m}" for m in NN_SUBMODULES}:
            module = importlib.import_module(parent)
            name = ident.rsplit(".", 1)[1]
            if hasattr(module, name) and not name.startswith("_"):
                continue
        wrong.append(f"{page}: ::: {ident}")
    assert wrong == [], "entries that are not public paths (use the path users import from)"


def test_nn_s_submodules_import_by_their_public_paths():
    for name in NN_SUBMODULES:
        module = importlib.import_module(f"nn.{name}")
        assert module is getattr(importlib.import_module("nn"), name)


@pytest.mark.skipif(shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None,
                    reason="mkdocs is not installed (the docs extra: pip install -e '.[docs]')")
def test_the_site_builds_strict(tmp_path):
    """make docs: every page, link and reference resolves, and no docstring makes griffe warn."""
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    result = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
