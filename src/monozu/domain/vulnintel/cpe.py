"""A small parser for CPE 2.3 formatted strings, and attribute matching (NISTIR 7695/7696).

``cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:
target_hw:other``: 11 attributes after the prefix, split on unescaped colons only. ``*`` alone
is ANY, ``-`` alone is NA; inside a value an unescaped ``*`` (any run) or ``?`` (one
character) may stand at the start or end; every other special character is backslash-quoted.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from dataclasses import dataclass

ATTRIBUTES = ("part", "vendor", "product", "version", "update", "edition", "language",
              "sw_edition", "target_sw", "target_hw", "other")
ANY = "*"
NA = "-"
_PLAIN = re.compile(r"[A-Za-z0-9_.\-]")
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.\-]+")  # a value needing no character-wise check
_PARTS = frozenset({"a", "o", "h", "*"})


class CpeError(ValueError):
    """The text is not a CPE 2.3 formatted string."""


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute as written (escapes kept): ANY, NA, a literal, or a wildcard pattern."""

    raw: str

    @property
    def is_any(self) -> bool:
        return self.raw == ANY

    @property
    def is_na(self) -> bool:
        return self.raw == NA

    @property
    def value(self) -> str:
        """The unescaped value (for ANY/NA the symbol itself)."""
        return unescape(self.raw)

    @property
    def has_wildcards(self) -> bool:
        return not (self.is_any or self.is_na) and _pattern(self.raw) is not None

    def matches(self, target: Attr) -> bool:
        """NISTIR 7696 name matching: this (source) is a superset of or equal to ``target``."""
        if self.is_any:
            return True
        if self.is_na or target.is_na:
            return self.is_na and target.is_na
        if target.is_any:
            return False  # the target is unknown here: a subset relation, not a match
        pattern = _pattern(self.raw)
        if pattern is not None:
            return pattern.fullmatch(folded(target.raw)) is not None
        return folded(self.raw) == folded(target.raw)


@dataclass(frozen=True, slots=True)
class Cpe:
    """A parsed CPE 2.3 name."""

    attrs: tuple[Attr, ...]

    def __getattr__(self, name: str) -> Attr:
        try:
            return self.attrs[ATTRIBUTES.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __str__(self) -> str:
        return "cpe:2.3:" + ":".join(a.raw for a in self.attrs)


@functools.lru_cache(maxsize=131072)
def parse(text: str) -> Cpe:
    """Parse a formatted string; :class:`CpeError` names what is wrong."""
    if not isinstance(text, str) or not text.startswith("cpe:2.3:"):
        raise CpeError(f"{text!r} does not start with 'cpe:2.3:'")
    fields = _split(text[len("cpe:2.3:"):], text)
    if len(fields) != len(ATTRIBUTES):
        raise CpeError(f"{text!r} has {len(fields)} attributes, a CPE 2.3 name has 11")
    for name, raw in zip(ATTRIBUTES, fields, strict=True):
        _check(raw, name, text)
    if fields[0] not in _PARTS:
        raise CpeError(f"{text!r}: part {fields[0]!r} is not a, o, h or *")
    return Cpe(tuple(Attr(f) for f in fields))


def _split(body: str, text: str) -> list[str]:
    if "\\" not in body:  # nothing escaped (the usual case): every colon separates
        return body.split(":")
    fields: list[str] = []
    current: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, None)
            if nxt is None:
                raise CpeError(f"{text!r} ends in a lone backslash")
            current.append(ch + nxt)
        elif ch == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields


def _check(raw: str, name: str, text: str) -> None:
    if raw in (ANY, NA) or _PLAIN_VALUE.fullmatch(raw):
        return
    if not raw:
        raise CpeError(f"{text!r}: {name} is empty")
    plain: list[str] = []  # each character, unescaped ones as themselves, escaped as "\\"
    i = 0
    while i < len(raw):
        if raw[i] == "\\":
            if i + 1 >= len(raw):
                raise CpeError(f"{text!r}: {name} {raw!r} ends in a lone backslash")
            plain.append("\\")
            i += 2
            continue
        ch = raw[i]
        if ch not in "*?" and not _PLAIN.fullmatch(ch):
            raise CpeError(f"{text!r}: {name} {raw!r} has an unescaped {ch!r}")
        plain.append(ch)
        i += 1
    inner = "".join(plain).strip("*?")
    if "*" in inner or "?" in inner:
        raise CpeError(f"{text!r}: {name} {raw!r} has a wildcard inside the value")


def unescape(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw) if "\\" in raw else raw


@functools.lru_cache(maxsize=262144)
def folded(raw: str) -> str:
    """The unescaped, lowercased value of an attribute, for comparisons."""
    return unescape(raw).lower()


def escape(value: str) -> str:
    """A literal value as a formatted-string attribute (lowercase, spaces to ``_``)."""
    value = value.strip().lower().replace(" ", "_")
    if not value:
        return ANY
    return "".join(ch if _PLAIN.fullmatch(ch) else "\\" + ch for ch in value)


@functools.lru_cache(maxsize=65536)
def _pattern(raw: str) -> re.Pattern[str] | None:
    """A regex for a value with unescaped wildcards, or None for a literal."""
    out: list[str] = []
    wild = False
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            out.append(re.escape(raw[i + 1]))
            i += 2
            continue
        if ch == "*":
            out.append(".*")
            wild = True
        elif ch == "?":
            out.append(".")
            wild = True
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out).lower()) if wild else None


def build(part: str, vendor: str, product: str, version: str | None = None) -> str:
    """A formatted string from plain values (version None or empty: ANY)."""
    fields = [part, escape(vendor), escape(product), escape(version) if version else ANY]
    return "cpe:2.3:" + ":".join(fields + [ANY] * 7)


def from_uri(uri: str) -> str:
    """A CPE 2.2 URI (``cpe:/a:vendor:product:version``) as a 2.3 formatted string."""
    if uri.startswith("cpe:2.3:"):
        return str(parse(uri))
    if not uri.startswith("cpe:/"):
        raise CpeError(f"{uri!r} is neither a CPE 2.3 name nor a CPE 2.2 URI")
    parts = [urllib.parse.unquote(p) for p in uri[len("cpe:/"):].split(":")]
    parts += [""] * (7 - len(parts))
    if len(parts) > 7:
        raise CpeError(f"{uri!r} has too many components")
    fields = [escape(p) if p else ANY for p in parts] + [ANY] * 4
    if fields[0] not in _PARTS:
        raise CpeError(f"{uri!r}: part {parts[0]!r} is not a, o or h")
    text = "cpe:2.3:" + ":".join(fields)
    parse(text)
    return text
