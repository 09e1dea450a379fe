"""The runner against real SQLite and PostgreSQL databases, through the library API."""

from __future__ import annotations

from pathlib import Path

import pytest

from monozu.db.config import load_config
from monozu.db.errors import MonozuError
from monozu.db.migrate import (
    MigrationConfigError,
    MigrationError,
    Migrator,
    State,
    ValidationFailed,
    checksum_bytes,
    checksum_text,
    migrate_on_startup,
)
from tests.support.migrate import ENGINE, execute, fixture, history, kind_of, query, table_exists


def states(m: Migrator) -> list[tuple[str, str, str]]:
    return [(i.version_text, i.description, i.state.value) for i in m.info()]


def expected_user(url: str) -> str:
    return "" if kind_of(url) == "sqlite" else "postgres"


# -- the history table ----------------------------------------------------------------

SQLITE_DDL = (
    'CREATE TABLE "flyway_schema_history" (\n'
    '    "installed_rank" INT NOT NULL PRIMARY KEY,\n'
    '    "version" VARCHAR(50),\n'
    '    "description" VARCHAR(200) NOT NULL,\n'
    '    "type" VARCHAR(20) NOT NULL,\n'
    '    "script" VARCHAR(1000) NOT NULL,\n'
    '    "checksum" INT,\n'
    '    "installed_by" VARCHAR(100) NOT NULL,\n'
    "    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),\n"
    '    "execution_time" INT NOT NULL,\n'
    '    "success" BOOLEAN NOT NULL\n'
    ")"
)


def test_history_table_shape_sqlite(sqlite_url: str) -> None:
    Migrator.from_url(sqlite_url, locations=[ENGINE / "basic"]).migrate()
    (ddl,) = query(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = ?",
                   ("flyway_schema_history",))[0]
    assert ddl == SQLITE_DDL
    idx = query(sqlite_url, "SELECT tbl_name FROM sqlite_master WHERE type = 'index' "
                            "AND name = 'flyway_schema_history_s_idx'")
    assert idx == [("flyway_schema_history",)]


def test_history_table_shape_postgresql(pg_url: str) -> None:
    Migrator.from_url(pg_url, locations=[ENGINE / "basic"]).migrate()
    cols = query(pg_url, "SELECT column_name, data_type, character_maximum_length, is_nullable, "
                         "column_default FROM information_schema.columns WHERE table_schema = "
                         "'public' AND table_name = 'flyway_schema_history' "
                         "ORDER BY ordinal_position")
    assert cols == [
        ("installed_rank", "integer", None, "NO", None),
        ("version", "character varying", 50, "YES", None),
        ("description", "character varying", 200, "NO", None),
        ("type", "character varying", 20, "NO", None),
        ("script", "character varying", 1000, "NO", None),
        ("checksum", "integer", None, "YES", None),
        ("installed_by", "character varying", 100, "NO", None),
        ("installed_on", "timestamp without time zone", None, "NO", "now()"),
        ("execution_time", "integer", None, "NO", None),
        ("success", "boolean", None, "NO", None),
    ]
    pk = query(pg_url, "SELECT conname FROM pg_constraint WHERE conrelid = "
                       "'public.flyway_schema_history'::regclass AND contype = 'p'")
    assert pk == [("flyway_schema_history_pk",)]
    idx = query(pg_url, "SELECT indexdef FROM pg_indexes WHERE indexname = "
                        "'flyway_schema_history_s_idx'")
    assert "(success)" in idx[0][0]


def test_rows_for_versioned_and_repeatable(any_url: str) -> None:
    result = Migrator.from_url(any_url, locations=[ENGINE / "basic"]).migrate()
    assert [s.script for s in result.applied] == [
        "V1__Create_people.sql", "V1.1__Add_email.sql", "sub/V2__Seed_more_people.sql",
        "R__People_view.sql"]
    rows = history(any_url)
    basic = ENGINE / "basic"
    assert [(r["installed_rank"], r["version"], r["description"], r["type"], r["script"],
             r["checksum"], r["installed_by"], bool(r["success"])) for r in rows] == [
        (1, "1", "Create people", "SQL", "V1__Create_people.sql",
         checksum_bytes((basic / "V1__Create_people.sql").read_bytes()), expected_user(any_url),
         True),
        (2, "1.1", "Add email", "SQL", "V1.1__Add_email.sql",
         checksum_bytes((basic / "V1.1__Add_email.sql").read_bytes()), expected_user(any_url),
         True),
        (3, "2", "Seed more people", "SQL", "sub/V2__Seed_more_people.sql",
         checksum_bytes((basic / "sub" / "V2__Seed_more_people.sql").read_bytes()),
         expected_user(any_url), True),
        (4, None, "People view", "SQL", "R__People_view.sql",
         checksum_bytes((basic / "R__People_view.sql").read_bytes()), expected_user(any_url),
         True),
    ]
    assert all(r["installed_on"] is not None and r["execution_time"] >= 0 for r in rows)
    assert query(any_url, "SELECT COUNT(*) FROM people")[0][0] == 3
    assert not table_exists(any_url, "never_created")  # hidden folder skipped


def test_migrate_is_idempotent_and_info_reports_success(any_url: str) -> None:
    m = Migrator.from_url(any_url, locations=[ENGINE / "basic"])
    assert [i.state for i in m.info()] == [State.PENDING] * 4
    assert len(m.migrate().applied) == 4
    again = m.migrate()
    assert again.applied == () and again.target_version == "2"
    assert states(m) == [("1", "Create people", "Success"), ("1.1", "Add email", "Success"),
                         ("2", "Seed more people", "Success"), ("", "People view", "Success")]
    assert m.validate().ok
    assert len(history(any_url)) == 4


def test_validate_fails_while_anything_is_pending(any_url: str) -> None:
    result = Migrator.from_url(any_url, locations=[ENGINE / "basic"]).validate()
    assert not result.ok
    assert [c for c, _ in result.errors] == ["RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED"] * 3 + [
        "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED"]


def test_installed_by_setting(any_url: str) -> None:
    Migrator.from_url(any_url, locations=[ENGINE / "target"], installed_by="deployer",
                      target="1").migrate()
    assert [r["installed_by"] for r in history(any_url)] == ["deployer"]


def test_repeatable_reruns_with_a_new_row(any_url: str, tmp_path: Path) -> None:
    folder = fixture("repeatable", tmp_path)
    m = Migrator.from_url(any_url, locations=[folder])
    m.migrate()
    (folder / "R__base_view.sql").write_text(
        "DROP VIEW base_view;\nCREATE VIEW base_view AS SELECT id, id AS again FROM base; -- v2\n")
    # As in Flyway: the old row turns Outdated and the changed file is Pending again.
    assert states(m)[1:] == [("", "base view", "Outdated"), ("", "base view", "Pending")]
    assert not m.validate().ok
    assert [s.script for s in m.migrate().applied] == ["R__base_view.sql"]
    rows = history(any_url)
    assert [(r["installed_rank"], r["version"], r["description"]) for r in rows] == [
        (1, "1", "base"), (2, None, "base view"), (3, None, "base view")]
    assert rows[2]["checksum"] == checksum_bytes((folder / "R__base_view.sql").read_bytes())
    assert [s for _, _, s in states(m)] == ["Success", "Superseded", "Success"]
    assert m.validate().ok


