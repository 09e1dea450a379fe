"""SQL Server's migration pieces.

The lock is Flyway's: ``sp_getapplock`` on ``Flyway-<javaHash('[schema].[table]')>``
(``Flyway--856309416`` by default), owned by the session so it survives the commits
of the single migrations, waiting as long as the configured lock wait (``-1``:
without end). A wait that runs out is the same ``LOCK_TIMEOUT`` error the other
databases give.

The runner's connection has no ``query timeout`` (it would cancel a waiting
``sp_getapplock`` and long batches) and runs with ``SET XACT_ABORT ON``, so an error
in a batch aborts and rolls back the whole transaction instead of leaving half a
migration to be committed. Every batch is read to its last result (see
:mod:`.batches`), so an error behind an informational message is not lost.

``clean`` drops security policies, foreign keys, system versioning, views, routines,
tables, sequences, synonyms and types, from catalog queries that write the DROPs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from monozu.db.dialects.migration import (
    ConnectionFacts,
    MigrationLock,
    MigrationSQL,
    Row,
    java_hash,
    lock_timeout,
)
from monozu.db.dialects.sqlserver import batches

if TYPE_CHECKING:
    from monozu.db.config import DatabaseURL
    from monozu.db.database import AutocommitConnection

# The login (not the database user), as Flyway records it; the schema; the database.
FACTS = "SELECT SUSER_SNAME(), SCHEMA_NAME(), DB_NAME()"
SESSION = "SET XACT_ABORT ON"
# The one parameter pair is the resource name and the wait in milliseconds (-1: none).
# The return code is read so that a wait that runs out is reported, not ignored.
LOCK_ACQUIRE = (
    "SET NOCOUNT ON;\n"
    "DECLARE @result INT;\n"
    "EXEC @result = sp_getapplock @Resource = ?, @LockTimeout = ?, "
    "@LockMode = 'Exclusive', @LockOwner = 'Session';\n"
    "SELECT @result;"
)
LOCK_RELEASE = "EXEC sp_releaseapplock @Resource = ?, @LockOwner = 'Session';"
# sp_getapplock's return codes: 0 granted, 1 granted after waiting, -1 timed out,
# -2 cancelled, -3 deadlock victim, -999 parameter or call error.
_APPLOCK_FAILURES = {-1: "the lock wait ran out", -2: "the request was cancelled",
                     -3: "chosen as deadlock victim", -999: "a parameter or call error"}


def lock_resource(schema: str, table: str) -> str:
    return f"Flyway-{java_hash(f'[{schema}].[{table}]')}"


def lock_timeout_ms(wait_seconds: float) -> int:
    """sp_getapplock's ``@LockTimeout``: milliseconds, -1 to wait without end."""
    if math.isinf(wait_seconds) or wait_seconds < 0:
        return -1
    return min(int(wait_seconds * 1000), 2**31 - 1)


class AppLock(MigrationLock):
    def __init__(self, resource: str) -> None:
        self.resource = resource

    def acquire(self, conn: AutocommitConnection, wait_seconds: float) -> None:
        timeout = lock_timeout_ms(wait_seconds)
        (result,) = conn.query_one(LOCK_ACQUIRE, (self.resource, timeout))
        if result is not None and int(result) < 0:
            why = _APPLOCK_FAILURES.get(int(result), f"sp_getapplock returned {result}")
            raise lock_timeout(
                f"Unable to acquire the SQL Server application lock {self.resource}: {why} "
                f"(waited {wait_seconds:g} s; another migration is running)")

    def release(self, conn: AutocommitConnection) -> None:
        conn.execute(LOCK_RELEASE, (self.resource,))


CLEAN_QUERIES: tuple[str, ...] = (
    "SELECT 'security policy', 'DROP SECURITY POLICY ' + QUOTENAME(SCHEMA_NAME(p.schema_id)) "
    "+ '.' + QUOTENAME(p.name) FROM sys.security_policies AS p "
    "WHERE p.schema_id = SCHEMA_ID(?)",
    "SELECT 'foreign key', 'ALTER TABLE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + '.' "
    "+ QUOTENAME(t.name) + ' DROP CONSTRAINT ' + QUOTENAME(fk.name) "
    "FROM sys.foreign_keys AS fk JOIN sys.tables AS t ON t.object_id = fk.parent_object_id "
    "JOIN sys.tables AS r ON r.object_id = fk.referenced_object_id "
    "WHERE r.schema_id = SCHEMA_ID(?)",
    "SELECT 'system versioning', 'ALTER TABLE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + '.' "
    "+ QUOTENAME(t.name) + ' SET (SYSTEM_VERSIONING = OFF)' FROM sys.tables AS t "
    "WHERE t.schema_id = SCHEMA_ID(?) AND t.temporal_type = 2",
    "SELECT 'view', 'DROP VIEW ' + QUOTENAME(SCHEMA_NAME(v.schema_id)) + '.' + QUOTENAME(v.name) "
    "FROM sys.views AS v WHERE v.schema_id = SCHEMA_ID(?) AND v.is_ms_shipped = 0",
    "SELECT 'procedure', 'DROP PROCEDURE ' + QUOTENAME(SCHEMA_NAME(o.schema_id)) + '.' "
    "+ QUOTENAME(o.name) FROM sys.objects AS o WHERE o.schema_id = SCHEMA_ID(?) "
    "AND o.type IN ('P', 'PC') AND o.is_ms_shipped = 0",
    "SELECT 'function', 'DROP FUNCTION ' + QUOTENAME(SCHEMA_NAME(o.schema_id)) + '.' "
    "+ QUOTENAME(o.name) FROM sys.objects AS o WHERE o.schema_id = SCHEMA_ID(?) "
    "AND o.type IN ('FN', 'IF', 'TF', 'FS', 'FT') AND o.is_ms_shipped = 0",
    "SELECT 'table', 'DROP TABLE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + '.' "
    "+ QUOTENAME(t.name) FROM sys.tables AS t WHERE t.schema_id = SCHEMA_ID(?) "
    "AND t.is_ms_shipped = 0",
    "SELECT 'sequence', 'DROP SEQUENCE ' + QUOTENAME(SCHEMA_NAME(s.schema_id)) + '.' "
    "+ QUOTENAME(s.name) FROM sys.sequences AS s WHERE s.schema_id = SCHEMA_ID(?)",
    "SELECT 'synonym', 'DROP SYNONYM ' + QUOTENAME(SCHEMA_NAME(s.schema_id)) + '.' "
    "+ QUOTENAME(s.name) FROM sys.synonyms AS s WHERE s.schema_id = SCHEMA_ID(?)",
    "SELECT 'type', 'DROP TYPE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + '.' "
    "+ QUOTENAME(t.name) FROM sys.types AS t WHERE t.schema_id = SCHEMA_ID(?) "
    "AND t.is_user_defined = 1",
)


