"""Secrets in URLs: every position and encoding, through every output channel.

A password (or token) can sit in a URL's user-info, in a ``password=``/``pwd=``
parameter in any case or percent-encoding, in a JDBC ``;password=`` property, or be
given apart (``-password``, ``FLYWAY_PASSWORD``); it may hold ``/ ? # @ :``, spaces
and braces, raw or percent-encoded. For each, the URL is read and a connection
attempted (to a closed port) by the library and by the command line, and no piece
of the secret may appear in: CLI text, CLI ``--json``, ``str``/``repr`` of the
exception and of every exception in its chain (``__cause__`` and ``__context__``,
suppressed or not), ``repr`` of the configuration and of ``Database``, warnings,
and log records down to DEBUG.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from monozu.cli import main
from monozu.db.config import load_config
from monozu.db.dialects.urls import redact, secret_spans
from monozu.db.errors import ConfigError, MonozuError

# Every piece between special characters is distinctive, so a leak of any fragment
# (the parser's "port could not be cast ... 'Qx7Raw'") is caught.
RAW = "Qx7Raw/Zq8Tuv?Kp3Lmn#Wd5Ghj@Ys2Bcd:Rf6Nop Ea4Xyz"
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
    yield ("pg-param-and-badport", f"postgresql://app@127.0.0.1:9x9/db?password={PLAIN}", PLAIN)
    yield ("jdbc-mysql", f"jdbc:mysql://{CLOSED}/db?user=a&password={PLAIN}", PLAIN)
    yield ("two-passwords", f"postgresql://app:{PLAIN}@{CLOSED}/db?password=Other5Secret",
           PLAIN)


CASES = list(_cases())


def leaks(texts: list[str], secret: str) -> list[str]:
    """The fragments of ``secret`` (or its encodings) found in ``texts``."""
    needles = set(FRAGMENTS.findall(secret)) | {secret, encoded(secret)}
    return sorted({n for n in needles for t in texts if n in t})


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
    from monozu.db.database import Database

    monkeypatch.chdir(str(tmp_path))
    for name in ("DATABASE_URL", "SQL_SERVER", "IS_DEV", "DATABASE_URL_PLATFORM_ADMIN"):
        monkeypatch.delenv(name, raising=False)
    texts: list[str] = [redact(url)]
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
    # error handling as every db migrate/info/validate/... --json command).
    for argv in (["db", "check", "--url", url],
                 ["flyway", "info", f"-url={url}", "-outputType=json"]):
        code, output = run_cli(argv, capsys)
        codes.append(code)
        texts.append(output)
        assert len(output.strip().splitlines()) <= 3, output  # one line (and a JSON echo)
        assert "Traceback" not in output
    assert all(c in (1, 2) for c in codes), codes
    assert leaks(texts, secret) == [], [t for t in texts if leaks([t], secret)]


@pytest.mark.parametrize(("given", "how"), [
    ("-password", "flyway"), ("FLYWAY_PASSWORD", "env"), ("flyway.toml", "file"),
])
def test_no_secret_when_given_apart(given: str, how: str, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    monkeypatch.chdir(folder)
    url = f"jdbc:postgresql://{CLOSED}/db"
    argv = ["flyway", "info", "-outputType=json", "-user=app"]
    if how == "flyway":
        argv += [f"-url={url}", f"-password={RAW}"]
    elif how == "env":
        monkeypatch.setenv("FLYWAY_URL", url)
        monkeypatch.setenv("FLYWAY_PASSWORD", RAW)
    else:
        (folder / "flyway.toml").write_text(
            f'[environments.default]\nurl = "{url}"\npassword = "{RAW}"\n')
    code, output = run_cli(argv, capsys)
    assert code == 1, output
    assert "cannot connect" in output or "connect" in output.lower()
    code2, output2 = run_cli(["db", "check"] if how != "flyway" else argv, capsys)
    assert code2 == 1
    assert leaks([output, output2], RAW) == []


@pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_redact_masks_every_reading(text: str) -> None:
    """The masked spans cover the secret under every way the URL could be read."""
    shown = redact(text)
    assert "***" in shown
    for begin, end in secret_spans(text):
        assert 0 <= begin <= end <= len(text)


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
    ("jdbc:sqlserver://h:14x3;databaseName=d", "bad port '14x3'"),
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
    ("jdbc:postgresql://h:5x/app", "bad port '5x'"),
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
