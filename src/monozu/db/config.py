"""Where the database is: environment variables, ``.env`` and URLs, resolved once.

Precedence (the database page's table, plus the platform DSN):

1. an explicit URL (``--url`` on the command line, ``url=`` in code);
2. ``IS_DEV=true``: ``DATABASE_URL`` with SQL authentication, even if ``SQL_SERVER`` is set;
3. ``SQL_SERVER`` (+ ``SQL_DATABASE``): Azure SQL with Managed Identity, user-assigned
   when ``AZURE_CLIENT_ID`` is set, system-assigned otherwise;
4. ``DATABASE_URL``;
5. nothing set: the embedded SQLite file (:func:`default_sqlite_path`).

``DATABASE_URL_PLATFORM_ADMIN`` is a second, RLS-bypassing connection for platform jobs.
Variables from the process environment win over the same names in ``.env``.
Passwords never appear in ``repr``, errors or :meth:`DatabaseConfig.describe`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from monozu.db.errors import ConfigError

Kind = Literal["sqlserver", "postgresql", "sqlite"]
Auth = Literal["sql", "managed_identity", "none"]

ENV_VARS = (
    "DATABASE_URL",
    "SQL_SERVER",
    "SQL_DATABASE",
    "AZURE_CLIENT_ID",
    "IS_DEV",
    "DATABASE_URL_PLATFORM_ADMIN",
)

_DEFAULT_PORTS: dict[Kind, int] = {"sqlserver": 1433, "postgresql": 5432}
_SCHEMES: dict[str, Kind] = {
    "sqlserver": "sqlserver",
    "mssql": "sqlserver",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "sqlite": "sqlite",
}
# go-mssqldb's URL keys that mean something here, lower-cased.
_SQLSERVER_PARAMS = {
    "database", "encrypt", "trustservercertificate", "connection timeout", "connect timeout",
    "dial timeout", "query timeout", "app name", "applicationintent", "hostnameincertificate",
}
_SQLITE_PARAMS = {"timeout", "busy_timeout", "mode"}
_ENCRYPT_MODES = {"strict", "mandatory", "optional"}
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off", "disable", "disabled"}


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """A parsed connection URL. ``password`` is kept out of ``repr``."""

    kind: Kind
    host: str = ""
    port: int | None = None
    database: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    params: Mapping[str, str] = field(default_factory=dict)
    path: str = ""  # SQLite: a file path, or ":memory:"

    def __repr__(self) -> str:
        return f"DatabaseURL({self.redacted()!r})"

    def __str__(self) -> str:
        return self.redacted()

    def redacted(self) -> str:
        """The URL with any password replaced by ``***``."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}" if self.path != ":memory:" else "sqlite://:memory:"
        auth = ""
        if self.user:
            auth = self.user + (":***" if self.password else "") + "@"
        port = f":{self.port}" if self.port else ""
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        tail = f"/{self.database}" if self.kind == "postgresql" else ""
        if self.kind == "sqlserver":
            query = "&".join(x for x in (f"database={self.database}", query) if x)
        return f"{self.kind}://{auth}{self.host}{port}{tail}" + (f"?{query}" if query else "")

    def libpq_conninfo(self) -> str:
        """A ``key=value`` conninfo string for psycopg (quotes escaped)."""
        if self.kind != "postgresql":
            raise ConfigError(f"not a PostgreSQL URL: {self.redacted()}")
        parts = {"host": self.host, "port": str(self.port or 5432), "dbname": self.database}
        if self.user:
            parts["user"] = self.user
        if self.password:
            parts["password"] = self.password
        parts.update(self.params)
        return " ".join(f"{k}={_libpq_quote(v)}" for k, v in parts.items() if v != "")

    def flag(self, name: str, default: bool) -> bool:
        """A boolean query parameter (``encrypt=disable`` reads as false)."""
        raw = self.params.get(name)
        if raw is None:
            return default
        return raw.lower() in _TRUE

    def seconds(self, *names: str, default: float) -> float:
        for name in names:
            if name in self.params:
                return float(self.params[name])
        return default


