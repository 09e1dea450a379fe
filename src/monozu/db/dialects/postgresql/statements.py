"""PostgreSQL's lexical and statement rules.

``;`` ends a statement; ``$tag$`` bodies (any tag, non-ASCII included), ``E'...'``
escapes, nested ``/* */`` comments and ``BEGIN ATOMIC ... END`` bodies are
understood, and ``COPY ... FROM STDIN`` takes the data lines up to ``\\.`` with it.
Only ``$1`` is the server's own parameter mark (``?`` is a jsonb operator).
"""

from __future__ import annotations

from itertools import pairwise

from monozu.db.dialects.statements import StatementRules
from monozu.db.sqltext import (
    DOLLAR,
    DOLLAR_TAG,
    PG_SPACE,
    PG_WORD,
    PG_WORD_CHAR,
    QUOTED,
    STRING,
    WORD,
    Lexicon,
    Token,
    TokenStream,
)

__all__ = ["BACKSLASH_LEXICON", "DOLLAR_TAG", "LEXICON", "RULES", "PostgreSQLStatements"]


def _lexicon(label: str, *, backslash_strings: bool = False,
             backslash_reading: Lexicon | None = None) -> Lexicon:
    return Lexicon(
        label=label,
        identifier_quotes=(r'"[^"]*(?:""[^"]*)*"?',),
        line_end="\r\n",
        nested_comments=True,
        escape_strings=True,
        dollar_quotes=True,
        word=PG_WORD,
        word_char=PG_WORD_CHAR,
        space=PG_SPACE,
        foreign=(r"\$\d+",),
        backslash_strings=backslash_strings,
        backslash_reading=backslash_reading,
    )


#: A session with ``standard_conforming_strings = off`` (which a unit of work may set
#: itself; every connection starts with it on): ``'...'`` reads backslash escapes
#: there, so ``'\' :x '`` is one string.
BACKSLASH_LEXICON = _lexicon("PostgreSQL with standard_conforming_strings off",
                             backslash_strings=True)
LEXICON = _lexicon("postgresql", backslash_reading=BACKSLASH_LEXICON)

_PLACE_HOLDING = frozenset({STRING, QUOTED, DOLLAR})


class PostgreSQLStatements(StatementRules):
    lexicon = LEXICON

    def keyword(self, tok: Token) -> str | None:
        if tok.kind == WORD:
            return tok.upper
        # strings, identifiers and bodies hold a place; punctuation does not
        return "" if tok.kind in _PLACE_HOLDING else None

    def block_delta(self, word: str, previous: str, depth: int, keywords: list[str],
                    stream: TokenStream) -> int:
        if word == "ATOMIC" and previous == "BEGIN":
            return 1
        if depth > 0 and word == "CASE":  # CASE ... END inside an atomic body
            return 1
        return -1 if depth > 0 and word == "END" else 0

    def transactional(self, keywords: list[str], server_major: int) -> bool:
        w = [*keywords, "", "", "", ""]
        first, second = w[0], w[1]
        if first in ("CREATE", "DROP") and second in ("DATABASE", "TABLESPACE", "SUBSCRIPTION"):
            return False
        if first == "ALTER" and second == "SYSTEM":
            return False
        if first == "CREATE" and second == "UNIQUE" and w[2] == "INDEX" \
                and w[3] == "CONCURRENTLY":
            return False
        if first in ("CREATE", "DROP") and second == "INDEX" and w[2] == "CONCURRENTLY":
            return False
        if first == "REINDEX" and any(
            k in ("SCHEMA", "DATABASE", "SYSTEM", "CONCURRENTLY") for k in keywords[1:5]
        ):
            return False
        if first == "VACUUM" or (first == "DISCARD" and second == "ALL"):
            return False
        # ALTER TYPE ... ADD VALUE could not run in a transaction before PostgreSQL 12.
        return not (server_major < 12 and first == "ALTER" and second == "TYPE"
                    and "ADD" in keywords[3:6] and "VALUE" in keywords[3:7])

    def controls_transaction(self, keywords: list[str]) -> bool:
        w = [*keywords, "", ""]
        if w[0] in ("BEGIN", "COMMIT", "END", "ABORT"):
            return True
        if w[0] in ("START", "PREPARE"):
            return w[1] == "TRANSACTION"
        # ROLLBACK [WORK | TRANSACTION] TO a savepoint stays inside the transaction.
        return w[0] == "ROLLBACK" and "TO" not in w[1:3]

    def trailing_data(self, keywords: list[str], stream: TokenStream) -> str | None:
        """COPY rows start on the line after the statement and end at a ``\\.`` line."""
        if not keywords or keywords[0] != "COPY" or not any(
                a == "FROM" and b == "STDIN" for a, b in pairwise(keywords)):
            return None
        text = stream.text
        nl = text.find("\n", stream.pos)
        if nl < 0:
            stream.pos = len(text)
            return ""
        pos = nl + 1
        rows: list[str] = []
        while pos < len(text):
            nl = text.find("\n", pos)
            line_end = len(text) if nl < 0 else nl
            line = text[pos:line_end].rstrip("\r")
            pos = line_end + 1
            if line == "\\.":
                break
            rows.append(line + "\n")
        stream.pos = min(pos, len(text))
        return "".join(rows)


RULES = PostgreSQLStatements()