# -- ordering, duplicates, target, out of order ----------------------------------------

def test_a_repeatable_with_a_long_description_matches_its_shortened_row(
        any_url: str, tmp_path: Path) -> None:
    # Its row holds the description cut to 200 characters, which never matched the file:
    # SQLite ran it again in the same migrate ("view v already exists"), and every later
    # migrate refused ("applied migration not resolved locally").
    script = tmp_path / ("R__" + "d" * 230 + ".sql")
    script.write_text("CREATE VIEW v AS SELECT 1 AS x;\n")
    m = Migrator.from_url(any_url, locations=[tmp_path])
    assert len(m.migrate().applied) == 1
    assert m.migrate().applied == () and m.validate().ok
    script.write_text("DROP VIEW v;\nCREATE VIEW v AS SELECT 2 AS x;\n")
    assert len(m.migrate().applied) == 1
    assert [len(r["description"]) for r in history(any_url)] == [200, 200]
    assert [s for _, _, s in states(m)] == ["Superseded", "Success"]


def test_version_ordering_and_stored_text(any_url: str) -> None:
    result = Migrator.from_url(any_url, locations=[ENGINE / "ordering"]).migrate()
    assert [s.version for s in result.applied] == ["001.2", "1.9", "1.10", "1.11.0"]
    assert [r["version"] for r in history(any_url)] == ["001.2", "1.9", "1.10", "1.11.0"]


def test_a_version_in_other_decimal_digits_is_read_as_flyway_reads_it(
        any_url: str, tmp_path: Path) -> None:
    # Flyway applies V١__x.sql as version 1 and writes "١" to its history; that history
    # was refused here ("Invalid version '١'"), and so was the file.
    (tmp_path / "V\u0661__x.sql").write_text("CREATE TABLE a (x INT);\n")
    m = Migrator.from_url(any_url, locations=[tmp_path])
    m.migrate()
    assert [r["version"] for r in history(any_url)] == ["\u0661"]
    assert states(m) == [("\u0661", "x", "Success")]
    (tmp_path / "V2__y.sql").write_text("CREATE TABLE b (x INT);\n")
    assert [s.version for s in m.migrate().applied] == ["2"]
    (tmp_path / "V1__same.sql").write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match="more than one migration with version"):
        m.migrate()


def test_duplicate_versions_stop_everything(any_url: str) -> None:
    with pytest.raises(MigrationError, match="more than one migration with version 1"):
        Migrator.from_url(any_url, locations=[ENGINE / "duplicate-version"]).migrate()
    assert not table_exists(any_url, "flyway_schema_history")
    assert not table_exists(any_url, "a")


def test_target(any_url: str) -> None:
    folder = ENGINE / "target"
    result = Migrator.from_url(any_url, locations=[folder], target="2").migrate()
    assert [s.version for s in result.applied] == ["1", "2"]
    assert result.target_reached
    m = Migrator.from_url(any_url, locations=[folder], target="2")
    assert [s for _, _, s in states(m)] == ["Success", "Success", "Above Target", "Above Target"]
    assert m.validate().ok  # above-target files are out of scope
    nxt = Migrator.from_url(any_url, locations=[folder], target="next").migrate()
    assert [s.version for s in nxt.applied] == ["3"]
    rest = Migrator.from_url(any_url, locations=[folder]).migrate()
    assert [s.version for s in rest.applied] == ["4"]


def test_out_of_order(any_url: str, tmp_path: Path) -> None:
    folder = fixture("target", tmp_path)
    v2 = (folder / "V2__t2.sql").read_bytes()
    (folder / "V2__t2.sql").unlink()
    Migrator.from_url(any_url, locations=[folder]).migrate()
    (folder / "V2__t2.sql").write_bytes(v2)
    m = Migrator.from_url(any_url, locations=[folder])
    assert ("2", "t2", "Ignored") in states(m)
    problems = m.validate().errors
    assert problems and problems[0][0] == "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED"
    with pytest.raises(ValidationFailed, match="outOfOrder"):
        m.migrate()
    skipped = Migrator.from_url(any_url, locations=[folder],
                                ignore_migration_patterns=["*:ignored"]).migrate()
    assert skipped.applied == ()
    result = Migrator.from_url(any_url, locations=[folder], out_of_order=True).migrate()
    assert [(s.version, s.out_of_order) for s in result.applied] == [("2", True)]
    assert ("2", "t2", "Out of Order") in states(m)
    assert m.validate().ok


# -- baseline ---------------------------------------------------------------------------

def test_non_empty_schema_needs_baseline(any_url: str) -> None:
    execute(any_url, "CREATE TABLE legacy (id INT)")
    folder = ENGINE / "baseline-existing"
    with pytest.raises(MigrationError, match="non-empty schema"):
        Migrator.from_url(any_url, locations=[folder]).migrate()
    assert not table_exists(any_url, "flyway_schema_history")
    result = Migrator.from_url(any_url, locations=[folder], baseline_on_migrate=True).migrate()
    assert result.baselined
    assert [s.version for s in result.applied] == ["2"]
    rows = history(any_url)
    first = rows[0]
    assert (first["installed_rank"], first["version"], first["description"], first["type"],
            first["script"], first["checksum"], first["installed_by"], first["execution_time"],
            bool(first["success"])) == (
        1, "1", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", None,
        expected_user(any_url), 0, True)
    m = Migrator.from_url(any_url, locations=[folder])
    # As Flyway lists it: the file at the baseline version apart from the baseline row.
    assert [(i.category, i.version_text, i.state.value) for i in m.info()] == [
        ("Versioned", "1", "Ignored (Baseline)"), ("", "1", "Baseline"),
        ("Versioned", "2", "Success")]
    assert m.validate().ok


def test_baseline_on_migrate_with_an_empty_schema_writes_no_baseline(any_url: str) -> None:
    Migrator.from_url(any_url, locations=[ENGINE / "target"], baseline_on_migrate=True).migrate()
    assert [r["type"] for r in history(any_url)] == ["SQL"] * 4


def test_baseline_command(any_url: str) -> None:
    folder = ENGINE / "target"
    m = Migrator.from_url(any_url, locations=[folder], baseline_version="2",
                          baseline_description="Existing prod")
    assert m.baseline().created
    assert not m.baseline().created  # the same baseline again is skipped
    rows = history(any_url)
    assert [(r["installed_rank"], r["version"], r["description"], r["script"]) for r in rows] == [
        (1, "2", "Existing prod", "Existing prod")]
    assert [s for _, _, s in states(m)] == [
        "Below Baseline", "Ignored (Baseline)", "Baseline", "Pending", "Pending"]
    with pytest.raises(MigrationError, match="already been baselined"):
        Migrator.from_url(any_url, locations=[folder], baseline_version="3").baseline()
    assert [s.version for s in m.migrate().applied] == ["3", "4"]


