"""SQL Server URLs: ``sqlserver://``, Microsoft's JDBC form, and the ODBC connection string.

Accepted forms:

- go-mssqldb's ``sqlserver://user:password@host:port?database=db&encrypt=disable``
  (``mssql://`` too), the form of the database page's ``DATABASE_URL``;
- Microsoft JDBC's ``jdbc:sqlserver://host:port;databaseName=db;encrypt=false;...``,
  Flyway's, with ``user``/``password`` properties or given apart (``-user``), and
  ``authentication=ActiveDirectoryMSI`` / ``ActiveDirectoryManagedIdentity`` for Managed
  Identity (``user`` or ``msiClientId``: the user-assigned identity's client id);
- ``SQL_SERVER`` (+ ``SQL_DATABASE``): Azure SQL with Managed Identity
  (:func:`managed_identity_url`): a host and a database name only, a URL or
  connection string pasted there is refused without being quoted back.

JDBC properties are split as Microsoft's driver splits them (``{braced}`` values,
``}}`` a literal ``}``); go-mssqldb's query as Go reads it, which drops a parameter
holding a raw ``;``, so one is refused.

Nothing here imports the driver.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, ClassVar

from monozu.db.dialects.urls import (
    CONTROL,
    FALSE,
    MASK,
    TRUE,
    Auth,
    DatabaseURL,
    Masked,
    Span,
    UrlRules,
    authority_spans,
    choice_param,
    encode,
    jdbc_properties,
    number_param,
    one_password,
    property_spans,
    refuse_repeated,
    refuse_unknown,
    secret_key,
    split_authority_url,
    split_host_port,
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

    def spans(self, text: str) -> tuple[list[Span], str]:
        if text[:5].lower() == "jdbc:":
            start = len("jdbc:sqlserver:")
            if not text.startswith("//", start):  # refused when parsed
                return authority_spans(text, start)
            return property_spans(text, start + 2, known=JDBC_PROPERTIES,
                                  hosts=("servername", "portnumber", "port"))
        # go-mssqldb reads the query as Go does, which drops a parameter with a raw ';'.
        return authority_spans(text, text.index("://") + 3,
                               known=URL_PARAMS | {"password", "pwd"}, semicolons=False)

    def parse(self, url: Masked, variable: str) -> DatabaseURL:
        shown = url.shown
        pieces = split_authority_url(url, variable)
        # go-mssqldb reads names in any case: "Encrypt" and "encrypt" are one parameter.
        refuse_repeated(pieces.params, variable)
        params = {k.lower(): v for k, v in pieces.params.items()}
        refuse_unknown(set(params), URL_PARAMS, variable, "sqlserver parameter(s)")
        password = one_password(variable, pieces.password,
                                *(pieces.secrets.pop(k, None) for k in ("password", "pwd")))
        refuse_unknown(set(pieces.secrets), URL_PARAMS, variable, "sqlserver parameter(s)")
        user = params.pop("user id", "") or pieces.user
        database = params.pop("database", "") or pieces.path
        return self._build(params, host=pieces.host, port=pieces.port, database=database,
                           user=user, password=password, variable=variable, shown=shown)

    def parse_jdbc(self, url: Masked, variable: str) -> DatabaseURL:
        shown = url.shown
        body = url.text[len("jdbc:sqlserver:"):]
        if not body.startswith("//"):
            raise ConfigError(f"{variable}: expected jdbc:sqlserver://host:port;property=value;"
                              f"..., got {shown}")
        address, semi, _ = body[2:].partition(";")
        start = len("jdbc:sqlserver://") + len(address) + 1
        props, secrets = (jdbc_properties(url, start, variable, known=JDBC_PROPERTIES)
                          if semi else ({}, {}))
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
        if params.get("msiclientid"):
            check_client_id(params["msiclientid"], variable)
        for key in _TIMEOUTS:
            number_param(params, key, variable)
        if not database:
            raise ConfigError(f"{variable}: no database named in {shown} "
                              "(sqlserver://...?database=db or jdbc:...;databaseName=db)")
        check_database_name(database, variable)
        return DatabaseURL(kind="sqlserver", host=host, port=port or DEFAULT_PORT,
                           database=database, user=user, password=password, params=params)

    def redacted(self, url: DatabaseURL) -> str:
        auth = ""
        if url.user:
            auth = encode(url.user, "@:/?#") + (f":{MASK}" if url.password else "") + "@"
        port = f":{url.port}" if url.port else ""
        query = "&".join(f"{encode(k, '&#=')}={MASK if secret_key(k) else encode(v, '&#;')}"
                         for k, v in url.params.items())
        query = "&".join(x for x in (f"database={encode(url.database, '&#;')}", query) if x)
        return f"sqlserver://{auth}{url.host}{port}?{query}"

    def driver_string(self, url: DatabaseURL) -> str:
        auth, client_id = self.login(url)
        return _connection_string(url, auth == "managed_identity" and not url.user, client_id)

    def login(self, url: DatabaseURL) -> tuple[Auth, str | None]:
        if url.params.get("authentication") == MSI_AUTHENTICATION:
            return "managed_identity", url.params.get("msiclientid") or None
        return "sql", None


RULES = SQLServerUrlRules()


# What SQL_SERVER may hold: a host name or address, and a port.
_SERVER = re.compile(r"(?:tcp:)?(?P<host>[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?"
                     r"|\[[0-9A-Fa-f:.]+\])(?:[,:](?P<port>[^,:]*))?")
_CLIENT_ID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


def managed_identity_url(server: str, database: str, *, variable: str = "SQL_SERVER"
                         ) -> DatabaseURL:
    """Azure SQL by ``SQL_SERVER`` (``host``, ``host:port``, ``host,port``, ``tcp:host,port``)
    and ``SQL_DATABASE``.

    Neither value is quoted back when refused: a URL or connection string pasted into
    either may hold a password.
    """
    m = _SERVER.fullmatch(server)
    if m is None or any(c in server for c in "@;={}/"):
        pasted = any(c in server for c in "@;={}/")
        raise ConfigError(
            f"{variable}: expected a host name (host, host,port or tcp:host,port), got "
            + ("what looks like a URL or connection string (not shown): put a URL in "
               "DATABASE_URL" if pasted else "something else (not shown)"))
    port = DEFAULT_PORT
    if m.group("port") is not None:
        port_text = m.group("port")
        if not port_text.isascii() or not port_text.isdigit():
            raise ConfigError(f"{variable}: bad port (not a number 1-65535)")
        if len(port_text) > 5 or not 0 < int(port_text) < 65536:
            raise ConfigError(f"{variable}: bad port {port_text[:12]!r} (1-65535)")
        port = int(port_text)
    check_database_name(database, "SQL_DATABASE")
    host = m.group("host").removeprefix("[").removesuffix("]")
    return DatabaseURL(kind="sqlserver", host=host, port=port, database=database,
                       params={"encrypt": "true"})


def check_database_name(database: str, variable: str) -> None:
    """Refuse a database name that holds what a connection string would (not quoted back)."""
    if any(c in database for c in ";={}") or CONTROL.search(database) \
            or database != database.strip():
        raise ConfigError(f"{variable}: a database name cannot hold ';', '=', braces, control "
                          "characters or surrounding spaces (not shown: it may hold a password)")


def check_client_id(value: str, variable: str) -> None:
    """A Managed Identity client id is a GUID; anything else is refused, not shown (a
    client secret pasted in its place must not be printed)."""
    if not _CLIENT_ID.fullmatch(value):
        raise ConfigError(f"{variable}: a managed identity client id is a GUID "
                          "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx); the value is not shown")


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
