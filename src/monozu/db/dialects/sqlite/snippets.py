"""SQLite's snippets: ``LIMIT``, ``RETURNING``, ``ON CONFLICT``; a queue claim under
the writer lock (the dialect begins every transaction with ``BEGIN IMMEDIATE``, so
the select and the update of a claim cannot interleave with another writer)."""

from __future__ import annotations

from monozu.db.dialects.snippets import Claim, StandardSnippets


class SQLiteSnippets(StandardSnippets):
    def claim(self, c: Claim) -> str:
        t, k = self.q(c.table), self.q(c.key)
        return (f"UPDATE {t} SET {c.assignments} WHERE {k} IN (SELECT {k} FROM {t} "
                f"WHERE {c.where} ORDER BY {c.order} LIMIT {c.count}) RETURNING *")

    def writers_in_turn(self, table: str) -> str | None:
        return None  # BEGIN IMMEDIATE: one writing transaction at a time already
