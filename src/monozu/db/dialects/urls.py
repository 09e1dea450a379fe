"""Connection URLs: the one interface each database's ``url`` module implements.

A URL reaches this module as text from the command line, an environment variable or
a Flyway configuration file: ``scheme://user:password@host:port/...`` or a JDBC URL
(``jdbc:<database>:...``). Whatever the database, the secrets in it are found *in the
text first* (the user-info's password, ``password=``/``pwd=``/token parameters in any
case and percent-encoding, JDBC ``;password=`` properties) and replaced by
placeholders (:class:`Masked`). Every parser reads only that masked copy, so no
parser's message, exception, cause or ``repr`` can quote a secret; the secrets are put
back only into the parsed password and secret parameters. :func:`redact` shows the
masked copy with ``***``.

Where text can be read more than one way, every reading is masked, and a URL whose
readings disagree on where a secret ends or which server it names is refused rather
than guessed. Importing this module (and any ``<database>/url.py``) loads no database
driver.
"""

from __future__ import annotations

import abc
import contextlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal
from urllib.parse import unquote

from monozu.db import known_secrets
from monozu.db.errors import ConfigError

Kind = Literal["sqlserver", "postgresql", "sqlite"]
Auth = Literal["sql", "managed_identity", "none"]

MASK = "***"
# Parameter names whose values are secrets, compared lower-case, without spaces,
# underscores, dashes or dots, after percent-decoding. The one list every check uses.
SECRET_KEYS = frozenset({
    "password", "pwd", "passwd", "pass", "sslpassword", "passphrase", "token",
    "accesstoken", "authtoken", "secret", "clientsecret", "oauthclientsecret", "apikey",
    "key", "privatekey", "accountkey", "sharedaccesskey", "scramclientkey", "scramserverkey",
})
TRUE = frozenset({"true", "yes", "1", "on"})
FALSE = frozenset({"false", "no", "0", "off", "disable", "disabled"})

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
# A ``key=`` that may begin a parameter: at the start, or after a separator, a space
# or a ``#`` (URL queries and fragments, JDBC and ODBC properties, libpq's
# ``key=value`` strings alike). Any blank around the ``=``, a no-break space too: the
# value after one is as secret as after a space.
_ASSIGN = re.compile(r"(?<![^\s?&;,/:#])(?P<key>[A-Za-z0-9_.%+\-]+)\s*=\s*")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
# What a terminal acts on: C0, DEL, C1, line/paragraph separators, and every bidi
# control (Unicode's Bidi_Control: the marks, the embeddings and overrides, the isolates).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069]")
# What Python makes of a byte that is not UTF-8 in an argument, a variable or a file
# name (surrogateescape): no driver can send it, no stream can print it as it is.
SURROGATE = re.compile("[\ud800-\udfff]")
_HOSTPORT = re.compile(r"(?P<host>\[[0-9A-Za-z:.%]*\]|[\w.\-%]*)(?::(?P<port>.*))?", re.S)

AMBIGUOUS = ("the user name and password could end at more than one '@', so the server "
             "could be read from the path or query: percent-encode '@' as %40")
STRAY = ("a password or key outside a parameter of its own (after ';' or a space, in a "
         "name, or after '#'): separate parameters with '&', or percent-encode the text")
TAIL_NOT_A_PARAMETER = ("the text after a password or key is not a parameter, so it may "
                        "belong to the secret: percent-encode '&' in a secret as %26")
TAIL_NOT_A_PROPERTY = ("the text after a password or key is not a property, so it may "
                       "belong to the secret: brace the secret as {...}, '}' doubled")
FRAGMENT = ("text after '#' (a URL fragment), which no driver reads: remove it, or "
            "percent-encode '#' as %23")
UNBALANCED = ("a password or key whose end cannot be told (an unclosed brace, or text "
              "after the closing one): brace it as {...}, with '}' doubled")
NOT_A_HOST = "a server or port property that is not a host name or a number"
SEMICOLON = ("a raw ';' in a query parameter (go-mssqldb drops such parameters): "
             "percent-encode it as %3B")
USERINFO = ("jdbc:sqlserver:// takes no user name or password before the host: give them "
            "as ;user=...;password=... properties")


def secret_key(key: str) -> bool:
    """Whether a parameter called ``key`` (as written in a URL) carries a secret: one of
    :data:`SECRET_KEYS`, or any name that says it holds one (:func:`secret_setting`). A
    property no driver here reads (``trustStorePassword``, ``keyStoreSecret``) or a
    server setting in libpq's ``options`` (``-c app.password=...``) is refused, and its
    value must be masked in the refusal too."""
    for form in (key, key.replace("+", " ")):
        name = unquote(form)
        if re.sub(r"[\s_.\-]", "", name.lower()) in SECRET_KEYS or secret_setting(name):
            return True
    return False


