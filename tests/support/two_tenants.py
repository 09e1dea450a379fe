"""Two tenants with one of everything each, for tests of the schema's refusals.

"a" rows belong to tenant A, "b" rows to tenant B; ``NEW`` is the id of the row a case
inserts. ``SEED`` is in foreign-key order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


TENANT_A, TENANT_B = uid(0xA), uid(0xB)
SITE_A, SITE_B = uid(0xA1), uid(0xB1)
USER_A, USER_B = uid(0xA2), uid(0xB2)
GROUP_A, GROUP_B = uid(0xA3), uid(0xB3)
ASSET_A, ASSET_B = uid(0xA4), uid(0xB4)
DEVICE_A, DEVICE_B = uid(0xA5), uid(0xB5)
NEW = uid(0xFFFF)  # id of the row a case inserts

SEED: list[tuple[str, dict[str, Any]]] = [
    ("tenants", {"id": TENANT_A, "name": "Acme", "status": "active", "slug": "acme"}),
    ("tenants", {"id": TENANT_B, "name": "Globex", "status": "active", "slug": "globex"}),
    ("sites", {"id": SITE_A, "tenant_id": TENANT_A, "name": "Plant A", "created_at": NOW}),
    ("sites", {"id": SITE_B, "tenant_id": TENANT_B, "name": "Plant B"}),
    ("users", {"id": USER_A, "tenant_id": TENANT_A, "email": "ana@acme.test",
               "mfa_enabled": True}),
    ("users", {"id": USER_B, "tenant_id": TENANT_B, "email": "bo@globex.test"}),
    ("groups", {"id": GROUP_A, "tenant_id": TENANT_A, "name": "Operators"}),
    ("groups", {"id": GROUP_B, "tenant_id": TENANT_B, "name": "Operators"}),
    ("assets", {"id": ASSET_A, "tenant_id": TENANT_A, "name": "PLC-1", "type": "plc",
                "site_id": SITE_A}),
    ("assets", {"id": ASSET_B, "tenant_id": TENANT_B, "name": "PLC-1", "type": "plc",
                "site_id": SITE_B}),
    ("devices", {"id": DEVICE_A, "tenant_id": TENANT_A, "name": "edge-a", "type": "sensor",
                 "device_key_hash": "hash-a"}),
    ("devices", {"id": DEVICE_B, "tenant_id": TENANT_B, "name": "edge-b", "type": "sensor",
                 "device_key_hash": "hash-b"}),
    ("cve_catalog", {"cve_id": "CVE-2024-0001", "cvss_score": 9.8, "is_kev": True,
                     "published_at": NOW}),
    ("refresh_tokens", {"id": uid(0xA6), "tenant_id": TENANT_A, "user_id": USER_A,
                        "token_hash": "rt-a", "expires_at": NOW}),
    ("edge_provisioning_keys", {"id": uid(0xA7), "tenant_id": TENANT_A, "label": "k",
                                "key_hash": "pk-a"}),
]


def diagram(**kw: Any) -> dict[str, Any]:
    return {"id": NEW, "tenant_id": TENANT_A, "site_id": SITE_A, "name": "Cell 1",
            "data": {"nodes": []}, **kw}
