"""Audit: every state-changing service call leaves one ``audit_logs`` row.

The row is written by :func:`record` on the caller's own unit of work, so it
commits with the change it describes and disappears with it when the call fails.
"""

from monozu.domain.audit.repository import Actor, AuditRepository, record

__all__ = ["Actor", "AuditRepository", "record"]
