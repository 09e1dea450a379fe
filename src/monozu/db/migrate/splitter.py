"""Split a migration script into the statements the database is sent.

One loop over the tokens of the one lexer (:mod:`monozu.db.sqltext`), so delimiters
inside string literals, quoted identifiers, comments and dollar bodies never split.
What ends a statement, which bodies hold delimiters, what data follows a statement
and which statements cannot run in a transaction are the dialect's rules
(:class:`~monozu.db.dialects.statements.StatementRules`, ``Dialect.statements``):

* PostgreSQL: ``;`` ends a statement; ``BEGIN ATOMIC ... END`` bodies hold
  delimiters and ``COPY ... FROM STDIN`` takes the data lines up to ``\\.`` with it.
* SQLite: ``;`` ends a statement except inside ``CREATE TRIGGER ... BEGIN ... END``
  (and ``CASE ... END``).
* SQL Server: ``GO`` ends a batch; ``;`` never splits. Empty batches are dropped.

Each statement records its first line (1-based), whether it can run inside a
transaction, by the same keyword rules Flyway's parsers use, and whether it begins or
ends a transaction itself (``BEGIN``, ``COMMIT``, ``ROLLBACK``).
"""

from __future__ import annotations

from dataclasses import dataclass

from monozu.db.dialects.statements import KEYWORDS_KEPT, StatementRules
from monozu.db.sqltext import (
    BLOCK_COMMENT,
    LINE_COMMENT,
    TRIVIA,
    WORD,
    Lexicon,
    Token,
    line_breaks,
)


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    line: int
    transactional: bool = True
    copy_data: str | None = None  # PostgreSQL COPY ... FROM STDIN rows
    # Begins or ends a transaction itself (COMMIT): the script cannot run in the runner's.
    own_transaction: bool = False


@dataclass(frozen=True, slots=True)
class Script:
    statements: tuple[Statement, ...]
    # (line, what) where a comment hides text the writer meant to run, if anywhere.
    hidden: tuple[int, str] | None = None

    @property
    def transactional(self) -> bool:
        return all(s.transactional for s in self.statements)

    @property
    def own_transaction(self) -> Statement | None:
        """The first statement that begins or ends a transaction itself, if any."""
        return next((s for s in self.statements if s.own_transaction), None)

    @property
    def mixed(self) -> bool:
        kinds = {s.transactional for s in self.statements}
        return len(kinds) > 1


class _LineCounter:
    """Line numbers of increasing offsets without rescanning the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def at(self, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.line = 0, 1
        self.line += line_breaks(self.text, self.pos, offset)
        self.pos = offset
        return self.line


def split(rules: StatementRules, text: str, *, server_major: int = 99) -> Script:
    """The statements of ``text`` by ``rules`` (a dialect's ``statements``).

    ``server_major`` is the server's major version where a rule depends on it.
    """
    stream = rules.lexicon.tokens(text)
    lines = _LineCounter(text)
    out: list[Statement] = []
    start = -1
    keywords: list[str] = []
    depth = 0
    previous = ""
    hidden: tuple[int, str] | None = None
    while True:
        tok = stream.next()
        if tok is None or (depth == 0 and rules.ends_statement(tok, text)):
            if start >= 0:
                end = tok.start if tok else len(text)
                data = rules.trailing_data(keywords, stream) if tok is not None else None
                out.append(Statement(text[start:end].rstrip(), lines.at(start),
                                     rules.transactional(keywords, server_major), data,
                                     rules.controls_transaction(keywords)))
            if tok is None:
                break
            start, keywords, depth, previous = -1, [], 0, ""
            continue
        if tok.kind in TRIVIA:
            if hidden is None and (what := _hides_text(rules.lexicon, tok)) is not None:
                hidden = (lines.at(tok.start), what)
            continue
        if start < 0:
            start = tok.start
        if len(keywords) < KEYWORDS_KEPT and (word := rules.keyword(tok)) is not None:
            keywords.append(word)
        if tok.kind == WORD:
            depth += rules.block_delta(tok.upper, previous, depth, keywords, stream)
            previous = tok.upper
        else:
            previous = ""
    return Script(tuple(out), hidden)


def _hides_text(lexicon: Lexicon, tok: Token) -> str | None:
    """What a comment token hides from the database that its writer meant to run: the
    rest of the file behind a ``/*`` never closed, or (where a ``--`` comment ends at a
    line feed only, as in SQLite) the text after a lone carriage return."""
    if tok.kind == BLOCK_COMMENT and not lexicon.closed(tok.text):
        return ("opens a /* comment that is never closed, so the rest of the file would "
                "not run; close it with */")
    if tok.kind == LINE_COMMENT:
        cr = tok.text.find("\r")
        if cr >= 0 and tok.text[cr:].strip():
            return ("holds a -- comment that the database reads on past a lone carriage "
                    "return (\\r) to the next line feed, so the text after it would not run; "
                    "end the lines with \\n or \\r\\n")
    return None
