"""``render``: write a drawing as .dot, and as .svg, .png or .pdf with whichever Graphviz exists.

A drawing is the ``graphviz.Digraph`` that ``draw_graph`` returns (any Digraph works): this
module only turns DOT text into files, and knows nothing of Tensors or of how graphs are drawn.
Renderers, in order: the ``dot`` program on PATH, then the pygraphviz wheel (the ``render``
extra, which bundles Graphviz). With neither, the .dot is kept and one warning says how to
install either.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn.extras import missing_extra  # viz's callers import it from here
from nn.files.atomic import atomic_path

if TYPE_CHECKING:
    import graphviz

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
INSTALL_HINT = ("no Graphviz renderer found, so only the .dot file was written. Install one of: "
                "the Graphviz program (`apt-get install graphviz`, `brew install graphviz`), or the "
                "pygraphviz wheel that bundles it (`pip install 'tinygrad-nb[render]'`).")


def import_graphviz(user: str) -> Any:
    """The graphviz module (the viz extra), or ``missing_extra(user, "graphviz")`` when it is not installed."""
    try:
        import graphviz  # optional (the viz extra); imported on use so that `import viz` stays cheap
    except ImportError as e:
        raise missing_extra(user, "graphviz") from e
    return graphviz


class RendererNotFoundWarning(RuntimeWarning):
    """Neither ``dot`` nor pygraphviz is available: only the .dot file was written."""


def _dot_program() -> str | None:
    return shutil.which("dot")


def _pygraphviz():
    try:
        import pygraphviz
    except ImportError:
        return None
    return pygraphviz


def renderer_available() -> bool:
    """True when ``dot`` or pygraphviz can turn DOT into pictures here."""
    return _dot_program() is not None or _pygraphviz() is not None


def render_source(source: str, fmt: str, path: Path) -> bool:
    """Render DOT ``source`` to ``path`` in ``fmt`` with ``dot`` or pygraphviz; False when neither exists."""
    dot = _dot_program()
    if dot is not None:
        result = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=source.encode(), capture_output=True)
        if result.returncode != 0:
            raise RuntimeError(f"render: dot failed: {result.stderr.decode(errors='replace').strip()}")
        return True
    pgv = _pygraphviz()
    if pgv is None:
        return False
    with _native_stderr_captured() as captured:
        try:
            pgv.AGraph(string=source).draw(str(path), format=fmt, prog="dot")
        except Exception as e:
            raise RuntimeError(f"render: pygraphviz failed: {e}\n{captured()}") from e
    return True


@contextlib.contextmanager
def _native_stderr_captured():
    """Hold back what the bundled Graphviz C library writes to file descriptor 2 (fontconfig chatter);
    the caller shows it only if rendering fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: (sink.seek(0), sink.read().decode(errors="replace"))[1]
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def render(graph: graphviz.Digraph, path: str | os.PathLike) -> Path:
    """Write a drawing (what ``draw_graph`` returns, or any ``graphviz.Digraph``) to ``path``.

    The .dot source is always written beside it (``graph.svg`` -> ``graph.dot``). A .svg,
    .png or .pdf suffix is rendered too. Returns the path of the picture, or of the .dot
    when no renderer exists (with a ``RendererNotFoundWarning`` saying how to install one).
    ``viz.render`` also takes a Tensor and draws it first.
    """
    library = import_graphviz("render")
    if not isinstance(graph, library.Digraph):
        raise TypeError(f"render expects a drawing from draw_graph (a graphviz.Digraph), got {type(graph).__name__}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS and suffix != ".dot":
        raise ValueError(f"render: unsupported suffix {path.suffix!r}; use .dot, .svg, .png or .pdf")
    dot_path = path.with_suffix(".dot")
    with atomic_path(dot_path) as tmp:
        tmp.write_text(graph.source)
    if suffix == ".dot":
        return dot_path
    if not renderer_available():
        warnings.warn(INSTALL_HINT, RendererNotFoundWarning, stacklevel=_stacklevel_outside_viz())
        return dot_path
    with atomic_path(path) as tmp:
        render_source(graph.source, FORMATS[suffix], tmp)
    return path


def _stacklevel_outside_viz() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside the viz package
    (``viz.render`` wraps this ``render``, and the user's line is what the warning should show)."""
    frame, level = inspect.currentframe(), 0
    while frame is not None and (frame.f_globals.get("__name__") or "").partition(".")[0] == "viz":
        frame, level = frame.f_back, level + 1
    return max(level, 1)


def svg_text(graph: graphviz.Digraph) -> str:
    """The SVG of ``graph`` as text (for Jupyter); a short message when no renderer exists."""
    dot = _dot_program()
    if dot is not None:
        return subprocess.run([dot, "-Tsvg"], input=graph.source.encode(), capture_output=True,
                              check=True).stdout.decode()
    pgv = _pygraphviz()
    if pgv is not None:
        with _native_stderr_captured():
            return pgv.AGraph(string=graph.source).draw(format="svg", prog="dot").decode()
    return f'<svg xmlns="http://www.w3.org/2000/svg"><text y="20">{INSTALL_HINT}</text></svg>'
