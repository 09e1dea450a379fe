"""Connection URLs: the one interface each database's ``url`` module implements.

A URL reaches this module as text from the command line, an environment variable or
a Flyway configuration file: ``scheme://user:password@host:port/...`` or a JDBC URL
(``jdbc:<database>:...``). Whatever the database, the secrets in it are found
*textually first* (the user-info's password, ``password=``/``pwd=``/token parameters
in any case and percent-encoding, JDBC ``;password=`` properties) and taken out
before anything parses the rest, so no parser's message, no exception, cause or
``repr`` can carry them. :func:`redact` masks the same spans for messages.

Importing this module (and any ``<database>/url.py``) loads no database driver.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal
from urllib.parse import unquote

from monozu.db.errors import ConfigError

Kind = Literal["sqlserver", "postgresql", "sqlite"]
Auth = Literal["sql", "managed_identity", "none"]

MASK = "***"
# Parameter names whose values are secrets, compared lower-case, spaces and
# underscores removed, after percent-decoding.
SECRET_KEYS = frozenset({
    "password", "pwd", "passwd", "pass", "sslpassword", "token", "accesstoken",
    "secret", "clientsecret", "apikey", "key", "accountkey", "sharedaccesskey",
})
TRUE = frozenset({"true", "yes", "1", "on"})
FALSE = frozenset({"false", "no", "0", "off", "disable", "disabled"})

_SCHEME = re.compile(r"^(?:jdbc:[A-Za-z0-9]+:(?://)?|[A-Za-z][A-Za-z0-9+.\-]*://)")
# One ``key=value`` after a separator. A value ends at the next ``&`` or ``;``
# (or is brace-quoted, ODBC/JDBC style, where ``}}`` is a literal ``}``).
_PARAM = re.compile(r"(?P<sep>[?&;])(?P<key>[^=&;?#]*)=(?P<value>\{(?:[^}]|\}\})*\}?|[^&;]*)")


def secret_key(key: str) -> bool:
    """Whether a parameter called ``key`` (as written in a URL) carries a secret."""
    name = unquote(key).strip().lower().replace(" ", "").replace("_", "").replace("-", "")
    return name in SECRET_KEYS


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Every character range of ``text`` that is, or may be, a secret.

    The union of two readings, so an ambiguous URL is masked under both: the
    user-info's password (from the first ``:`` after ``//`` to the *last* ``@``,
    since a raw password may itself hold ``@``, ``/``, ``?``, ``#`` or spaces), and
    the value of every secret-named parameter anywhere in the text.
    """
    spans: list[tuple[int, int]] = []
    head = _SCHEME.match(text)
    start = head.end() if head else 0
    at = text.rfind("@")
    if at > start:
        colon = text.find(":", start, at)
        if colon >= 0:
            spans.append((colon + 1, at))
    for m in _PARAM.finditer(text):
        if secret_key(m.group("key")):
            spans.append(m.span("value"))
    return spans


def redact(text: str) -> str:
    """``text`` with every secret span replaced by ``***`` (safe to print)."""
    out: list[str] = []
    pos = 0
    for first, end in sorted(secret_spans(text)):
        if end <= pos:
            continue
        out.append(text[pos:max(first, pos)])
        out.append(MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out).replace("\x00", "\\x00")


def redact_words(text: str) -> str:
    """Free text (a message) with :func:`redact` applied to each space-separated word."""
    return " ".join(_redact_word(word) if ("@" in word or "=" in word) else word
                    for word in text.split(" "))


def _redact_word(word: str) -> str:
    # A URL redacted already and followed by the message's own ":" or "," keeps it
    # ("...?sslpassword=***: connection failed"), rather than the mask swallowing it.
    if word[-1:] in (":", ",", ";", ".", ")") and word[:-1].endswith(MASK) \
            and redact(word[:-1]) == word[:-1]:
        return word
    return redact(word)


def unbrace(value: str) -> str:
    """An ODBC/JDBC ``{braced}`` value as plain text."""
    if len(value) >= 2 and value[0] == "{" and value[-1] == "}":
        return value[1:-1].replace("}}", "}")
    return value


