"""Our migration runner and the real Flyway CLI on the same databases.

Each side must accept what the other wrote: histories written by one pass the other's
``validate``/``info`` and its ``migrate`` then has nothing to do, and the
``flyway_schema_history`` rows both write for the same files are identical apart from
``installed_on`` and ``execution_time``. Runs on SQLite and PostgreSQL; Flyway comes
from ``tools/flyway`` (see ``tests/support/flyway.py``).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.flyway import (
    FlywayResult,
    flyway_args,
    flyway_command,
    jdbc_url,
    password_env,
    run_flyway,
)
from tests.support.flyway import require_flyway as _require_flyway
from tests.support.pgserver import PgServer

pytestmark = pytest.mark.flyway

INTEROP = Path(__file__).resolve().parents[2] / "fixtures" / "migrations" / "interop"
BASIC_VERSIONS = ["1", "1.1", "2", "3", "4", "5", "10", None]
# The columns that must match; installed_on and execution_time are the clock's.
COMPARED = (
    "installed_rank",
    "version",
    "description",
    "type",
    "script",
    "checksum",
    "installed_by",
    "success",
)
History = list[tuple[Any, ...]]


@pytest.fixture(autouse=True)
def require_flyway() -> None:
    _require_flyway()


# --- databases ----------------------------------------------------------------------------


@dataclass
class Databases:
    """Makes fresh, empty databases of one kind for a test."""

    kind: str
    _make: Callable[[], str]

    def new(self) -> str:
        return self._make()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def dbs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    if request.param == "sqlite":
        numbers = itertools.count(1)
        yield Databases("sqlite", lambda: f"sqlite:///{tmp_path / f'db{next(numbers)}.db'}")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    created: list[str] = []

    def make() -> str:
        created.append(server.create_database())
        return server.url_for(created[-1])

    try:
        yield Databases("postgresql", make)
    finally:
        for name in created:
            server.drop_database(name)


def basic(kind: str) -> Path:
    return INTEROP / "basic" / kind


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///")
        conn = sqlite3.connect(path if path.startswith("/") else str(Path.cwd() / path))
        try:
            rows = [tuple(r) for r in conn.execute(sql).fetchall()]
            conn.commit()
            return rows
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        cur = pg.execute(sql)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []


def history(url: str) -> History:
    """The compared columns of every history row, in rank order, with portable types."""
    rows = query(
        url, f"SELECT {', '.join(COMPARED)} FROM flyway_schema_history ORDER BY installed_rank"
    )
    return [(*r[:-1], bool(r[-1])) for r in rows]


def assert_same_history(ours: History, flyway: History) -> None:
    assert len(ours) == len(flyway), _diff(ours, flyway)
    for a, b in zip(ours, flyway, strict=True):
        assert a == b, _diff(ours, flyway)


def _diff(ours: History, flyway: History) -> str:
    lines = ["history rows differ (ours | flyway):", "  " + " | ".join(COMPARED)]
    for i in range(max(len(ours), len(flyway))):
        a = ours[i] if i < len(ours) else "-"
        b = flyway[i] if i < len(flyway) else "-"
        mark = "  " if a == b else "!!"
        lines.append(f"{mark} {a}\n   {b}")
    return "\n".join(lines)


def flyway_checksum(data: bytes) -> int:
    """Flyway's checksum of a valid UTF-8 file, computed independently of both runners."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    crc = zlib.crc32(data.replace(b"\r", b"").replace(b"\n", b""))
    return crc - (1 << 32) if crc >= (1 << 31) else crc


# --- our runner ----------------------------------------------------------------------------


def _ours_argv() -> list[str]:
    exe = Path(sys.executable).with_name("monozu")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "monozu.cli"]


@cache
def _empty_dir() -> Path:
    """A working directory without a flyway.conf/flyway.toml for our runner to pick up."""
    return Path(tempfile.mkdtemp(prefix="monozu-interop-"))


