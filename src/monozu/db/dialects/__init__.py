"""One package per database; :func:`dialect_for` picks one by kind.

The registry of URL schemes lives here too: which ``scheme://`` and ``jdbc:<name>:``
belong to which database. Packages are imported on first use so that, say, a
SQLite-only run never loads the SQL Server driver, and reading a URL loads no driver
at all (each package's ``url`` module is import-light).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from monozu.db.dialects.urls import Kind, UrlRules

if TYPE_CHECKING:
    from monozu.db.dialects.base import Dialect
    from monozu.db.sqltext import Lexicon

_PACKAGES: dict[Kind, str] = {
    "sqlite": "monozu.db.dialects.sqlite",
    "postgresql": "monozu.db.dialects.postgresql",
    "sqlserver": "monozu.db.dialects.sqlserver",
}
# scheme:// and jdbc:<name>: -> database; each package's url module lists its own.
_SCHEMES: dict[str, Kind] = {}
_JDBC: dict[str, Kind] = {}


def dialect_for(kind: Kind) -> Dialect:
    missing = ""
    try:
        dialect: Dialect = importlib.import_module(_PACKAGES[kind]).DIALECT
    except ModuleNotFoundError as exc:  # the driver: say so in one line
        missing = exc.name or str(exc)
    if missing:
        from monozu.db.errors import ConfigError

        raise ConfigError(f"cannot use {kind}: its driver is not installed "
                          f"(No module named {missing!r})")
    return dialect


def url_rules(kind: Kind) -> UrlRules:
    """The URL rules of one database (its ``url`` module; no driver is imported)."""
    rules: UrlRules = importlib.import_module(f"{_PACKAGES[kind]}.url").RULES
    return rules


def lexicon_for(kind: Kind) -> Lexicon:
    """One database's lexical rules (its ``statements`` module; no driver is imported)."""
    rules: Lexicon = importlib.import_module(f"{_PACKAGES[kind]}.statements").LEXICON
    return rules


def _registry() -> None:
    if _SCHEMES:
        return
    for kind in _PACKAGES:
        rules = url_rules(kind)
        for scheme in rules.schemes:
            _SCHEMES[scheme] = kind
        _JDBC[rules.jdbc_name] = kind


def scheme_kind(scheme: str) -> Kind | None:
    """The database a ``scheme://`` URL names (case-insensitive), or None."""
    _registry()
    return _SCHEMES.get(scheme.lower())


def jdbc_kind(name: str) -> Kind | None:
    """The database a ``jdbc:<name>:`` URL names, or None (``mysql`` and the like)."""
    _registry()
    return _JDBC.get(name.lower())


def schemes_text(*, jdbc: bool) -> str:
    """The accepted prefixes, for messages."""
    _registry()
    if jdbc:
        return ", ".join(f"jdbc:{n}:" for n in _JDBC)
    return ", ".join(f"{s}://" for s in _SCHEMES)


def lazy_exports(package: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that loads ``package.dialect`` on first use of ``names``."""
    lazy = frozenset(names)

    def getattr_(name: str) -> Any:
        if name in lazy:
            return getattr(importlib.import_module(f"{package}.dialect"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return getattr_


def __getattr__(name: str) -> Any:
    if name == "Dialect":
        from monozu.db.dialects.base import Dialect

        return Dialect
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Dialect", "dialect_for", "jdbc_kind", "lexicon_for", "scheme_kind", "url_rules"]
