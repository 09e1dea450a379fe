"""The verbs: migrate, info, validate, baseline, repair, clean.

Each command opens one connection, resolves the files, reads the history, merges
the two, and acts -- resolving, validating, executing and recording are separate
steps. Commands that write take the migration lock (see :mod:`locks`) first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monozu.db.config import DatabaseConfig, Kind, load_config
from monozu.db.dialects import dialect_for
from monozu.db.dialects.migration import ConnectionFacts, Finish, MigrationSQL, ScriptFailed
from monozu.db.errors import ConfigError, DatabaseError, MonozuError
from monozu.db.migrate.errors import MigrationConfigError, MigrationError, ValidationFailed
from monozu.db.migrate.history import (
    AppliedMigration,
    HistorySQL,
    NewRow,
    missing_columns,
    parse_row,
    row_params,
)
from monozu.db.migrate.info import MigrationInfo, State, build_infos, current_version
from monozu.db.migrate.naming import abbreviate_description
from monozu.db.migrate.placeholders import (
    builtin_placeholders,
    normalise,
    replace_placeholders,
    secret_values,
    without_pieces,
)
from monozu.db.migrate.resolve import Resolution, ResolvedMigration, check_folders, resolve
from monozu.db.migrate.results import (
    AppliedStep,
    BaselineResult,
    CleanResult,
    InfoResult,
    MigrateResult,
    RepairResult,
)
from monozu.db.migrate.settings import MigrateSettings, with_overrides
from monozu.db.migrate.splitter import Script, Statement, split
from monozu.db.migrate.validate import (
    Pattern,
    ValidateResult,
    parse_patterns,
    validate_infos,
)
from monozu.db.migrate.version import Version, parse_target
from monozu.db.sqlparams import find_unsendable
from monozu.db.sqltext import line_breaks
from monozu.files import shorten

if TYPE_CHECKING:
    from monozu.db.database import AutocommitConnection

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "migrations"

Progress = Callable[[str], None]


def _silent(_line: str) -> None:
    return None


def _migrating_line(schema: str, m: ResolvedMigration, transactional: bool,
                    out_of_order: bool) -> str:
    tail = "" if transactional else " [non-transactional]"
    tail += " [out of order]" if out_of_order else ""
    if m.version is None:
        return f'Migrating schema {schema} with repeatable migration "{m.description}"{tail}'
    return f'Migrating schema {schema} to version "{m.version.text} - {m.description}"{tail}'


def builtin_location(kind: Kind) -> Path:
    """The packaged migrations for a database kind (``monozu/db/migrations/<kind>``)."""
    return _PACKAGE_ROOT / kind


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A migration ready to run: placeholders replaced, split, transaction mode chosen."""

    migration: ResolvedMigration
    script: Script
    transactional: bool


@dataclass(frozen=True, slots=True)
class Context:
    """One command's connection (autocommit, see :class:`AutocommitConnection`), what
    it told about itself, and the history table's statements."""

    conn: AutocommitConnection
    facts: ConnectionFacts
    hist: HistorySQL

    @property
    def part(self) -> MigrationSQL:
        return self.hist.part

    @property
    def schema(self) -> str:
        return self.facts.default_schema

    def quote(self, ident: str) -> str:
        return self.conn.dialect.quote(ident)


