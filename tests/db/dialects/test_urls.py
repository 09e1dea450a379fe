"""Secrets in URLs: every position and encoding, through every output channel.

A password (or token) can sit in a URL's user-info, in a ``password=``/``pwd=``
parameter in any case or percent-encoding, in a JDBC ``;password=`` property, in a
libpq or ODBC ``key=value`` string pasted where a URL belongs, in a SQLite path, or be
given apart (``-password``, ``FLYWAY_PASSWORD``); it may hold ``/ ? # @ : ; &``,
spaces, braces and text that itself looks like a parameter, raw or percent-encoded,
and the URL may be cut short (no ``@host``) or malformed after the secret. For each,
the URL is read and a connection attempted (to a closed port) by the library and by
the command line, and no piece of the secret may appear in: CLI text, CLI ``--json``,
``str``/``repr`` of the exception and of every exception in its chain (``__cause__``
and ``__context__``, suppressed or not), ``repr`` of the configuration, of
``Database`` and of Flyway's connection settings, warnings, and log records down to
DEBUG; the URL is also given as ``DATABASE_URL_PLATFORM_ADMIN``, in the environment
and in ``.env``. No file is created whose name holds the secret.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from monozu.cli import main
from monozu.db.config import load_config
from monozu.db.dialects.urls import redact, secret_spans
from monozu.db.errors import ConfigError, MonozuError
from tests.support.pgserver import PgServer

# Every piece between special characters is distinctive, so a leak of any fragment
# (the parser's "port could not be cast ... 'Qx7Raw'") is caught.
RAW = "Qx7Raw/Zq8Tuv?Kp3Lmn#Wd5Ghj@Ys2Bcd:Rf6Nop Ea4Xyz"
NO_AT = "Qx7Raw/Zq8Tuv?Kp3Lmn#Wd5Ghj:Rf6Nop Ea4Xyz"  # for a URL whose "@host" is missing
PLAIN = "Qx7RawZq8TuvKp3Lmn"  # no special characters: for the ambiguous positions
FRAGMENTS = re.compile(r"[A-Za-z0-9]{6}")

CLOSED = "127.0.0.1:1"  # nothing listens on port 1


def encoded(secret: str) -> str:
    return quote(secret, safe="")


def _cases() -> Iterator[tuple[str, str, str]]:
    """(id, url, secret) for every position x encoding."""
    for enc_name, secret, text in (("raw", RAW, RAW), ("percent", RAW, encoded(RAW)),
                                   ("plain", PLAIN, PLAIN)):
        yield (f"pg-userinfo-{enc_name}", f"postgresql://app:{text}@{CLOSED}/db", secret)
        yield (f"mssql-userinfo-{enc_name}",
               f"sqlserver://sa:{text}@{CLOSED}?database=db&connection+timeout=1", secret)
        yield (f"pg-userinfo-badport-{enc_name}", f"postgresql://app:{text}@127.0.0.1:abc/db",
               secret)
        yield (f"mssql-userinfo-unknown-param-{enc_name}",
               f"sqlserver://sa:{text}@{CLOSED}?database=db&bogus=1", secret)
        yield (f"unknown-scheme-{enc_name}", f"mysql://app:{text}@{CLOSED}/db", secret)
        yield (f"no-scheme-{enc_name}", f"app:{text}@{CLOSED}/db", secret)
        yield (f"no-host-{enc_name}", f"postgresql://app:{text}@/db", secret)
        yield (f"jdbc-mssql-braced-{enc_name}",
               f"jdbc:sqlserver://{CLOSED};databaseName=db;user=sa;password={{{text}}};"
               "loginTimeout=1", secret)
        yield (f"jdbc-mssql-unknown-{enc_name}",
               f"jdbc:sqlserver://{CLOSED};databaseName=db;password={{{text}}};bogus=1", secret)
    # Parameters: values end at & or ; so the secret holds every other special character.
    param_secret = "Qx7Raw/Zq8Tuv?Kp3Lmn#Wd5Ghj@Ys2Bcd:Rf6Nop Ea4Xyz"
    for key in ("password", "PASSWORD", "Password", "pwd", "PWD", "pass%77ord", "sslpassword"):
        for enc_name, text in (("raw", param_secret), ("percent", encoded(param_secret))):
            yield (f"pg-param-{key}-{enc_name}", f"postgresql://app@{CLOSED}/db?{key}={text}",
                   param_secret)
            yield (f"pg-jdbc-{key}-{enc_name}",
                   f"jdbc:postgresql://{CLOSED}/db?user=app&{key}={text}", param_secret)
            if key not in ("password", "PWD", "pass%77ord"):
                continue  # each SQL Server attempt costs the driver's 1 s minimum timeout
            yield (f"mssql-param-{key}-{enc_name}",
                   f"sqlserver://sa@{CLOSED}?database=db&connection+timeout=1&{key}={text}",
                   param_secret)
            yield (f"jdbc-mssql-{key}-{enc_name}",
                   f"jdbc:sqlserver://{CLOSED};databaseName=db;user=sa;{key}={text};"
                   "loginTimeout=1", param_secret)
    # No "@": what follows "user:" may be a password whose "@host" is missing.
    for enc_name, secret, text in (("raw", NO_AT, NO_AT), ("percent", NO_AT, encoded(NO_AT)),
                                   ("plain", PLAIN, PLAIN)):
        yield (f"pg-no-at-{enc_name}", f"postgresql://app:{text}", secret)
        yield (f"mssql-no-at-{enc_name}", f"sqlserver://sa:{text}?database=db", secret)
        yield (f"jdbc-mssql-no-at-{enc_name}", f"jdbc:sqlserver://sa:{text};databaseName=db",
               secret)
        yield (f"pg-jdbc-no-at-{enc_name}", f"jdbc:postgresql://app:{text}", secret)
    # What a .env line "'postgresql://app:Hd3Quo7's...'" would leave if cut at the quote.
    yield ("pg-no-at-cut-by-quote", "postgresql://app:Hd3Quo7", "Hd3Quo7")
    # Microsoft's JDBC URL has no user-info: given one anyway, or a query in the address.
    for enc_name, secret, text in (("raw", RAW, RAW), ("percent", RAW, encoded(RAW)),
                                   ("plain", PLAIN, PLAIN)):
        yield (f"jdbc-mssql-userinfo-{enc_name}",
               f"jdbc:sqlserver://sa:{text}@{CLOSED};databaseName=db", secret)
    yield ("jdbc-mssql-query-in-address",
           f"jdbc:sqlserver://{CLOSED}?password={PLAIN};databaseName=db", PLAIN)
    # A password that itself holds text looking like a secret parameter.
    for sep in ("?pass%77ord=", ";pwd=", "&token=", ";key=", "?pwd=", "#pwd="):
        secret = f"Hd3Pfx9{sep}Tl4Sfx8"
        yield (f"pg-userinfo-holds-{sep}", f"postgresql://app:{secret}@{CLOSED}/db", secret)
        if sep in ("&token=", "?pwd="):
            yield (f"mssql-userinfo-holds-{sep}",
                   f"sqlserver://sa:{secret}@{CLOSED}?database=db&connection+timeout=1", secret)
    # A raw ";" in a query's password: part of the value, as libpq reads it.
    for enc_name, text in (("raw", "Hd3Semi;Tl4Semi"), ("percent", "Hd3Semi%3BTl4Semi")):
        secret = "Hd3Semi;Tl4Semi"
        yield (f"pg-param-semicolon-{enc_name}", f"postgresql://app@{CLOSED}/db?password={text}",
               secret)
        yield (f"pg-jdbc-semicolon-{enc_name}",
               f"jdbc:postgresql://{CLOSED}/db?user=app&password={text}", secret)
        yield (f"mssql-param-semicolon-{enc_name}",
               f"sqlserver://sa@{CLOSED}?database=db&connection+timeout=1&password={text}", secret)
    yield ("pg-param-then-no-parameter", f"postgresql://app@{CLOSED}/db?password=Hd3Amp&Tl4Amp",
           "Hd3Amp&Tl4Amp")
    yield ("pg-param-then-unknown", f"postgresql://app@{CLOSED}/db?password=Hd3Amp&Tl4Amp=Xy5Amp",
           "Hd3Amp&Tl4Amp=Xy5Amp")
    yield ("pg-param-after-semicolon", f"postgresql://app@{CLOSED}/db?sslmode=require;pwd={PLAIN}",
           PLAIN)
    # JDBC properties malformed after the secret: nothing after its key may show.
    for name, prop, secret in (
            ("unbraced-semicolon", "password=Hd3Jdb;Tl4Jdb", "Hd3Jdb;Tl4Jdb"),
            ("text-after-brace", "password={Hd3Jdb;Tl4Jdb}Xy5Jdb}", "Hd3Jdb;Tl4Jdb}Xy5Jdb"),
            ("unknown-after", "password=Hd3Jdb;Tl4Jdb=Xy5Jdb", "Hd3Jdb;Tl4Jdb=Xy5Jdb"),
            ("unclosed-brace", "password={Hd3Jdb;Tl4Jdb", "Hd3Jdb;Tl4Jdb"),
            ("spaced-braced", "Password = {Hd3Jdb#t/pa ss?x@y%41;}}Tl4Jdb} ",
             "Hd3Jdb#t/pa ss?x@y%41;}Tl4Jdb"),
            ("in-unclosed-brace", "hostNameInCertificate={x;password=Hd3Jdb", "Hd3Jdb")):
        yield (f"jdbc-mssql-{name}",
               f"jdbc:sqlserver://{CLOSED};databaseName=db;user=sa;{prop};loginTimeout=1", secret)
    yield ("mssql-param-unknown-after", f"sqlserver://sa@{CLOSED}?database=db&password=Hd3Gox&"
                                        "Tl4Gox", "Hd3Gox&Tl4Gox")
    # libpq and ODBC key=value strings where a URL belongs: secret keys first, after
    # spaces or after ";", in every spelling of the one list of secret keys.
    yield ("libpq-keywords", f"host=127.0.0.1 port=1 dbname=db user=app password={PLAIN}", PLAIN)
    yield ("libpq-keywords-first", f"password={PLAIN} host=127.0.0.1 port=1", PLAIN)
    yield ("libpq-keywords-quoted", "host=h password='Hd3Quo t\'Tl4Quo' port=1",
           "Hd3Quo t\'Tl4Quo")
    yield ("odbc-password-first", f"Password={PLAIN};Server=tcp:x,1433;Database=db;User ID=sa",
           PLAIN)
    yield ("odbc-braced", "Server=x;PWD={Hd3Odb;Tl4Odb};Database=db", "Hd3Odb;Tl4Odb")
    for key in ("pwd", "sslpassword", "token", "access_token", "api_key", "Api-Key", "secret",
                "key", "client_secret", "oauth_client_secret"):
        yield (f"keyword-{key}", f"host=h {key} = {PLAIN} port=1", PLAIN)
    # A blank other than a space or a tab around the '=': a no-break space, an em space.
    for name, blank in (("nbsp", "\u00a0"), ("em-space", "\u2003"), ("ideographic", "\u3000")):
        yield (f"keyword-{name}-before-equals", f"host=h password{blank}={PLAIN} port=1", PLAIN)
        yield (f"odbc-{name}-around-equals", f"Password{blank}={blank}{PLAIN};Server=x", PLAIN)
    # A parameter or property named like a secret that is none of the drivers' own (a
    # property of another driver's, a setting of the server's in libpq's options):
    # refused, its value never quoted with the refusal.
    for name in ("trustStorePassword", "keyStoreSecret", "clientKeyPassword",
                 "aadSecurePrincipalSecret", "db_password", "refresh_token"):
        yield (f"jdbc-mssql-named-{name}",
               f"jdbc:sqlserver://{CLOSED};databaseName=db;user=sa;{name}={{{RAW}}}", RAW)
        yield (f"pg-jdbc-named-{name}",
               f"jdbc:postgresql://{CLOSED}/db?user=app&{name}={encoded(RAW)}", RAW)
    for name, options in (("c", "-c app.password={}"), ("c-joined", "-capp.settings.jwt_secret={}"),
                          ("dashes", "--app.api_token={}")):
        yield (f"pg-options-{name}-percent",
               f"postgresql://app@{CLOSED}/db?options={encoded(options.format(PLAIN))}", PLAIN)
        yield (f"pg-options-{name}-raw",
               f"postgresql://app@{CLOSED}/db?options={options.format(PLAIN).replace(' ', '%20')}",
               PLAIN)
        yield (f"pg-jdbc-options-{name}",
               f"jdbc:postgresql://{CLOSED}/db?user=app&options={encoded(options.format(PLAIN))}",
               PLAIN)
    # SQLite has no password: one in its URL is refused, never a file name.
    for name, url in (("jdbc-semicolon", f"jdbc:sqlite:x.db;password={PLAIN}"),
                      ("url-semicolon", f"sqlite:///x.db;password={PLAIN}"),
                      ("url-key", f"sqlite:///x.db?key={PLAIN}"),
                      ("jdbc-query", f"jdbc:sqlite:x.db?password={PLAIN}"),
                      ("url-raw", f"sqlite:///x.db;pwd={RAW}")):
        yield (f"sqlite-{name}", url, RAW if url.endswith(RAW) else PLAIN)
    # An "@" after the host: the server must never come from the query or fragment.
    yield ("pg-at-in-query",
           f"postgresql://app:{PLAIN}@db.internal/prod?application_name=ops@evil.example:5432/x",
           PLAIN)
    yield ("pg-at-in-fragment", f"postgresql://app:{PLAIN}@{CLOSED}/db#x@evil.example/x", PLAIN)
    yield ("mssql-at-in-query",
           f"sqlserver://sa:{PLAIN}@{CLOSED}?database=db&app+name=x@evil.example", PLAIN)
    yield ("pg-param-and-badport", f"postgresql://app@127.0.0.1:9x9/db?password={PLAIN}", PLAIN)
    # A password opening with '/' or '?' and a host that is no host: "app:" read as a
    # host with an empty port, the rest as a path or a query that quoted the password.
    yield ("pg-empty-port-path", f"postgresql://app:/{PLAIN}@/{CLOSED}/db", PLAIN)
    yield ("pg-empty-port-query", f"postgresql://app:?{PLAIN}=@?{CLOSED}/db", PLAIN)
    yield ("mssql-empty-port-query", f"sqlserver://sa:?{PLAIN};@?{CLOSED}?database=db", PLAIN)
    yield ("pg-empty-port-no-at", f"postgresql://app:?{PLAIN}", PLAIN)
    yield ("mssql-empty-port-no-at", f"sqlserver://sa:/{PLAIN}", PLAIN)
    # A secret parameter holding '@': one reading takes it for the end of a user-info
    # (and the password's tail for the host), the other's query must be masked too.
    yield ("pg-jdbc-at-in-secret-param", f"jdbc:postgresql://{CLOSED}/db?user=a&password=@{PLAIN}",
           PLAIN)
    yield ("pg-at-in-secret-param", f"postgresql://{CLOSED}/db?user=a&sslpassword=@{PLAIN}",
           PLAIN)
    yield ("mssql-at-in-secret-param", f"sqlserver://{CLOSED}?database=db&password=@{PLAIN}",
           PLAIN)
    yield ("jdbc-mysql", f"jdbc:mysql://{CLOSED}/db?user=a&password={PLAIN}", PLAIN)
    yield ("two-passwords", f"postgresql://app:{PLAIN}@{CLOSED}/db?password=Other5Secret",
           PLAIN)
    # A secret key=value inside a name or a parameter's value, percent-encoded (or after
    # the value's own '='): refused with that part masked to the end (the message used
    # to quote the raw text, and SQLite made a file of that name).
    for name, url in (
            ("pg-database", f"postgresql://app@{CLOSED}/db%3Bpassword%3D{PLAIN}"),
            ("pg-database-space", f"postgresql://app@{CLOSED}/db%20password%3D{PLAIN}"),
            ("postgres-database", f"postgres://app@{CLOSED}/db%3Bsslpassword%3D{PLAIN}"),
            ("pg-user", f"postgresql://app%3Bpassword%3D{PLAIN}@{CLOSED}/db"),
            ("pg-user-key-first", f"postgresql://%70assword%3D{PLAIN}@{CLOSED}/db"),
            ("pg-value-amp", f"postgresql://app@{CLOSED}/db?application_name=x%26password%3D"
                             f"{PLAIN}"),
            ("pg-value-key", f"postgresql://app@{CLOSED}/db?application_name=%70assword%3D"
                             f"{PLAIN}"),
            ("pg-value-lower", f"postgresql://app@{CLOSED}/db?application_name=pwd%3d{PLAIN}"),
            ("pg-value-raw", f"postgresql://app@{CLOSED}/db?application_name=password={PLAIN}"),
            ("pg-value-plus", f"postgresql://app@{CLOSED}/db?application_name=pass%2Bword%3D"
                              f"{PLAIN}"),
            ("pg-options", f"postgresql://app@{CLOSED}/db?options=-c%20password%3D{PLAIN}"),
            ("pg-sslmode", f"postgresql://app@{CLOSED}/db?sslmode=password%3D{PLAIN}"),
            ("pg-timeout", f"postgresql://app@{CLOSED}/db?connect_timeout=token%3D{PLAIN}"),
            ("pg-name", f"postgresql://app@{CLOSED}/db?x%3Dy%26password={PLAIN}"),
            ("pg-jdbc-user", f"jdbc:postgresql://{CLOSED}/db?user=app%26password%3D{PLAIN}"),
            ("pg-jdbc-database", f"jdbc:postgresql://{CLOSED}/db%3Bpassword%3D{PLAIN}?user=a"),
            ("mssql-database", f"sqlserver://sa@{CLOSED}?database=x%3Bpwd%3D{PLAIN}"),
            ("mssql-app-name", f"sqlserver://sa@{CLOSED}?database=x&app+name=y%3BPWD%3D{PLAIN}"),
            ("mssql-app-name-plus", f"sqlserver://sa@{CLOSED}?database=x&app+name=y+PWD%3D"
                                    f"{PLAIN}"),
            ("mssql-user", f"sqlserver://sa%3Bpwd%3D{PLAIN}@{CLOSED}?database=x"),
            ("mssql-path", f"sqlserver://sa@{CLOSED}/x%3Bpwd%3D{PLAIN}"),
            ("mssql-scheme-user", f"mssql://sa%3Baccess_token%3D{PLAIN}@{CLOSED}?database=x"),
            ("jdbc-mssql-database", f"jdbc:sqlserver://{CLOSED};databaseName=x%3Bpwd%3D{PLAIN};"
                                    "user=sa"),
            ("sqlite-path", f"sqlite:///x%3Bkey%3D{PLAIN}.db"),
            ("sqlite-path-plus", f"sqlite:///x+password%3D{PLAIN}.db"),
            ("sqlite-jdbc-path", f"jdbc:sqlite:x%3Bpassword%3D{PLAIN}.db")):
        yield (f"encoded-stray-{name}", url, PLAIN)
    # A secret key= right after '#': refused, masked to the end, whatever else is wrong.
    for name, url in (
            ("pg-no-database", f"postgresql://app@{CLOSED}#password={PLAIN}"),
            ("pg-empty-database", f"postgresql://app@{CLOSED}/#password={PLAIN}"),
            ("pg-bad-port", f"postgresql://app@127.0.0.1:99999/db#password={PLAIN}"),
            ("pg", f"postgresql://app@{CLOSED}/db#password={PLAIN}"),
            ("pg-token", f"postgresql://app@{CLOSED}/db#token={PLAIN}"),
            ("pg-encoded", f"postgresql://app@{CLOSED}/db#%70assword%3D{PLAIN}"),
            ("pg-after-query", f"postgresql://app@{CLOSED}/db?sslmode=bogus#password={PLAIN}"),
            ("postgres-no-database", f"postgres://app@{CLOSED}#pwd={PLAIN}"),
            ("pg-jdbc-no-database", f"jdbc:postgresql://{CLOSED}#password={PLAIN}"),
            ("mssql-no-database", f"sqlserver://sa@{CLOSED}#password={PLAIN}"),
            ("mssql-bad-port", f"sqlserver://sa@127.0.0.1:99999?database=x#pwd={PLAIN}"),
            ("mssql-scheme", f"mssql://sa@{CLOSED}#password={PLAIN}"),
            ("jdbc-mssql-property", f"jdbc:sqlserver://{CLOSED};databaseName=x#password={PLAIN};"
                                    "user=sa"),
            ("jdbc-mssql-address", f"jdbc:sqlserver://127.0.0.1:99999#pwd={PLAIN};"
                                   "databaseName=x"),
            ("sqlite", f"sqlite:///x.db#password={PLAIN}"),
            ("sqlite-jdbc", f"jdbc:sqlite:x.db#password={PLAIN}")):
        yield (f"after-hash-{name}", url, PLAIN)


CASES = list(_cases())


def leaks(texts: list[str], secret: str) -> list[str]:
    """The fragments of ``secret`` (or its encodings) found in ``texts``, in any case
    (a parser may lower-case what it quotes)."""
    needles = set(FRAGMENTS.findall(secret)) | {secret, encoded(secret)}
    return sorted({n for n in needles for t in texts if n.lower() in t.lower()})


def chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack += [e.__cause__, e.__context__]


def exception_texts(exc: BaseException) -> list[str]:
    out: list[str] = []
    for e in chain(exc):
        out += [str(e), repr(e), *(repr(a) for a in e.args)]
        out += [repr(v) for v in vars(e).values()] if hasattr(e, "__dict__") else []
    return out


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(("url", "secret"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_no_secret_in_any_output(url: str, secret: str, capsys: pytest.CaptureFixture[str],
                                 caplog: pytest.LogCaptureFixture,
                                 monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    from monozu.db.database import Database
    from monozu.db.migrate.settings import MigrateSettings, flyway_connection

    folder = Path(str(tmp_path))
    monkeypatch.chdir(folder)
    for name in ("DATABASE_URL", "SQL_SERVER", "IS_DEV", "DATABASE_URL_PLATFORM_ADMIN",
                 "FLYWAY_URL", "FLYWAY_USER", "FLYWAY_PASSWORD", "FLYWAY_CONFIG_FILES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONOZU_HOME", str(folder / "home"))
    texts: list[str] = [redact(url), repr(flyway_connection({"FLYWAY_URL": url}, cwd=folder)),
                        repr(MigrateSettings(placeholders={"dbPassword": secret}))]
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            config = load_config({}, url=url, dotenv=None)
            texts += [repr(config), str(config), repr(config.url), str(config.describe())]
            database = Database(config, pool_size=1)
            texts.append(repr(database))
            try:
                database.server_version()
            finally:
                database.close()
        except MonozuError as exc:
            texts += exception_texts(exc)
    texts += [str(w.message) for w in caught]
    texts += [r.getMessage() for r in caplog.records]
    texts += [repr(r.args) for r in caplog.records]
    codes = []
    # db check: the text channel; flyway info -outputType=json: the JSON one (the same
    # error handling as every db migrate/info/validate/... --json command); db migrate
    # for SQLite, which would create the file.
    runs: list[tuple[list[str], dict[str, str]]] = [
        (["db", "check", "--url", url], {}),
        (["flyway", "info", f"-url={url}", "-outputType=json"], {}),
        (["db", "check"], {"DATABASE_URL_PLATFORM_ADMIN": url}),
    ]
    if url.lower().startswith(("sqlite", "jdbc:sqlite")):
        runs.append((["db", "migrate", "--json", "--url", url], {}))
    quote = next((q for q in "'\"" if q not in url), None)
    if quote:  # the same variable from .env
        runs.append((["db", "check"], {".env": f"DATABASE_URL_PLATFORM_ADMIN={quote}{url}{quote}"}))
    for argv, env in runs:
        with monkeypatch.context() as scoped:
            for name, value in env.items():
                if name == ".env":
                    (folder / ".env").write_text(value + "\n")
                else:
                    scoped.setenv(name, value)
            code, output = run_cli(argv, capsys)
        (folder / ".env").unlink(missing_ok=True)
        codes.append(code)
        texts.append(output)
        assert len(output.strip().splitlines()) <= 3, output  # one line (and a JSON echo)
        assert "Traceback" not in output
    assert all(c in (1, 2) for c in codes), codes
    assert leaks(texts, secret) == [], [t for t in texts if leaks([t], secret)]
    created = [p.name for p in folder.rglob("*")]
    assert leaks(created, secret) == [], created


EQ = "Hd3Eqa Tl4Eqb="  # a blank then '=': the old reading cut the key at the '='


@pytest.mark.parametrize(("given", "how", "secret"), [
    ("-password", "flyway", RAW), ("FLYWAY_PASSWORD", "env", RAW), ("flyway.toml", "file", RAW),
    ("flyway.password={}", "conf", RAW),
    # Java properties: the key ends at the first blank, '=' or ':', then one optional
    # '=' or ':'. Cut at the first '=' or ':' instead, the key held part of the
    # password (quoted back as an unknown setting) and no password was read.
    ("flyway.password {}", "conf", RAW), ("flyway.password\t{}", "conf", RAW),
    ("flyway.password = {}", "conf", RAW), ("flyway.password\t: {}", "conf", RAW),
    ("flyway.password {}", "conf", EQ), ("flyway.password {}", "conf", "Hd3Col:Tl4Col"),
    ("  flyway.password \\\n    {}", "conf", RAW),
], ids=["flag", "env", "toml", "conf-equals", "conf-space", "conf-tab", "conf-spaced-equals",
        "conf-tab-colon", "conf-space-then-equals", "conf-space-then-colon",
        "conf-continued"])
def test_no_secret_when_given_apart(given: str, how: str, secret: str,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    from monozu.db.migrate.settings import flyway_connection

    folder = Path(str(tmp_path))
    monkeypatch.chdir(folder)
    for name in ("DATABASE_URL", "SQL_SERVER", "IS_DEV", "DATABASE_URL_PLATFORM_ADMIN",
                 "FLYWAY_URL", "FLYWAY_USER", "FLYWAY_PASSWORD", "FLYWAY_CONFIG_FILES"):
        monkeypatch.delenv(name, raising=False)
    url = f"jdbc:postgresql://{CLOSED}/db"
    argv = ["flyway", "info", "-outputType=json", "-user=app"]
    if how == "flyway":
        argv += [f"-url={url}", f"-password={secret}"]
    elif how == "env":
        monkeypatch.setenv("FLYWAY_URL", url)
        monkeypatch.setenv("FLYWAY_PASSWORD", secret)
    elif how == "file":
        (folder / "flyway.toml").write_text(
            f'[environments.default]\nurl = "{url}"\npassword = "{secret}"\n')
    else:
        (folder / "flyway.conf").write_text(
            f"flyway.url={url}\nflyway.user=app\n{given.format(secret)}\n")
        assert flyway_connection({}, cwd=folder).password == secret  # read, not dropped
    code, output = run_cli(argv, capsys)
    assert code == 1, output
    assert "cannot connect" in output or "connect" in output.lower()
    code2, output2 = run_cli(["db", "check"] if how != "flyway" else argv, capsys)
    assert code2 == 1, output2
    outputs = [output, output2]
    if how == "conf":
        code3, output3 = run_cli(["db", "info"], capsys)
        assert code3 == 1, output3
        outputs.append(output3)
    assert leaks(outputs, secret) == []


@pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_redact_masks_every_reading(text: str) -> None:
    """The masked spans cover the secret under every way the URL could be read."""
    shown = redact(text)
    assert "***" in shown
    for begin, end in secret_spans(text):
        assert 0 <= begin <= end <= len(text)


@pytest.mark.parametrize("text", [
    "postgresql://app@h/db#Zq9Frg", "postgresql://app@h/db?sslmode=require#Zq9Frg",
    "postgres://app@h/db?application_name=a#Zq9Frg", "sqlserver://sa@h?database=d#Zq9Frg",
    "mssql://sa@h/d#Zq9Frg", "jdbc:postgresql://h/db?user=app#Zq9Frg",
    "postgresql://app:pw@h/db#Zq9Frg",
])
def test_a_fragment_is_refused_masked(text: str) -> None:
    """No driver reads text after '#', so it is refused (not dropped), never shown."""
    from monozu.db.dialects.urls import parse_url

    with pytest.raises(ConfigError, match="text after '#'") as info:
        parse_url(text, variable="-url")
    assert "Zq9Frg" not in str(info.value) and str(info.value).endswith("#***")


def test_a_parse_error_has_no_secret_in_its_chain() -> None:
    """The parser sees a copy without the secret: nothing in __context__ can hold it."""
    with pytest.raises(ConfigError) as info:
        load_config({}, url=f"postgresql://u:{RAW}@127.0.0.1:1:2/db", dotenv=None)
    assert leaks(exception_texts(info.value), RAW) == []


@pytest.mark.parametrize(("text", "message"), [
    # sqlserver
    ("jdbc:sqlserver://h:1433;databaseName=d;bogus=1", "unsupported JDBC property 'bogus'"),
    ("jdbc:sqlserver://h:1433;databaseName=d;applicationName=x", "unsupported JDBC property"),
    ("jdbc:sqlserver://:1433;databaseName=d", "no host"),
    ("jdbc:sqlserver://h:14x3;databaseName=d", "bad port (not a number"),
    ("jdbc:sqlserver://h:70000;databaseName=d", "bad port '70000'"),
    ("jdbc:sqlserver://h:1433", "no database named"),
    ("jdbc:sqlserver://h\\inst;databaseName=d", "named instances"),
    ("jdbc:sqlserver:h;databaseName=d", "expected jdbc:sqlserver://"),
    ("jdbc:sqlserver://h;databaseName=d;encrypt=maybe", "encrypt must be"),
    ("jdbc:sqlserver://h;databaseName=d;authentication=ActiveDirectoryPassword",
     "unsupported authentication"),
    ("jdbc:sqlserver://h;databaseName=d;authentication=ActiveDirectoryMSI;password=p",
     "Managed Identity takes no password"),
    ("jdbc:sqlserver://h;databaseName=d;loginTimeout=abc", "must be a number"),
    ("jdbc:sqlserver://h;databaseName=d;justakey", "expected property=value"),
    ("sqlserver://u:p@h?database=d&connection+timeout=-1", "must be a number"),
    ("sqlserver://u:p@h?database=d&authentication=Kerberos", "unsupported authentication"),
    # postgresql
    ("jdbc:postgresql:app", "no host"),
    ("jdbc:postgresql:///app", "no host"),
    ("jdbc:postgresql://h:0/app", "bad port '0'"),
    ("jdbc:postgresql://h:5x/app", "bad port (not a number"),
    ("postgresql://h:/app", "bad port (not a number"),
    ("jdbc:postgresql://h/app?prepareThreshold=0", "unsupported JDBC property 'prepareThreshold'"),
    ("jdbc:postgresql://h1,h2/app", "bad host"),
    ("jdbc:postgresql://h/app?sslmode=sometimes", "sslmode must be"),
    ("jdbc:postgresql://h/app?ssl=maybe", "ssl must be true or false"),
    ("jdbc:postgresql://h/", "no database named"),
    ("postgresql://h/app?connect_timeout=abc", "connect_timeout must be whole seconds"),
    ("postgresql://u:a@h/app?password=b", "two different passwords"),
    ("jdbc:mysql://h/app", "unsupported database jdbc:mysql:"),
    ("jdbc:oracle:thin:@h:1521:x", "unsupported database jdbc:oracle:"),
    # sqlite
    ("sqlite:///a%00b.db", "NUL byte"),
    ("sqlite:///x.db?busy_timeout=abc", "busy_timeout must be a number"),
    ("sqlite:///x.db?timeout=-1", "timeout must be a number"),
    ("sqlite:///x.db?mode=rwx", "mode must be"),
    ("sqlite:///x.db?journal=wal", "unknown sqlite parameter"),
    ("jdbc:sqlite:x.db?busy_timeout=1e999", "busy_timeout must be a number"),
    ("sqlite://x.db", "sqlite URLs look like"),
    ("sqlite:///", "no SQLite file"),
    ("jdbc:sqlite:x.db;password=p", "SQLite has no password"),
    # a decoded NUL (which would cut the driver's string) in any part, any database
    ("postgresql://h/pr%00obe", "NUL byte"),
    ("postgresql://u:p%00w@h/db", "NUL byte"),
    ("postgresql://u%00x@h/db", "NUL byte"),
    ("postgresql://h/db?application_name=a%00b", "NUL byte"),
    ("postgresql://h/db?password=a%00b", "NUL byte"),
    ("jdbc:postgresql://h/db?user=a%00b", "NUL byte"),
    ("sqlserver://u:p@h?database=a%00b", "NUL byte"),
    ("sqlserver://u:p%00w@h?database=d", "NUL byte"),
    ("jdbc:sqlite:a%00b.db", "NUL byte"),
    # a control character in a name that is printed
    ("postgresql://h/inj%0Asource%20FORGED", "control character"),
    ("postgresql://a%1B[31m@h/db", "control character"),
    ("sqlserver://u:p@h?database=a%E2%80%A8b", "control character"),
    # the user-info, the query and the properties read only one way
    ("postgresql://u:p@h/db?application_name=x@evil/db", "more than one '@'"),
    ("jdbc:sqlserver://sa:pw@h;databaseName=d", "takes no user name or password"),
    ("sqlserver://u@h?database=d&password=a;b", "raw ';'"),
    ("jdbc:sqlserver://h;databaseName=d;password=a;b", "not a property"),
    ("jdbc:sqlserver://h;databaseName=d;password={a}b", "end cannot be told"),
    ("postgresql://h/db?options=x;password=y", "outside a parameter"),
    # libpq would let the query replace the server or database the URL shows
    ("postgresql://u@h:5432/db?dbname=other", "dbname= in the query would replace"),
    ("postgresql://u@h:5432/db?service=prod", "service= in the query would replace"),
    ("postgresql://u@h:5432/db?host=evil", "host= in the query would replace"),
    ("postgresql://u@h:5432/db?port=6432", "names its port twice"),
    ("jdbc:postgresql://h:5432/db?user=u&port=6432", "unsupported JDBC property 'port'"),
])
def test_bad_urls_are_one_clear_line(text: str, message: str) -> None:
    """Every database's malformed URL: one line naming the setting and the problem."""
    from monozu.db.dialects.urls import parse_url

    with pytest.raises(ConfigError) as info:
        parse_url(text, variable="-url")
    assert message in str(info.value)
    assert str(info.value).startswith("-url: ") and "\n" not in str(info.value)


