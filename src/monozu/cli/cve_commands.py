"""``monozu cve``: import the vulnerability feeds, match tenants' assets, explain a match.

Bad input (a damaged or wrong feed file, an unknown id) is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monozu.cli.app import (
    EXIT_USAGE,
    Option,
    carries_secret,
    echo,
    echo_json,
    fail,
    handle_errors,
    json_option,
    option,
    root,
    root_arguments,
    url_option,
)
from monozu.db.errors import ConfigError, NotFound
from monozu.text import cell

cve = root.group("cve", "Vulnerability intelligence: import feeds, match assets to CVEs.")

SOURCES = ("nvd", "cve5", "kev", "epss", "exploitdb")


@dataclass(frozen=True)
class Positional(Option):
    """A positional argument (the shared options are all flags)."""

    nargs: str | None = None
    choices: tuple[str, ...] | None = None

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(self.dest, nargs=self.nargs, choices=self.choices,
                            type=self.type or str, metavar=self.metavar, help=self.help or None)


def _shown(text: str) -> str:
    """A refused value as the message names it: a short plain word in quotes; anything
    else only by its length, since a positional may be a piece of a --url or password
    with an unquoted space, or hold what a terminal would act on."""
    if len(text) <= 40 and re.fullmatch(r"[A-Za-z0-9_.:+-]*", text):
        return repr(text)
    return f"(a value of {len(text)} characters, not shown)"


def _path_shown(name: str, number: int) -> str:
    """A refused path as the message names it: by its number when it does not exist
    and the command line has an option that may hold a secret, since it may then be a
    piece of that option's value after an unquoted space."""
    if carries_secret(root_arguments()) and not os.path.lexists(name):
        return f"PATH {number} (not shown: it may be a piece of an unquoted --url)"
    return name


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a UUID") from None


def _cve_id(text: str) -> str:
    """A CVE id, upper case: ``CVE-YYYY-NNNN`` with 4 to 19 digits (ASCII only)."""
    cve_id = text.strip().upper()
    if not re.fullmatch(r"CVE-[0-9]{4}-[0-9]{4,19}", cve_id):
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a CVE id "
                                         "(CVE-YYYY-NNNN...)")
    return cve_id


@contextmanager
def _bad_input() -> Iterator[None]:
    """Feed and lookup problems are the caller's input: exit 2, one line."""
    from monozu.domain.vulnintel import FeedError

    try:
        yield
    except (FeedError, NotFound) as exc:
        fail(str(exc), EXIT_USAGE)


def _config(url: str | None) -> Any:
    """The configured database's settings, checked without connecting."""
    from monozu.db.config import load_config

    return load_config(url=url, must_exist=True)


def _database(url: str | None, config: Any = None) -> Any:
    """The configured database, once it has the catalogs: a database not migrated is
    reported before a feed is read or the NVD API called, not after."""
    import atexit

    from monozu.db.database import Database

    database = Database(config or _config(url), pool_size=2)
    # Closed when the command ends, however it ends: SQLite then folds its write-ahead
    # log back and removes it, so a read-only command leaves no -wal or -shm file.
    atexit.register(database.close)
    database.get_value("SELECT count(*) FROM cve_feeds WHERE 1 = 0")
    return database


def _platform(database: Any) -> Any:
    """The platform connection when one is configured, else ``database`` itself."""
    try:
        return database.platform_admin()
    except ConfigError:
        return database


def _progress(label: str) -> Callable[[int], None]:
    """A bar on a terminal, a plain line every few seconds otherwise."""
    tty = sys.stderr.isatty()
    last = [0.0]

    def show(count: int) -> None:
        now = time.monotonic()
        if tty:  # redrawn in place: back to the line's start, the label escaped
            echo(f"{label}: {count:,} records ", err=True, nl=False, redraw=True)
            sys.stderr.flush()
        elif now - last[0] >= 5:
            last[0] = now
            echo(f"{label}: {count:,} records", err=True)

    return show


@cve.command("import",
             Positional(("source",), "source", "Feed kind.", metavar="SOURCE",
                        choices=SOURCES),
             Positional(("paths",), "paths", "Feed files (.json, .csv, .gz, .zip) or a cvelistV5 "
                        "folder.", metavar="PATH", nargs="+"),
             option("--full", flag=True, default=False,
                    help="NVD: re-read records whose lastModified is already stored."),
             option("--force", flag=True, default=False,
                    help="NVD: read a file even when it is identical to the one imported "
                         "before under its name."),
             url_option)
@handle_errors
def import_(source: str, paths: list[str], full: bool, force: bool, url: str | None) -> None:
    """Import feed files into the global catalogs, each file all-or-nothing.

    Example: ``monozu cve import nvd nvdcve-2.0-2024.json.gz nvdcve-2.0-modified.json.gz``
    """
    from monozu.domain.vulnintel.importer import import_file, input_problem

    # The settings first: a --url cut at an unquoted space in its password leaves the
    # password's second piece among the paths, and its error masks what it shows.
    config = _config(url)
    for number, name in enumerate(paths, 1):  # before connecting: a typo costs nothing
        problem = input_problem(source, Path(name))
        if problem:
            fail(f"{source} {_path_shown(name, number)}: {problem}", EXIT_USAGE)
    database = _platform(_database(url, config))
    with _bad_input():
        for path in map(Path, paths):
            started = time.perf_counter()
            report = import_file(database, source, path, full=full, force=force,
                                 progress=_progress(f"{source} {path}"))
            if sys.stderr.isatty():
                sys.stderr.write("\n")
            echo(f"{report.line()} ({time.perf_counter() - started:.2f} s)")
            for warning in report.warnings[:10]:
                echo(f"  warning: {warning}", err=True)


