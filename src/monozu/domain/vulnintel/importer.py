"""Importing feed files into the global catalogs, one file per transaction.

Each file is all-or-nothing: it is streamed into staging tables, compared with the catalog
set by set, and only the differences are written, all in one transaction; bad input raises
:class:`FeedError` and the catalog keeps its previous state. Re-importing a file therefore
changes nothing, and the report says so (inserted / updated / unchanged). ``cve_feeds``
records each source's last sync, cursor and last error.

The tables are global (no tenant), so imports run on a plain transaction, or on the
platform connection where one is configured.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monozu.db import Database, Tx
from monozu.db.errors import MonozuError
from monozu.domain.vulnintel import sql
from monozu.domain.vulnintel.digests import file_digest, imported_before, remember
from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._io import check_cve_id, parse_timestamp, path_problem
from monozu.domain.vulnintel.feeds.cve5 import (
    is_delta,
    local_record_path,
    parse_cve5,
    parse_delta,
)
from monozu.domain.vulnintel.feeds.epss import EpssFile
from monozu.domain.vulnintel.feeds.exploitdb import parse_exploitdb
from monozu.domain.vulnintel.feeds.kev import parse_kev
from monozu.domain.vulnintel.feeds.nvd import cve_record, iter_cves
from monozu.domain.vulnintel.records import CVE5_GROUP_BASE, CpeMatchRow, CveRecord
from monozu.domain.vulnintel.staging import Staging

SOURCES = ("nvd", "cve5", "kev", "epss", "exploitdb")
FEED_KINDS = {"nvd": "nvd", "cve5": "cvelist5", "kev": "kev", "epss": "epss",
              "exploitdb": "exploitdb"}
BATCH = 5000
MAX_WARNINGS = 50

Progress = Callable[[int], None]


@dataclass(slots=True)
class ImportReport:
    """What one file did to the catalogs."""

    source: str
    path: str
    records: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    cursor: str | None = None
    skipped: str | None = None  # why the file was not read again

    def warn(self, text: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(text)
        self.notes["warnings"] = self.notes.get("warnings", 0) + 1

    def line(self) -> str:
        extra = "".join(f", {v} {k}" for k, v in self.notes.items() if v)
        skipped = f" {self.skipped}:" if self.skipped else ""
        return (f"{self.source} {self.path}:{skipped} {self.records} records: "
                f"{self.inserted} inserted, "
                f"{self.updated} updated, {self.unchanged} unchanged{extra}")


def input_problem(source: str, path: Path) -> str | None:
    """Why ``path`` cannot be imported as ``source`` (checked before any database
    work), or None. Only CVE 5 reads folders."""
    return path_problem(path, folder_ok=source == "cve5")


def import_file(db: Database, source: str, path: Path, *, url: str | None = None,
                progress: Progress | None = None, full: bool = False,
                force: bool = False) -> ImportReport:
    """Import one file of ``source`` in one transaction and record the sync in cve_feeds.

    An NVD file given by path (``url`` None) is first compared with the file of the same
    name imported before (:mod:`digests`): when its bytes are identical it is not read
    again and the report says so. ``force`` reads it anyway; ``full`` (NVD) also re-reads
    records whose ``lastModified`` is already stored.
    """
    if source not in SOURCES:
        raise FeedError(str(path), None, f"unknown source {source!r}; one of "
                        f"{', '.join(SOURCES)}")
    run = _IMPORTERS[source]
    if full and source == "nvd":
        run = functools.partial(import_nvd, full=True)
    origin = url or str(path)
    digest = file_digest(path) if source == "nvd" and url is None and path.is_file() else None
    try:
        with db.transaction() as tx:
            # imports run one at a time: two inserting the same new CVE would otherwise
            # end one of them on the catalog's primary key
            in_turn = tx.dialect.snippets.writers_in_turn("cve_feeds")
            if in_turn:
                tx.exec(in_turn)
            same = digest and not (force or full) and imported_before(tx, source, digest)
            if same:
                report = ImportReport(source, str(path), records=same.records,
                                      unchanged=same.records, skipped=same.describe())
            else:
                report = run(tx, path, progress or _quiet)
            feed_synced(tx, source, origin, report.cursor)
            if digest and not same:
                remember(tx, digest, source=source, kind=FEED_KINDS[source], url=origin,
                         records=report.records)
    except MonozuError as exc:
        with contextlib.suppress(MonozuError), db.transaction() as tx:
            feed_failed(tx, source, origin, str(exc))
        raise
    return report


def _quiet(_: int) -> None:
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def _batches(rows: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _stored_dates(tx: Tx, cve_ids: list[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for start in range(0, len(cve_ids), 1000):
        for row in tx.select(_Stored, sql.STORED_DATES, cve_ids=cve_ids[start:start + 1000]):
            found[row.cve_id] = row.last_modified_at
    return found


def _count(tx: Tx, table: str) -> int:
    return int(tx.get_value(f"SELECT COUNT(*) FROM {table}"))


# -- NVD ------------------------------------------------------------------------------------
def _cve_row(record: CveRecord) -> tuple[Any, ...]:
    p, v31, v40 = record.primary, record.cvss_v31, record.cvss_v40
    return (record.cve_id, record.description, record.published_at, record.last_modified_at,
            record.vuln_status, p.score if p else None, p.severity if p else None,
            p.vector if p else None, p.version if p else None,
            v31.score if v31 else None, v31.vector if v31 else None,
            v40.score if v40 else None, v40.vector if v40 else None)


def _match_row(cve_id: str, m: CpeMatchRow) -> tuple[Any, ...]:
    return (cve_id, m.config_group, m.node_operator, m.criteria, m.vulnerable,
            m.version_start_including, m.version_start_excluding, m.version_end_including,
            m.version_end_excluding)


@dataclass(slots=True)
class _Stored:
    cve_id: str
    last_modified_at: datetime


def import_nvd(tx: Tx, path: Path, progress: Progress, *, full: bool = False) -> ImportReport:
    """Stage the file's CVEs and apply what differs.

    A CVE whose ``lastModified`` equals (or is older than) the stored one is skipped before
    it is interpreted: NVD changes ``lastModified`` with every change to a record, so an
    unchanged file costs little more than reading it. ``full`` stages every record anyway.
    """
    report = ImportReport("nvd", str(path))
    name = str(path)
    stage = Staging(tx, "cve", "match", "changed")
    seen: set[str] = set()
    newest: datetime | None = None
    same = older = 0
    for batch in _batches(iter_cves(path), 2000):
        ids = [check_cve_id(cve.get("id"), name, label) for cve, label in batch]
        stored = {} if full else _stored_dates(tx, ids)
        records: list[CveRecord] = []
        for cve_id, (cve, label) in zip(ids, batch, strict=True):
            if cve_id in seen:
                raise FeedError(name, cve_id, "appears twice in the file")
            seen.add(cve_id)
            when = stored.get(cve_id)
            if when is not None:
                incoming = parse_timestamp(cve.get("lastModified"), name, cve_id,
                                           "lastModified", past=True)
                if incoming is not None and incoming <= when:
                    same += incoming == when
                    older += incoming < when
                    newest = max(newest or incoming, incoming)
                    continue
            records.append(cve_record(cve, name, label))
        matches: list[tuple[Any, ...]] = []
        for record in records:
            matches.extend(_match_row(record.cve_id, m) for m in record.matches)
            for warning in record.warnings:
                report.warn(f"{record.cve_id}: {warning}")
            if record.last_modified_at and (newest is None or record.last_modified_at > newest):
                newest = record.last_modified_at
        stage.load("cve", sql.CVE_COLUMNS + sql.SCORE_COLUMNS, map(_cve_row, records))
        stage.load("match", sql.MATCH_COLUMNS, matches)
        progress(len(seen))
    report.records = len(seen)
    report.cursor = newest.isoformat() if newest else None
    stage.index()
    base = {"cve5_base": CVE5_GROUP_BASE}
    tx.exec(stage.sql(sql.NVD_CHANGED), base)
    dropped = tx.exec(stage.sql(sql.NVD_DROP_OLDER))
    changed = _count(tx, stage.tables["changed"])
    report.inserted = int(tx.get_value(stage.sql(sql.COUNT_NEW)))
    report.updated = changed - report.inserted
    report.unchanged = report.records - changed
    report.notes["kept newer"] = older + max(dropped, 0)
    in_changed = "x.cve_id IN (SELECT cve_id FROM {changed})"
    now = {"now": _now()}
    tx.exec(stage.update_from("cve_catalog", "cve", "cve_id",
                              {c: f"x.{c}" for c in sql.CVE_COLUMNS[1:]}, in_changed))
    tx.exec(stage.sql(sql.NVD_INSERT_CATALOG))
    tx.exec(stage.update_from("cve_scores_cache", "cve", "cve_id",
                              {**{c: f"x.{c}" for c in sql.SCORE_COLUMNS}, "fetched_at": ":now"},
                              in_changed), now)
    tx.exec(stage.sql(sql.NVD_INSERT_SCORES), now)
    tx.exec(stage.sql(sql.NVD_DELETE_MATCHES), base)
    tx.exec(stage.sql(sql.NVD_INSERT_MATCHES))
    stage.drop()
    return report


# -- CVE 5 ----------------------------------------------------------------------------------
def import_cve5(tx: Tx, path: Path, progress: Progress) -> ImportReport:
    """Stage the records and apply what differs, like NVD (see ``sql.CVE5_CHANGED``).

    A CVE listed twice (a delta naming it as new and updated) counts once: the later record
    replaces the earlier one in staging.
    """
    report = ImportReport("cve5", str(path))
    if is_delta(path):
        delta = parse_delta(path)
        report.cursor = delta.fetch_time.isoformat() if delta.fetch_time else None
        files = [local_record_path(path.parent, e.cve_id) for e in delta.entries]
        present = [f for f in files if f.is_file()]
        report.notes["not found locally"] = len(files) - len(present)
        records: Iterable[CveRecord] = (r for f in present for r in parse_cve5(f))
    else:
        records = parse_cve5(path)
    stage = Staging(tx, "cve5", "match", "changed")
    staged: set[str] = set()
    newest: datetime | None = None
    for batch in _batches(records, 2000):
        latest = {r.cve_id: r for r in batch}
        for cve_id in staged & latest.keys():
            for table in ("cve5", "match"):
                tx.exec(f"DELETE FROM {stage.tables[table]} WHERE cve_id = :cve_id",
                        cve_id=cve_id)
        staged.update(latest)
        stage.load("cve5", sql.CVE5_COLUMNS, map(_cve5_row, latest.values()))
        stage.load("match", sql.MATCH_COLUMNS, (
            _match_row(r.cve_id, m) for r in latest.values() if r.vuln_status != "Rejected"
            for m in r.matches))
        for record in batch:
            for warning in record.warnings:
                report.warn(f"{record.cve_id}: {warning}")
            if record.last_modified_at and (newest is None or record.last_modified_at > newest):
                newest = record.last_modified_at
        progress(len(staged))
    report.records = len(staged)
    stage.index()
    params = {"cve5_base": CVE5_GROUP_BASE, "rejected": "Rejected"}
    tx.exec(stage.sql(sql.CVE5_CHANGED), params)
    changed = _count(tx, stage.tables["changed"])
    report.inserted = int(tx.get_value(stage.sql(sql.COUNT_NEW)))
    report.updated = changed - report.inserted
    report.unchanged = report.records - changed
    tx.exec(stage.sql(sql.CVE5_INSERT_CATALOG))
    tx.exec(stage.update_from("cve_catalog", "cve5", "cve_id", sql.CVE5_FILL,
                              "x.cve_id IN (SELECT cve_id FROM {changed})"),
            rejected=params["rejected"])
    tx.exec(stage.sql(sql.CVE5_DELETE_MATCHES), params)
    tx.exec(stage.sql(sql.CVE5_INSERT_MATCHES), cve5_base=CVE5_GROUP_BASE)
    stage.drop()
    if report.cursor is None and newest is not None:
        report.cursor = newest.isoformat()
    return report


def _cve5_row(record: CveRecord) -> tuple[Any, ...]:
    # last_modified_at is NVD's lastModified: it stays empty until NVD has the CVE, so
    # the CVE list's own update time never makes an NVD record look older
    p = record.primary
    return (record.cve_id, record.description, record.published_at, record.vuln_status,
            p.score if p else None, p.severity if p else None, p.vector if p else None,
            p.version if p else None)


# -- KEV ------------------------------------------------------------------------------------
def import_kev(tx: Tx, path: Path, progress: Progress) -> ImportReport:
    report = ImportReport("kev", str(path))
    entries = {e.cve_id: e for e in parse_kev(path)}
    report.records = len(entries)
    progress(report.records)
    stage = Staging(tx, "kev")
    stage.load("kev", ("cve_id", "kev_date_added", "kev_due_date", "kev_ransomware"),
               ((e.cve_id, e.date_added, e.due_date, e.ransomware) for e in entries.values()))
    stage.index()
    flags = {"yes": True, "no": False}
    yes = {"yes": True}
    changed = int(tx.get_value(stage.sql(sql.KEV_COUNT_CHANGED), yes))
    report.inserted = tx.exec(stage.sql(sql.KEV_INSERT_MISSING), yes)
    tx.exec(stage.update_from("cve_catalog", "kev", "cve_id", {
        "is_kev": ":yes", "kev_date_added": "x.kev_date_added",
        "kev_due_date": "x.kev_due_date", "kev_ransomware": "x.kev_ransomware"}), yes)
    report.notes["left the catalog"] = tx.exec(stage.sql(sql.KEV_CLEAR), flags)
    report.updated = changed - report.inserted
    report.unchanged = report.records - changed
    added = [e.date_added for e in entries.values() if e.date_added]
    report.cursor = max(added).date().isoformat() if added else None
    stage.drop()
    return report


# -- EPSS -----------------------------------------------------------------------------------
def import_epss(tx: Tx, path: Path, progress: Progress) -> ImportReport:
    report = ImportReport("epss", str(path))
    stage = Staging(tx, "epss")
    seen: set[str] = set()
    with EpssFile(path) as epss:
        header = epss.header
        for batch in _batches(epss.scores()):
            for score in batch:
                if score.cve_id in seen:
                    raise FeedError(str(path), score.cve_id, "appears twice in the file")
                seen.add(score.cve_id)
            stage.load("epss", ("cve_id", "epss", "epss_percentile"),
                       ((s.cve_id, s.epss, s.percentile) for s in batch))
            progress(len(seen))
    report.records = len(seen)
    stage.index()
    params = {"model": header.model_version, "score_date": header.score_date, "now": _now()}
    changed = int(tx.get_value(stage.sql(sql.EPSS_COUNT_CHANGED), model=params["model"],
                               score_date=params["score_date"]))
    report.inserted = tx.exec(stage.sql(sql.EPSS_INSERT), params)
    differs = ("(t.epss IS NULL OR t.epss <> x.epss OR t.epss_percentile IS NULL "
               "OR t.epss_percentile <> x.epss_percentile OR t.epss_model_version IS NULL "
               "OR t.epss_model_version <> :model OR t.score_date IS NULL "
               "OR t.score_date <> :score_date)")
    tx.exec(stage.update_from("cve_scores_cache", "epss", "cve_id", {
        "epss": "x.epss", "epss_percentile": "x.epss_percentile",
        "epss_model_version": ":model", "score_date": ":score_date", "fetched_at": ":now"},
        differs), params)
    report.notes["scores cleared"] = tx.exec(stage.sql(sql.EPSS_CLEAR), now=params["now"])
    report.updated = changed - report.inserted
    report.unchanged = report.records - changed
    report.cursor = f"{header.model_version} {header.score_date.isoformat()}"
    stage.drop()
    return report


# -- ExploitDB ------------------------------------------------------------------------------
def import_exploitdb(tx: Tx, path: Path, progress: Progress) -> ImportReport:
    report = ImportReport("exploitdb", str(path))
    stage = Staging(tx, "edb", "edb_cve")
    top = 0
    for batch in _batches(parse_exploitdb(path)):
        stage.load("edb", sql.EDB_COLUMNS, (
            tuple(getattr(e.row, c) for c in sql.EDB_COLUMNS) for e in batch))
        stage.load("edb_cve", ("edb_id", "cve_id"),
                   ((e.edb_id, c) for e in batch for c in e.cve_ids))
        report.records += len(batch)
        top = max(top, *(e.edb_id for e in batch))
        progress(report.records)
    stage.index()
    new = int(tx.get_value(stage.sql(sql.EDB_COUNT_NEW)))
    changed = int(tx.get_value(stage.sql(sql.EDB_COUNT_CHANGED)))
    tx.exec(stage.update_from("exploitdb_exploits", "edb", "edb_id",
                              {c: f"x.{c}" for c in sql.EDB_COLUMNS[1:]}))
    tx.exec(stage.sql(sql.EDB_INSERT))
    report.notes["CVE links removed"] = tx.exec(stage.sql(sql.EDB_DELETE_LINKS))
    report.notes["CVE links added"] = tx.exec(stage.sql(sql.EDB_INSERT_LINKS))
    report.inserted = new
    report.updated = changed - new
    report.unchanged = report.records - changed
    report.cursor = str(top) if top else None
    stage.drop()
    return report


_IMPORTERS: dict[str, Callable[[Tx, Path, Progress], ImportReport]] = {
    "nvd": import_nvd, "cve5": import_cve5, "kev": import_kev, "epss": import_epss,
    "exploitdb": import_exploitdb}


# -- feed state -----------------------------------------------------------------------------
def feed_synced(tx: Tx, source: str, url: str, cursor: str | None) -> None:
    """Record a successful sync; an NVD or CVE 5 cursor only ever moves forward."""
    found = tx.select(dict, sql.FEED_GET, name=source)
    if found and cursor is not None and source in ("nvd", "cve5"):
        old = found[0]["sync_cursor"]
        cursor = max(cursor, old) if old else cursor
    elif found and cursor is None:
        cursor = found[0]["sync_cursor"]
    values = {"name": source, "url": url[:2000], "last_synced_at": _now(),
              "sync_cursor": cursor[:500] if cursor else None}
    if found:
        tx.exec(sql.FEED_SYNCED, values)
    else:
        tx.exec(sql.FEED_INSERT, values, id=uuid.uuid4(), kind=FEED_KINDS[source], yes=True,
                last_error=None)


def feed_failed(tx: Tx, source: str, url: str, error: str) -> None:
    if not tx.exec(sql.FEED_FAILED, name=source, last_error=error):
        tx.exec(sql.FEED_INSERT, id=uuid.uuid4(), name=source, kind=FEED_KINDS[source],
                url=url[:2000], yes=True, last_synced_at=None, sync_cursor=None,
                last_error=error)
