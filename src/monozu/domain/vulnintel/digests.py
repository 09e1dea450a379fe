"""Whole-file digests: an NVD feed file identical to one imported before is not read again.

Tokenising a yearly NVD file costs most of its import even when every record is already
stored, so the importer first compares the file's bytes with the file of the same name it
imported last. Each NVD file imported by path leaves a row in ``cve_feeds`` named
``nvd:<file name>`` whose cursor records, in the import's own transaction:

* ``sha256=`` the SHA-256 of the file's bytes as given (compressed or not);
* ``records=`` how many records it held (reported as unchanged when it is skipped);
* ``meta-sha256=`` the ``sha256`` of NVD's ``.meta`` file when one sits beside it
  (``nvdcve-2.0-2025.meta`` beside ``nvdcve-2.0-2025.json.gz``), for the record.

Only identical bytes skip a file: a ``.meta`` file can be older than the file beside it.
"""

from __future__ import annotations

import hashlib
import re
import stat
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monozu.db import Tx
from monozu.db.models import CveFeed
from monozu.domain.vulnintel import sql

_SUFFIXES = (".json.gz", ".json.zip", ".json", ".gz", ".zip")
MAX_META = 4096
_META_SHA = re.compile(r"^sha256:([0-9A-Fa-f]{64})\s*$", re.MULTILINE)
_FIELD = re.compile(r"(sha256|records|meta-sha256)=(\S+)")


@dataclass(frozen=True, slots=True)
class Digest:
    """What identifies one feed file."""

    name: str
    sha256: str
    meta_sha256: str | None = None

    def cursor(self, records: int) -> str:
        meta = f" meta-sha256={self.meta_sha256}" if self.meta_sha256 else ""
        return f"sha256={self.sha256} records={records}{meta}"


@dataclass(frozen=True, slots=True)
class Imported:
    """The earlier import of a file with the same bytes."""

    sha256: str
    records: int
    at: datetime | None

    def describe(self) -> str:
        when = f" on {self.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if self.at else ""
        return (f"unchanged file (sha256 {self.sha256[:12]}..., imported{when}), "
                "not read again (--force reads it)")


def file_digest(path: Path) -> Digest:
    """The SHA-256 of ``path``'s bytes, and of NVD's ``.meta`` beside it if there is one."""
    with path.open("rb") as handle:
        sha = hashlib.file_digest(handle, "sha256").hexdigest()
    return Digest(path.name, sha, meta_sha256(path))


def meta_sha256(path: Path) -> str | None:
    """The ``sha256:`` line of the ``.meta`` file beside an NVD feed file, if any.

    Only a regular file is read, and only its first :data:`MAX_META` bytes (NVD's are
    about 300): a FIFO of that name blocked the import in ``open``, and ``/dev/zero``
    filled memory.
    """
    stem = next((path.name[:-len(s)] for s in _SUFFIXES if path.name.endswith(s)), path.name)
    meta = path.with_name(f"{stem}.meta")
    try:
        if not stat.S_ISREG(meta.stat().st_mode):
            return None
        with meta.open("rb") as handle:
            text = handle.read(MAX_META).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None
    found = _META_SHA.search(text)
    return found.group(1).lower() if found else None


def _row_name(source: str, digest: Digest) -> str:
    return f"{source}:{digest.name}"[:100]


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def imported_before(tx: Tx, source: str, digest: Digest) -> Imported | None:
    """The earlier import of this file name when its bytes were the same, else None."""
    rows = tx.select(CveFeed, sql.FEED_GET, name=_row_name(source, digest))
    if not rows or not rows[0].sync_cursor:
        return None
    fields = dict(_FIELD.findall(rows[0].sync_cursor))
    if fields.get("sha256") != digest.sha256 or not _ascii_digits(fields.get("records", "")):
        return None
    return Imported(digest.sha256, int(fields["records"]), rows[0].last_synced_at)


def remember(tx: Tx, digest: Digest, *, source: str, kind: str, url: str, records: int) -> None:
    """Record ``digest`` as the last import of its file name (in the import's transaction)."""
    values = {"name": _row_name(source, digest), "url": url[:2000],
              "last_synced_at": datetime.now(UTC), "sync_cursor": digest.cursor(records)}
    if not tx.exec(sql.FEED_SYNCED, values):
        tx.exec(sql.FEED_INSERT, values, id=uuid.uuid4(), kind=kind, yes=True,
                last_error=None)
