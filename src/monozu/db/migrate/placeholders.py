"""``${name}`` placeholders, replaced before a script is split or (for a repeatable)
checksummed.

Names match case-insensitively; built-ins live in the ``flyway:`` namespace. The
replacement is textual, so it also happens inside comments and string literals,
as in Flyway. A name with no value is an error naming the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime

from monozu.db.dialects.migration import ConnectionFacts
from monozu.db.migrate.errors import MigrationError
from monozu.db.sqltext import line_breaks

# Shortest match to the first closing brace, like Flyway's reader.
_PLACEHOLDER = re.compile(r"\$\{(.*?)\}", re.DOTALL)


def builtin_placeholders(facts: ConnectionFacts, filename: str,
                         now: datetime | None = None) -> dict[str, str]:
    """The ``flyway:*`` values for one script, with Flyway's names."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")
    values = {
        "flyway:defaultschema": facts.default_schema,
        "flyway:user": facts.user,
        "flyway:timestamp": stamp,
        "flyway:filename": filename,
        "flyway:workingdirectory": os.getcwd(),
        "flyway:table": facts.table,
        "flyway:environment": facts.environment,
    }
    if facts.database is not None:
        values["flyway:database"] = facts.database
    return values


def normalise(placeholders: Mapping[str, str]) -> dict[str, str]:
    """Lower-case the names once so lookups are case-insensitive."""
    return {name.lower(): value for name, value in placeholders.items()}


def replace_placeholders(text: str, values: Mapping[str, str], script: str) -> str:
    """Replace every ``${name}``; ``values`` must have lower-case names."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name.lower())
        if value is None:
            line = line_breaks(text, 0, match.start()) + 1
            if name.lower().startswith("flyway:"):
                raise MigrationError(
                    f"Failed to populate value for default placeholder: ${{{name}}} "
                    f"in {script} line {line}", code="PLACEHOLDER_ERROR")
            raise MigrationError(
                f"No value provided for placeholder: ${{{name}}} in {script} line {line}. "
                "Check your configuration!", code="PLACEHOLDER_ERROR")
        return value

    if "${" not in text:
        return text
    return _PLACEHOLDER.sub(substitute, text)


def secret_values(placeholders: Mapping[str, str], sql: str) -> list[str]:
    """The values of the placeholders named like a secret (``dbPassword``) that ``sql``
    holds: a failure of that statement must not quote them."""
    from monozu.db.dialects.urls import secret_setting

    return [v for k, v in placeholders.items() if v and secret_setting(k) and v in sql]


# A token of a database's message: a quoted one whole, else a word.
_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|[^\s'\"]+")
# What a message puts around a word it names bare ("no such column: x.").
_BARE_PUNCTUATION = ".,;:()"


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` lower-cased with every run of blanks made one space (as a database folds
    an identifier and a message its statement), and where each character came from."""
    out: list[str] = []
    where: list[int] = []
    for m in re.finditer(r"\s+|\S", text):
        folded = " " if m.group().isspace() else m.group().lower()  # "İ" makes two
        out.append(folded)
        where += [m.start()] * len(folded)
    where.append(len(text))
    return "".join(out), where


def without_pieces(message: str, secrets: list[str], sql: str) -> str:
    """A database's message about the statement ``sql``, which holds ``secrets``, with
    every token that is a piece of one masked.

    A value breaking the statement's syntax (a quote in a password) makes the database
    quote the next piece of it: with the statement's own quotes around it
    (``"'Mg7Piece'"``), with what follows (``"'Mg7Piece'';"``), lower-cased as an
    identifier (``"mg7piece"``), or bare (SQLite's ``no such column: Mg7Piece``). So a
    token is masked when it is found in the statement, compared as the database folds
    it, only where it overlaps a secret: a name the statement holds elsewhere too (the
    role being created) stays. A quoted piece shorter than three characters is masked
    whenever a secret holds it.
    """
    if not secrets:
        return message
    folded, where = _folded(sql)
    spans = [(at, at + len(secret)) for secret in secrets
             for at in (m.start() for m in re.finditer(re.escape(secret), sql))]

    def secret_piece(token: str) -> bool:
        piece = " ".join(token.lower().split())
        if len(piece) < 3:
            return False
        found = [(where[m.start()], where[m.start() + len(piece)])
                 for m in re.finditer(re.escape(piece), folded)]
        overlap = [any(a < end and first < b for first, end in spans) for a, b in found]
        return any(overlap) and all(overlap)

    def hide(m: re.Match[str]) -> str:
        token = m.group()
        if token[0] in "'\"":
            inner = token[1:-1]
            short = 0 < len(inner) < 3 and any(inner in secret for secret in secrets)
            shown = not short and not secret_piece(token) and not secret_piece(inner)
            return token if shown else f"{token[0]}***{token[0]}"
        core = token.strip(_BARE_PUNCTUATION)
        if core and secret_piece(core):
            return token.replace(core, "***", 1)
        return token

    return _TOKEN.sub(hide, message)
