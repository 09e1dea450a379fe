"""FIRST EPSS daily scores: ``epss_scores-*.csv`` or ``.csv.gz``.

The first line is a ``#`` comment of ``key:value`` pairs naming the model version and the
score date; a file without it is refused, since scores of two models do not compare.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._io import (
    check_cve_id,
    check_text,
    csv_rows,
    guarded,
    open_text,
    parse_float,
    parse_timestamp,
    shown,
)
from monozu.domain.vulnintel.records import EpssHeader, EpssScore

COLUMNS = ("cve", "epss", "percentile")
MAX_MODEL = 50  # cve_scores_cache.epss_model_version
MAX_HEADER = 4096  # the real header is about 60 characters


class EpssFile:
    """An open EPSS file: :attr:`header` is read on entry, :meth:`scores` streams the rest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._where: list[str] = []

    def __enter__(self) -> EpssFile:
        self._cm = open_text(self.path)
        self._text: IO[str] = self._cm.__enter__()
        try:
            with guarded(self.path, self._where):
                self.header = _header(self.path, self._text.readline(MAX_HEADER + 1))
        except BaseException:
            self._cm.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(None, None, None)

    def scores(self) -> Iterator[EpssScore]:
        name = str(self.path)
        count = 0
        with guarded(self.path, self._where):
            for line, row in csv_rows(self.path, self._text, COLUMNS, self._where, 1):
                record = f"line {line}"
                cve_id = check_cve_id(row["cve"].strip(), name, record)
                count += 1
                yield EpssScore(cve_id, _unit(row["epss"], name, record, "epss"),
                                _unit(row["percentile"], name, record, "percentile"))
        if count == 0:  # a load replaces the scores as a whole: this one would clear them
            raise FeedError(name, None, "no EPSS scores (the header only)")


def _header(path: Path, line: str) -> EpssHeader:
    name = str(path)
    if not line.startswith("#"):
        raise FeedError(name, "line 1", "no '#model_version:...,score_date:...' header line: "
                        "scores without their model version cannot be stored")
    if len(line) > MAX_HEADER:
        raise FeedError(name, "line 1", f"the header line is longer than {MAX_HEADER} "
                        "characters")
    fields: dict[str, str] = {}
    for part in line[1:].strip().split(","):
        key, sep, value = part.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    model = check_text(fields.get("model_version"), name, "line 1", "model_version", MAX_MODEL)
    when = parse_timestamp(fields.get("score_date"), name, "line 1", "score_date", past=True)
    if not model or when is None:
        raise FeedError(name, "line 1", f"header {shown(line.strip())} lacks model_version or "
                        "score_date")
    return EpssHeader(model, when)


def _unit(text: str, source: str, record: str, field: str) -> float:
    value = parse_float(text.strip(), source, record, field)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise FeedError(source, record, f"{field} {text.strip()[:40]} is outside [0, 1]")
    return value
