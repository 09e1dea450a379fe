"""The real command line fed malformed options and variables: exit 2 and one line.

Every case runs ``./monozu`` in an empty folder with a private ``HOME``; it must exit
with 2, print exactly one line (``Error: ...``) on stderr and no traceback, and create
nothing: no database file, no folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from monozu.cli import main

REPO = Path(__file__).resolve().parents[2]
LOC = REPO / "tests" / "fixtures" / "migrations" / "engine"

# Settings naming a place where no folder can be made (/proc/self/x) or no file created
# (/sys/kernel): (id, argv, environment, the setting the one line must name).
PLACES: list[tuple[str, list[str], dict[str, str], str]] = [
    ("monozu-home-proc", ["db", "migrate"], {"MONOZU_HOME": "/proc/self/x"}, "MONOZU_HOME"),
    ("monozu-home-sys", ["db", "migrate"], {"MONOZU_HOME": "/sys/kernel"}, "MONOZU_HOME"),
    ("xdg-proc", ["db", "baseline"], {"XDG_DATA_HOME": "/proc/self/x"}, "XDG_DATA_HOME"),
    ("xdg-sys", ["db", "migrate"], {"XDG_DATA_HOME": "/sys"}, "XDG_DATA_HOME"),
    ("home-proc", ["db", "migrate"], {"HOME": "/proc/self/x"}, "HOME"),
    ("demo-monozu-home", ["demo"], {"MONOZU_HOME": "/proc/self/x"}, "MONOZU_HOME"),
    ("url-proc", ["db", "migrate", "--url", "sqlite:////proc/self/x/a.db"], {}, "--url"),
    ("url-sys", ["db", "migrate", "--url", "sqlite:////sys/kernel/a.db"], {}, "--url"),
    ("jdbc-url-sys", ["flyway", "migrate", "-url=jdbc:sqlite:/sys/kernel/a.db"], {}, "-url"),
    ("database-url", ["db", "migrate"], {"DATABASE_URL": "sqlite:////proc/self/x/a.db"},
     "DATABASE_URL"),
    ("flyway-url", ["db", "baseline"], {"FLYWAY_URL": "jdbc:sqlite:/sys/kernel/a.db"},
     "FLYWAY_URL"),
]
PLACES_UNWRITABLE = [p[:3] for p in PLACES]

# (id, argv, environment): {dir} is an existing folder, {file} a UTF-8 file,
# {binary} a file that is not text, {db} a database path that must not appear.
CASES: list[tuple[str, list[str], dict[str, str]]] = [
    ("url-nul-percent", ["db", "check", "--url", "sqlite:///a%00b.db"], {}),
    ("url-busy-timeout", ["db", "check", "--url", "sqlite:///{db}?busy_timeout=abc"], {}),
    ("url-timeout-huge", ["db", "check", "--url", "sqlite:///{db}?timeout=1e999"], {}),
    ("url-not-a-url", ["db", "check", "--url", "just-text"], {}),
    ("url-port-range", ["db", "check", "--url", "postgresql://u:p@h:99999/db"], {}),
    ("url-port-text", ["db", "info", "--url", "postgresql://u:p@h:abc/db"], {}),
    ("url-connect-timeout", ["db", "check", "--url",
                             "postgresql://u@h/db?connect_timeout=ten"], {}),
    ("url-jdbc-mysql", ["db", "migrate", "--url", "jdbc:mysql://h/db"], {}),
    ("url-jdbc-unknown-prop", ["db", "migrate", "--url",
                               "jdbc:sqlserver://h:1433;databaseName=d;foo=1"], {}),
    ("url-jdbc-no-host", ["db", "migrate", "--url", "jdbc:postgresql:///db"], {}),
    ("url-sqlserver-timeout", ["db", "check", "--url",
                               "sqlserver://u:p@h?database=d&dial+timeout=x"], {}),
    # bytes that are not UTF-8 (0xFF: a lone surrogate to Python) where text goes to a server
    ("url-byte-not-utf8", ["db", "check", "--url", "postgresql://u:p\udcff@h/db"], {}),
    ("url-percent-not-utf8", ["db", "check", "--url", "postgresql://u:p%FF@h/db"], {}),
    # unquote() made each of these U+FFFD: another file, the same for %fe and %ff
    *((f"url-sqlite-percent-not-utf8-{n}", argv, env) for n, (argv, env) in enumerate((
        (["db", "migrate", "--url", "sqlite:///%ff.db"], {}),
        (["db", "check", "--url", "sqlite:///{dir}/a%fe.db"], {}),
        (["db", "migrate", "--url", "jdbc:sqlite:%ff.db"], {}),
        (["db", "migrate", "--url", "jdbc:sqlite:file:%c3.db"], {}),
        (["db", "migrate"], {"DATABASE_URL": "sqlite:///%ff.db"}),
        (["flyway", "migrate", "-url=jdbc:sqlite:%ff.db"], {}),
        (["db", "migrate"], {"FLYWAY_CONF_TEXT": "flyway.url=jdbc:sqlite:%ff.db"})))),
    ("installed-by-not-utf8", ["db", "migrate", "--url", "sqlite:///{db}", "--installed-by",
                               "a\udcff"], {}),
    ("table-not-utf8", ["db", "migrate", "--url", "sqlite:///{db}", "--table", "a\udcff"], {}),
    ("description-not-utf8", ["db", "baseline", "--url", "sqlite:///{db}",
                              "--baseline-description", "a\udcff"], {}),
    ("placeholder-not-utf8", ["db", "migrate", "--url", "sqlite:///{db}", "--placeholder",
                              "x=a\udcff"], {}),
    ("env-flyway-password-not-utf8", ["db", "check"],
     {"FLYWAY_URL": "jdbc:postgresql://h/db", "FLYWAY_PASSWORD": "p\udcff"}),
    ("env-sql-server-not-utf8", ["db", "check"], {"SQL_SERVER": "h\udcff", "SQL_DATABASE": "d"}),
    ("unknown-option", ["db", "check", "--bogus"], {}),
    ("unknown-command", ["db", "frobnicate"], {}),
    ("target", ["db", "migrate", "--url", "sqlite:///{db}", "--target", "abc"], {}),
    ("baseline-version", ["db", "baseline", "--url", "sqlite:///{db}",
                          "--baseline-version", "x.y"], {}),
    ("baseline-version-huge", ["db", "baseline", "--url", "sqlite:///{db}",
                               "--baseline-version", "9" * 5000], {}),
    ("env-baseline-version-huge", ["db", "baseline", "--url", "sqlite:///{db}"],
     {"FLYWAY_BASELINE_VERSION": "9" * 5000}),
    ("flyway-baseline-version-huge", ["flyway", "baseline", "-url=jdbc:sqlite:{db}",
                                      "-baselineVersion=" + "9" * 5000], {}),
    ("placeholder", ["db", "migrate", "--url", "sqlite:///{db}", "--placeholder", "novalue"],
     {}),
    ("ignore-patterns", ["db", "migrate", "--url", "sqlite:///{db}",
                         "--ignore-migration-patterns", "bogus"], {}),
    ("config-file-dir", ["db", "migrate", "--url", "sqlite:///{db}", "--config-file", "{dir}"],
     {}),
    ("config-file-missing", ["db", "migrate", "--url", "sqlite:///{db}", "--config-file",
                             "missing.conf"], {}),
    ("config-file-binary", ["db", "migrate", "--url", "sqlite:///{db}", "--config-file",
                            "{binary}"], {}),
    ("erd-output-dir", ["db", "erd", "--url", "sqlite:///{db}", "--output", "{dir}"], {}),
    ("environment-missing", ["db", "migrate", "--environment", "nope"], {}),
    ("env-database-url", ["db", "check"], {"DATABASE_URL": "garbage"}),
    ("env-database-url-nul", ["db", "check"], {"DATABASE_URL": "sqlite:///x%00.db"}),
    ("env-is-dev", ["db", "check"], {"IS_DEV": "maybe"}),
    ("env-sql-server-port", ["db", "check"], {"SQL_SERVER": "h:99999", "SQL_DATABASE": "d"}),
    ("env-sql-database-missing", ["db", "check"], {"SQL_SERVER": "h"}),
    ("env-platform", ["db", "check"], {"DATABASE_URL_PLATFORM_ADMIN": "oracle://h/x"}),
    ("env-monozu-home-file", ["db", "migrate"], {"MONOZU_HOME": "{file}"}),
    # a folder that cannot be made or written (under /proc or /sys) is a bad setting
    *((f"place-unwritable-{name}", argv, env) for name, argv, env in PLACES_UNWRITABLE),
    # blanks are not a folder name anyone means (they used to make a folder " ")
    *((f"env-{name.lower()}-blank-{n}", ["db", verb], {name: blank})
      for name in ("MONOZU_HOME", "XDG_DATA_HOME") for n, blank in enumerate((" ", "\t"))
      for verb in ("migrate",)),
    # an opening quote never closed would become part of the value
    ("dotenv-unclosed-quote", ["db", "migrate"], {"DOTENV_TEXT": "MONOZU_HOME='{dir}/zz"}),
    ("dotenv-unclosed-double-quote", ["db", "check"],
     {"DOTENV_TEXT": 'DATABASE_URL="sqlite:///{db}'}),
    ("env-flyway-url", ["db", "migrate"], {"FLYWAY_URL": "jdbc:mysql://h/db"}),
    ("env-flyway-environment", ["db", "migrate"], {"FLYWAY_ENVIRONMENT": "nope"}),
    ("env-flyway-config-dir", ["db", "migrate", "--url", "sqlite:///{db}"],
     {"FLYWAY_CONFIG_FILES": "{dir}"}),
    ("env-lock-retry", ["db", "migrate", "--url", "sqlite:///{db}"],
     {"FLYWAY_LOCK_RETRY_COUNT": "abc"}),
    ("env-out-of-order", ["db", "migrate", "--url", "sqlite:///{db}"],
     {"FLYWAY_OUT_OF_ORDER": "maybe"}),
    ("env-target", ["db", "migrate", "--url", "sqlite:///{db}"], {"FLYWAY_TARGET": "abc"}),
    ("env-encoding", ["db", "migrate", "--url", "sqlite:///{db}"], {"FLYWAY_ENCODING": "nope"}),
    ("flyway-unknown-arg", ["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-bogus=1"], {}),
    ("flyway-no-verb", ["flyway", "-url=jdbc:sqlite:{db}"], {}),
    ("flyway-bad-verb", ["flyway", "undo", "-url=jdbc:sqlite:{db}"], {}),
    ("flyway-two-verbs", ["flyway", "migrate", "info"], {}),
    ("flyway-no-value", ["flyway", "migrate", "-url"], {}),
    ("flyway-output-type", ["flyway", "info", "-url=jdbc:sqlite:{db}", "-outputType=xml"], {}),
    ("flyway-out-of-order", ["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-outOfOrder=maybe"],
     {}),
    ("flyway-two-passwords", ["flyway", "migrate", "-url=jdbc:postgresql://h/db?password=a1",
                              "-password=b2"], {}),
    ("flyway-config-dir", ["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-configFiles={dir}"],
     {}),
    ("config-file-fifo", ["db", "migrate", "--url", "sqlite:///{db}", "--config-file",
                          "{fifo}"], {}),
    ("config-file-device", ["db", "migrate", "--url", "sqlite:///{db}", "--config-file",
                            "/dev/zero"], {}),
    ("env-flyway-config-fifo", ["db", "migrate", "--url", "sqlite:///{db}"],
     {"FLYWAY_CONFIG_FILES": "{fifo}"}),
    ("dotenv-fifo", ["db", "check"], {"DOTENV_FIFO": "1"}),
    ("cve-import-fifo", ["cve", "import", "kev", "{fifo}", "--url", "sqlite:///{db}"], {}),
    ("cve-import-device", ["cve", "import", "epss", "/dev/zero", "--url", "sqlite:///{db}"],
     {}),
    ("cve-import-missing", ["cve", "import", "kev", "missing.json", "--url", "sqlite:///{db}"],
     {}),
    ("cve-import-folder", ["cve", "import", "kev", "{dir}", "--url", "sqlite:///{db}"], {}),
    ("cve-import-source", ["cve", "import", "nope", "{file}", "--url", "sqlite:///{db}"], {}),
    ("cve-explain-asset", ["cve", "explain", "--asset", "x", "CVE-2024-1"], {}),
    ("edge-purge-age", ["edge", "purge", "--older-than", "30x", "--all-tenants"], {}),
    # beyond what a date can hold: the cutoff used to overflow into a traceback
    ("edge-purge-age-huge", ["edge", "purge", "--older-than", "999999d", "--all-tenants"], {}),
    ("edge-purge-age-hours", ["edge", "purge", "--older-than", "999999h", "--all-tenants"], {}),
    # int() reads other scripts' digits and "_": a typo must not become a number
    ("edge-purge-age-digits", ["edge", "purge", "--older-than", "\u0663d", "--all-tenants"],
     {}),
    ("edge-purge-batch-underscore", ["edge", "purge", "--older-than", "3d", "--all-tenants",
                                     "--batch-size", "1_0"], {}),
    ("edge-purge-batch-digits", ["edge", "purge", "--older-than", "3d", "--all-tenants",
                                 "--batch-size", "\u0663"], {}),
    ("edge-purge-batch-negative", ["edge", "purge", "--older-than", "3d", "--all-tenants",
                                   "--batch-size", "-1"], {}),
    # URL parameter names are matched as the driver reads them: "MODE=ro" must not pass
    # and then be ignored (writing to a database meant to be read only)
    *((f"url-sqlite-{q}", ["db", "migrate", "--url", f"sqlite:///{{db}}?{q}"], {})
      for q in ("MODE=ro", "Mode=ro", "BUSY_TIMEOUT=abc", "MODE=xyz", "mode=ro&mode=rw")),
    # libpq's keywords, their numbers and choices, checked before connecting
    *((f"url-pg-{q}", ["db", "check", "--url", f"postgresql://u@127.0.0.1:1/db?{q}"], {})
      for q in ("SSLMODE=bogus", "CONNECT_TIMEOUT=abc", "foo=bar", "pool_size=abc",
                "keepalives=abc", "port=abc", "target_session_attrs=xyz", "require_auth=x",
                "sslmode=require&sslmode=disable")),
    ("url-jdbc-pg-timeout", ["db", "check", "--url",
                             "jdbc:postgresql://127.0.0.1:1/db?connectTimeout=x"], {}),
    ("url-mssql-repeated", ["db", "check", "--url",
                            "sqlserver://u:p@h?database=d&Encrypt=false&encrypt=true"], {}),
    # an empty value is refused, not read as "not given" (another database, a default)
    ("url-empty", ["db", "migrate", "--url", ""], {}),
    ("url-blank-env", ["db", "migrate", "--url", " "], {"DATABASE_URL": "sqlite:///{db}"}),
    ("url-empty-check", ["db", "check", "--url", ""], {"DATABASE_URL": "sqlite:///{db}"}),
    ("locations-empty", ["db", "migrate", "--url", "sqlite:///{db}", "--locations", ""], {}),
    ("target-empty", ["db", "migrate", "--url", "sqlite:///{db}", "--target", ""], {}),
    ("table-empty", ["db", "migrate", "--url", "sqlite:///{db}", "--table", " "], {}),
    ("environment-empty", ["db", "migrate", "--environment", ""], {}),
    ("placeholder-newline", ["db", "migrate", "--url", "sqlite:///{db}", "--placeholder",
                             "a\nb=1"], {}),
    ("flyway-url-empty", ["flyway", "migrate", "-url="], {}),
    ("flyway-schemas-empty", ["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-schemas="], {}),
    ("flyway-output-empty", ["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-outputType="], {}),
    ("flyway-retries-text", ["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-connectRetries=abc"],
     {}),
    ("flyway-retries-negative", ["flyway", "migrate", "-url=jdbc:sqlite:{db}",
                                 "-connectRetries=-1"], {}),
    ("version-extra", ["--version", "x"], {}),
    # names no file system holds; not echoed whole
    ("url-sqlite-name-long", ["db", "migrate", "--url", "sqlite:///{dir}/" + "x" * 300], {}),
    ("url-sqlite-name-long-check", ["db", "check", "--url", "sqlite:///{dir}/" + "x" * 300],
     {}),
    ("env-monozu-home-long", ["db", "check"], {"MONOZU_HOME": "/tmp/" + "y" * 5000}),
    # "~user" for a user this system does not know: pathlib raised RuntimeError, a
    # traceback, wherever such a path was expanded
    *((f"home-of-unknown-user-{n}", argv, env) for n, (argv, env) in enumerate((
        (["db", "check"], {"MONOZU_HOME": "~nosuchuser/x"}),
        (["db", "migrate"], {"MONOZU_HOME": "~nosuchuser"}),
        (["db", "migrate"], {"XDG_DATA_HOME": "~nosuchuser/x"}),
        (["db", "migrate"], {"HOME": "~nosuchuser"}),
        (["db", "check", "--url", "sqlite:///~nosuchuser/x.db"], {}),
        (["db", "migrate"], {"DATABASE_URL": "sqlite:///~nosuchuser/x.db"}),
        (["flyway", "migrate", "-url=jdbc:sqlite:~nosuchuser/x.db"], {}),
        (["db", "migrate", "--url", "sqlite:///{db}", "--locations", "~nosuchuser/m"], {}),
        (["db", "migrate", "--url", "sqlite:///{db}"], {"FLYWAY_LOCATIONS": "~nosuchuser"}),
        (["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-locations=filesystem:~nosuchuser"],
         {})))),
    ("locations-long", ["db", "migrate", "--url", "sqlite:///{db}", "--locations",
                        "{dir}/" + "x" * 300], {}),
    # an empty location path is the working folder: its V*.sql would be migrated
    *((f"locations-empty-path-{name}", ["db", "migrate", "--url", "sqlite:///{db}", *args], env)
      for name, args, env in (
          ("flag", ["--locations", "filesystem:"], {}),
          ("flag-blank", ["--locations", "filesystem: "], {}),
          ("flag-second", ["--locations", "{dir}", "--locations", "filesystem:"], {}),
          ("env", [], {"FLYWAY_LOCATIONS": "filesystem:"}),
          ("conf", [], {"FLYWAY_CONF_TEXT": "flyway.locations={dir},filesystem:"}),
          ("toml", [], {"FLYWAY_TOML_TEXT": '[flyway]\nlocations = ["filesystem:"]'}))),
    # commas only ("-locations=$A,$B" with both unset) named nothing, and the default
    # folder, schema or settings files were used instead
    *((f"list-only-commas-{name}", argv, env) for name, argv, env in (
        ("env-locations", ["db", "migrate", "--url", "sqlite:///{db}"],
         {"FLYWAY_LOCATIONS": ","}),
        ("conf-locations", ["db", "migrate", "--url", "sqlite:///{db}"],
         {"FLYWAY_CONF_TEXT": "flyway.locations= , "}),
        ("flyway-locations", ["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-locations=,"],
         {}),
        ("flyway-schemas", ["flyway", "migrate", "-url=jdbc:sqlite:{db}", "-schemas=,,"], {}),
        ("env-schemas", ["db", "migrate", "--url", "sqlite:///{db}"], {"FLYWAY_SCHEMAS": ","}),
        ("flyway-config-files", ["flyway", "migrate", "-url=jdbc:sqlite:{db}",
                                 "-configFiles=,"], {}),
        ("env-config-files", ["db", "migrate", "--url", "sqlite:///{db}"],
         {"FLYWAY_CONFIG_FILES": " , "}))),
    *((f"flyway-locations-empty-path-{verb}", ["flyway", verb, "-url=jdbc:sqlite:{db}",
                                               "-locations=filesystem:"], {})
      for verb in ("migrate", "baseline")),
    # a location that is no folder is refused before the database is opened: migrate and
    # baseline used to create the SQLite file and its folders first
    *((f"locations-not-a-folder-{verb}-{name}", [*prefix, verb, *args], env)
      for verb in ("migrate", "baseline")
      for name, prefix, args, env in (
          ("toml-default", ["db"], [], {"FLYWAY_TOML_TEXT":
                                        '[flyway]\nlocations = ["filesystem:nope"]'}),
          ("conf", ["db"], ["--url", "sqlite:///{db}"],
           {"FLYWAY_CONF_TEXT": "flyway.locations=filesystem:{file}"}),
          ("env", ["db"], ["--url", "sqlite:///{db}"], {"FLYWAY_LOCATIONS": "nope"}),
          ("flag", ["db"], ["--url", "sqlite:///{db}", "--locations", "nope"], {}),
          ("flag-file", ["db"], ["--url", "sqlite:///{db}", "--locations", "{file}"], {}),
          ("flyway", ["flyway"], ["-url=jdbc:sqlite:{db}", "-locations=filesystem:nope"], {}))),
    # a SQLite "file" that is a folder, a device or a pipe, for every kind of command
    *((f"url-sqlite-{what}-{verb}", ["db", verb, "--url", f"sqlite:///{path}"], {})
      for what, path in (("dir", "{dir}"), ("device", "/dev/zero"), ("fifo", "{fifo}"))
      for verb in ("check", "info", "migrate")),
    ("demo-sqlite-dir", ["demo", "--url", "sqlite:///{dir}"], {}),
    ("url-sqlite-under-a-file", ["db", "migrate", "--url", "sqlite:///{file}/x.db"], {}),
    # Flyway's settings files: unknown keys, malformed lines and values
    *((f"conf-{number}-{text.split('=')[0][:24]}", ["db", "migrate", "--url",
                                                    "sqlite:///{db}"],
       {"FLYWAY_CONF_TEXT": text})
      for number, text in enumerate((
                   "flyway.outOfOrdr=true", "flyway.cleanDisabld=false", "flyway.unknownKey=1",
                   "noequals", "flyway.connectRetries=abc", "flyway.connectRetries=-1",
                   "flyway.table=a\x1b[31mb", "flyway.table=x;drop table y",
                   'flyway.table=a"b', 'flyway.schemas=ok,a"b', "flyway.defaultSchema=a'b",
                   "flyway.table=" + "t" * 129,
                   "flyway.encoding=rot13", "flyway.lockRetryCount=1_0",
                   "flyway.lockRetryCount=99999999999", "flyway.lockRetryCount=-2"))),
    ("env-connect-retries", ["db", "migrate", "--url", "sqlite:///{db}"],
     {"FLYWAY_CONNECT_RETRIES": "abc"}),
    ("env-table-quote", ["db", "migrate", "--url", "sqlite:///{db}"], {"FLYWAY_TABLE": 'a"b'}),
    *((f"toml-{name}", ["db", "migrate", "--url", "sqlite:///{db}"], {"FLYWAY_TOML_TEXT": text})
      for name, text in (
          ("nested", "[flyway]\na = " + "[" * 5000 + "1" + "]" * 5000),
          ("placeholders-number", "[flyway]\nplaceholders = 5"),
          ("placeholder-table", "[flyway.placeholders]\nx = {{a=1}}"),
          ("table-date", "[flyway]\ntable = 1979-05-27"),
          ("locations-types", "[flyway]\nlocations = [1, {{a=1}}]"),
          ("unknown-key", '[flyway]\nlocatons = ["a"]'),
          ("bool-number", "[flyway]\noutOfOrder = 1"),
          # more digits than int() converts: tomllib's own ValueError
          ("lock-digits", "[flyway]\nlockRetryCount = " + "9" * 5000),
          ("placeholder-digits", "[flyway.placeholders]\nx = " + "9" * 5000),
          ("retries-digits", "[environments.default]\nconnectRetries = " + "9" * 5000))),
    *((f"toml-env-{name}", ["db", "migrate"], {"FLYWAY_TOML_TEXT": text})
      for name, text in (
          ("user-number", '[environments.default]\nurl = "jdbc:sqlite:{db}"\nuser = 5'),
          ("password-list", '[environments.default]\nurl = "jdbc:sqlite:{db}"\n'
                            'password = [1]'),
          ("unknown-key", '[environments.default]\nurl = "jdbc:sqlite:{db}"\nusr = "a"'))),
    # a user or password from Flyway's files gets the checks -user and FLYWAY_USER get
    *((f"conf-login-{name}", ["db", "check"],
       {"FLYWAY_CONF_TEXT": f"flyway.url=jdbc:postgresql://127.0.0.1:1/db\n{text}"})
      for name, text in (("user-nul", "flyway.user=u\x00junk"),
                         ("password-nul", "flyway.password=p\x00junk"),
                         ("user-escape", "flyway.user=u\x1b[2Jjunk"))),
    *((f"toml-login-{name}", ["db", "check"],
       {"FLYWAY_TOML_TEXT": '[environments.default]\nurl = "jdbc:postgresql://127.0.0.1:1/db"\n'
                            + text})
      for name, text in (("user-nul", 'user = "u\\u0000junk"'),
                         ("password-nul", 'password = "p\\u0000junk"'),
                         ("password-newline", 'password = "p\\njunk"'))),
]


def _fill(text: str, tmp: Path) -> str:
    return text.format(dir=tmp / "folder", file=tmp / "afile.txt", binary=tmp / "bin.conf",
                       db=tmp / "out" / "x.db", fifo=tmp / "pipe.conf",
                       fifo_migrations=tmp / "fifo_migrations",
                       fifo_conf_migrations=tmp / "fifo_conf_migrations")


def _pipes(tmp: Path) -> None:
    """FIFOs nobody writes to: reading one would wait, or read, forever."""
    os.mkfifo(tmp / "pipe.conf")
    (tmp / "fifo_migrations").mkdir()
    os.mkfifo(tmp / "fifo_migrations" / "V1__pipe.sql")
    (tmp / "fifo_conf_migrations").mkdir()
    (tmp / "fifo_conf_migrations" / "V1__plain.sql").write_text("SELECT 1;\n")
    os.mkfifo(tmp / "fifo_conf_migrations" / "V1__plain.sql.conf")


def _monozu(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("FLYWAY_", "DATABASE_URL", "SQL_", "IS_DEV", "MONOZU_"))}
    base.update({"HOME": str(cwd / "home"), **env})
    return subprocess.run([sys.executable, str(REPO / "monozu"), *argv], capture_output=True,
                          text=True, cwd=cwd, env=base, timeout=120)


def _snapshot(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.mark.parametrize(("argv", "env"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], env: dict[str, str],
                                          tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile.txt").write_text("text\n")
    (tmp_path / "bin.conf").write_bytes(b"flyway.url=\xff\xfe\x00\n")
    _pipes(tmp_path)
    env = dict(env)
    if env.pop("DOTENV_FIFO", None):  # the .env of the working folder is a pipe
        os.mkfifo(tmp_path / ".env")
    if "DOTENV_TEXT" in env:  # the working folder's .env
        (tmp_path / ".env").write_text(_fill(env.pop("DOTENV_TEXT"), tmp_path) + "\n")
    for name, file in (("FLYWAY_CONF_TEXT", "flyway.conf"), ("FLYWAY_TOML_TEXT", "flyway.toml")):
        if name in env:  # the working folder's Flyway settings file
            (tmp_path / file).write_text(_fill(env.pop(name), tmp_path) + "\n")
    if "nope" in argv or "nope" in env.values():  # an environment flyway.toml lacks
        (tmp_path / "flyway.toml").write_text('[environments.default]\n'
                                              'url = "jdbc:sqlite:fw.db"\n')
    before = _snapshot(tmp_path)
    proc = _monozu([_fill(a, tmp_path) for a in argv],
                   {k: _fill(v, tmp_path) for k, v in env.items()}, tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert _snapshot(tmp_path) == before  # no database, no folder, nothing


@pytest.mark.parametrize(("argv", "env", "setting"), [p[1:] for p in PLACES],
                         ids=[p[0] for p in PLACES])
def test_a_place_that_cannot_be_written_names_its_setting(
        argv: list[str], env: dict[str, str], setting: str, tmp_path: Path) -> None:
    proc = _monozu(argv, env, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"Error: {setting}: cannot "), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Errno" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("argv", [
    ["db", "check", "--url", "sqlite:///x\x00.db"],
    ["db", "migrate", "--target", "1\x00"],
    ["flyway", "migrate", "-url=jdbc:sqlite:x\x00.db"],
    ["db", "erd", "--output", "a\x00b"],
], ids=["url", "target", "flyway-url", "output"])
def test_nul_bytes_in_arguments(argv: list[str], capsys: pytest.CaptureFixture[str],
                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NUL cannot pass through exec(), so these run in-process through ``main``."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NUL" in err[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("verb", ["migrate", "check"])
@pytest.mark.parametrize("kind", ["folder", "fifo", "link-loop", "link-to-nothing"])
@pytest.mark.parametrize("name", ["flyway.toml", "flyway.conf", ".env"])
def test_a_settings_file_that_is_not_a_file_is_refused_not_skipped(
        name: str, kind: str, verb: str, tmp_path: Path) -> None:
    """Skipped, it would quietly mean another database (the default one, migrated)."""
    path = tmp_path / name
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-loop":
        path.symlink_to(path)
    else:
        path.symlink_to(tmp_path / "nothing")
    before = _snapshot(tmp_path)
    proc = _monozu(["db", verb], {}, tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("Error: ") and name in lines[0], proc.stderr
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("folder", ["fifo_migrations", "fifo_conf_migrations"])
def test_a_migration_or_its_conf_that_is_a_pipe_is_refused_not_awaited(
        folder: str, tmp_path: Path) -> None:
    """Resolving happens after connecting (as with Flyway), so the database may be
    created; nothing is applied and the error names the file."""
    _pipes(tmp_path)
    target = tmp_path / "x.db"
    proc = _monozu(["db", "migrate", "--url", f"sqlite:///{target}", "--locations",
                    str(tmp_path / folder)], {}, tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode in (1, 2), proc.stderr
    assert len(lines) == 1 and "not a regular file" in lines[0], proc.stderr
    assert "V1__" in lines[0] and "Traceback" not in proc.stderr + proc.stdout
    if target.exists():
        import sqlite3

        tables = sqlite3.connect(target).execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'flyway_schema_history'")
        assert tables.fetchone() == (0,)


READ_ONLY = [
    ["db", "check"], ["db", "info"], ["db", "validate"], ["db", "erd"], ["db", "rls", "status"],
    ["db", "drift"],
    ["db", "info", "--json"], ["flyway", "info"], ["flyway", "validate"],
    # They write, but only to a database that exists: on a mistyped path they used to
    # create an empty file and report success on it. (baseline, like migrate, may
    # start a new database at a version, as Flyway's does.)
    ["db", "clean", "--clean-enabled"], ["db", "repair"],
    ["db", "rls", "enable"], ["db", "rls", "disable"], ["db", "rls", "reapply"],
    ["flyway", "clean", "-cleanDisabled=false"], ["flyway", "repair"],
]


@pytest.mark.parametrize("argv", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
@pytest.mark.parametrize("how", ["url", "default"])
def test_only_migrate_baseline_and_demo_create_a_sqlite_database(argv: list[str], how: str,
                                                        tmp_path: Path) -> None:
    target = tmp_path / "not" / "there" / "x.db"
    env: dict[str, str] = {}
    args = list(argv)
    if how == "url":
        args += [f"-url=jdbc:sqlite:{target}"] if argv[0] == "flyway" else [
            "--url", f"sqlite:///{target}"]
    else:
        env["MONOZU_HOME"] = str(tmp_path / "not" / "there")
    proc = _monozu(args, env, tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0], proc.stderr
    assert not (tmp_path / "not").exists()


EMPTY_FILE_READERS = [*READ_ONLY[:9], ["cve", "status"],
                      ["cve", "explain", "--asset", str(uuid.UUID(int=1)), "CVE-2024-3400"]]


@pytest.mark.parametrize("argv", EMPTY_FILE_READERS,
                         ids=[" ".join(a[:3]) for a in EMPTY_FILE_READERS])
def test_a_read_only_command_leaves_an_empty_file_as_it_is(argv: list[str],
                                                           tmp_path: Path) -> None:
    """An empty file is an empty SQLite database, and stays one: switching it to WAL
    mode, or committing a transaction begun IMMEDIATE, had written a 4,096-byte header
    (and -wal and -shm files) from db check or db rls status."""
    empty = tmp_path / "empty.db"
    empty.touch()
    args = [*argv, f"-url=jdbc:sqlite:{empty}"] if argv[0] == "flyway" else [
        *argv, "--url", f"sqlite:///{empty}"]
    proc = _monozu(args, {}, tmp_path)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert empty.stat().st_size == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["empty.db"]


@pytest.fixture(scope="module")
def rollback_journal_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database in SQLite's default (rollback) journal mode, as another tool
    or an older copy may have made it."""
    import sqlite3

    folder = tmp_path_factory.mktemp("rollback")
    path = folder / "r.db"
    migrated = _monozu(["db", "migrate", "--url", f"sqlite:///{path}"], {}, folder)
    assert migrated.returncode == 0, migrated.stderr
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    conn.close()
    return path


