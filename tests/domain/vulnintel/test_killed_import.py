"""An import killed half-way (SIGKILL, a lost machine) leaves the catalogs as they were.

The CLI imports a generated NVD file of 20,000 CVEs in a child process, killed when it
reports its first staged batch or a little later; the catalog, its match rows and the
feed's record must then be exactly what the last complete import left (or, if the kill
came after the commit, the whole file), and the same file must import in full afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monozu.db import Database, connect
from monozu.db.models import CveFeed

RECORDS = 20_000


def _big_nvd_file(feeds: Path, path: Path) -> None:
    page = json.loads((feeds / "nvd" / "nvd-page-1.json").read_text())
    shapes = [v for v in page["vulnerabilities"]
              if v["cve"]["id"] in ("CVE-2023-3595", "CVE-2024-3400")]
    items = []
    for n in range(RECORDS):
        record = json.loads(json.dumps(shapes[n % len(shapes)]))
        record["cve"]["id"] = f"CVE-2031-{n:05d}"
        items.append(record)
    page.update(vulnerabilities=items, resultsPerPage=RECORDS, totalResults=RECORDS)
    path.write_text(json.dumps(page))


def _state(db: Database) -> tuple[object, ...]:
    return (db.get_value("SELECT count(*) FROM cve_catalog"),
            db.get_value("SELECT count(*) FROM cve_cpe_matches"),
            db.get_value("SELECT count(*) FROM cve_scores_cache"),
            tuple(db.select(CveFeed, "SELECT * FROM cve_feeds ORDER BY kind")))


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "monozu.cli", "cve", "import", *args]


@pytest.mark.parametrize("after", [0.0, 0.2, 0.5, 1.0])
def test_an_import_killed_at_any_point_is_all_or_nothing(
        migrated_url: str, feeds: Path, tmp_path: Path, after: float) -> None:
    big = tmp_path / "nvdcve-2.0-2031.json"
    _big_nvd_file(feeds, big)
    small = str(feeds / "nvd" / "nvd-page-1.json")
    subprocess.run(_cli("nvd", small, "--url", migrated_url), check=True, capture_output=True)
    with connect(migrated_url) as db:
        before = _state(db)
    assert before[0] == 15

    child = subprocess.Popen(_cli("nvd", str(big), "--url", migrated_url),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    # The first progress line comes once the first batch is staged; the kill lands then
    # or `after` seconds later, while later batches are staged or the catalog is updated.
    line = child.stderr.readline()
    assert "records" in line, line
    time.sleep(after)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)

    with connect(migrated_url) as db:
        state = _state(db)
    # All or nothing: untouched, or the whole file. A SIGKILL can land after the commit
    # and before the process exits, so a killed child may still have imported it all.
    if state != before:
        assert state[0] == 15 + RECORDS, state
        assert state[3] != before[3]  # and its sync was recorded in the same commit
    done = subprocess.run(_cli("nvd", str(big), "--url", migrated_url), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with connect(migrated_url) as db:
        assert db.get_value("SELECT count(*) FROM cve_catalog") == 15 + RECORDS
