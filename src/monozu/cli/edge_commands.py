"""``monozu edge purge``: the retention job for edge ingest events."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from monozu.cli.app import (
    EXIT_USAGE,
    echo,
    echo_json,
    fail,
    handle_errors,
    json_option,
    option,
    root,
    url_option,
)
from monozu.db.config import load_config

edge = root.group("edge", "Edge appliances: retention of their ingest events.")
# ASCII digits only: int() also reads "1_0" and other scripts' digits ("٣").
_DURATION = re.compile(r"([0-9]{1,6})([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
# Beyond this, "older than" reaches past any event and past what a date can hold.
_LONGEST = timedelta(days=36_500)


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``; ``0d`` means everything received before now."""
    m = _DURATION.fullmatch(text)
    if m is None:
        fail(f"--older-than: expected a duration such as 30d, 12h or 0d, got {text!r}",
             EXIT_USAGE)
        raise AssertionError  # fail() exits
    age = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if age > _LONGEST:
        fail(f"--older-than: at most {_LONGEST.days}d (100 years), got {text!r}", EXIT_USAGE)
    return age


def count(text: str) -> int:
    """A plain decimal count, as typed: ASCII digits, no sign, no "_" or spaces."""
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise ValueError(text)
    return int(text)


@edge.command(
    "purge",
    option("--older-than", metavar="DURATION",
           help="Delete events received longer ago than this (30d, 12h, 0d)."),
    option("--tenant", metavar="ID", help="Only this tenant."),
    option("--all-tenants", flag=True, default=False, help="Every tenant, one at a time."),
    option("--batch-size", type=count, default=5000, metavar="N",
           help="Rows deleted per transaction (default 5000)."),
    url_option, json_option,
)
@handle_errors
def purge(*, older_than: str | None, tenant: str | None, all_tenants: bool, batch_size: int,
          url: str | None, as_json: bool) -> None:
    """Delete old ingest events in bounded batches, so ingest is never blocked for long.

    Example: ``monozu edge purge --older-than 30d --all-tenants``
    """
    if older_than is None:
        fail("--older-than is required (for example --older-than 30d)", EXIT_USAGE)
        return
    age = parse_duration(older_than)
    if tenant is not None and all_tenants:
        fail("--tenant and --all-tenants exclude each other: give one of them", EXIT_USAGE)
    if tenant is None and not all_tenants:
        fail("name one tenant with --tenant ID, or pass --all-tenants", EXIT_USAGE)
    if not 0 < batch_size <= 1_000_000:
        fail(f"--batch-size: expected 1 to 1000000, got {batch_size}", EXIT_USAGE)
    tenant_id = None
    if tenant is not None:
        try:
            tenant_id = uuid.UUID(tenant)
        except ValueError:
            fail(f"--tenant: not a tenant id (a UUID): {tenant!r}", EXIT_USAGE)
    from monozu.db.database import Database
    from monozu.domain.edge import EdgeService

    with Database(load_config(url=url, must_exist=True), pool_size=1) as database:
        service = EdgeService(database, purge_batch=batch_size)
        if tenant_id is not None:
            counts = {tenant_id: service.purge(tenant_id, age)}
        else:
            counts = service.purge_all(age)
    if as_json:
        echo_json({"older_than": older_than, "deleted": sum(counts.values()),
                   "tenants": {str(t): n for t, n in counts.items()}})
        return
    for t, n in counts.items():
        echo(f"{t}  {n} event(s) deleted")
    echo(f"Deleted {sum(counts.values())} event(s) received more than {older_than} ago "
         f"from {len(counts)} tenant(s).")