def looks_like_secret(text: str) -> bool:
    """Whether ``text`` holds a secret-keyed ``key=value`` anywhere."""
    return any(secret_key(m.group("key")) for m in _ASSIGN.finditer(text))


def show(part: str) -> str:
    """Masked text (or a piece of it) as it may be printed: placeholders become ``***``."""
    return _PLACEHOLDER.sub(MASK, part)


@dataclass(frozen=True, slots=True)
class Masked:
    """Text with every secret replaced by a placeholder (``\\0<n>\\0``).

    ``problem``, when set, says why the text must be refused (safe to print).
    """

    text: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    problem: str = ""

    def __repr__(self) -> str:
        return f"Masked({self.shown!r})"

    @property
    def shown(self) -> str:
        return show(self.text)

    def reveal(self, part: str) -> str:
        """``part`` of :attr:`text` with its secrets put back (never print the result)."""
        return _PLACEHOLDER.sub(lambda m: self.secrets[int(m.group(1))], part)


Span = tuple[int, int]


def masked(text: str, spans: Iterable[Span], problem: str = "") -> Masked:
    """``text`` with ``spans`` (overlapping or not) replaced by placeholders."""
    merged: list[list[int]] = []
    for first, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(end, merged[-1][1])
        else:
            merged.append([first, end])
    out: list[str] = []
    secrets: list[str] = []
    pos = 0
    for first, end in merged:
        out.append(text[pos:first].replace("\x00", "\\x00"))
        out.append(f"\x00{len(secrets)}\x00")
        secrets.append(text[first:end])
        pos = end
    out.append(text[pos:].replace("\x00", "\\x00"))
    return Masked("".join(out), tuple(secrets), problem)


def _delim(text: str, lo: int, chars: str = "/?#") -> int:
    """The first of ``chars`` at or after ``lo``, else the end of ``text``."""
    found = [i for i in (text.find(c, lo) for c in chars) if i >= 0]
    return min(found, default=len(text))


def _port_ok(port: str | None) -> bool:
    # An empty port ("app:" before "/", "?" or the end) is refused like any other that
    # is not digits: it is the start of a password opening with "/" or "?" as often.
    return port is None or (port.isascii() and port.isdigit())


def strays(text: str, lo: int, hi: int) -> list[Span]:
    """Secret-keyed values between ``lo`` and ``hi`` (one part of a URL: a name, a
    parameter) where no parameter should be: each masked to the end of the text, since
    nothing tells where such a value ends. A part that holds one only once
    percent-decoded (``app%3Bpassword%3D...``) is masked whole, to the end."""
    found = [(m.end(), len(text)) for m in _ASSIGN.finditer(text, lo, hi)
             if secret_key(m.group("key"))]
    if not found and _decoded_secret(text[lo:hi]):
        found.append((lo, len(text)))
    return found


def _decoded_secret(part: str) -> bool:
    """Whether ``part`` holds a secret-keyed ``key=value`` once percent-decoded (with
    ``+`` as a space, or not), read whole or from its first ``=`` on (a value)."""
    forms = [part]
    if "=" in part:
        forms.append(part.partition("=")[2])
    return any(looks_like_secret(_unquote(f)) for form in forms
               for f in (form, form.replace("+", " ")))


def _quoted_end(text: str, at: int) -> tuple[int, bool]:
    """Where a ``{braced}`` (``}}`` a literal ``}``) or quoted value opening at ``at`` ends,
    and whether it is closed at all."""
    close = "}" if text[at] == "{" else text[at]
    i = at + 1
    while i < len(text):
        if (close == "}" and text.startswith("}}", i)) or (close != "}" and text[i] == "\\"):
            i += 2  # an escaped closing character
        elif text[i] == close:
            return i + 1, True
        else:
            i += 1
    return len(text), False


def assignment_spans(text: str, lo: int = 0) -> list[Span]:
    """Every secret-keyed value in free text (libpq's ``key=value``, ODBC, a message).

    A braced or quoted value ends where it closes; any other runs to the end of the
    text, as its end cannot be told without knowing the grammar.
    """
    spans: list[Span] = []
    for m in _ASSIGN.finditer(text, lo):
        if not secret_key(m.group("key")):
            continue
        value, end = m.end(), len(text)
        if value < len(text) and text[value] in "{'\"":
            close, closed = _quoted_end(text, value)
            after = text[close:close + 1]
            if closed and (not after or after.isspace() or after in ";&,"):
                end = close
        spans.append((value, end))
    return spans


def _reading_ok(text: str, start: int, at: int | None) -> bool:
    """Whether ``@`` at ``at`` (None: no user-info) ends the user-info of a sound URL:
    a user name without ``/?#``, then ``host[:digits]`` up to ``/``, ``?``, ``#`` or the end."""
    if at is not None:
        colon = text.find(":", start, at)
        if _delim(text, start) < (at if colon < 0 else colon):
            return False
    host_at = start if at is None else at + 1
    m = _HOSTPORT.fullmatch(text, host_at, _delim(text, host_at))
    return bool(m and m.group("host") not in ("", "[]") and _port_ok(m.group("port")))


