"""Split a migration script into the statements the database is sent.

One regex tokenizer per database skips string literals, quoted identifiers and
comments, so delimiters inside them never split:

* PostgreSQL: ``;`` ends a statement; ``$tag$`` bodies, ``E'...'`` escapes, nested
  ``/* */`` comments and ``BEGIN ATOMIC ... END`` bodies are understood, and
  ``COPY ... FROM STDIN`` takes the data lines up to ``\\.`` with it.
* SQLite: ``;`` ends a statement except inside ``CREATE TRIGGER ... BEGIN ... END``
  (and ``CASE ... END``).
* SQL Server: ``GO`` ends a batch -- any case, starting a token, followed by
  whitespace or the end, outside ``BEGIN ... END``/``CASE ... END``; ``;`` never
  splits. Empty batches are dropped.

Each statement records its first line (1-based) and whether it can run inside a
transaction, by the same keyword rules Flyway's parsers use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from monozu.db.config import Kind


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    line: int
    transactional: bool = True
    copy_data: str | None = None  # PostgreSQL COPY ... FROM STDIN rows


@dataclass(frozen=True, slots=True)
class Script:
    statements: tuple[Statement, ...]

    @property
    def transactional(self) -> bool:
        return all(s.transactional for s in self.statements)

    @property
    def mixed(self) -> bool:
        kinds = {s.transactional for s in self.statements}
        return len(kinds) > 1


# Token kinds that carry no meaning for splitting.
_SKIP = frozenset({"space", "line", "block"})

_PG = re.compile(r"""
    (?P<space>\s+)
  | (?P<line>--[^\r\n]*)
  | (?P<block>/\*)
  | (?P<estr>[eE]'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'?)
  | (?P<str>'[^']*(?:''[^']*)*'?)
  | (?P<ident>"[^"]*(?:""[^"]*)*"?)
  | (?P<dollar>\$(?:[^\W\d]\w*)?\$)
  | (?P<word>[^\W\d][\w$]*)
  | (?P<other>\d+|.)
""", re.VERBOSE | re.DOTALL)

_SQLITE = re.compile(r"""
    (?P<space>\s+)
  | (?P<line>--[^\r\n]*)
  | (?P<block>/\*.*?(?:\*/|\Z))
  | (?P<str>'[^']*(?:''[^']*)*'?)
  | (?P<ident>"[^"]*(?:""[^"]*)*"?|`[^`]*(?:``[^`]*)*`?|\[[^\]]*\]?)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>\d+|.)
""", re.VERBOSE | re.DOTALL)

_TSQL = re.compile(r"""
    (?P<space>\s+)
  | (?P<line>--[^\r\n]*)
  | (?P<block>/\*)
  | (?P<str>'[^']*(?:''[^']*)*'?)
  | (?P<ident>"[^"]*(?:""[^"]*)*"?|\[[^\]]*(?:\]\][^\]]*)*\]?)
  | (?P<word>[^\W\d$][\w@#$]*)
  | (?P<other>\d+|.)
""", re.VERBOSE | re.DOTALL)

_NESTED_COMMENT = re.compile(r"/\*|\*/")


def _end_of_nested_comment(text: str, start: int) -> int:
    """End of a ``/* ... */`` comment that may nest (PostgreSQL, SQL Server)."""
    depth = 0
    pos = start
    for m in _NESTED_COMMENT.finditer(text, start):
        depth += 1 if m.group() == "/*" else -1
        pos = m.end()
        if depth == 0:
            return pos
    return len(text)


@dataclass(slots=True)
class _Token:
    kind: str
    start: int
    end: int
    upper: str  # the word in upper case; "" for other kinds


def _tokens(text: str, pattern: re.Pattern[str], start: int = 0) -> _TokenStream:
    return _TokenStream(text, pattern, start)


class _TokenStream:
    """Tokens from ``pos`` on; the splitter may move ``pos`` (COPY data)."""

    def __init__(self, text: str, pattern: re.Pattern[str], pos: int) -> None:
        self.text = text
        self.match = pattern.match
        self.pos = pos

    def next(self) -> _Token | None:
        text, pos = self.text, self.pos
        if pos >= len(text):
            return None
        m = self.match(text, pos)
        assert m is not None  # the last alternative matches any character
        kind = m.lastgroup or "other"
        end = m.end()
        if kind == "block" and m.group() == "/*":
            end = _end_of_nested_comment(text, pos)
        elif kind == "dollar":
            tag = m.group()
            close = text.find(tag, end)
            end = len(text) if close < 0 else close + len(tag)
        self.pos = end
        return _Token(kind, pos, end, m.group().upper() if kind == "word" else "")

    def peek_word(self) -> str:
        """The next meaningful token's upper-case word ("" if it is not a word)."""
        saved = self.pos
        try:
            while (tok := self.next()) is not None:
                if tok.kind not in _SKIP:
                    return tok.upper
            return ""
        finally:
            self.pos = saved


class _LineCounter:
    """Line numbers of increasing offsets without rescanning the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def at(self, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.line


# -- non-transactional statements -------------------------------------------------

def _pg_transactional(words: list[str], server_major: int) -> bool:
    w = [*words, "", "", "", ""]
    first, second = w[0], w[1]
    if first in ("CREATE", "DROP") and second in ("DATABASE", "TABLESPACE", "SUBSCRIPTION"):
        return False
    if first == "ALTER" and second == "SYSTEM":
        return False
    if first == "CREATE" and second == "UNIQUE" and w[2] == "INDEX" and w[3] == "CONCURRENTLY":
        return False
    if first in ("CREATE", "DROP") and second == "INDEX" and w[2] == "CONCURRENTLY":
        return False
    if first == "REINDEX" and any(
        k in ("SCHEMA", "DATABASE", "SYSTEM", "CONCURRENTLY") for k in words[1:5]
    ):
        return False
    if first == "VACUUM" or (first == "DISCARD" and second == "ALL"):
        return False
    # ALTER TYPE ... ADD VALUE could not run in a transaction before PostgreSQL 12.
    return not (server_major < 12 and first == "ALTER" and second == "TYPE"
                and "ADD" in words[3:6] and "VALUE" in words[3:7])


def _sqlite_transactional(words: list[str]) -> bool:
    if words[:1] == ["VACUUM"]:
        return False
    return not (words[:1] == ["PRAGMA"] and len(words) > 1 and words[1] == "FOREIGN_KEYS")


_TSQL_NON_TX_PROCS = frozenset({
    "SP_ADDSUBSCRIPTION", "SP_DROPSUBSCRIPTION", "SP_ADDDISTRIBUTOR", "SP_DROPDISTRIBUTOR",
    "SP_ADDDISTPUBLISHER", "SP_DROPDISTPUBLISHER", "SP_ADDLINKEDSERVER", "SP_DROPLINKEDSERVER",
    "SP_ADDLINKEDSRVLOGIN", "SP_DROPLINKEDSRVLOGIN", "SP_SERVEROPTION", "SP_REPLICATIONDBOPTION",
    "SP_FULLTEXT_DATABASE",
})


def _tsql_transactional(words: list[str]) -> bool:
    w = [*words, "", ""]
    first, second = w[0], w[1]
    if first in ("BACKUP", "RESTORE", "RECONFIGURE"):
        return False
    if first in ("CREATE", "ALTER", "DROP") and second in ("DATABASE", "FULLTEXT"):
        return False
    # EXEC master.dbo.sp_x: the procedure is the last part of a dotted name.
    return not (first in ("EXEC", "EXECUTE")
                and any(w in _TSQL_NON_TX_PROCS for w in words[1:4]))


# -- splitters ----------------------------------------------------------------------

_KEYWORDS_KEPT = 8  # enough leading words for every rule above


def split_postgresql(text: str, server_major: int = 99) -> Script:
    stream = _tokens(text, _PG)
    lines = _LineCounter(text)
    out: list[Statement] = []
    start = -1
    words: list[str] = []
    depth = 0
    prev_word = ""
    while True:
        tok = stream.next()
        if tok is None or (tok.kind == "other" and text[tok.start] == ";" and depth == 0):
            if start >= 0:
                end = tok.start if tok else len(text)
                sql = text[start:end].rstrip()
                copy_data = None
                if tok is not None and _is_copy_from_stdin(words):
                    copy_data, stream.pos = _copy_data(text, tok.end)
                out.append(Statement(sql, lines.at(start), _pg_transactional(words, server_major),
                                     copy_data))
            if tok is None:
                break
            start, words, depth, prev_word = -1, [], 0, ""
            continue
        if tok.kind in _SKIP:
            continue
        if start < 0:
            start = tok.start
        if tok.kind == "word":
            u = tok.upper
            if len(words) < _KEYWORDS_KEPT:
                words.append(u)
            if u == "ATOMIC" and prev_word == "BEGIN":
                depth += 1
            elif u == "CASE" and depth > 0:
                # CASE ... END inside an atomic body must not close the body.
                depth += 1
            elif u == "END" and depth > 0:
                depth -= 1
            prev_word = u
        else:
            prev_word = ""
            if len(words) < _KEYWORDS_KEPT and tok.kind != "other":
                words.append("")
    return Script(tuple(out))


def _is_copy_from_stdin(words: list[str]) -> bool:
    if not words or words[0] != "COPY":
        return False
    return any(a == "FROM" and b == "STDIN" for a, b in pairwise(words))


def _copy_data(text: str, after: int) -> tuple[str, int]:
    """COPY rows start on the line after the statement and end at a ``\\.`` line."""
    nl = text.find("\n", after)
    if nl < 0:
        return "", len(text)
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
    return "".join(rows), min(pos, len(text))


def split_sqlite(text: str) -> Script:
    stream = _tokens(text, _SQLITE)
    lines = _LineCounter(text)
    out: list[Statement] = []
    start = -1
    words: list[str] = []
    depth = 0
    trigger = False
    while True:
        tok = stream.next()
        if tok is None or (tok.kind == "other" and text[tok.start] == ";" and depth == 0):
            if start >= 0:
                end = tok.start if tok else len(text)
                out.append(Statement(text[start:end].rstrip(), lines.at(start),
                                     _sqlite_transactional(words)))
            if tok is None:
                break
            start, words, depth, trigger = -1, [], 0, False
            continue
        if tok.kind in _SKIP:
            continue
        if start < 0:
            start = tok.start
        if tok.kind == "word":
            u = tok.upper
            if len(words) < _KEYWORDS_KEPT:
                words.append(u)
                if u == "TRIGGER" and words[0] == "CREATE":
                    trigger = True
            if (u == "BEGIN" and trigger) or u == "CASE":
                depth += 1
            elif u == "END" and depth > 0:
                depth -= 1
    return Script(tuple(out))


_TSQL_NOT_BLOCKS = frozenset({"TRAN", "TRANSACTION", "DISTRIBUTED", "DIALOG", "CONVERSATION"})


def split_sqlserver(text: str) -> Script:
    """GO batches, each sent whole (Flyway's rules; see the module docstring)."""
    stream = _tokens(text, _TSQL)
    lines = _LineCounter(text)
    out: list[Statement] = []
    start = -1
    words: list[str] = []
    depth = 0
    while True:
        tok = stream.next()
        is_go = (
            tok is not None and tok.kind == "word" and tok.upper == "GO" and depth == 0
            and (tok.end == len(text) or text[tok.end].isspace())
        )
        if tok is None or is_go:
            if start >= 0:
                end = tok.start if tok else len(text)
                out.append(Statement(text[start:end].rstrip(), lines.at(start),
                                     _tsql_transactional(words)))
            if tok is None:
                break
            start, words, depth = -1, [], 0
            continue
        if tok.kind in _SKIP:
            continue
        if start < 0:
            start = tok.start
        if tok.kind == "word":
            u = tok.upper
            if len(words) < _KEYWORDS_KEPT:
                words.append(u)
            if u == "BEGIN":
                if stream.peek_word() not in _TSQL_NOT_BLOCKS:
                    depth += 1
            elif u == "CASE":
                depth += 1
            elif u == "END" and depth > 0 and stream.peek_word() != "CONVERSATION":
                depth -= 1
        elif tok.kind == "ident" and len(words) < _KEYWORDS_KEPT:
            # [dbo].[sp_x]: the bracketed parts count as words for the EXEC rule.
            words.append(text[tok.start + 1:tok.end - 1].upper())
    return Script(tuple(out))




def split(kind: Kind, text: str, *, server_major: int = 99) -> Script:
    if kind == "postgresql":
        return split_postgresql(text, server_major)
    if kind == "sqlite":
        return split_sqlite(text)
    return split_sqlserver(text)
