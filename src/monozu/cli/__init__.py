"""The ``monozu`` command line: thin commands over the library.

Each command resolves the configuration, calls one library function, and renders
the result as a table or ``--json``. Library errors become one line on stderr and
a non-zero exit (1: the operation failed; 2: bad usage or configuration); no
traceback and no password ever reaches the terminal.
"""

from __future__ import annotations

from monozu.cli.app import db, main

# Command modules register themselves on the ``db`` group when imported.
from monozu.cli import check_commands  # noqa: F401  isort: skip
from monozu.cli import cve_commands  # noqa: F401  isort: skip
from monozu.cli import demo_command  # noqa: F401  isort: skip
from monozu.cli import migrate_commands  # noqa: F401  isort: skip
from monozu.cli import schema_commands  # noqa: F401  isort: skip
from monozu.cli import edge_commands  # noqa: F401  isort: skip

__all__ = ["db", "main"]