@pytest.mark.parametrize("argv", EMPTY_FILE_READERS,
                         ids=[" ".join(a[:3]) for a in EMPTY_FILE_READERS])
def test_a_read_only_command_keeps_the_journal_mode_of_the_database(
        argv: list[str], rollback_journal_database: Path, tmp_path: Path) -> None:
    """Reading a database did switch it to WAL mode, which is kept in its header: every
    read-only command changed the file for good."""
    path = tmp_path / "r.db"
    path.write_bytes(rollback_journal_database.read_bytes())
    args = [*argv, f"-url=jdbc:sqlite:{path}"] if argv[0] == "flyway" else [
        *argv, "--url", f"sqlite:///{path}"]
    proc = _monozu(args, {}, tmp_path)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert path.read_bytes() == rollback_journal_database.read_bytes(), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["r.db"]


KEV = REPO.parent / "shared" / "fixtures" / "feeds" / "kev" / "known_exploited_vulnerabilities.json"
NEEDS_DATABASE = [
    ["cve", "status"], ["cve", "match"], ["cve", "import", "kev", str(KEV)],
    ["cve", "sync", "--api-url", "http://127.0.0.1:9/nvd"],
    ["cve", "explain", "--asset", "00000000-0000-0000-0000-000000000001", "CVE-2024-0001"],
    ["edge", "purge", "--older-than", "30d", "--all-tenants"],
]


