"""Pure parts of the runner: checksums, versions, names, placeholders, splitting,
settings, lock keys. No database needed."""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

from monozu.db.dialects.migration import java_hash
from monozu.db.dialects.postgresql.migration import lock_key as pg_lock_key
from monozu.db.dialects.postgresql.statements import RULES as PG_RULES
from monozu.db.dialects.sqlite.statements import RULES as SQLITE_RULES
from monozu.db.dialects.sqlserver.migration import lock_resource as sqlserver_lock_resource
from monozu.db.migrate.checksum import checksum_bytes, checksum_text
from monozu.db.migrate.errors import MigrationConfigError, MigrationError
from monozu.db.migrate.naming import (
    BadName,
    BaselineMigration,
    Callback,
    MigrationName,
    parse_name,
)
from monozu.db.migrate.placeholders import replace_placeholders
from monozu.db.migrate.resolve import resolve
from monozu.db.migrate.settings import load_settings, parse_placeholder_args
from monozu.db.migrate.splitter import split
from monozu.db.migrate.validate import parse_patterns
from monozu.db.migrate.version import InvalidVersion, Version, parse_target

ENGINE = Path(__file__).resolve().parents[2] / "fixtures" / "migrations" / "engine"

# flyway-compat §2.6: (file bytes, checksum). Vector 22 (an error) and 25 (placeholders)
# are tested separately below.
VECTORS: list[tuple[str, bytes, int]] = [
    ("01", b"", 0),
    ("02", b"\n", 0),
    ("03", b"SELECT 1;", 78787420),
    ("04", b"SELECT 1;\n", 78787420),
    ("05", b"SELECT 1;\r\n", 78787420),
    ("06", b"SELECT 1;\r", 78787420),
    ("07", b"\xef\xbb\xbfSELECT 1;\n", 78787420),
    ("08", b"SELECT 1;\nSELECT 2;\n", -1665099012),
    ("09", b"SELECT 1;SELECT 2;", -1665099012),
    ("10", b"\n\nSELECT 1;\n\n\nSELECT 2;\n\n", -1665099012),
    ("11", b"SELECT 1;  \n", 1189962089),
    ("12", b"\tSELECT 1;\n", -47946674),
    ("13", b"create table PERSON (\n    ID int not null,\n    NAME varchar(100) not null\n);\n",
     1715188512),
    ("14", b"create table PERSON (\r\n    ID int not null,\r\n    NAME varchar(100) not null\r\n"
           b");\r\n", 1715188512),
    ("15", "INSERT INTO t VALUES ('café üß €');\n".encode(), 1601202560),
    ("16", "SELECT '\u2028';\n".encode(), 1471816160),
    ("17", "SELECT '\x85\x0c\x0b\x1c';\n".encode(), -181326804),
    ("18", "SELECT '\U0001F600';\n".encode(), -1517219030),
    ("19", b"\xef\xbb\xbf", 0),
    ("20", b"\xef\xbb\xbf\xef\xbb\xbfSELECT 1;\n", -1606921097),
    ("21", b"\n\xef\xbb\xbfSELECT 1;\n", -1606921097),
    ("23", b"CREATE TABLE t (id INT);\r\nGO\r\nCREATE VIEW v AS SELECT id FROM t;\r\nGO\r\n",
     278087800),
    ("24", b"CREATE TABLE ${flyway:defaultSchema}.t (id INT);\n", -250953624),
]


@pytest.mark.parametrize(("data", "expected"), [(d, e) for _, d, e in VECTORS],
                         ids=[n for n, _, _ in VECTORS])
def test_checksum_vectors(data: bytes, expected: int) -> None:
    assert checksum_bytes(data) == expected


def test_checksum_vector_22_invalid_utf8_is_an_error() -> None:
    with pytest.raises(UnicodeDecodeError):
        checksum_bytes(b"SELECT 'caf\xe9';\n")


def test_checksum_vector_25_repeatable_after_placeholders(tmp_path: Path) -> None:
    (tmp_path / "R__v.sql").write_bytes(b"CREATE VIEW ${flyway:defaultSchema}.v AS SELECT 1;")
    res = resolve([tmp_path], placeholders=lambda name: {"flyway:defaultschema": "dbo"})
    (m,) = res.migrations
    assert m.checksum == -1433249338
    assert m.equivalent_checksum == 464777505
    assert m.checksum_matches(464777505) and m.checksum_matches(-1433249338)
    assert not m.checksum_matches(1)


