"""docs/ARCHITECTURE.md stays true: every project file it names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_file_the_architecture_page_names_exists():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    named = set(re.findall(r"`((?:tinygrad_nb|tinygrad_nb_cli|nn|viz|tests|benchmarks)/[\w/]+\.py)`", text))
    assert len(named) > 30
    assert sorted(p for p in named if not (ROOT / p).exists()) == []
