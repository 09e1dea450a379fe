"""The one SQL lexer: tokens of SQL text by one database's lexical rules.

Three readers share it: the ``:name`` compiler (:mod:`monozu.db.sqlparams`), the
migration statement splitter (:mod:`monozu.db.migrate.splitter`) and the query-file
reader (:mod:`monozu.db.queries`). Each database describes its rules once, as a
:class:`Lexicon` (in ``dialects/<db>/statements.py``): which quotes delimit
identifiers, whether block comments nest, whether ``E'...'`` strings and
``$tag$`` bodies exist, which characters end a ``--`` comment, and which marks the
database or its driver would read as a bind parameter of its own.

Tokens are found by one compiled pattern per lexicon, whichever construct starts
first winning, as the databases' own scanners do; a nested comment or a dollar
body is then measured by a short loop. Unterminated quotes and comments run to
the end of the text (a reader must never split inside), and ``Lexicon.unclosed``
names them for the ``:name`` compiler, which refuses them as the database would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

# Token kinds.
SPACE: Final = "space"
LINE_COMMENT: Final = "line"
BLOCK_COMMENT: Final = "block"
STRING: Final = "string"  # '...' and E'...'
QUOTED: Final = "quoted"  # a quoted identifier: "x", [x], `x`
DOLLAR: Final = "dollar"  # a $tag$ ... $tag$ body
WORD: Final = "word"  # a keyword or bare identifier
NUMBER: Final = "number"
PARAM: Final = "param"  # :name
FOREIGN: Final = "foreign"  # a mark the database or driver binds itself: ?, $1, %s, @x
OPERATOR: Final = "op"  # :: and :=
OTHER: Final = "other"  # any other single character

#: Kinds that carry no meaning for a reader looking at statement structure.
TRIVIA: Final = frozenset({SPACE, LINE_COMMENT, BLOCK_COMMENT})

# Marks no driver of ours reads, but that are a driver's placeholder style elsewhere
# (psycopg's client-side ``%s`` and ``%(name)s``): always refused inside a statement.
_PYFORMAT = r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?s(?![A-Za-z0-9_])"

# PostgreSQL's E'...' string: backslash escapes and doubled quotes. Its quoted parts
# separated by a newline (with spaces and -- comments about it) are one constant
# (the scanner's "quotecontinue"), and the parts after the first are read with
# escapes too: in E'a'<newline>'it\'s :x' the :x is inside the string. Each piece
# below matches in one way only, so a long run of them cannot backtrack badly.
_E_BODY = r"[^'\\]*(?:(?:\\.|'')[^'\\]*)*"
_CONTINUE = r"'[ \t\f]*(?:--[^\n\r]*)?[\n\r](?:[ \t\n\r\f]|--[^\n\r]*[\n\r])*'"
_ESCAPE_STRING = rf"[eE]'{_E_BODY}(?:{_CONTINUE}{_E_BODY})*'?"
# The same read without the E: every '...' on a PostgreSQL session whose
# standard_conforming_strings is off.
_BACKSLASH_STRING = rf"[eE]?'{_E_BODY}(?:{_CONTINUE}{_E_BODY})*'?"


class Lexicon:
    """One database's lexical rules (instances are shared and hashed by identity).

    ``identifier_quotes``: patterns of quoted identifiers. ``line_end``: the
    characters that end a ``--`` comment. ``word``: a bare word. ``foreign``: what
    the database or its driver reads as a bind parameter that is not a ``:name``.
    ``space``: one whitespace character. ``word_char``: one character the database
    reads as part of an identifier; a ``:name`` joined to one on either side is not a
    parameter (the database would read its placeholder as part of that identifier).
    ``name_goes_on``: what else the database reads as part of a ``:name`` after it
    (SQLite's ``::`` and ``(...)``), so that the name followed by it is not ours.
    ``backslash_strings``: every ``'...'`` reads backslash escapes, as ``E'...'``
    does. ``backslash_reading``: the lexicon of a session that reads ``'...'`` so
    (PostgreSQL's ``standard_conforming_strings = off``), when that can happen.
    """

    def __init__(self, *, label: str, identifier_quotes: tuple[str, ...],
                 line_end: str = "\r\n", nested_comments: bool = True,
                 escape_strings: bool = False, dollar_quotes: bool = False,
                 word: str = r"[^\W\d][\w$]*", word_char: str = r"[\w$]",
                 space: str = r"\s", foreign: tuple[str, ...] = (),
                 statements_need_separators: bool = True,
                 open_comment_allowed: bool = False, name_goes_on: str = "",
                 backslash_strings: bool = False,
                 backslash_reading: Lexicon | None = None) -> None:
        self.label = label
        self.backslash_reading = backslash_reading
        # T-SQL needs no ``;`` between statements, so any word may begin one, and its
        # ``END`` closes a block rather than the transaction.
        self.statements_need_separators = statements_need_separators
        self.nested_comments = nested_comments
        self.dollar_quotes = dollar_quotes
        # SQLite reads a /* comment the text ends inside as ending there; the others
        # refuse it.
        self.open_comment_allowed = open_comment_allowed
        alternatives = [
            rf"(?P<{SPACE}>{space}+)",
            rf"(?P<{LINE_COMMENT}>--[^{line_end}]*)",
            rf"(?P<{BLOCK_COMMENT}>/\*)" if nested_comments
            else rf"(?P<{BLOCK_COMMENT}>/\*.*?(?:\*/|\Z))",
        ]
        strings = [r"'[^']*(?:''[^']*)*'?"]
        if backslash_strings:
            strings = [_BACKSLASH_STRING]
        elif escape_strings:
            strings.insert(0, _ESCAPE_STRING)
        alternatives.append(rf"(?P<{STRING}>{'|'.join(strings)})")
        alternatives.append(rf"(?P<{QUOTED}>{'|'.join(identifier_quotes)})")
        # Each quote's pattern ends in its closing quote made optional ('?): without
        # the "?", it matches a closed one only.
        closed = [q.removesuffix("?") for q in (*strings, *identifier_quotes)]
        self.closed_quote = re.compile("|".join(closed), re.DOTALL)
        if dollar_quotes:
            alternatives.append(rf"(?P<{DOLLAR}>{DOLLAR_TAG})")
        alternatives += [
            rf"(?P<{OPERATOR}>::|:=)",
            rf"(?P<{PARAM}>(?<!{word_char}):[A-Za-z_][A-Za-z0-9_]*"
            rf"(?!{word_char}{'|' if name_goes_on else ''}{name_goes_on}))",
            rf"(?P<{FOREIGN}>{'|'.join((*foreign, _PYFORMAT))})",
            rf"(?P<{WORD}>{word})",
            rf"(?P<{NUMBER}>\d+)",
            rf"(?P<{OTHER}>.)",
        ]
        self.pattern = re.compile("|".join(alternatives), re.DOTALL)

    def __repr__(self) -> str:
        return f"<Lexicon {self.label}>"

    def unclosed(self, kind: str, text: str, start: int, end: int) -> str:
        """What the token ``text[start:end]`` is, when the text ends inside it (a
        quote, a dollar body or a block comment the database refuses unclosed); ""
        otherwise. An unclosed token runs to the end of the text (an ``E'...'`` string
        to a backslash just before it), so only the last one needs a look."""
        if end < len(text) - 1:
            return ""
        if kind in (STRING, QUOTED):
            closed = self.closed_quote.fullmatch(text, start, end) is not None
            return "" if closed else ("string" if kind == STRING else "quoted identifier")
        if kind == DOLLAR:
            tag = text[start:text.index("$", start + 1) + 1]
            closed = end - start >= 2 * len(tag) and text.startswith(tag, end - len(tag))
            return "" if closed else "dollar-quoted string"
        if kind == BLOCK_COMMENT and not self.open_comment_allowed:
            return "" if self.closed(text[start:end]) else "/* comment"
        return ""

    def closed(self, comment: str) -> bool:
        """Is a ``/* ... */`` comment token closed? (Unclosed, it runs to the end of the
        text.)"""
        if not self.nested_comments:
            return len(comment) >= 4 and comment.endswith("*/")
        return _nested_comment_closed(comment, 0, len(comment))

    def tokens(self, text: str, start: int = 0) -> TokenStream:
        return TokenStream(self, text, start)

    def spans(self, text: str) -> Iterator[tuple[str, int, int]]:
        """(kind, start, end) of every token: the fast path for readers that need no
        look-ahead."""
        pos, n = 0, len(text)
        while pos < n:
            for m in self.pattern.finditer(text, pos):
                kind = m.lastgroup or OTHER
                start, end = m.span()
                if kind == BLOCK_COMMENT and self.nested_comments:
                    end = _end_of_nested_comment(text, start)
                elif kind == DOLLAR:
                    close = text.find(m.group(), end)
                    end = n if close < 0 else close + end - start
                yield kind, start, end
                if end != m.end():
                    pos = end
                    break
            else:
                return


# PostgreSQL's identifier characters: ASCII letters, digits, _ and every non-ASCII
# character (its scanner accepts any byte >= 0x80), so ``$é$`` and ``$€$`` are tags.
# Written as "anything but these ASCII characters": the same sets as
# ``[A-Za-z_\x80-\U0010ffff]`` and its kin, but compiled in a fraction of the time,
# which every command's start-up pays.
_PG_START = r"[^\x00-@\[-^`{-\x7f]"  # letters, _, non-ASCII
_PG_CONT = r"[^\x00-/:-@\[-^`{-\x7f]"  # ... and digits
DOLLAR_TAG: Final = rf"\$(?:{_PG_START}{_PG_CONT}*)?\$"
PG_WORD_CHAR: Final = r"[^\x00-#%-/:-@\[-^`{-\x7f]"  # ... digits and $
PG_WORD: Final = rf"{_PG_START}{PG_WORD_CHAR}*"
# PostgreSQL's whitespace (\v since PostgreSQL 16): ASCII only, as any other character
# is part of an identifier there, U+00A0 and U+3000 included.
PG_SPACE: Final = r"[ \t\n\r\f\v]"

_NESTED = re.compile(r"/\*|\*/")


def line_breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """The line breaks in ``text[start:end]``: ``\\r\\n``, a lone ``\\r`` or ``\\n``, as
    Flyway's checksum reads lines (a file saved with ``\\r`` alone has lines too)."""
    stop = len(text) if end is None else end
    return (text.count("\n", start, stop) + text.count("\r", start, stop)
            - text.count("\r\n", start, stop))


@dataclass(slots=True)
class Token:
    kind: str
    start: int
    end: int
    text: str

    @property
    def upper(self) -> str:
        """A word in upper case; "" for any other kind."""
        return self.text.upper() if self.kind == WORD else ""


class TokenStream:
    """The tokens of ``text`` from ``pos`` on; a reader may move ``pos`` (COPY data)."""

    __slots__ = ("lexicon", "match", "pos", "text")

    def __init__(self, lexicon: Lexicon, text: str, pos: int = 0) -> None:
        self.lexicon = lexicon
        self.text = text
        self.match = lexicon.pattern.match
        self.pos = pos

    def __iter__(self) -> TokenStream:
        return self

    def __next__(self) -> Token:
        tok = self.next()
        if tok is None:
            raise StopIteration
        return tok

    def next(self) -> Token | None:
        text, pos = self.text, self.pos
        if pos >= len(text):
            return None
        m = self.match(text, pos)
        assert m is not None  # the last alternative matches any character
        kind = m.lastgroup or OTHER
        end = m.end()
        if kind == BLOCK_COMMENT and self.lexicon.nested_comments:
            end = _end_of_nested_comment(text, pos)
        elif kind == DOLLAR:
            tag = m.group()
            close = text.find(tag, end)
            end = len(text) if close < 0 else close + len(tag)
        self.pos = end
        return Token(kind, pos, end, text[pos:end])

    def next_significant(self) -> Token | None:
        while (tok := self.next()) is not None:
            if tok.kind not in TRIVIA:
                return tok
        return None

    def peek_word(self) -> str:
        """The next significant token's upper-case word ("" if it is not a word)."""
        saved = self.pos
        try:
            tok = self.next_significant()
            return tok.upper if tok is not None else ""
        finally:
            self.pos = saved


def _nested_comment_closed(text: str, start: int, end: int) -> bool:
    depth = 0
    for m in _NESTED.finditer(text, start, end):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return True
    return False


def _end_of_nested_comment(text: str, start: int) -> int:
    depth = 0
    for m in _NESTED.finditer(text, start):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    return len(text)
