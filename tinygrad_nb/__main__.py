"""``python -m tinygrad_nb``: runs the command line, which lives above the engine in ``tinygrad_nb_cli``.

The engine does not import the application: this entry point hands over to it by module name.
"""

import runpy

runpy.run_module("tinygrad_nb_cli", run_name="__main__", alter_sys=True)
