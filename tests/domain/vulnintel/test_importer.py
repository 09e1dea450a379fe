"""Imports into the global catalogs, on real SQLite and real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from monozu.db import Database, connect
from monozu.db.models import CveCatalogEntry, CveFeed, CveScoresCacheEntry
from monozu.domain.vulnintel import FeedError, importer
from monozu.domain.vulnintel.digests import Digest, file_digest
from monozu.domain.vulnintel.importer import import_file
from monozu.domain.vulnintel.records import CVE5_GROUP_BASE
from tests.domain.vulnintel.conftest import gz


def _counts(report: object) -> tuple[int, int, int]:
    return (report.inserted, report.updated, report.unchanged)  # type: ignore[attr-defined]


def _value(db: Database, query: str, **params: object) -> object:
    return db.get_value(query, params)


def test_every_source_and_reimport_changes_nothing(db: Database, feeds: Path) -> None:
    files = [("nvd", "nvd/nvd-page-1.json"), ("nvd", "nvd/nvd-page-2.json"),
             ("cve5", "cvelist5"), ("kev", "kev/known_exploited_vulnerabilities.json"),
             ("epss", "epss/epss_scores-sample.csv"),
             ("exploitdb", "exploitdb/files_exploits-handmade.csv")]
    first = [import_file(db, source, feeds / name) for source, name in files]
    assert _counts(first[0]) == (15, 0, 0)
    assert _counts(first[1]) == (4, 0, 0)
    assert first[4].records == 1543 and first[5].records == 10
    again = [import_file(db, source, feeds / name) for source, name in files]
    for report in again:
        assert (report.inserted, report.updated) == (0, 0), report.line()
        assert report.unchanged == report.records
    # staged in full, the set-based comparison finds nothing to change either
    full = import_file(db, "nvd", feeds / "nvd/nvd-page-1.json", full=True)
    assert _counts(full) == (0, 0, 15)
    csv_again = import_file(db, "kev", feeds / "kev/known_exploited_vulnerabilities.csv")
    assert _counts(csv_again) == (0, 0, 1404)

    log4j = db.get(CveCatalogEntry, "SELECT * FROM cve_catalog WHERE cve_id = :id",
                   id="CVE-2021-44228")
    assert log4j.cvss_score == 10.0 and log4j.cvss_version == "3.1"
    assert log4j.is_kev and log4j.kev_date_added is not None
    assert log4j.kev_date_added.date().isoformat() == "2021-12-10"
    assert _value(db, "SELECT COUNT(*) FROM cve_cpe_matches WHERE cve_id = :id",
                  id="CVE-2021-44228") == 408
    scores = db.get(CveScoresCacheEntry, "SELECT * FROM cve_scores_cache WHERE cve_id = :id",
                    id="CVE-2021-44228")
    assert scores.cvss_v31_vector is not None and scores.cvss_v31_vector.startswith("CVSS:3.1/")
    assert (scores.epss, scores.epss_model_version) == (0.99999, "v2026.06.15")
    assert _value(db, "SELECT COUNT(*) FROM exploitdb_cves WHERE cve_id = :id",
                  id="CVE-2021-44228") == 3
    # CVE 5 data stands in for a CVE NVD has not analysed
    assert _value(db, "SELECT COUNT(*) FROM cve_cpe_matches WHERE cve_id = :id "
                  "AND config_group >= :base", id="CVE-2024-3400", base=CVE5_GROUP_BASE) == 6
    feeds_state = {r.name: r for r in db.select(CveFeed, "SELECT * FROM cve_feeds")}
    # one row per source, and one per NVD file imported by path (its digest)
    assert set(feeds_state) == {"nvd", "cve5", "kev", "epss", "exploitdb",
                                "nvd:nvd-page-1.json", "nvd:nvd-page-2.json"}
    assert again[0].skipped and not full.skipped
    assert (feeds_state["nvd"].sync_cursor or "").startswith("2026-06-17")
    assert all(r.last_error is None and r.last_synced_at for r in feeds_state.values())


def _page(feeds: Path) -> Any:
    return json.loads((feeds / "nvd/nvd-page-2.json").read_text())


def test_bad_file_changes_nothing_and_is_recorded(db: Database, feeds: Path,
                                                  tmp_path: Path) -> None:
    import_file(db, "nvd", feeds / "nvd/nvd-page-1.json")
    page = _page(feeds)
    page["vulnerabilities"][3]["cve"]["id"] = "CVE-2021-442"
    bad = tmp_path / "nvdcve-2.0-modified.json"
    bad.write_text(json.dumps(page))
    with pytest.raises(FeedError, match="record 4: 'CVE-2021-442' is not a CVE id"):
        import_file(db, "nvd", bad)
    assert _value(db, "SELECT COUNT(*) FROM cve_catalog") == 15
    error = _value(db, "SELECT last_error FROM cve_feeds WHERE name = 'nvd'")
    assert isinstance(error, str) and "CVE-2021-442" in error
    report = import_file(db, "nvd", feeds / "nvd/nvd-page-2.json")
    assert _counts(report) == (4, 0, 0)
    assert _value(db, "SELECT last_error FROM cve_feeds WHERE name = 'nvd'") is None


def test_changed_cve_replaces_its_match_rows_and_older_never_wins(
        db: Database, feeds: Path, tmp_path: Path) -> None:
    import_file(db, "nvd", feeds / "nvd/nvd-page-2.json")
    page = _page(feeds)
    cve = page["vulnerabilities"][0]["cve"]
    cve_id = cve["id"]
    cve["lastModified"] = "2026-09-01T00:00:00.000"
    cve["configurations"] = [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
        {"vulnerable": True, "criteria": "cpe:2.3:a:x:easy2pilot:*:*:*:*:*:*:*:*",
         "versionEndExcluding": "8.0", "matchCriteriaId": "0"}]}]}]
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(page))
    assert _counts(import_file(db, "nvd", newer)) == (0, 1, 3)
    rows = db.select(dict, "SELECT criteria, version_end_excluding FROM cve_cpe_matches "
                     "WHERE cve_id = :id", id=cve_id)
    assert rows == [{"criteria": "cpe:2.3:a:x:easy2pilot:*:*:*:*:*:*:*:*",
                     "version_end_excluding": "8.0"}]
    # the fixture's own, older copy of the record does not overwrite the newer one (read
    # with force: the identical file would not be read at all)
    report = import_file(db, "nvd", feeds / "nvd/nvd-page-2.json", force=True)
    assert _counts(report) == (0, 0, 4) and report.notes["kept newer"] == 1
    assert _value(db, "SELECT COUNT(*) FROM cve_cpe_matches WHERE cve_id = :id", id=cve_id) == 1


def test_epss_is_replaced_as_a_whole(db: Database, feeds: Path, tmp_path: Path) -> None:
    import_file(db, "epss", feeds / "epss/epss_scores-sample.csv")
    lines = (feeds / "epss/epss_scores-sample.csv").read_text().splitlines()
    later = tmp_path / "epss_scores-2026-10-01.csv"
    later.write_text("\n".join(["#model_version:v2027.01.01,score_date:2026-10-01T12:00:00Z",
                                lines[1], *lines[2:102]]) + "\n")
    report = import_file(db, "epss", later)
    assert (report.updated, report.notes["scores cleared"]) == (100, 1443)
    assert db.select(str, "SELECT DISTINCT epss_model_version FROM cve_scores_cache "
                     "WHERE epss IS NOT NULL") == ["v2027.01.01"]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1], lines[2], lines[3].replace(",0.", ",7.", 1)]))
    with pytest.raises(FeedError, match="line 4: epss 7"):
        import_file(db, "epss", bad)
    assert _value(db, "SELECT COUNT(*) FROM cve_scores_cache WHERE epss IS NOT NULL") == 100


def test_kev_flags_follow_the_catalog(db: Database, feeds: Path, tmp_path: Path) -> None:
    import_file(db, "nvd", feeds / "nvd/nvd-page-1.json")
    import_file(db, "kev", feeds / "kev/known_exploited_vulnerabilities.json")
    data = json.loads((feeds / "kev/known_exploited_vulnerabilities.json").read_text())
    data["vulnerabilities"] = [v for v in data["vulnerabilities"]
                               if v["cveID"] != "CVE-2021-44228"]
    smaller = tmp_path / "kev.json"
    smaller.write_text(json.dumps(data))
    report = import_file(db, "kev", smaller)
    assert report.notes["left the catalog"] == 1
    row = db.get(CveCatalogEntry, "SELECT * FROM cve_catalog WHERE cve_id = :id",
                 id="CVE-2021-44228")
    assert not row.is_kev and row.kev_date_added is None


def test_nvd_configurations_supersede_cve5_rows(db: Database, feeds: Path,
                                                tmp_path: Path) -> None:
    import_file(db, "cve5", feeds / "cvelist5/CVE-2024-3400.json")
    page = _page(feeds)
    record = json.loads((feeds / "nvd/nvd-page-1.json").read_text())["vulnerabilities"][3]
    assert record["cve"]["id"] == "CVE-2024-3400"
    record["cve"]["configurations"] = [{"nodes": [{"operator": "OR", "negate": False,
                                                   "cpeMatch": [{
        "vulnerable": True, "criteria": "cpe:2.3:o:paloaltonetworks:pan-os:*:*:*:*:*:*:*:*",
        "versionStartIncluding": "10.2.0", "versionEndExcluding": "10.2.9-h1",
        "matchCriteriaId": "0"}]}]}]
    page["vulnerabilities"] = [record]
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    assert _counts(import_file(db, "nvd", path)) == (0, 1, 0)
    groups = db.select(int, "SELECT config_group FROM cve_cpe_matches WHERE cve_id = :id",
                       id="CVE-2024-3400")
    assert groups == [0]
    assert _counts(import_file(db, "cve5", feeds / "cvelist5/CVE-2024-3400.json")) == (0, 0, 1)
    assert db.select(int, "SELECT config_group FROM cve_cpe_matches WHERE cve_id = :id",
                     id="CVE-2024-3400") == [0]


def _catalog_row_count(db: Database) -> int:
    return int(_value(db, "SELECT COUNT(*) FROM cve_catalog"))  # type: ignore[call-overload]


def test_an_identical_nvd_file_is_not_read_again(db: Database, feeds: Path,
                                                 tmp_path: Path) -> None:
    page = tmp_path / "nvdcve-2.0-2021.json.gz"
    gz(page, (feeds / "nvd/nvd-page-1.json").read_bytes())
    (tmp_path / "nvdcve-2.0-2021.meta").write_text(
        "lastModifiedDate:2026-10-01T03:00:01-04:00\nsize:1\nzipSize:1\ngzSize:1\n"
        f"sha256:{'AB' * 32}\n")
    first = import_file(db, "nvd", page)
    assert first.skipped is None and _counts(first) == (15, 0, 0)
    row = db.get(CveFeed, "SELECT * FROM cve_feeds WHERE name = :n",
                 n="nvd:nvdcve-2.0-2021.json.gz")
    assert row.sync_cursor == (f"sha256={hashlib.sha256(page.read_bytes()).hexdigest()} "
                               f"records=15 meta-sha256={'ab' * 32}")
    # proof that it is not read: a record changed behind its back stays changed
    db.exec("UPDATE cve_catalog SET description = 'edited' WHERE cve_id = 'CVE-2021-44228'")
    again = import_file(db, "nvd", page)
    assert again.skipped and "unchanged file" in again.line()
    assert (again.records, *_counts(again)) == (15, 0, 0, 15)
    assert _value(db, "SELECT description FROM cve_catalog WHERE cve_id = :id",
                  id="CVE-2021-44228") == "edited"
    # --force reads it (NVD's lastModified is unchanged, so the record is still skipped);
    # --full stages every record and restores it
    forced = import_file(db, "nvd", page, force=True)
    assert forced.skipped is None and _counts(forced) == (0, 0, 15)
    full = import_file(db, "nvd", page, full=True)
    assert full.skipped is None and _counts(full) == (0, 1, 14)
    # other bytes under the same name are read, and become the file to compare with
    gz(page, (feeds / "nvd/nvd-page-2.json").read_bytes())
    other = import_file(db, "nvd", page)
    assert other.skipped is None and _counts(other) == (4, 0, 0)
    assert import_file(db, "nvd", page).skipped
    assert _catalog_row_count(db) == 19


def test_a_failed_import_records_no_digest(db: Database, feeds: Path, tmp_path: Path) -> None:
    page = tmp_path / "nvdcve-2.0-2021.json"
    page.write_bytes((feeds / "nvd/nvd-page-1.json").read_bytes()[:-200])
    for _ in range(2):  # the second attempt reads the file again and fails again
        with pytest.raises(FeedError, match="ends early"):
            import_file(db, "nvd", page)
    assert not db.select(str, "SELECT name FROM cve_feeds WHERE name LIKE 'nvd:%'")
    assert _catalog_row_count(db) == 0


def _cve5_rows(db: Database, cve_id: str) -> list[str]:
    return sorted(db.select(str, "SELECT criteria FROM cve_cpe_matches WHERE cve_id = :id",
                            id=cve_id))


def test_cve5_changes_are_applied_set_based(db: Database, feeds: Path, tmp_path: Path) -> None:
    record = json.loads((feeds / "cvelist5/CVE-2024-3400.json").read_text())
    folder = tmp_path / "2024" / "3xxx"
    folder.mkdir(parents=True)
    path = folder / "CVE-2024-3400.json"
    path.write_text(json.dumps(record))
    # a delta naming the same CVE as new and as updated: one record
    entry = {"cveId": "CVE-2024-3400", "dateUpdated": "2025-01-01T00:00:00Z"}
    delta = tmp_path / "delta.json"
    delta.write_text(json.dumps({"fetchTime": "2025-01-02T00:00:00Z", "numberOfChanges": 2,
                                 "new": [entry], "updated": [entry], "error": []}))
    first = import_file(db, "cve5", delta)
    assert (first.records, *_counts(first)) == (1, 1, 0, 0)
    rows = _cve5_rows(db, "CVE-2024-3400")
    assert len(rows) == 6
    assert _counts(import_file(db, "cve5", path)) == (0, 0, 1)

    # the CNA narrows its product list: the CVE 5 rows are replaced as a whole
    cna = record["containers"]["cna"]
    cna["affected"] = cna["affected"][:1]
    record["containers"]["adp"] = []
    path.write_text(json.dumps(record))
    assert _counts(import_file(db, "cve5", path)) == (0, 1, 0)
    fewer = _cve5_rows(db, "CVE-2024-3400")
    assert fewer and set(fewer) < set(rows)
    assert _counts(import_file(db, "cve5", path)) == (0, 0, 1)

    # rejected: the entry says so and loses every match row; the description stays
    record["cveMetadata"]["state"] = "REJECTED"
    record["containers"] = {"cna": {"rejectedReasons": [{"lang": "en", "value": "dup"}]}}
    path.write_text(json.dumps(record))
    assert _counts(import_file(db, "cve5", path)) == (0, 1, 0)
    entry_row = db.get(CveCatalogEntry, "SELECT * FROM cve_catalog WHERE cve_id = :id",
                       id="CVE-2024-3400")
    assert entry_row.vuln_status == "Rejected" and entry_row.cvss_score == 10.0
    assert _cve5_rows(db, "CVE-2024-3400") == []
    assert _counts(import_file(db, "cve5", path)) == (0, 0, 1)


SOURCES = ("nvd", "cve5", "kev", "epss", "exploitdb")


@pytest.mark.parametrize(("source", "kind"), [
    *((s, k) for s in SOURCES for k in ("device", "fifo")),
    ("cve5", "fifo-in-folder"),  # only cve5 reads folders
])
def test_a_device_or_pipe_is_refused_before_it_is_read(db: Database, source: str, kind: str,
                                                        tmp_path: Path) -> None:
    """/dev/zero or a FIFO would be read forever (a line without end grows in memory)."""
    import os

    if kind == "device":
        path = Path("/dev/zero")
    else:
        folder = tmp_path / "2024" if kind == "fifo-in-folder" else tmp_path
        folder.mkdir(exist_ok=True)
        os.mkfifo(folder / "CVE-2024-0001.json")  # nothing ever writes to it
        path = tmp_path if kind == "fifo-in-folder" else folder / "CVE-2024-0001.json"
    with pytest.raises(FeedError, match="not a regular file"):
        import_file(db, source, path)
    assert _value(db, "SELECT COUNT(*) FROM cve_catalog") == 0


def test_two_imports_at_once_run_in_turn(db: Database, migrated_url: str, feeds: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The second import of a new file waits for the first instead of failing on the
    catalog's primary key (its inserts would wait on the first's, then conflict)."""
    holding, go = threading.Event(), threading.Event()
    synced = importer.feed_synced

    def held(tx: Any, *args: Any) -> None:
        synced(tx, *args)
        if threading.current_thread().name == "first":
            holding.set()  # the catalog rows are written, not yet committed
            go.wait(10)

    monkeypatch.setattr(importer, "feed_synced", held)
    page = feeds / "nvd" / "nvd-page-1.json"
    first = threading.Thread(target=import_file, args=(db, "nvd", page), name="first")
    first.start()
    assert holding.wait(10)
    other = connect(migrated_url)
    try:
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(import_file, other, "nvd", page, force=True)
            time.sleep(1.0)  # the second import is now waiting
            go.set()
            first.join(10)
            report = second.result(20)
    finally:
        other.close()
    assert (report.records, report.inserted, report.unchanged) == (15, 0, 15)
    assert db.get_value("SELECT COUNT(*) FROM cve_catalog") == 15


