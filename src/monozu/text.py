"""Text from outside (the database, a feed, a file name) made safe to print.

One place for every output: :func:`printable` escapes what a terminal would act on,
and :func:`cell` also escapes a table's column separator, so that a value measured
for padding is measured as it is printed and cannot add a row or a column.
"""

from __future__ import annotations

import re


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on escaped (``\\n``, ``\\x1b``,
    ``\\u2028``...): C0 and C1 controls, DEL, line and paragraph separators, bidi
    overrides. A name from a URL, an argument or the database cannot start a line of
    its own, move the cursor or retitle the window."""
    from monozu.db.dialects.urls import CONTROL, SURROGATE

    # A lone surrogate (a file name that is not UTF-8) cannot even be written to a
    # strict stream: escaped like the controls.
    return SURROGATE.sub(_escape, CONTROL.sub(_escape, text))


def cell(text: object, separator: str = "") -> str:
    """``text`` as a table cell: :func:`printable`, and ``separator`` (``|``) escaped
    too, so a name holding it cannot split its cell in two. Padding is computed on
    the result, which is what the terminal shows."""
    shown = printable(str(text))
    return shown.replace(separator, _code(separator)) if separator else shown


def _escape(m: re.Match[str]) -> str:
    char = m.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    return named or _code(char)


def _code(char: str) -> str:
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