def _port_colon(text: str, host_at: int, end: int) -> int:
    if text.startswith("[", host_at):
        close = text.find("]", host_at, end)
        return close + 1 if close >= 0 and text.startswith(":", close + 1) else -1
    return text.find(":", host_at, end)


def authority_spans(text: str, start: int, *, known: Iterable[str] | None = None,
                    semicolons: bool = True) -> tuple[list[Span], str]:
    """Secret spans of ``scheme://[user[:password]@]host[:port][/path][?query][#fragment]``
    (``start``: where the user-info would begin), and why the URL is refused, if it is.

    The user-info's password may hold raw ``@ / ? # :`` and spaces. It ends at the
    last ``@`` before the first ``/``, ``?`` or ``#`` (the standard reading) or, when
    that reading gives no sound ``host[:port]``, at a later ``@`` that does. When more
    than one ``@`` gives a sound host, the server could come from the path or query:
    refused, every reading masked. A port that is not digits is masked to the end
    (it may be a password whose ``@host`` is missing). Query values end at ``&`` only
    (``;`` is part of a value, as libpq reads it; ``semicolons=False`` refuses a raw
    ``;``). After a secret parameter, a parameter that is not in ``known`` (or has no
    ``=``) may be the secret's tail: refused, masked to the end.
    """
    n = len(text)
    first = _delim(text, start)
    ats = [i for i in range(start, n) if text[i] == "@"]
    standard = max((a for a in ats if a < first), default=None)
    readings = [a for a in (standard, *(a for a in ats if a >= first))
                if _reading_ok(text, start, a)]
    problem = AMBIGUOUS if len(readings) > 1 else ""
    spans: list[Span] = []
    found: list[Span] = []
    rest_problem = ""
    # Every reading's own path and query are scanned: under one reading a secret
    # parameter ("?password=@x") is what another reads as user-info and host.
    for at in readings or [ats[-1] if ats else None]:
        if at is not None:
            colon = text.find(":", start, at)
            if colon >= 0:
                spans.append((colon + 1, at))
            found += strays(text, start, at if colon < 0 else colon)
        host_at = start if at is None else at + 1
        end = _delim(text, host_at)
        port = _port_colon(text, host_at, end)
        # A port that is not digits (empty too: "app:?p@ss") may be a password whose
        # "@host" is wrong or missing.
        if port >= 0 and not _port_ok(text[port + 1:end]):
            spans.append((port + 1, n))
        found += strays(text, host_at, end)
        query = _delim(text, end, "?#")
        found += strays(text, end, query)
        if query < n and text[query] == "?":
            more, why = _query_spans(text, query + 1, known, semicolons)
            spans += more
            rest_problem = rest_problem or why
        elif query < n:  # a fragment: no driver reads it, and it may hold anything
            found += strays(text, query, n)
            spans.append((query + 1, n))
            rest_problem = rest_problem or FRAGMENT
    problem = problem or rest_problem
    if found:
        problem = STRAY if problem in ("", FRAGMENT) else problem
    return spans + found, problem


def _query_spans(text: str, pos: int, known: Iterable[str] | None,
                 semicolons: bool) -> tuple[list[Span], str]:
    n = len(text)
    names = None if known is None else {k.lower() for k in known}
    spans: list[Span] = []
    problem = ""
    last_secret = -1
    while True:
        amp = text.find("&", pos)
        seg_end = n if amp < 0 else amp
        key, eq, _ = text[pos:seg_end].partition("=")
        if eq and secret_key(key):
            spans.append((pos + len(key) + 1, seg_end))
            last_secret = len(spans) - 1
            if not semicolons and ";" in text[pos:seg_end]:
                problem = problem or SEMICOLON
        else:
            fragment = text.find("#", pos, seg_end)
            body_end = seg_end if fragment < 0 else fragment
            key, eq, _ = text[pos:body_end].partition("=")
            name = unquote(key.replace("+", " ")).strip().lower()
            if text[pos:body_end] and last_secret >= 0 and (
                    not eq or (names is not None and name not in names)):
                spans[last_secret] = (spans[last_secret][0], n)
                return spans, TAIL_NOT_A_PARAMETER
            if not semicolons and ";" in text[pos:body_end]:
                problem = problem or SEMICOLON
            found = strays(text, pos, body_end)
            if fragment >= 0:  # no driver reads a fragment, and it may hold anything
                found += strays(text, fragment, n)
                spans.append((fragment + 1, n))
            if found:
                spans += found
                problem = problem or STRAY
            if fragment >= 0:
                problem = problem or FRAGMENT
                break
        if amp < 0:
            break
        pos = amp + 1
    return spans, problem