def test_baseline_refused_when_migrations_exist(any_url: str) -> None:
    Migrator.from_url(any_url, locations=[ENGINE / "target"], target="1").migrate()
    with pytest.raises(MigrationError, match="already contains migrations"):
        Migrator.from_url(any_url, locations=[ENGINE / "target"]).baseline()


# -- validation and checksums -------------------------------------------------------------

def test_tampered_file_stops_validate_and_migrate(any_url: str, tmp_path: Path) -> None:
    folder = fixture("basic", tmp_path)
    Migrator.from_url(any_url, locations=[folder]).migrate()
    path = folder / "V1__Create_people.sql"
    path.write_text(path.read_text().replace("first table", "first table "))
    m = Migrator.from_url(any_url, locations=[folder])
    result = m.validate()
    assert result.errors[0][0] == "CHECKSUM_MISMATCH"
    assert "V1__Create_people.sql" in result.errors[0][1]
    with pytest.raises(ValidationFailed, match=r"checksum mismatch.*V1__Create_people\.sql"):
        m.migrate()
    # Line endings alone never change the checksum.
    path.write_bytes(path.read_bytes().replace(b"first table ", b"first table")
                     .replace(b"\n", b"\r\n"))
    assert m.validate().ok


def test_repair_realigns_a_changed_checksum(any_url: str, tmp_path: Path) -> None:
    folder = fixture("basic", tmp_path)
    m = Migrator.from_url(any_url, locations=[folder])
    m.migrate()
    path = folder / "V1.1__Add_email.sql"
    path.write_text("-- reviewed\n" + path.read_text())
    assert not m.validate().ok
    repaired = m.repair()
    assert repaired.aligned == ("1.1 (V1.1__Add_email.sql)",)
    assert history(any_url)[1]["checksum"] == checksum_bytes(path.read_bytes())
    assert m.validate().ok


def test_validate_on_migrate_can_be_turned_off(any_url: str, tmp_path: Path) -> None:
    folder = fixture("target", tmp_path)
    Migrator.from_url(any_url, locations=[folder], target="2").migrate()
    (folder / "V1__t1.sql").write_text("CREATE TABLE target_1 (id INT, changed INT);\n")
    with pytest.raises(ValidationFailed):
        Migrator.from_url(any_url, locations=[folder]).migrate()
    result = Migrator.from_url(any_url, locations=[folder], validate_on_migrate=False).migrate()
    assert [s.version for s in result.applied] == ["3", "4"]


def test_missing_and_future_migrations_and_repair(any_url: str, tmp_path: Path) -> None:
    folder = fixture("basic", tmp_path)
    m = Migrator.from_url(any_url, locations=[folder])
    m.migrate()
    (folder / "V1.1__Add_email.sql").unlink()
    assert [s for _, _, s in states(m)] == ["Success", "Missing", "Success", "Success"]
    result = m.validate()
    assert [c for c, _ in result.errors] == ["APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED"]
    assert "1.1" in result.errors[0][1]
    with pytest.raises(ValidationFailed):
        m.migrate()
    repaired = m.repair()
    assert repaired.deleted_missing == ("1.1 (V1.1__Add_email.sql)",)
    rows = history(any_url)
    delete = rows[-1]
    assert (delete["installed_rank"], delete["version"], delete["type"], delete["script"],
            delete["execution_time"], bool(delete["success"])) == (
        5, "1.1", "DELETE", "V1.1__Add_email.sql", 0, True)
    assert delete["checksum"] == rows[1]["checksum"]
    assert [s for _, _, s in states(m)] == ["Success", "Deleted", "Success", "Success"]
    assert m.validate().ok
    assert m.migrate().applied == ()
    # A file above every version on disk is "Future": ignored by default (*:future).
    (folder / "sub" / "V2__Seed_more_people.sql").unlink()
    assert [s for _, _, s in states(m)] == ["Success", "Deleted", "Future", "Success"]
    assert m.validate().ok
    assert m.repair().deleted_missing == ()
    strict = Migrator.from_url(any_url, locations=[folder], ignore_migration_patterns=[])
    assert [c for c, _ in strict.validate().errors] == ["APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED"]


def test_ignore_missing_pattern(any_url: str, tmp_path: Path) -> None:
    folder = fixture("target", tmp_path)
    Migrator.from_url(any_url, locations=[folder]).migrate()
    (folder / "V2__t2.sql").unlink()
    assert not Migrator.from_url(any_url, locations=[folder]).validate().ok
    assert Migrator.from_url(any_url, locations=[folder],
                             ignore_migration_patterns=["*:missing"]).validate().ok


# -- placeholders ----------------------------------------------------------------------

def test_placeholders(any_url: str) -> None:
    folder = ENGINE / "placeholders"
    m = Migrator.from_url(any_url, locations=[folder], placeholders={"owner": "ops"})
    m.migrate()
    facts = dict(query(any_url, "SELECT k, v FROM facts"))
    pg = kind_of(any_url) == "postgresql"
    assert facts == {
        "schema": "public" if pg else "main",
        "user": "postgres" if pg else "",
        "table": "flyway_schema_history",
        "filename": "V1__placeholders.sql",
        "custom": "ops",
    }
    assert table_exists(any_url, "facts_ops")
    raw = (folder / "R__facts_view.sql").read_text()
    repeatable = history(any_url)[1]
    # A repeatable's checksum is taken after replacement; a versioned one's is not.
    assert repeatable["checksum"] == checksum_text(raw.replace("${owner}", "ops"))
    assert repeatable["checksum"] != checksum_text(raw)
    assert history(any_url)[0]["checksum"] == checksum_bytes(
        (folder / "V1__placeholders.sql").read_bytes())
    other = Migrator.from_url(any_url, locations=[folder], placeholders={"owner": "dev"})
    assert states(other)[-2:] == [("", "facts view", "Outdated"), ("", "facts view", "Pending")]
    assert [s.script for s in other.migrate().applied] == ["R__facts_view.sql"]
    assert table_exists(any_url, "facts_dev")


SECRET_VALUE = "Pw7'Mg7Piece Zq8Tail"  # a quote ends the literal: the rest is SQL