def _libpq_quote(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """The resolved configuration: which database, how to log in, and why."""

    url: DatabaseURL
    source: str  # the variable (or flag) that decided, for ``monozu db check``
    auth: Auth
    managed_identity_client_id: str | None = None
    platform_url: DatabaseURL | None = None

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


def default_sqlite_path(environ: Mapping[str, str] | None = None) -> Path:
    """The embedded default database file.

    ``$MONOZU_HOME/monozu.db`` when set, else ``$XDG_DATA_HOME/monozu/monozu.db``,
    else ``~/.local/share/monozu/monozu.db``.
    """
    env = os.environ if environ is None else environ
    if env.get("MONOZU_HOME"):
        return Path(env["MONOZU_HOME"]) / "monozu.db"
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "monozu" / "monozu.db"


def parse_url(text: str, *, variable: str = "DATABASE_URL") -> DatabaseURL:
    """Parse a connection URL; every problem names ``variable`` and hides the password."""
    text = text.strip()
    scheme, sep, _rest = text.partition("://")
    if not sep:
        raise ConfigError(f"{variable}: not a URL (expected scheme://...): {_mask(text)}")
    kind = _SCHEMES.get(scheme.lower())
    if kind is None:
        raise ConfigError(
            f"{variable}: unknown scheme {scheme!r} (use sqlserver://, postgresql://, "
            "postgres:// or sqlite://)"
        )
    if kind == "sqlite":
        return _parse_sqlite(text, variable)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{variable}: bad port in {_mask(text)}: {exc}") from None
    if not parts.hostname:
        raise ConfigError(f"{variable}: no host in {_mask(text)}")
    if port is not None and port == 0:
        raise ConfigError(f"{variable}: bad port 0 in {_mask(text)}")
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params[key.lower() if kind == "sqlserver" else key] = value
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if kind == "sqlserver":
        unknown = sorted(set(params) - _SQLSERVER_PARAMS)
        if unknown:
            raise ConfigError(
                f"{variable}: unknown sqlserver parameter(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(_SQLSERVER_PARAMS))})"
            )
        database = params.pop("database", "") or parts.path.lstrip("/")
        _check_sqlserver_params(params, variable)
    else:
        database = unquote(parts.path.lstrip("/"))
        for key in ("connect_timeout",):
            if key in params and not params[key].isdigit():
                raise ConfigError(f"{variable}: {key} must be whole seconds, got {params[key]!r}")
    if not database:
        raise ConfigError(f"{variable}: no database named in {_mask(text)}")
    return DatabaseURL(
        kind=kind, host=parts.hostname, port=port or _DEFAULT_PORTS[kind], database=database,
        user=user, password=password, params=params,
    )


def _check_sqlserver_params(params: Mapping[str, str], variable: str) -> None:
    enc = params.get("encrypt")
    if enc is not None and enc.lower() not in _TRUE | _FALSE | _ENCRYPT_MODES:
        raise ConfigError(
            f"{variable}: encrypt must be true, false, disable or strict, got {enc!r}"
        )
    tsc = params.get("trustservercertificate")
    if tsc is not None and tsc.lower() not in _TRUE | _FALSE:
        raise ConfigError(f"{variable}: trustservercertificate must be true or false, got {tsc!r}")
    for key in ("connection timeout", "connect timeout", "dial timeout", "query timeout"):
        if key in params:
            try:
                if float(params[key]) < 0:
                    raise ValueError
            except ValueError:
                raise ConfigError(
                    f"{variable}: {key} must be a number of seconds, got {params[key]!r}"
                ) from None


def _parse_sqlite(text: str, variable: str) -> DatabaseURL:
    body = text.split("://", 1)[1]
    body, _, query = body.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(params) - _SQLITE_PARAMS)
    if unknown:
        raise ConfigError(f"{variable}: unknown sqlite parameter(s) {', '.join(unknown)}")
    if body in (":memory:", "/:memory:"):
        path = ":memory:"
    elif body.startswith("/"):
        # sqlite:///relative -> "relative"; sqlite:////absolute -> "/absolute"
        path = unquote(body[1:])
    else:
        raise ConfigError(
            f"{variable}: sqlite URLs look like sqlite:///relative/file.db, "
            f"sqlite:////absolute/file.db or sqlite://:memory:, got {text!r}"
        )
    if not path:
        raise ConfigError(f"{variable}: no SQLite file named in {text!r}")
    return DatabaseURL(kind="sqlite", path=path, params=params)


