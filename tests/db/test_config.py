"""Configuration: every combination of the precedence table, URL forms, bad input."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from monozu.db.config import default_sqlite_path, load_config, parse_url, read_dotenv
from monozu.db.errors import ConfigError

SQLSERVER_URL = "sqlserver://sa:Pa55w0rd!@localhost:1433?database=monozu&encrypt=disable"
PG_URL = "postgresql://app:s3cret@db.local:5433/monozu"


def expected(env: dict[str, str], cli_url: str | None) -> tuple[str, str, str] | str:
    """The precedence rules, restated independently: (kind, source, auth) or an error."""
    if cli_url:
        return ("postgresql", "--url", "sql")
    if env.get("IS_DEV") == "true":
        if "DATABASE_URL" not in env:
            return "error:IS_DEV"
        return (parse_url(env["DATABASE_URL"]).kind, "DATABASE_URL (IS_DEV=true)", "sql")
    if "SQL_SERVER" in env:
        if "SQL_DATABASE" not in env:
            return "error:SQL_DATABASE"
        return ("sqlserver", "SQL_SERVER", "managed_identity")
    if "DATABASE_URL" in env:
        return (parse_url(env["DATABASE_URL"]).kind, "DATABASE_URL", "sql")
    return ("sqlite", "default (embedded SQLite)", "none")


COMBOS = list(itertools.product(
    [None, "true", "false"],          # IS_DEV
    [None, "myserver.database.windows.net"],  # SQL_SERVER
    [None, "monozu"],                 # SQL_DATABASE
    [None, SQLSERVER_URL, PG_URL],    # DATABASE_URL
    [None, "11111111-2222-3333-4444-555555555555"],  # AZURE_CLIENT_ID
    [None, PG_URL],                   # --url
))


@pytest.mark.parametrize(("is_dev", "server", "database", "url", "client", "cli"), COMBOS)
def test_precedence_table(is_dev: str | None, server: str | None, database: str | None,
                          url: str | None, client: str | None, cli: str | None,
                          tmp_path: Path) -> None:
    env = {k: v for k, v in {
        "IS_DEV": is_dev, "SQL_SERVER": server, "SQL_DATABASE": database,
        "DATABASE_URL": url, "AZURE_CLIENT_ID": client, "HOME": str(tmp_path),
    }.items() if v is not None}
    want = expected(env, cli)
    if isinstance(want, str):
        with pytest.raises(ConfigError, match=want.split(":")[1]):
            load_config(env, url=cli, dotenv=None)
        return
    config = load_config(env, url=cli, dotenv=None)
    assert (config.kind, config.source, config.auth) == want
    if config.auth == "managed_identity":
        assert config.url.host == server and config.url.database == database
        assert config.managed_identity_client_id == client
        assert config.describe()["managed_identity"] == (
            f"user-assigned ({client})" if client else "system-assigned")
    for text in (repr(config), str(config.describe()), config.url.redacted()):
        assert "Pa55w0rd" not in text and "s3cret" not in text


def test_default_sqlite_location(tmp_path: Path) -> None:
    assert default_sqlite_path({"HOME": "/h"}) .parts[-3:] == ("share", "monozu", "monozu.db")
    assert default_sqlite_path({"XDG_DATA_HOME": "/x"}) == Path("/x/monozu/monozu.db")
    assert default_sqlite_path({"MONOZU_HOME": str(tmp_path)}) == tmp_path / "monozu.db"
    config = load_config({"MONOZU_HOME": str(tmp_path)}, dotenv=None)
    assert config.url.path == str(tmp_path / "monozu.db")


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# local development\n"
        f"DATABASE_URL={SQLSERVER_URL}\n"
        "export IS_DEV='true'\n"
        'SQL_SERVER="ignored.example" # comment\n'
    )
    config = load_config({}, dotenv=env_file)
    assert (config.kind, config.source, config.url.database) == (
        "sqlserver", "DATABASE_URL (IS_DEV=true)", "monozu")
    assert config.url.password == "Pa55w0rd!"
    config = load_config({"IS_DEV": "false", "SQL_DATABASE": "prod"}, dotenv=env_file)
    assert config.source == "SQL_SERVER" and config.url.host == "ignored.example"
    assert read_dotenv(tmp_path / "missing") == {}
    (tmp_path / "bad.env").write_text("not a pair\n")
    with pytest.raises(ConfigError, match=r"bad\.env:1"):
        read_dotenv(tmp_path / "bad.env")


@pytest.mark.parametrize(("url", "kind", "check"), [
    (SQLSERVER_URL, "sqlserver", lambda u: (u.host, u.port, u.database, u.user,
                                            u.flag("encrypt", True))
     == ("localhost", 1433, "monozu", "sa", False)),
    ("sqlserver://sa:x@h?database=m&TrustServerCertificate=true&connection+timeout=5",
     "sqlserver", lambda u: u.flag("trustservercertificate", False)
     and u.seconds("connection timeout", default=0) == 5 and u.port == 1433),
    ("postgres://a:b@h/db?sslmode=require", "postgresql",
     lambda u: (u.port, u.params["sslmode"]) == (5432, "require")),
    ("postgresql://a%40x:p%2Fw@h:6000/d", "postgresql",
     lambda u: (u.user, u.password, u.port) == ("a@x", "p/w", 6000)),
    ("sqlite:///relative/file.db", "sqlite", lambda u: u.path == "relative/file.db"),
    ("sqlite:////absolute/file.db", "sqlite", lambda u: u.path == "/absolute/file.db"),
    ("sqlite://:memory:", "sqlite", lambda u: u.path == ":memory:"),
])
def test_url_forms(url: str, kind: str, check: object) -> None:
    parsed = parse_url(url)
    assert parsed.kind == kind
    assert callable(check) and check(parsed)


@pytest.mark.parametrize(("env", "message"), [
    ({"DATABASE_URL": "mysql://u:hunter2@h/db"}, "DATABASE_URL: unknown scheme 'mysql'"),
    ({"DATABASE_URL": "postgresql://u:hunter2@h/"}, "DATABASE_URL: no database"),
    ({"DATABASE_URL": "sqlserver://u:hunter2@h:1433"}, "DATABASE_URL: no database"),
    ({"DATABASE_URL": "postgresql://u:hunter2@h:99999/db"}, "DATABASE_URL: bad port"),
    ({"DATABASE_URL": "postgresql://u:hunter2@h:abc/db"}, "DATABASE_URL: bad port"),
    ({"DATABASE_URL": "sqlserver://u:hunter2@h?database=m&bogus=1"}, "unknown sqlserver"),
    ({"DATABASE_URL": "sqlserver://u:hunter2@h?database=m&encrypt=maybe"}, "encrypt must be"),
    ({"DATABASE_URL": "u:hunter2@host/db"}, "DATABASE_URL: not a URL"),
    ({"DATABASE_URL": "sqlite://relative.db"}, "sqlite URLs look like"),
    ({"SQL_SERVER": "x.database.windows.net"}, "SQL_SERVER is set but SQL_DATABASE"),
    ({"SQL_SERVER": "x:notaport", "SQL_DATABASE": "m"}, "SQL_SERVER: bad port"),
    ({"IS_DEV": "true"}, "IS_DEV=true but DATABASE_URL is not set"),
    ({"IS_DEV": "maybe"}, "IS_DEV: expected true or false"),
    ({"DATABASE_URL_PLATFORM_ADMIN": "oracle://u:hunter2@h/db"},
     "DATABASE_URL_PLATFORM_ADMIN: unknown scheme"),
])
def test_bad_configuration_names_the_variable_and_hides_the_password(
        env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env, dotenv=None)
    text = str(info.value)
    assert message in text
    assert "hunter2" not in text
    assert "\n" not in text


def test_sql_server_host_forms() -> None:
    for host, port in (("tcp:srv.database.windows.net,1433", 1433), ("srv,1444", 1444),
                       ("srv:1555", 1555), ("srv", 1433)):
        config = load_config({"SQL_SERVER": host, "SQL_DATABASE": "m"}, dotenv=None)
        assert config.url.port == port
        assert config.url.host.startswith("srv")


def test_platform_url_is_parsed_and_redacted() -> None:
    config = load_config({"DATABASE_URL": PG_URL,
                          "DATABASE_URL_PLATFORM_ADMIN": "postgresql://admin:t0p@h/monozu"},
                         dotenv=None)
    assert config.platform_url is not None and config.platform_url.user == "admin"
    assert "t0p" not in str(config.describe()) and "t0p" not in repr(config)


# -- Flyway's connection settings in the precedence ---------------------------------

SECRET = "Fw9Secret"


def write_toml(folder: Path, body: str) -> None:
    (folder / "flyway.toml").write_text(body)


def test_flyway_url_variable_is_honoured(tmp_path: Path) -> None:
    config = load_config({"FLYWAY_URL": "jdbc:postgresql://h/app", "FLYWAY_USER": "u",
                          "FLYWAY_PASSWORD": SECRET}, dotenv=None, cwd=tmp_path)
    assert (config.kind, config.source, config.url.user, config.url.password) == (
        "postgresql", "FLYWAY_URL", "u", SECRET)


def test_flyway_toml_environment_url_user_password(tmp_path: Path) -> None:
    write_toml(tmp_path, '[environments.default]\nurl = "jdbc:sqlite:fw.db"\n'
                         '[environments.pg]\nurl = "jdbc:postgresql://h:5433/app"\n'
                         f'user = "u"\npassword = "{SECRET}"\n'
                         '[flyway]\nlocations = ["filesystem:sql"]\n')
    default = load_config({}, dotenv=None, cwd=tmp_path)
    assert (default.url.path, default.source) == ("fw.db", "flyway.toml [environments.default]")
    for chosen in (load_config({}, dotenv=None, cwd=tmp_path, environment="pg"),
                   load_config({"FLYWAY_ENVIRONMENT": "pg"}, dotenv=None, cwd=tmp_path)):
        assert (chosen.url.port, chosen.url.user, chosen.url.password) == (5433, "u", SECRET)
        assert chosen.source == "flyway.toml [environments.pg]"
    with pytest.raises(ConfigError, match="environment 'nope' is not defined"):
        load_config({}, dotenv=None, cwd=tmp_path, environment="nope")


@pytest.mark.parametrize(("other", "problem"), [
    ('user = ["x"]', "environments.other: user must be text, got a list"),
    ("password = 5", "environments.other: password must be text, got a number"),
    ("jdbcProperties = 1", "environments.other: jdbcProperties must be a table"),
    ('connectRetries = "many"', "environments.other: connectRetries must be a whole number"),
    ('schemas = "main"', "environments.other: schemas must be an array of text"),
])
def test_every_flyway_toml_environment_has_the_types_flyway_requires(
        tmp_path: Path, other: str, problem: str) -> None:
    # Flyway reads every environment, and refuses a wrong type in any of them; it
    # ignores an unknown key in one it does not use.
    write_toml(tmp_path, '[environments.default]\nurl = "jdbc:sqlite:fw.db"\n'
                         f'[environments.other]\nurl = "jdbc:sqlite:o.db"\n{other}\n')
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_config({}, dotenv=None, cwd=tmp_path)
    write_toml(tmp_path, '[environments.default]\nurl = "jdbc:sqlite:fw.db"\n'
                         '[environments.other]\nurl = "jdbc:sqlite:o.db"\nbogus = 1\n')
    assert load_config({}, dotenv=None, cwd=tmp_path).url.path == "fw.db"
    with pytest.raises(ConfigError, match="unknown setting 'bogus'"):
        load_config({}, dotenv=None, cwd=tmp_path, environment="other")


def test_flyway_toml_declares_its_environment(tmp_path: Path) -> None:
    write_toml(tmp_path, '[flyway]\nenvironment = "dev"\n'
                         '[environments.dev]\nurl = "jdbc:sqlite:dev.db"\n')
    assert load_config({}, dotenv=None, cwd=tmp_path).url.path == "dev.db"


def test_flyway_conf_url_user_password(tmp_path: Path) -> None:
    (tmp_path / "flyway.conf").write_text(
        f"flyway.url=jdbc:sqlserver://h:1433;databaseName=m;encrypt=false\n"
        f"flyway.user=sa\nflyway.password={SECRET}\n")
    config = load_config({}, dotenv=None, cwd=tmp_path)
    assert (config.kind, config.url.user, config.url.password) == ("sqlserver", "sa", SECRET)
    assert config.source == "flyway.conf (flyway.url)"


@pytest.mark.parametrize(("env", "toml"), [
    ({"FLYWAY_URL": "jdbc:sqlite:a.db", "DATABASE_URL": f"postgresql://u:{SECRET}@h/app"}, None),
    ({"DATABASE_URL": f"postgresql://u:{SECRET}@h/app"}, "jdbc:sqlite:fw.db"),
    ({"FLYWAY_URL": "jdbc:sqlite:fw2.db"}, "jdbc:sqlite:fw.db"),
    ({"SQL_SERVER": "x.database.windows.net", "SQL_DATABASE": "m"}, "jdbc:sqlite:fw.db"),
    ({"FLYWAY_URL": f"jdbc:postgresql://h/app?user=u&password={SECRET}",
      "DATABASE_URL": f"postgresql://u:{SECRET}@h/other"}, None),
])
def test_two_sources_naming_different_databases_are_refused(
        env: dict[str, str], toml: str | None, tmp_path: Path) -> None:
    if toml:
        write_toml(tmp_path, f'[environments.default]\nurl = "{toml}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(env, dotenv=None, cwd=tmp_path)
    message = str(info.value)
    assert "name different databases" in message and SECRET not in message
    assert message.count("(") >= 2  # both sources, each with its (redacted) URL
    # The command line decides, and then nothing else is weighed.
    assert load_config(env, dotenv=None, cwd=tmp_path, url="sqlite:///cli.db").source == "--url"


def test_two_sources_naming_the_same_database_agree(tmp_path: Path) -> None:
    write_toml(tmp_path, '[environments.default]\nurl = "jdbc:postgresql://h:5432/app"\n')
    config = load_config({"FLYWAY_URL": "jdbc:postgresql://h/app",
                          "DATABASE_URL": "postgresql://u:p@H:5432/app"},
                         dotenv=None, cwd=tmp_path)
    assert config.source == "FLYWAY_URL"


@pytest.mark.parametrize(("environ", "toml", "kw", "login"), [
    # Flyway takes each setting from the highest source that has it.
    ({"FLYWAY_PASSWORD": SECRET}, None, {"user": "app"}, ("app", SECRET)),
    ({"FLYWAY_USER": "env", "FLYWAY_PASSWORD": SECRET}, None, {}, ("env", SECRET)),
    ({"FLYWAY_USER": "env", "FLYWAY_PASSWORD": SECRET}, None, {"user": "cli", "password": "p"},
     ("cli", "p")),
    ({}, f'[environments.default]\nuser = "file"\npassword = "{SECRET}"\n', {},
     ("file", SECRET)),
    ({"FLYWAY_PASSWORD": "env-pw"}, '[environments.default]\npassword = "file-pw"\n', {},
     ("", "env-pw")),
    # What the URL carries stays: no two passwords to refuse.
    ({"FLYWAY_PASSWORD": "env-pw"}, None, {"url": f"jdbc:postgresql://h/app?password={SECRET}"},
     ("", SECRET)),
], ids=["password-from-variable", "login-from-variables", "command-line-wins", "from-file",
        "variable-over-file", "url-keeps-its-own"])
def test_flyways_command_line_takes_the_login_setting_by_setting(
        tmp_path: Path, environ: dict[str, str], toml: str | None, kw: dict[str, str],
        login: tuple[str, str]) -> None:
    if toml is not None:
        write_toml(tmp_path, toml)
    args = {"url": "jdbc:postgresql://h/app", **kw}
    config = load_config(environ, dotenv=None, cwd=tmp_path, url_flag="-url", **args)
    assert (config.url.user, config.url.password) == login
    assert config.source == "-url"
    # monozu's own --url names the whole connection: nothing is taken from elsewhere.
    own = load_config(environ, dotenv=None, cwd=tmp_path, url="postgresql://h/app")
    assert not own.url.password


def test_a_flyway_toml_environment_reads_environment_variables(tmp_path: Path) -> None:
    from monozu.db import known_secrets

    write_toml(tmp_path, '[environments.default]\nurl = "jdbc:postgresql://${env.DBHOST}/app"\n'
                         'user = "${env.DBUSER}"\npassword = "${env.DBPW}"\n')
    config = load_config({"DBHOST": "db.internal", "DBUSER": "app", "DBPW": "Zr8Qq2Lm5x"},
                         dotenv=None, cwd=tmp_path)
    assert (config.url.host, config.url.user, config.url.password) == (
        "db.internal", "app", "Zr8Qq2Lm5x")
    # Read from a variable whose name says nothing: still a secret where it is echoed.
    assert "Zr8Qq2Lm5x" not in known_secrets.mask("got 'Zr8Qq2Lm5x'")
    with pytest.raises(ConfigError, match="environment variable 'DBPW': it is not set"):
        load_config({"DBHOST": "h", "DBUSER": "app"}, dotenv=None, cwd=tmp_path)


@pytest.mark.parametrize("password", [
    "${env.Qx7Raw/Zq8Tuv?Kp3Lmn#Wd5Ghj@Ys2Bcd:Rf6Nop Ea4Xyz}",  # not a variable's name
    "Qx7Raw/Zq8Tuv${env.Kp3LmnWd5Ghj}Ys2Bcd",  # a literal password holding "${"
    "Qx7Raw/Zq8Tuv${Kp3LmnWd5Ghj.Ys2Bcd}Rf6Nop",
    "${Qx7Raw/Zq8Tuv?Kp3Lmn.Wd5Ghj}",
])
def test_a_password_reference_that_cannot_be_resolved_is_not_quoted(
        tmp_path: Path, password: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Text around a ${...} in a password, or a name no variable can have, is the
    password's own: the refusal names the setting, not the text."""
    from tests.db.dialects.test_urls import exception_texts, leaks, run_cli

    write_toml(tmp_path, '[environments.default]\nurl = "jdbc:postgresql://127.0.0.1:1/app"\n'
                         f'user = "app"\npassword = "{password}"\n')
    with pytest.raises(ConfigError, match=r"environments\.default\.password: ") as refused:
        load_config({}, dotenv=None, cwd=tmp_path)
    texts = exception_texts(refused.value)
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "FLYWAY_URL", "FLYWAY_PASSWORD", "FLYWAY_CONFIG_FILES"):
        monkeypatch.delenv(name, raising=False)
    for argv in (["db", "check"], ["flyway", "info", "-outputType=json"]):
        code, output = run_cli(argv, capsys)
        assert code == 2, output
        texts.append(output)
    assert leaks(texts, password.replace("${env.", "").replace("${", "")) == [], texts


def test_flyway_files_are_not_read_without_flyway_settings(tmp_path: Path) -> None:
    config = load_config({"HOME": str(tmp_path)}, dotenv=None, cwd=tmp_path)
    assert config.source == "default (embedded SQLite)"


@pytest.mark.parametrize(("kw", "message"), [
    ({"url": "jdbc:postgresql://h/app?password=a", "password": "b"}, "two different passwords"),
    ({"url": "jdbc:postgresql://h/app?user=a", "user": "b"}, "two different users"),
])
def test_login_given_twice_is_refused(kw: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({}, dotenv=None, **kw)  # type: ignore[arg-type]