@pytest.mark.parametrize(("sql", "name", "value"), [
    ("CREATE TABLE leaky (v TEXT DEFAULT '${dbPassword}');\n", "dbPassword", SECRET_VALUE),
    ("CREATE TABLE leaky (v TEXT DEFAULT '${dbPassword}' NOT_A_KEYWORD);\n", "dbPassword",
     SECRET_VALUE.replace("'", "")),
    ("CREATE TABLE leaky (v TEXT DEFAULT '${apiToken}' NOT_A_KEYWORD);\n", "apiToken",
     SECRET_VALUE.replace("'", "")),
    *((f"CREATE TABLE leaky (v TEXT DEFAULT '${{{key}}}' NOT_A_KEYWORD);\n", key,
       SECRET_VALUE.replace("'", ""))
      for key in ("privateKey", "encryptionKey", "signing_key", "ACCOUNT_KEY", "key",
                  "hmacKey", "clientCredential")),
    # The piece quoted with the statement's own quotes around it: "'Mg7Piece Zq8Tail'".
    ("CREATE TABLE leaky (v TEXT DEFAULT '${dbPassword}');\n", "dbPassword",
     "Pw7' 'Mg7Piece Zq8Tail"),
    # ... with its blanks folded into one space by the message.
    ("CREATE TABLE leaky (v TEXT DEFAULT '${dbPassword}');\n", "dbPassword",
     "Pw7' 'Mg7Piece\t Zq8Tail"),
    # Read as a column: PostgreSQL names it lower-cased ("mg7piece"), SQLite bare.
    ("SELECT '${dbPassword}' AS v;\n", "dbPassword", "Pw7'||Mg7Piece||'Zq8Tail"),
    # ... and the rest of the statement with the unclosed quote.
    ("SELECT '${dbPassword}' AS v;\n", "dbPassword", "Pw7''Mg7Piece Zq8Tail'"),
], ids=["value-breaks-the-literal", "statement-quoted-back", "token",
        "private-key", "encryption-key", "signing-key", "account-key", "key", "hmac-key",
        "credential", "own-quotes",
        "blanks-folded", "read-as-a-column", "unclosed-quote"])
def test_a_failing_statement_quotes_no_piece_of_a_secret_placeholder(
        any_url: str, tmp_path: Path, sql: str, name: str, value: str) -> None:
    """The database quotes the statement it refused (PostgreSQL's "LINE 1: ..."), or the
    piece of a password that broke its syntax ('near "Mg7Piece"', with the statement's
    quotes around it, lower-cased as a name, or bare: 'no such column: Mg7Piece'):
    none reaches the error, nor its cause or context."""
    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "V1__leaky.sql").write_text(sql)
    m = Migrator.from_url(any_url, locations=[folder], placeholders={name: value})
    with pytest.raises(MigrationError, match="failed at line 1") as info:
        m.migrate()
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException | None] = [info.value]
    while stack:
        exc = stack.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        texts += [str(exc), repr(exc), *(repr(a) for a in exc.args)]
        stack += [exc.__cause__, exc.__context__]
    for piece in ("mg7piece", "zq8tail"):
        assert not [t for t in texts if piece in t.lower()], texts


@pytest.mark.parametrize("name", ["primaryKey", "sortKey", "keyspace", "monkey", "owner"])
def test_a_placeholder_named_like_no_secret_is_shown(name: str) -> None:
    from monozu.db.dialects.urls import secret_setting

    assert not secret_setting(name)


def test_a_name_the_statement_holds_outside_the_secret_is_still_shown() -> None:
    from monozu.db.migrate.placeholders import without_pieces

    sql = "CREATE USER app_x WITH PASSWORD 'app_x'Secret9';"
    message = 'role "app_x" exists; unrecognized role option "secret9"'
    assert without_pieces(message, ["app_x'Secret9"], sql) == (
        'role "app_x" exists; unrecognized role option "***"')


def test_database_placeholder(any_url: str) -> None:
    m = Migrator.from_url(any_url, locations=[ENGINE / "placeholder-database"])
    if kind_of(any_url) == "postgresql":
        m.migrate()
        assert query(any_url, "SELECT v FROM db_name") == [(any_url.rsplit("/", 1)[1],)]
        return
    # Flyway has no value for it on SQLite and refuses the script; so does this runner.
    with pytest.raises(MigrationError, match=r"default placeholder: \$\{flyway:database\}"):
        m.migrate()
    assert not table_exists(any_url, "db_name")


def test_unknown_placeholder_runs_nothing(any_url: str) -> None:
    with pytest.raises(MigrationError, match=r"No value provided for placeholder: \$\{owner\}"):
        Migrator.from_url(any_url, locations=[ENGINE / "placeholders"]).migrate()
    assert not table_exists(any_url, "flyway_schema_history")
    assert not table_exists(any_url, "facts")


# -- failures and transactions ---------------------------------------------------------------

def test_failed_migration_is_rolled_back(any_url: str) -> None:
    m = Migrator.from_url(any_url, locations=[ENGINE / "failing"])
    with pytest.raises(MigrationError) as caught:
        m.migrate()
    message = str(caught.value)
    assert "V2__bad.sql" in message and "line 3" in message
    assert "no_such_table" in message
    assert "\n" not in message
    assert [r["version"] for r in history(any_url)] == ["1"]
    assert not table_exists(any_url, "half_done")
    assert not table_exists(any_url, "after_bad")
    assert [s for _, _, s in states(m)] == ["Success", "Pending", "Pending"]


def test_a_failure_in_a_file_of_carriage_returns_names_its_line(any_url: str,
                                                                  tmp_path: Path) -> None:
    # Lines ended by a lone \r were not counted: "failed at line 1".
    (tmp_path / "V1__cr.sql").write_text("SELECT 1;\r\rSELECT 1\r\rFROM nosuch;\r", newline="")
    with pytest.raises(MigrationError) as caught:
        Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    # PostgreSQL points at the token; SQLite names the statement.
    line = 5 if kind_of(any_url) == "postgresql" else 3
    assert f"V1__cr.sql failed at line {line}:" in str(caught.value)


def test_a_script_holding_a_nul_runs_nothing(any_url: str, tmp_path: Path) -> None:
    # PostgreSQL got the text before the NUL only, and the migration was recorded as a
    # success without the statement after it. (A lone surrogate cannot be in a UTF-8
    # file: reading it fails first.)
    (tmp_path / "V1__ok.sql").write_text("CREATE TABLE before_it (a INT);\n")
    (tmp_path / "V2__bad.sql").write_text(
        "CREATE TABLE kept (a INT);\nCREATE TABLE cut (a INT);\x00 DROP TABLE kept;\n")
    m = Migrator.from_url(any_url, locations=[tmp_path])
    with pytest.raises(MigrationError) as caught:
        m.migrate()
    message = str(caught.value)
    assert "V2__bad.sql" in message and "line 2" in message
    assert "a NUL character (U+0000)" in message
    # Refused while the pending scripts are read, before the first of them runs.
    assert not table_exists(any_url, "before_it")
    assert not table_exists(any_url, "kept") and not table_exists(any_url, "cut")