@dataclass(frozen=True, slots=True)
class Segment:
    """One ``key=value`` of a ``;``-separated property list (JDBC, ODBC)."""

    start: int  # the key's first character
    end: int  # the ``;`` that ends the segment, or the end of the text
    eq: int  # the ``=``, or -1 (no value: malformed unless blank)
    value: Span  # the value, braces included
    ok: bool  # well-formed: blank, or a key, ``=`` and a value whose end is known


def property_segments(text: str, pos: int) -> list[Segment]:
    """The segments from ``pos`` on, as Microsoft's JDBC driver splits them.

    A value opening with ``{`` (after ``=`` and any blanks) runs to its closing brace,
    ``}}`` standing for ``}``; only blanks may follow before the ``;``. An unclosed brace
    runs to the end of the text.
    """
    n = len(text)
    out: list[Segment] = []
    while pos <= n:
        semi = text.find(";", pos)
        semi = n if semi < 0 else semi
        eq = text.find("=", pos, semi)
        if eq < 0:
            out.append(Segment(pos, semi, -1, (semi, semi), not text[pos:semi].strip()))
        else:
            value = eq + 1
            while value < n and text[value] in " \t":
                value += 1
            if value < n and text[value] == "{":
                close, closed = _quoted_end(text, value)
                after = close
                while after < n and text[after] in " \t":
                    after += 1
                if closed and (after == n or text[after] == ";"):
                    semi = after
                    out.append(Segment(pos, semi, eq, (value, close), True))
                else:
                    following = text.find(";", after) if closed else -1
                    semi = n if following < 0 else following
                    out.append(Segment(pos, semi, eq, (value, n), False))
            else:
                out.append(Segment(pos, semi, eq, (value, semi), True))
        pos = semi + 1
    return out


def property_spans(text: str, start: int, *, known: Iterable[str],
                   hosts: Iterable[str] = ()) -> tuple[list[Span], str]:
    """Secret spans of ``//address;key=value;...`` (``start``: the address), and why the
    text is refused, if it is.

    A user-info in the address (``//user:password@host``) is masked and refused; a
    non-numeric port is masked to the end. A secret value that is malformed, or that
    is followed by a segment that is malformed or not in ``known``, is masked to the
    end and refused (that text may be the secret's tail). ``hosts`` are properties
    whose values must look like a host name or a number.
    """
    n = len(text)
    names = {k.lower() for k in known}
    host_names = {k.lower() for k in hosts}
    semi = text.find(";", start)
    address_end = n if semi < 0 else semi
    spans: list[Span] = []
    problem = ""
    at = text.rfind("@", start, address_end)
    if at >= 0:
        colon = text.find(":", start, at)
        if colon >= 0:
            spans.append((colon + 1, at))
        problem = USERINFO
    host_at = at + 1 if at >= 0 else start
    port = _port_colon(text, host_at, address_end)
    if port >= 0 and not _port_ok(text[port + 1:address_end]):
        spans.append((port + 1, n))
    found = strays(text, start, address_end)
    last_secret = -1
    for seg in property_segments(text, address_end + 1) if semi >= 0 else []:
        key = text[seg.start:seg.eq] if seg.eq >= 0 else ""
        if seg.eq >= 0 and secret_key(key):
            spans.append((seg.value[0], seg.value[1] if seg.ok else n))
            last_secret = len(spans) - 1
            if not seg.ok:
                return spans + found, UNBALANCED
            continue
        blank = seg.eq < 0 and seg.ok
        if last_secret >= 0 and not blank and (
                not seg.ok or key.strip().lower() not in names):
            spans[last_secret] = (spans[last_secret][0], n)
            return spans + found, TAIL_NOT_A_PROPERTY
        if key.strip().lower() in host_names and not re.fullmatch(
                r"[\w.\-\[\]:\\]*", text[seg.value[0]:seg.value[1]].strip()):
            spans.append((seg.value[0], n))
            return spans + found, NOT_A_HOST
        found += strays(text, seg.start, seg.end)
    return spans + found, problem or (STRAY if found else "")



def url_spans(text: str) -> tuple[list[Span], str]:
    """Secret spans of any text — a URL of a known database by that database's rules,
    another URL by the standard ones, anything else as ``key=value`` text — and why it
    would be refused as a URL."""
    from monozu.db.dialects import jdbc_kind, scheme_kind, url_rules

    if text[:5].lower() == "jdbc:":
        name = text[5:].partition(":")[0]
        kind = jdbc_kind(name)
        if kind is not None:
            return url_rules(kind).spans(text)
        after = 5 + len(name) + 1
        if text.startswith("//", after):
            return authority_spans(text, after + 2)
        at = text.rfind("@")  # jdbc:oracle:thin:user/password@host: all before the '@'
        return [*([(after, at)] if at > after else []), *assignment_spans(text, after)], ""
    head = _SCHEME.match(text)
    if head is not None:
        kind = scheme_kind(text[:head.end() - 3])
        if kind is not None:
            return url_rules(kind).spans(text)
        return authority_spans(text, head.end())
    # No scheme: ``user:password@host/db`` or ``key=value`` text, read both ways.
    spans, problem = authority_spans(text, 0)
    return spans + assignment_spans(text), problem


