"""PostgreSQL URLs: ``postgresql://``, pgJDBC's form, and libpq's conninfo string.

Accepted forms: ``postgresql://user:password@host:port/db?sslmode=require`` (or
``postgres://``; query parameters are libpq's and pass through), and Flyway's
``jdbc:postgresql://host:port/db?user=u&password=p&sslmode=require`` (pgJDBC's
properties, renamed to libpq's; others are refused). A query value ends at ``&``
only: a ``;`` is part of it, as libpq and pgJDBC read it. Nothing here imports psycopg.
"""

from __future__ import annotations

import re
from typing import ClassVar

from monozu.db.dialects.urls import (
    MASK,
    DatabaseURL,
    Masked,
    Span,
    UrlRules,
    authority_spans,
    encode,
    number_param,
    one_password,
    param_name,
    parse_port,
    refuse_unknown,
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
# libpq's connection keywords (PostgreSQL 18): what may follow a secret in a query.
LIBPQ_KEYWORDS = frozenset({
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth",
    "channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
    "requiressl", "sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslkeylogfile",
    "sslpassword", "sslcertmode", "sslrootcert", "sslcrl", "sslcrldir", "sslsni",
    "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version",
    "min_protocol_version", "max_protocol_version", "krbsrvname", "gsslib", "gssdelegation",
    "scram_client_key", "scram_server_key", "service", "target_session_attrs",
    "load_balance_hosts", "oauth_issuer", "oauth_client_id", "oauth_client_secret",
    "oauth_scope",
})


class PostgreSQLUrlRules(UrlRules):
    kind: ClassVar = "postgresql"
    schemes: ClassVar = ("postgresql", "postgres")
    jdbc_name: ClassVar = "postgresql"

    def spans(self, text: str) -> tuple[list[Span], str]:
        if text[:5].lower() == "jdbc:":
            start = len("jdbc:postgresql:")
            if not text.startswith("//", start):  # refused when parsed: no host
                return authority_spans(text, start)
            return authority_spans(text, start + 2, known=JDBC_PROPERTIES)
        return authority_spans(text, text.index("://") + 3, known=LIBPQ_KEYWORDS)

    def parse(self, url: Masked, variable: str) -> DatabaseURL:
        return self._parse(url, variable, jdbc=False)

    def parse_jdbc(self, url: Masked, variable: str) -> DatabaseURL:
        if not url.text[len("jdbc:postgresql:"):].startswith("//"):
            raise ConfigError(f"{variable}: no host in {url.shown} "
                              "(jdbc:postgresql://host:port/db)")
        return self._parse(url, variable, jdbc=True)

    def _parse(self, url: Masked, variable: str, *, jdbc: bool) -> DatabaseURL:
        shown = url.shown
        pieces = split_authority_url(url, variable)
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
                        f"{variable}: unsupported JDBC property {param_name(key)!r} in {shown} "
                        f"(supported: {', '.join(sorted(JDBC_PROPERTIES))})")
                renamed[name] = value
            params = _jdbc_to_libpq(renamed, variable)
        else:
            params.update(secrets)
        user = params.pop("user", "") if not pieces.user else pieces.user
        check_libpq_params(params, variable)
        database = pieces.path
        if not database:
            raise ConfigError(f"{variable}: no database named in {shown}")
        host, port = _server(pieces.host, pieces.port, params, variable)
        return DatabaseURL(kind="postgresql", host=host, port=port or DEFAULT_PORT,
                           database=database, user=user, password=password, params=params)

    def redacted(self, url: DatabaseURL) -> str:
        auth = ""
        if url.user:
            auth = encode(url.user, "@:/?#") + (f":{MASK}" if url.password else "") + "@"
        host = f"[{url.host}]" if ":" in url.host else url.host
        port = f":{url.port}" if url.port else ""
        query = "&".join(f"{encode(k, '&#=')}={MASK if secret_key(k) else encode(v, '&#')}"
                         for k, v in url.params.items())
        return (f"postgresql://{auth}{host}{port}/{encode(url.database, '/?#')}"
                + (f"?{query}" if query else ""))

    def driver_string(self, url: DatabaseURL) -> str:
        """A libpq ``key=value`` conninfo string for psycopg (quotes escaped)."""
        parts = {"host": url.host, "port": str(url.port or DEFAULT_PORT), "dbname": url.database}
        if url.user:
            parts["user"] = url.user
        if url.password:
            parts["password"] = url.password
        installed = _installed_keywords() if url.params else None
        if installed is not None:
            for key in url.params:
                if key not in installed:
                    raise ConfigError(f"postgresql parameter {param_name(key)} is not known to "
                                      "the libpq this program uses (a newer PostgreSQL client "
                                      "library is needed)")
        parts.update(url.params)
        return " ".join(f"{k}={libpq_quote(v)}" for k, v in parts.items() if v != "")