def test_checksum_is_not_the_whole_file_crc() -> None:
    data = b"SELECT 1;\n"
    assert checksum_bytes(data) != zlib.crc32(data)
    assert checksum_text("a\nb") == checksum_text("ab") == checksum_text("\n\na\n\n\nb\n")


@pytest.mark.parametrize(("low", "high"), [
    ("1.9", "1.10"), ("1", "1.0.1"), ("1.0.1", "1.1"), ("2", "10"), ("001.9", "1.10"),
    ("0", "0.1"),
    # longer than int() converts (Flyway reads BigInteger): compared as numbers still
    ("9" * 5000, "1" + "0" * 5000), ("1." + "9" * 5000, "2"), ("0" * 5000 + "9", "10"),
    # any decimal digit, as Java's BigInteger reads it
    ("\u0669", "\u0661\u0660"), ("9", "\uff11\uff10"),
])
def test_version_order(low: str, high: str) -> None:
    assert Version(low) < Version(high)
    assert sorted([Version(high), Version(low)]) == [Version(low), Version(high)]


@pytest.mark.parametrize(("a", "b"), [("1", "1.0"), ("1", "1.0.0"), ("001", "1"), ("1_2", "1.2"),
                                      ("0" * 5000 + "1", "1." + "0" * 5000),
                                      # Flyway writes V١__x.sql's version as "١", equal to 1
                                      ("\u0661", "1"), ("\u0660\u0661_2", "1.2"),
                                      ("\uff12", "2")])
def test_equal_versions(a: str, b: str) -> None:
    assert Version(a) == Version(b)
    assert hash(Version(a)) == hash(Version(b))


def test_version_text_keeps_leading_zeros() -> None:
    assert Version("001_2").text == "001.2"
    assert str(Version("1_10_0")) == "1.10.0"


@pytest.mark.parametrize("bad", ["1a", "1.", "1..2", "", "a", ".1", "1.-2",
                                 # a dot splits only before an ASCII digit (Java's \\d);
                                 # superscripts are not decimal digits
                                 "1.\u0661", "\u00b2"])
def test_invalid_versions(bad: str) -> None:
    with pytest.raises(InvalidVersion):
        Version(bad)


def test_targets() -> None:
    assert parse_target(None) is None
    assert parse_target("latest") is None
    assert parse_target("current") == "current"
    assert parse_target("next") == "next"
    assert parse_target("2.1") == Version("2.1")
    with pytest.raises(MigrationConfigError):
        parse_target("two")


def test_names() -> None:
    assert parse_name("V1_2__Add_table.sql") == MigrationName(
        "versioned", Version("1.2"), "Add table")
    assert parse_name("V1__My__desc.sql") == MigrationName("versioned", Version("1"), "My  desc")
    assert parse_name("R__Views.sql") == MigrationName("repeatable", None, "Views")
    assert parse_name("V1.sql") == MigrationName("versioned", Version("1"), "")
    assert parse_name("V3__upper.SQL") == MigrationName("versioned", Version("3"), "upper")
    assert isinstance(parse_name("afterMigrate.sql"), Callback)
    typo = parse_name("V1_x.sql")
    assert isinstance(typo, BadName) and not typo.fatal
    empty = parse_name("V__x.sql")
    assert isinstance(empty, BadName) and empty.fatal
    assert isinstance(parse_name("v1__lower.sql"), BadName)
    assert parse_name("B2_1__base.sql") == BaselineMigration(Version("2.1"))
    assert isinstance(parse_name("Bootstrap.sql"), BadName)
    repeat_with_version = parse_name("R1__x.sql")
    assert isinstance(repeat_with_version, BadName) and repeat_with_version.fatal


def test_resolve_basic_folder() -> None:
    res = resolve([ENGINE / "basic"])
    scripts = [m.script for m in res.versioned] + [m.script for m in res.repeatable]
    assert scripts == ["V1__Create_people.sql", "V1.1__Add_email.sql",
                       "sub/V2__Seed_more_people.sql", "R__People_view.sql"]
    assert not any("never" in m.script for m in res.migrations)  # hidden folder skipped


