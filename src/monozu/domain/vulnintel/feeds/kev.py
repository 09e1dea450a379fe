"""CISA Known Exploited Vulnerabilities: the JSON catalog or its CSV twin.

Unknown fields (``cwes``, ``forensicTriage`` and whatever comes next) are ignored; values
are stripped, since the catalog carries trailing spaces.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import ijson  # type: ignore[import-untyped]

from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._io import (
    check_cve_id,
    check_text,
    csv_rows,
    guarded,
    open_binary,
    open_text,
    parse_timestamp,
    shown,
)
from monozu.domain.vulnintel.feeds._json import (
    PEEK,
    DepthChecked,
    DuplicateKey,
    JsonDepth,
    SurrogateEscapes,
    json_items,
    require_list,
    top_level,
)
from monozu.domain.vulnintel.feeds.nvd import json_problem
from monozu.domain.vulnintel.records import KevEntry

CSV_COLUMNS = ("cveID", "dateAdded", "dueDate")


def parse_kev(path: Path) -> Iterator[KevEntry]:
    """Every entry of the KEV file at ``path`` (``.csv`` by name, JSON otherwise)."""
    stem = path.name.removesuffix(".gz").removesuffix(".zip")
    return _csv(path) if stem.endswith(".csv") else _json(path)


class _Once:
    """Refuses a CVE the catalog lists twice: which entry holds its dates cannot be told."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.seen: dict[str, str] = {}

    def __call__(self, entry: KevEntry, record: str) -> KevEntry:
        first = self.seen.setdefault(entry.cve_id, record)
        if first != record:
            raise FeedError(self.source, record, f"{entry.cve_id} appears twice in the file "
                            f"(first as {first})")
        return entry


def _entry(row: Mapping[str, Any], source: str, record: str) -> KevEntry:
    cve_id = check_cve_id(_text(row, "cveID", source, record), source, record)
    use = _text(row, "knownRansomwareCampaignUse", source, cve_id)
    return KevEntry(
        cve_id,
        parse_timestamp(_text(row, "dateAdded", source, cve_id), source, cve_id, "dateAdded",
                        past=True),
        parse_timestamp(_text(row, "dueDate", source, cve_id), source, cve_id, "dueDate"),
        use.lower() == "known")


def _text(row: Mapping[str, Any], key: str, source: str, record: str) -> str:
    return (check_text(row.get(key), source, record, key) or "").strip()


def _json(path: Path) -> Iterator[KevEntry]:
    name = str(path)
    where: list[str] = []
    with ExitStack() as files, guarded(path, where):
        raw = files.enter_context(open_binary(path))
        stream = DepthChecked(raw, JsonDepth(name, where), surrogates=SurrogateEscapes())

        def reopen() -> DepthChecked:
            return DepthChecked(files.enter_context(open_binary(path)), JsonDepth(name, where))

        head = stream.peek(PEEK)
        require_list(path, top_level(head, name), "vulnerabilities", len(head) < PEEK,
                     "no KEV entries (no 'vulnerabilities' list): wrong feed kind?")
        count = 0
        once = _Once(name)
        try:
            for item in json_items(stream, "vulnerabilities.item", reopen):
                count += 1
                if not isinstance(item, dict) or "cveID" not in item:
                    raise FeedError(name, f"entry {count}", "not a KEV entry (no 'cveID'): "
                                    "wrong feed kind?")
                entry = once(_entry(item, name, f"entry {count}"), f"entry {count}")
                where[:] = [entry.cve_id]
                yield entry
        except ijson.JSONError as exc:
            after = f"after {where[0]}" if where else "before the first entry"
            raise FeedError(name, after, json_problem(exc)) from None
        except DuplicateKey as exc:
            raise FeedError(name, f"entry {exc.number}", f"the key {shown(exc.key)} appears "
                            "twice in one object") from None
        if count == 0:
            raise FeedError(name, None, "no KEV entries (an empty 'vulnerabilities' list)")


def _csv(path: Path) -> Iterator[KevEntry]:
    where: list[str] = []
    once = _Once(str(path))
    with open_text(path) as text, guarded(path, where):
        for line, row in csv_rows(path, text, CSV_COLUMNS, where):
            yield once(_entry(row, str(path), f"line {line}"), f"line {line}")
    if not once.seen:  # as for JSON: the catalog is never empty, and would clear every flag
        raise FeedError(str(path), None, "no KEV entries (the header only)")
