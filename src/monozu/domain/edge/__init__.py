"""Edge appliances: provisioning keys, device keys, the command queue, snap updates,
batched event ingest and retention.

``service.EdgeService`` is the entry point; ``repository`` holds the SQL
(``queries.sql`` and per-database overrides), ``credentials`` the secret formats,
``types`` the values the service takes and returns.
"""

from monozu.domain.edge.credentials import CredentialError
from monozu.domain.edge.service import EdgeService
from monozu.domain.edge.types import (
    COMMAND_KINDS,
    EVENT_KINDS,
    DeviceIdentity,
    EventIn,
    IngestLimits,
    IssuedDevice,
    IssuedKey,
)

__all__ = [
    "COMMAND_KINDS",
    "EVENT_KINDS",
    "CredentialError",
    "DeviceIdentity",
    "EdgeService",
    "EventIn",
    "IngestLimits",
    "IssuedDevice",
    "IssuedKey",
]
