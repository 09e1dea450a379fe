"""SQLite's lexical and statement rules.

``;`` ends a statement except inside ``CREATE TRIGGER ... BEGIN ... END`` (and
``CASE ... END``). Identifiers are quoted ``"x"``, ``[x]`` or ```x```; block
comments do not nest, and one the text ends inside ends there; a ``--`` comment
ends at a newline only (SQLite's tokenizer does not end it at a lone carriage
return). Its identifier characters are
PostgreSQL's (ASCII letters, digits, ``_``, ``$`` and every non-ASCII character) and
its whitespace is ASCII. SQLite itself reads ``?``, ``?NNN``, ``@x``, ``$x``, ``#x``
and any ``:x`` (even right after a word, and with ``::`` or ``(...)`` after its name:
``:a::int``, ``:a(x)``) as parameters.
"""

from __future__ import annotations

from monozu.db.dialects.statements import StatementRules
from monozu.db.sqltext import PG_WORD, PG_WORD_CHAR, WORD, Lexicon, Token, TokenStream

LEXICON = Lexicon(
    label="sqlite",
    identifier_quotes=(r'"[^"]*(?:""[^"]*)*"?', r"`[^`]*(?:``[^`]*)*`?", r"\[[^\]]*\]?"),
    line_end="\n",
    nested_comments=False,
    word=PG_WORD,
    word_char=PG_WORD_CHAR,
    space=r"[ \t\n\f\r]",
    open_comment_allowed=True,
    # SQLite's own parameters: ?, ?NNN, and a name after @ $ : or # that goes on over
    # "::" and ends in one "(...)" (Tcl's variable syntax): :a::int and :a(x) are one
    # parameter each there.
    foreign=(r"\?\d*",
             rf"[@$:#](?:::)*{PG_WORD_CHAR}(?:{PG_WORD_CHAR}|::)*(?:\([^ \t\n\v\f\r)]*\)?)?"),
    name_goes_on=r"::|\(",
)


class SQLiteStatements(StatementRules):
    lexicon = LEXICON

    def keyword(self, tok: Token) -> str | None:
        return tok.upper if tok.kind == WORD else None

    def block_delta(self, word: str, previous: str, depth: int, keywords: list[str],
                    stream: TokenStream) -> int:
        trigger = keywords[:1] == ["CREATE"] and "TRIGGER" in keywords
        if (word == "BEGIN" and trigger) or word == "CASE":
            return 1
        return -1 if word == "END" and depth > 0 else 0

    def transactional(self, keywords: list[str], server_major: int) -> bool:
        if keywords[:1] == ["VACUUM"]:
            return False
        return keywords[:2] != ["PRAGMA", "FOREIGN_KEYS"]

    def controls_transaction(self, keywords: list[str]) -> bool:
        w = [*keywords, "", ""]
        if w[0] in ("BEGIN", "COMMIT", "END"):
            return True
        # ROLLBACK [TRANSACTION] TO a savepoint stays inside the transaction.
        return w[0] == "ROLLBACK" and "TO" not in w[1:3]


RULES = SQLiteStatements()