class SQLServerMigration(MigrationSQL):
    begin_sql = "BEGIN TRANSACTION"
    commit_sql = "COMMIT TRANSACTION"
    rollback_sql = "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION"
    rls_probe_sql = "SELECT TOP (1) 1 FROM sys.security_policies WHERE is_enabled = 1"

    def autocommit(self, conn: Any, url: DatabaseURL) -> None:
        conn.autocommit = True
        conn.timeout = 0  # no query timeout: lock waits and long batches must not be cut
        cur = conn.cursor()
        try:
            cur.execute(SESSION)
            batches.drain(cur)
        finally:
            cur.close()

    def facts(self, conn: AutocommitConnection, schema: str | None, table: str
              ) -> ConnectionFacts:
        user, current, database = conn.query_one(FACTS)
        return ConnectionFacts(default_schema=schema or current or "dbo", user=str(user or ""),
                               database=str(database or ""), table=table)

    def run(self, raw: Any, sql: str, copy_data: str | None = None) -> None:
        cur = raw.cursor()
        try:
            cur.execute(sql)
            batches.drain(cur)
        finally:
            cur.close()

    def history_create(self, schema: str, table: str) -> list[str]:
        """One batch, as Flyway sends it."""
        t, q = self.qualified(schema, table), self.dialect.quote
        return [
            f"CREATE TABLE {t} (\n"
            "    [installed_rank] INT NOT NULL,\n"
            "    [version] NVARCHAR(50),\n"
            "    [description] NVARCHAR(200),\n"
            "    [type] NVARCHAR(20) NOT NULL,\n"
            "    [script] NVARCHAR(1000) NOT NULL,\n"
            "    [checksum] INT,\n"
            "    [installed_by] NVARCHAR(100) NOT NULL,\n"
            "    [installed_on] DATETIME NOT NULL DEFAULT GETDATE(),\n"
            "    [execution_time] INT NOT NULL,\n"
            "    [success] BIT NOT NULL\n"
            ");\n"
            f"ALTER TABLE {t} ADD CONSTRAINT {q(table + '_pk')} PRIMARY KEY ([installed_rank]);\n"
            f"CREATE INDEX {q(table + '_s_idx')} ON {t} ([success]);"
        ]

    def history_columns(self, schema: str, table: str) -> tuple[str, Row]:
        return ("SELECT c.name FROM sys.columns AS c "
                "JOIN sys.tables AS t ON t.object_id = c.object_id "
                "JOIN sys.schemas AS s ON s.schema_id = t.schema_id "
                "WHERE s.name = ? AND t.name = ?", (schema, table))

    def lock(self, schema: str, table: str) -> MigrationLock:
        return AppLock(lock_resource(schema, table))

    def non_empty(self, schema: str) -> tuple[str, Row]:
        return (
            "SELECT (SELECT COUNT(*) FROM sys.objects WHERE schema_id = SCHEMA_ID(?) "
            "AND is_ms_shipped = 0 AND parent_object_id = 0) + (SELECT COUNT(*) FROM sys.types "
            "WHERE is_user_defined = 1 AND schema_id = SCHEMA_ID(?))",
            (schema, schema),
        )

    def clean(self, conn: AutocommitConnection, schema: str, wait: float) -> list[str]:
        dropped: list[str] = []
        with conn.transaction(lock_wait=wait):
            for query in CLEAN_QUERIES:
                for label, statement in conn.query(query, (schema,)):
                    conn.execute(str(statement))
                    dropped.append(f"{label}: {statement}")
        return dropped

    def clean_queries(self) -> tuple[str, ...]:
        return CLEAN_QUERIES


def _make() -> SQLServerMigration:
    from monozu.db.dialects.sqlserver.dialect import DIALECT

    return SQLServerMigration(DIALECT)


MIGRATION = _make()
