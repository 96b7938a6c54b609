"""``python -m tinygrad_nb_cli``: the command line (see ``cli.py``)."""

import sys

from tinygrad_nb_cli.cli import main

sys.exit(main())
