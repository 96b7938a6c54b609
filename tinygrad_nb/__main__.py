"""``python -m tinygrad_nb``: the command line (see ``tinygrad_nb/cli.py``)."""

import sys

from tinygrad_nb.cli import main

sys.exit(main())