def take_secrets(text: str) -> tuple[str, dict[str, str]]:
    """``text`` without its secret parameters, and those parameters (lower-case keys)."""
    secrets: dict[str, str] = {}

    def cut(m: re.Match[str]) -> str:
        if not secret_key(m.group("key")):
            return m.group(0)
        key = unquote(m.group("key")).strip().lower()
        value = m.group("value")
        # A query parameter is percent-encoded; a ``;`` property may be brace-quoted.
        secrets[key] = unbrace(value) if m.group("sep") == ";" else unquote(value)
        return m.group("sep") if m.group("sep") != "?" else "?"

    return _PARAM.sub(cut, text), secrets


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """A parsed connection URL. ``password`` is kept out of ``repr`` and ``str``."""

    kind: Kind
    host: str = ""
    port: int | None = None
    database: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    params: Mapping[str, str] = field(default_factory=dict)
    path: str = ""  # an embedded database: a file path, or ":memory:"

    def __repr__(self) -> str:
        return f"DatabaseURL({self.redacted()!r})"

    def __str__(self) -> str:
        return self.redacted()

    @property
    def rules(self) -> UrlRules:
        from monozu.db.dialects import url_rules

        return url_rules(self.kind)

    def redacted(self) -> str:
        """The URL in this package's canonical form with every secret as ``***``."""
        return self.rules.redacted(self)

    def libpq_conninfo(self) -> str:
        """A libpq ``key=value`` conninfo string (PostgreSQL URLs only)."""
        return self.rules.driver_string(self)

    def flag(self, name: str, default: bool) -> bool:
        """A boolean query parameter (``encrypt=disable`` reads as false)."""
        raw = self.params.get(name)
        if raw is None:
            return default
        return raw.lower() in TRUE

    def seconds(self, *names: str, default: float) -> float:
        """The first of ``names`` given, as seconds (checked when the URL was parsed)."""
        for name in names:
            if name in self.params:
                return float(self.params[name])
        return default

    def with_login(self, user: str | None, password: str | None) -> DatabaseURL:
        """The same URL logging in as ``user`` / with ``password`` (None: keep)."""
        return replace(self, user=self.user if user is None else user,
                       password=self.password if password is None else password)


@dataclass(frozen=True, slots=True)
class Pieces:
    """A ``scheme://user:password@host:port/path?query`` URL split, secrets apart."""

    host: str
    port: int | None
    path: str
    user: str
    password: str | None
    params: dict[str, str]  # in the order given; keys as written (not lower-cased)
    secrets: dict[str, str]  # secret parameters, lower-case keys


def split_authority_url(text: str, variable: str) -> Pieces:
    """Split ``scheme://[user[:password]@]host[:port][/path][?query]``.

    The secret parameters and the user-info are cut out of the text before the
    rest is read, so a message about a bad port or host never holds a secret.
    """
    shown = redact(text)
    scheme_end = text.index("://") + 3
    rest, secrets = take_secrets(text[scheme_end:])
    user, password = "", None
    at = rest.rfind("@")
    if at >= 0:
        info, rest = rest[:at], rest[at + 1:]
        name, colon, secret = info.partition(":")
        user = unquote(name)
        password = unquote(secret) if colon else None
    rest, _, _fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    hostport, slash, path = rest.partition("/")
    host, port = split_host_port(hostport, variable, shown)
    params: dict[str, str] = {}
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        params[unquote(key.replace("+", " "))] = unquote(value.replace("+", " "))
    return Pieces(host=host, port=port, path=unquote(path) if slash else "", user=user,
                  password=password, params=params, secrets=secrets)


