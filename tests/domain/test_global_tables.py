"""The global tables (CVE catalog, scores cache, ExploitDB, feeds, snap releases, the
tenant list) are read-only to the tenant contexts: only platform code writes them (the
feed importers, tenancy's lifecycle, the edge release publisher, the demo loader)."""

from __future__ import annotations

import re

import pytest

from monozu.db.config import Kind
from monozu.db.queries import load
from tests.domain.test_tenant_filters import GLOBAL, TABLE_NAME

_WRITE = re.compile(r"(?i)\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE(?:\s+INTO)?|TRUNCATE"
                    r"(?:\s+TABLE)?)\s+" + TABLE_NAME)

TENANT_CONTEXTS = ["monozu.domain.identity", "monozu.domain.audit", "monozu.domain.cmdb",
                   "monozu.domain.itsm", "monozu.domain.security"]


@pytest.mark.parametrize("package", TENANT_CONTEXTS)
@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "sqlserver"])
def test_tenant_contexts_never_write_a_global_table(package: str, kind: Kind) -> None:
    queries = load(package)
    writes = 0
    for name in queries.names():
        written = {t.lower() for t in _WRITE.findall(queries.sql(name, kind))}
        writes += bool(written)
        assert not written & GLOBAL, f"{package}.{name} writes {written & GLOBAL}"
    assert writes, f"{package}: no write statement found (is the pattern still right?)"


def test_the_pattern_sees_writes_to_global_tables() -> None:
    found = {t.lower() for t in _WRITE.findall(
        "INSERT INTO cve_catalog (x) VALUES (1); update CVE_FEEDS SET a = 1; "
        "DELETE FROM snap_releases; MERGE INTO exploitdb_cves AS t USING s ON 1 = 1")}
    assert found == {"cve_catalog", "cve_feeds", "snap_releases", "exploitdb_cves"}
    # as the dialects' snippets render them: quoted, bracketed, schema-qualified
    rendered = {t.lower() for t in _WRITE.findall(
        'INSERT INTO "cve_catalog" (x) VALUES (1); UPDATE "public"."cve_feeds" SET a = 1; '
        "MERGE [dbo].[exploitdb_cves] WITH (HOLDLOCK) AS t USING s ON 1 = 1")}
    assert rendered == {"cve_catalog", "cve_feeds", "exploitdb_cves"}
