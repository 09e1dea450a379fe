"""The one SQL lexer: each database's tokens in the corners where they differ."""

from __future__ import annotations

import re

import pytest

from monozu.db.dialects.postgresql.statements import LEXICON as PG
from monozu.db.dialects.sqlite.statements import LEXICON as SQLITE
from monozu.db.dialects.sqlserver.statements import LEXICON as TSQL
from monozu.db.sqltext import DOLLAR_TAG, PG_WORD, TRIVIA, Lexicon

LEXICONS = {"postgresql": PG, "sqlite": SQLITE, "sqlserver": TSQL}


def significant(lexicon: Lexicon, text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in lexicon.tokens(text) if t.kind not in TRIVIA]


@pytest.mark.parametrize(("database", "text", "tokens"), [
    ("postgresql", r"E'a\'b' x", [("string", r"E'a\'b'"), ("word", "x")]),
    ("sqlite", r"E'a\'b' x", [("word", "E"), ("string", r"'a\'"), ("word", "b"),
                              ("string", "' x")]),
    # one E'...' string in parts: a newline (and -- comments) between them, not /* */
    ("postgresql", "E'a' -- c\n\t'\\' x' y", [("string", "E'a' -- c\n\t'\\' x'"),
                                             ("word", "y")]),
    ("postgresql", "E'a' /* c */\n'\\' x' y", [("string", "E'a'"), ("string", "'\\'"),
                                              ("word", "x"), ("string", "' y")]),
    ("postgresql", "$é$ a $ $é$ x", [("dollar", "$é$ a $ $é$"), ("word", "x")]),
    ("postgresql", "a$b$ $1", [("word", "a$b$"), ("foreign", "$1")]),
    ("sqlite", "[a:b] `c``d` x", [("quoted", "[a:b]"), ("quoted", "`c``d`"), ("word", "x")]),
    ("sqlserver", "[a]]b] x", [("quoted", "[a]]b]"), ("word", "x")]),
    ("postgresql", "[a] x", [("other", "["), ("word", "a"), ("other", "]"), ("word", "x")]),
    ("postgresql", "/* a /* b */ c */ x", [("word", "x")]),
    ("sqlite", "/* a /* b */ c */ x", [("word", "c"), ("other", "*"), ("other", "/"),
                                      ("word", "x")]),
    ("postgresql", "-- a\rx", [("word", "x")]),
    ("sqlite", "-- a\rx\ny", [("word", "y")]),
    ("postgresql", "a::int, :b, x:c", [("word", "a"), ("op", "::"), ("word", "int"),
                                       ("other", ","), ("param", ":b"), ("other", ","),
                                       ("word", "x"), ("other", ":"), ("word", "c")]),
    ("sqlite", "x:c", [("word", "x"), ("foreign", ":c")]),
    ("sqlserver", "@v ? %s", [("word", "@v"), ("foreign", "?"), ("foreign", "%s")]),
    ("postgresql", "'unterminated ; x", [("string", "'unterminated ; x")]),
    # PostgreSQL and SQLite read every non-ASCII character as part of an identifier,
    # U+00A0 and U+3000 included: only ASCII whitespace separates tokens there
    ("postgresql", "é:n x\u3000:a \v:b", [("word", "é"), ("other", ":"), ("word", "n"),
                                          ("word", "x\u3000"), ("other", ":"), ("word", "a"),
                                          ("param", ":b")]),
    ("sqlite", "é€ \xa0:a #b", [("word", "é€"), ("word", "\xa0"), ("foreign", ":a"),
                                ("foreign", "#b")]),
    ("sqlserver", "é:n :a", [("word", "é"), ("other", ":"), ("word", "n"), ("param", ":a")]),
])
def test_tokens(database: str, text: str, tokens: list[tuple[str, str]]) -> None:
    assert significant(LEXICONS[database], text) == tokens


@pytest.mark.parametrize("database", LEXICONS)
def test_spans_agree_with_the_stream(database: str) -> None:
    lexicon = LEXICONS[database]
    text = "SELECT $t$ a $t$, 'x''y', /* c /* d */ e */ [f] -- g\r\n:h IN (:i)"
    assert [(t.kind, t.start, t.end) for t in lexicon.tokens(text)] == list(lexicon.spans(text))


# PostgreSQL's word and dollar-tag characters are written as negated ASCII classes (they
# compile fast); they must be exactly "ASCII letters, digits, _ (and $ inside a word) and
# every non-ASCII character", as the server's scanner reads them.
_SAMPLE_NON_ASCII = ["\x80", "\xff", "é", "€", "\u0100", "\ud7ff", "\ue000", "\uffff",
                     "\U00010000", "\U0001f600", "\U0010ffff"]


@pytest.mark.parametrize("ch", [chr(i) for i in range(128)] + _SAMPLE_NON_ASCII)
def test_postgresql_word_and_tag_characters(ch: str) -> None:
    start = ch.isascii() is False or ch == "_" or (ch.isascii() and ch.isalpha())
    cont = start or (ch.isascii() and ch.isdigit())
    assert (re.fullmatch(PG_WORD, ch) is not None) is start
    assert (re.fullmatch(PG_WORD, "a" + ch) is not None) is (cont or ch == "$")
    assert (re.fullmatch(DOLLAR_TAG, f"${ch}$") is not None) is start
    assert (re.fullmatch(DOLLAR_TAG, f"$a{ch}$") is not None) is cont