# libpq's fixed-choice keywords and their values (libpq compares them exactly, but
# for the TLS versions).
_CHOICES: dict[str, frozenset[str]] = {
    "sslmode": frozenset(_SSLMODES),
    "gssencmode": frozenset({"disable", "prefer", "require"}),
    "channel_binding": frozenset({"disable", "prefer", "require"}),
    "target_session_attrs": frozenset({"any", "read-write", "read-only", "primary", "standby",
                                       "prefer-standby"}),
    "load_balance_hosts": frozenset({"disable", "random"}),
    "sslnegotiation": frozenset({"postgres", "direct"}),
    "sslcertmode": frozenset({"disable", "allow", "require"}),
    "ssl_min_protocol_version": frozenset({"tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"}),
    "ssl_max_protocol_version": frozenset({"tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"}),
    "min_protocol_version": frozenset({"3.0", "3.2", "latest"}),
    "max_protocol_version": frozenset({"3.0", "3.2", "latest"}),
    "gsslib": frozenset({"gssapi"}),
    "replication": frozenset({"true", "on", "yes", "1", "false", "off", "no", "0",
                              "database"}),
    "sslcompression": frozenset({"0", "1"}),
    "sslsni": frozenset({"0", "1"}),
    "gssdelegation": frozenset({"0", "1"}),
    "requiressl": frozenset({"0", "1"}),
}
_CASELESS = frozenset({"ssl_min_protocol_version", "ssl_max_protocol_version"})
# libpq's integer keywords (a non-number is a connection failure, not a usage error).
_INTEGERS = ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
             "tcp_user_timeout")
_AUTH_METHODS = frozenset({"password", "md5", "gss", "sspi", "scram-sha-256", "oauth", "none"})


def check_libpq_params(params: dict[str, str], variable: str) -> None:
    """Refuse what libpq would refuse when connecting: an unknown keyword (names are
    exact: libpq knows ``sslmode``, not ``SSLMODE``), or a bad number or choice. Only
    names and non-secret values are quoted back."""
    refuse_unknown(set(params), LIBPQ_KEYWORDS, variable, "postgresql parameter", fold=False)
    number_param(params, "connect_timeout", variable, whole=True)
    for key in _INTEGERS:
        raw = params.get(key)
        if raw is not None and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            raise ConfigError(f"{variable}: {key} must be a whole number, got {raw[:40]!r}")
    if "port" in params:
        parse_port(params["port"], variable, f"port={params['port'][:12]}")
    for key, allowed in _CHOICES.items():
        raw = params.get(key)
        if raw is not None and (raw.lower() if key in _CASELESS else raw) not in allowed:
            raise ConfigError(f"{variable}: {key} must be one of {', '.join(sorted(allowed))}, "
                              f"got {raw[:40]!r}")
    methods = params.get("require_auth")
    if methods is not None and not all(
            m.removeprefix("!") in _AUTH_METHODS for m in methods.split(",")):
        raise ConfigError(f"{variable}: require_auth must be a comma-separated list of "
                          f"{', '.join(sorted(_AUTH_METHODS))} (each may start with '!'), got "
                          f"{methods[:40]!r}")


def _server(host: str, port: int | None, params: dict[str, str], variable: str
            ) -> tuple[str, int | None]:
    """The server the URL names. libpq lets ``?host=``, ``?port=``, ``?dbname=`` and
    ``?service=`` override the URL's own, so a URL could show one database and reach
    another: each is taken from one place only. ``?hostaddr=`` stays, for skipping the
    name lookup of the host the URL names."""
    for key, what in (("dbname", "database"), ("service", "database"), ("host", "host")):
        if key in params:
            raise ConfigError(f"{variable}: {key}= in the query would replace the {what} "
                              f"the URL names; name the {what} in the URL only")
    if "port" in params:
        if port:
            raise ConfigError(f"{variable}: the URL names its port twice (in the address "
                              "and as port=); keep one")
        port = int(params.pop("port"))  # checked as a port by check_libpq_params
    return host, port


def _installed_keywords() -> frozenset[str] | None:
    """The keywords the libpq psycopg loaded knows (an older one knows fewer)."""
    try:
        from psycopg import pq

        return frozenset(d.keyword.decode() for d in pq.Conninfo.get_defaults())
    except Exception:  # no psycopg, or a build that cannot list them: libpq decides
        return None


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
