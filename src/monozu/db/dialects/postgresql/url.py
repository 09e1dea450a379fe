"""PostgreSQL URLs: ``postgresql://``, pgJDBC's form, and libpq's conninfo string.

Accepted forms: ``postgresql://user:password@host:port/db?sslmode=require`` (or
``postgres://``; query parameters are libpq's and pass through), and Flyway's
``jdbc:postgresql://host:port/db?user=u&password=p&sslmode=require`` (pgJDBC's
properties, renamed to libpq's; others are refused). Nothing here imports psycopg.
"""

from __future__ import annotations

import re
from typing import ClassVar

from monozu.db.dialects.urls import (
    MASK,
    DatabaseURL,
    UrlRules,
    number_param,
    one_password,
    redact,
    secret_key,
    split_authority_url,
)
from monozu.db.errors import ConfigError

DEFAULT_PORT = 5432
# pgJDBC property (lower case) -> libpq keyword.
JDBC_PROPERTIES = {
    "user": "user", "password": "password", "sslmode": "sslmode", "ssl": "ssl",
    "connecttimeout": "connect_timeout", "logintimeout": "connect_timeout",
    "applicationname": "application_name", "sslrootcert": "sslrootcert",
    "sslcert": "sslcert", "sslkey": "sslkey", "sslpassword": "sslpassword",
    "options": "options", "currentschema": "currentschema",
}
_SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


class PostgreSQLUrlRules(UrlRules):
    kind: ClassVar = "postgresql"
    schemes: ClassVar = ("postgresql", "postgres")
    jdbc_name: ClassVar = "postgresql"

    def parse(self, text: str, variable: str) -> DatabaseURL:
        return self._parse(text, variable, jdbc=False)

    def parse_jdbc(self, text: str, variable: str) -> DatabaseURL:
        if not text[len("jdbc:postgresql:"):].startswith("//"):
            raise ConfigError(f"{variable}: no host in {redact(text)} "
                              "(jdbc:postgresql://host:port/db)")
        return self._parse(text[len("jdbc:"):], variable, jdbc=True)

    def _parse(self, text: str, variable: str, *, jdbc: bool) -> DatabaseURL:
        shown = redact(text)
        pieces = split_authority_url(text, variable)
        secrets = dict(pieces.secrets)
        password = one_password(variable, pieces.password, secrets.pop("password", None),
                                secrets.pop("pwd", None))
        params = dict(pieces.params)
        if jdbc:
            renamed: dict[str, str] = {}
            for key, value in {**params, **secrets}.items():
                name = JDBC_PROPERTIES.get(key.lower())
                if name is None:
                    raise ConfigError(
                        f"{variable}: unsupported JDBC property {key!r} in {shown} "
                        f"(supported: {', '.join(sorted(JDBC_PROPERTIES))})")
                renamed[name] = value
            params = _jdbc_to_libpq(renamed, variable)
        else:
            params.update(secrets)
        user = params.pop("user", "") if not pieces.user else pieces.user
        number_param(params, "connect_timeout", variable, whole=True)
        if "sslmode" in params and params["sslmode"] not in _SSLMODES:
            raise ConfigError(f"{variable}: sslmode must be one of {', '.join(sorted(_SSLMODES))}"
                              f", got {params['sslmode']!r}")
        database = pieces.path
        if not database:
            raise ConfigError(f"{variable}: no database named in {shown}")
        return DatabaseURL(kind="postgresql", host=pieces.host, port=pieces.port or DEFAULT_PORT,
                           database=database, user=user, password=password, params=params)

    def redacted(self, url: DatabaseURL) -> str:
        auth = ""
        if url.user:
            auth = url.user + (f":{MASK}" if url.password else "") + "@"
        host = f"[{url.host}]" if ":" in url.host else url.host
        port = f":{url.port}" if url.port else ""
        query = "&".join(f"{k}={MASK if secret_key(k) else v}" for k, v in url.params.items())
        return f"postgresql://{auth}{host}{port}/{url.database}" + (f"?{query}" if query else "")

    def driver_string(self, url: DatabaseURL) -> str:
        """A libpq ``key=value`` conninfo string for psycopg (quotes escaped)."""
        parts = {"host": url.host, "port": str(url.port or DEFAULT_PORT), "dbname": url.database}
        if url.user:
            parts["user"] = url.user
        if url.password:
            parts["password"] = url.password
        parts.update(url.params)
        return " ".join(f"{k}={libpq_quote(v)}" for k, v in parts.items() if v != "")


def _jdbc_to_libpq(props: dict[str, str], variable: str) -> dict[str, str]:
    ssl = props.pop("ssl", None)
    if ssl is not None:
        if ssl.lower() not in ("true", "false"):
            raise ConfigError(f"{variable}: ssl must be true or false, got {ssl!r}")
        props.setdefault("sslmode", "require" if ssl.lower() == "true" else "disable")
    schema = props.pop("currentschema", None)
    if schema:
        props["options"] = (props.get("options", "") + f" -c search_path={schema}").strip()
    return props


def libpq_quote(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def conninfo(url: DatabaseURL) -> str:
    """libpq's conninfo for ``url`` (secrets included: never print it)."""
    return RULES.driver_string(url)


RULES = PostgreSQLUrlRules()
