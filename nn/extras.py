"""The message for an optional library (an extra of ``pyproject.toml``) that is not installed.

One wording everywhere: what needs the library, the library, and the pip command that installs
it, e.g. "load_course_h5 needs h5py: pip install 'tinygrad-nb[h5]' (or pip install h5py)".
Used by ``nn`` (h5py, onnx, scikit-learn) and by ``viz`` (graphviz, matplotlib).
"""

from __future__ import annotations


def missing_extra(user: str, package: str, extra: str = "viz", module: str | None = None) -> ImportError:
    """The ImportError for an optional library that is not installed: names the library and the extra.

    ``missing_extra("draw_graph", "graphviz")``: "draw_graph needs graphviz: pip install 'tinygrad-nb[viz]'
    (or pip install graphviz)". ``module`` is the name the library is imported by when it is not ``package``
    (scikit-learn is imported as sklearn); it becomes the error's ``name``.
    """
    return ImportError(f"{user} needs {package}: pip install 'tinygrad-nb[{extra}]' (or pip install {package})",
                       name=module or package)


__all__ = ["missing_extra"]
