"""The ``monozu`` command line: thin commands over the library.

Each command resolves the configuration, calls one library function, and renders
the result as a table or ``--json``. Library errors become one line on stderr and
a non-zero exit (1: the operation failed; 2: bad usage or configuration); no
traceback and no password ever reaches the terminal.
"""

from __future__ import annotations

from monozu.cli.app import db, main

# Command modules register themselves on the command tree when imported; ``main``
# imports the one a command line names (``app.COMMAND_MODULES``).

__all__ = ["db", "main"]
