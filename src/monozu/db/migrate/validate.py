"""Validation: every problem as a (code, message) pair with Flyway's error codes.

``ignore_patterns`` are Flyway's ``<type>:<state>`` pairs (type ``*``, ``versioned``
or ``repeatable``; state ``*``, ``missing``, ``pending``, ``ignored`` or ``future``).
The default is ``*:future``; validate-on-migrate adds ``*:pending``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from monozu.db.migrate.errors import MigrationConfigError
from monozu.db.migrate.info import MigrationInfo, State
from monozu.db.migrate.naming import abbreviate_description

DEFAULT_IGNORE_PATTERNS = ("*:future",)
_TYPES = ("*", "versioned", "repeatable")
_STATES: dict[str, frozenset[State]] = {
    "missing": frozenset({State.MISSING_SUCCESS, State.MISSING_FAILED}),
    "pending": frozenset({State.PENDING, State.OUTDATED}),
    "ignored": frozenset({State.IGNORED}),
    "future": frozenset({State.FUTURE_SUCCESS, State.FUTURE_FAILED}),
}


@dataclass(frozen=True, slots=True)
class Pattern:
    type: str
    state: str

    def matches(self, info: MigrationInfo, state_name: str) -> bool:
        if self.state not in ("*", state_name):
            return False
        if self.type == "*":
            return True
        return (self.type == "versioned") == (info.version is not None)


def parse_patterns(patterns: Iterable[str]) -> tuple[Pattern, ...]:
    out: list[Pattern] = []
    for raw in patterns:
        for item in raw.split(","):
            text = item.strip()
            if not text:
                continue
            type_, sep, state = text.lower().partition(":")
            if not sep or type_ not in _TYPES or (state != "*" and state not in _STATES):
                raise MigrationConfigError(
                    f"Invalid ignore migration pattern '{text}': use <type>:<state> with type "
                    "*, versioned or repeatable and state *, missing, pending, ignored or future")
            out.append(Pattern(type_, state))
    return tuple(out)


class Problem(NamedTuple):
    """One validation problem: Flyway's error code and a one-line message."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class InvalidMigration:
    """A problem and the migration it is about (what ``--json`` reports)."""

    code: str
    message: str
    version: str = ""
    description: str = ""
    script: str = ""

    @property
    def problem(self) -> Problem:
        return Problem(self.code, self.message)


@dataclass(frozen=True, slots=True)
class ValidateResult:
    ok: bool
    problems: tuple[Problem, ...]  # (code, message) pairs
    validated: int  # migrations looked at
    warnings: tuple[str, ...] = ()
    invalid_migrations: tuple[InvalidMigration, ...] = ()

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(p.code, p.message) for p in self.problems]


def _ignored(patterns: Sequence[Pattern], info: MigrationInfo, category: str) -> bool:
    """True when a pattern ignores ``info`` in the given state category."""
    if info.state not in _STATES[category]:
        return False
    return any(p.matches(info, category) for p in patterns)


def validate_infos(infos: Sequence[MigrationInfo], patterns: Sequence[Pattern]
                   ) -> list[InvalidMigration]:
    problems: list[InvalidMigration] = []
    baseline = next((i.version for i in infos if i.state == State.BASELINE), None)
    for info in infos:
        problem = _validate_one(info, patterns, baseline)
        if problem is not None:
            problems.append(problem)
    return problems


