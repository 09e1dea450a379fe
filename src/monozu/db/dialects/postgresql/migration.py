"""PostgreSQL's migration pieces.

The lock is Flyway's advisory lock on ``77431708279161 + javaHash('"schema"."table"')``
(``77433833903597`` for ``"public"."flyway_schema_history"``), taken at session level
with ``pg_try_advisory_lock``, polled in autocommit and held for the whole command.
Flyway's transactional ``pg_try_advisory_xact_lock`` on the same key conflicts with
it, so either tool waits for the other. Polling outside a transaction holds no
snapshot, so a waiting process never blocks a ``CREATE INDEX CONCURRENTLY`` run by
the holder (the deadlock Flyway's transactional lock is known for).

A migration's statements, its history row and the commit go to the server in one
pipeline: one round trip per thousand statements instead of one per statement.

``clean`` drops, object by object and with ``CASCADE``, materialized views, views,
tables, sequences, routines, domains, types and extensions living in the schema
(objects that belong to an extension go with it), keeping the schema and its grants.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from monozu.db.dialects.migration import (
    ConnectionFacts,
    Finish,
    MigrationLock,
    MigrationSQL,
    Row,
    ScriptFailed,
    java_hash,
    lock_timeout,
    poll,
)
from monozu.db.sqltext import line_breaks

if TYPE_CHECKING:
    from monozu.db.config import DatabaseURL
    from monozu.db.database import AutocommitConnection

LOCK_BASE = 0x466C79776179  # ASCII "Flyway"
TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
UNLOCK = "SELECT pg_advisory_unlock($1)"
# Statements sent before the pipeline waits for their results (within the transaction).
PIPELINE_CHUNK = 1000
FACTS = ("SELECT current_user, current_schema(), current_database(), "
         "current_setting('server_version_num')::int, current_setting('search_path')")


def lock_key(schema: str, table: str) -> int:
    return LOCK_BASE + java_hash(f'"{schema}"."{table}"')


class AdvisoryLock(MigrationLock):
    def __init__(self, key: int) -> None:
        self.key = key

    def acquire(self, conn: AutocommitConnection, wait_seconds: float) -> None:
        if not poll(lambda: bool(conn.query_one(TRY_LOCK, (self.key,))[0]), wait_seconds):
            raise lock_timeout(
                "Number of retries exceeded while attempting to acquire PostgreSQL "
                f"advisory lock {self.key} (waited {wait_seconds:g} s; another "
                "migration is running)")

    def release(self, conn: AutocommitConnection) -> None:
        conn.query(UNLOCK, (self.key,))

    def kept(self) -> list[tuple[str, Row]]:
        # A bigint key shows in pg_locks as its high and low halves, objsubid 1. Taken
        # again only when gone (a session lock taken twice needs two unlocks).
        high, low = self.key >> 32, self.key & 0xFFFFFFFF
        return [(
            "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = "
            f"'advisory' AND pid = pg_backend_pid() AND granted AND classid = {high} AND "
            f"objid = {low} AND objsubid = 1) AND NOT pg_try_advisory_lock({self.key}) THEN "
            f"RAISE EXCEPTION 'the migration released the migration lock (advisory lock "
            f"{self.key}: DISCARD ALL or pg_advisory_unlock_all), and another runner has "
            "taken it since'; END IF; END$$", ())]


_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
)
_IN_SCHEMA = ("SELECT quote_ident(c.relname) FROM pg_catalog.pg_class c "
              "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND ")
_TYPES = ("SELECT quote_ident(t.typname) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n "
          "ON n.oid = t.typnamespace WHERE n.nspname = $1 AND ")

# (label, catalog query giving the names to drop, DROP template) in dependency order.
CLEAN_DROPS: tuple[tuple[str, str, str], ...] = (
    ("materialized view",
     _IN_SCHEMA + "c.relkind = 'm' AND " + _NOT_EXTENSION.format(oid="c.oid"),
     "DROP MATERIALIZED VIEW IF EXISTS {schema}.{name} CASCADE"),
    ("view",
     _IN_SCHEMA + "c.relkind = 'v' AND " + _NOT_EXTENSION.format(oid="c.oid"),
     "DROP VIEW IF EXISTS {schema}.{name} CASCADE"),
    ("table",
     _IN_SCHEMA + "c.relkind IN ('r', 'p') AND NOT c.relispartition AND "
     + _NOT_EXTENSION.format(oid="c.oid"),
     "DROP TABLE IF EXISTS {schema}.{name} CASCADE"),
    ("foreign table",
     _IN_SCHEMA + "c.relkind = 'f' AND " + _NOT_EXTENSION.format(oid="c.oid"),
     "DROP FOREIGN TABLE IF EXISTS {schema}.{name} CASCADE"),
    ("sequence",
     _IN_SCHEMA + "c.relkind = 'S' AND " + _NOT_EXTENSION.format(oid="c.oid"),
     "DROP SEQUENCE IF EXISTS {schema}.{name} CASCADE"),
    ("routine",
     "SELECT quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments("
     "p.oid) || ')', CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' "
     "ELSE 'FUNCTION' END FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
     "ON n.oid = p.pronamespace WHERE n.nspname = $1 AND "
     + _NOT_EXTENSION.format(oid="p.oid"),
     "DROP {kind} IF EXISTS {schema}.{name} CASCADE"),
    ("domain",
     _TYPES + "t.typtype = 'd' AND " + _NOT_EXTENSION.format(oid="t.oid"),
     "DROP DOMAIN IF EXISTS {schema}.{name} CASCADE"),
    ("type",
     _TYPES + "(t.typtype IN ('e', 'r') OR (t.typtype = 'c' AND (SELECT c.relkind FROM "
     "pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')) AND "
     + _NOT_EXTENSION.format(oid="t.oid"),
     "DROP TYPE IF EXISTS {schema}.{name} CASCADE"),
    ("extension",
     "SELECT quote_ident(e.extname) FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n "
     "ON n.oid = e.extnamespace WHERE n.nspname = $1",
     "DROP EXTENSION IF EXISTS {name} CASCADE"),
)


class PostgreSQLMigration(MigrationSQL):
    error_label = "SQL State"
    select_hint = "/*NO LOAD BALANCE*/ "
    false_literal = "FALSE"
    # From the transaction's start (its BEGIN, just before the history is re-read) to the
    # history row's INSERT, which the server reaches when the script's statements are done.
    elapsed_sql = ("CAST(EXTRACT(EPOCH FROM statement_timestamp() - transaction_timestamp())"
                   " * 1000 AS INTEGER)")
    rls_probe_sql = ("SELECT 1 FROM pg_catalog.pg_class WHERE relrowsecurity"
                     " AND relnamespace = current_schema()::regnamespace LIMIT 1")

    def autocommit(self, conn: Any, url: DatabaseURL) -> None:
        conn.autocommit = True

    def facts(self, conn: AutocommitConnection, schema: str | None, table: str
              ) -> ConnectionFacts:
        if schema:
            # Flyway makes defaultSchema the session's search_path on PostgreSQL.
            conn.execute(f"SET search_path TO {self.dialect.quote(schema)}")
        user, current, database, version, path = conn.query_one(FACTS)
        return ConnectionFacts(default_schema=schema or current or "public", user=str(user),
                               database=str(database), table=table,
                               server_major=int(version) // 10000, search_path=str(path))

    def restore(self, facts: ConnectionFacts) -> list[tuple[str, Row]]:
        # As Flyway: the role the connection began with, then its search path (a
        # script's SET search_path would otherwise place the next migration's tables).
        statements: list[tuple[str, Row]] = [(f"SET ROLE {self.dialect.quote(facts.user)}", ())]
        if facts.search_path is not None:
            statements.append(("SELECT set_config('search_path', $1, false)",
                               (facts.search_path,)))
        return statements

    def begin(self, conn: AutocommitConnection, lock_wait: float) -> None:
        """BEGIN goes out with the transaction's first statement (see
        :meth:`execute_after`): one round trip fewer for every migration."""
        conn.deferred.append(self.begin_sql)

    def execute_after(self, raw: Any, cur: Any, before: Sequence[str], sql: str,
                      params: Sequence[Any]) -> None:
        import psycopg

        failure: psycopg.Error | None = None
        with raw.cursor() as first, raw.pipeline() as pipeline:
            try:
                for stmt in before:
                    first.execute(stmt)
                cur.execute(sql, params) if params else cur.execute(sql)
                pipeline.sync()
            except psycopg.Error as exc:
                failure = exc  # caught inside, so the pipeline ends in a clean state
        if failure is not None:
            raise failure

    def in_transaction(self, raw: Any) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(raw.info.transaction_status != TransactionStatus.IDLE)

    def left_open(self, raw: Any) -> bool:
        return self.in_transaction(raw)

    def run(self, raw: Any, sql: str, copy_data: str | None = None) -> None:
        with raw.cursor() as cur:
            if copy_data is None:
                cur.execute(sql)
            else:
                with cur.copy(sql) as copy:
                    copy.write(copy_data)

    def run_script(self, raw: Any, statements: Sequence[tuple[str, str | None]], *,
                   transactional: bool, then: Finish | None = None,
                   before: Sequence[str] = ()) -> None:
        """A transactional script's BEGIN, statements, history row and commit in one
        pipeline: one round trip. Outside a transaction each statement goes alone (a
        pipeline is one implicit transaction), as does a script with COPY data (COPY
        cannot be pipelined)."""
        if not transactional or any(data is not None for _, data in statements):
            super().run_script(raw, statements, transactional=transactional, then=then,
                               before=before)
            return
        import psycopg

        cursors: list[Any] = []
        done = 0  # statements whose results came back, their cursors closed
        failure: psycopg.Error | None = None

        def send(sql: str, params: Row = ()) -> None:
            nonlocal done
            cursors.append(raw.cursor())
            cursors[-1].execute(sql, params) if params else cursors[-1].execute(sql)
            if len(cursors) >= PIPELINE_CHUNK:
                # Every result kept until the end cost a cursor each: a 50 MB script of
                # small statements took 700 MB. A sync (inside the transaction) lets them go.
                pipeline.sync()
                for cur in cursors:
                    cur.close()
                done += len(cursors)
                cursors.clear()

        try:
            with raw.cursor() as first, raw.pipeline() as pipeline:
                try:
                    for sql in before:
                        first.execute(sql)
                    for sql, _ in statements:
                        send(sql)
                    for sql, params in then() if then is not None else ():
                        send(sql, params)
                    pipeline.sync()
                except psycopg.Error as exc:
                    # Caught inside the pipeline, so leaving it finds a clean state.
                    failure = exc
        except psycopg.Error as exc:
            failure = failure or exc
        # The statements before the failing one have their results; it and those after
        # it (aborted by the pipeline) do not.
        index = done + next((i for i, c in enumerate(cursors) if c.pgresult is None), 0)
        for cur in cursors:
            cur.close()
        if failure is not None:
            if index >= len(statements):  # the history row or the commit
                raise failure
            raise ScriptFailed(index, failure) from failure

    def error_line(self, exc: BaseException, sql: str) -> int:
        diag = getattr(exc, "diag", None)
        position = getattr(diag, "statement_position", None) if diag else None
        if position and str(position).isdigit():
            return line_breaks(sql, 0, int(position) - 1)
        return 0

    def history_create(self, schema: str, table: str) -> list[str]:
        t, q = self.qualified(schema, table), self.dialect.quote
        return [
            f"CREATE TABLE {t} (\n"
            '    "installed_rank" INT NOT NULL,\n'
            '    "version" VARCHAR(50),\n'
            '    "description" VARCHAR(200) NOT NULL,\n'
            '    "type" VARCHAR(20) NOT NULL,\n'
            '    "script" VARCHAR(1000) NOT NULL,\n'
            '    "checksum" INTEGER,\n'
            '    "installed_by" VARCHAR(100) NOT NULL,\n'
            '    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),\n'
            '    "execution_time" INTEGER NOT NULL,\n'
            '    "success" BOOLEAN NOT NULL\n'
            ")",
            f'ALTER TABLE {t} ADD CONSTRAINT {q(table + "_pk")} PRIMARY KEY ("installed_rank")',
            f'CREATE INDEX {q(table + "_s_idx")} ON {t} ("success")',
        ]

    def history_columns(self, schema: str, table: str) -> tuple[str, Row]:
        return ("SELECT a.attname FROM pg_catalog.pg_attribute a "
                "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 "
                "AND NOT a.attisdropped AND c.relkind IN ('r', 'p')", (schema, table))

    def bool_param(self, value: bool) -> Any:
        return value

    def lock(self, schema: str, table: str) -> MigrationLock:
        return AdvisoryLock(lock_key(schema, table))

    def non_empty(self, schema: str) -> tuple[str, Row]:
        sql = (
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND "
            + _NOT_EXTENSION.format(oid="c.oid") + ") "
            "OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid AND "
            + _NOT_EXTENSION.format(oid="p.oid") + ") "
            "OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid "
            "AND t.typtype IN ('d', 'e', 'r') AND "
            + _NOT_EXTENSION.format(oid="t.oid") + ") "
            "FROM pg_catalog.pg_namespace n WHERE n.nspname = $1"
        )
        return sql, (schema,)

    def clean(self, conn: AutocommitConnection, schema: str, wait: float) -> list[str]:
        quoted = self.dialect.quote(schema)
        dropped: list[str] = []
        with conn.transaction(lock_wait=wait):
            for label, query, template in CLEAN_DROPS:
                for row in conn.query(query, (schema,)):
                    name = str(row[0])
                    kind = str(row[1]) if len(row) > 1 else ""
                    conn.execute(template.format(schema=quoted, name=name, kind=kind))
                    dropped.append(f"{label} {name}")
        return dropped


def _make() -> PostgreSQLMigration:
    from monozu.db.dialects.postgresql.dialect import DIALECT

    return PostgreSQLMigration(DIALECT)


MIGRATION = _make()