def mask_url(text: str) -> Masked:
    """``text`` with every secret in it (as a URL or as ``key=value`` text) masked."""
    body = text.lstrip()
    lead = text[:len(text) - len(body)]
    found = masked(body, *url_spans(body))
    return replace(found, text=lead.replace("\x00", "\\x00") + found.text) if lead else found


def secret_spans(text: str) -> list[Span]:
    """Every character range of ``text`` that is, or may be, a secret (under every
    reading of the text)."""
    body = text.lstrip()
    lead = len(text) - len(body)
    return [(lead + first, lead + end) for first, end in url_spans(body)[0] if end > first]


# A name holding one of these words names a secret. ``key`` alone does so only as the
# whole name or after a word that makes it one (``privateKey``, ``ACCOUNT_KEY``), not in
# ``primaryKey`` or ``sortKey``. ``IDENTITY_HEADER`` is the secret Azure's identity
# endpoint takes in its ``X-IDENTITY-HEADER``.
_SECRET_NAME = re.compile(
    r"pass|pwd|token|secret|credential|cert_?pin|identity[-_.]?header|"
    r"(?:api|access|private|account|shared_?access|encryption|signing|sign|master|"
    r"client|hmac|jwt|sas|storage|subscription|license|licence|session|auth)[-_.]?key|"
    r"^key$", re.IGNORECASE)


def secret_setting(name: str) -> bool:
    """Whether a setting (a variable, an option, a placeholder) called ``name`` holds a
    secret by its name (``*PASSWORD``, ``*_TOKEN``, ``NVD_API_KEY``, ``dbPassword``)."""
    return bool(_SECRET_NAME.search(name))


def remember_secrets(name: str, value: str) -> None:
    """Remember (see ``known_secrets``) what a setting ``name`` = ``value`` holds that
    is a secret: the whole value of a setting named like one (``*PASSWORD``,
    ``NVD_API_KEY``); else the secrets of the value read as a URL, of any scheme (a
    proxy's ``http://user:password@...`` too); else the value of ``NAME=VALUE`` text
    whose name is a secret's (``--placeholder dbPassword=...``); else the secret-keyed
    values of ``key=value`` text (``host=... password=...``)."""
    if not value:
        return
    if secret_setting(name):
        known_secrets.remember(value)
    elif "://" in value or value[:5].lower() == "jdbc:":
        try:
            parse_url(value)  # its own problem is reported where it is used
        except Exception:  # a URL no database here reads (a proxy's, a cache's): its
            with contextlib.suppress(Exception):  # secrets by the standard reading
                _remember_found(mask_url(value.strip()))
    elif "=" in value and secret_setting(value.partition("=")[0]):
        known_secrets.remember(value.partition("=")[2])
    elif looks_like_secret(value):
        for first, end in assignment_spans(value):
            whole = value[first:end]
            # Its end cannot be told without the grammar: as libpq and ODBC read an
            # unquoted value (to a blank or ';'), and to the end of the text.
            for piece in (whole, unbrace(whole).strip("'\""),
                          re.split(r"[\s;&,]", whole, maxsplit=1)[0]):
                known_secrets.remember(piece)


def redact(text: str) -> str:
    """``text`` with every secret span replaced by ``***`` (safe to print)."""
    return mask_url(text).shown


_LEAD = "([<\"'"
_TRAIL = ")]>\"',;.:!"


def redact_words(text: str) -> str:
    """Free text (a message) with :func:`redact` applied to each space-separated word
    that could hold a secret."""
    return " ".join(_redact_word(word) if ("@" in word or "=" in word) else word
                    for word in text.split(" "))


def _redact_word(word: str) -> str:
    body = word.lstrip(_LEAD)
    head = word[:len(word) - len(body)]
    # A clean (or already masked) URL keeps the message's own punctuation around it
    # ("(postgresql://u:***@h/db):"), rather than the mask swallowing it.
    core = body.rstrip(_TRAIL)
    if core and redact(core) == core:
        return word
    return head + redact(body)


def mask_echoed(text: str, secret: str, public: Iterable[str] = ()) -> str:
    """A driver's message with the password masked where the driver quoted it back.

    Only a whole quoted or braced value equal to the password (``'pw'``, ``"pw"``,
    ``{pw}`` with ``}`` doubled) is masked, and not when it equals a ``public`` value
    the message shows anyway (the user, host, database): masking bare occurrences
    would make the text depend on the password ("***27.0.0.***" for the password
    "1"), and so reveal it. Secret-keyed values (``PWD=...``) and user-info are
    masked by their shape, whatever they hold.
    """
    if secret and secret not in set(public):
        for first, last, inner in (("'", "'", secret.replace("'", "''")), ("'", "'", secret),
                                   ('"', '"', secret), ("{", "}", secret.replace("}", "}}"))):
            text = text.replace(f"{first}{inner}{last}", f"{first}{MASK}{last}")
    return redact_words(text)