def test_a_comment_never_closed_runs_nothing(any_url: str, tmp_path: Path) -> None:
    # The open comment swallowed "two", and the migration was recorded as a success.
    (tmp_path / "V1__ok.sql").write_text("CREATE TABLE before_it (a INT);\n")
    (tmp_path / "V2__open.sql").write_text(
        "CREATE TABLE one (x INT);\n/* never closed\nCREATE TABLE two (x INT);\n")
    with pytest.raises(MigrationError, match=r"V2__open\.sql cannot run: line 2 opens a /\* "
                                             "comment that is never closed"):
        Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    assert history(any_url) == [] and not table_exists(any_url, "before_it")


def test_group_rolls_back_every_migration(any_url: str) -> None:
    with pytest.raises(MigrationError, match=r"V2__bad\.sql"):
        Migrator.from_url(any_url, locations=[ENGINE / "failing"], group=True).migrate()
    assert history(any_url) == []
    assert not table_exists(any_url, "ok_table")


def test_non_transactional_failure_needs_repair(any_url: str, tmp_path: Path) -> None:
    folder = fixture("conf-no-tx", tmp_path)
    m = Migrator.from_url(any_url, locations=[folder])
    with pytest.raises(MigrationError, match=r"V2__no_tx\.sql failed at line 3"):
        m.migrate()
    rows = history(any_url)
    assert [(r["version"], bool(r["success"])) for r in rows] == [("1", True), ("2", False)]
    assert rows[1]["checksum"] == checksum_bytes((folder / "V2__no_tx.sql").read_bytes())
    assert query(any_url, "SELECT id FROM c ORDER BY id") == [(1,), (2,)]  # not rolled back
    assert [s for _, _, s in states(m)] == ["Success", "Failed"]
    assert m.validate().errors[0][0] == "FAILED_VERSIONED_MIGRATION"
    with pytest.raises(MigrationError, match="failed migration to version 2"):
        m.migrate()
    with pytest.raises(MigrationError, match="failed migration to version 2"):
        Migrator.from_url(any_url, locations=[folder], validate_on_migrate=False).migrate()
    repaired = m.repair()
    assert repaired.removed_failed == ("2 (V2__no_tx.sql)",)
    assert [r["version"] for r in history(any_url)] == ["1"]
    execute(any_url, "DELETE FROM c")
    (folder / "V2__no_tx.sql").write_text("INSERT INTO c VALUES (1);\n")
    assert [s.version for s in m.migrate().applied] == ["2"]


def test_a_script_that_commits_part_way_is_not_said_to_be_rolled_back(
        any_url: str, tmp_path: Path) -> None:
    # Run in the runner's transaction, the COMMIT kept "two" (and on SQLite "three")
    # while the error said "Changes successfully rolled back" and no row was written.
    (tmp_path / "V1__one.sql").write_text("CREATE TABLE one (x INT);\n")
    (tmp_path / "V2__c.sql").write_text(
        "CREATE TABLE two (x INT);\nCOMMIT;\nCREATE TABLE three (x INT);\n"
        "SELECT * FROM nosuch;\n")
    with pytest.raises(MigrationError) as caught:
        Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    message = str(caught.value)
    assert "V2__c.sql" in message and "successfully rolled back" not in message
    assert "not rolled back" in message
    assert [(r["version"], bool(r["success"])) for r in history(any_url)] == [
        ("1", True), ("2", False)]


def test_a_script_that_rolls_back_part_way_is_never_recorded_as_applied(
        any_url: str, tmp_path: Path) -> None:
    # Its ROLLBACK undid "two" inside the runner's transaction, and the migration was
    # still recorded as a success (PostgreSQL), or recorded and then reported as an
    # unnamed commit error (SQLite).
    (tmp_path / "V1__c.sql").write_text(
        "CREATE TABLE two (x INT);\nROLLBACK;\nCREATE TABLE three (x INT);\n")
    try:
        Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    except MigrationError as exc:
        assert "V1__c.sql failed at line 2" in str(exc)  # SQLite: no transaction to end
    rows = history(any_url)
    assert len(rows) == 1
    # Recorded as applied only when what it did is all there: run outside a transaction,
    # each statement is kept as it runs.
    assert not rows[0]["success"] or (table_exists(any_url, "two")
                                      and table_exists(any_url, "three"))


def test_a_script_in_a_transaction_of_its_own_runs_outside_the_runners(
        any_url: str, tmp_path: Path) -> None:
    (tmp_path / "V1__own.sql").write_text("BEGIN;\nCREATE TABLE two (x INT);\nCOMMIT;\n")
    result = Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    assert [(s.version, s.transactional) for s in result.applied] == [("1", False)]
    assert table_exists(any_url, "two")
    assert [bool(r["success"]) for r in history(any_url)] == [True]


def test_a_transaction_a_script_leaves_open_is_rolled_back_and_the_script_failed(
        any_url: str, tmp_path: Path) -> None:
    # PostgreSQL committed the open transaction with the history row; SQLite failed to
    # begin the row's own transaction and rolled the changes back only on closing.
    (tmp_path / "V1__open.sql").write_text("BEGIN;\nCREATE TABLE two (x INT);\n")
    (tmp_path / "V2__after.sql").write_text("CREATE TABLE three (x INT);\n")
    with pytest.raises(MigrationError, match=r"V1__open\.sql began a transaction and did "
                                             "not end it"):
        Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    assert [(r["version"], bool(r["success"])) for r in history(any_url)] == [("1", False)]
    assert not table_exists(any_url, "two") and not table_exists(any_url, "three")


def test_a_failure_inside_a_scripts_own_transaction_says_what_was_undone(
        any_url: str, tmp_path: Path) -> None:
    # The message said none of its statements were rolled back, while the ones in the
    # transaction it began were.
    (tmp_path / "V1__own.sql").write_text(
        "CREATE TABLE kept (x INT);\nBEGIN;\nCREATE TABLE undone (x INT);\n"
        "SELECT * FROM nosuch;\nCOMMIT;\n")
    with pytest.raises(MigrationError, match=r"V1__own\.sql failed at line 4: .* its earlier "
                       "statements were not rolled back, except those in a transaction it "
                       "left open"):
        Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    assert table_exists(any_url, "kept") and not table_exists(any_url, "undone")
    assert [bool(r["success"]) for r in history(any_url)] == [False]


def test_a_commit_in_a_script_configured_to_run_in_a_transaction_is_refused(
        any_url: str, tmp_path: Path) -> None:
    (tmp_path / "V1__c.sql").write_text("CREATE TABLE two (x INT);\nCOMMIT;\n")
    (tmp_path / "V1__c.sql.conf").write_text("executeInTransaction=true\n")
    with pytest.raises(MigrationError, match=r"V1__c\.sql cannot run in a transaction as "
                                             r"V1__c\.sql\.conf asks: line 2 .*\(COMMIT\)"):
        Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    assert history(any_url) == [] and not table_exists(any_url, "two")


