"""Benchmark: vulnerability-intelligence imports and matching at full-catalog scale.

A seeded generator writes a synthetic NVD set (yearly feed files of ``cve`` objects shaped
like the real fixtures: English and Spanish descriptions, CVSS v3.1 with v2 or v4.0 beside
it, references, weaknesses, configurations with ranges and firmware-on-hardware AND pairs),
an EPSS file with its header, a KEV catalog and an ExploitDB index with its quirks
(duplicate ids, 1970 dates, CVE ids in ``codes``). Then, on SQLite and on PostgreSQL:

* the full NVD import, each year file through ``monozu cve import`` in a fresh process
  (CVEs per second, peak memory of the process);
* the re-import of the largest unchanged year file, against its first import (and the same
  read anyway with ``--force``: the per-record path a modified file takes);
* EPSS, KEV and ExploitDB full refreshes;
* matching one tenant with many assets against the full catalog;

each beside the naive path (one ``exec`` per row, an existence check before each write)
measured on a sample in the same run and scaled to the full size.

Usage: ``.venv/bin/python bench/bench_vulnintel.py [--cves 400000] [--db sqlite,postgresql]``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from monozu.db import Database, connect  # noqa: E402
from monozu.db.migrate import Migrator  # noqa: E402
from monozu.domain.vulnintel import cpe  # noqa: E402
from monozu.domain.vulnintel.feeds.nvd import parse_nvd  # noqa: E402
from monozu.domain.vulnintel.matching import asset_names, evaluate, index_key  # noqa: E402
from monozu.domain.vulnintel.records import CpeMatchRow  # noqa: E402
from monozu.domain.vulnintel.service import match_tenants  # noqa: E402

FEED_TIME = datetime(2026, 10, 1)  # the generated feeds' timestamp: no date after it
GOALS = {"nvd": 600.0, "epss": 30.0, "kev": 2.0, "exploitdb": 20.0, "match": 30.0}
GOAL_PEAK_MB = 1024
GOAL_REIMPORT = 0.20

VECTORS_31 = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N",
]
VECTORS_2 = ["AV:N/AC:M/Au:N/C:C/I:C/A:C", "AV:N/AC:L/Au:N/C:P/I:P/A:P",
             "AV:L/AC:L/Au:N/C:C/I:C/A:C", "AV:N/AC:M/Au:N/C:N/I:P/A:N"]
VECTORS_40 = ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
              "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
              "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"]
STATUSES = ["Analyzed"] * 6 + ["Modified"] * 3 + ["Deferred", "Awaiting Analysis",
                                                   "Rejected"]
WORD_TEXT = ("buffer overflow in the web interface allows remote attackers to execute "
             "arbitrary code via a crafted request to the management service when "
             "authentication is disabled on affected firmware versions before the fixed release")
WORDS = WORD_TEXT.split()
EDB_HEADER = ("id,file,description,date_published,author,type,platform,port,date_added,"
              "date_updated,verified,codes,tags,aliases,screenshot_url,application_url,"
              "source_url")


@dataclass
class Catalog:
    """What the generator made: files and the products named in configurations."""

    years: dict[int, Path] = field(default_factory=dict)
    epss: Path | None = None
    kev: Path | None = None
    exploitdb: Path | None = None
    cve_ids: list[str] = field(default_factory=list)
    devices: list[tuple[str, str, list[str]]] = field(default_factory=list)
    apps: list[tuple[str, str, list[str]]] = field(default_factory=list)
    match_rows: int = 0


def _version(rng: random.Random) -> str:
    return f"{rng.randint(1, 15)}.{rng.randint(0, 12)}.{rng.randint(0, 30)}"


def _pools(rng: random.Random, vendors: int = 800) -> tuple[list[Any], list[Any]]:
    devices, apps = [], []
    for v in range(vendors):
        vendor = f"vendor{v}"
        for p in range(rng.randint(2, 12)):
            versions = sorted({_version(rng) for _ in range(6)}, key=cpe_key)
            if rng.random() < 0.4:
                devices.append((vendor, f"model-{v}-{p}", versions))
            else:
                apps.append((vendor, f"product{p}", versions))
    return devices, apps


def cpe_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def _configurations(rng: random.Random, cat: Catalog) -> list[dict[str, Any]]:
    configs: list[dict[str, Any]] = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if rng.random() < 0.3:  # firmware running on hardware
            vendor, model, versions = rng.choice(cat.devices)
            fw = {"vulnerable": True, "criteria": cpe.build("o", vendor, f"{model}_firmware"),
                  "versionEndExcluding": rng.choice(versions), "matchCriteriaId": "X"}
            hw = {"vulnerable": False, "criteria": cpe.build("h", vendor, model, "-"),
                  "matchCriteriaId": "Y"}
            configs.append({"operator": "AND", "nodes": [
                {"operator": "OR", "negate": False, "cpeMatch": [fw]},
                {"operator": "OR", "negate": False, "cpeMatch": [hw]}]})
            cat.match_rows += 2
            continue
        vendor, product, versions = rng.choice(cat.apps)
        matches = []
        for _ in range(rng.choice((1, 2, 2, 3, 4, 5, 8))):
            low, high = sorted(rng.sample(versions, 2), key=cpe_key)
            if rng.random() < 0.25:
                matches.append({"vulnerable": True, "matchCriteriaId": "Z",
                                "criteria": cpe.build("a", vendor, product, low)})
            else:
                matches.append({"vulnerable": True, "matchCriteriaId": "Z",
                                "criteria": cpe.build("a", vendor, product),
                                "versionStartIncluding": low, "versionEndExcluding": high})
        configs.append({"nodes": [{"operator": "OR", "negate": False, "cpeMatch": matches}]})
        cat.match_rows += len(matches)
    return configs


def _metric(version: str, vector: str, primary: bool) -> dict[str, Any]:
    return {"source": "nvd@nist.gov" if primary else "cna@example.com",
            "type": "Primary" if primary else "Secondary",
            "cvssData": {"version": version, "vectorString": vector}}


def _cve(rng: random.Random, cve_id: str, published: datetime, cat: Catalog) -> dict[str, Any]:
    status = rng.choice(STATUSES)
    text = " ".join(rng.choices(WORDS, k=rng.randint(15, 60)))
    record: dict[str, Any] = {
        "id": cve_id, "sourceIdentifier": "cna@example.com",
        "published": published.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
        # a feed's records were all modified before the feed was made
        "lastModified": min(published + timedelta(days=rng.randint(0, 900)),
                            FEED_TIME).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
        "vulnStatus": status, "cveTags": [],
        "descriptions": [{"lang": "en", "value": text}, {"lang": "es", "value": text[::-1]}],
        "metrics": {}, "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary",
                                       "description": [{"lang": "en", "value": "CWE-787"}]}],
        "references": [{"url": f"https://example.com/advisory/{cve_id}/{i}",
                        "source": "cna@example.com", "tags": ["Vendor Advisory"]}
                       for i in range(rng.randint(2, 8))]}
    if status == "Rejected":
        record.pop("metrics")
        return record
    metrics = record["metrics"]
    metrics["cvssMetricV31"] = [_metric("3.1", rng.choice(VECTORS_31), True)]
    if rng.random() < 0.3:
        metrics["cvssMetricV31"].insert(0, _metric("3.1", rng.choice(VECTORS_31), False))
    if rng.random() < 0.3:
        metrics["cvssMetricV2"] = [_metric("2.0", rng.choice(VECTORS_2), True)]
    if rng.random() < 0.1:
        metrics["cvssMetricV40"] = [_metric("4.0", rng.choice(VECTORS_40), False)]
    if status not in ("Deferred", "Awaiting Analysis"):
        record["configurations"] = _configurations(rng, cat)
    return record


def generate(folder: Path, cves: int, epss: int, exploits: int, seed: int) -> Catalog:
    rng = random.Random(seed)
    cat = Catalog()
    cat.devices, cat.apps = _pools(rng)
    per_year: dict[int, int] = {}
    for _ in range(cves):  # more CVEs in recent years, as in the real record
        year = min(2026, 1999 + int(27 * (rng.random() ** 0.45)))
        per_year[year] = per_year.get(year, 0) + 1
    number = 1000
    for year, count in sorted(per_year.items()):
        path = folder / f"nvdcve-2.0-{year}.json"
        with path.open("w") as out:
            out.write(f'{{"resultsPerPage": {count}, "startIndex": 0, "totalResults": {count}, '
                      '"format": "NVD_CVE", "version": "2.0", '
                      '"timestamp": "2026-10-01T00:00:00.000", "vulnerabilities": [\n')
            for i in range(count):
                number += rng.randint(1, 3)
                cve_id = f"CVE-{year}-{number:04d}"
                cat.cve_ids.append(cve_id)
                published = min(datetime(year, 1, 1) + timedelta(minutes=rng.randint(0, 500000)),
                                FEED_TIME)
                out.write(("," if i else "") + json.dumps(
                    {"cve": _cve(rng, cve_id, published, cat)}) + "\n")
            out.write("]}\n")
        cat.years[year] = path
    cat.epss = folder / "epss_scores-current.csv"
    with cat.epss.open("w") as out:
        out.write("#model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z\n"
                  "cve,epss,percentile\n")
        for cve_id in rng.sample(cat.cve_ids, min(epss, len(cat.cve_ids))):
            out.write(f"{cve_id},{rng.random():.5f},{rng.random():.5f}\n")
    cat.kev = folder / "known_exploited_vulnerabilities.json"
    kev: list[dict[str, Any]] = [
        {"cveID": c, "vendorProject": "V", "product": "P", "vulnerabilityName": "N",
            "dateAdded": "2024-01-02", "shortDescription": "S", "requiredAction": "A",
            "dueDate": "2024-01-23", "knownRansomwareCampaignUse": rng.choice(
                ("Known", "Unknown")), "notes": "", "cwes": []}
           for c in rng.sample(cat.cve_ids, min(1600, len(cat.cve_ids)))]
    cat.kev.write_text(json.dumps({"catalogVersion": "2026.10.01", "count": len(kev),
                                   "dateReleased": "2026-10-01T00:00:00Z",
                                   "vulnerabilities": kev}))
    cat.exploitdb = folder / "files_exploits.csv"
    with cat.exploitdb.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(EDB_HEADER.split(","))
        for edb in range(1, exploits + 1):
            codes = ";".join([*rng.sample(cat.cve_ids, rng.choice((0, 1, 1, 2))),
                              f"OSVDB-{edb}"])
            date = "1970-01-01" if rng.random() < 0.02 else "2019-05-04"
            row = [edb, f"exploits/linux/remote/{edb}.py", f"Exploit {edb} - RCE", date,
                   "author", "remote", "linux", rng.choice(("", "80", "443")), date,
                   rng.choice(("", "2020-01-01")), rng.choice((0, 1)), codes, "Remote", "",
                   "", "", ""]
            writer.writerow(row)
            if rng.random() < 0.01:  # the same id again, another tag
                writer.writerow([*row[:12], "Metasploit Framework (MSF)", *row[13:]])
    return cat


# -- measuring --------------------------------------------------------------------------------
def _high_water_mb(pid: int) -> float:
    """The process's own peak resident memory (VmHWM), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cli_import(url: str, source: str, paths: list[Path],
               *extra: str) -> tuple[float, float, str]:
    """``monozu cve import`` in a fresh process: (seconds, peak RSS in MB, its output).

    The peak is the child's own high-water mark, sampled while it runs (the rusage of a
    child can include the parent's memory at the fork).
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    argv = [sys.executable, "-m", "monozu.cli", "cve", "import", source,
            *map(str, paths), *extra, "--url", url]
    peak = 0.0
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        while proc.poll() is None:
            peak = max(peak, _high_water_mb(proc.pid))
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode()
    if proc.returncode:
        raise SystemExit(f"import failed ({proc.returncode}): {text[-2000:]}")
    return elapsed, peak, text


def file_times(output: str) -> dict[str, float]:
    """Seconds per file, from the lines ``monozu cve import`` prints."""
    found = {}
    for match in re.finditer(r"^\w+ (\S+): .*\(([\d.]+) s\)$", output, re.MULTILINE):
        found[Path(match.group(1)).name] = float(match.group(2))
    return found


def naive_nvd(db: Database, path: Path, sample: int) -> float:
    """Seconds per CVE, parse included, for one exec per row and a check before each write."""
    started = time.perf_counter()
    records = []
    for record in parse_nvd(path):
        records.append(record)
        if len(records) >= sample:
            break
    with db.transaction() as tx:
        for r in records:
            p, v31 = r.primary, r.cvss_v31
            values = {"cve_id": r.cve_id, "description": r.description,
                      "published_at": r.published_at, "last_modified_at": r.last_modified_at,
                      "vuln_status": r.vuln_status, "cvss_score": p.score if p else None,
                      "cvss_severity": p.severity if p else None,
                      "cvss_vector": p.vector if p else None,
                      "cvss_version": p.version if p else None}
            if tx.select(str, "SELECT cve_id FROM cve_catalog WHERE cve_id = :cve_id",
                         cve_id=r.cve_id):
                tx.exec("UPDATE cve_catalog SET description = :description, published_at = "
                        ":published_at, last_modified_at = :last_modified_at, vuln_status = "
                        ":vuln_status, cvss_score = :cvss_score, cvss_severity = :cvss_severity"
                        ", cvss_vector = :cvss_vector, cvss_version = :cvss_version "
                        "WHERE cve_id = :cve_id", values)
            else:
                tx.exec("INSERT INTO cve_catalog (cve_id, description, published_at, "
                        "last_modified_at, vuln_status, cvss_score, cvss_severity, cvss_vector,"
                        " cvss_version) VALUES (:cve_id, :description, :published_at, "
                        ":last_modified_at, :vuln_status, :cvss_score, :cvss_severity, "
                        ":cvss_vector, :cvss_version)", values)
            tx.exec("DELETE FROM cve_scores_cache WHERE cve_id = :c", c=r.cve_id)
            tx.exec("INSERT INTO cve_scores_cache (cve_id, cvss_v31_score, cvss_v31_vector, "
                    "fetched_at) VALUES (:c, :s, :v, :now)", c=r.cve_id,
                    s=v31.score if v31 else None, v=v31.vector if v31 else None,
                    now=datetime.now(UTC))
            tx.exec("DELETE FROM cve_cpe_matches WHERE cve_id = :c", c=r.cve_id)
            for m in r.matches:
                tx.exec("INSERT INTO cve_cpe_matches (cve_id, config_group, node_operator, "
                        "criteria, vulnerable, version_start_including, "
                        "version_start_excluding, version_end_including, "
                        "version_end_excluding) VALUES (:c, :g, :o, :cr, :v, :a, :b, :d, :e)",
                        c=r.cve_id, g=m.config_group, o=m.node_operator, cr=m.criteria,
                        v=m.vulnerable, a=m.version_start_including,
                        b=m.version_start_excluding, d=m.version_end_including,
                        e=m.version_end_excluding)
    return (time.perf_counter() - started) / len(records)


def naive_rows(db: Database, rows: list[dict[str, Any]], select: str, update: str,
               insert: str) -> float:
    """Seconds per row for check-then-write, one exec per row."""
    started = time.perf_counter()
    with db.transaction() as tx:
        for row in rows:
            key = {k: v for k, v in row.items() if f":{k}" in select}
            tx.exec(update if tx.select(int, select, key) else insert, row)
    return (time.perf_counter() - started) / len(rows)


def add_assets(db: Database, cat: Catalog, count: int, seed: int) -> uuid.UUID:
    rng = random.Random(seed + 1)
    tenant = uuid.uuid4()
    now = datetime.now(UTC)
    db.exec("INSERT INTO tenants (id, name, status, created_at, slug) VALUES "
            "(:id, 'Bench', 'active', :at, :slug)", id=tenant, at=now, slug=f"b{seed}")
    site = uuid.uuid4()
    rows = []
    for i in range(count):
        cpe_text = producer = model = firmware = None
        if rng.random() < 0.5:
            producer, model, versions = rng.choice(cat.devices)
            firmware = rng.choice(versions)
        else:
            vendor, product, versions = rng.choice(cat.apps)
            cpe_text = cpe.build("a", vendor, product, rng.choice(versions))
        rows.append((uuid.uuid4(), tenant, f"asset-{i}", "device", site, now, model, firmware,
                     cpe_text, producer, "active"))
    with db.tenant(tenant) as tx:
        tx.exec("INSERT INTO sites (id, tenant_id, name, created_at) VALUES (:id, :t, 'S', :at)",
                id=site, t=tenant, at=now)
        tx.bulk_insert("assets", ("id", "tenant_id", "name", "type", "site_id", "created_at",
                                  "model", "firmware_version", "cpe", "producer",
                                  "lifecycle_state"), rows)
    return tenant


def naive_match(db: Database, tenant: uuid.UUID, sample: int) -> float:
    """Seconds per asset: one LIKE query per asset name, evaluation, one exec per result."""
    with db.tenant(tenant) as tx:
        assets = tx.select(dict, "SELECT id, cpe, producer, model, firmware_version FROM assets "
                           "WHERE tenant_id = :t", t=tenant)[:sample]
    started = time.perf_counter()
    with db.tenant(tenant) as tx:
        for asset in assets:
            names, _ = asset_names(asset["cpe"], asset["producer"], asset["model"],
                                   asset["firmware_version"])
            rows: dict[str, list[CpeMatchRow]] = {}
            for name in names:
                vendor, product = index_key(str(name))
                for r in tx.select(dict, "SELECT * FROM cve_cpe_matches WHERE criteria LIKE :p",
                                   p=f"cpe:2.3:_:{vendor}:{product}:%"):
                    rows.setdefault(r["cve_id"], []).append(CpeMatchRow(
                        r["config_group"], r["node_operator"], r["criteria"],
                        bool(r["vulnerable"]), r["version_start_including"],
                        r["version_start_excluding"], r["version_end_including"],
                        r["version_end_excluding"]))
            for cve_id, matches in rows.items():
                if evaluate(cve_id, matches, names).matched:
                    tx.select(int, "SELECT 1 FROM vulnerabilities WHERE tenant_id = :t AND "
                              "asset_id = :a AND cve_id = :c", t=tenant, a=asset["id"],
                              c=cve_id)
    return (time.perf_counter() - started) / max(len(assets), 1)


@dataclass
class Result:
    name: str
    seconds: float
    naive_seconds: float | None = None
    goal: float | None = None
    note: str = ""


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def fresh_url(kind: str, folder: Path, server: Any, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'{name}.db'}"
    return str(server.url_for(server.create_database(name)))


def run(kind: str, cat: Catalog, args: argparse.Namespace, folder: Path,
        server: Any) -> list[Result]:
    url = fresh_url(kind, folder, server, "bulk")
    naive_url = fresh_url(kind, folder, server, "naive")
    for target in (url, naive_url):
        Migrator.from_url(target).migrate()
    results: list[Result] = []
    total = len(cat.cve_ids)

    def done(result: Result) -> None:
        results.append(result)
        print_result(result)

    naive_db = connect(naive_url)

    nvd_seconds, peak, out = cli_import(url, "nvd", [cat.years[y] for y in sorted(cat.years)])
    first_times = file_times(out)
    per_cve = naive_nvd(naive_db, cat.years[max(cat.years)], args.naive_sample)
    done(Result(f"NVD import, {total:,} CVEs, {cat.match_rows:,} match rows", nvd_seconds,
                per_cve * total, GOALS["nvd"],
                f"{total / nvd_seconds:,.0f} CVEs/s, peak {peak:,.0f} MB"))
    biggest = cat.years[max(cat.years, key=lambda y: cat.years[y].stat().st_size)]
    _, _, out = cli_import(url, "nvd", [biggest])
    again, first = file_times(out)[biggest.name], first_times[biggest.name]
    done(Result(f"NVD re-import of unchanged {biggest.name}", again, None,
                first * GOAL_REIMPORT,
                f"{again / max(first, 1e-9):.0%} of its first import ({first:.2f} s)"))
    _, _, out = cli_import(url, "nvd", [biggest], "--force")
    forced = file_times(out)[biggest.name]
    done(Result("  the same, read anyway (--force)", forced, None, None,
                f"{forced / max(first, 1e-9):.0%} of its first import"))

    assert cat.epss and cat.kev and cat.exploitdb
    sample = [{"cve_id": c, "epss": 0.1, "pct": 0.5, "m": "v", "now": datetime.now(UTC)}
              for c in cat.cve_ids[: args.naive_sample]]
    epss_row = naive_rows(naive_db, sample,
                          "SELECT 1 FROM cve_scores_cache WHERE cve_id = :cve_id",
                          "UPDATE cve_scores_cache SET epss = :epss, epss_percentile = :pct, "
                          "epss_model_version = :m, fetched_at = :now WHERE cve_id = :cve_id",
                          "INSERT INTO cve_scores_cache (cve_id, epss, epss_percentile, "
                          "epss_model_version, fetched_at) VALUES (:cve_id, :epss, :pct, :m, "
                          ":now)")
    edb = [{"edb_id": i, "f": f"exploits/{i}.py", "d": "x"} for i in range(1, args.naive_sample)]
    edb_row = naive_rows(naive_db, edb, "SELECT 1 FROM exploitdb_exploits WHERE edb_id = :edb_id",
                         "UPDATE exploitdb_exploits SET file_path = :f, description = :d "
                         "WHERE edb_id = :edb_id",
                         "INSERT INTO exploitdb_exploits (edb_id, file_path, description) "
                         "VALUES (:edb_id, :f, :d)")
    for source, path, goal, naive in (
            ("epss", cat.epss, GOALS["epss"], epss_row * args.epss),
            ("kev", cat.kev, GOALS["kev"], edb_row * 1600),
            ("exploitdb", cat.exploitdb, GOALS["exploitdb"], edb_row * args.exploits)):
        seconds, rss, _ = cli_import(url, source, [path])
        done(Result(f"{source} full refresh", seconds, naive, goal, f"peak {rss:,.0f} MB"))

    db = connect(url)
    tenant = add_assets(db, cat, args.assets, args.seed)
    seconds, reports = timed(lambda: match_tenants(db, [tenant]))
    per_asset = naive_match(db, tenant, args.naive_assets)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    done(Result(f"match a tenant of {args.assets:,} assets", seconds, per_asset * args.assets,
                GOALS["match"], f"{reports[0].matches:,} matches, {reports[0].alerts:,} "
                f"alerts (bench process peak so far {peak:,.0f} MB)"))
    seconds, reports = timed(lambda: match_tenants(db, [tenant]))
    done(Result("match again (all seen before)", seconds, None, GOALS["match"],
                f"{reports[0].seen_again:,} seen again"))
    db.close()
    naive_db.close()
    return results


def print_result(r: Result) -> None:
    naive = f"{r.naive_seconds:,.1f} s" if r.naive_seconds is not None else "-"
    goal = f"{r.goal:,.1f} s" if r.goal is not None else "-"
    ok = "" if r.goal is None else (" ok" if r.seconds <= r.goal else " MISSED")
    print(f"  {r.name:<58} {r.seconds:8.1f}s {naive:>15} {goal:>8}{ok}  {r.note}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cves", type=int, default=400_000)
    parser.add_argument("--epss", type=int, default=400_000)
    parser.add_argument("--exploits", type=int, default=50_000)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--naive-assets", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--keep", type=Path, help="Generate into (and keep) this folder.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="monozu-vulnintel-"))
    folder.mkdir(parents=True, exist_ok=True)
    seconds, cat = timed(lambda: generate(folder, args.cves, args.epss, args.exploits,
                                          args.seed))
    size = sum(p.stat().st_size for p in cat.years.values()) / 2**20
    print(f"generated {len(cat.cve_ids):,} CVEs in {len(cat.years)} year files ({size:,.0f} MB),"
          f" {cat.match_rows:,} match rows, {args.epss:,} EPSS rows, {args.exploits:,} "
          f"exploits in {seconds:.0f} s (seed {args.seed})")
    server = None
    kinds = [k.strip() for k in args.db.split(",") if k.strip()]
    if "postgresql" in kinds:
        from tests.support import pgserver

        server = pgserver.start()
    try:
        for kind in kinds:
            print(f"\n{kind}\n  {'step':<58} {'ours':>9} {'naive (scaled)':>15} {'goal':>8}"
                  "  notes", flush=True)
            run(kind, cat, args, folder, server)
    finally:
        if server is not None:
            server.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"\nbench process peak {usage.ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
