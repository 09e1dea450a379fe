"""PostgreSQL's snippets: the standard ones, and a queue claim with ``SKIP LOCKED``."""

from __future__ import annotations

from monozu.db.dialects.snippets import Claim, StandardSnippets


class PostgreSQLSnippets(StandardSnippets):
    def claim(self, c: Claim) -> str:
        # Rows another transaction has locked are skipped, not waited for: two workers
        # claiming at once get disjoint rows. The CTE selects and locks once; its ids
        # reach the UPDATE as one array, found by key whatever the planner estimates. (As
        # `key IN (SELECT ... LIMIT n FOR UPDATE)` the selection can be run again per row
        # under some plans and claim more than n; as a join, a table without statistics
        # was updated through a scan of every candidate row.)
        t, k = self.q(c.table), self.q(c.key)
        return (f"WITH claimed AS (SELECT {k} FROM {t} WHERE {c.where} ORDER BY {c.order} "
                f"LIMIT {c.count} FOR UPDATE SKIP LOCKED) "
                f"UPDATE {t} SET {c.assignments} "
                f"WHERE {k} = ANY (ARRAY(SELECT {k} FROM claimed)) RETURNING *")

    def staging_refused(self) -> str | None:
        # TEMPORARY on the database, which hardened servers take from PUBLIC
        return ("SELECT NOT has_database_privilege(current_database(), 'TEMPORARY') AS refused, "
                "current_user AS role, current_database() AS database")

    def writers_in_turn(self, table: str) -> str | None:
        # the weakest mode that conflicts with itself; plain SELECTs are not blocked
        return f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"
