"""``monozu flyway <verb> -key=value ...`` and Flyway's connection settings, for real.

The same Flyway command lines are given to ``monozu flyway`` and to the real Flyway
CLI on the same kind of database, and their ``-outputType=json`` results compared
field by field. The ``flyway.toml`` example of a Flyway user runs in a temp folder.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import pgserver
from tests.support.flyway import flyway_command, jdbc_url, require_flyway

REPO = Path(__file__).resolve().parents[2]
INTEROP = REPO / "tests" / "fixtures" / "migrations" / "interop" / "basic"


def monozu(args: list[str], cwd: Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("FLYWAY_", "DATABASE_URL", "SQL_", "IS_DEV", "MONOZU_"))}
    base.update(HOME=str(cwd / "home"), **(env or {}))
    return subprocess.run([sys.executable, str(REPO / "monozu"), *args], capture_output=True,
                          text=True, cwd=cwd, env=base, timeout=300)


def real_flyway(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    argv, env = flyway_command()
    return subprocess.run([*argv, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def as_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    start = proc.stdout.find("{")
    assert start >= 0, (proc.returncode, proc.stdout, proc.stderr)
    doc: dict[str, Any] = json.loads(proc.stdout[start:])
    return doc


def _two_databases(kind: str, tmp_path: Path, request: pytest.FixtureRequest
                   ) -> Iterator[tuple[str, str]]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ours.db'}", f"sqlite:///{tmp_path / 'theirs.db'}"
        return
    server: pgserver.PgServer = request.getfixturevalue("pg_server")
    names = [server.create_database(), server.create_database()]
    try:
        yield server.url_for(names[0]), server.url_for(names[1])
    finally:
        for name in names:
            server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of one kind: one for monozu, one for Flyway."""
    yield from _two_databases(request.param, tmp_path, request)


def flyway_line(url: str, locations: Path, *extra: str) -> list[str]:
    """A Flyway command line (without the verb), as a Flyway user writes it."""
    jdbc, user, password = jdbc_url(url)
    args = ["-skipCheckForUpdate", f"-url={jdbc}", f"-locations=filesystem:{locations}",
            "-connectRetries=0", "-outputType=json", *extra]
    if user:
        args.append(f"-user={user}")
    if password:
        args.append(f"-password={password}")
    return args


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def test_same_command_lines_same_results_as_flyway(two_databases: tuple[str, str],
                                                   tmp_path: Path) -> None:
    require_flyway()
    ours_url, theirs_url = two_databases
    locations = INTEROP / _kind(ours_url)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for who, url, run in (("ours", ours_url, lambda a: monozu(["flyway", *a], tmp_path)),
                          ("flyway", theirs_url, lambda a: real_flyway(a, tmp_path))):
        results[who] = {}
        for verb in ("migrate", "info", "validate"):
            proc = run([*flyway_line(url, locations, "-placeholders.unused=1"), verb])
            assert proc.returncode == 0, (who, verb, proc.stdout[-2000:], proc.stderr[-2000:])
            results[who][verb] = as_json(proc)
    ours, theirs = results["ours"], results["flyway"]
    assert ours["migrate"]["migrationsExecuted"] == theirs["migrate"]["migrationsExecuted"] > 0
    assert [(m["version"], m["description"]) for m in ours["migrate"]["migrations"]] == [
        (m["version"], m["description"]) for m in theirs["migrate"]["migrations"]]
    assert ours["info"]["schemaVersion"] == theirs["info"]["schemaVersion"]
    assert [(m["version"], m["description"], m["state"]) for m in ours["info"]["migrations"]] == [
        (m["version"], m["description"], m["state"]) for m in theirs["info"]["migrations"]]
    assert ours["validate"]["validationSuccessful"] is theirs["validate"]["validationSuccessful"]


