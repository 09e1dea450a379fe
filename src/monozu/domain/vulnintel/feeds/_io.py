"""Opening feed files: plain, ``.gz`` or ``.zip``, always as a stream.

Read errors of the compressed formats (a truncated ``.gz``, a damaged ``.zip``) are turned
into :class:`FeedError` by :func:`guarded`, so parsers report them as one line.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, cast

from monozu.domain.vulnintel.errors import FeedError
from monozu.files import name_problem

# ASCII digits only: ``\d`` would also take other scripts' digits (``CVE-٢٠٢٤-...``)
CVE_ID = re.compile(r"CVE-[0-9]{4}-[0-9]{4,19}")
MAX_INT = 2**31 - 1  # integer columns are 32-bit on every database
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones: a feed may be a little ahead
# Real feed lines are under a few KB. A longer one is refused as it is read: a small
# .gz can hold gigabytes without a line end, which would otherwise fill memory before
# the CSV reader's own field limit is consulted.
MAX_LINE = 1 << 20


def path_problem(path: Path, *, folder_ok: bool = False) -> str | None:
    """Why ``path`` cannot be read as a feed (or, with ``folder_ok``, a folder of them).

    Only a regular file is read: a device or a pipe (``/dev/zero``, a FIFO) could be
    read forever, one line without an end growing in memory.
    """
    if text_problem(str(path)):  # bytes that are not UTF-8: the name cannot be recorded
        return "the name is not valid UTF-8 (rename it)"
    named = name_problem(path)
    if named:
        return named
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except (OSError, ValueError) as exc:  # a NUL in the name, a name too long
        return f"not a usable path ({exc.__class__.__name__})"
    if stat.S_ISDIR(mode):
        if not folder_ok:
            return "is a folder, not a feed file"
        return None if os.access(path, os.R_OK | os.X_OK) else "cannot read the folder"
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, pipe or socket cannot be a feed)"
    if not os.access(path, os.R_OK):
        return "cannot read the file (permission denied)"
    return None


@contextlib.contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """The decompressed bytes of ``path`` as a stream (the one file of a ``.zip``)."""
    name = str(path)
    problem = path_problem(path)
    if problem:
        raise FeedError(name, None, problem)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as gz:
                yield cast(IO[bytes], gz)
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf, _zip_member(zf, name) as member:
                yield member
        else:
            with path.open("rb") as fh, _unpacked(fh, name) as data:
                yield data
    except FileNotFoundError:  # gone since it was checked
        raise FeedError(name, None, "no such file") from None
    except PermissionError:
        raise FeedError(name, None, "cannot read the file (permission denied)") from None
    except zipfile.BadZipFile as exc:
        raise FeedError(name, None, f"not a readable zip archive ({exc})") from None


# The first bytes of packed files, for a file whose name does not say it is packed
# (nvdcve-2.0-2025.json.GZ, a download saved without its suffix, fkie-cad's .json.xz).
_GZIP, _ZIP = b"\x1f\x8b", b"PK\x03\x04"
_UNREAD = {b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd",
           **{b"BZh" + level: "bzip2" for level in (b"1", b"2", b"3", b"4", b"5", b"6",
                                                      b"7", b"8", b"9")}}


@contextlib.contextmanager
def _unpacked(fh: IO[bytes], name: str) -> Iterator[IO[bytes]]:
    """``fh`` as its bytes say: gzip and zip are unpacked whatever the name, other
    packings are refused by name (they were read as text: "malformed JSON" or "not
    UTF-8" said nothing of the cause)."""
    head = fh.read(6)
    fh.seek(0)
    if head.startswith(_GZIP):
        with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
            yield cast(IO[bytes], gz)
    elif head.startswith(_ZIP):
        with zipfile.ZipFile(fh) as zf, _zip_member(zf, name) as member:
            yield member
    else:
        packing = next((kind for magic, kind in _UNREAD.items() if head.startswith(magic)),
                       None)
        if packing:
            raise FeedError(name, None, f"the file is {packing}-compressed: unpack it first "
                            "(.gz and .zip are read as they are)")
        yield fh


@contextlib.contextmanager
def _zip_member(zf: zipfile.ZipFile, name: str) -> Iterator[IO[bytes]]:
    """The one file of a feed archive (NVD's ``.json.zip`` holds one). Several are
    refused: which one is the feed cannot be told, and taking the first would import
    whatever the archive lists first."""
    members = [m for m in zf.infolist() if not m.is_dir()]
    if not members:
        raise FeedError(name, None, "the zip archive holds no file")
    if len(members) > 1:
        raise FeedError(name, None, f"the zip archive holds {len(members)} files, a feed "
                        "archive one (unpack it and import the feed file)")
    try:
        member = zf.open(members[0])
    except NotImplementedError:  # deflate64, ppmd...: zipfile reads few methods
        raise FeedError(name, None, "the zip archive uses a compression method that cannot "
                        "be read (repack it with deflate)") from None
    except RuntimeError:  # zipfile's word for an encrypted member
        raise FeedError(name, None, "the zip archive is encrypted") from None
    with member:
        yield member


@contextlib.contextmanager
def open_text(path: Path) -> Iterator[IO[str]]:
    """``open_binary`` decoded as UTF-8 (a BOM is dropped), newlines kept for ``csv``."""
    with open_binary(path) as raw:
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


@contextlib.contextmanager
def guarded(path: Path, where: list[str]) -> Iterator[None]:
    """Turn low-level read errors into a :class:`FeedError` naming ``where[0]``."""
    def record() -> str | None:
        return where[0] if where else None

    try:
        yield
    except FeedError:
        raise
    except EOFError:
        raise FeedError(str(path), record(), "the file ends early (truncated download?)") from None
    except (gzip.BadGzipFile, zlib.error, zipfile.BadZipFile) as exc:
        raise FeedError(str(path), record(), f"compressed data is damaged ({exc})") from None
    except UnicodeDecodeError as exc:
        raise FeedError(str(path), record(), f"not UTF-8 text ({exc.reason})") from None


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: a hostile value is named, not replayed."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} characters)"


def kind_of(value: object) -> str:
    """What a decoded JSON value is, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else "something else"


def text_problem(value: str) -> str | None:
    """Why the databases cannot store ``value`` as text: a NUL character (PostgreSQL refuses
    it, C-string APIs cut at it) or a lone surrogate (no UTF-8 encoding exists)."""
    if "\x00" in value:
        return "contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains an unpaired surrogate (not valid Unicode text)"
    return None


def check_text(value: object, source: str, record: str | None, field: str,
               limit: int | None = None, *, required: bool = False) -> str | None:
    """``value`` (a string, or None when absent and not ``required``) checked against
    what a text column holds: no NUL, valid Unicode, at most ``limit`` characters."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise FeedError(source, record, f"{field} is not a string ({kind_of(value)})")
    problem = text_problem(value)
    if problem:
        raise FeedError(source, record, f"{field} {problem}")
    if limit is not None and len(value) > limit:
        raise FeedError(source, record, f"{field} is longer than {limit} characters")
    return value


def check_list(value: object, source: str, record: str | None, field: str) -> list[Any]:
    """``value`` when it is a JSON list (absent or null: empty), else a :class:`FeedError`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FeedError(source, record, f"{field} is not a list ({kind_of(value)})")
    return value


def check_object(value: object, source: str, record: str | None,
                 field: str) -> dict[str, Any]:
    """``value`` when it is a JSON object (absent or null: empty), else a :class:`FeedError`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FeedError(source, record, f"{field} is not an object ({kind_of(value)})")
    return value


def check_flag(value: object, source: str, record: str | None, field: str,
               default: bool) -> bool:
    """A JSON true/false (absent or null: ``default``); ``"false"`` is not false."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise FeedError(source, record, f"{field} is not true/false ({kind_of(value)})")
    return value


def parse_int(text: str, source: str, record: str, field: str, *, low: int,
              high: int = MAX_INT) -> int:
    """A whole number of plain ASCII digits within ``[low, high]``: ``int()`` alone would
    also take ``1_000``, ``+5`` and other scripts' digits."""
    if not (text.isascii() and text.isdigit()):
        raise FeedError(source, record, f"{field} {shown(text)} is not a number")
    digits = text.lstrip("0") or "0"  # bounded before int(): no 5,000-digit conversions
    if len(digits) > len(str(high)) or not low <= int(digits) <= high:
        raise FeedError(source, record, f"{field} {shown(text)} is outside {low}-{high}")
    return int(digits)


def parse_float(text: str, source: str, record: str, field: str) -> float:
    """A decimal number written in ASCII (``0.00043``, ``4.3e-05``): ``float()`` alone
    would also take ``1_0`` and other scripts' digits. NaN and infinity pass: the
    callers' range checks refuse them by name."""
    if not text.isascii() or "_" in text:
        raise FeedError(source, record, f"{field} {shown(text)} is not a number")
    try:
        return float(text)
    except ValueError:
        raise FeedError(source, record, f"{field} {shown(text)} is not a number") from None


def check_cve_id(value: object, source: str, record: str) -> str:
    """``value`` when it is a well-formed CVE id, else a :class:`FeedError`."""
    if not isinstance(value, str) or not CVE_ID.fullmatch(value):
        raise FeedError(source, record, f"{shown(value)} is not a CVE id (CVE-YYYY-NNNN...)")
    return value


def parse_timestamp(value: object, source: str, record: str, field: str, *,
                    past: bool = False) -> datetime | None:
    """An ISO timestamp (NVD leaves out the zone: UTC) as an aware datetime.

    ``past``: the date of an event that has happened (a record's update, a feed's run).
    One later than tomorrow is refused: newer records win and cursors only move forward,
    so a single ``9999-01-01`` would stop every later update of the CVE, or every sync.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.isascii():
        raise FeedError(source, record, f"{field} is not a date: {shown(value)}")
    text = value.strip().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text)
        # 0001-01-01T00:00+01:00 is before the first representable instant in UTC
        when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise FeedError(source, record, f"{field} is not a date: {shown(value)}") from None
    except OverflowError:
        raise FeedError(source, record, f"{field} {shown(value)} is out of range") from None
    if past and when > datetime.now(UTC) + FUTURE_SLACK:
        raise FeedError(source, record, f"{field} {shown(value)} is in the future")
    return when


def _lines(text: IO[str], ended: list[bool], name: str, lines_before: int) -> Iterator[str]:
    """The lines of ``text``, each read up to :data:`MAX_LINE` characters and refused
    beyond; at the end, ``ended`` says whether the last one had its line end."""
    line = ""
    limit = MAX_LINE
    for number, line in enumerate(iter(functools.partial(text.readline, limit + 1), ""),
                                  lines_before + 1):
        if len(line) > limit:
            raise FeedError(name, f"line {number}", f"the line is longer than {limit:,} "
                            "characters: not a feed line")
        yield line
    ended.append(line.endswith(("\n", "\r")) or not line)


def csv_rows(path: Path, text: IO[str], required: tuple[str, ...], where: list[str],
             lines_before: int = 0) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV stream whose header must name ``required``.

    ``lines_before`` counts the lines already read from ``text`` (for line numbers).
    """
    import csv

    name = str(path)
    ended: list[bool] = []
    reader = csv.reader(_lines(text, ended, name, lines_before), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise FeedError(name, None, "the file is empty")
        columns = [c.strip() for c in header]
        missing = [c for c in required if c not in columns]
        if missing:
            raise FeedError(name, f"line {reader.line_num + lines_before}",
                            f"the header lacks column(s) {', '.join(missing)} "
                            f"(found: {','.join(columns)[:200]}): wrong feed kind?")
        held: tuple[int, dict[str, str]] | None = None  # given once the next line is read
        for values in reader:
            if held:
                yield held
                held = None
            line = reader.line_num + lines_before
            where[:] = [f"line {line}"]
            if not values or values == [""]:
                continue
            if len(values) != len(columns):
                raise FeedError(name, f"line {line}", f"{len(values)} fields where the header "
                                f"has {len(columns)}")
            held = line, dict(zip(columns, values, strict=True))
        if held:
            yield held  # a value the reader refuses is the better message
            if not ended[0]:  # every feed ends its lines: its last value may be cut short
                raise FeedError(name, f"line {held[0]}", "the last line has no line end: "
                                "the file is cut short (truncated download?)")
    except csv.Error as exc:
        raise FeedError(name, f"line {reader.line_num + lines_before}",
                        f"malformed CSV ({exc})") from None
