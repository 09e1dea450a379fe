"""PostgreSQL's snippets: the standard ones, and a queue claim with ``SKIP LOCKED``."""

from __future__ import annotations

from monozu.db.dialects.snippets import Claim, StandardSnippets


class PostgreSQLSnippets(StandardSnippets):
    def claim(self, c: Claim) -> str:
        # Rows another transaction has locked are skipped, not waited for: two workers
        # claiming at once get disjoint rows.
        t, k = self.q(c.table), self.q(c.key)
        return (f"UPDATE {t} SET {c.assignments} WHERE {k} IN (SELECT {k} FROM {t} "
                f"WHERE {c.where} ORDER BY {c.order} LIMIT {c.count} FOR UPDATE SKIP LOCKED) "
                "RETURNING *")
