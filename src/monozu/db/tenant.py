"""Tenant context: the database page's "RLS helpers".

A tenant's work happens in a unit of work bound to its id::

    with db.tenant(tenant_id) as tx:
        tx.select(Incident, "SELECT ... FROM incidents WHERE tenant_id = :tenant_id",
                  tenant_id=tenant_of(tx))

How the binding reaches the database is the dialect's business:

* SQL Server: ``EXEC sp_set_session_context @key = N'tenant_id', @value = <id>`` on the
  connection the unit of work holds, cleared again when it ends; the V14 security
  policies filter and block on it once enabled.
* PostgreSQL: ``set_config('app.tenant_id', <id>, true)``, local to the transaction, so
  it is gone at COMMIT or ROLLBACK; the ``rls_<table>`` policies read it. Outside it the
  session holds it empty, whatever default the role or the database gives it.
* SQLite: no row-level security exists; the id travels with the unit of work and
  repositories filter on it explicitly (:func:`tenant_of`).

Repositories keep an explicit ``tenant_id`` filter everywhere as defence in depth.
Cross-tenant work goes only through :meth:`Database.platform_admin`, explicitly.
"""

from __future__ import annotations

import uuid

from monozu.db.database import Tx
from monozu.db.errors import QueryError


class NoTenant(QueryError):
    """Tenant-scoped code ran outside a tenant's unit of work."""


def tenant_of(tx: Tx) -> uuid.UUID:
    """The tenant a unit of work is bound to; refuses unbound transactions."""
    tenant = tx.tenant_id
    if not isinstance(tenant, uuid.UUID):
        raise NoTenant("this query is tenant-scoped: run it inside db.tenant(tenant_id)")
    return tenant