def test_resolve_duplicates_are_errors() -> None:
    with pytest.raises(MigrationError, match="more than one migration with version 1"):
        resolve([ENGINE / "duplicate-version"])
    with pytest.raises(MigrationError, match="more than one repeatable migration"):
        resolve([ENGINE / "duplicate-repeatable"])


def test_repeatables_cut_to_the_same_stored_description_are_duplicates(tmp_path: Path) -> None:
    # The history keeps 197 characters and "...": the two would share their rows.
    (tmp_path / ("R__" + "d" * 230 + "a.sql")).write_text("SELECT 1;")
    (tmp_path / ("R__" + "d" * 230 + "b.sql")).write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="more than one repeatable migration"):
        resolve([tmp_path])


def test_resolve_a_folder_named_twice_or_inside_another_is_scanned_once(
        tmp_path: Path) -> None:
    # Flyway discards a duplicate location and one inside another; here their files were
    # found twice: "Found more than one migration with version 1".
    outer, inner, sibling = tmp_path / "sql", tmp_path / "sql" / "c", tmp_path / "sql2"
    inner.mkdir(parents=True)
    sibling.mkdir()
    (outer / "V1__a.sql").write_text("SELECT 1;")
    (inner / "V2__b.sql").write_text("SELECT 2;")
    (sibling / "V3__c.sql").write_text("SELECT 3;")
    res = resolve([inner, outer, f"filesystem:{outer}/", str(tmp_path / "sql" / "." / "c"),
                   sibling])
    assert [m.script for m in res.versioned] == ["V1__a.sql", "c/V2__b.sql", "V3__c.sql"]


def test_resolve_follows_linked_folders_as_flyway_does(tmp_path: Path) -> None:
    # Flyway applies linked/V2__b.sql; it was skipped here without a word.
    (tmp_path / "sql").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "sql" / "V1__a.sql").write_text("SELECT 1;")
    (tmp_path / "shared" / "V2__b.sql").write_text("SELECT 2;")
    (tmp_path / "sql" / "linked").symlink_to(tmp_path / "shared")
    res = resolve([tmp_path / "sql"])
    assert [m.script for m in res.versioned] == ["V1__a.sql", "linked/V2__b.sql"]


def test_resolve_refuses_a_linked_folder_that_leads_back(tmp_path: Path) -> None:
    # Followed blindly, a loop is walked until the paths grow too long (Flyway then finds
    # its files many times over).
    (tmp_path / "sql" / "a").mkdir(parents=True)
    (tmp_path / "sql" / "b").mkdir()
    (tmp_path / "sql" / "a" / "to_b").symlink_to(tmp_path / "sql" / "b")
    (tmp_path / "sql" / "b" / "to_a").symlink_to(tmp_path / "sql" / "a")
    with pytest.raises(MigrationConfigError, match=r"a/to_b/to_a links back to .*/sql/a, a "
                                                   r"folder that holds it"):
        resolve([tmp_path / "sql"])


@pytest.mark.parametrize("which", [".", "sub"])
def test_resolve_refuses_a_folder_it_cannot_list(tmp_path: Path, which: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # os.walk skipped it without a word: its migrations silently did not run (as root,
    # permissions cannot make it happen, hence the stand-in).
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "V1__a.sql").write_text("SELECT 1;")
    blocked = tmp_path / which
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path) == blocked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    shown = "it" if which == "." else "sub"
    with pytest.raises(MigrationConfigError, match=f"cannot read {shown}: Permission denied"):
        resolve([tmp_path])


def test_resolve_bad_names_warn_unless_validated() -> None:
    res = resolve([ENGINE / "bad-names"])
    assert [m.script for m in res.migrations] == ["V1__good.sql"]
    assert any("V2_typo.sql" in w for w in res.warnings)
    assert any("v3__lowercase_prefix.sql" in w for w in res.warnings)
    with pytest.raises(MigrationError, match=r"V2_typo\.sql"):
        resolve([ENGINE / "bad-names"], validate_naming=True)


def test_resolve_empty_version_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "V__x.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"V__x\.sql"):
        resolve([tmp_path])


def test_resolve_non_utf8_names_the_file() -> None:
    with pytest.raises(MigrationError, match=r"V1__latin1\.sql.*line 2"):
        resolve([ENGINE / "non-utf8"])
    res = resolve([ENGINE / "non-utf8"], encoding="ISO-8859-1")
    assert "café" in res.migrations[0].text