def split_host_port(hostport: str, variable: str, shown: str) -> tuple[str, int | None]:
    """``host``, ``host:port`` or ``[v6]:port``; every problem names ``variable``."""
    if hostport.startswith("["):
        host, bracket, tail = hostport[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise ConfigError(f"{variable}: bad host in {shown}")
        port_text = tail[1:] if tail else ""
    else:
        host, _, port_text = hostport.partition(":")
    host = unquote(host)
    if not host:
        raise ConfigError(f"{variable}: no host in {shown}")
    if not re.fullmatch(r"[\w.\-:%]+", host):
        raise ConfigError(f"{variable}: bad host {host!r} in {shown}")
    if not port_text:
        return host, None
    return host, parse_port(port_text, variable, shown)


def parse_port(text: str, variable: str, shown: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"{variable}: bad port {text!r} in {shown} (1-65535)")
    return int(text)


def number_param(params: Mapping[str, str], key: str, variable: str, *,
                 whole: bool = False) -> None:
    """Refuse a parameter that is not a non-negative (whole) number of seconds."""
    raw = params.get(key)
    if raw is None:
        return
    ok = raw.isascii() and (raw.isdigit() if whole
                            else bool(re.fullmatch(r"\d+(\.\d*)?|\.\d+", raw)))
    if not ok or float(raw) > 86400 * 365:
        kind = "whole seconds" if whole else "a number of seconds"
        raise ConfigError(f"{variable}: {key} must be {kind}, got {raw!r}")


def choice_param(params: Mapping[str, str], key: str, allowed: frozenset[str] | set[str],
                 variable: str, hint: str) -> None:
    raw = params.get(key)
    if raw is not None and raw.lower() not in allowed:
        raise ConfigError(f"{variable}: {key} must be {hint}, got {raw!r}")


def one_password(variable: str, *given: str | None) -> str:
    """The password, refusing two different ones (without showing either)."""
    found = {g for g in given if g}
    if len(found) > 1:
        raise ConfigError(f"{variable}: two different passwords given (in the user-info and "
                          "as a parameter, or in the URL and separately): give one")
    return found.pop() if found else ""


def refuse_unknown(keys: Mapping[str, str] | set[str], known: Mapping[str, object] | set[str]
                   | frozenset[str], variable: str, what: str) -> None:
    unknown = sorted(k for k in keys if k.lower() not in known)
    if unknown:
        raise ConfigError(f"{variable}: unknown {what} {', '.join(unknown)} "
                          f"(supported: {', '.join(sorted(known))})")


class UrlRules(abc.ABC):
    """One database's URL rules: what it accepts, how it shows it, what its driver takes."""

    kind: ClassVar[Kind]
    schemes: ClassVar[tuple[str, ...]]  # URL schemes; the first is the canonical one
    jdbc_name: ClassVar[str]  # the JDBC sub-protocol: jdbc:<jdbc_name>:...
    embedded: ClassVar[bool] = False  # a file on this machine: no login, no server

    @abc.abstractmethod
    def parse(self, text: str, variable: str) -> DatabaseURL:
        """Parse ``scheme://...`` text (its scheme is one of :attr:`schemes`)."""

    @abc.abstractmethod
    def parse_jdbc(self, text: str, variable: str) -> DatabaseURL:
        """Parse ``jdbc:<jdbc_name>:...`` text (the whole URL)."""

    @abc.abstractmethod
    def redacted(self, url: DatabaseURL) -> str:
        """The URL as text with every secret replaced by ``***``."""

    def driver_string(self, url: DatabaseURL) -> str:
        """The driver's own connection string, secrets included (never print it)."""
        raise ConfigError(f"no connection string for {url.redacted()}")

    def login(self, url: DatabaseURL) -> tuple[Auth, str | None]:
        """How ``url`` logs in: (auth, managed identity client id)."""
        return ("none" if self.embedded else "sql"), None

    def target(self, url: DatabaseURL) -> tuple[object, ...]:
        """What names the database (two URLs with equal targets are the same database)."""
        return (url.kind, url.host.lower(), url.port, url.database)

    def missing(self, url: DatabaseURL) -> str | None:
        """Why the database surely does not exist (an absent file), else None."""
        return None


def jdbc_properties(text: str, variable: str, shown: str, *, known: Mapping[str, str],
                    sep: str = ";") -> dict[str, str]:
    """``key=value`` properties (brace-quoted values allowed), renamed by ``known``.

    ``known`` maps a lower-case JDBC property to the key used in :class:`DatabaseURL`
    params; anything else is refused with the list of supported properties.
    """
    out: dict[str, str] = {}
    for item in _split_props(text, sep):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigError(f"{variable}: expected property=value, got {redact(sep + item)!r} "
                              f"in {shown}")
        low = key.strip().lower()
        if low not in known:
            raise ConfigError(f"{variable}: unsupported JDBC property {key.strip()!r} in {shown} "
                              f"(supported: {', '.join(sorted(set(known)))})")
        out[known[low]] = unbrace(value.strip())
    return out


def _split_props(text: str, sep: str) -> list[str]:
    items: list[str] = []
    depth = False
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "{" and not depth and (not current or "".join(current).endswith("=")):
            depth = True
        elif ch == "}" and depth:
            if text[i + 1:i + 2] == "}":
                current.append("}}")
                i += 2
                continue
            depth = False
        if ch == sep and not depth:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    items.append("".join(current))
    return items


def no_nul(text: str, variable: str) -> None:
    """Refuse text with a NUL byte or a control character (never echoing it)."""
    if any(ord(c) < 32 and c not in "\t" for c in text) or "\x7f" in text:
        raise ConfigError(f"{variable}: contains a NUL byte or control character")


def parse_url(text: str, *, variable: str = "DATABASE_URL") -> DatabaseURL:
    """Parse a connection URL or JDBC URL; every problem names ``variable``, hides secrets."""
    from monozu.db.dialects import jdbc_kind, scheme_kind, schemes_text, url_rules

    no_nul(text, variable)
    text = text.strip()
    if text.lower().startswith("jdbc:"):
        name = text[5:].partition(":")[0]
        jkind = jdbc_kind(name)
        if jkind is None:
            raise ConfigError(f"{variable}: unsupported database jdbc:{name[:20]}: "
                              f"(monozu supports {schemes_text(jdbc=True)})")
        return url_rules(jkind).parse_jdbc(text, variable)
    scheme, sep, _rest = text.partition("://")
    if not sep:
        raise ConfigError(f"{variable}: not a URL (expected scheme://... or jdbc:...): "
                          f"{redact(text)}")
    kind = scheme_kind(scheme)
    if kind is None:
        raise ConfigError(f"{variable}: unknown scheme {scheme[:20]!r} (use "
                          f"{schemes_text(jdbc=False)}, or a JDBC URL)")
    return url_rules(kind).parse(text, variable)