@pytest.mark.parametrize("group", [False, True])
def test_a_migration_that_cannot_be_recorded_is_named(any_url: str, tmp_path: Path,
                                                      group: bool) -> None:
    # The error was the database's alone ("no such table: main.flyway_schema_history"),
    # naming neither the migration nor what became of its changes.
    (tmp_path / "V1__one.sql").write_text("CREATE TABLE one (x INT);\n")
    Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    (tmp_path / "V2__drop.sql").write_text(
        "CREATE TABLE two (x INT);\nDROP TABLE flyway_schema_history;\n")
    with pytest.raises(MigrationError) as caught:
        Migrator.from_url(any_url, locations=[tmp_path], group=group).migrate()
    message = str(caught.value)
    assert message.startswith("Migration V2__drop.sql ran, but could not be recorded in ")
    assert "flyway_schema_history" in message
    assert message.endswith("The whole group was rolled back." if group
                            else "Changes successfully rolled back.")
    assert [r["version"] for r in history(any_url)] == ["1"]
    assert not table_exists(any_url, "two")


def test_create_index_concurrently_runs_outside_a_transaction(pg_url: str) -> None:
    result = Migrator.from_url(pg_url, locations=[ENGINE / "nontx-postgresql"]).migrate()
    assert [(s.version, s.transactional) for s in result.applied] == [("1", True), ("2", False)]
    assert query(pg_url, "SELECT indexname FROM pg_indexes WHERE tablename = 'items'"
                         " AND indexname = 'items_name_idx'") == [("items_name_idx",)]
    assert [bool(r["success"]) for r in history(pg_url)] == [True, True]


def test_failed_concurrent_index_writes_a_failed_row(pg_url: str) -> None:
    with pytest.raises(MigrationError, match=r"V2__concurrently_then_fail\.sql failed at line 2"):
        Migrator.from_url(pg_url, locations=[ENGINE / "nontx-failing-postgresql"]).migrate()
    assert [(r["version"], r["success"]) for r in history(pg_url)] == [("1", True), ("2", False)]
    assert query(pg_url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_name_idx'"
                 ) == [(1,)]


def test_mixed_script_is_refused_unless_allowed(pg_url: str) -> None:
    folder = ENGINE / "mixed-postgresql"
    with pytest.raises(MigrationError, match="both transactional and non-transactional"):
        Migrator.from_url(pg_url, locations=[folder]).migrate()
    assert history(pg_url) == []
    result = Migrator.from_url(pg_url, locations=[folder], mixed=True).migrate()
    assert [(s.version, s.transactional) for s in result.applied] == [("1", False)]


def test_default_schema_on_postgresql(pg_url: str) -> None:
    execute(pg_url, "CREATE SCHEMA app")
    m = Migrator.from_url(pg_url, locations=[ENGINE / "placeholders"], default_schema="app",
                          placeholders={"owner": "ops"})
    m.migrate()
    assert query(pg_url, "SELECT count(*) FROM app.flyway_schema_history") == [(2,)]
    assert query(pg_url, "SELECT v FROM app.facts WHERE k = 'schema'") == [("app",)]
    assert not table_exists(pg_url, "public.flyway_schema_history")
    assert m.validate().ok


def test_a_scripts_search_path_does_not_reach_the_next_migration(pg_url: str,
                                                                  tmp_path: Path) -> None:
    # Flyway gives the session its search path back after each migration: "two" goes
    # to public with Flyway, and went to "other" here.
    (tmp_path / "V1__other.sql").write_text(
        "CREATE SCHEMA other;\nSET search_path TO other;\nCREATE TABLE one (x INT);\n")
    (tmp_path / "V2__two.sql").write_text("CREATE TABLE two (x INT);\n")
    (tmp_path / "V3__three.sql").write_text("CREATE TABLE three (x INT);\n")
    (tmp_path / "V3__three.sql.conf").write_text("executeInTransaction=false\n")
    (tmp_path / "V4__four.sql").write_text(
        "SET search_path TO other;\nCREATE TABLE four (x INT);\n")
    (tmp_path / "V4__four.sql.conf").write_text("executeInTransaction=false\n")
    (tmp_path / "V5__five.sql").write_text("CREATE TABLE five (x INT);\n")
    Migrator.from_url(pg_url, locations=[tmp_path]).migrate()
    assert query(pg_url, "SELECT table_schema, table_name FROM information_schema.tables "
                         "WHERE table_name IN ('one', 'two', 'three', 'four', 'five') "
                         "ORDER BY table_name") == [
        ("public", "five"), ("other", "four"),
        ("other", "one"), ("public", "three"), ("public", "two")]


@pytest.mark.parametrize("how", ["transactional", "outside", "group"])
def test_a_scripts_set_role_does_not_write_the_history(pg_url: str, tmp_path: Path,
                                                       how: str) -> None:
    # The history row was written as the role the script set, which may not write it:
    # "permission denied for table flyway_schema_history". Flyway sets the role back.
    import uuid

    role = f"weak_{uuid.uuid4().hex[:8]}"
    (tmp_path / "V1__role.sql").write_text(f"CREATE ROLE {role};\nSET ROLE {role};\n")
    if how == "outside":
        (tmp_path / "V1__role.sql.conf").write_text("executeInTransaction=false\n")
    (tmp_path / "V2__two.sql").write_text("CREATE TABLE two (x INT);\n")
    try:
        Migrator.from_url(pg_url, locations=[tmp_path], group=how == "group").migrate()
        assert [(r["version"], r["success"], r["installed_by"]) for r in history(pg_url)] == [
            ("1", True, "postgres"), ("2", True, "postgres")]
        assert query(pg_url, "SELECT tableowner FROM pg_tables WHERE tablename = 'two'"
                     ) == [("postgres",)]
    finally:
        execute(pg_url, f"DROP ROLE IF EXISTS {role}")


def test_a_migration_that_gives_up_the_lock_has_it_taken_again(pg_url: str,
                                                                tmp_path: Path) -> None:
    # DISCARD ALL releases session advisory locks: the later migrations ran without the
    # lock that keeps another runner (ours or Flyway's) out.
    (tmp_path / "V1__discard.sql").write_text("DISCARD ALL;\n")
    (tmp_path / "V2__unlock.sql").write_text("SELECT pg_advisory_unlock_all();\n")
    (tmp_path / "V3__probe.sql").write_text(
        "CREATE TABLE held AS SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"
        " AND pid = pg_backend_pid() AND granted;\n")
    Migrator.from_url(pg_url, locations=[tmp_path]).migrate()
    assert query(pg_url, "SELECT n FROM held") == [(1,)]
    assert [r["success"] for r in history(pg_url)] == [True, True, True]