def test_resolve_missing_folder_and_bad_conf(tmp_path: Path) -> None:
    with pytest.raises(MigrationConfigError, match="does not exist"):
        resolve([tmp_path / "nope"])
    for empty in ("filesystem:", "filesystem: ", ""):  # not the working folder
        with pytest.raises(MigrationConfigError, match="names no folder"):
            resolve([empty])
    with pytest.raises(MigrationConfigError, match="shouldRunTwice"):
        resolve([ENGINE / "conf-bad-key"])


def test_a_byte_order_mark_before_a_conf_file_is_not_part_of_its_first_key(
        tmp_path: Path) -> None:
    # Flyway drops it and honours the setting; here it was "Unknown configuration
    # property" (the script config) or a first setting read under another name.
    (tmp_path / "V1__a.sql").write_text("SELECT 1;")
    (tmp_path / "V1__a.sql.conf").write_text("\ufeffexecuteInTransaction=false\n")
    (migration,) = resolve([tmp_path]).migrations
    assert migration.config.execute_in_transaction is False
    (tmp_path / "flyway.conf").write_text("\ufeffflyway.outOfOrder=true\n")
    assert load_settings({}, cwd=tmp_path).out_of_order is True


def test_empty_file_has_checksum_zero() -> None:
    res = resolve([ENGINE / "empty-file"])
    assert next(m.checksum for m in res.versioned) == 0


def test_placeholders() -> None:
    values = {"owner": "ops", "flyway:defaultschema": "public"}
    text = "SELECT '${OWNER}', '${flyway:defaultSchema}', '${Owner}' -- ${owner}"
    assert replace_placeholders(text, values, "V1__x.sql") == (
        "SELECT 'ops', 'public', 'ops' -- ops")
    with pytest.raises(MigrationError, match=r"No value provided for placeholder: \$\{missing\}"):
        replace_placeholders("a\nb ${missing}", values, "V1__x.sql")
    with pytest.raises(MigrationError, match="default placeholder"):
        replace_placeholders("${flyway:nothing}", values, "V1__x.sql")
    assert replace_placeholders("$$ no braces ${", values, "x") == "$$ no braces ${"


def test_postgresql_splitter() -> None:
    script = split(
        PG_RULES,
        "-- leading comment\n"
        "CREATE TABLE a (id int); /* x; /* nested; */ y */\n"
        "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;\n"
        "INSERT INTO a VALUES (E'it\\'s;'), ('a'';b');\n"
        "CREATE UNIQUE INDEX CONCURRENTLY i ON a (id);\n"
        "COPY a (id) FROM STDIN;\n1\n2\n\\.\n"
        'SELECT "x;y" FROM a\n'
    )
    sqls = [s.sql for s in script.statements]
    assert len(sqls) == 7
    assert sqls[1].endswith("$body$ LANGUAGE sql")
    assert sqls[2].endswith("SELECT 2; END")
    assert [s.line for s in script.statements] == [2, 3, 4, 6, 7, 8, 12]
    assert [s.transactional for s in script.statements] == [
        True, True, True, True, False, True, True]
    assert script.statements[5].copy_data == "1\n2\n"
    assert script.mixed


@pytest.mark.parametrize(("sql", "transactional"), [
    ("CREATE INDEX CONCURRENTLY x ON t (a)", False),
    ("DROP INDEX CONCURRENTLY x", False),
    ("CREATE DATABASE x", False),
    ("ALTER SYSTEM SET work_mem = '4MB'", False),
    ("VACUUM t", False),
    ("REINDEX SCHEMA public", False),
    ("DISCARD ALL", False),
    ("CREATE INDEX x ON t (a)", True),
    ("CREATE TABLE concurrently (a int)", True),
])
def test_postgresql_non_transactional(sql: str, transactional: bool) -> None:
    (stmt,) = split(PG_RULES, sql + ";").statements
    assert stmt.transactional is transactional


