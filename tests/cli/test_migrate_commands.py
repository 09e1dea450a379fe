"""``monozu db migrate | info | validate | baseline | repair | clean`` as a user runs them:
real processes, exit codes, one-line errors, JSON, concurrency, speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.migrate import (
    ENGINE,
    execute,
    fixture,
    history,
    kind_of,
    query,
    table_exists,
)

EXE = Path(sys.executable).with_name("monozu")


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLYWAY_", "DATABASE_URL",
                                                                     "SQL_"))}
    return subprocess.run([str(EXE), "db", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**base, **(env or {})})


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("WARNING")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_migrate_info_validate(any_url: str, tmp_path: Path) -> None:
    loc = str(ENGINE / "basic")
    first = run("migrate", "--url", any_url, "--locations", loc, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert 'to version "1.1 - Add email"' in first.stdout
    assert "Successfully applied 4 migrations" in first.stdout
    again = run("migrate", "--url", any_url, "--locations", loc, cwd=tmp_path)
    assert again.returncode == 0
    assert "is up to date. No migration necessary." in again.stdout
    info = run("info", "--url", any_url, "--locations", loc, cwd=tmp_path)
    assert info.returncode == 0
    header = next(line for line in info.stdout.splitlines() if "Category" in line)
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "Category", "Version", "Description", "Type", "Installed On", "State"]
    assert "| Versioned  | 1.1     | Add email" in info.stdout
    assert info.stdout.count("Success") == 4
    validate = run("validate", "--url", any_url, "--locations", loc, cwd=tmp_path)
    assert validate.returncode == 0 and "Successfully validated 4 migrations" in validate.stdout


def test_info_json(any_url: str, tmp_path: Path) -> None:
    loc = str(ENGINE / "target")
    run("migrate", "--url", any_url, "--locations", loc, "--target", "2", cwd=tmp_path)
    proc = run("info", "--url", any_url, "--locations", loc, "--json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert data["schemaVersion"] == "2"
    assert [(m["category"], m["version"], m["description"], m["type"], m["state"])
            for m in data["migrations"]] == [
        ("Versioned", "1", "t1", "SQL", "Success"), ("Versioned", "2", "t2", "SQL", "Success"),
        ("Versioned", "3", "t3", "SQL", "Pending"), ("Versioned", "4", "t4", "SQL", "Pending")]
    assert data["migrations"][0]["installedOn"] and not data["migrations"][2]["installedOn"]
    migrate = run("migrate", "--url", any_url, "--locations", loc, "--json", cwd=tmp_path)
    assert json.loads(migrate.stdout)["migrationsExecuted"] == 2


def test_failed_migration_exit_code_and_message(any_url: str, tmp_path: Path) -> None:
    proc = run("migrate", "--url", any_url, "--locations", str(ENGINE / "failing"), cwd=tmp_path)
    assert proc.returncode == 1
    line = one_line_error(proc)
    assert "V2__bad.sql" in line and "line 3" in line and "no_such_table" in line
    assert [r["version"] for r in history(any_url)] == ["1"]


def test_validation_failure_lists_every_problem(any_url: str, tmp_path: Path) -> None:
    folder = fixture("basic", tmp_path)
    run("migrate", "--url", any_url, "--locations", str(folder), cwd=tmp_path)
    (folder / "V1__Create_people.sql").write_text("-- changed\n")
    (folder / "V1.1__Add_email.sql").unlink()
    proc = run("validate", "--url", any_url, "--locations", str(folder), cwd=tmp_path)
    assert proc.returncode == 1
    assert "CHECKSUM_MISMATCH" in proc.stdout and "V1__Create_people.sql" in proc.stdout
    assert "APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED" in proc.stdout
    one_line_error(proc)
    as_json = run("validate", "--url", any_url, "--locations", str(folder), "--json",
                  cwd=tmp_path)
    assert as_json.returncode == 1
    codes = [p["code"] for p in json.loads(as_json.stdout)["problems"]]
    assert codes == ["CHECKSUM_MISMATCH", "APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED"]
    migrate = run("migrate", "--url", any_url, "--locations", str(folder), cwd=tmp_path)
    assert migrate.returncode == 1
    assert "checksum mismatch" in one_line_error(migrate)


def test_usage_and_configuration_errors_exit_2(sqlite_url: str, tmp_path: Path) -> None:
    missing = run("migrate", "--url", sqlite_url, "--locations", str(tmp_path / "none"),
                  cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in one_line_error(missing)
    assert not (tmp_path / "test.db").exists()  # refused before the database is opened
    bad_url = run("info", "--url", "oracle://x/y", "--locations", str(ENGINE / "basic"),
                  cwd=tmp_path)
    assert bad_url.returncode == 2
    one_line_error(bad_url)
    bad_target = run("migrate", "--url", sqlite_url, "--locations", str(ENGINE / "basic"),
                     "--target", "v2", cwd=tmp_path)
    assert bad_target.returncode == 2
    bad_placeholder = run("migrate", "--url", sqlite_url, "--placeholder", "novalue",
                          cwd=tmp_path)
    assert bad_placeholder.returncode == 2
    unknown_flag = run("migrate", "--no-such-flag", cwd=tmp_path)
    assert unknown_flag.returncode == 2
    run("migrate", "--url", sqlite_url, "--locations", str(ENGINE / "basic"), cwd=tmp_path)
    clean = run("clean", "--url", sqlite_url, "--locations", str(ENGINE / "basic"), cwd=tmp_path)
    assert clean.returncode == 2 and "cleanDisabled" in one_line_error(clean)


def test_unreachable_database_hides_the_password(tmp_path: Path) -> None:
    proc = run("info", "--url", "postgresql://app:hunter2@127.0.0.1:1/x?connect_timeout=2",
               "--locations", str(ENGINE / "basic"), cwd=tmp_path)
    assert proc.returncode == 1
    line = one_line_error(proc)
    assert "cannot connect" in line and "hunter2" not in proc.stderr + proc.stdout


def test_bad_input_messages(any_url: str, tmp_path: Path) -> None:
    for name, needle in (("non-utf8", "V1__latin1.sql"), ("duplicate-version", "version 1"),
                         ("conf-bad-key", "shouldRunTwice")):
        proc = run("migrate", "--url", any_url, "--locations", str(ENGINE / name), cwd=tmp_path)
        assert proc.returncode != 0
        assert needle in one_line_error(proc)
    empty_version = tmp_path / "empty-version"
    empty_version.mkdir()
    (empty_version / "V__x.sql").write_text("SELECT 1;\n")
    proc = run("migrate", "--url", any_url, "--locations", str(empty_version), cwd=tmp_path)
    assert proc.returncode == 1 and "V__x.sql" in one_line_error(proc)
    names = run("migrate", "--url", any_url, "--locations", str(ENGINE / "bad-names"),
                cwd=tmp_path)
    assert names.returncode == 0
    assert "WARNING" in names.stderr and "V2_typo.sql" in names.stderr
    execute(any_url, "DROP TABLE flyway_schema_history")
    execute(any_url, "CREATE TABLE flyway_schema_history (id INT)")
    foreign = run("info", "--url", any_url, "--locations", str(ENGINE / "basic"), cwd=tmp_path)
    assert foreign.returncode == 1 and "not a Flyway schema history table" in one_line_error(
        foreign)


def test_baseline_repair_clean(any_url: str, tmp_path: Path) -> None:
    loc = str(ENGINE / "target")
    base = run("baseline", "--url", any_url, "--locations", loc, "--baseline-version", "2",
               "--baseline-description", "Prod import", cwd=tmp_path)
    assert base.returncode == 0 and "Successfully baselined" in base.stdout
    assert [(r["version"], r["type"], r["description"]) for r in history(any_url)] == [
        ("2", "BASELINE", "Prod import")]
    migrate = run("migrate", "--url", any_url, "--locations", loc, "--json", cwd=tmp_path)
    assert json.loads(migrate.stdout)["migrationsExecuted"] == 2
    repair = run("repair", "--url", any_url, "--locations", loc, cwd=tmp_path)
    assert repair.returncode == 0 and "needs no repair" in repair.stdout
    clean = run("clean", "--url", any_url, "--locations", loc, "--clean-enabled", cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert "Successfully cleaned" in clean.stdout
    info = run("info", "--url", any_url, "--locations", loc, "--json", cwd=tmp_path)
    assert {m["state"] for m in json.loads(info.stdout)["migrations"]} == {"Pending"}


def test_settings_from_flyway_conf_and_environment(any_url: str, tmp_path: Path) -> None:
    (tmp_path / "flyway.conf").write_text(
        f"flyway.locations=filesystem:{ENGINE / 'placeholders'}\n"
        "flyway.placeholders.owner=from_conf\n")
    proc = run("migrate", "--url", any_url, cwd=tmp_path,
               env={"FLYWAY_INSTALLED_BY": "env-user"})
    assert proc.returncode == 0, proc.stderr
    assert query(any_url, "SELECT v FROM facts WHERE k = 'custom'") == [("from_conf",)]
    assert {r["installed_by"] for r in history(any_url)} == {"env-user"}
    flag = run("migrate", "--url", any_url, "--placeholder", "owner=from_flag", cwd=tmp_path)
    assert flag.returncode == 0, flag.stderr
    assert "facts view" in flag.stdout


def test_packaged_migrations_are_the_default(any_url: str, tmp_path: Path) -> None:
    # info is read-only: it lists the pending migrations of an existing (empty) database.
    if kind_of(any_url) == "sqlite":
        Path(any_url.removeprefix("sqlite:///")).touch()
    proc = run("info", "--url", any_url, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    kind = kind_of(any_url)
    packaged = Path(__file__).resolve().parents[2] / "src" / "monozu" / "db" / "migrations" / kind
    files = [p for p in packaged.rglob("*.sql") if p.name[:1] in "VR"]
    assert len(json.loads(proc.stdout)["migrations"]) == len(files)


def _start_four(url: str, loc: Path, cwd: Path) -> list[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYWAY_")}
    return [subprocess.Popen([str(EXE), "db", "migrate", "--url", url, "--locations", str(loc)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, cwd=cwd) for _ in range(4)]


def _finish(procs: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outputs.append(out)
    return outputs


def test_four_concurrent_migrations_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    loc = ENGINE / "concurrent-postgresql"
    outputs = _finish(_start_four(pg_url, loc, tmp_path))
    assert [r["version"] for r in history(pg_url)] == [str(v) for v in range(1, 9)]
    assert query(pg_url, "SELECT version, count(*) FROM applied GROUP BY version "
                         "ORDER BY version") == [(v, 1) for v in (2, 3, 4, 6, 7, 8)]
    # V5 is CREATE INDEX CONCURRENTLY: waiting runners must not block it (no deadlock).
    assert query(pg_url, "SELECT indexname FROM pg_indexes WHERE tablename = 'applied'") == [
        ("applied_version_idx",)]
    # Every version was applied by some process, and no two processes both applied one.
    assert sum(out.count("Migrating schema") for out in outputs) == 8


def test_four_concurrent_migrations_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    loc = ENGINE / "concurrent-sqlite"
    outputs = _finish(_start_four(sqlite_url, loc, tmp_path))
    assert [r["version"] for r in history(sqlite_url)] == [str(v) for v in range(1, 13)]
    assert query(sqlite_url, "SELECT version, count(*) FROM applied GROUP BY version "
                             "ORDER BY version") == [(v, 1) for v in range(2, 13)]
    assert sum(out.count("Migrating schema") for out in outputs) == 12


def test_sqlite_commands_import_no_postgresql_or_parser_modules(sqlite_url: str,
                                                                tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from monozu.cli import main\n"
        f"open({sqlite_url.removeprefix('sqlite:///')!r}, 'a').close()\n"
        "try:\n"
        f"    main(['db', 'info', '--url', {sqlite_url!r}, '--locations', "
        f"{str(ENGINE / 'basic')!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "heavy = sorted(m for m in ('psycopg', 'sqlfluff', 'sqlglot', 'mssql_python')"
        " if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout


def test_application_start_up_waits_for_the_lock(pg_url: str, tmp_path: Path) -> None:
    code = (
        "from monozu.db.config import load_config\n"
        "from monozu.db.migrate import migrate_on_startup\n"
        f"r = migrate_on_startup(load_config({{}}, url={pg_url!r}, dotenv=None))\n"
        "print('APPLIED', r.migrations_executed)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYWAY_")}
    env.update(MONOZU_MIGRATE_ON_START="true",
               FLYWAY_LOCATIONS=f"filesystem:{ENGINE / 'concurrent-postgresql'}")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
             for _ in range(2)]
    counts = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        counts.append(int(out.split("APPLIED")[1]))
    # One process applied everything while the other waited, then found nothing to do.
    assert sorted(counts) == [0, 8]
    assert [r["version"] for r in history(pg_url)] == [str(v) for v in range(1, 9)]


def test_a_target_longer_than_int_reads_is_a_version_like_any_other(sqlite_url: str,
                                                                    tmp_path: Path) -> None:
    """Flyway reads version parts as BigInteger: a target of 5000 digits is past every
    migration, not a ValueError from Python's integer conversion limit."""
    loc = str(ENGINE / "target")
    huge = "9" * 5000
    proc = run("migrate", "--url", sqlite_url, "--locations", loc, "--target", huge,
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for args, env in ((["info", "--target", huge], {}), (["info"], {"FLYWAY_TARGET": huge})):
        proc = run(*args, "--url", sqlite_url, "--locations", loc, cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.count("Success") == 4


def test_a_migration_named_in_another_encoding_is_refused_before_it_runs(
        any_url: str, tmp_path: Path) -> None:
    """A name saved in Latin-1 (``café`` as one byte 0xE9) cannot be recorded in the
    history table: the script used to run, its changes kept when it runs outside a
    transaction, and then fail with a bare UnicodeEncodeError (exit 1)."""
    loc = tmp_path / "migrations"
    loc.mkdir()
    (loc / "V1__first.sql").write_text("CREATE TABLE first_table (x INT);\n")
    latin = os.fsdecode(b"V2__caf\xe9.sql")
    (loc / latin).write_text("CREATE TABLE latin_table (x INT);\n")
    (loc / (latin + ".conf")).write_text("executeInTransaction=false\n")
    for verb in ("migrate", "info", "validate"):
        for extra in ((), ("--json",)):
            proc = run(verb, "--url", any_url, "--locations", str(loc), *extra, cwd=tmp_path)
            assert proc.returncode == 2, proc.stderr
            line = one_line_error(proc)
            assert "V2__caf\\udce9.sql" in line and "not UTF-8" in line, line
    assert not table_exists(any_url, "latin_table")
    assert not table_exists(any_url, "first_table")