def test_a_lock_given_up_and_taken_by_another_runner_stops_the_migration(
        pg_url: str, tmp_path: Path) -> None:
    import threading

    import psycopg

    from monozu.db.dialects.postgresql.migration import lock_key

    (tmp_path / "V1__unlock.sql").write_text(
        "SELECT pg_advisory_unlock_all();\nSELECT pg_sleep(1);\n")
    (tmp_path / "V1__unlock.sql.conf").write_text("executeInTransaction=false\n")
    (tmp_path / "V2__after.sql").write_text("CREATE TABLE after_it (x INT);\n")
    key = lock_key("public", "flyway_schema_history")
    taken, done = threading.Event(), threading.Event()

    def other_runner() -> None:
        with psycopg.connect(pg_url, autocommit=True) as other:
            for _ in range(500):
                if other.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone() == (
                        True,):
                    taken.set()
                    done.wait(30)
                    return
                if done.wait(0.01):
                    return

    thread = threading.Thread(target=other_runner)

    def start_other(_line: str) -> None:
        # Once the runner holds the lock (its first line), so the other one waits for it.
        if thread.ident is None:
            thread.start()

    m = Migrator.from_url(pg_url, locations=[tmp_path])
    try:
        with pytest.raises(MigrationError, match="another runner has taken it since"):
            m.migrate(progress=start_other)
    finally:
        done.set()
        if thread.is_alive():
            thread.join()
    assert taken.is_set()
    assert [(r["version"], r["success"]) for r in history(pg_url)] == [("1", False)]
    assert not table_exists(pg_url, "after_it")


def test_sqlite_pragma_runs_outside_a_transaction(sqlite_url: str) -> None:
    result = Migrator.from_url(sqlite_url, locations=[ENGINE / "nontx-sqlite"]).migrate()
    assert [(s.version, s.transactional) for s in result.applied] == [("1", True), ("2", False)]


def test_postgresql_dollar_quotes_and_copy(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "V1__plpgsql.sql").write_text(
        "CREATE TABLE n (v INT);\n"
        "CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        "BEGIN\n  NEW.v := NEW.v + 1; -- a ; inside\n  RETURN NEW;\nEND;\n$fn$;\n"
        "CREATE TRIGGER n_bump BEFORE INSERT ON n FOR EACH ROW EXECUTE FUNCTION bump();\n"
        "COPY n (v) FROM STDIN;\n1\n2\n\\.\n"
        "CREATE FUNCTION twice(x INT) RETURNS INT LANGUAGE sql BEGIN ATOMIC\n"
        "  SELECT x * 2;\nEND;\n")
    Migrator.from_url(pg_url, locations=[tmp_path]).migrate()
    assert query(pg_url, "SELECT v FROM n ORDER BY v") == [(2,), (3,)]
    assert query(pg_url, "SELECT twice(4)") == [(8,)]


def test_sqlite_trigger_bodies(sqlite_url: str, tmp_path: Path) -> None:
    (tmp_path / "V1__trigger.sql").write_text(
        "CREATE TABLE n (v INT, tag TEXT);\n"
        "CREATE TRIGGER n_tag AFTER INSERT ON n BEGIN\n"
        "  UPDATE n SET tag = CASE WHEN NEW.v > 1 THEN 'big;' ELSE 'small' END\n"
        "  WHERE rowid = NEW.rowid;\nEND;\n"
        "INSERT INTO n (v) VALUES (1), (2);\n")
    Migrator.from_url(sqlite_url, locations=[tmp_path]).migrate()
    assert query(sqlite_url, "SELECT v, tag FROM n ORDER BY v") == [(1, "small"), (2, "big;")]


# -- bad input -------------------------------------------------------------------------------

def test_bad_input(any_url: str) -> None:
    with pytest.raises(MigrationError, match=r"V1__latin1\.sql"):
        Migrator.from_url(any_url, locations=[ENGINE / "non-utf8"]).migrate()
    assert not table_exists(any_url, "flyway_schema_history")
    with pytest.raises(MigrationConfigError, match="does not exist"):
        Migrator.from_url(any_url, locations=[ENGINE / "no-such-folder"]).migrate()
    with pytest.raises(MigrationConfigError, match="Unknown configuration property"):
        Migrator.from_url(any_url, locations=[ENGINE / "conf-bad-key"]).migrate()
    assert not table_exists(any_url, "flyway_schema_history")
    result = Migrator.from_url(any_url, locations=[ENGINE / "bad-names"]).migrate()
    assert [s.script for s in result.applied] == ["V1__good.sql"]
    assert any("V2_typo.sql" in w for w in result.warnings)


def test_a_baseline_migration_stops_the_migration_of_a_new_database(
        any_url: str, tmp_path: Path) -> None:
    # Flyway runs B2 in place of V1 on a new database; skipped with a warning, V1 and V3
    # built another schema from the same files.
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE a (x INT);\n")
    (tmp_path / "B2__b.sql").write_text("CREATE TABLE b (x INT);\n")
    (tmp_path / "V3__c.sql").write_text("CREATE TABLE c (x INT);\n")
    with pytest.raises(MigrationConfigError, match=r"Baseline migration B2__b\.sql: on a new "
                                                   "database Flyway runs it"):
        Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    assert not table_exists(any_url, "flyway_schema_history")
    assert not table_exists(any_url, "a")
    # With a history, Flyway ignores baseline migrations, and so does monozu.
    (tmp_path / "B2__b.sql").rename(tmp_path / "B2__b.sql.away")
    Migrator.from_url(any_url, locations=[tmp_path], target="1").migrate()
    (tmp_path / "B2__b.sql.away").rename(tmp_path / "B2__b.sql")
    result = Migrator.from_url(any_url, locations=[tmp_path]).migrate()
    assert [s.version for s in result.applied] == ["3"]
    assert any("B2__b.sql: baseline migrations are not run" in w for w in result.warnings)


def test_empty_migration_is_recorded_with_checksum_zero(any_url: str) -> None:
    result = Migrator.from_url(any_url, locations=[ENGINE / "empty-file"]).migrate()
    assert [s.version for s in result.applied] == ["1", "2"]
    assert history(any_url)[0]["checksum"] == 0


def test_foreign_history_table_is_refused(any_url: str) -> None:
    execute(any_url, "CREATE TABLE flyway_schema_history (id INT, name VARCHAR(10))")
    m = Migrator.from_url(any_url, locations=[ENGINE / "basic"])
    for call in (m.migrate, m.info, m.validate, m.repair):
        with pytest.raises(MigrationError, match=r"not a Flyway schema history table.*"
                                                 r"installed_rank"):
            call()
    assert not table_exists(any_url, "people")


def test_unknown_history_type_is_refused(any_url: str) -> None:
    m = Migrator.from_url(any_url, locations=[ENGINE / "target"], target="1")
    m.migrate()
    execute(any_url, "UPDATE flyway_schema_history SET type = 'MAGIC'")
    with pytest.raises(MigrationError, match="Unknown migration type 'MAGIC'"):
        m.info()


def test_unreachable_database(tmp_path: Path) -> None:
    with pytest.raises(MonozuError, match="cannot connect") as caught:
        Migrator.from_url("postgresql://u:sekret@127.0.0.1:1/db?connect_timeout=2",
                          locations=[ENGINE / "basic"]).migrate()
    assert "sekret" not in str(caught.value)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(MonozuError):
        Migrator.from_url(f"sqlite:///{blocker}/sub/x.db", locations=[ENGINE / "basic"]).info()


