"""The application layer: the ``tinygrad-nb`` command line, on top of tinygrad_nb, nn and viz.

Nothing in the three libraries imports it. Run it as ``tinygrad-nb``, ``python -m tinygrad_nb_cli``
or ``python -m tinygrad_nb``.
"""

from tinygrad_nb import register_library
from tinygrad_nb_cli.cli import main

__all__ = ["main"]

register_library("tinygrad_nb_cli")  # the jit trusts this package's code to keep its contract
