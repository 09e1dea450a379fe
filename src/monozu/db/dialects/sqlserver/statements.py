"""SQL Server's lexical and statement rules (Flyway's, for the batch separator).

``GO`` ends a batch -- any case, starting a token, followed by whitespace or the
end, outside ``BEGIN ... END``/``CASE ... END``; ``;`` never splits. Identifiers
are quoted ``[x]`` (``]]`` escapes) or ``"x"``; block comments nest. The driver
reads ``?`` as its parameter mark, and ``%(...)s`` (anything between the
parentheses) as a named one it refuses beside ``?`` values; ``@x`` is a T-SQL
variable, not a parameter.
"""

from __future__ import annotations

from monozu.db.dialects.statements import StatementRules
from monozu.db.sqltext import QUOTED, WORD, Lexicon, Token, TokenStream

LEXICON = Lexicon(
    label="sqlserver",
    identifier_quotes=(r'"[^"]*(?:""[^"]*)*"?', r"\[[^\]]*(?:\]\][^\]]*)*\]?"),
    line_end="\r\n",
    nested_comments=True,
    word=r"(?:[^\W\d]|[@#])[\w@#$]*",
    word_char=r"[\w@#$]",
    # mssql-python reads %( up to the next ) and an s, whatever is between (spaces,
    # digits, quotes), as its own %(name)s mark, and refuses a statement holding one
    # when the values are a tuple, as the layer's always are. A mark that would
    # swallow what opens a quote or a comment is left to the driver: the splitter
    # and the query-file reader share this lexicon, and must not lose a quote.
    foreign=(r"\?", r"%\([^)'\"\[/-]*\)s"),
    statements_need_separators=False,
)

_NOT_BLOCKS = frozenset({"TRAN", "TRANSACTION", "DISTRIBUTED", "DIALOG", "CONVERSATION"})

_NON_TX_PROCS = frozenset({
    "SP_ADDSUBSCRIPTION", "SP_DROPSUBSCRIPTION", "SP_ADDDISTRIBUTOR", "SP_DROPDISTRIBUTOR",
    "SP_ADDDISTPUBLISHER", "SP_DROPDISTPUBLISHER", "SP_ADDLINKEDSERVER", "SP_DROPLINKEDSERVER",
    "SP_ADDLINKEDSRVLOGIN", "SP_DROPLINKEDSRVLOGIN", "SP_SERVEROPTION", "SP_REPLICATIONDBOPTION",
    "SP_FULLTEXT_DATABASE",
})


class SQLServerStatements(StatementRules):
    lexicon = LEXICON

    def ends_statement(self, tok: Token, text: str) -> bool:
        return tok.upper == "GO" and (tok.end == len(text) or text[tok.end].isspace())

    def keyword(self, tok: Token) -> str | None:
        if tok.kind == WORD:
            return tok.upper
        # [dbo].[sp_x]: the quoted parts count as words for the EXEC rule.
        return tok.text[1:-1].upper() if tok.kind == QUOTED else None

    def block_delta(self, word: str, previous: str, depth: int, keywords: list[str],
                    stream: TokenStream) -> int:
        if word == "BEGIN":
            return 0 if stream.peek_word() in _NOT_BLOCKS else 1
        if word == "CASE":
            return 1
        return -1 if word == "END" and depth > 0 and stream.peek_word() != "CONVERSATION" \
            else 0

    def transactional(self, keywords: list[str], server_major: int) -> bool:
        w = [*keywords, "", ""]
        first, second = w[0], w[1]
        if first in ("BACKUP", "RESTORE", "RECONFIGURE"):
            return False
        if first in ("CREATE", "ALTER", "DROP") and second in ("DATABASE", "FULLTEXT"):
            return False
        # EXEC master.dbo.sp_x: the procedure is the last part of a dotted name.
        return not (first in ("EXEC", "EXECUTE")
                    and any(k in _NON_TX_PROCS for k in keywords[1:4]))


RULES = SQLServerStatements()
