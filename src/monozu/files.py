"""Reading input files that must be regular files, and writing output files safely.

A FIFO or a device (``/dev/zero``) where a settings file or a migration is expected
would block the open, or be read forever; these are refused with an ``OSError`` whose
``strerror`` says why, which the callers already turn into their one-line errors.
An output file is written beside its target and renamed over it, so a failed write
leaves the old file whole, and a database file is never taken for an output.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

NOT_REGULAR = "not a regular file (a device, pipe or socket)"
# Linux's limits (bytes): a longer name fails every call with ENAMETOOLONG.
NAME_MAX = 255
PATH_MAX = 4095


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to about ``limit`` characters for a message, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit - 20]}...({len(text)} characters)"


def name_problem(path: str | os.PathLike[str]) -> str | None:
    """Why no file could ever be opened at ``path`` whatever is on disk (its name is too
    long, or cannot be encoded, or begins with ``~user`` for a user this system does not
    know), else None."""
    text = os.fspath(path)
    if text.startswith("~") and os.path.expanduser(text) == text:
        # pathlib's expanduser() raises RuntimeError for it, where a path is opened.
        head = text.split("/", 1)[0]
        return (f"no home folder is known for {head} (a file or folder so named here is "
                f"./{head})")
    try:
        raw = os.fsencode(os.path.expanduser(path))
    except (UnicodeError, ValueError):
        return "the name cannot be encoded for this file system"
    if len(raw) > PATH_MAX:
        return f"the path is too long ({len(raw)} bytes; at most {PATH_MAX})"
    longest = max(raw.split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        return (f"a name in the path is too long ({len(longest)} bytes; at most "
                f"{NAME_MAX})")
    return None


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


NOT_OUTPUT = "a database file: refusing to overwrite it"
_SQLITE_HEADER = b"SQLite format 3\x00"


def write_output_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all.

    Refused with an ``OSError``: an existing target that is not a regular file (a FIFO
    would block the write, a device would swallow it) or that is a SQLite database
    (``--output`` pointed at the database being read).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None:
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, NOT_REGULAR, str(path))
        with open(path, "rb") as existing:  # a regular file: reading cannot block
            if existing.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER:
                raise OSError(errno.EEXIST, NOT_OUTPUT, str(path))
    folder = path.parent
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    """The process's umask (mkstemp creates files 0600; a new output gets the usual)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
