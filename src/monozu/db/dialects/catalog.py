"""The catalog part of a dialect: reading the live schema, the RLS statements, drift.

Every database answers the same questions through one :class:`Catalog` (the dialect's
``catalog`` attribute), so :mod:`monozu.db.introspect`, :mod:`monozu.db.rls` and
:mod:`monozu.db.drift` hold only the shared data types and logic:

* :meth:`Catalog.read_schema` reads the logical schema (:class:`~monozu.db.introspect.Schema`)
  of a raw DB-API connection;
* :meth:`Catalog.expected_schema` builds the schema a sequence of migration scripts gives,
  without touching the live tables (a scratch database, a rolled-back scratch schema or a
  replay on paper: each database says which and why);
* the ``rls_*`` members list the tenant tables with their policy state and switch policies;
* :attr:`Catalog.platform_check_sql` / :meth:`Catalog.platform_problem` tell whether a
  platform connection can actually bypass row-level security.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from monozu.db.introspect import Schema
    from monozu.db.rls import Enforcement, TableRls


class Catalog(abc.ABC):
    """One database's catalog queries and RLS statements. Instances are stateless."""

    # "database": policies in the database can be switched; "application": there are
    # none and every tenant-scoped statement filters on tenant_id itself.
    enforced_by: ClassVar[Enforcement] = "database"
    # Lists the tenant tables; for a database-enforced catalog its columns are
    # table_schema, table_name, policy_name, enabled (and, optionally, forced).
    rls_status_sql: ClassVar[str]
    # Returns one row about the connected principal, read by platform_problem; None
    # where every privileged login bypasses row-level security as documented.
    platform_check_sql: ClassVar[str | None] = None
    # Whether CHECK and DEFAULT expressions read back from the live database are spelled
    # as expected_schema spells them (False where the server rewrites them).
    compares_expressions: ClassVar[bool] = True

    @abc.abstractmethod
    def read_schema(self, conn: Any) -> Schema:
        """The schema of ``conn`` (tables, columns, keys, checks, indexes, policies),
        the history table included."""

    @abc.abstractmethod
    def expected_schema(self, conn: Any, scripts: Sequence[str]) -> Schema:
        """The schema that running ``scripts`` in order on an empty database gives.

        ``conn`` is a raw connection to the live database; implementations must leave
        its tables and data as they were.
        """

    @abc.abstractmethod
    def rls_table(self, row: Mapping[str, Any]) -> TableRls:
        """A row of :attr:`rls_status_sql` as a :class:`~monozu.db.rls.TableRls`."""

    def rls_prepare_sql(self) -> tuple[str, ...]:
        """Statements run first in the transaction that switches policies."""
        return ()

    def rls_switch_sql(self, table: TableRls, on: bool) -> str:
        """The statement switching ``table``'s policy on or off."""
        raise NotImplementedError("this database has no row-level security policies")

    def rls_matches(self, table: TableRls, on: bool) -> bool:
        """Whether ``table`` is fully in the state ``on``."""
        return table.enabled == on

    def platform_problem(self, row: Mapping[str, Any]) -> str | None:
        """Why the principal of :attr:`platform_check_sql`'s row cannot act as the
        platform connection, or None when it can."""
        return None


__all__ = ["Catalog"]