def test_monozu_flyway_migrate_with_jdbc_postgresql_and_user(pg_url: str, tmp_path: Path) -> None:
    jdbc, user, password = jdbc_url(pg_url)
    assert user, "the test server has a user to give with -user"
    args = ["flyway", "migrate", f"-url={jdbc}", f"-user={user}",
            f"-locations=filesystem:{INTEROP / 'postgresql'}"]
    if password:
        args.append(f"-password={password}")
    proc = monozu(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Successfully applied" in proc.stdout
    joiner = "&" if "?" in jdbc else "?"
    check = monozu(["db", "check", "--json", "--url", f"{jdbc}{joiner}user={user}"], tmp_path)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["source"] == "--url"


def test_monozu_flyway_migrate_with_jdbc_sqlite(tmp_path: Path) -> None:
    proc = monozu(["flyway", "-url=jdbc:sqlite:here.db",
                   f"-locations=filesystem:{INTEROP / 'sqlite'}", "-target=2", "migrate"],
                  tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = sqlite3.connect(tmp_path / "here.db").execute(
        "SELECT version FROM flyway_schema_history WHERE success = 1 AND version IS NOT NULL "
        "ORDER BY installed_rank"
    ).fetchall()
    assert [r[0] for r in rows] == ["1", "1.1", "2"]


def test_a_failed_migration_exits_non_zero(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "V1__ok.sql").write_text("CREATE TABLE a (id INTEGER);\n")
    (sql / "V2__broken.sql").write_text("CREATE TABLE b (id INTEGER;\n")
    for extra in ([], ["-outputType=json"]):
        proc = monozu(["flyway", "migrate", "-url=jdbc:sqlite:f.db", "-locations=filesystem:sql",
                       *extra], tmp_path)
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        if extra:
            assert "error" in as_json(proc)


TOML = """\
[environments.default]
url = "jdbc:sqlite:fw.db"

[flyway]
locations = ["filesystem:sql"]
placeholders.val = "42"
"""


def _user_folder(tmp_path: Path) -> Path:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "V1__create.sql").write_text("CREATE TABLE t (v TEXT);\n")
    (tmp_path / "sql" / "V2__insert.sql").write_text("INSERT INTO t VALUES ('${val}');\n")
    (tmp_path / "home").mkdir()
    return tmp_path


def _database_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.suffix in (".db", ".sqlite") or p.name.endswith(("-wal", "-shm")))


def test_the_flyway_toml_example_migrates_fw_db(tmp_path: Path) -> None:
    folder = _user_folder(tmp_path)
    (folder / "flyway.toml").write_text(TOML)
    proc = monozu(["db", "migrate"], folder)
    assert proc.returncode == 0, proc.stderr
    rows = sqlite3.connect(folder / "fw.db").execute("SELECT v FROM t").fetchall()
    assert rows == [("42",)]
    history = sqlite3.connect(folder / "fw.db").execute(
        "SELECT version FROM flyway_schema_history ORDER BY installed_rank").fetchall()
    assert history == [("1",), ("2",)]
    assert [f for f in _database_files(folder) if not f.startswith("fw.db")] == []
    check = monozu(["db", "check", "--json"], folder)
    assert json.loads(check.stdout)["source"] == "flyway.toml [environments.default]"


# (file, its text): the database file each tool must create, None for a refusal.
REFERENCES = [
    ("flyway.toml", '[environments.default]\nurl = "jdbc:sqlite:${env.DBX}-${env.DBX}.db"\n',
     "k-k.db"),
    ("flyway.toml", '[environments.default]\nurl = "jdbc:sqlite:$${env.DBX}.db"\n',
     "${env.DBX}.db"),
    ("flyway.toml", '[environments.default]\nurl = "jdbc:sqlite:${env.D.B}.db"\n',
     "${env.D.B}.db"),
    ("flyway.toml", '[environments.default]\nurl = "jdbc:sqlite:${DBX}.db"\n', "${DBX}.db"),
    ("flyway.toml", '[environments.default]\nurl = "jdbc:sqlite:${vault.DBX}.db"\n', None),
    ("flyway.toml", '[environments.default]\nurl = "jdbc:sqlite:${env.UNSET_X}.db"\n', None),
    ("flyway.conf", "flyway.url=jdbc:sqlite:${UNSET_X}z${DBX}.db\n", "zk.db"),
]