def _mask(text: str) -> str:
    """Hide a password in text that failed to parse (``user:secret@`` -> ``user:***@``)."""
    # Greedy up to the last "@": a password may itself contain "@" or ":".
    if "://" in text:
        return re.sub(r"(://[^/:@\s]*):\S*@", r"\1:***@", text)
    return re.sub(r"^([^\s/:@]*):\S*@", r"\1:***@", text)


def read_dotenv(path: Path) -> dict[str, str]:
    """Read ``KEY=value`` lines (``export``, quotes and ``#`` comments allowed)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read .env file: {exc}") from None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError(f"{path}:{number}: expected KEY=value")
        value = value.strip()
        if value[:1] in ("'", '"') and value.find(value[0], 1) > 0:
            value = value[1:value.find(value[0], 1)]  # anything after the quote is a comment
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def load_config(
    environ: Mapping[str, str] | None = None,
    *,
    url: str | None = None,
    dotenv: Path | None = Path(".env"),
) -> DatabaseConfig:
    """Resolve the configuration from ``environ`` (default: the process) and ``.env``."""
    env: dict[str, str] = dict(read_dotenv(dotenv)) if dotenv is not None else {}
    env.update(os.environ if environ is None else environ)

    def get(name: str) -> str:
        return env.get(name, "").strip()

    platform = (
        parse_url(get("DATABASE_URL_PLATFORM_ADMIN"), variable="DATABASE_URL_PLATFORM_ADMIN")
        if get("DATABASE_URL_PLATFORM_ADMIN") else None
    )
    is_dev_raw = get("IS_DEV").lower()
    if is_dev_raw and is_dev_raw not in _TRUE | _FALSE:
        raise ConfigError(f"IS_DEV: expected true or false, got {get('IS_DEV')!r}")
    is_dev = is_dev_raw in _TRUE

    if url:
        parsed = parse_url(url, variable="--url")
        return DatabaseConfig(parsed, "--url", _auth_for(parsed), platform_url=platform)
    if is_dev:
        if not get("DATABASE_URL"):
            raise ConfigError("IS_DEV=true but DATABASE_URL is not set")
        parsed = parse_url(get("DATABASE_URL"))
        return DatabaseConfig(parsed, "DATABASE_URL (IS_DEV=true)", _auth_for(parsed),
                              platform_url=platform)
    if get("SQL_SERVER"):
        if not get("SQL_DATABASE"):
            raise ConfigError("SQL_SERVER is set but SQL_DATABASE is not: name the database")
        host, port = _split_host(get("SQL_SERVER"))
        parsed = DatabaseURL(kind="sqlserver", host=host, port=port, database=get("SQL_DATABASE"),
                             params={"encrypt": "true"})
        client_id = get("AZURE_CLIENT_ID") or None
        return DatabaseConfig(parsed, "SQL_SERVER", "managed_identity",
                              managed_identity_client_id=client_id, platform_url=platform)
    if get("DATABASE_URL"):
        parsed = parse_url(get("DATABASE_URL"))
        return DatabaseConfig(parsed, "DATABASE_URL", _auth_for(parsed), platform_url=platform)
    path = default_sqlite_path(env)
    return DatabaseConfig(DatabaseURL(kind="sqlite", path=str(path)), "default (embedded SQLite)",
                          "none", platform_url=platform)


def _auth_for(url: DatabaseURL) -> Auth:
    return "none" if url.kind == "sqlite" else "sql"


def _split_host(value: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``host,port`` or ``tcp:host,port`` (Azure's own form)."""
    host = value.removeprefix("tcp:")
    port_text = ""
    for sep in (",", ":"):
        if sep in host:
            host, port_text = host.rsplit(sep, 1)
            break
    if not host:
        raise ConfigError(f"SQL_SERVER: no host in {value!r}")
    if not port_text:
        return host, 1433
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"SQL_SERVER: bad port {port_text!r}")
    return host, int(port_text)