def unbrace(value: str) -> str:
    """An ODBC/JDBC ``{braced}`` value as plain text."""
    if len(value) >= 2 and value[0] == "{" and value[-1] == "}":
        return value[1:-1].replace("}}", "}")
    return value


def encode(value: str, reserved: str) -> str:
    """``value`` for a printed URL: ``%``, ``reserved`` and control characters
    percent-encoded, so the text reads back as the same parts."""
    return "".join(
        "".join(f"%{b:02X}" for b in c.encode()) if c == "%" or c in reserved
        or CONTROL.match(c) else c for c in value)


def decoded(value: str, what: str, variable: str, shown: str, *, name: bool = True) -> str:
    """A percent-decoded URL part, refused if it holds a NUL (which would cut the
    driver's connection string) or, for a name that is printed, a control character."""
    if "\x00" in value:
        raise ConfigError(f"{variable}: the {what} contains a NUL byte (%00), in {shown}")
    if SURROGATE.search(value):  # percent-decoded bytes that are not UTF-8 (%FF)
        raise ConfigError(f"{variable}: the {what} is not UTF-8 once percent-decoded, in "
                          f"{shown}")
    if name and CONTROL.search(value):
        raise ConfigError(f"{variable}: the {what} contains a control character, in {shown}")
    if name and looks_like_secret(value):
        # Not quoted, not even masked: the raw text of this part holds the secret (in
        # masked URLs such a part is already refused, so this is a last guard).
        raise ConfigError(f"{variable}: the {what} holds what looks like a password or key "
                          "(not shown)")
    return value


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

    def __post_init__(self) -> None:
        if self.password not in (self.host, self.user, self.database, self.path,
                                 str(self.port)):  # masking it there would reveal it
            known_secrets.remember(self.password)

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
        return known_secrets.mask(self.rules.redacted(self))

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
    password: str | None = field(repr=False)
    params: dict[str, str]  # in the order given; keys as written (not lower-cased)
    secrets: dict[str, str] = field(repr=False)  # secret parameters, lower-case keys


def _unquote(part: str) -> str:
    """Percent-decoded; bytes that are not UTF-8 become lone surrogates, which
    :func:`decoded` refuses (the default would turn them into U+FFFD, silently)."""
    return unquote(part, errors="surrogateescape")


def split_authority_url(url: Masked, variable: str) -> Pieces:
    """Split masked ``scheme://[user[:password]@]host[:port][/path][?query]``.

    The text is the masked copy (:func:`authority_spans`' reading already decided
    where the user-info ends), so this plain split cannot quote a secret; the
    password and secret parameters are revealed and percent-decoded last.
    """
    text, shown = url.text, url.shown
    start = text.index("://") + 3
    user, password = "", None
    at = text.rfind("@", start, _delim(text, start))
    if at >= 0:
        name, colon, secret = text[start:at].partition(":")
        user = decoded(_unquote(name), "user name", variable, shown)
        if colon:
            password = decoded(_unquote(url.reveal(secret)), "password", variable, shown,
                               name=False)
    host_at = at + 1 if at >= 0 else start
    end = _delim(text, host_at)
    host, port = split_host_port(text[host_at:end], variable, shown)
    rest, _, _fragment = text[end:].partition("#")
    rest, _, query = rest.partition("?")
    path = decoded(_unquote(rest[1:]), "database name", variable, shown) if rest else ""
    params: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if secret_key(key):
            secrets[unquote(key).strip().lower()] = decoded(
                _unquote(url.reveal(value)), "value of a secret parameter", variable, shown,
                name=False)
        else:
            name = decoded(_unquote(key.replace("+", " ")), "parameter name", variable, shown)
            if name in params:
                refuse_repeated((name, name), variable)
            params[name] = decoded(_unquote(value.replace("+", " ")), f"value of {name}",
                                   variable, shown)
    return Pieces(host=host, port=port, path=path, user=user, password=password,
                  params=params, secrets=secrets)