class Migrator:
    """Flyway's commands on one database. Cheap to build; each call connects anew."""

    def __init__(self, config: DatabaseConfig, settings: MigrateSettings | None = None) -> None:
        self.config = config
        self.settings = (settings or MigrateSettings()).check(
            dialect_for(config.kind).identifier_limit)
        self._target = parse_target(self.settings.target)
        self._patterns: tuple[Pattern, ...] = parse_patterns(
            self.settings.ignore_migration_patterns)

    @classmethod
    def from_config(cls, config: DatabaseConfig, settings: MigrateSettings | None = None
                    ) -> Migrator:
        return cls(config, settings)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        locations: Sequence[str | Path] | None = None,
        placeholders: Mapping[str, str] | None = None,
        target: str | None = None,
        out_of_order: bool = False,
        baseline_on_migrate: bool = False,
        settings: MigrateSettings | None = None,
        **other: Any,
    ) -> Migrator:
        """A migrator for ``url``; keyword arguments are :class:`MigrateSettings` fields."""
        config = load_config({}, url=url, dotenv=None)
        base = settings or MigrateSettings()
        overrides: dict[str, Any] = dict(other)
        overrides.update(
            locations=None if locations is None else tuple(str(p) for p in locations),
            placeholders=dict(placeholders) if placeholders else None,
            target=target,
            out_of_order=out_of_order or None,
            baseline_on_migrate=baseline_on_migrate or None,
        )
        return cls(config, with_overrides(base, overrides))

    # -- plumbing ----------------------------------------------------------------------
    @property
    def kind(self) -> Kind:
        return self.config.kind

    @property
    def locations(self) -> tuple[str, ...]:
        if self.settings.locations:
            return self.settings.locations
        return (str(builtin_location(self.kind)),)

    @contextmanager
    def _session(self) -> Iterator[Context]:
        from monozu.db.database import Database

        # Every setting that can be checked without the database is checked before it
        # is opened: a mistyped location must not leave a new, empty SQLite file (and
        # its folders) behind. The values were checked when the settings were made.
        check_folders(self.locations)
        try:
            db = Database(self.config, pool_size=1)
        except ImportError as exc:
            raise ConfigError(
                f"cannot use {self.kind}: its driver is not installed: {exc}") from None
        table = self.settings.table
        with db.autocommit() as conn:
            part = conn.dialect.migration
            facts = part.facts(conn, self.settings.default_schema, table)
            yield Context(conn, facts, HistorySQL(part, facts.default_schema, table))

    @contextmanager
    def _locked(self, session: Context) -> Iterator[None]:
        lock = session.part.lock(session.schema, self.settings.table)
        lock.acquire(session.conn, self.settings.lock_wait_seconds)
        try:
            yield
        finally:
            # Closing the connection releases a session lock anyway.
            with suppress(DatabaseError):
                lock.release(session.conn)

    def _placeholders(self, session: Context, filename: str) -> dict[str, str]:
        values = builtin_placeholders(session.facts, filename)
        values.update(normalise(self.settings.placeholders))
        values["flyway:user"] = session.facts.user
        return values

    def _resolve(self, session: Context) -> Resolution:
        s = self.settings
        return resolve(
            self.locations, encoding=s.encoding, placeholder_replacement=s.placeholder_replacement,
            placeholders=lambda name: self._placeholders(session, name),
            validate_naming=s.validate_migration_naming,
        )

    def _table_exists(self, session: Context) -> bool:
        hist = session.hist
        found = [str(r[0]) for r in session.conn.query(*hist.columns())]
        if not found:
            return False
        missing = missing_columns(found)
        if missing:
            raise MigrationError(
                f"Table {hist.qualified} exists but is not a Flyway schema history table: "
                f"missing column(s) {', '.join(missing)} (found {', '.join(found)}). Use another "
                "table name (flyway.table) or move the existing table away.",
                code="HISTORY_TABLE_INVALID")
        return True

    def _read(self, session: Context) -> list[AppliedMigration]:
        hist = session.hist
        rows = session.conn.query(hist.select(), (-1,))
        return [parse_row(r, hist.qualified) for r in rows]

    def _infos(self, resolution: Resolution, rows: Sequence[AppliedMigration]
               ) -> list[MigrationInfo]:
        return build_infos(resolution.migrations, rows, target=self._target,
                           out_of_order=self.settings.out_of_order)

    def _installed_by(self, session: Context) -> str:
        if self.settings.installed_by is not None:
            return self.settings.installed_by
        return session.facts.user

    def _next_rank(self, session: Context) -> int:
        row = session.conn.query_one(session.hist.next_rank(), (-1,))
        return 1 if row[0] is None else int(row[0]) + 1

    def _insert(self, session: Context, row: NewRow) -> int:
        rank = self._next_rank(session)
        session.conn.execute(session.hist.insert(), row_params(session.hist, rank, row))
        return rank

    def _describe(self, session: Context) -> str:
        conn = session.conn
        return f"{self.config.url.redacted()} ({conn.dialect.server_version(conn.raw)})"

    def _schema_empty(self, session: Context) -> bool:
        row = session.conn.query(*session.part.non_empty(session.schema))
        return not row or not row[0][0]

    def _create_table(self, session: Context, *, baseline: bool) -> bool:
        """Create the history table (with the baseline row when asked); False if another
        runner created it first."""
        with session.conn.transaction(lock_wait=self.settings.lock_wait_seconds):
            if self._table_exists(session):
                return False
            for stmt in session.hist.create():
                session.conn.execute(stmt)
            if baseline:
                self._insert(session, self._baseline_row(session))
            return True

    def _baseline_row(self, session: Context) -> NewRow:
        s = self.settings
        return NewRow(version=Version(s.baseline_version).text,
                      description=s.baseline_description, type="BASELINE",
                      script=s.baseline_description, checksum=None,
                      installed_by=self._installed_by(session), execution_time=0, success=True)

    # -- info / validate ---------------------------------------------------------------
    def info_report(self) -> InfoResult:
        with self._session() as session:
            resolution = self._resolve(session)
            exists = self._table_exists(session)
            rows = self._read(session) if exists else []
            infos = self._infos(resolution, rows)
            current = current_version(infos)
            return InfoResult(
                database=self._describe(session), schema=session.schema,
                current_version=current.version_text if current else None,
                migrations=tuple(infos), table_exists=exists,
                warnings=resolution.warnings)

    def info(self) -> list[MigrationInfo]:
        return list(self.info_report().migrations)

    def validate(self) -> ValidateResult:
        with self._session() as session:
            resolution = self._resolve(session)
            rows = self._read(session) if self._table_exists(session) else []
            infos = self._infos(resolution, rows)
            invalid = validate_infos(infos, self._patterns)
            return ValidateResult(ok=not invalid, problems=tuple(p.problem for p in invalid),
                                  validated=len(resolution.migrations),
                                  warnings=resolution.warnings,
                                  invalid_migrations=tuple(invalid))

    # -- migrate -----------------------------------------------------------------------
    def migrate(self, progress: Progress | None = None) -> MigrateResult:
        """Apply every pending migration; ``progress`` gets Flyway-style lines as they happen
        (the last ones before a failure included)."""
        started = time.perf_counter()
        say = progress or _silent
        with self._session() as session, self._locked(session):
            schema = session.quote(session.schema)
            say(f"Database: {self._describe(session)}")
            hist = session.hist
            resolution = self._resolve(session)
            if resolution.baseline_migrations:
                self._refuse_baseline_migrations(session, resolution)
            created = baselined = False
            if not self._table_exists(session):
                non_empty = not self._schema_empty(session)
                if non_empty and not self.settings.baseline_on_migrate:
                    raise MigrationError(
                        f"Found non-empty schema(s) {session.quote(session.schema)} but no "
                        f"schema history table. Use baseline() or set baselineOnMigrate to true "
                        "to initialize the schema history table.",
                        code="NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE")
                created = self._create_table(session, baseline=non_empty)
                baselined = created and non_empty
                if created:
                    say(f"Created Schema History table {hist.qualified}"
                        + (" with a baseline row" if baselined else ""))
            rows = self._read(session)
            initial = current_version(self._infos(resolution, rows))
            if self.settings.validate_on_migrate:
                self._validate_before_migrate(resolution, rows)
            say(f"Current version of schema {schema}: "
                f"{initial.version_text if initial else '<< Empty Schema >>'}")
            applied = self._migrate_loop(session, resolution, rows, say)
            if applied:
                # Still under the lock: a table created while RLS is on gets its policy
                # switched on before anyone else can use it.
                rls_note = self._reapply_rls(session)
                if rls_note:
                    say(rls_note)
            rows = self._read(session)
            infos = self._infos(resolution, rows)
            final = current_version(infos)
            return MigrateResult(
                database=self._describe(session), schema=session.schema,
                initial_version=initial.version_text if initial else None,
                target_version=final.version_text if final else None,
                applied=tuple(applied),
                total_time=int((time.perf_counter() - started) * 1000),
                created_table=created, baselined=baselined,
                target_reached=self._target_reached(final),
                warnings=resolution.warnings)

    def _refuse_baseline_migrations(self, session: Context, resolution: Resolution) -> None:
        """A baseline migration decides how Flyway migrates a new database (it runs in
        place of the versions it covers); skipped here, the same files would build
        another schema. A database with a history never runs one, in Flyway either."""
        if self._table_exists(session) and self._read(session):
            return
        raise MigrationConfigError(
            f"Baseline migration {', '.join(resolution.baseline_migrations)}: on a new "
            "database Flyway runs it in place of the versions it covers, and monozu does not "
            "run baseline migrations. Migrate this database with Flyway first, or remove the "
            "file", code="UNSUPPORTED_MIGRATION")

    def _reapply_rls(self, session: Context) -> str | None:
        """Bring new tables' ``rls_<table>`` policies to the database's current RLS state."""
        probe = session.part.rls_probe_sql
        # SQLite enforces none (isolation is the application's there); and new policies
        # are created off, so with RLS off everywhere nothing is out of line.
        if probe is None or not session.conn.query(probe):
            return None
        from monozu.db import rls

        sql = rls.status_sql(self.config.kind)
        if sql is None or not any(row[3] for row in session.conn.query(sql)):
            return None
        from monozu.db.database import Database

        with Database(self.config, pool_size=1) as db:
            result = rls.reapply(db)
        return f"Row-level security: {result.message}" if result.changed else None

    def _target_reached(self, final: MigrationInfo | None) -> bool:
        if not isinstance(self._target, Version):
            return True
        return final is not None and final.version is not None and not (
            final.version < self._target)

    def _validate_before_migrate(self, resolution: Resolution,
                                 rows: Sequence[AppliedMigration]) -> None:
        infos = self._infos(resolution, rows)
        patterns = (*self._patterns, *parse_patterns(["*:pending"]))
        problems = validate_infos(infos, patterns)
        if problems:
            detail = " ".join(p.message for p in problems)
            raise ValidationFailed(f"Validate failed: Migrations have failed validation. {detail}",
                                   [(p.code, p.message) for p in problems])

    def _migrate_loop(self, session: Context, resolution: Resolution,
                      read: Sequence[AppliedMigration], say: Progress) -> list[AppliedStep]:
        applied: list[AppliedStep] = []
        first = self._infos(resolution, read)
        if not any(i.state == State.PENDING or i.state.failed for i in first):
            # Up to date in a history read just now: another runner can only add rows.
            # Where the lock is the database's write lock (SQLite), taking it to find
            # nothing to do made every start wait for any other process's writes.
            return applied
        prepared: dict[str, _Prepared] = {}
        group = self.settings.group
        wait = self.settings.lock_wait_seconds
        # Prepare every pending script before running any: a bad placeholder or a mixed
        # script stops the run before it changes anything.
        for info in first:
            if info.state == State.PENDING and info.resolved is not None:
                prepared[info.resolved.script] = self._prepare(session, info.resolved)
        if group and not all(p.transactional for p in prepared.values()):
            raise MigrationError(
                "group=true needs every pending migration to run in a transaction; "
                "non-transactional: " + ", ".join(
                    p.migration.script for p in prepared.values() if not p.transactional))
        conn, hist = session.conn, session.hist
        # Under a lock that keeps every other runner out until this command ends, the
        # history is what was read under it plus what this run adds: no re-read per
        # migration (one round trip each). Without one (SQLite) each transaction reads it
        # again: that is where concurrent runners are serialised, and a version another
        # one applied is skipped.
        exclusive = session.part.lock(session.schema, self.settings.table).exclusive
        known: list[AppliedMigration] | None = list(read) if exclusive else None
        with conn.transaction(lock_wait=wait) if group else nullcontext():
            while True:
                outside: _Prepared | None = None
                with nullcontext() if group else conn.transaction(lock_wait=wait):
                    rows = known if known is not None else self._read(session)
                    infos = self._infos(resolution, rows)
                    self._refuse_failed(session, infos)
                    todo = next((i for i in infos if i.state == State.PENDING), None)
                    if todo is None or todo.resolved is None:
                        break
                    res = todo.resolved
                    prep = prepared.get(res.script) or self._prepare(session, res)
                    late = res.version is not None and self._below_applied(infos, res.version)
                    say(_migrating_line(session.quote(session.schema), res, prep.transactional,
                                        late))
                    # Under the lock (or SQLite's write lock) the next rank is the one
                    # after the rows just read.
                    rank = rows[-1].installed_rank + 1 if rows else 1
                    if prep.transactional:
                        applied.append(self._apply(session, prep, late, rank, in_group=group))
                        if known is not None:
                            known = [*rows, self._recorded(session, res, rank, applied[-1])]
                    else:
                        # Recorded as failed before it runs, in the transaction that
                        # chose it: a run killed part-way (or another SQLite runner
                        # meanwhile) then finds a failed migration and refuses, where
                        # finding no row it had run the script a second time.
                        outside = prep
                        row = self._row(session, res, time.perf_counter(), False)
                        conn.execute(hist.insert(), row_params(hist, rank, row))
                if outside is not None:
                    applied.append(self._apply_outside(session, outside, late, rank))
                    known = None if known is None else self._read(session)
                if self._target == "next" and res.version is not None:
                    break
        return applied

    @staticmethod
    def _below_applied(infos: Sequence[MigrationInfo], version: Version) -> bool:
        return any(i.applied is not None and i.version is not None and version < i.version
                   and i.state != State.DELETED for i in infos)

    def _refuse_failed(self, session: Context, infos: Sequence[MigrationInfo]) -> None:
        for info in infos:
            if not info.state.failed:
                continue
            if info.state == State.FUTURE_FAILED and any(
                    p.state in ("*", "future") for p in self._patterns):
                continue
            schema = session.quote(session.schema)
            if info.version is None:
                raise MigrationError(
                    f"Schema {schema} contains a failed repeatable migration '{info.description}' "
                    f"({info.script})! Fix or revert it, then run repair.",
                    code="FAILED_REPEATABLE_MIGRATION")
            raise MigrationError(
                f"Schema {schema} contains a failed migration to version {info.version_text} "
                f"({info.script})! Remove its half-completed changes, then run repair.",
                code="FAILED_VERSIONED_MIGRATION")

    def _prepare(self, session: Context, m: ResolvedMigration) -> _Prepared:
        text = m.text
        replace = (m.config.placeholder_replacement
                   if m.config.placeholder_replacement is not None
                   else self.settings.placeholder_replacement)
        if replace:
            text = replace_placeholders(text, self._placeholders(session, m.filename), m.script)
        script = split(session.conn.dialect.statements, text,
                       server_major=session.facts.server_major)
        if script.hidden is not None:
            line, what = script.hidden
            raise MigrationError(f"Migration {m.script} cannot run: line {line} {what}",
                                 code="MIGRATION_FAILED")
        for stmt in script.statements:
            # psycopg sends a statement as a C string: PostgreSQL ran the text before a
            # NUL and reported success. Refused on every database, before it runs.
            if (found := find_unsendable(stmt.sql)) is not None:
                at, what = found
                raise MigrationError(
                    f"Migration {m.script} cannot run: line "
                    f"{stmt.line + line_breaks(stmt.sql, 0, at)} holds {what}, which the "
                    "database cannot receive as written", code="MIGRATION_FAILED")
        own = script.own_transaction
        if own is not None:
            # Run inside the runner's transaction, its COMMIT would keep part of the
            # migration and its ROLLBACK undo part, with the row claiming all or nothing.
            # Outside one it does what it says, and a failure leaves a failed row.
            if m.config.execute_in_transaction:
                raise MigrationError(
                    f"Migration {m.script} cannot run in a transaction as "
                    f"{m.filename}.conf asks: line {own.line} begins or ends a transaction "
                    f"itself ({own.sql.split(None, 1)[0].upper()}). Remove that statement, or "
                    "set executeInTransaction=false", code="MIXED_STATEMENTS")
            transactional = False
        elif m.config.execute_in_transaction is not None:
            transactional = m.config.execute_in_transaction
        elif not self.settings.execute_in_transaction:
            transactional = False
        else:
            if script.mixed and not self.settings.mixed:
                offending = next(s for s in script.statements if not s.transactional)
                raise MigrationError(
                    f"Detected both transactional and non-transactional statements within the "
                    f"same migration (even though mixed is false) in {m.script}: line "
                    f"{offending.line} can't run in a transaction. Split the script, or set "
                    f"executeInTransaction=false in {m.filename}.conf, or set flyway.mixed=true",
                    code="MIXED_STATEMENTS")
            transactional = script.transactional
        return _Prepared(m, script, transactional)

    def _row(self, session: Context, m: ResolvedMigration, started: float,
             success: bool) -> NewRow:
        return NewRow(version=m.version.text if m.version else None,
                      description=m.description, type=m.type, script=m.script,
                      checksum=m.checksum, installed_by=self._installed_by(session),
                      execution_time=int((time.perf_counter() - started) * 1000),
                      success=success)

    def _recorded(self, session: Context, m: ResolvedMigration, rank: int,
                  step: AppliedStep) -> AppliedMigration:
        """The history row :meth:`_apply` just wrote, as a read would return it (its
        ``installed_on`` to the second, from this machine's clock)."""
        return AppliedMigration(
            installed_rank=rank, version=m.version,
            description=abbreviate_description(m.description), type=m.type,
            script=m.script, checksum=m.checksum, installed_by=self._installed_by(session),
            installed_on=time.strftime("%Y-%m-%d %H:%M:%S"),
            execution_time=step.execution_time, success=True)

    def _run_script(self, session: Context, prep: _Prepared, rolled_back: str,
                    then: Finish | None = None) -> None:
        """The migration's statements (then ``then``'s); a failure names the file, the
        line and the outcome."""
        statements = prep.script.statements
        hidden: MigrationError | None = None
        try:
            session.part.run_script(session.conn.raw, [(s.sql, s.copy_data) for s in statements],
                                    transactional=prep.transactional, then=then,
                                    before=session.conn.take_deferred())
        except session.conn.dialect.driver_errors() as exc:  # the history row or the commit
            raise self._unrecorded(session, prep.migration, exc, rolled_back) from (
                self._cause(session, exc))
        except ScriptFailed as failed:
            stmt = statements[failed.index]
            message, line = self._describe_failure(session, failed.error, stmt)
            secrets = secret_values(self.settings.placeholders, stmt.sql)
            error = MigrationError(
                f"Migration {prep.migration.script} failed at line {line}: "
                f"{without_pieces(message, secrets, stmt.sql)}. " + rolled_back,
                code="MIGRATION_FAILED")
            if not secrets:
                raise error from self._cause(session, failed.error)
            # The driver's report quotes the statement, a secret placeholder's value in
            # it: raised outside ``except``, neither cause nor context.
            hidden = error
        if hidden is not None:
            raise hidden

    def _before_row(self, session: Context) -> list[tuple[str, tuple[Any, ...]]]:
        """What goes before a migration's history row: the session given back its role
        and search path, and the migration lock, if the migration gave it up, taken
        again."""
        lock = session.part.lock(session.schema, self.settings.table)
        return [*session.part.restore(session.facts), *lock.kept()]

    @staticmethod
    def _unrecorded(session: Context, m: ResolvedMigration, exc: BaseException,
                    rolled_back: str) -> MigrationError:
        """A migration whose statements ran but whose history row (or commit) failed:
        a script may have dropped the table, or changed the role that writes it."""
        err = session.conn.dialect.translate_error(exc) or DatabaseError(str(exc))
        message = " ".join(str(err).split())
        if err.code:
            message = f"{message} [{session.part.error_label}: {err.code}]"
        return MigrationError(
            f"Migration {m.script} ran, but could not be recorded in {session.hist.qualified}"
            f": {message}. {rolled_back}", code="MIGRATION_FAILED")

    @staticmethod
    def _cause(session: Context, exc: BaseException) -> BaseException:
        """The translated driver error (which keeps the driver's as its own cause)."""
        dialect = session.conn.dialect
        err = dialect.translate_error(exc) or DatabaseError(str(exc))
        err.__cause__ = exc
        return err

    @staticmethod
    def _describe_failure(session: Context, exc: BaseException, stmt: Statement
                          ) -> tuple[str, int]:
        """The database's message (with its code) and the line the error points at."""
        part = session.part
        err = part.dialect.translate_error(exc) or DatabaseError(str(exc))
        message = " ".join(str(err).split())
        line = stmt.line + part.error_line(exc, stmt.sql)
        if err.code:
            message = f"{message} [{part.error_label}: {err.code}]"
        return message, line

    def _apply(self, session: Context, prep: _Prepared, out_of_order: bool, rank: int,
               *, in_group: bool) -> AppliedStep:
        """A migration inside the caller's transaction, with its history row."""
        started = time.perf_counter()
        hist, conn = session.hist, session.conn
        if in_group:
            rolled_back = "The whole group was rolled back."
            self._run_script(session, prep, rolled_back)
            row = self._row(session, prep.migration, started, True)
            try:
                for sql, params in self._before_row(session):
                    conn.execute(sql, params)
                conn.execute(hist.insert(), row_params(hist, rank, row))
            except DatabaseError as exc:
                raise self._unrecorded(session, prep.migration, exc.__cause__ or exc,
                                       rolled_back) from exc
            return self._step(prep, started, out_of_order)

        def finish() -> list[tuple[str, tuple[Any, ...]]]:
            # Sent with the script where the database pipelines (the server measures
            # the time then), else after it.
            row = self._row(session, prep.migration, started, True)
            return [*self._before_row(session),
                    (hist.insert(server_elapsed=True),
                     row_params(hist, rank, row, server_elapsed=True)),
                    (session.part.commit_sql, ())]

        self._run_script(session, prep, "Changes successfully rolled back.", finish)
        conn.ended()
        return self._step(prep, started, out_of_order)

    def _apply_outside(self, session: Context, prep: _Prepared, out_of_order: bool,
                       rank: int) -> AppliedStep:
        """A migration outside a transaction, in autocommit, whose history row (``rank``)
        was written as failed before it ran; it is given the outcome, since what ran
        cannot be undone."""
        started = time.perf_counter()
        failure: MigrationError | None = None
        kept = ("It ran outside a transaction, so its earlier statements were not rolled "
                "back" if prep.script.own_transaction is None else
                "It begins or ends a transaction itself, so it ran outside the runner's: its "
                "earlier statements were not rolled back, except those in a transaction it "
                "left open")
        try:
            self._run_script(session, prep, f"{kept}: please restore backups and roll back "
                             "database and code, then run repair.")
        except MigrationError as exc:
            failure = exc
        if session.part.left_open(session.conn.raw):
            # The script began a transaction and did not end it (or failed inside it):
            # what it left uncommitted is undone, as closing the connection would, and
            # never committed with the history row.
            with suppress(*session.conn.dialect.driver_errors()):
                session.part.run(session.conn.raw, session.part.rollback_sql)
            failure = failure or MigrationError(
                f"Migration {prep.migration.script} began a transaction and did not end it: "
                "its uncommitted changes were rolled back, and it is recorded as failed. "
                "End the transaction in the script (or remove its BEGIN), then run repair.",
                code="MIGRATION_FAILED")
        elapsed = int((time.perf_counter() - started) * 1000)
        hist = session.hist
        try:
            with session.conn.transaction(lock_wait=self.settings.lock_wait_seconds):
                for sql, params in self._before_row(session):
                    session.conn.execute(sql, params)
                session.conn.execute(hist.finish(), (hist.part.bool_param(failure is None),
                                                     elapsed, rank))
        except MonozuError as exc:
            # The connection lost with the script, say: its row stays failed, which is
            # what the next run must see; the script's own failure says the most.
            if failure is not None:
                raise failure from failure.__cause__
            raise MigrationError(
                f"Migration {prep.migration.script} ran outside a transaction, but its "
                f"history row could not be marked successful: {exc}. It stays recorded as "
                "failed: check its changes, then run repair.",
                code="MIGRATION_FAILED") from exc
        if failure is not None:
            raise failure
        return self._step(prep, started, out_of_order)

    @staticmethod
    def _step(prep: _Prepared, started: float, out_of_order: bool) -> AppliedStep:
        m = prep.migration
        return AppliedStep(version=m.version.text if m.version else "",
                           description=m.description, script=m.script, type=m.type,
                           execution_time=int((time.perf_counter() - started) * 1000),
                           transactional=prep.transactional, out_of_order=out_of_order,
                           filepath=str(m.path))

    # -- baseline ----------------------------------------------------------------------
    def baseline(self) -> BaselineResult:
        s = self.settings
        version = Version(s.baseline_version)
        with self._session() as session, self._locked(session):
            hist = session.hist
            result = BaselineResult(database=self._describe(session), schema=session.schema,
                                    version=version.text, description=s.baseline_description,
                                    created=True, created_table=True)
            if not self._table_exists(session) and self._create_table(session, baseline=True):
                return result
            with session.conn.transaction(lock_wait=s.lock_wait_seconds):
                rows = self._read(session)
                marker = next((r for r in rows if r.type == "BASELINE"), None)
                if marker is not None:
                    if marker.version == version and marker.description == s.baseline_description:
                        return BaselineResult(result.database, result.schema, version.text,
                                              s.baseline_description, created=False)
                    raise MigrationError(
                        f"Unable to baseline schema history table {hist.qualified} with "
                        f"({version.text},{s.baseline_description}) as it has already been "
                        f"baselined with ({marker.version},{marker.description})",
                        code="BASELINE_ERROR")
                if rows:
                    raise MigrationError(
                        f"Unable to baseline schema history table {hist.qualified} as it already "
                        "contains migrations", code="BASELINE_ERROR")
                self._insert(session, self._baseline_row(session))
            return BaselineResult(result.database, result.schema, version.text,
                                  s.baseline_description, created=True)

    # -- repair ------------------------------------------------------------------------
    def repair(self) -> RepairResult:
        with self._session() as session, self._locked(session):
            resolution = self._resolve(session)
            db = self._describe(session)
            if not self._table_exists(session):
                return RepairResult(db, session.schema, table_exists=False,
                                    warnings=resolution.warnings)
            with session.conn.transaction(lock_wait=self.settings.lock_wait_seconds):
                removed = self._remove_failed(session, resolution)
                deleted = self._delete_missing(session, resolution)
                aligned = self._realign(session, resolution)
            return RepairResult(db, session.schema, tuple(removed), tuple(deleted),
                                tuple(aligned), warnings=resolution.warnings)

    def _remove_failed(self, session: Context,
                       resolution: Resolution) -> list[str]:
        removed: list[str] = []
        for r in self._read(session):
            if r.success:
                continue
            key = r.description if r.version is None else r.version.text
            session.conn.execute(session.hist.delete_failed(r.version is None), (key,))
            removed.append(f"{r.version.text if r.version else r.description} ({r.script})")
        return removed

    def _delete_missing(self, session: Context,
                        resolution: Resolution) -> list[str]:
        deleted: list[str] = []
        infos = self._infos(resolution, self._read(session))
        for info in infos:
            a = info.applied
            if a is None or a.synthetic or info.state not in (
                    State.MISSING_SUCCESS, State.MISSING_FAILED,
                    State.FUTURE_SUCCESS, State.FUTURE_FAILED):
                continue
            category = "future" if info.state in (State.FUTURE_SUCCESS,
                                                  State.FUTURE_FAILED) else "missing"
            if any(p.matches(info, category) for p in self._patterns):
                continue
            self._insert(session, NewRow(
                version=a.version.text if a.version else None, description=a.description,
                type="DELETE", script=a.script, checksum=a.checksum,
                installed_by=self._installed_by(session), execution_time=0,
                success=a.success))
            deleted.append(f"{info.version_text or info.description} ({a.script})")
        return deleted

    def _realign(self, session: Context,
                 resolution: Resolution) -> list[str]:
        aligned: list[str] = []
        for info in self._infos(resolution, self._read(session)):
            res, a = info.resolved, info.applied
            if res is None or a is None or a.synthetic or info.state in (
                    State.IGNORED, State.DELETED):
                continue
            if res.version is not None:
                needed = (a.checksum != res.checksum or a.type != res.type
                          or a.description != abbreviate_description(res.description))
            else:
                needed = (a.checksum != res.checksum and a.checksum is not None
                          and a.checksum == res.equivalent_checksum)
            if needed:
                session.conn.execute(session.hist.update(), (
                    abbreviate_description(res.description), res.type, res.checksum,
                    a.installed_rank))
                aligned.append(f"{info.version_text or info.description} ({res.script})")
        return aligned

    # -- clean -------------------------------------------------------------------------
    def clean(self) -> CleanResult:
        if self.settings.clean_disabled:
            raise MigrationConfigError(
                "Unable to execute clean as it has been disabled with the "
                "'flyway.cleanDisabled' property (pass --clean-enabled or set "
                "flyway.cleanDisabled=false)")
        with self._session() as session, self._locked(session):
            dropped = session.part.clean(session.conn, session.schema,
                                         self.settings.lock_wait_seconds)
            return CleanResult(self._describe(session), session.schema, tuple(dropped))