@pytest.mark.parametrize(("rules", "sql", "own"), [
    (PG_RULES, "BEGIN", True),
    (PG_RULES, "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", True),
    (PG_RULES, "COMMIT AND CHAIN", True),
    (PG_RULES, "END WORK", True),
    (PG_RULES, "ABORT", True),
    (PG_RULES, "ROLLBACK", True),
    (PG_RULES, "PREPARE TRANSACTION 'x'", True),
    (PG_RULES, "ROLLBACK TO SAVEPOINT a", False),
    (PG_RULES, "ROLLBACK WORK TO a", False),
    (PG_RULES, "SAVEPOINT a", False),
    (PG_RULES, "PREPARE q AS SELECT 1", False),
    (PG_RULES, "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
     False),
    (SQLITE_RULES, "BEGIN IMMEDIATE", True),
    (SQLITE_RULES, "END TRANSACTION", True),
    (SQLITE_RULES, "COMMIT", True),
    (SQLITE_RULES, "ROLLBACK", True),
    (SQLITE_RULES, "ROLLBACK TRANSACTION TO SAVEPOINT a", False),
    (SQLITE_RULES, "RELEASE a", False),
    (SQLITE_RULES, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", False),
])
def test_statements_that_begin_or_end_a_transaction(rules: Any, sql: str, own: bool) -> None:
    (stmt,) = split(rules, sql + ";").statements
    assert stmt.own_transaction is own


@pytest.mark.parametrize(("rules", "text", "hidden"), [
    (PG_RULES, "CREATE TABLE a (x INT);\n/* never closed\nCREATE TABLE b (x INT);\n", 2),
    (PG_RULES, "SELECT 1;\n\n/* a /* nested */ but the outer is open\nSELECT 2;", 3),
    (SQLITE_RULES, "SELECT 1;\n/* never closed\nSELECT 2;", 2),
    (SQLITE_RULES, "SELECT 1;\n/*/ SELECT 2;", 2),
    (SQLITE_RULES, "-- header\rCREATE TABLE a (x INT);\r", 1),
    (PG_RULES, "-- header\rCREATE TABLE a (x INT);\r", None),  # \r ends it there
    (SQLITE_RULES, "SELECT 1; -- trailing\r\n/* closed */ SELECT 2; -- last\r", None),
    (PG_RULES, "SELECT 1; /* a /* b */ c */ SELECT 2;", None),
])
def test_comments_that_hide_the_text_after_them(rules: Any, text: str,
                                                hidden: int | None) -> None:
    # The splitter dropped them as comments: the statements they swallowed never ran,
    # and the migration was recorded as a success.
    found = split(rules, text).hidden
    assert (found[0] if found else None) == hidden


def test_lines_ended_by_a_lone_carriage_return_are_counted(tmp_path: Path) -> None:
    # Flyway's checksum reads such a file as lines; only line feeds were counted, so
    # every message named line 1.
    text = "SELECT 1;\r\rSELECT 2;\r\nSELECT 3;\rSELECT '${nope}';"
    assert [s.line for s in split(PG_RULES, text).statements] == [1, 3, 4, 5]
    with pytest.raises(MigrationError, match=r"V1__x\.sql line 5"):
        replace_placeholders(text, {}, "V1__x.sql")
    (tmp_path / "V1__x.sql").write_bytes(b"SELECT 1;\r\rSELECT '\xff';")
    with pytest.raises(MigrationError, match="byte 0xff at line 3"):
        resolve([tmp_path])


def test_sqlite_splitter_keeps_trigger_bodies() -> None:
    script = split(
        SQLITE_RULES,
        "CREATE TABLE t(a);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
        "  UPDATE t SET a = CASE WHEN 1 THEN 2 END;\n"
        "  INSERT INTO t VALUES (';');\n"
        "END;\n"
        "PRAGMA foreign_keys = OFF;\n"
        "SELECT [a;b], `c;d` FROM t"
    )
    assert [s.line for s in script.statements] == [1, 2, 6, 7]
    assert script.statements[1].sql.endswith("END")
    assert [s.transactional for s in script.statements] == [True, True, False, True]


def test_lock_keys() -> None:
    assert java_hash("[dbo].[flyway_schema_history]") == -856309416
    assert java_hash('"public"."flyway_schema_history"') == 2125624436
    assert pg_lock_key("public", "flyway_schema_history") == 77433833903597
    assert sqlserver_lock_resource("dbo", "flyway_schema_history") == "Flyway--856309416"


def test_ignore_patterns() -> None:
    patterns = parse_patterns(["*:future, versioned:missing"])
    assert [(p.type, p.state) for p in patterns] == [("*", "future"), ("versioned", "missing")]
    for bad in ("future", "*:gone", "other:missing"):
        with pytest.raises(MigrationConfigError):
            parse_patterns([bad])


def test_settings_precedence(tmp_path: Path) -> None:
    (tmp_path / "flyway.conf").write_text(
        "flyway.locations=filesystem:sql,other\n"
        "flyway.outOfOrder=true\n"
        "flyway.placeholders.owner=from_conf\n"
        "flyway.placeholders.keep=conf\n"
        "flyway.url=jdbc:ignored\n"
        "flyway.target=3\n")
    env = {"FLYWAY_TARGET": "4", "FLYWAY_PLACEHOLDERS_OWNER": "from_env"}
    s = load_settings(env, cwd=tmp_path, overrides={"target": "5"})
    assert s.locations == ("filesystem:sql", "other")
    assert s.out_of_order is True
    assert s.target == "5"
    assert s.placeholders["owner"] == "from_env" and s.placeholders["keep"] == "conf"
    assert load_settings(env, cwd=tmp_path).target == "4"


def test_settings_toml_and_refusals(tmp_path: Path) -> None:
    (tmp_path / "flyway.toml").write_text(
        '[flyway]\nlocations = ["filesystem:db"]\ncleanDisabled = false\n'
        '[flyway.placeholders]\nowner = "toml"\n')
    s = load_settings({}, cwd=tmp_path)
    assert s.locations == ("filesystem:db",) and s.clean_disabled is False
    assert s.placeholders == {"owner": "toml"}
    with pytest.raises(MigrationConfigError, match="sqlMigrationPrefix"):
        load_settings({"FLYWAY_SQL_MIGRATION_PREFIX": "M"}, cwd=tmp_path / "x")
    with pytest.raises(MigrationConfigError):
        load_settings({"FLYWAY_OUT_OF_ORDER": "maybe"}, cwd=tmp_path / "x")
    assert parse_placeholder_args(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(MigrationConfigError):
        parse_placeholder_args(["novalue"])


def test_long_descriptions_and_scripts_are_cut_like_flyway() -> None:
    from monozu.db.migrate.naming import abbreviate_description, abbreviate_script

    long = "d" * 250
    assert abbreviate_description(long) == "d" * 197 + "..."
    assert abbreviate_description("short") == "short"
    script = "".join(chr(ord("a") + i % 26) for i in range(1200))
    cut = abbreviate_script(script)
    assert len(cut) == 1000 and cut == "..." + script[3:1000]


@pytest.mark.parametrize(("text", "message"), [
    ("flyway.outOfOrdr=true", "did you mean outOfOrder?"),
    ("flyway.unknownKey=1", "unknown setting 'unknownKey'"),
    # a key ends at a blank (Java properties): an escaped one is not quoted back
    ("flyway.passwd Hd3Key", "unknown setting 'passwd'"),
    ("flyway.pass\\ Hd3Key=x", "unknown setting (a name that is not shown)"),
    ("noequals", "flyway.conf:1: expected name=value"),
    ("flyway.lockRetryCount=1_0", "lockRetryCount must be a whole number"),
    ("flyway.lockRetryCount=2147483648", "lockRetryCount must be a whole number"),
    ("flyway.connectRetries=-1", "connectRetries must be a whole number"),
    ("flyway.encoding=rot13", "flyway.conf: encoding: unknown text encoding 'rot13'"),
    ("flyway.table=x;drop table y", "table: the name holds"),
    ("flyway.schemas=a\"b", "schemas: the name holds"),
])
def test_conf_settings_are_checked(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "flyway.conf").write_text(text + "\n")
    with pytest.raises(MigrationConfigError, match=re.escape(message)):
        load_settings({}, cwd=tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ("[flyway]\na = " + "[" * 5000 + "1" + "]" * 5000, "cannot read: nested too deeply"),
    ("[flyway]\nplaceholders = 5", "flyway.placeholders must be a table"),
    ("[flyway.placeholders]\nx = {a=1}", "placeholder 'x' must be text, got a table"),
    ("[flyway]\ntable = 1979-05-27", "table must be text, got a date or time"),
    ("[flyway]\nlocations = [1, {a=1}]", "locations must be a list of text"),
    ("[flyway]\noutOfOrder = \"yes\"", "outOfOrder must be true or false"),
    # text with commas is a list in a .conf file; in TOML Flyway wants an array
    ("[flyway]\nlocations = \"filesystem:sql\"", "locations must be an array of text"),
    ("[flyway]\nschemas = \"public\"", "schemas must be an array of text"),
    ("[flyway]\nignoreMigrationPatterns = \"*:missing\"",
     "ignoreMigrationPatterns must be an array of text"),
])
def test_toml_settings_have_their_types(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "flyway.toml").write_text(text + "\n")
    with pytest.raises(MigrationConfigError, match=re.escape(message)):
        load_settings({}, cwd=tmp_path)


def test_other_flyway_settings_and_variables(tmp_path: Path) -> None:
    (tmp_path / "flyway.toml").write_text(
        '[flyway]\nlockRetryCount = -1\ncleanOnValidationError = false\nbaselineVersion = 2\n'
        '[flyway.placeholders]\nn = 5\nflag = true\n'
        '[flyway.jdbcProperties]\naccessToken = "x"\n')
    # Flyway ignores FLYWAY_* variables it does not know; the known ones are checked
    s = load_settings({"FLYWAY_BOGUS": "1"}, cwd=tmp_path)
    assert s.lock_retry_count == -1 and s.baseline_version == "2"
    assert s.placeholders == {"n": "5", "flag": "true"}
    with pytest.raises(MigrationConfigError, match="FLYWAY_CONNECT_RETRIES: connectRetries"):
        load_settings({"FLYWAY_CONNECT_RETRIES": "abc"}, cwd=tmp_path)


def test_history_table_names_fit_the_database() -> None:
    from monozu.db.dialects import dialect_for
    from monozu.db.migrate.settings import MigrateSettings

    postgresql, sqlserver, sqlite = (dialect_for(k).identifier_limit
                                     for k in ("postgresql", "sqlserver", "sqlite"))
    MigrateSettings(table="t" * 63).check(postgresql)
    MigrateSettings(table="t" * 128).check(sqlserver)
    with pytest.raises(MigrationConfigError, match="too long"):
        MigrateSettings(table="t" * 64).check(postgresql)
    with pytest.raises(MigrationConfigError, match="too long"):  # 63 bytes, not characters
        MigrateSettings(table="é" * 32).check(postgresql)
    with pytest.raises(MigrationConfigError, match="too long"):
        MigrateSettings(default_schema="s" * 129).check(sqlite)
    with pytest.raises(MigrationConfigError, match="holds a quote"):
        MigrateSettings(table="a\x1b[31mb").check()


@pytest.mark.parametrize(("variable", "key"), [
    ("FLYWAY_INSTALLED_BY", "installedBy"), ("FLYWAY_BASELINE_DESCRIPTION",
                                             "baselineDescription"),
    ("FLYWAY_TABLE", "table"), ("FLYWAY_DEFAULT_SCHEMA", "defaultSchema"),
    ("FLYWAY_TARGET", "target"), ("FLYWAY_PLACEHOLDERS_OWNER", "placeholder 'owner'"),
    ("FLYWAY_IGNORE_MIGRATION_PATTERNS", "ignoreMigrationPatterns"),
])
def test_text_that_reaches_the_database_must_be_utf8(tmp_path: Path, variable: str,
                                                     key: str) -> None:
    """A byte that is not UTF-8 (a lone surrogate to Python) used to fail mid-migration
    with the encoder's message and exit 1; it is a setting refused up front."""
    with pytest.raises(MigrationConfigError,
                       match=f"^{re.escape(key)}: holds a byte that is not UTF-8"):
        load_settings({variable: "x\udcffy"}, cwd=tmp_path)


def test_postgresql_splitter_reads_a_continued_escape_string_whole() -> None:
    # E'...' parts separated by a newline are one string, escapes and all: no ";" in it
    script = split(PG_RULES, "INSERT INTO a VALUES (E'a'\n'it\\'s; b');\nSELECT 1;")
    assert [s.sql for s in script.statements] == [
        "INSERT INTO a VALUES (E'a'\n'it\\'s; b')", "SELECT 1"]
