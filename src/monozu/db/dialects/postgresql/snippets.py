"""PostgreSQL's snippets: ``LIMIT``, ``RETURNING``, ``ON CONFLICT``, ``SKIP LOCKED``."""

from __future__ import annotations

from collections.abc import Sequence

from monozu.db.dialects.snippets import Claim, Snippets


class PostgreSQLSnippets(Snippets):
    def limit(self, count: str) -> str:
        return f"LIMIT {count}"

    def returning(self, columns: str) -> str:
        return f"RETURNING {columns}"

    def inserted(self, columns: str) -> str:
        return ""

    def upsert(self, table: str, keys: Sequence[str], columns: Sequence[str]) -> str:
        q = self.q
        names = [*keys, *columns]
        updates = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in columns)
        return (f"INSERT INTO {q(table)} ({', '.join(map(q, names))}) "
                f"VALUES ({', '.join(':' + c for c in names)}) "
                f"ON CONFLICT ({', '.join(map(q, keys))}) DO UPDATE SET {updates}")

    def claim(self, c: Claim) -> str:
        # Rows another transaction has locked are skipped, not waited for: two workers
        # claiming at once get disjoint rows.
        t, k = self.q(c.table), self.q(c.key)
        return (f"UPDATE {t} SET {c.assignments} WHERE {k} IN (SELECT {k} FROM {t} "
                f"WHERE {c.where} ORDER BY {c.order} LIMIT {c.count} FOR UPDATE SKIP LOCKED) "
                "RETURNING *")