def test_a_meta_file_that_is_not_a_small_regular_file_is_passed_over(tmp_path: Path,
                                                                     feeds: Path) -> None:
    """A FIFO named like NVD's .meta blocked the import in open(); a huge one was read
    whole. The digest then leaves meta-sha256 out, as when there is no .meta."""
    page = gz(tmp_path / "nvdcve-2.0-2021.json.gz",
              (feeds / "nvd/nvd-page-1.json").read_bytes())
    os.mkfifo(tmp_path / "nvdcve-2.0-2021.meta")
    found: list[Digest] = []
    worker = threading.Thread(target=lambda: found.append(file_digest(page)), daemon=True)
    worker.start()
    worker.join(30)  # a hang guard: it takes milliseconds
    assert not worker.is_alive(), "blocked opening the FIFO"
    assert found[0].meta_sha256 is None
    (tmp_path / "nvdcve-2.0-2021.meta").unlink()
    (tmp_path / "nvdcve-2.0-2021.meta").write_text("x" * 10_000 + f"\nsha256:{'ab' * 32}\n")
    assert file_digest(page).meta_sha256 is None  # beyond the first 4 KB: not NVD's
    (tmp_path / "nvdcve-2.0-2021.meta").write_text(f"size:1\nsha256:{'AB' * 32}\n")
    assert file_digest(page).meta_sha256 == "ab" * 32
