"""SQL Server's snippets: ``OFFSET ... FETCH``, ``OUTPUT inserted``, flags as ``BIT``,
``MERGE``, and a queue claim with ``UPDLOCK, READPAST, ROWLOCK`` hints."""

from __future__ import annotations

from collections.abc import Sequence

from monozu.db.dialects.snippets import Claim, Snippets


class SQLServerSnippets(Snippets):
    def limit(self, count: str) -> str:
        return f"OFFSET 0 ROWS FETCH NEXT {count} ROWS ONLY"

    def returning(self, columns: str) -> str:
        return ""

    def inserted(self, columns: str) -> str:
        cols = [c.strip() for c in columns.split(",")]
        return "OUTPUT " + ", ".join(f"inserted.{c}" for c in cols)

    def flag(self, condition: str) -> str:
        return f"CASE WHEN {condition} THEN CAST(1 AS BIT) ELSE CAST(0 AS BIT) END"

    def upsert(self, table: str, keys: Sequence[str], columns: Sequence[str]) -> str:
        # HOLDLOCK: two sessions upserting the same key cannot both take the INSERT branch.
        q = self.q
        names = [*keys, *columns]
        source = ", ".join(f":{c} AS {q(c)}" for c in names)
        on = " AND ".join(f"t.{q(c)} = s.{q(c)}" for c in keys)
        updates = ", ".join(f"{q(c)} = s.{q(c)}" for c in columns)
        return (f"MERGE {q(table)} WITH (HOLDLOCK) AS t USING (SELECT {source}) AS s "
                f"ON {on} WHEN MATCHED THEN UPDATE SET {updates} "
                f"WHEN NOT MATCHED THEN INSERT ({', '.join(map(q, names))}) "
                f"VALUES ({', '.join('s.' + q(c) for c in names)});")

    def claim(self, c: Claim) -> str:
        # READPAST skips rows other sessions hold, UPDLOCK keeps ours until commit.
        return (f"WITH claimed AS (SELECT TOP ({c.count}) * FROM {self.q(c.table)} "
                f"WITH (UPDLOCK, READPAST, ROWLOCK) WHERE {c.where} ORDER BY {c.order}) "
                f"UPDATE claimed SET {c.assignments} OUTPUT inserted.*")

    def writers_in_turn(self, table: str) -> str | None:
        # an update lock on the whole table until commit: shared (reading) locks pass
        return f"SELECT COUNT(*) FROM {table} WITH (UPDLOCK, HOLDLOCK, TABLOCK)"

    def temporary_table(self, name: str) -> str:
        return f"#{name}"  # a local temporary table: private to the session

    def create_temporary_as(self, table: str, select: str) -> str:
        head, _, rest = select.partition(" FROM ")
        return f"{head} INTO {table} FROM {rest}"

    def analyze(self, table: str) -> str:
        return f"UPDATE STATISTICS {table}"

    def update_from(self, target: str, source: str, key: str, sets: str, where: str) -> str:
        return (f"UPDATE t SET {sets} FROM {target} t JOIN {source} x "
                f"ON x.{key} = t.{key} WHERE {where}")