def _validate_one(info: MigrationInfo, patterns: Sequence[Pattern],
                  baseline: object) -> InvalidMigration | None:
    state = info.state
    if state in (State.ABOVE_TARGET, State.DELETED):
        return None
    ident = _ident(info)

    def problem(code: str, message: str) -> InvalidMigration:
        return InvalidMigration(code, message, info.version_text, info.description,
                                info.script)

    if state.failed and not _ignored(patterns, info, "future"):
        if info.version is None:
            return problem("FAILED_REPEATABLE_MIGRATION",
                           f"Detected failed repeatable migration: {info.description} "
                           f"({info.script}). Please remove any half-completed changes then "
                           "run repair to fix the schema history.")
        return problem("FAILED_VERSIONED_MIGRATION",
                       f"Detected failed migration to version {info.version_text} "
                       f"({info.description}, {info.script}). Please remove any half-completed "
                       "changes then run repair to fix the schema history.")
    applied = info.applied
    resolved = info.resolved
    if (resolved is None and applied is not None and not applied.synthetic
            and state != State.SUPERSEDED
            and not _ignored(patterns, info, "missing")
            and not _ignored(patterns, info, "future")
            and not state.failed):
        if info.version is not None:
            return problem("APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED",
                           f"Detected applied migration not resolved locally: {info.version_text} "
                           f"({applied.script}). If you removed this migration intentionally, "
                           "run repair to mark the migration as deleted.")
        return problem("APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED",
                       f"Detected applied migration not resolved locally: {info.description} "
                       f"({applied.script}). If you removed this migration intentionally, run "
                       "repair to mark the migration as deleted.")
    if state == State.PENDING and not _ignored(patterns, info, "pending"):
        if info.version is not None:
            return problem("RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED",
                           f"Detected resolved migration not applied to database: "
                           f"{info.version_text} ({info.script}). To fix this error, either run "
                           "migrate, or set -ignoreMigrationPatterns='*:pending'.")
        return problem("RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED",
                       f"Detected resolved repeatable migration not applied to database: "
                       f"{info.description} ({info.script}). To fix this error, either run "
                       "migrate, or set -ignoreMigrationPatterns='*:pending'.")
    if state == State.IGNORED and not _ignored(patterns, info, "ignored"):
        return problem("RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED",
                       f"Detected resolved migration not applied to database: "
                       f"{info.version_text} ({info.script}). To ignore this migration, set "
                       "-ignoreMigrationPatterns='*:ignored'. To allow executing this migration, "
                       "set -outOfOrder=true.")
    if state == State.OUTDATED and not _ignored(patterns, info, "pending"):
        return problem("OUTDATED_REPEATABLE_MIGRATION",
                       f"Detected outdated resolved repeatable migration that should be "
                       f"re-applied to database: {info.description} ({info.script}). Run migrate "
                       "to execute this migration.")
    if resolved is None or applied is None or applied.synthetic:
        return None
    above_baseline = (info.version is None or baseline is None
                      or (isinstance(baseline, type(info.version)) and info.version > baseline))
    if not above_baseline:
        return None
    if resolved.type != applied.type:
        return problem("TYPE_MISMATCH",
                       _mismatch("type", ident, applied.type, resolved.type))
    check_checksum = resolved.version is not None or (
        _pending_ignored(patterns, info) and state not in (State.OUTDATED, State.SUPERSEDED))
    if check_checksum and not resolved.checksum_matches(applied.checksum):
        return problem("CHECKSUM_MISMATCH",
                       _mismatch("checksum", ident, applied.checksum, resolved.checksum))
    if abbreviate_description(resolved.description) != applied.description:
        return problem("DESCRIPTION_MISMATCH",
                       _mismatch("description", ident, applied.description,
                                 resolved.description))
    return None


def _pending_ignored(patterns: Sequence[Pattern], info: MigrationInfo) -> bool:
    return any(p.state in ("*", "pending") and p.matches(info, "pending") for p in patterns)


def _ident(info: MigrationInfo) -> str:
    if info.version is not None:
        return f"version {info.version_text} ({info.script})"
    return info.script


def _mismatch(what: str, ident: str, applied: object, resolved: object) -> str:
    return (f"Migration {what} mismatch for migration {ident}: "
            f"-> Applied to database : {applied} -> Resolved locally : {resolved}. "
            "Either revert the changes to the migration, or run repair to update the schema "
            "history.")