# -- clean -----------------------------------------------------------------------------------

def test_clean_is_refused_unless_enabled(any_url: str) -> None:
    m = Migrator.from_url(any_url, locations=[ENGINE / "basic"])
    m.migrate()
    with pytest.raises(MigrationConfigError, match="cleanDisabled"):
        m.clean()
    assert table_exists(any_url, "people")


def test_clean_drops_everything(any_url: str, tmp_path: Path) -> None:
    folder = fixture("basic", tmp_path)
    if kind_of(any_url) == "postgresql":
        (folder / "V3__more_objects.sql").write_text(
            "CREATE SEQUENCE counter;\n"
            "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
            "CREATE DOMAIN short_text AS VARCHAR(5);\n"
            "CREATE TABLE child (id INT REFERENCES people (id), m mood, s short_text);\n"
            "CREATE FUNCTION add1(x INT) RETURNS INT LANGUAGE sql AS 'SELECT x + 1';\n"
            "CREATE MATERIALIZED VIEW mv AS SELECT id FROM people;\n")
    else:
        (folder / "V3__more_objects.sql").write_text(
            "CREATE TABLE child (id INT REFERENCES people (id));\n"
            "CREATE TRIGGER child_t AFTER INSERT ON child BEGIN SELECT 1; END;\n")
    m = Migrator.from_url(any_url, locations=[folder], clean_disabled=False)
    m.migrate()
    result = m.clean()
    assert any("people" in d for d in result.dropped)
    if kind_of(any_url) == "sqlite":
        assert query(any_url, "SELECT name FROM sqlite_master") == []
    else:
        left = query(any_url, "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                              "ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
        assert left == []
        assert query(any_url, "SELECT proname FROM pg_proc p JOIN pg_namespace n ON "
                              "n.oid = p.pronamespace WHERE n.nspname = 'public'") == []
        assert query(any_url, "SELECT typname FROM pg_type t JOIN pg_namespace n ON "
                              "n.oid = t.typnamespace WHERE n.nspname = 'public'") == []
    assert [i.state for i in m.info()] == [State.PENDING] * 5
    assert len(m.migrate().applied) == 5


# -- start-up ---------------------------------------------------------------------------------

def test_migrate_on_startup(any_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config({}, url=any_url, dotenv=None)
    env = {"FLYWAY_LOCATIONS": f"filesystem:{ENGINE / 'target'}"}
    assert migrate_on_startup(config, env) is None
    assert not table_exists(any_url, "flyway_schema_history")
    result = migrate_on_startup(config, {**env, "MONOZU_MIGRATE_ON_START": "true"})
    assert result is not None and len(result.applied) == 4
    with pytest.raises(MigrationConfigError):
        migrate_on_startup(config, {**env, "MONOZU_MIGRATE_ON_START": "perhaps"})
    # as typed, ASCII digits, within Flyway's range (int() reads "1_0", "٣", and stops
    # with a ValueError of its own past 4300 digits)
    for wait in ("1_0", "\u0663", "9" * 5000, "-2", "2147483648", "ten"):
        with pytest.raises(MigrationConfigError, match="MONOZU_MIGRATE_LOCK_WAIT"):
            migrate_on_startup(config, {**env, "MONOZU_MIGRATE_ON_START": "true",
                                        "MONOZU_MIGRATE_LOCK_WAIT": wait})


def test_validate_problems_are_code_message_pairs(any_url: str) -> None:
    result = Migrator.from_url(any_url, locations=[ENGINE / "target"]).validate()
    assert not result.ok
    code, message = result.problems[0]
    assert code == "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED" and "V1__t1.sql" in message
    assert [m.version for m in result.invalid_migrations] == ["1", "2", "3", "4"]


def test_missing_repeatable_and_repair(any_url: str, tmp_path: Path) -> None:
    folder = fixture("repeatable", tmp_path)
    m = Migrator.from_url(any_url, locations=[folder])
    m.migrate()
    view = folder / "R__base_view.sql"
    view.write_text("DROP VIEW base_view;\nCREATE VIEW base_view AS SELECT 2 AS two;\n")
    m.migrate()
    view.unlink()
    # Only the latest row of a repeatable is Missing; older ones stay Superseded.
    assert [s for _, _, s in states(m)] == ["Success", "Superseded", "Missing"]
    assert [c for c, _ in m.validate().errors] == ["APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED"]
    assert m.repair().deleted_missing == ("base view (R__base_view.sql)",)
    rows = history(any_url)
    assert [(r["installed_rank"], r["type"], r["description"]) for r in rows][-1] == (
        4, "DELETE", "base view")
    assert rows[-1]["checksum"] == rows[2]["checksum"]
    assert [(i.category, i.type, i.state.value) for i in m.info()] == [
        ("Versioned", "SQL", "Success"), ("Repeatable", "SQL", "Superseded"),
        ("Repeatable", "SQL", "Deleted"), ("", "DELETE", "Success")]
    assert m.validate().ok


def test_a_lock_wait_that_runs_out_is_lock_timeout(any_url: str) -> None:
    """Another holder of the migration lock (PostgreSQL's advisory lock, SQLite's write
    lock) keeps it past the wait: the same LOCK_TIMEOUT error on every database."""
    import sqlite3

    import psycopg

    if kind_of(any_url) == "sqlite":
        holder: sqlite3.Connection | psycopg.Connection[tuple[object, ...]] = sqlite3.connect(
            any_url.split("sqlite:///", 1)[1], isolation_level=None)
        holder.execute("PRAGMA journal_mode = WAL")  # as the runner opens it
        holder.execute("BEGIN IMMEDIATE")
        url = any_url + "?busy_timeout=0.05"
    else:
        holder = psycopg.connect(any_url, autocommit=True)
        holder.execute("SELECT pg_advisory_lock(77433833903597)")
        url = any_url
    try:
        m = Migrator.from_url(url, locations=[ENGINE / "basic"], lock_retry_count=0)
        with pytest.raises(MigrationError) as caught:
            m.migrate()
    finally:
        holder.close()
    assert caught.value.code == "LOCK_TIMEOUT"
    assert "another migration is running" in str(caught.value)
    m.migrate()  # once the holder is gone


def test_an_up_to_date_sqlite_database_migrates_while_another_process_writes(
        sqlite_url: str) -> None:
    """SQLite's migration lock is its write lock, which every writer takes: a migrate
    with nothing to do had waited the whole lock wait for it and then failed, so an
    application migrating on start-up could not start while another process wrote."""
    import sqlite3

    Migrator.from_url(sqlite_url, locations=[ENGINE / "basic"]).migrate()
    holder = sqlite3.connect(sqlite_url.split("sqlite:///", 1)[1], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        m = Migrator.from_url(sqlite_url + "?busy_timeout=0.05", locations=[ENGINE / "basic"],
                              lock_retry_count=0)
        result = m.migrate()
        assert result.applied == ()
        assert result.target_version == result.initial_version is not None
    finally:
        holder.close()
