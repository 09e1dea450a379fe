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


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def without_pieces(message: str, secrets: list[str]) -> str:
    """A database's message about a statement holding ``secrets`` with every quoted
    token that is a piece of one masked: a value breaking the statement's syntax (a
    quote in a password) makes the database quote the next piece of it."""
    def hide(m: re.Match[str]) -> str:
        inner = m.group()[1:-1]
        if inner and any(inner in secret for secret in secrets):
            return f"{m.group()[0]}***{m.group()[0]}"
        return m.group()

    return _QUOTED.sub(hide, message) if secrets else message