@pytest.mark.parametrize("argv", NEEDS_DATABASE, ids=[" ".join(a[:2]) for a in NEEDS_DATABASE])
def test_commands_that_need_the_schema_create_no_database_and_say_to_migrate(
        argv: list[str], tmp_path: Path) -> None:
    """A database that does not exist is not created; one not migrated is named as such."""
    target = tmp_path / "not" / "there" / "x.db"
    proc = _monozu([*argv, "--url", f"sqlite:///{target}"], {}, tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and "does not exist" in lines[0] and "db migrate" in lines[0]
    assert not (tmp_path / "not").exists()

    empty = tmp_path / "empty.db"
    empty.touch()
    proc = _monozu([*argv, "--url", f"sqlite:///{empty}"], {}, tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and "no such table" in lines[0], proc.stderr
    assert "not migrated" in lines[0] and "monozu db migrate" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("verb", ["migrate", "baseline"])
def test_writing_commands_still_create_the_database(verb: str, tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "x.db"
    proc = _monozu(["db", verb, "--url", f"sqlite:///{target}", "--locations",
                    str(LOC / "basic")], {}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert target.is_file()


def test_a_failed_managed_identity_sign_in_is_one_line(tmp_path: Path) -> None:
    """No identity endpoint here: the driver's sign-in fails, and its library's own
    warnings (one per credential tried) stay off the terminal."""
    proc = _monozu(["db", "check"], {"SQL_SERVER": "127.0.0.1:1", "SQL_DATABASE": "d"},
                   tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: cannot connect to SQL Server"), \
        proc.stderr
    assert "managed identity" in lines[0]


def test_a_malformed_dotenv_line_is_named_readably(tmp_path: Path) -> None:
    """The message names the line; the secret masking used to turn its "KEY=value"
    into "KEY=***"."""
    (tmp_path / ".env").write_text("DATABASE_URL\n")
    proc = _monozu(["db", "check"], {}, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"Error: {Path('.env')}:1: expected a NAME=value line\n"


SAME = "Sx7QKp3W"  # a password given again as another setting's value


@pytest.mark.parametrize(("argv", "env"), [
    (["db", "check"], {"DATABASE_URL": f"postgresql://app:{SAME}@127.0.0.1:1/appdb",
                       "IS_DEV": SAME}),
    (["db", "check", "--json"], {"DATABASE_URL": f"postgresql://app:{SAME}@127.0.0.1:1/db",
                                 "IS_DEV": SAME}),
    (["db", "check", "--url", f"postgresql://u:{SAME}@127.0.0.1:1/db?application_name={SAME}"],
     {}),
    (["db", "info", "--url", "postgresql://u@127.0.0.1:1/db"],
     {"FLYWAY_PASSWORD": SAME, "FLYWAY_TARGET": SAME}),
    (["db", "info", "--url", "postgresql://u@127.0.0.1:1/db", "--target", SAME],
     {"PGAPP_PASSWORD": SAME}),
    (["flyway", "info", "-url=jdbc:postgresql://127.0.0.1:1/db", "-user=u",
      f"-password={SAME}", f"-target={SAME}"], {}),
], ids=["is-dev", "is-dev-json", "application-name", "flyway-target", "target-option",
        "flyway-command-line"])
def test_a_password_given_again_as_another_value_is_masked_there_too(
        argv: list[str], env: dict[str, str], tmp_path: Path) -> None:
    """Masked by its shape where it is a password, it had shown where it stood as
    another setting's value (IS_DEV, application_name, a target)."""
    done = _monozu(argv, env, tmp_path)
    assert done.returncode != 0
    assert SAME not in done.stdout + done.stderr, done.stderr
    assert "***" in done.stdout + done.stderr


@pytest.mark.parametrize(("argv", "env", "files"), [
    ([], {}, {"flyway.toml": f'[environments.default]\nuser = "u"\npassword = "{SAME}"\n'}),
    ([], {}, {"flyway.conf": f"flyway.password={SAME}\n"}),
    ([], {}, {"flyway.conf": f"flyway.placeholders.dbPassword={SAME}\n"}),
    ([], {}, {"flyway.toml": f'[flyway.placeholders]\ndbPassword = "{SAME}"\n'}),
    (["--placeholder", f"dbPassword={SAME}"], {}, {}),
    ([], {"HTTPS_PROXY": f"http://proxy-user:{SAME}@proxy.example:3128"}, {}),
    ([], {"CACHE_URL": f"redis://:{SAME}@cache.example:6379/0"}, {}),
    ([], {"REPORTS_DSN": f"host=reports.example password={SAME} dbname=r"}, {}),
    # the App Service identity endpoint's secret header, which the driver's sign-in sends
    ([], {"IDENTITY_HEADER": SAME}, {}),
], ids=["flyway-toml-password", "flyway-conf-password", "flyway-conf-placeholder",
        "flyway-toml-placeholder", "placeholder-option", "proxy-url", "other-scheme-url",
        "keyword-string", "identity-header"])
def test_a_secret_read_but_not_used_is_masked_where_given_again(
        argv: list[str], env: dict[str, str], files: dict[str, str], tmp_path: Path) -> None:
    """A password in a Flyway file the command line's --url overrides, a placeholder
    named like a secret, a URL of a scheme no database here reads, a libpq string in
    another variable: each was read but never remembered, so it showed where it was
    given again (a --target set to it)."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    done = _monozu(["db", "info", "--url", "postgresql://u@127.0.0.1:1/db", "--target", SAME,
                    *argv], env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert SAME not in done.stdout + done.stderr, done.stderr
    assert "***" in done.stderr, done.stderr


# Passwords a message echoes in another form than they were given: repr() doubles a
# backslash, escapes a no-break space and a quote; a query's value reads "+" as a space.
ESCAPED = {"backslash": "Sx7Q\\Kp3W", "no-break-space": "Sx7Q\u00a0Kp3W",
           "both-quotes": "Sx7Q'Kp\"3W", "plus": "Sx7Q+Kp3W"}


@pytest.mark.parametrize("password", ESCAPED.values(), ids=ESCAPED.keys())
@pytest.mark.parametrize(("argv", "env"), [
    (["db", "check"], {"DATABASE_URL": "postgresql://app:{}@127.0.0.1:1/appdb", "IS_DEV": "{}"}),
    (["db", "check", "--url", "postgresql://u:{}@127.0.0.1:1/db?sslmode={}"], {}),
    (["flyway", "info", "-url=jdbc:postgresql://127.0.0.1:1/db?user=app", "-user={}"],
     {"FLYWAY_PASSWORD": "{}"}),
], ids=["is-dev", "sslmode", "flyway-user"])
def test_a_password_given_again_is_masked_in_the_form_it_is_echoed(
        password: str, argv: list[str], env: dict[str, str], tmp_path: Path) -> None:
    """``got {value!r}`` shows a backslash in the password doubled: that escaped
    form was not the text remembered, so it was not masked."""
    from urllib.parse import quote

    given = quote(password, safe="+")
    argv = [a.format(given, given) if "://" in a else a.format(password) for a in argv]
    env = {k: v.format(given if "://" in v else password) for k, v in env.items()}
    done = _monozu(argv, env, tmp_path)
    shown = done.stdout + done.stderr
    assert done.returncode == 2, shown
    assert "***" in shown, shown
    for form in (password, repr(password)[1:-1], password.replace("+", " ")):
        assert form not in shown, shown


LONG = "Lq4Vb8Nc2Xm6Zr9Tp3Wk7Hs5Jd1Fg0Ay4Ue8Io2Pl6Mn9Bv3C"  # cut short where it is echoed


@pytest.mark.parametrize(("argv", "env"), [
    (["db", "check"], {"DATABASE_URL": f"postgresql://app:{LONG}@127.0.0.1:1/db",
                       "IS_DEV": LONG}),
    (["db", "check", "--url", f"postgresql://u:{LONG}@127.0.0.1:1/db?connect_timeout={LONG}"],
     {}),
    (["db", "check", "--url", f"postgresql://u:{LONG}@127.0.0.1:1/db?sslmode={LONG}"], {}),
    (["db", "check", "--url", f"postgresql://u:{LONG}@127.0.0.1:1/db?keepalives={LONG}"], {}),
    (["db", "check", "--url", f"sqlserver://u:{LONG}@127.0.0.1:1?database=d&encrypt={LONG}"],
     {}),
    (["db", "info", "--url", "postgresql://u@127.0.0.1:1/db", "--target", LONG],
     {"PGAPP_PASSWORD": LONG}),
    (["flyway", "info", "-url=jdbc:postgresql://127.0.0.1:1/db", "-user=u",
      f"-password={LONG}", f"-outputType={LONG}"], {}),
], ids=["is-dev", "connect-timeout", "sslmode", "keepalives", "encrypt", "target",
        "output-type"])
def test_a_password_cut_short_where_it_is_echoed_is_masked(
        argv: list[str], env: dict[str, str], tmp_path: Path) -> None:
    """A message that shortens the value it quotes (``got {raw[:20]!r}``) showed the
    first twenty or forty characters of a password given as that value."""
    done = _monozu(argv, env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert LONG[:MIN_SHOWN] not in done.stdout + done.stderr, done.stderr
    assert "***" in done.stderr


MIN_SHOWN = 12  # the shortest start of a secret that is masked (CUT_MIN_LENGTH)


def test_a_short_start_of_a_password_is_not_masked() -> None:
    """A quoted value that only begins like a password (the database 'monozu' for the
    password monozu-prod-7x) is shown: masking it would tell how the password begins."""
    from monozu.db import known_secrets
    from monozu.db.config import load_config

    load_config({"DATABASE_URL": "sqlserver://sa:monozu-prod-7x@127.0.0.1:1?database=monozu"},
                dotenv=None)
    assert known_secrets.mask("database 'monozu' or 'monozu-prod'") == (
        "database 'monozu' or 'monozu-prod'")
    assert known_secrets.mask("got 'monozu-prod-7'") == "got '***'"


@pytest.mark.parametrize("url", [
    "jdbc:postgresql://127.0.0.1:1/db?user=admin7x&password=admin7x&sslmode=bad",
    "jdbc:sqlserver://127.0.0.1:1;databaseName=admin7x;user=sa;password=admin7x;encrypt=bad",
    "postgresql://admin7x:admin7x@127.0.0.1:1/db?sslmode=bad",
])
def test_a_refused_url_whose_password_is_its_user_leaves_the_user_shown(url: str) -> None:
    """A URL's secrets are remembered before it is checked; one equal to the user or
    database it names (as a property too) is not, as for a URL that parses: masking
    the user in 'for user "admin7x"' would tell the password."""
    from monozu.db import ConfigError, known_secrets
    from monozu.db.dialects.urls import parse_url

    with pytest.raises(ConfigError):
        parse_url(url)
    assert known_secrets.mask('for user "admin7x"') == 'for user "admin7x"'


def test_a_short_password_is_not_hunted_in_every_message() -> None:
    """Masking a short password everywhere would reveal it ("***27.0.0.***")."""
    from monozu.db import ConfigError, known_secrets
    from monozu.db.config import load_config

    with pytest.raises(ConfigError) as info:
        load_config({"DATABASE_URL": "postgresql://u:1@127.0.0.1:1/db", "IS_DEV": "maybe"},
                    dotenv=None)
    assert "maybe" in str(info.value)
    assert known_secrets.mask("127.0.0.1") == "127.0.0.1"


def test_the_library_masks_the_password_in_its_errors_too() -> None:
    from monozu.db import ConfigError
    from monozu.db.config import load_config

    with pytest.raises(ConfigError) as info:
        load_config({"DATABASE_URL": f"postgresql://u:{SAME}@127.0.0.1:1/db", "IS_DEV": SAME},
                    dotenv=None)
    assert SAME not in str(info.value) and SAME not in repr(info.value)
    assert all(SAME not in str(a) for a in info.value.args)


def test_a_sqlite_file_under_the_home_folder_is_the_one_checked_and_opened(
        tmp_path: Path) -> None:
    """``~/x.db`` was checked (and its folder made) under the home folder, but SQLite
    was given "~/x.db" as it stands: migrate failed with "unable to open database file"
    after making the folder, and check found the file and then could not open it."""
    home = tmp_path / "home"
    for argv, env in ((["db", "migrate", "--url", "sqlite:///~/data/x.db"], {}),
                      (["db", "check", "--url", "sqlite:///~/data/x.db"], {}),
                      (["db", "migrate"], {"MONOZU_HOME": "~/monozu"}),
                      (["db", "info"], {"MONOZU_HOME": "~/monozu"})):
        proc = _monozu(argv, env, tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert (home / "data" / "x.db").is_file() and (home / "monozu" / "monozu.db").is_file()
    assert not (tmp_path / "~").exists()