@pytest.mark.parametrize(("message", "shown"), [
    ("at postgresql://u@h/db?sslpassword=***: connection failed",
     "at postgresql://u@h/db?sslpassword=***: connection failed"),
    ("at postgresql://u:***@h/db, then", "at postgresql://u:***@h/db, then"),
    ("at postgresql://u@h/db?sslpassword=Qx7: connection failed",
     "at postgresql://u@h/db?sslpassword=***"),
    ("try postgresql://u@h/db?password=***abc: now", "try postgresql://u@h/db?password=***"),
])
def test_a_message_keeps_its_punctuation_after_a_mask_but_never_a_secret(
        message: str, shown: str) -> None:
    from monozu.db.dialects.urls import redact_words

    assert redact_words(message).startswith(shown)
    assert "Qx7" not in redact_words(message) and "abc" not in redact_words(message)


# -- one reading only: where the server is, where a secret ends -------------------

@pytest.mark.parametrize("text", [
    "postgresql://app:pw@db.internal/prod?application_name=ops@evil.example:5432/x",
    "postgresql://app:pw@db.internal/prod#x@evil.example/x",
    "sqlserver://sa:pw@db.internal?database=d&app+name=x@evil.example",
    "postgresql://u:a/b@c/d@evil.example/x",
])
def test_the_server_never_comes_from_the_query_or_fragment(text: str) -> None:
    """Two "@" that could each end the user-info: refused, masked under both readings."""
    from monozu.db.dialects.urls import parse_url

    with pytest.raises(ConfigError, match="more than one '@'") as info:
        parse_url(text)
    assert "pw" not in str(info.value).replace("password", "")