FIRST_SINCE = datetime(1999, 1, 1, tzinfo=UTC)  # the CVE list began in 1999


def _date(text: str) -> datetime:
    """A past ISO date or timestamp (UTC unless it names its offset), as UTC."""
    try:
        if not text.isascii():
            raise ValueError(text)
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        # 0001-01-01T00:00+01:00 has no UTC equivalent: OverflowError
        when = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not an ISO date") from None
    except OverflowError:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is out of range") from None
    if when > datetime.now(UTC):
        raise argparse.ArgumentTypeError(f"{when.isoformat()} is in the future")
    if when < FIRST_SINCE:
        raise argparse.ArgumentTypeError(f"{when.isoformat()} is before 1999, when the CVE "
                                         "list began")
    return when


def _api_url(text: str) -> str:
    from monozu.domain.vulnintel.nvd_api import url_problem

    problem = url_problem(text)
    if problem:  # the value is not repeated: it may hold a password
        raise argparse.ArgumentTypeError(f"the URL {problem}")
    return text


@cve.command("sync",
             option("--since", metavar="DATE", type=_date,
                    help="Start here instead of the saved cursor (ISO date or timestamp)."),
             option("--api-url", metavar="URL", type=_api_url,
                    help="The NVD CVE API 2.0 endpoint."),
             url_option)
@handle_errors
def sync(since: datetime | None, api_url: str | None, url: str | None) -> None:
    """Catch up from the NVD API since the last sync (key from NVD_API_KEY, if set).

    Resumable: the position is saved after every page. Failures are retried with back-off,
    each retry a line on stderr; a page gives up after 8 retries or about 5 minutes.
    """
    from monozu.domain.vulnintel.nvd_api import API_URL, NvdClient, usable_key
    from monozu.domain.vulnintel.nvd_api import sync as api_sync

    key = os.environ.get("NVD_API_KEY") or None
    if key is not None and not usable_key(key):  # it becomes a header
        fail("NVD_API_KEY is not a usable key (printable ASCII without spaces expected)",
             EXIT_USAGE)
    client = NvdClient(url=api_url or API_URL, api_key=key,
                       notify=lambda text: echo(text, err=True))
    with _bad_input():
        echo(api_sync(_platform(_database(url)), client, since=since).line())


@cve.command("match", option("--tenant", metavar="ID", type=_uuid,
                             help="Match this tenant only (default: every active tenant)."),
             url_option)
@handle_errors
def match(tenant: uuid.UUID | None, url: str | None) -> None:
    """Match tenants' assets against the catalog and upsert their vulnerabilities."""
    from monozu.domain.vulnintel.service import check_tenant, match_tenants, tenant_ids

    database = _database(url)
    if tenant:
        with _bad_input():
            check_tenant(_platform(database), tenant)
    tenants = [tenant] if tenant else tenant_ids(_platform(database))
    if not tenants:
        echo("no active tenant to match")
    for report in match_tenants(database, tenants):
        echo(report.line())
        for asset_id, cve_id in report.no_longer_matching[:20]:
            echo(f"  no longer matching: {cve_id} on asset {asset_id}")
        for problem in report.problems[:20]:
            echo(f"  {problem}", err=True)


@cve.command("status", url_option, json_option)
@handle_errors
def status(url: str | None, as_json: bool) -> None:
    """Each source's last sync, cursor and last error, and the catalogs' row counts."""
    from monozu.domain.vulnintel.service import status as catalog_status

    feeds, counts = catalog_status(_platform(_database(url)))
    if as_json:
        echo_json({"feeds": [asdict(f) for f in feeds], "counts": asdict(counts)})
        return
    for feed in feeds:
        synced = feed.last_synced_at.isoformat(timespec="seconds") if feed.last_synced_at \
            else "never"
        # The name escaped before it is padded: "synced" lines up as printed.
        echo(f"{cell(feed.name):<10} synced {synced}  cursor {feed.sync_cursor or '-'}")
        if feed.last_error:
            echo(f"{'':<10} last error: {feed.last_error}")
    if not feeds:
        echo("no feed imported yet")
    echo("  ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in asdict(counts).items()))


@cve.command("explain", option("--asset", metavar="ID", type=_uuid, help="The asset."),
             option("--tenant", metavar="ID", type=_uuid,
                    help="The asset's tenant (looked up when left out)."),
             Positional(("cve_id",), "cve_id", "The CVE id.", metavar="CVE", type=_cve_id),
             url_option)
@handle_errors
def explain(asset: uuid.UUID | None, tenant: uuid.UUID | None, cve_id: str,
            url: str | None) -> None:
    """Print which configuration node and version bound of a CVE match an asset."""
    from monozu.domain.vulnintel.service import asset_tenant
    from monozu.domain.vulnintel.service import explain as explain_match

    if asset is None:
        fail("--asset ID is required", EXIT_USAGE)
        return
    database = _database(url)
    with _bad_input():
        owner = tenant or asset_tenant(_platform(database), asset)
        # Line by line, each escaped whole: a newline in a value stays in its line.
        for line in explain_match(database, owner, asset, cve_id).explain_lines():
            echo(line)