def split_host_port(hostport: str, variable: str, shown: str) -> tuple[str, int | None]:
    """``host``, ``host:port`` or ``[v6]:port`` (masked text); every problem names
    ``variable`` and shows only ``shown``."""
    if hostport.startswith("["):
        host, bracket, tail = hostport[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise ConfigError(f"{variable}: bad host in {shown}")
        port_text = tail[1:] if tail else ""
    else:
        host, _, port_text = hostport.partition(":")
    host = _unquote(host)
    if SURROGATE.search(host):
        raise ConfigError(f"{variable}: the host is not UTF-8 once percent-decoded, in {shown}")
    if not host:
        raise ConfigError(f"{variable}: no host in {shown}")
    if not re.fullmatch(r"[\w.\-:%]+", host):
        raise ConfigError(f"{variable}: bad host in {shown}")
    if not port_text:
        return host, None
    return host, parse_port(port_text, variable, shown)


def parse_port(text: str, variable: str, shown: str) -> int:
    """A port; only digits are ever quoted back (anything else may be a password)."""
    if text.isascii() and text.isdigit():
        if len(text) <= 5 and 0 < int(text) < 65536:
            return int(text)
        raise ConfigError(f"{variable}: bad port {text[:12]!r} in {shown} (1-65535)")
    raise ConfigError(f"{variable}: bad port (not a number 1-65535) in {shown}")


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
        raise ConfigError(f"{variable}: {key} must be {kind}, got {raw[:40]!r}")


def choice_param(params: Mapping[str, str], key: str, allowed: frozenset[str] | set[str],
                 variable: str, hint: str) -> None:
    raw = params.get(key)
    if raw is not None and raw.lower() not in allowed:
        raise ConfigError(f"{variable}: {key} must be {hint}, got {raw[:40]!r}")


def one_password(variable: str, *given: str | None) -> str:
    """The password, refusing two different ones (without showing either)."""
    found = {g for g in given if g}
    if len(found) > 1:
        raise ConfigError(f"{variable}: two different passwords given (in the user-info and "
                          "as a parameter, or in the URL and separately): give one")
    return found.pop() if found else ""


def refuse_unknown(keys: Mapping[str, str] | set[str], known: Mapping[str, object] | set[str]
                   | frozenset[str], variable: str, what: str, *, fold: bool = True) -> None:
    """Refuse parameters not in ``known``: compared lower-cased with ``fold`` (the driver
    reads names in any case), else exactly (it reads only the lower-case names, so
    ``MODE=ro`` would be ignored, not obeyed)."""
    unknown = sorted(k for k in keys if (k.lower() if fold else k) not in known)
    if not unknown:
        return
    first = unknown[0]
    if not fold and first.lower() in known:
        raise ConfigError(f"{variable}: unknown {what} {param_name(first)}: parameter names "
                          f"are lower case ({first.lower()})")
    if len(known) > 12:
        import difflib

        close = difflib.get_close_matches(first.lower(), sorted(known), n=1)
        hint = f"did you mean {close[0]}?" if close else "see docs/configuration.md"
        raise ConfigError(f"{variable}: unknown {what} {param_name(first)} ({hint})")
    raise ConfigError(f"{variable}: unknown {what} {', '.join(map(param_name, unknown))} "
                      f"(supported: {', '.join(sorted(known))})")


def refuse_repeated(keys: Iterable[str], variable: str, *, fold: bool = True) -> None:
    """Refuse a parameter given twice: which one the driver obeys is not obvious."""
    seen: set[str] = set()
    for key in keys:
        low = key.lower() if fold else key
        if low in seen:
            raise ConfigError(f"{variable}: parameter {param_name(key)} is given twice: give it "
                              "once")
        seen.add(low)


def param_name(key: str) -> str:
    """A parameter's name for a message: as written when it looks like a name."""
    return key if re.fullmatch(r"[\w .\-]{1,40}", key) else "(a name that is not shown)"


class UrlRules(abc.ABC):
    """One database's URL rules: what it accepts, how it shows it, what its driver takes."""

    kind: ClassVar[Kind]
    schemes: ClassVar[tuple[str, ...]]  # URL schemes; the first is the canonical one
    jdbc_name: ClassVar[str]  # the JDBC sub-protocol: jdbc:<jdbc_name>:...
    embedded: ClassVar[bool] = False  # a file on this machine: no login, no server

    def spans(self, text: str) -> tuple[list[Span], str]:
        """Where ``text`` (one of this database's URLs) holds secrets, and why it must be
        refused, if it must; by default the standard ``scheme://`` reading."""
        start = text.index("//", text.index(":") + 1) + 2 if "//" in text else len(text)
        return authority_spans(text, start)

    @abc.abstractmethod
    def parse(self, url: Masked, variable: str) -> DatabaseURL:
        """Parse masked ``scheme://...`` text (its scheme is one of :attr:`schemes`)."""

    @abc.abstractmethod
    def parse_jdbc(self, url: Masked, variable: str) -> DatabaseURL:
        """Parse masked ``jdbc:<jdbc_name>:...`` text (the whole URL)."""

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

    def unusable(self, url: DatabaseURL) -> str | None:
        """Why no command could open (or create) the database, else None: an embedded
        database's path that is a folder or a device, say."""
        return None


def jdbc_properties(url: Masked, start: int, variable: str, *, known: Mapping[str, str]
                    ) -> tuple[dict[str, str], dict[str, str]]:
    """The ``;key=value`` properties of masked text from ``start``: the known ones
    renamed by ``known`` (a lower-case JDBC property -> the key used in
    :class:`DatabaseURL` params), and the secret ones (lower-case keys, revealed).

    Anything else is refused with the list of supported properties.
    """
    text, shown = url.text, url.shown
    out: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for seg in property_segments(text, start):
        if seg.eq < 0 and seg.ok:
            continue
        key = text[seg.start:seg.eq].strip() if seg.eq >= 0 else text[seg.start:seg.end]
        if not seg.ok:
            what = (f"got {key.strip()!r}" if re.fullmatch(r"\s*\w{1,40}\s*", key)
                    else "got text that is not shown")
            if seg.eq >= 0:
                what = f"the value of {param_name(key)} has unbalanced braces"
            raise ConfigError(f"{variable}: expected property=value, {what}, in {shown}")
        value = text[seg.value[0]:seg.value[1]].strip()
        if secret_key(key):
            secrets[key.lower()] = unbrace(url.reveal(value))
            continue
        low = key.lower()
        if low not in known:
            raise ConfigError(f"{variable}: unsupported JDBC property {param_name(key)!r} in "
                              f"{shown} (supported: {', '.join(sorted(set(known)))})")
        out[known[low]] = unbrace(value)
    return out, secrets


def no_nul(text: str, variable: str) -> None:
    """Refuse text with a NUL byte or a control character (never echoing it)."""
    if CONTROL.search(text.replace("\t", " ")):
        raise ConfigError(f"{variable}: contains a NUL byte or control character")


def utf8_only(text: str, variable: str) -> None:
    """Refuse a lone surrogate, what Python makes of a byte that is not UTF-8 in an
    argument or a variable: no driver can send it (never echoing the text)."""
    if SURROGATE.search(text):
        raise ConfigError(f"{variable}: holds a byte that is not UTF-8; give it as UTF-8 "
                          "text")


# The parameters and properties that name the user, the database or the server.
_NAMING_PARAMETER = re.compile(r"[?&;](user|user\+?\s?id|uid|username|database|databasename|"
                               r"dbname|servername|server)=([^&;#]*)", re.IGNORECASE)


def _remember_found(found: Masked) -> None:
    """Remember (see ``known_secrets``) the secrets found in a URL's text before any
    part of it is checked: a URL refused for another part (``?connect_timeout=`` set
    to the password) never becomes a :class:`DatabaseURL`, whose password is
    remembered. As there, a secret equal to the URL's user, host, port or database is
    not: the URL shows it anyway, and masking it there would reveal it."""
    shown = found.shown
    names: set[str] = set()
    begin = shown.find("://")
    if begin >= 0:
        head = re.split(r"[/?;#]", shown[begin + 3:], maxsplit=1)[0]
        names |= {unquote(n) for n in re.split(r"[:@,\[\]]", head)}
        tail = shown[begin + 3 + len(head):]
        if tail.startswith("/"):
            names.add(unquote(re.split(r"[?#;&]", tail[1:], maxsplit=1)[0]))
    names |= {unquote(m.group(2)) for m in _NAMING_PARAMETER.finditer(shown)}
    for secret in found.secrets:
        for form in {secret, unquote(secret)}:
            if form not in names:
                known_secrets.remember(form)


def parse_url(text: str, *, variable: str = "DATABASE_URL") -> DatabaseURL:
    """Parse a connection URL or JDBC URL; every problem names ``variable``, hides secrets."""
    from monozu.db.dialects import jdbc_kind, scheme_kind, schemes_text, url_rules

    no_nul(text, variable)
    text = text.strip()
    jdbc = text[:5].lower() == "jdbc:"
    if jdbc:
        name = text[5:].partition(":")[0]
        kind = jdbc_kind(name)
        if kind is None:
            shown_name = name[:20] if re.fullmatch(r"[A-Za-z0-9]{1,20}", name[:20]) else "..."
            raise ConfigError(f"{variable}: unsupported database jdbc:{shown_name}: "
                              f"(monozu supports {schemes_text(jdbc=True)})")
    else:
        head = _SCHEME.match(text)
        if head is None:
            hint = "; keyword connection strings are not read" if "=" in text else ""
            raise ConfigError(f"{variable}: not a URL (expected scheme://... or jdbc:...{hint}):"
                              f" {redact(text)}")
        kind = scheme_kind(text[:head.end() - 3])
        if kind is None:
            raise ConfigError(f"{variable}: unknown scheme {text[:head.end() - 3][:20]!r} (use "
                              f"{schemes_text(jdbc=False)}, or a JDBC URL)")
    rules = url_rules(kind)
    if not rules.embedded:  # an embedded database's URL is a file path: any bytes go
        utf8_only(text, variable)
    found = masked(text, *rules.spans(text))
    _remember_found(found)
    if found.problem:
        raise ConfigError(f"{variable}: {found.problem}, in {found.shown}")
    return rules.parse_jdbc(found, variable) if jdbc else rules.parse(found, variable)