@pytest.mark.parametrize(("text", "host", "user", "password"), [
    ("postgresql://u:raw/p?w#d @x@h:5434/app", "h", "u", "raw/p?w#d @x"),
    # "app:" is no host with an empty port: the password opens with '?' or '/'
    ("postgresql://app:?Zq9Opening@h:5434/app", "h", "app", "?Zq9Opening"),
    ("sqlserver://sa:/Zq9Opening@h?database=d", "h", "sa", "/Zq9Opening"),
    ("postgresql://user@server:pw@host/db", "host", "user@server", "pw"),
    ("postgresql://app:p@ss@h/db?application_name=a", "h", "app", "p@ss"),
    ("postgresql://app@h/db?application_name=me@work", "h", "app", ""),
    # the later "@" would need a user name holding "/" or "?": one reading only
    ("postgresql://app@db.internal/prod?application_name=ops:x@evil.example/x",
     "db.internal", "app", ""),
    ("jdbc:postgresql://db.internal/prod?user=a:b@evil.example/x", "db.internal",
     "a:b@evil.example/x", ""),
    ("postgresql://app:Prefix1234?password=tail@127.0.0.1:5/probe", "127.0.0.1", "app",
     "Prefix1234?password=tail"),
    ("sqlserver://sa:Prefix1234&token=tail@h:5?database=d", "h", "sa", "Prefix1234&token=tail"),
])
def test_one_reading_of_the_user_info(text: str, host: str, user: str, password: str) -> None:
    from monozu.db.dialects.urls import parse_url

    url = parse_url(text)
    assert (url.host, url.user, url.password) == (host, user, password)
    if password:
        assert password not in redact(text) and password not in repr(url)


