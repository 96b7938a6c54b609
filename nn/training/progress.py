"""fit's progress bar and its printed lines: ``Cost after iteration i`` written through the bar while it shows.

The bar is tqdm's (the ``progress`` extra: ``pip install 'tinygrad-nb[progress]'``); without tqdm
there is no bar and the lines are printed as usual. In a Jupyter notebook the widget bar is used
only when ipywidgets is installed (tqdm's notebook front end needs it, and without it prints
"IProgress not found" and shows nothing); otherwise the plain text bar, which notebooks show too.

``progress``: True shows the bar, False never, None (fit's default) shows it only once the run
has lasted ``DELAY`` seconds, and only where someone watches (a terminal or a notebook), so that
short runs and logs stay as they were.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from typing import Any

DELAY = 3.0  # seconds before progress=None shows a bar


def in_notebook() -> bool:
    """Whether this is a Jupyter kernel (tqdm's own test: IPython's ZMQ shell is loaded)."""
    return "ipykernel.zmqshell" in sys.modules


def bar_class() -> Any:
    """tqdm's notebook bar in a notebook with ipywidgets, else its text bar; None without tqdm."""
    try:
        from tqdm import std
    except ImportError:
        return None
    if in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        try:
            from tqdm.notebook import tqdm as notebook_bar
        except ImportError:
            return std.tqdm
        return notebook_bar
    return std.tqdm


class Progress:
    """The bar of one run (or none) and the lines printed during it.

    ``line`` prints through the bar while one is shown, so that a line never lands on the bar's
    own line; ``update`` advances the bar by one iteration and shows the cost beside it.
    """

    def __init__(self, total: int, progress: bool | None):
        self.bar: Any = None
        if progress is False or total == 0:
            return
        cls = bar_class()
        if cls is None:
            if progress:  # asked for explicitly: say why there is none (None stays quiet)
                warnings.warn("fit(progress=True) shows no bar: it needs tqdm: pip install 'tinygrad-nb[progress]'",
                              stacklevel=4)
            return
        watched = in_notebook() or sys.stderr.isatty()
        if progress is None and not watched:
            return
        self.bar = cls(total=total, leave=False, file=sys.stderr, disable=False,
                       delay=DELAY if progress is None else 0.0)

    def update(self, cost: float) -> None:
        """One more iteration done, whose cost is ``cost``."""
        if self.bar is not None:
            self.bar.set_postfix_str(f"cost={cost:.6f}", refresh=False)
            self.bar.update(1)

    def line(self, text: str) -> None:
        """Print ``text`` on its own line on stdout, above the bar if one shows."""
        if self.bar is None:
            print(text)
        else:
            self.bar.write(text, file=sys.stdout)

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
