"""CISA Known Exploited Vulnerabilities: the JSON catalog or its CSV twin.

Unknown fields (``cwes``, ``forensicTriage`` and whatever comes next) are ignored; values
are stripped, since the catalog carries trailing spaces.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import ijson  # type: ignore[import-untyped]

from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._io import (
    check_cve_id,
    csv_rows,
    guarded,
    open_binary,
    open_text,
    parse_timestamp,
)
from monozu.domain.vulnintel.feeds.nvd import json_problem
from monozu.domain.vulnintel.records import KevEntry

CSV_COLUMNS = ("cveID", "dateAdded", "dueDate")


def parse_kev(path: Path) -> Iterator[KevEntry]:
    """Every entry of the KEV file at ``path`` (``.csv`` by name, JSON otherwise)."""
    stem = path.name.removesuffix(".gz").removesuffix(".zip")
    return _csv(path) if stem.endswith(".csv") else _json(path)


def _entry(row: Mapping[str, Any], source: str, record: str) -> KevEntry:
    cve_id = check_cve_id(str(row.get("cveID") or "").strip(), source, record)
    ransomware = str(row.get("knownRansomwareCampaignUse") or "").strip().lower() == "known"
    return KevEntry(
        cve_id,
        parse_timestamp(str(row.get("dateAdded") or "").strip(), source, cve_id, "dateAdded"),
        parse_timestamp(str(row.get("dueDate") or "").strip(), source, cve_id, "dueDate"),
        ransomware)


def _json(path: Path) -> Iterator[KevEntry]:
    name = str(path)
    where: list[str] = []
    with open_binary(path) as raw, guarded(path, where):
        count = 0
        try:
            for item in ijson.items(raw, "vulnerabilities.item"):
                count += 1
                if not isinstance(item, dict) or "cveID" not in item:
                    raise FeedError(name, f"entry {count}", "not a KEV entry (no 'cveID'): "
                                    "wrong feed kind?")
                entry = _entry(item, name, f"entry {count}")
                where[:] = [entry.cve_id]
                yield entry
        except ijson.JSONError as exc:
            after = f"after {where[0]}" if where else "before the first entry"
            raise FeedError(name, after, json_problem(exc)) from None
        if count == 0:
            raise FeedError(name, None, "no KEV entries (no 'vulnerabilities' list): "
                            "wrong feed kind?")


def _csv(path: Path) -> Iterator[KevEntry]:
    where: list[str] = []
    with open_text(path) as text, guarded(path, where):
        for line, row in csv_rows(path, text, CSV_COLUMNS, where):
            yield _entry(row, str(path), f"line {line}")
