"""examples/first_hour.ipynb runs top to bottom in a real Jupyter kernel and shows what it promises.

The notebook is executed once per test session by nbclient with an ipykernel kernel whose command
is this interpreter (``sys.executable``, written into a kernelspec in a temporary folder, so a
``python3`` kernelspec elsewhere on the machine cannot pick another Python), with this checkout
first on its PYTHONPATH, in a temporary working folder. Its cells are found
by their tags (``fit``, ``costs``, ``boundary``, ``explore``, ...). The checks: no cell errored;
the fit cell printed the course's ``Cost after iteration i`` lines, up to the last iteration, and
showed a progress bar (a widget view when ipywidgets is installed, else a text bar on stderr);
the costs and boundary cells showed a picture; the explore cell showed the explorer page with the
drawn graph; no output anywhere says "IProgress not found" (tqdm's complaint when the widget
cannot be shown). The committed file must have its outputs cleared.

Needs the ``notebook`` extra (nbclient, nbformat, ipykernel, ipywidgets); skips with one line
without nbclient or ipykernel. Runs in about 10 s.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "first_hour.ipynb"
KERNEL = "tinygrad-nb-test-venv"
WIDGET = "application/vnd.jupyter.widget-view+json"
PICTURES = ("image/png", "image/svg+xml")


def test_the_committed_notebook_has_its_outputs_cleared():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    dirty = [c.get("id") for c in nb["cells"] if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert dirty == [], f"clear the outputs of {dirty} before committing (Jupyter: Edit > Clear Outputs of All Cells)"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The notebook after a run: {tag: cell} for the tagged cells, plus "all" (the whole notebook as text)."""
    nbclient = pytest.importorskip("nbclient", reason="needs nbclient (pip install -e '.[notebook]')")
    pytest.importorskip("ipykernel", reason="needs ipykernel (pip install -e '.[notebook]')")
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    specs = tmp_path_factory.mktemp("kernels")
    (specs / KERNEL).mkdir()
    (specs / KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tinygrad-nb tests", "language": "python"}))
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)]))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    work = tmp_path_factory.mktemp("first_hour")  # the kernel's working folder: anything written lands here
    # allow_errors: every cell runs and each test below reports on its own cell; test_no_cell_errored
    # fails on any error
    # PYTHONPATH: the kernel imports this checkout's nn and viz, whatever else is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    nbclient.NotebookClient(nb, km=km, timeout=120, startup_timeout=60, allow_errors=True,
                            resources={"metadata": {"path": str(work)}}).execute(env=env)
    cells = {tag: c for c in nb.cells for tag in c.metadata.get("tags", [])}
    return {**cells, "all": nbformat.writes(nb), "nb": nb}


def outputs(cell: Any, output_type: str | None = None) -> list[Any]:
    return [o for o in cell.outputs if output_type is None or o.output_type == output_type]


def stream(cell: Any, name: str) -> str:
    return "".join(o.text for o in outputs(cell, "stream") if o.name == name)


def mimetypes(cell: Any) -> set[str]:
    return {mime for o in cell.outputs if o.output_type in ("display_data", "execute_result") for mime in o.data}


def test_no_cell_errored(executed):
    errors = [f"cell {c.get('id')!r}: {o.ename}: {o.evalue}" for c in executed["nb"].cells if c.cell_type == "code"
              for o in outputs(c, "error")]
    assert errors == []
    assert all(c.execution_count for c in executed["nb"].cells if c.cell_type == "code")


def test_the_fit_cell_prints_the_course_costs_up_to_the_last_iteration(executed):
    out = stream(executed["fit"], "stdout")
    lines = [line for line in out.splitlines() if line.startswith("Cost after iteration ")]
    assert [line.split(":")[0] for line in lines] == [f"Cost after iteration {i}" for i in
                                                      (0, 1000, 2000, 3000, 4000, 4999)], out
    first, last = float(lines[0].split(": ")[1]), float(lines[-1].split(": ")[1])
    assert abs(first - 0.6931) < 1e-3 and last < 0.35, out  # log 2 from small weights, then it learns
    accuracy = float(executed["accuracy"].outputs[0].data["text/plain"])
    assert accuracy > 0.85


def test_the_fit_cell_shows_a_progress_bar(executed):
    cell = executed["fit"]
    if importlib.util.find_spec("ipywidgets") is not None:
        assert WIDGET in mimetypes(cell), f"no widget view among {mimetypes(cell)}; stderr: {stream(cell, 'stderr')}"
    else:
        assert "5000/5000" in stream(cell, "stderr") or "5000/5000" in stream(cell, "stdout")


def test_nothing_complains_about_the_progress_widget(executed):
    assert "IProgress not found" not in executed["all"]
    assert "TqdmWarning" not in executed["all"]


@pytest.mark.parametrize("tag", ["costs", "boundary"])
def test_the_plots_show_inline(executed, tag):
    cell = executed[tag]
    assert set(PICTURES) & mimetypes(cell), (
        f"the {tag} cell showed {[o.get('data', {}).get('text/plain', o.get('text')) for o in cell.outputs]}, "
        "not a picture")


def test_the_explorer_shows_the_graph_inline(executed):
    cell = executed["explore"]
    pages = [o.data["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
    assert len(pages) == 1, mimetypes(cell)
    page = pages[0]
    assert page.startswith("<iframe srcdoc=")
    assert "&lt;svg" in page  # the drawing itself, escaped inside srcdoc
    for name in ("W1", "dW1", "dZ2", "A2"):
        assert name in page
    assert "RendererNotFoundWarning" not in stream(cell, "stderr")
