"""Every number the README states is produced by a test, so that a change that moves one fails here.

``CLAIMS`` lists the README's phrases that hold numbers, each with the test that checks them; the first
test refuses a number in the README (prose, and the comments of its code blocks) that no claim covers.
The numbers in the code itself are the run's inputs; what the Python block prints and evaluates
(``# Cost after iteration 0: ...``, ``# 0.905``) is checked by test_doc_snippets.py, which this file
only asks to recognise them. Timings come from benchmarks/results*.json (``make bench``), rounded as shown.

The cat graph the graph guide (docs/guides/graph-and-explorer.md) quotes is checked here too: its node
count exactly, its explorer page's size within 15% (the page embeds the SVG, whose coordinates and text
runs differ between the ``dot`` program and the Graphviz that the pygraphviz wheel bundles).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest
import test_doc_snippets as snippets

import nn

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GRAPH_GUIDE = (ROOT / "docs" / "guides" / "graph-and-explorer.md").read_text(encoding="utf-8")
COURSE_PAGE = (ROOT / "docs" / "course.md").read_text(encoding="utf-8")
BENCH = {name: json.loads((ROOT / "benchmarks" / f"{name}.json").read_text())
         for name in ("results", "results_cnn", "results_lstm")}
TOKEN = re.compile(r"(?<![\w.\-/])\d[\d,]*(?:\.\d+)?x?(?![\w/])")


def claims_text(text: str) -> str:
    """The README as this test reads it: code lines keep only their comment; index notation (n[1], model[0])
    is blanked, so that only stated numbers remain. Positions are kept (blanked text becomes spaces)."""
    out, fenced = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
            out.append(" " * (len(line) - 1) + "\n")
            continue
        if fenced:
            code, hash_, comment = line.partition("#")
            line = " " * len(code) + hash_ + comment if hash_ else " " * (len(line) - 1) + "\n"
        out.append(re.sub(r"\w\[\d+\]", lambda m: " " * len(m.group(0)), line))
    return "".join(out)


TEXT = claims_text(README)

# phrase (a regex over TEXT) -> the test below that checks its numbers
CLAIMS = {
    r"\(course 1\)|of course 1 \(|\s+course 2's|\(course 4 week 1, course 2 week 3\)": "names, not measures",
    r"4-layer cat": "names, not measures",
    r"backward step 3 of the cat model": "names, not measures",  # the screenshot's caption: it shows step 3
    r"reads 3\+ axes": "names, not measures",
    r"Python >= 3\.10": "test_python_version",
    r"an MLP \[64, 32, 16, 1\] learns odd versus even on the 1,797\s+handwritten digits": "test_the_demo",
    r"X \(2, 400\), Y \(1, 400\)": "test_planar_shapes",
    r"Cost after iteration \d+: [\d.]+|# 0\.905|# \(4, 2\)": "test_the_python_block_is_checked_by_the_snippet_test",
    r"train accuracy 0\.9856": "test_the_cat_accuracy_is_the_course_page_s",
    r"cat model \[12288, 20, 7, 5, 1\]": "test_benchmark_ratios",
    r"\d\.\d\dx": "test_benchmark_ratios",
    r"about 1\.5 min": "test_the_slow_suite_estimate",
}


def covered_spans() -> list[tuple[int, int]]:
    return [m.span() for pattern in CLAIMS for m in re.finditer(pattern, TEXT)]


def test_every_number_in_the_readme_is_checked():
    spans = covered_spans()
    unchecked = [(README.count("\n", 0, m.start()) + 1, m.group(0)) for m in TOKEN.finditer(TEXT)
                 if not any(a <= m.start() < b for a, b in spans)]
    assert unchecked == [], f"README numbers (line, text) that no test checks: add them to CLAIMS: {unchecked}"


def test_every_claim_is_still_in_the_readme():
    assert [p for p in CLAIMS if not re.search(p, TEXT)] == []


def test_the_coverage_check_can_fail():
    assert TOKEN.findall(claims_text("trains in 3.2 s on 1,000 images, 2.5x faster\n```python\nf(7)  # 9\n```\n")) \
        == ["3.2", "1,000", "2.5x", "9"]


def test_python_version():
    pyproject = (ROOT / "pyproject.toml").read_text()
    stated = re.search(r"Python >= (\d+\.\d+)", README).group(1)
    assert f'requires-python = ">={stated}"' in pyproject


def test_the_demo(tmp_path, capsys):
    """`make demo` is `tinygrad-nb train --out runs/demo` with the defaults: its first line says the data and
    the network."""
    from tinygrad_nb_cli.cli import main
    layers, examples = re.search(r"an MLP \[([\d, ]+)\] learns odd versus even on the ([\d,]+)", TEXT).groups()
    assert "$(BIN)/tinygrad-nb train --out $(DEMO_OUT)\n" in (ROOT / "Makefile").read_text()
    assert main(["train", "--iterations", "1", "--out", str(tmp_path / "demo")]) == 0
    said = capsys.readouterr().out
    train, test = (int(n.replace(",", "")) for n in
                   re.search(r"([\d,]+) examples of digits \(test: ([\d,]+) examples", said).groups())
    assert train + test == int(examples.replace(",", ""))
    assert f"layer_dims [{layers}]" in said


def test_planar_shapes():
    data = nn.datasets.planar()
    assert (data.X.shape, data.Y.shape) == ((2, 400), (1, 400))


def test_the_python_block_is_checked_by_the_snippet_test():
    """The printed costs and the evaluated values in the README's block are what test_doc_snippets compares."""
    (block,) = [b for b in snippets.PYTHON if b.page == "README.md"]
    costs = snippets.PRINTED.findall(block.code)
    assert [int(i) for _, i in costs] == [0, 4999]
    notes = snippets.comments(block.code)
    stated = [snippets.literal(notes[line]) for line in sorted(notes) if snippets.literal(notes[line]) is not None]
    assert stated == [0.905, (4, 2)]


