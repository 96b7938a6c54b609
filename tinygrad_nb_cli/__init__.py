"""The application layer: the ``tinygrad-nb`` command line, on top of tinygrad_nb, nn and viz.

Nothing in the three libraries imports it. Run it as ``tinygrad-nb``, ``python -m tinygrad_nb_cli``
or ``python -m tinygrad_nb``.
"""

from tinygrad_nb_cli.cli import main

__all__ = ["main"]
