"""Checking T-SQL without a SQL Server: batch splitting and a grammar check.

``split_go`` follows Flyway's SQL Server rule for the ``GO`` batch separator:
``GO`` in any case, where a token starts, followed by whitespace or the end of
the text, and not inside a string, a comment, or a ``[...]`` / ``"..."``
identifier. Empty batches are dropped.

``assert_parses`` runs sqlfluff's T-SQL grammar over a statement and fails with
the parser's report when any part of it is unparsable. ODBC ``?`` markers are
first rewritten to ``@P1, @P2, ...``, which is how the driver sends them to the
server (the grammar does not know ``?``).
"""

from __future__ import annotations

import re

_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_@#$.]")


def _skip_quoted(text: str, i: int, close: str) -> int:
    """Index just past a quoted run starting at ``i`` (a doubled closer escapes itself)."""
    n = len(text)
    j = i + 1
    while j < n:
        if text[j] == close:
            if j + 1 < n and text[j + 1] == close:
                j += 2
                continue
            return j + 1
        j += 1
    return n


def _skip_block_comment(text: str, i: int) -> int:
    """Index just past a ``/* ... */`` comment (T-SQL block comments nest)."""
    depth = 0
    n = len(text)
    j = i
    while j < n:
        if text.startswith("/*", j):
            depth += 1
            j += 2
        elif text.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    return n


def _scan(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) runs: "code", "quoted" (strings, identifiers, comments)."""
    runs: list[tuple[str, int, int]] = []
    n = len(text)
    i = 0
    start = 0
    while i < n:
        c = text[i]
        end = -1
        if c == "-" and text.startswith("--", i):
            nl = text.find("\n", i)
            end = n if nl < 0 else nl
        elif c == "/" and text.startswith("/*", i):
            end = _skip_block_comment(text, i)
        elif c == "'":
            end = _skip_quoted(text, i, "'")
        elif c == '"':
            end = _skip_quoted(text, i, '"')
        elif c == "[":
            end = _skip_quoted(text, i, "]")
        if end >= 0:
            if start < i:
                runs.append(("code", start, i))
            runs.append(("quoted", i, end))
            i = start = end
        else:
            i += 1
    if start < n:
        runs.append(("code", start, n))
    return runs


def split_go(text: str) -> list[str]:
    """The batches of a script separated by ``GO`` (stripped, empty ones dropped)."""
    batches: list[str] = []
    current: list[str] = []
    for kind, start, end in _scan(text):
        if kind == "quoted":
            current.append(text[start:end])
            continue
        i = start
        piece_start = start
        while i < end:
            if (text[i] in "Gg" and i + 1 < end and text[i + 1] in "Oo"
                    and (i == 0 or not _TOKEN_CHAR.match(text[i - 1]))
                    and (i + 2 >= len(text) or text[i + 2].isspace())):
                current.append(text[piece_start:i])
                batches.append("".join(current))
                current = []
                i += 2
                piece_start = i
            else:
                i += 1
        current.append(text[piece_start:end])
    batches.append("".join(current))
    return [b.strip() for b in batches if b.strip()]


def server_form(sql: str) -> str:
    """``sql`` with each ODBC ``?`` marker (outside quotes and comments) as ``@Pn``."""
    out: list[str] = []
    number = 0
    for kind, start, end in _scan(sql):
        chunk = sql[start:end]
        if kind == "code" and "?" in chunk:
            pieces = chunk.split("?")
            rebuilt = [pieces[0]]
            for piece in pieces[1:]:
                number += 1
                rebuilt.append(f"@P{number}")
                rebuilt.append(piece)
            chunk = "".join(rebuilt)
        out.append(chunk)
    return "".join(out)


def parse_errors(sql: str) -> str | None:
    """sqlfluff's report for ``sql`` as T-SQL, or None when it all parses."""
    import sqlfluff
    from sqlfluff.api.simple import APIParsingError

    try:
        sqlfluff.parse(server_form(sql), dialect="tsql")
    except APIParsingError as exc:
        return str(exc)
    return None


def assert_parses(sql: str) -> None:
    """Fail (AssertionError) unless sqlfluff's T-SQL grammar parses all of ``sql``."""
    problem = parse_errors(sql)
    if problem is not None:
        raise AssertionError(f"not valid T-SQL:\n{sql}\n--- sqlfluff says ---\n{problem}")
