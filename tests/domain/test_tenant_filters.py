"""Every statement of the domain contexts that touches a tenant-owned table binds :tenant_id.

Row-level security is off on SQLite (and switchable elsewhere), so the explicit filter is
what isolates tenants there; a statement that reads or writes a tenant table without it
would be a leak this catches before any test data could.
"""

from __future__ import annotations

import re

import pytest

from monozu.db.config import Kind
from monozu.db.models import TABLES
from monozu.db.queries import load

GLOBAL = {"tenants", "cve_feeds", "cve_catalog", "cve_cpe_matches", "cve_scores_cache",
          "exploitdb_exploits", "exploitdb_cves", "snap_releases"}
TENANT_TABLES = set(TABLES) - GLOBAL
# a table as written or as a snippet renders it: quoted, bracketed, schema-qualified
TABLE_NAME = r"(?:[\"\[]?\w+[\"\]]?\.)?[\"\[]?(\w+)"
_TABLE = re.compile(r"(?i)\b(?:FROM|JOIN|INTO|UPDATE|MERGE)\s+" + TABLE_NAME)


@pytest.mark.parametrize("package", ["monozu.domain.identity", "monozu.domain.cmdb",
                                     "monozu.domain.edge", "monozu.domain.audit",
                                     "monozu.domain.tenancy",
                                     "monozu.domain.itsm", "monozu.domain.security",
                                     "monozu.domain.demo"])
@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "sqlserver"])
def test_tenant_statements_filter_on_the_tenant(package: str, kind: Kind) -> None:
    queries = load(package)
    for name in queries.names():
        sql = queries.sql(name, kind)
        touched = {t.lower() for t in _TABLE.findall(sql)}
        assert touched, f"{package}.{name}: no table found"
        if touched & TENANT_TABLES:
            assert ":tenant_id" in sql, f"{package}.{name} touches {touched} without :tenant_id"
