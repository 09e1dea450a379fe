"""Flyway's checksum of a SQL migration: a CRC-32 over the lines, not the file.

The text is decoded strictly, one leading BOM is dropped, and the UTF-8 bytes of
each line are fed to one running CRC-32 without their terminators (``\\r\\n``, ``\\r``
or ``\\n`` only -- never ``str.splitlines``, which also breaks on U+2028 and
friends). The result is stored as a signed 32-bit integer. Line endings and blank
lines therefore do not change it; trailing spaces do.
"""

from __future__ import annotations

import re
import zlib

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


def signed32(value: int) -> int:
    return value - (1 << 32) if value >= (1 << 31) else value


def checksum_text(text: str) -> int:
    """The checksum of already-decoded text (BOM still in place, if any)."""
    if text.startswith(_BOM):
        text = text[1:]
    crc = 0
    for line in _LINE_BREAK.split(text):
        if line:
            crc = zlib.crc32(line.encode("utf-8"), crc)
    return signed32(crc)


def checksum_bytes(data: bytes, encoding: str = "utf-8") -> int:
    """The checksum of a file's bytes; raises ``UnicodeDecodeError`` like Flyway refuses."""
    return checksum_text(data.decode(encoding, errors="strict"))


def strip_bom(text: str) -> str:
    """The text as it is executed: without the one leading BOM the checksum skips."""
    return text[1:] if text.startswith(_BOM) else text