def _ours_env() -> dict[str, str]:
    # Our runner reads FLYWAY_* variables like Flyway does; none may leak in from the caller.
    return {k: v for k, v in os.environ.items() if not k.startswith("FLYWAY_")}


def ours_command(verb: str, url: str, location: Path, *args: str) -> list[str]:
    return [*_ours_argv(), "db", verb, "--url", url, "--locations", str(location), *args]


def ours(
    verb: str,
    url: str,
    location: Path,
    *args: str,
    placeholders: dict[str, str] | None = None,
    check: bool = True,
) -> dict[str, Any]:
    """Run ``monozu db <verb> --json``; the parsed output (``{}`` if none)."""
    extra = [f"--placeholder={k}={v}" for k, v in (placeholders or {}).items()]
    proc = subprocess.run(
        [*ours_command(verb, url, location, *extra, *args), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=_empty_dir(),
        env=_ours_env(),
    )
    if check and proc.returncode != 0:
        pytest.fail(
            f"monozu db {verb} failed ({proc.returncode}): {proc.stderr.strip()}", pytrace=False
        )
    try:
        out = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        pytest.fail(f"monozu db {verb} --json printed no JSON: {proc.stdout[:500]!r}")
    return out if isinstance(out, dict) else {"result": out}


def executed(result: dict[str, Any]) -> int:
    """How many migrations a ``migrate`` run applied (our JSON or Flyway's)."""
    return int(result["migrationsExecuted"])


def flyway_states(result: FlywayResult) -> list[tuple[str | None, str]]:
    return [(m["version"] or None, m["state"]) for m in result.json["migrations"]]


def ours_states(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(m["version"] or None, m["state"]) for m in result["migrations"]]


# --- one side writes, the other reads ------------------------------------------------------


def test_history_written_by_us_is_accepted_by_flyway(dbs: Databases) -> None:
    url, loc = dbs.new(), basic(dbs.kind)
    assert executed(ours("migrate", url, loc)) == len(BASIC_VERSIONS)
    before = history(url)

    run_flyway("validate", url, [loc])
    info = run_flyway("info", url, [loc])
    assert flyway_states(info) == [(v, "Success") for v in BASIC_VERSIONS]
    assert info.json["schemaVersion"] == "10"
    assert executed(run_flyway("migrate", url, [loc]).json) == 0
    assert history(url) == before


def test_history_written_by_flyway_is_accepted_by_us(dbs: Databases) -> None:
    url, loc = dbs.new(), basic(dbs.kind)
    assert executed(run_flyway("migrate", url, [loc]).json) == len(BASIC_VERSIONS)
    before = history(url)

    ours("validate", url, loc)
    assert ours_states(ours("info", url, loc)) == [(v, "Success") for v in BASIC_VERSIONS]
    assert executed(ours("migrate", url, loc)) == 0
    assert history(url) == before


def test_both_write_identical_history_rows(dbs: Databases) -> None:
    ours_url, flyway_url, loc = dbs.new(), dbs.new(), basic(dbs.kind)
    ours("migrate", ours_url, loc)
    run_flyway("migrate", flyway_url, [loc])
    mine, theirs = history(ours_url), history(flyway_url)
    assert_same_history(mine, theirs)

    # Anchor the comparison to facts about the files, not only to each other.
    assert [r[0] for r in theirs] == list(range(1, len(BASIC_VERSIONS) + 1))
    assert [r[1] for r in theirs] == BASIC_VERSIONS
    by_script = {r[4]: r for r in theirs}
    assert "sub/V4__In_subfolder.sql" in by_script
    seed = by_script["V2__Seed_accounts.sql"]
    assert seed[5] == flyway_checksum((loc / "V2__Seed_accounts.sql").read_bytes())
    assert seed[2] == "Seed accounts"


def test_history_table_shape_matches_flyway(dbs: Databases) -> None:
    ours_url, flyway_url = dbs.new(), dbs.new()
    loc = INTEROP / "baseline"
    ours("migrate", ours_url, loc, "--target", "1")
    run_flyway("migrate", flyway_url, [loc], "-target=1")
    if dbs.kind == "sqlite":
        shape = [
            'SELECT name, type, "notnull", dflt_value, pk '
            "FROM pragma_table_info('flyway_schema_history') ORDER BY cid",
            "SELECT name, \"unique\", origin FROM pragma_index_list('flyway_schema_history') "
            "WHERE origin = 'c' ORDER BY name",
        ]
    else:
        shape = [
            "SELECT column_name, data_type, character_maximum_length, is_nullable, "
            "column_default FROM information_schema.columns "
            "WHERE table_name = 'flyway_schema_history' ORDER BY ordinal_position",
            "SELECT conname, contype FROM pg_constraint "
            "WHERE conrelid = 'flyway_schema_history'::regclass ORDER BY conname",
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'flyway_schema_history' ORDER BY indexname",
        ]
    for sql in shape:
        assert query(ours_url, sql) == query(flyway_url, sql), sql


def test_packaged_schema_matches_flyway(dbs: Databases) -> None:
    """The schema we ship, migrated by us (no --locations) and by Flyway from the same files."""
    from monozu.db.migrate import builtin_location

    loc = builtin_location(dbs.kind)  # type: ignore[arg-type]
    ours_url, flyway_url = dbs.new(), dbs.new()
    proc = subprocess.run(
        [*_ours_argv(), "db", "migrate", "--url", ours_url],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=_empty_dir(),
        env=_ours_env(),
    )
    assert proc.returncode == 0, proc.stderr
    run_flyway("validate", ours_url, [loc])
    assert executed(run_flyway("migrate", ours_url, [loc]).json) == 0
    run_flyway("migrate", flyway_url, [loc])
    assert_same_history(history(ours_url), history(flyway_url))
    migrations = [p for p in loc.rglob("*.sql") if p.name[:1] in "VR" and "__" in p.name]
    assert len(history(flyway_url)) == len(migrations)


# --- a history written half by each --------------------------------------------------------


@pytest.mark.parametrize("first", ["flyway", "ours"])
def test_history_continued_by_the_other_runner(dbs: Databases, first: str) -> None:
    url, reference, loc = dbs.new(), dbs.new(), basic(dbs.kind)
    # Flyway applies repeatables whatever the target, so the first run ends with R.
    half = ["1", "1.1", "2", "3", None]
    if first == "flyway":
        run_flyway("migrate", url, [loc], "-target=3")
    else:
        ours("migrate", url, loc, "--target", "3")
    assert [r[1] for r in history(url)] == half

    if first == "flyway":
        assert executed(ours("migrate", url, loc)) == 3
        run_flyway("validate", url, [loc])
    else:
        assert executed(run_flyway("migrate", url, [loc]).json) == 3
        ours("validate", url, loc)

    run_flyway("migrate", reference, [loc], "-target=3")
    run_flyway("migrate", reference, [loc])
    assert_same_history(history(url), history(reference))
    assert [r[1] for r in history(url)] == [*half, "4", "5", "10"]


def test_changed_repeatable_is_reapplied_over_a_flyway_history(
    dbs: Databases, tmp_path: Path
) -> None:
    loc = tmp_path / "migrations"
    shutil.copytree(basic(dbs.kind), loc)
    url = dbs.new()
    run_flyway("migrate", url, [loc])
    view = loc / "R__Account_views.sql"
    view.write_bytes(view.read_bytes() + b"-- changed\n")

    assert "Outdated" in {s for _, s in ours_states(ours("info", url, loc))}
    assert executed(ours("migrate", url, loc)) == 1
    rows = history(url)
    assert [r[0] for r in rows] == list(range(1, len(BASIC_VERSIONS) + 2))
    assert rows[-1][4] == "R__Account_views.sql"
    assert rows[-1][5] != rows[-2][5]
    run_flyway("validate", url, [loc])
    assert executed(run_flyway("migrate", url, [loc]).json) == 0


# --- placeholders and repeatables ----------------------------------------------------------


def test_placeholders_give_the_same_checksums(dbs: Databases) -> None:
    loc = INTEROP / "placeholders"
    alpha, beta = {"app_name": "alpha"}, {"app_name": "beta"}
    ours_first, flyway_first = dbs.new(), dbs.new()

    # Written by us with alpha, then Flyway with beta re-applies only the repeatable.
    assert executed(ours("migrate", ours_first, loc, placeholders=alpha)) == 2
    run_flyway("validate", ours_first, [loc], placeholders=alpha)
    assert executed(run_flyway("migrate", ours_first, [loc], placeholders=alpha).json) == 0
    assert executed(run_flyway("migrate", ours_first, [loc], placeholders=beta).json) == 1
    ours("validate", ours_first, loc, placeholders=beta)

    # The same the other way round.
    assert executed(run_flyway("migrate", flyway_first, [loc], placeholders=alpha).json) == 2
    ours("validate", flyway_first, loc, placeholders=alpha)
    assert executed(ours("migrate", flyway_first, loc, placeholders=alpha)) == 0
    assert executed(ours("migrate", flyway_first, loc, placeholders=beta)) == 1
    run_flyway("validate", flyway_first, [loc], placeholders=beta)

    mine, theirs = history(ours_first), history(flyway_first)
    assert_same_history(mine, theirs)
    # The versioned file is checksummed raw; the repeatable after replacement.
    assert mine[0][5] == flyway_checksum((loc / "V1__Create_settings.sql").read_bytes())
    assert [r[4] for r in mine] == [
        "V1__Create_settings.sql",
        "R__Settings_view.sql",
        "R__Settings_view.sql",
    ]
    assert mine[1][5] != mine[2][5]
    assert query(ours_first, "SELECT app FROM settings_view") == [("beta",)]


def test_builtin_placeholders_match_flyway(dbs: Databases) -> None:
    loc = INTEROP / "builtin_placeholders"
    ours_url, flyway_url = dbs.new(), dbs.new()
    ours("migrate", ours_url, loc)
    run_flyway("migrate", flyway_url, [loc])
    marks = "SELECT name, value FROM marks ORDER BY name"
    assert query(ours_url, marks) == query(flyway_url, marks)
    assert_same_history(history(ours_url), history(flyway_url))
    run_flyway("validate", ours_url, [loc])


def test_edge_cases_match_flyway(dbs: Databases) -> None:
    """Leading zeros, a double separator, a Latin-1 file, lone CRs, an empty file, a
    description over 200 characters, an upper-case placeholder, replacement turned off."""
    loc = INTEROP / "edge"
    app = {"app_name": "edge"}
    ours_url, flyway_url = dbs.new(), dbs.new()
    ours("migrate", ours_url, loc, placeholders=app)
    run_flyway("migrate", flyway_url, [loc], placeholders=app)
    mine, theirs = history(ours_url), history(flyway_url)
    assert_same_history(mine, theirs)
    assert [r[1] for r in theirs][:6] == ["001", "1.5", "2", "3", "4", "5"]
    run_flyway("validate", ours_url, [loc], placeholders=app)
    ours("validate", flyway_url, loc, placeholders=app)


# --- baselines -----------------------------------------------------------------------------


def test_baseline_written_by_either_is_accepted_by_the_other(dbs: Databases) -> None:
    loc = INTEROP / "baseline"
    by_ours, by_flyway = dbs.new(), dbs.new()

    ours("baseline", by_ours, loc, "--baseline-version", "2")
    info = run_flyway("info", by_ours, [loc])
    states = dict(flyway_states(info))
    assert states["2"] == "Baseline"
    assert states["3"] == "Pending"
    assert executed(run_flyway("migrate", by_ours, [loc]).json) == 3
    ours("validate", by_ours, loc)
    assert executed(ours("migrate", by_ours, loc)) == 0

    run_flyway("baseline", by_flyway, [loc], "-baselineVersion=2")
    assert dict(ours_states(ours("info", by_flyway, loc)))["2"] == "Baseline"
    assert executed(ours("migrate", by_flyway, loc)) == 3
    run_flyway("validate", by_flyway, [loc])
    assert executed(run_flyway("migrate", by_flyway, [loc]).json) == 0

    mine, theirs = history(by_ours), history(by_flyway)
    assert_same_history(mine, theirs)
    assert theirs[0][1:6] == (
        "2",
        "<< Flyway Baseline >>",
        "BASELINE",
        "<< Flyway Baseline >>",
        None,
    )


def test_baseline_on_migrate_matches_flyway(dbs: Databases) -> None:
    loc = INTEROP / "baseline"
    by_ours, by_flyway = dbs.new(), dbs.new()
    for url in (by_ours, by_flyway):
        query(url, "CREATE TABLE legacy (id INT)")

    ours("migrate", by_ours, loc, "--baseline-on-migrate", "--baseline-version", "2")
    run_flyway("migrate", by_flyway, [loc], "-baselineOnMigrate=true", "-baselineVersion=2")
    assert_same_history(history(by_ours), history(by_flyway))
    run_flyway("validate", by_ours, [loc])
    ours("validate", by_flyway, loc)


# --- repair and out-of-order --------------------------------------------------------------


def _ours_ok(verb: str, url: str, location: Path, *args: str) -> bool:
    proc = subprocess.run(
        [*ours_command(verb, url, location, *args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=_empty_dir(),
        env=_ours_env(),
    )
    return proc.returncode == 0


def _damage(case: str, loc: Path) -> None:
    if case == "changed":
        step = loc / "V2__Step_2.sql"
        step.write_bytes(step.read_bytes() + b"-- edited after it was applied\n")
    elif case == "missing":
        (loc / "V3__Step_3.sql").unlink()
    else:
        # Outside a transaction a failure cannot be rolled back: a success=false row stays.
        (loc / "V5__Fails.sql").write_text("INSERT INTO no_such_table VALUES (1);\n")
        (loc / "V5__Fails.sql.conf").write_text("executeInTransaction=false\n")


@pytest.mark.parametrize("case", ["changed", "missing", "failed"])
def test_repair_matches_flyway(dbs: Databases, tmp_path: Path, case: str) -> None:
    loc = tmp_path / "migrations"
    shutil.copytree(INTEROP / "baseline", loc)
    flyway_wrote, ours_wrote = dbs.new(), dbs.new()
    run_flyway("migrate", flyway_wrote, [loc])
    ours("migrate", ours_wrote, loc)
    _damage(case, loc)
    if case == "failed":
        # Flyway's default PostgreSQL lock rolls its failure row back with the lock's
        # transaction (see the next test); with a session lock it keeps it, as we do.
        lock = ["-postgresql.transactional.lock=false"] if dbs.kind == "postgresql" else []
        assert not run_flyway("migrate", flyway_wrote, [loc], *lock, check=False).ok
        assert not _ours_ok("migrate", ours_wrote, loc)
        assert_same_history(history(ours_wrote), history(flyway_wrote))
        last = history(flyway_wrote)[-1]
        assert (last[1], last[-1]) == ("5", False)

    # Each side sees the damage in the history the other wrote ...
    assert not run_flyway("validate", ours_wrote, [loc], check=False).ok
    assert not _ours_ok("validate", flyway_wrote, loc)
    # ... and repairs it the same way.
    ours("repair", flyway_wrote, loc)
    run_flyway("repair", ours_wrote, [loc])
    assert_same_history(history(flyway_wrote), history(ours_wrote))

    if case == "failed":
        for name in ("V5__Fails.sql", "V5__Fails.sql.conf"):
            (loc / name).unlink()
    run_flyway("validate", flyway_wrote, [loc])
    ours("validate", ours_wrote, loc)


@pytest.mark.postgres
def test_flyway_default_pg_lock_keeps_no_failure_row(pg_url: str, tmp_path: Path) -> None:
    """Pins real Flyway's behaviour that our runner deliberately does not copy.

    With the default ``postgresql.transactional.lock=true``, Flyway inserts the
    ``success=false`` row for a failed non-transactional migration inside the lock's
    transaction, which the failure then rolls back: no row remains, and the next
    ``migrate`` simply runs the half-applied script again. Our runner keeps the row, as
    Flyway does on SQLite and SQL Server and with a session lock. If a Flyway upgrade
    changes this, this test says so.
    """
    loc = tmp_path / "migrations"
    shutil.copytree(INTEROP / "baseline", loc)
    _damage("failed", loc)
    assert not run_flyway("migrate", pg_url, [loc], check=False).ok
    assert [r[1] for r in history(pg_url)] == ["1", "2", "3", "4"]
    assert dict(flyway_states(run_flyway("info", pg_url, [loc])))["5"] == "Pending"


def test_out_of_order_matches_flyway(dbs: Databases, tmp_path: Path) -> None:
    loc = tmp_path / "migrations"
    shutil.copytree(INTEROP / "baseline", loc)
    late = (loc / "V2__Step_2.sql").read_bytes()
    (loc / "V2__Step_2.sql").unlink()
    flyway_wrote, ours_wrote = dbs.new(), dbs.new()
    run_flyway("migrate", flyway_wrote, [loc])
    ours("migrate", ours_wrote, loc)
    (loc / "V2__Step_2.sql").write_bytes(late)

    # Without out-of-order, both refuse the ignored version.
    assert dict(flyway_states(run_flyway("info", ours_wrote, [loc])))["2"] == "Ignored"
    assert dict(ours_states(ours("info", flyway_wrote, loc)))["2"] == "Ignored"
    assert not _ours_ok("migrate", flyway_wrote, loc)
    assert not run_flyway("migrate", ours_wrote, [loc], check=False).ok

    assert executed(ours("migrate", flyway_wrote, loc, "--out-of-order")) == 1
    assert executed(run_flyway("migrate", ours_wrote, [loc], "-outOfOrder=true").json) == 1
    assert_same_history(history(flyway_wrote), history(ours_wrote))
    assert dict(flyway_states(run_flyway("info", flyway_wrote, [loc])))["2"] == "Out of Order"
    assert dict(ours_states(ours("info", ours_wrote, loc)))["2"] == "Out of Order"
    run_flyway("validate", flyway_wrote, [loc])
    ours("validate", ours_wrote, loc)


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["flyway", "ours"])
def test_concurrent_runs_apply_each_version_once(pg_url: str, tmp_path: Path, first: str) -> None:
    loc = INTEROP / "concurrent"
    flyway_argv, flyway_env = flyway_command()
    log = tmp_path / "flyway.json"
    commands = {
        "flyway": ([*flyway_argv, *flyway_args("migrate", pg_url, [loc])],
                   {**flyway_env, **password_env(pg_url)}),
        "ours": (ours_command("migrate", pg_url, loc), _ours_env()),
    }
    second = "ours" if first == "flyway" else "flyway"
    procs: list[tuple[str, subprocess.Popen[str]]] = []
    with log.open("w") as flyway_stdout:

        def start(name: str) -> None:
            argv, env = commands[name]
            out = flyway_stdout if name == "flyway" else subprocess.PIPE
            procs.append(
                (
                    name,
                    subprocess.Popen(
                        argv, stdout=out, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
                    ),
                )
            )

        # The second runner starts once the first is past V1 and migrating, holding the lock.
        start(first)
        _wait_for_first_migration(pg_url, procs[0][1])
        start(second)
        failures = _wait_all(procs, timeout=180)
    flyway_out = json.loads(log.read_text() or "{}")
    if flyway_out.get("error"):
        failures.append(f"flyway: {flyway_out['error'].get('message')}")
    assert not failures, "\n".join(failures)

    versions = [str(v) for v in range(1, 9)]
    rows = history(pg_url)
    assert [r[0] for r in rows] == list(range(1, 9)), rows
    assert [r[1] for r in rows] == versions
    applied = query(
        pg_url, "SELECT version, count(*) FROM applied GROUP BY version ORDER BY version::int"
    )
    assert applied == [(v, 1) for v in versions]
    by_app = query(pg_url, "SELECT app, count(*) FROM applied GROUP BY app ORDER BY app")
    print("migrations applied per application_name:", by_app)
    run_flyway("validate", pg_url, [loc])
    ours("validate", pg_url, loc)


def _wait_for_first_migration(url: str, proc: subprocess.Popen[str]) -> None:
    """Return once V1's row is committed, or the first runner has exited (it is checked later)."""
    deadline = time.monotonic() + 120
    while proc.poll() is None:
        try:
            if query(url, "SELECT count(*) FROM applied")[0][0]:
                return
        except psycopg.errors.UndefinedTable:
            pass
        if time.monotonic() > deadline:
            pytest.fail("the first runner applied nothing within 120 s", pytrace=False)
        time.sleep(0.05)


def _wait_all(procs: Sequence[tuple[str, subprocess.Popen[str]]], timeout: float) -> list[str]:
    failures: list[str] = []
    deadline = time.monotonic() + timeout
    for name, proc in procs:
        try:
            _, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            failures.append(f"{name}: still running after {timeout:.0f} s (deadlock?)")
            continue
        if proc.returncode != 0:
            failures.append(f"{name}: exit {proc.returncode}: {err.strip()[-2000:]}")
    return failures


# --- the library API on a Flyway history ---------------------------------------------------


def test_library_api_accepts_flyway_history(dbs: Databases) -> None:
    from monozu.db.migrate import Migrator

    url, loc = dbs.new(), INTEROP / "placeholders"
    run_flyway("migrate", url, [loc], placeholders={"app_name": "alpha"})
    before = history(url)

    migrator = Migrator.from_url(url, locations=[loc], placeholders={"app_name": "alpha"})
    result = migrator.validate()
    assert result.ok, result.problems
    assert [(m.version_text or None, m.state.value) for m in migrator.info()] == [
        ("1", "Success"),
        (None, "Success"),
    ]
    assert migrator.migrate().migrations_executed == 0
    assert history(url) == before


# --- the harness itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "want"),
    [
        (
            "postgresql://app:p%40ss@db.example:6543/monozu?sslmode=require",
            ("jdbc:postgresql://db.example:6543/monozu?sslmode=require", "app", "p@ss"),
        ),
        ("postgres://127.0.0.1/x", ("jdbc:postgresql://127.0.0.1/x", "", "")),
        ("sqlite:////abs/path/t.db", ("jdbc:sqlite:/abs/path/t.db", "", "")),
        ("sqlite:///rel/t.db", (f"jdbc:sqlite:{Path.cwd() / 'rel' / 't.db'}", "", "")),
    ],
)
def test_jdbc_url(url: str, want: tuple[str, str, str]) -> None:
    assert jdbc_url(url) == want


def test_flyway_gets_the_password_in_its_environment_not_on_its_command_line(
        pg_url: str) -> None:
    """Every user of the machine reads a process's command line (``ps``), only its owner
    its environment: the password goes to Flyway as ``FLYWAY_PASSWORD``, and no command
    line of the run shows it, nor the result's record of the command."""
    import threading
    from urllib.parse import quote

    password = "Qx7Raw/Zq8Tuv?Kp3Lmn#Wd5Ghj@Ys2Bcd"
    head, _, rest = pg_url.partition("://")
    user, _, where = rest.rpartition("@")
    url = f"{head}://{user.partition(':')[0]}:{quote(password, safe='')}@{where}"
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:  # what ps would show, polled while Flyway runs
        while not done.is_set():
            for proc in Path("/proc").iterdir():
                try:
                    line = (proc / "cmdline").read_bytes().decode(errors="replace")
                except OSError:
                    continue
                if "flyway" in line.lower() and "Zq8Tuv" in line:
                    seen.append(line)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        info = run_flyway("info", url, [basic("postgresql")])
    finally:
        done.set()
        watcher.join()
    assert info.ok and seen == []
    assert "Zq8Tuv" not in " ".join(map(str, info.args))
    assert password_env(url) == {"FLYWAY_PASSWORD": password}
