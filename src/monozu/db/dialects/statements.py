"""How a database's SQL text divides into statements: the interface each dialect fills.

The splitter (:mod:`monozu.db.migrate.splitter`) runs one loop over the tokens of
the one lexer (:mod:`monozu.db.sqltext`) and asks these rules what the database
would do: which token ends a statement (``;``, or SQL Server's ``GO``), which
words open and close a body that a delimiter must not split (``BEGIN ... END``),
what follows a statement in the text (PostgreSQL's ``COPY ... FROM STDIN`` rows),
whether a statement can run inside a transaction (Flyway's keyword rules), and
whether it begins or ends one itself (``COMMIT``).
"""

from __future__ import annotations

import abc
from typing import ClassVar

from monozu.db.sqltext import OTHER, Lexicon, Token, TokenStream

#: How many leading keywords a statement keeps for the rules below.
KEYWORDS_KEPT = 8


class StatementRules(abc.ABC):
    """One database's statement rules, on its :class:`~monozu.db.sqltext.Lexicon`."""

    lexicon: ClassVar[Lexicon]

    def ends_statement(self, tok: Token, text: str) -> bool:
        """Does ``tok``, outside any body, end the statement before it? (``;``)."""
        return tok.kind == OTHER and tok.text == ";"

    def keyword(self, tok: Token) -> str | None:
        """What ``tok`` adds to the statement's leading keywords (None: nothing)."""
        return tok.upper or None

    @abc.abstractmethod
    def block_delta(self, word: str, previous: str, depth: int, keywords: list[str],
                    stream: TokenStream) -> int:
        """+1 where ``word`` opens a body a delimiter must not split, -1 where it closes
        one, else 0. ``previous`` is the word just before ("" after another token)."""

    @abc.abstractmethod
    def transactional(self, keywords: list[str], server_major: int) -> bool:
        """Can a statement starting with ``keywords`` run inside a transaction?"""

    def controls_transaction(self, keywords: list[str]) -> bool:
        """Does a statement starting with ``keywords`` begin or end a transaction of its
        own (``BEGIN``, ``COMMIT``, ``ROLLBACK``)? Inside the runner's transaction it
        would commit or undo part of the migration behind the runner's back."""
        return False

    def trailing_data(self, keywords: list[str], stream: TokenStream) -> str | None:
        """Data that follows the statement in the text (moving ``stream.pos`` past it)."""
        return None
