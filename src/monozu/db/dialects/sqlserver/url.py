"""SQL Server URLs: ``sqlserver://``, Microsoft's JDBC form, and the ODBC connection string.

Accepted forms:

- go-mssqldb's ``sqlserver://user:password@host:port?database=db&encrypt=disable``
  (``mssql://`` too), the form of the database page's ``DATABASE_URL``;
- Microsoft JDBC's ``jdbc:sqlserver://host:port;databaseName=db;encrypt=false;...``,
  Flyway's, with ``user``/``password`` properties or given apart (``-user``), and
  ``authentication=ActiveDirectoryMSI`` / ``ActiveDirectoryManagedIdentity`` for Managed
  Identity (``user`` or ``msiClientId``: the user-assigned identity's client id);
- ``SQL_SERVER`` (+ ``SQL_DATABASE``): Azure SQL with Managed Identity
  (:func:`managed_identity_url`).

Nothing here imports the driver.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, ClassVar

from monozu.db.dialects.urls import (
    FALSE,
    MASK,
    TRUE,
    Auth,
    DatabaseURL,
    UrlRules,
    choice_param,
    jdbc_properties,
    number_param,
    one_password,
    redact,
    refuse_unknown,
    secret_key,
    split_authority_url,
    split_host_port,
    take_secrets,
)
from monozu.db.errors import ConfigError

if TYPE_CHECKING:
    from monozu.db.config import DatabaseConfig

DEFAULT_PORT = 1433
DEFAULT_LOGIN_TIMEOUT = 15  # seconds; the ODBC driver's own default
MSI_AUTHENTICATION = "ActiveDirectoryMsi"
# go-mssqldb's URL keys that mean something here, lower-cased (plus Managed Identity).
URL_PARAMS = frozenset({
    "database", "encrypt", "trustservercertificate", "connection timeout", "connect timeout",
    "dial timeout", "query timeout", "app name", "applicationintent", "hostnameincertificate",
    "authentication", "msiclientid", "user id",
})
# Microsoft JDBC property (lower case) -> our parameter name.
JDBC_PROPERTIES = {
    "databasename": "database", "database": "database", "encrypt": "encrypt",
    "trustservercertificate": "trustservercertificate",
    "hostnameincertificate": "hostnameincertificate", "applicationintent": "applicationintent",
    "logintimeout": "connection timeout", "querytimeout": "query timeout",
    "authentication": "authentication", "msiclientid": "msiclientid",
    "user": "user id", "username": "user id", "password": "password",
    "servername": "servername", "portnumber": "portnumber", "port": "portnumber",
}
_MANAGED = {"activedirectorymsi", "activedirectorymanagedidentity"}
_SQL_LOGIN = {"sqlpassword", "notspecified"}
_ENCRYPT = {
    "true": "yes", "yes": "yes", "1": "yes", "on": "yes", "mandatory": "yes",
    "false": "no", "no": "no", "0": "no", "off": "no", "disable": "no", "disabled": "no",
    "optional": "no",
    "strict": "strict",
}
_APPLICATION_INTENT = {"readonly": "ReadOnly", "readwrite": "ReadWrite"}
_TIMEOUTS = ("connection timeout", "connect timeout", "dial timeout", "query timeout")


class SQLServerUrlRules(UrlRules):
    kind: ClassVar = "sqlserver"
    schemes: ClassVar = ("sqlserver", "mssql")
    jdbc_name: ClassVar = "sqlserver"

    def parse(self, text: str, variable: str) -> DatabaseURL:
        shown = redact(text)
        pieces = split_authority_url(text, variable)
        params = {k.lower(): v for k, v in pieces.params.items()}
        refuse_unknown(set(params), URL_PARAMS, variable, "sqlserver parameter(s)")
        password = one_password(variable, pieces.password,
                                *(pieces.secrets.pop(k, None) for k in ("password", "pwd")))
        refuse_unknown(set(pieces.secrets), URL_PARAMS, variable, "sqlserver parameter(s)")
        user = params.pop("user id", "") or pieces.user
        database = params.pop("database", "") or pieces.path
        return self._build(params, host=pieces.host, port=pieces.port, database=database,
                           user=user, password=password, variable=variable, shown=shown)

    def parse_jdbc(self, text: str, variable: str) -> DatabaseURL:
        shown = redact(text)
        body = text[len("jdbc:sqlserver:"):]
        if not body.startswith("//"):
            raise ConfigError(f"{variable}: expected jdbc:sqlserver://host:port;property=value;"
                              f"..., got {shown}")
        address, _, props_text = body[2:].partition(";")
        stripped, secrets = take_secrets(";" + props_text)
        props = jdbc_properties(stripped, variable, shown, known=JDBC_PROPERTIES)
        refuse_unknown(set(secrets), JDBC_PROPERTIES, variable, "JDBC property")
        password = one_password(variable, secrets.get("password"))
        host_text = props.pop("servername", "") or address
        if "\\" in host_text:
            raise ConfigError(f"{variable}: named instances (host\\instance) are not supported: "
                              f"give the port instead, in {shown}")
        host, port = split_host_port(host_text, variable, shown)
        port_prop = props.pop("portnumber", None)
        if port_prop is not None:
            _, port = split_host_port(f"{host}:{port_prop}", variable, shown)
        user = props.pop("user id", "")
        auth = props.get("authentication")
        if auth is not None:
            low = auth.lower()
            if low in _MANAGED:
                props["authentication"] = MSI_AUTHENTICATION
                if user:  # Microsoft JDBC: ``user`` names the user-assigned identity
                    props.setdefault("msiclientid", user)
                    user = ""
            elif low in _SQL_LOGIN:
                del props["authentication"]
        return self._build(props, host=host, port=port, database=props.pop("database", ""),
                           user=user, password=password, variable=variable, shown=shown)

    def _build(self, params: dict[str, str], *, host: str, port: int | None, database: str,
               user: str, password: str, variable: str, shown: str) -> DatabaseURL:
        choice_param(params, "encrypt", set(_ENCRYPT), variable,
                     "true, false, disable or strict")
        choice_param(params, "trustservercertificate", TRUE | FALSE, variable, "true or false")
        choice_param(params, "applicationintent", set(_APPLICATION_INTENT), variable,
                     "ReadOnly or ReadWrite")
        auth = params.get("authentication")
        if auth is not None:
            if auth.lower() not in _MANAGED:
                raise ConfigError(f"{variable}: unsupported authentication {auth!r} (supported: "
                                  "ActiveDirectoryMSI, ActiveDirectoryManagedIdentity, "
                                  "SqlPassword)")
            params["authentication"] = MSI_AUTHENTICATION
            if password:
                raise ConfigError(f"{variable}: Managed Identity takes no password")
        elif params.get("msiclientid"):
            raise ConfigError(f"{variable}: msiClientId needs authentication=ActiveDirectoryMSI")
        for key in _TIMEOUTS:
            number_param(params, key, variable)
        if not database:
            raise ConfigError(f"{variable}: no database named in {shown} "
                              "(sqlserver://...?database=db or jdbc:...;databaseName=db)")
        return DatabaseURL(kind="sqlserver", host=host, port=port or DEFAULT_PORT,
                           database=database, user=user, password=password, params=params)

    def redacted(self, url: DatabaseURL) -> str:
        auth = ""
        if url.user:
            auth = url.user + (f":{MASK}" if url.password else "") + "@"
        port = f":{url.port}" if url.port else ""
        query = "&".join(f"{k}={MASK if secret_key(k) else v}" for k, v in url.params.items())
        query = "&".join(x for x in (f"database={url.database}", query) if x)
        return f"sqlserver://{auth}{url.host}{port}?{query}"

    def driver_string(self, url: DatabaseURL) -> str:
        auth, client_id = self.login(url)
        return _connection_string(url, auth == "managed_identity" and not url.user, client_id)

    def login(self, url: DatabaseURL) -> tuple[Auth, str | None]:
        if url.params.get("authentication") == MSI_AUTHENTICATION:
            return "managed_identity", url.params.get("msiclientid") or None
        return "sql", None


RULES = SQLServerUrlRules()


def managed_identity_url(server: str, database: str, *, variable: str = "SQL_SERVER"
                         ) -> DatabaseURL:
    """Azure SQL by ``SQL_SERVER`` (``host``, ``host:port``, ``host,port``, ``tcp:host,port``)."""
    host = server.removeprefix("tcp:")
    port_text = ""
    for sep in (",", ":"):
        if sep in host:
            host, port_text = host.rsplit(sep, 1)
            break
    if not host:
        raise ConfigError(f"{variable}: no host in {server!r}")
    port = DEFAULT_PORT
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"{variable}: bad port {port_text!r}")
        port = int(port_text)
    return DatabaseURL(kind="sqlserver", host=host, port=port, database=database,
                       params={"encrypt": "true"})


def odbc_value(value: str) -> str:
    """One connection-string value, brace-quoted when it needs to be.

    ODBC quoting: inside ``{...}`` only ``}`` is special and is doubled. Values with
    ``;``, ``{``, ``}``, ``=`` or whitespace are always braced.
    """
    if value and not re.search(r"[;{}=\s]", value):
        return value
    return "{" + value.replace("}", "}}") + "}"


def login_timeout(url: DatabaseURL) -> int:
    """Whole seconds for the driver's login timeout (``connect(timeout=...)``).

    go-mssqldb's ``connection timeout`` (alias ``connect timeout``), else its
    ``dial timeout``; fractions round up. 0 leaves the driver default (15 s).
    """
    seconds = url.seconds("connection timeout", "connect timeout", "dial timeout",
                          default=float(DEFAULT_LOGIN_TIMEOUT))
    return max(0, math.ceil(seconds))


def query_timeout(url: DatabaseURL) -> int:
    """Whole seconds for each statement (``query timeout``); 0 means none."""
    return max(0, math.ceil(url.seconds("query timeout", default=0.0)))


def uses_managed_identity(url: DatabaseURL, config: DatabaseConfig) -> bool:
    """Managed Identity when the configuration says so and the URL names no user.

    A URL with a user (``DATABASE_URL``, or a platform DSN next to a Managed
    Identity configuration) logs in with SQL authentication.
    """
    return config.auth == "managed_identity" and not url.user


def _client_id(url: DatabaseURL, config: DatabaseConfig) -> str | None:
    return config.managed_identity_client_id or url.params.get("msiclientid") or None


def connection_string(url: DatabaseURL, config: DatabaseConfig) -> str:
    """The ODBC connection string mssql-python gets for ``url``.

    Only keywords on the driver's allow-list appear: it refuses unknown ones and
    reserves ``APP`` (so go-mssqldb's ``app name`` cannot be honoured), and the
    login timeout is an argument to ``connect`` rather than a keyword.
    """
    if url.kind != RULES.kind:
        raise ConfigError(f"not a SQL Server URL: {url.redacted()}")
    return _connection_string(url, uses_managed_identity(url, config), _client_id(url, config))


def _connection_string(url: DatabaseURL, managed: bool, client_id: str | None) -> str:
    params = url.params
    parts: list[tuple[str, str]] = [
        ("Server", f"{url.host},{url.port or DEFAULT_PORT}"),
        ("Database", url.database),
    ]
    encrypt_raw = params.get("encrypt", "true").lower()
    encrypt = _ENCRYPT.get(encrypt_raw)
    if encrypt is None:
        raise ConfigError(f"encrypt must be true, false, disable or strict, got {encrypt_raw!r}")
    parts.append(("Encrypt", encrypt))
    if "trustservercertificate" in params:
        trust = url.flag("trustservercertificate", False)
        parts.append(("TrustServerCertificate", "yes" if trust else "no"))
    if params.get("hostnameincertificate"):
        parts.append(("HostnameInCertificate", params["hostnameincertificate"]))
    if params.get("applicationintent"):
        intent = _APPLICATION_INTENT.get(params["applicationintent"].lower())
        if intent is None:
            raise ConfigError("applicationintent must be ReadOnly or ReadWrite, "
                              f"got {params['applicationintent']!r}")
        parts.append(("ApplicationIntent", intent))
    if managed:
        # mssql-python hands UID to ManagedIdentityCredential(client_id=...): the
        # user-assigned identity's client id. None: the system-assigned identity.
        parts.append(("Authentication", MSI_AUTHENTICATION))
        if client_id:
            parts.append(("UID", client_id))
    else:
        if not url.user:
            raise ConfigError(
                f"{url.redacted()}: SQL authentication needs a user "
                "(sqlserver://user:password@host:port?database=..., or -user)"
            )
        parts.append(("UID", url.user))
        if url.password:  # the driver refuses empty values
            parts.append(("PWD", url.password))
    return ";".join(f"{key}={odbc_value(value)}" for key, value in parts)


def describe_login(url: DatabaseURL, config: DatabaseConfig) -> str:
    """Where and how a connection logs in, without secrets (for error messages)."""
    if uses_managed_identity(url, config):
        client_id = _client_id(url, config)
        who = (f"user-assigned managed identity {client_id}"
               if client_id else "system-assigned managed identity")
    else:
        who = f"SQL login {url.user!r}"
    return f"SQL Server at {url.host},{url.port or DEFAULT_PORT} (database {url.database!r}, {who})"
