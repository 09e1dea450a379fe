"""Where the database is: the command line, Flyway's settings, monozu's variables.

Precedence, first match wins:

1. the command line: ``--url`` (``-url`` for ``monozu flyway``), ``url=`` in code, with
   ``-user``/``-password`` when given;
2. Flyway's own settings: ``FLYWAY_URL``, then the ``url`` of the selected
   ``[environments.<name>]`` of ``flyway.toml`` or ``flyway.url`` of ``flyway.conf``
   (with their ``user``/``password``, ``FLYWAY_USER``/``FLYWAY_PASSWORD``);
3. monozu's variables, by the database page's table: ``IS_DEV=true`` selects
   ``DATABASE_URL`` with SQL authentication even when ``SQL_SERVER`` is set; else
   ``SQL_SERVER`` (+ ``SQL_DATABASE``) is Azure SQL with Managed Identity
   (user-assigned when ``AZURE_CLIENT_ID`` is set); else ``DATABASE_URL``;
4. nothing set: the embedded SQLite file (:func:`default_sqlite_path`).

Never the wrong database: when two sources below the command line (say
``FLYWAY_URL`` and ``DATABASE_URL``, or ``flyway.toml`` and ``FLYWAY_URL``) name
different databases, :func:`load_config` refuses with one line naming both instead of
picking one. ``DATABASE_URL_PLATFORM_ADMIN`` is a second, RLS-bypassing connection
for platform jobs. Variables from the process environment win over the same names in
``.env``. Secrets never appear in ``repr``, errors or :meth:`DatabaseConfig.describe`.

Every database-specific rule (schemes, JDBC forms, defaults) is its dialect
package's ``url`` module; nothing here names a database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from monozu.db.dialects.urls import (
    FALSE,
    TRUE,
    Auth,
    DatabaseURL,
    Kind,
    looks_like_secret,
    no_nul,
    parse_url,
    remember_secrets,
    utf8_only,
)
from monozu.db.errors import ConfigError
from monozu.files import name_problem, read_regular_text, shorten

if TYPE_CHECKING:
    from monozu.db.migrate.settings import FlywayConnection

__all__ = [
    "Auth", "DatabaseConfig", "DatabaseURL", "Kind", "default_sqlite_path", "load_config",
    "parse_url", "read_dotenv",
]

ENV_VARS = (
    "DATABASE_URL",
    "SQL_SERVER",
    "SQL_DATABASE",
    "AZURE_CLIENT_ID",
    "IS_DEV",
    "DATABASE_URL_PLATFORM_ADMIN",
)
FLYWAY_CONNECTION_VARS = ("FLYWAY_URL", "FLYWAY_USER", "FLYWAY_PASSWORD", "FLYWAY_ENVIRONMENT",
                          "FLYWAY_CONFIG_FILES")
# Flyway's settings files, read from the working directory when none are named.
FLYWAY_FILES = ("flyway.toml", "flyway.conf")
DEFAULT_SOURCE = "default (embedded SQLite)"
_TEXT_ONLY_VARS = ("SQL_SERVER", "SQL_DATABASE", "AZURE_CLIENT_ID", "FLYWAY_USER",
                   "FLYWAY_PASSWORD", "FLYWAY_ENVIRONMENT")


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """The resolved configuration: which database, how to log in, and why."""

    url: DatabaseURL
    source: str  # the variable (or flag, or file) that decided, for ``monozu db check``
    auth: Auth
    managed_identity_client_id: str | None = None
    platform_url: DatabaseURL | None = None
    # Read-only use (``db check``, ``info``...): open only a database that exists, and
    # create nothing (no file, no folder) when it does not.
    must_exist: bool = False
    # The setting that named where the database is, for messages about that place (a
    # folder that cannot be created): ``source``, or for the embedded default the
    # variable that gave its folder (``MONOZU_HOME``, ``XDG_DATA_HOME``, ``HOME``).
    location_setting: str | None = None

    @property
    def kind(self) -> Kind:
        return self.url.kind

    def describe(self) -> dict[str, str | None]:
        """What ``monozu db check`` prints: everything but secrets."""
        return {
            "kind": self.kind,
            "url": self.url.redacted(),
            "source": self.source,
            "auth": self.auth,
            "managed_identity": (
                None if self.auth != "managed_identity"
                else (f"user-assigned ({self.managed_identity_client_id})"
                      if self.managed_identity_client_id else "system-assigned")
            ),
            "platform_url": self.platform_url.redacted() if self.platform_url else None,
        }

    def check_exists(self, url: DatabaseURL | None = None) -> None:
        """Raise :class:`ConfigError` when the database (of ``url``, default this
        configuration's) surely does not exist: an embedded database's absent file."""
        target = url or self.url
        why = target.rules.missing(target)
        if why:
            raise ConfigError(why)

    def setting_for(self, url: DatabaseURL) -> str:
        """The setting that named ``url`` (this configuration's or its platform URL)."""
        if self.platform_url is not None and url is self.platform_url:
            return "DATABASE_URL_PLATFORM_ADMIN"
        return self.location_setting or self.source

    def for_reading(self) -> DatabaseConfig:
        """This configuration for a read-only command (see :attr:`must_exist`)."""
        return replace(self, must_exist=True)


def default_sqlite_path(environ: Mapping[str, str] | None = None) -> Path:
    """The embedded default database file.

    ``$MONOZU_HOME/monozu.db`` when set, else ``$XDG_DATA_HOME/monozu/monozu.db``,
    else ``~/.local/share/monozu/monozu.db``.
    """
    env = os.environ if environ is None else environ
    for name in ("MONOZU_HOME", "XDG_DATA_HOME"):
        value = env.get(name, "")
        if value and not value.strip():  # a folder named " " is never what was meant
            raise ConfigError(f"{name}: only blanks (leave it unset, or name a folder)")
        no_nul(value, name)
        why = name_problem(value) if value else None
        if why:
            raise ConfigError(f"{name}: {shorten(value)}: {why}")
        if value and Path(value).exists() and not Path(value).is_dir():
            raise ConfigError(f"{name}: {value} is not a folder")
    if env.get("MONOZU_HOME"):
        return Path(env["MONOZU_HOME"]) / "monozu.db"
    home = os.path.expanduser("~")  # $HOME, else the password database's
    why = name_problem(home) if not env.get("XDG_DATA_HOME") else None
    if why:  # HOME="~someone": no folder anyone can name
        raise ConfigError(f"HOME: {shorten(home)}: {why}")
    base = env.get("XDG_DATA_HOME") or str(Path(home) / ".local" / "share")
    return Path(base) / "monozu" / "monozu.db"


def default_sqlite_setting(environ: Mapping[str, str] | None = None) -> str:
    """The variable that gives :func:`default_sqlite_path` its folder."""
    env = os.environ if environ is None else environ
    for name in ("MONOZU_HOME", "XDG_DATA_HOME"):
        if env.get(name):
            return name
    return "HOME" if os.environ.get("HOME") else DEFAULT_SOURCE


def read_dotenv(path: Path) -> dict[str, str]:
    """Read ``KEY=value`` lines (``export``, quotes and ``#`` comments allowed)."""
    values: dict[str, str] = {}
    try:
        text = read_regular_text(path)
    except FileNotFoundError:
        if os.path.islink(path):  # a link to nothing is a mistake, not "no .env"
            raise ConfigError(f"{path}: cannot read .env file: a symbolic link to "
                              "nothing") from None
        return values
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text (byte {exc.start})"
        raise ConfigError(f"{path}: cannot read .env file: {why}") from None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            # Not "KEY=value": the secret masking of messages would show it as "KEY=***".
            raise ConfigError(f"{path}:{number}: expected a NAME=value line")
        value = value.strip()
        if value[:1] in ("'", '"') and value.find(value[0], 1) < 0:
            # Kept, the quote would become part of the value (a folder named "'/tmp/x").
            raise ConfigError(f"{path}:{number}: {key}: the value's opening quote is never "
                              "closed")
        if value[:1] in ("'", '"') and value.find(value[0], 1) > 0:
            close = value.find(value[0], 1)
            after = value[close + 1:].lstrip()
            if after and not after.startswith("#"):
                # A quote inside the value ended it early: what follows would be lost (and
                # the rest read as a different, shorter value). Not quoted back: it may be
                # part of a password.
                raise ConfigError(f"{path}:{number}: {key}: text after the closing quote "
                                  "(not shown); quote the value with the other quote "
                                  "character")
            value = value[1:close]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


@dataclass(frozen=True, slots=True)
class _Choice:
    """One source's answer to "which database": a candidate for the configuration."""

    source: str
    url: DatabaseURL
    auth: Auth
    client_id: str | None = None


def load_config(
    environ: Mapping[str, str] | None = None,
    *,
    url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    dotenv: Path | None = Path(".env"),
    cwd: Path | None = None,
    config_files: Sequence[Path] = (),
    environment: str | None = None,
    must_exist: bool = False,
    url_flag: str = "--url",
) -> DatabaseConfig:
    """Resolve the configuration from ``environ`` (default: the process) and ``.env``.

    ``url``/``user``/``password`` are the command line's (``url_flag`` names the
    option in messages and as the source). Flyway's files are looked
    for in ``cwd`` (default: the working directory) unless ``config_files`` names
    them; ``environment`` selects a ``flyway.toml`` environment (``-environment``).
    """
    env: dict[str, str] = dict(read_dotenv(dotenv)) if dotenv is not None else {}
    env.update(os.environ if environ is None else environ)
    # Before any value is checked: a message about one setting may quote a value equal
    # to another's secret (IS_DEV set to the password), which must not show.
    for name, value in env.items():
        remember_secrets(name, value)
    remember_secrets("password", password or "")
    remember_secrets("url", url or "")
    for name in (*ENV_VARS, *FLYWAY_CONNECTION_VARS, "MONOZU_HOME"):
        no_nul(env.get(name, ""), name)
    for name in _TEXT_ONLY_VARS:  # sent to a server: no file path among them
        utf8_only(env.get(name, ""), name)
    dash = url_flag[:-3]  # "--" or "-" (Flyway's spelling)
    for name, given in ((f"{dash}user", user), (f"{dash}password", password),
                        (f"{dash}environment", environment)):
        no_nul(given or "", name)
        utf8_only(given or "", name)
    if environment is not None and not environment.strip():
        raise ConfigError(f"{dash}environment: empty name (leave the option out for the "
                          "default environment)")

    def get(name: str) -> str:
        return env.get(name, "").strip()

    platform = (
        parse_url(get("DATABASE_URL_PLATFORM_ADMIN"), variable="DATABASE_URL_PLATFORM_ADMIN")
        if get("DATABASE_URL_PLATFORM_ADMIN") else None
    )
    is_dev_raw = get("IS_DEV").lower()
    if is_dev_raw and is_dev_raw not in TRUE | FALSE:
        raise ConfigError(f"IS_DEV: expected true or false, got {get('IS_DEV')[:20]!r}")

    location_setting: str | None = None
    if url is not None:
        # An empty --url (an unset shell variable in "--url $X") must not fall through
        # to another source: that would migrate or clean a different database.
        if not url.strip():
            raise ConfigError(f"{url_flag}: empty URL (leave the option out to use the "
                              "environment or the default)")
        named = parse_url(url, variable=url_flag)
        if url_flag == "-url" and (user is None or password is None):
            # Flyway's command line: Flyway takes each setting from the highest source
            # that has it, so "-url=... -user=..." logs in with FLYWAY_PASSWORD (or a
            # configuration file's password), as a deploy keeping the secret apart does.
            # What the URL itself carries is not overridden.
            found = _flyway_found(env, cwd, config_files, environment)
            if found is not None:
                if user is None and not named.user:
                    user = found.user
                if password is None and not named.password:
                    password = found.password
        chosen = _from_url(_with_login(named, user, password, url_flag), url_flag)
    else:
        choices = [*_flyway_choices(env, cwd, config_files, environment),
                   *_monozu_choices(get, is_dev_raw in TRUE)]
        _refuse_disagreement(choices)
        if choices:
            chosen = choices[0]
            if user or password:
                chosen = replace(chosen, url=_with_login(chosen.url, user, password,
                                                         chosen.source))
        else:
            from monozu.db.dialects.sqlite.url import file_url

            chosen = _from_url(file_url(default_sqlite_path(env)), DEFAULT_SOURCE)
            location_setting = default_sqlite_setting(env)
    for source, target in ((chosen.source, chosen.url),
                           ("DATABASE_URL_PLATFORM_ADMIN", platform)):
        why = target.rules.unusable(target) if target is not None else None
        if why:
            raise ConfigError(f"{source}: {why}")
    return DatabaseConfig(chosen.url, chosen.source, chosen.auth,
                          managed_identity_client_id=chosen.client_id, platform_url=platform,
                          must_exist=must_exist, location_setting=location_setting)


def _from_url(url: DatabaseURL, source: str) -> _Choice:
    auth, client_id = url.rules.login(url)
    return _Choice(source, url, auth, client_id)


def _with_login(url: DatabaseURL, user: str | None, password: str | None,
                source: str) -> DatabaseURL:
    """``url`` with a user and password given apart (``-user``, ``FLYWAY_USER``...)."""
    if user and looks_like_secret(user):
        raise ConfigError(f"{source}: the user name holds what looks like a password or key "
                          "(not shown)")
    if user and url.user and user != url.user:
        raise ConfigError(f"{source}: two different users given ({url.user!r} in the URL and "
                          f"{user!r} separately): give one")
    if password and url.password and password != url.password:
        raise ConfigError(f"{source}: two different passwords given (one in the URL and another "
                          "separately): give one")
    return url.with_login(user or None, password or None)


def _monozu_choices(get: Callable[[str], str], is_dev: bool) -> list[_Choice]:
    """monozu's own variables, by the database page's table (at most one answer)."""
    if is_dev:
        if not get("DATABASE_URL"):
            raise ConfigError("IS_DEV=true but DATABASE_URL is not set")
        return [_from_url(parse_url(get("DATABASE_URL")), "DATABASE_URL (IS_DEV=true)")]
    if get("SQL_SERVER"):
        if not get("SQL_DATABASE"):
            raise ConfigError("SQL_SERVER is set but SQL_DATABASE is not: name the database")
        from monozu.db.dialects.sqlserver.url import check_client_id, managed_identity_url

        server = managed_identity_url(get("SQL_SERVER"), get("SQL_DATABASE"))
        if get("AZURE_CLIENT_ID"):
            check_client_id(get("AZURE_CLIENT_ID"), "AZURE_CLIENT_ID")
        return [_Choice("SQL_SERVER", server, "managed_identity", get("AZURE_CLIENT_ID") or None)]
    if get("DATABASE_URL"):
        return [_from_url(parse_url(get("DATABASE_URL")), "DATABASE_URL")]
    return []


def _flyway_found(env: Mapping[str, str], cwd: Path | None, config_files: Sequence[Path],
                  environment: str | None) -> FlywayConnection | None:
    """Flyway's connection settings, or None when there are none (read only when present)."""
    base = cwd or Path.cwd()
    # lexists: a folder, a pipe or a broken link by that name is refused when read,
    # not skipped (which would silently mean another database).
    present = (config_files or environment or any(env.get(n) for n in FLYWAY_CONNECTION_VARS)
               or any(os.path.lexists(base / name) for name in FLYWAY_FILES))
    if not present:
        return None
    from monozu.db.migrate.settings import flyway_connection

    return flyway_connection(env, cwd=base, config_files=config_files, environment=environment)


def _flyway_choices(env: Mapping[str, str], cwd: Path | None, config_files: Sequence[Path],
                    environment: str | None) -> list[_Choice]:
    """Flyway's ``url`` settings, highest precedence first."""
    found = _flyway_found(env, cwd, config_files, environment)
    if found is None:
        return []
    return [_from_url(_with_login(parse_url(text, variable=source), found.user, found.password,
                                  source), source)
            for source, text in found.urls]


def _refuse_disagreement(choices: Sequence[_Choice]) -> None:
    first = choices[0] if choices else None
    for other in choices[1:]:
        assert first is not None
        if first.url.rules.target(first.url) != other.url.rules.target(other.url):
            raise ConfigError(
                f"{first.source} ({first.url.redacted()}) and {other.source} "
                f"({other.url.redacted()}) name different databases: remove one, or choose "
                "with --url"
            )