def test_environment_variables_in_flyways_files_are_read_as_flyway_reads_them(
        tmp_path: Path) -> None:
    """A flyway.toml environment's ${env.NAME} and a flyway.conf's ${NAME}, run by the
    real Flyway and by monozu flyway in folders of their own: the same database file."""
    require_flyway()
    argv, flyway_env = flyway_command()
    for number, (name, text, expected) in enumerate(REFERENCES):
        made: dict[str, list[str]] = {}
        for tool in ("flyway", "monozu"):
            (tmp_path / f"{number}-{tool}").mkdir()
            folder = _user_folder(tmp_path / f"{number}-{tool}")
            (folder / name).write_text(text + "[flyway]\nlocations = [\"filesystem:sql\"]\n"
                                       "placeholders.val = \"1\"\n" if name.endswith(".toml")
                                       else text + "flyway.locations=filesystem:sql\n"
                                       "flyway.placeholders.val=1\n")
            env = {"DBX": "k"}
            if tool == "flyway":
                subprocess.run([*argv, "-skipCheckForUpdate", "migrate"], cwd=folder,
                               env={**flyway_env, **env}, capture_output=True, timeout=300)
            else:
                monozu(["flyway", "migrate"], folder, env)
            made[tool] = [f for f in _database_files(folder) if not f.endswith(("-wal", "-shm"))]
        assert made["monozu"] == made["flyway"], (text, made)
        assert made["monozu"] == ([expected] if expected else []), (text, made)


def test_flyway_url_variable_migrates_its_database(tmp_path: Path) -> None:
    folder = _user_folder(tmp_path)
    proc = monozu(["db", "migrate", "--locations", "sql", "--placeholder", "val=7"], folder,
                  {"FLYWAY_URL": "jdbc:sqlite:fw2.db"})
    assert proc.returncode == 0, proc.stderr
    assert sqlite3.connect(folder / "fw2.db").execute("SELECT v FROM t").fetchall() == [("7",)]
    assert [f for f in _database_files(folder) if not f.startswith("fw2.db")] == []


@pytest.mark.parametrize(("args", "env", "toml"), [
    (["db", "migrate"], {"FLYWAY_URL": "jdbc:sqlite:fw2.db"}, TOML),
    (["db", "migrate"], {"DATABASE_URL": "sqlite:///other.db"}, TOML),
    (["db", "migrate", "--environment", "nope"], {}, TOML),
    (["flyway", "migrate", "-environment=nope"], {}, TOML),
    (["flyway", "migrate", "-url=jdbc:postgresql://:5432/db", "-password=Pw5Secret"], {}, None),
    (["flyway", "migrate", "-url=jdbc:postgresql://h:99999/db", "-password=Pw5Secret"], {},
     None),
    (["flyway", "migrate", "-url=jdbc:sqlserver://h:1433;databaseName=d;color=blue",
      "-password=Pw5Secret"], {}, None),
    (["flyway", "migrate", "-url=jdbc:postgresql://h/db?password=Pw5Secret",
      "-password=Other5Secret"], {}, None),
    (["flyway", "migrate", "-url=jdbc:mysql://h/db", "-password=Pw5Secret"], {}, None),
])
def test_bad_connection_settings_migrate_nothing(args: list[str], env: dict[str, str],
                                                 toml: str | None, tmp_path: Path) -> None:
    folder = _user_folder(tmp_path)
    if toml:
        (folder / "flyway.toml").write_text(toml)
    proc = monozu(args, folder, env)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert "Pw5Secret" not in proc.stderr + proc.stdout
    assert "Other5Secret" not in proc.stderr + proc.stdout
    assert _database_files(folder) == []