def migrate_on_startup(config: DatabaseConfig, environ: Mapping[str, str] | None = None
                       ) -> MigrateResult | None:
    """Migrate when ``MONOZU_MIGRATE_ON_START`` is true; otherwise do nothing.

    Settings come from Flyway's files and ``FLYWAY_*`` variables. A second process
    starting at the same time waits for the lock (up to ``MONOZU_MIGRATE_LOCK_WAIT``
    seconds, default an hour) and then finds nothing left to do.
    """
    import os

    from monozu.db.migrate.settings import load_settings

    env = os.environ if environ is None else environ
    flag = env.get("MONOZU_MIGRATE_ON_START", "").strip().lower()
    if flag not in ("1", "true", "yes", "on"):
        if flag not in ("", "0", "false", "no", "off"):
            raise MigrationConfigError(
                f"MONOZU_MIGRATE_ON_START: expected true or false, got {flag!r}")
        return None
    wait_text = env.get("MONOZU_MIGRATE_LOCK_WAIT", "3600").strip()
    # ASCII digits, within Flyway's lockRetryCount (int() also reads "1_0" and "٣",
    # and stops with its own error past 4300 digits).
    if not re.fullmatch(r"-?[0-9]{1,10}", wait_text) or not -1 <= int(wait_text) < 2**31:
        raise MigrationConfigError(
            f"MONOZU_MIGRATE_LOCK_WAIT: expected whole seconds (-1 to wait forever), got "
            f"{shorten(wait_text, 40)!r}")
    wait = int(wait_text)
    settings = load_settings(env, overrides={"lock_retry_count": wait})
    return Migrator(config, settings).migrate()