def test_the_live_server_is_never_taken_from_the_query(pg_server: PgServer,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """Against a running server: refused (exit 2), not connected to template1."""
    admin = pg_server.admin_url
    hostport = admin.split("@", 1)[1].split("/", 1)[0]
    url = (f"postgresql://postgres:pw@{hostport}/postgres?application_name=x@{hostport}"
           "/template1")
    code, output = run_cli(["db", "check", "--url", url], capsys)
    assert code == 2 and "more than one '@'" in output, output
    assert "template1" not in output or "***" in output


@pytest.mark.parametrize("uri", [
    "postgresql://app@h/db?password=Head;TAILSECRET",
    "postgresql://app@h/db?password=a;b&sslmode=require",
    "postgresql://app@h/db?application_name=x;y&password=p%3Bq",
    "postgresql://app:p;w@h:5433/db",
    "postgresql://app@h/db?password=p%26q&connect_timeout=3",
])
def test_query_values_read_as_libpq_reads_them(uri: str) -> None:
    """``&`` separates, ``;`` does not: the conninfo monozu builds is what libpq itself
    makes of the same URI (so the password sent is the one given)."""
    from psycopg.conninfo import conninfo_to_dict

    from monozu.db.dialects.urls import parse_url

    ours = {k: str(v) for k, v in conninfo_to_dict(parse_url(uri).libpq_conninfo()).items()}
    theirs = {k: str(v) for k, v in conninfo_to_dict(uri).items()}
    theirs.setdefault("port", "5432")
    assert ours == theirs


def test_jdbc_postgresql_query_values_keep_their_semicolons() -> None:
    from monozu.db.dialects.urls import parse_url

    url = parse_url("jdbc:postgresql://h/db?user=app&password=Head;TAILSECRET")
    assert url.password == "Head;TAILSECRET" and "TAILSECRET" not in repr(url)


# -- the driver's own text -----------------------------------------------------------

@pytest.mark.parametrize("password", ["1", "refused", "127.0.0.1", "Connection", "app", "db"])
def test_the_drivers_text_does_not_depend_on_the_password(password: str) -> None:
    """Masking every occurrence of a short or common password would show where it
    occurs ("***27.0.0.***"); the message must read the same whatever the password."""
    from monozu.db.database import Database

    def failure(secret: str) -> str:
        config = load_config({}, url=f"postgresql://app:{quote(secret, safe='')}@{CLOSED}/db",
                             dotenv=None)
        with pytest.raises(MonozuError) as info:
            Database(config, pool_size=1).server_version()
        return str(info.value)

    reference = failure("Zz9Long-Unrelated-Password")
    assert failure(password) == reference
    assert 'server at "127.0.0.1", port 1 failed' in reference


@pytest.mark.parametrize(("message", "shown"), [
    ("Login failed for user 'sa' with password 'Qx7Raw}pw'.",
     "Login failed for user 'sa' with password '***'."),
    ("bad value {Qx7Raw}}pw} given", "bad value {***} given"),
    ("option \"Qx7Raw}pw\" refused", "option \"***\" refused"),
    ("connect PWD=Qx7Raw}pw;UID=sa", "connect PWD=***"),
    ("port 1 at 127.0.0.1 for 'sa'", "port 1 at 127.0.0.1 for 'sa'"),
])
def test_a_password_quoted_back_whole_is_masked(message: str, shown: str) -> None:
    from monozu.db.dialects.urls import mask_echoed

    assert mask_echoed(message, "Qx7Raw}pw", ("sa", "127.0.0.1", "1", "db")) == shown
    # equal to a value the message shows anyway: left alone, so nothing is revealed
    assert mask_echoed("for user 'sa'", "sa", ("sa",)) == "for user 'sa'"


# -- settings that are not URLs ------------------------------------------------------

@pytest.mark.parametrize("env", [
    {"SQL_SERVER": f"sqlserver://sa:{PLAIN}@127.0.0.1", "SQL_DATABASE": "db"},
    {"SQL_SERVER": f"x.database.windows.net;Password={PLAIN}", "SQL_DATABASE": "db"},
    {"SQL_SERVER": f"tcp:h,1433;Password={PLAIN}", "SQL_DATABASE": "db"},
    {"SQL_SERVER": f"h:{PLAIN}", "SQL_DATABASE": "db"},
    {"SQL_SERVER": "x.database.windows.net", "SQL_DATABASE": f"db;Password={PLAIN}"},
    {"SQL_SERVER": "x.database.windows.net", "SQL_DATABASE": f"db;Pwd={{{RAW}}}"},
    {"SQL_SERVER": "x.database.windows.net", "SQL_DATABASE": "db", "AZURE_CLIENT_ID": PLAIN},
    {"SQL_SERVER": "x.database.windows.net", "SQL_DATABASE": f"Pwd={PLAIN}"},
], ids=["url", "odbc-in-server", "tcp-form", "port", "odbc-in-database", "braced",
        "client-id", "odbc-first"])
def test_sql_server_variables_hold_a_host_and_a_name_only(
        env: dict[str, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """A URL or connection string pasted into SQL_SERVER or SQL_DATABASE is refused
    without being quoted back (not accepted as a host, nor shown by describe())."""
    monkeypatch.chdir(str(tmp_path))
    for name in ("DATABASE_URL", "IS_DEV", "DATABASE_URL_PLATFORM_ADMIN", "FLYWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    secret = RAW if RAW in str(env) else PLAIN
    texts: list[str] = []
    with pytest.raises(ConfigError) as info:
        config = load_config(env, dotenv=None)
        texts += [repr(config), str(config.describe())]
    texts += exception_texts(info.value)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for argv in (["db", "check"], ["flyway", "info", "-outputType=json"]):
        code, output = run_cli(argv, capsys)
        assert code == 2, output
        texts.append(output)
    assert leaks(texts, secret) == [], texts


def test_a_dotenv_value_cut_by_a_quote_inside_it_is_refused(tmp_path: object) -> None:
    from pathlib import Path

    env = Path(str(tmp_path)) / ".env"
    env.write_text("DATABASE_URL='postgresql://app:Hd3Quo7's9Tl4Quo@h/db'\n")
    with pytest.raises(ConfigError, match="after the closing quote") as info:
        load_config({}, dotenv=env)
    assert leaks(exception_texts(info.value), "Hd3Quo7's9Tl4Quo") == []


def test_reprs_show_no_secret() -> None:
    from monozu.db.migrate.settings import MigrateSettings, flyway_connection
    from monozu.domain.vulnintel.nvd_api import NvdClient

    found = flyway_connection({"FLYWAY_URL": f"jdbc:sqlserver://h:1;databaseName=x;password="
                                             f"{PLAIN}", "FLYWAY_PASSWORD": RAW})
    texts = [repr(found), str(found), repr(MigrateSettings(placeholders={"pw": PLAIN})),
             repr(NvdClient(api_key=PLAIN))]
    assert leaks(texts, PLAIN) == [] and leaks(texts, RAW) == [], texts
    assert "jdbc:sqlserver://h:1" in texts[0] and "'pw'" in texts[2]


# -- the command line's own arguments ------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["flyway", f"-url=jdbc:postgresql://{CLOSED}/db", "-user=app", f"-password:{PLAIN}",
     "info"],
    ["flyway", f"-url=jdbc:postgresql://{CLOSED}/db", "-user=app", "-password=Top",
     f"{PLAIN}", "info"],
    ["flyway", f"-url=jdbc:postgresql://{CLOSED}/db", "-password=Top", f"-{PLAIN}=x", "info"],
    ["flyway", "-url=jdbc:postgresql://app:Top", f"{PLAIN}@{CLOSED}/db", "info"],
    ["flyway", "info", "-url=jdbc:postgresql://app:Top", f"-{PLAIN}@{CLOSED}/db"],
    ["db", "check", "--url", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["db", "check", "--url", "postgresql://app:Top", f"--{PLAIN}@{CLOSED}/probe"],
    ["db", "info", "--url", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe", "--json"],
    ["db", f"{PLAIN}", "--url", "postgresql://app:Top"],
    ["cve", "sync", "--api-url", "https://u:Top", f"{PLAIN}@nvd.example"],
    # a free-form positional takes the piece: the feed paths of cve import
    ["cve", "import", "nvd", "--url", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["cve", "import", "nvd", "--url", "postgresql://app:12", f"{PLAIN}@{CLOSED}/probe"],
    ["cve", "import", "nvd", "--url", f"postgresql://app@{CLOSED}/db?password=Top", PLAIN],
    # an option spelt short (argparse took --u for --url) or wrong: only full names
    # exist, and what follows is not quoted back whatever the option's spelling
    ["db", "check", "--u", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["db", "check", "--ur", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["db", "check", "--u=postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["db", "info", "--ur", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe", "--json"],
    ["db", "rls", "status", "--ur", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["demo", "--u", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["cve", "import", "nvd", "--ur", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["cve", "sync", "--api", "https://u:Top", f"{PLAIN}@nvd.example"],
    ["cve", "sync", "--api-u", "https://u:Top", f"{PLAIN}@nvd.example"],
    ["db", "check", "--u", "postgresql://app:Top", PLAIN, f"zz@{CLOSED}/probe"],
    ["db", "check", "--uri", "postgresql://app:Top", f"{PLAIN}@{CLOSED}/probe"],
    ["db", "migrate", "--placeholder", "dbPassword=Top", PLAIN],
    ["db", "migrate", "--placeholde", "dbPassword=Top", PLAIN],
    ["flyway", "info", "-jdbcProperties.password=Top", PLAIN],
    ["flyway", "info", "-placeholders.dbPassword=Top", PLAIN],
    ["flyway", "info", "-pass=Top", PLAIN],
    # a placeholder's value with ':' for '=', or with no name: none of it quoted back
    ["db", "migrate", "--placeholder", f"dbPassword:{PLAIN}"],
    ["db", "migrate", f"--placeholder=dbPassword:{PLAIN}"],
    ["db", "migrate", "--placeholder", f"={PLAIN}"],
], ids=["colon-not-equals", "space-in-password", "space-dash", "space-in-url",
        "space-in-url-dash", "argparse-extra", "argparse-extra-dash", "argparse-json",
        "argparse-choice", "api-url", "feed-path", "feed-path-port-like", "feed-path-query",
        "abbrev-u", "abbrev-ur", "abbrev-u-equals", "abbrev-json", "abbrev-rls",
        "abbrev-demo", "abbrev-feed-path", "abbrev-api", "abbrev-api-u", "abbrev-3-pieces",
        "misspelt-uri", "placeholder", "abbrev-placeholder", "flyway-jdbc-property",
        "flyway-placeholder", "flyway-short-password", "placeholder-colon",
        "placeholder-equals-colon", "placeholder-no-name"])
def test_argument_mistakes_quote_no_secret(argv: list[str], capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: object) -> None:
    """A password written with ':' for '=', or a URL or password with an unquoted space:
    the error names the position, never the text that may be a piece of the secret."""
    monkeypatch.chdir(str(tmp_path))
    code, output = run_cli(argv, capsys)
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1 and output.startswith("Error: "), output
    assert leaks([output], PLAIN) == [], output


@pytest.mark.parametrize(("text", "message"), [
    # names are read exactly, as SQLite's connection and libpq read them
    ("sqlite:///x.db?MODE=ro", "lower case (mode)"),
    ("sqlite:///x.db?Busy_Timeout=1", "lower case (busy_timeout)"),
    ("postgresql://h/db?SSLMODE=require", "lower case (sslmode)"),
    ("postgresql://h/db?sslmod=require", "did you mean sslmode?"),
    ("postgresql://h/db?keepalives_idle=1.5", "keepalives_idle must be a whole number"),
    ("postgresql://h/db?port=0", "bad port"),
    ("postgresql://h/db?gssencmode=always", "gssencmode must be one of"),
    ("postgresql://h/db?require_auth=scram-sha-256,bogus", "require_auth"),
    ("sqlite:///x.db?mode=ro&mode=rwc", "given twice"),
    ("postgresql://h/db?sslmode=require&sslmode=disable", "given twice"),
    ("sqlserver://u:p@h?database=d&Encrypt=no&ENCRYPT=yes", "given twice"),
])
def test_parameter_names_follow_the_driver(text: str, message: str) -> None:
    from monozu.db.dialects.urls import parse_url

    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_url(text, variable="--url")


def test_known_parameters_pass() -> None:
    from monozu.db.dialects.urls import parse_url

    url = parse_url("postgresql://h/db?sslmode=require&keepalives=1&port=5433"
                    "&target_session_attrs=read-write&ssl_min_protocol_version=TLSv1.2"
                    "&require_auth=!md5,scram-sha-256")
    assert url.params["sslmode"] == "require"
    # SQL Server's names are case-insensitive, as go-mssqldb's
    assert parse_url("sqlserver://u:p@h?database=d&Encrypt=false").params["encrypt"] == "false"
    assert parse_url("sqlite:///x.db?mode=ro&busy_timeout=2").params == {
        "mode": "ro", "busy_timeout": "2"}


def test_a_query_port_is_the_port_when_the_address_has_none() -> None:
    from monozu.db.dialects.urls import parse_url

    url = parse_url("postgresql://u@h/db?port=6432&hostaddr=10.0.0.5", variable="-url")
    assert (url.host, url.port, url.params) == ("h", 6432, {"hostaddr": "10.0.0.5"})


# -- bytes that are not UTF-8 ----------------------------------------------------------
# A byte that is not UTF-8 in an argument or a variable reaches Python as a lone
# surrogate, which no driver can send: it used to end in "UnicodeEncodeError" (exit 1),
# or in SQL Server's driver quoting its connection string. A percent-encoded one (%FF)
# was turned into U+FFFD silently, so another password was sent.
BAD = "\udcff"  # how Python reads the byte 0xFF from argv or the environment


@pytest.mark.parametrize(("argv", "said"), [
    (["db", "check", "--url", f"postgresql://app:Top{BAD}{PLAIN}@{CLOSED}/db"], "not UTF-8"),
    (["db", "check", "--url", f"postgresql://app{BAD}@{CLOSED}/db"], "not UTF-8"),
    (["db", "check", "--url", f"postgresql://app@{CLOSED}/d{BAD}b"], "not UTF-8"),
    (["db", "check", "--url", f"postgresql://app@{CLOSED}/db?application_name={BAD}"],
     "not UTF-8"),
    (["db", "check", "--url", f"sqlserver://app:Top{BAD}{PLAIN}@{CLOSED}?database=x"],
     "not UTF-8"),
    (["db", "check", "--url", f"jdbc:sqlserver://{CLOSED};databaseName=x;password={PLAIN}{BAD}"],
     "not UTF-8"),
    (["db", "check", "--url", f"postgresql://app:{PLAIN}%FF@{CLOSED}/db"],
     "the password is not UTF-8 once percent-decoded"),
    (["db", "check", "--url", f"postgresql://app@{CLOSED}/db?password={PLAIN}%FE"],
     "secret parameter is not UTF-8 once percent-decoded"),
    (["db", "check", "--url", "postgresql://app@h%FF:1/db"], "the host is not UTF-8"),
    (["db", "check", "--url", "postgresql://app@127.0.0.1:1/d%C3b"],
     "the database name is not UTF-8"),
    (["flyway", "info", f"-url=jdbc:postgresql://{CLOSED}/db", "-user=app",
      f"-password={PLAIN}{BAD}"], "-password: holds a byte that is not UTF-8"),
    (["flyway", "info", f"-url=jdbc:postgresql://{CLOSED}/db", f"-user=a{BAD}"],
     "-user: holds a byte that is not UTF-8"),
], ids=["password", "user", "database", "parameter", "sqlserver", "jdbc-property",
        "password-%FF", "secret-parameter-%FE", "host-%FF", "database-%C3", "flyway-password",
        "flyway-user"])
def test_bytes_that_are_not_utf8_are_refused_in_one_line(
        argv: list[str], said: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))
    code, output = run_cli(argv, capsys)
    assert code == 2 and said in output, output
    assert len(output.strip().splitlines()) == 1 and output.startswith("Error: "), output
    assert "Encode" not in output and BAD not in output and leaks([output], PLAIN) == []


@pytest.mark.parametrize("name", ["SQL_SERVER", "SQL_DATABASE", "AZURE_CLIENT_ID",
                                  "FLYWAY_USER", "FLYWAY_PASSWORD", "FLYWAY_ENVIRONMENT"])
def test_variables_sent_to_a_server_must_be_utf8(name: str) -> None:
    env = {"SQL_SERVER": "db.example", "SQL_DATABASE": "monozu", name: f"x{BAD}y"}
    with pytest.raises(ConfigError, match=f"^{name}: holds a byte that is not UTF-8"):
        load_config(environ=env)


def test_a_sqlite_file_name_may_hold_any_bytes(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A file name is bytes on Linux: it goes to SQLite as the bytes it was, read-only
    opens (a URI) included."""
    import os

    url = f"sqlite:///{tmp_path}/x{BAD}.db"
    for argv in (["db", "migrate", "--url", url], ["db", "check", "--url", url],
                 ["db", "info", "--url", url]):
        code, output = run_cli(argv, capsys)
        assert code == 0, output
    assert os.listdir(os.fsencode(tmp_path)) == [b"x\xff.db"]
