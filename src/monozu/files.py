"""Reading input files that must be regular files.

A FIFO or a device (``/dev/zero``) where a settings file or a migration is expected
would block the open, or be read forever; these are refused with an ``OSError`` whose
``strerror`` says why, which the callers already turn into their one-line errors.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

NOT_REGULAR = "not a regular file (a device, pipe or socket)"


def read_regular_bytes(path: Path) -> bytes:
    """The bytes of ``path``, refusing anything but a regular file before reading it."""
    # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR, str(path))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def read_regular_text(path: Path) -> str:
    """The UTF-8 text of ``path`` (``UnicodeDecodeError`` if it is not UTF-8)."""
    return read_regular_bytes(path).decode("utf-8")
