"""Errors of the migration runner.

Every message is one line: the CLI prints it as is, so it names the file, the line
and the database's own words, and never carries a password or a traceback.
"""

from __future__ import annotations

from monozu.db.errors import ConfigError, MonozuError


class MigrationError(MonozuError):
    """A migration command could not do its job (exit code 1 on the command line).

    ``code`` is Flyway's error code when one applies (``CHECKSUM_MISMATCH``,
    ``FAILED_VERSIONED_MIGRATION``...), so scripts can tell the causes apart.
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(" ".join(message.split()))
        self.code = code


class MigrationConfigError(MigrationError, ConfigError):
    """The settings or the migration folders cannot be used (exit code 2)."""


class ValidationFailed(MigrationError):
    """Validation found problems; ``problems`` holds every (code, message) pair."""

    def __init__(self, message: str, problems: list[tuple[str, str]]) -> None:
        super().__init__(message, code="VALIDATE_ERROR")
        self.problems = problems