def test_the_cat_accuracy_is_the_course_page_s():
    """The README's 0.9856 is the one docs/course.md's cat block states, which the slow test
    (test_doc_snippets.test_long_run_as_written) checks with the full 2,500 iterations."""
    readme = re.search(r"train accuracy (0\.\d+)\)", TEXT).group(1)
    assert re.search(rf"nn\.accuracy\(model, train\.X, train\.Y\)\s+# {re.escape(readme)}\n", COURSE_PAGE)


def ratio(value: float) -> str:
    return f"{value:.2f}x"


def test_benchmark_ratios():
    cat, planar = BENCH["results"]["workloads"]["cat"], BENCH["results"]["workloads"]["planar"]
    expected = [ratio(cat["tinygrad-nb float64"]["ratio"]), ratio(cat["tinygrad-nb jit float64"]["ratio"]),
                ratio(cat["pytorch float64"]["ratio"]),
                ratio(planar["tinygrad-nb float64"]["ratio"]), ratio(planar["tinygrad-nb jit float64"]["ratio"]),
                ratio(planar["pytorch float64"]["ratio"]),
                ratio(BENCH["results_cnn"]["steps"]["tinygrad-nb float32"]["ratio_cpu"]),
                ratio(BENCH["results_lstm"]["steps"]["tinygrad-nb jit"]["ratio_cpu"])]
    performance = snippets_section(README, "Performance")
    assert re.findall(r"\d\.\d\dx", performance) == expected
    bench = (ROOT / "benchmarks" / "bench.py").read_text()
    assert '"cat": ([12288, 20, 7, 5, 1], 209' in bench and "[12288, 20, 7, 5, 1]" in performance


def snippets_section(page: str, title: str) -> str:
    start = page.index(f"\n## {title}\n")
    end = page.find("\n## ", start + 1)
    return page[start:end if end > 0 else None]


def test_the_slow_suite_estimate():
    """A wall-clock estimate, not a benchmark: the README says what pyproject.toml's slow marker says."""
    stated = re.search(r"about (\d\.\d) min", TEXT).group(1)
    assert f"slow: full runs of the course's experiments (about {stated} min)" in (ROOT / "pyproject.toml").read_text()


# ----- the cat graph the graph guide quotes ---------------------------------------------------------------------
def readme_figures():
    spec = importlib.util.spec_from_file_location("readme_figures", ROOT / "scripts" / "readme_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cat_J():
    return readme_figures().cat_cost()


def test_the_cat_graph_has_the_nodes_the_guide_says(cat_J):
    pytest.importorskip("graphviz")
    import viz
    stated = int(re.search(r"drawn the same way \((\d+) nodes", GRAPH_GUIDE).group(1))
    source = viz.draw_graph(cat_J, show="both").source
    declared = set(re.findall(r"^\s*(\w+) \[label", source, re.M))  # every node, forward and backward
    assert len(declared) == stated


def test_the_cat_page_has_the_size_the_guide_says(cat_J):
    pytest.importorskip("graphviz")
    import viz
    from viz.rendering import renderer_available
    if not renderer_available():
        pytest.skip("no Graphviz renderer: the page embeds the SVG")
    stated = int(re.search(r"cat model's page is (?:about )?(\d+) KB", GRAPH_GUIDE).group(1))
    size_kb = viz.explore(cat_J).size / 1000
    assert abs(size_kb - stated) <= 0.15 * stated, (size_kb, stated)
    assert np.isfinite(size_kb)
