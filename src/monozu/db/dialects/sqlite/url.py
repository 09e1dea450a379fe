"""SQLite URLs: ``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``jdbc:sqlite:path``.

``sqlite://:memory:`` (or ``jdbc:sqlite::memory:``) is an in-memory database.
Parameters: ``busy_timeout``/``timeout`` (seconds), ``mode`` (``ro``, ``rw``,
``rwc``). A relative path is relative to the working directory. SQLite has no
password: a ``password=`` (or ``key=``, or any secret key) in its URL is refused, so
that it never becomes part of a file name.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qsl, unquote

from monozu.db.dialects.urls import (
    CONTROL,
    DatabaseURL,
    Masked,
    Span,
    UrlRules,
    assignment_spans,
    authority_spans,
    choice_param,
    number_param,
    refuse_repeated,
    refuse_unknown,
    strays,
)
from monozu.db.errors import ConfigError
from monozu.files import NOT_REGULAR, name_problem, shorten

PARAMS = frozenset({"timeout", "busy_timeout", "mode"})
MEMORY = ":memory:"
NO_SECRETS = ("SQLite has no password or key, so a 'password=' (or token, key...) in its URL "
              "is a mistake: remove it (nothing was created)")


class SQLiteUrlRules(UrlRules):
    kind: ClassVar = "sqlite"
    schemes: ClassVar = ("sqlite",)
    jdbc_name: ClassVar = "sqlite"
    embedded: ClassVar = True

    def spans(self, text: str) -> tuple[list[Span], str]:
        jdbc = text[:5].lower() == "jdbc:"
        start = len("jdbc:sqlite:") if jdbc else text.index("://") + 3
        # Percent-encoded (x%3Bkey%3D...): the path is decoded into the file name.
        found = assignment_spans(text, start) or strays(text, start, len(text))
        spans: list[Span] = []
        if not jdbc and not text.startswith(("/", MEMORY), start):
            spans, _ = authority_spans(text, start)  # user:password@... (refused when parsed)
        # A path holding "password=" or "key=" (SQLCipher's) is refused, not opened as a
        # file of that name: the secret must not become a file name.
        return spans + found, NO_SECRETS if found else ""

    def parse(self, url: Masked, variable: str) -> DatabaseURL:
        text = url.text
        body = text.split("://", 1)[1]
        body, _, query = body.partition("?")
        if body in (MEMORY, "/" + MEMORY):
            path = MEMORY
        elif body.startswith("/"):
            # sqlite:///relative -> "relative"; sqlite:////absolute -> "/absolute"
            path = _unquote(body[1:], variable, url)
        else:
            raise ConfigError(
                f"{variable}: sqlite URLs look like sqlite:///relative/file.db, "
                f"sqlite:////absolute/file.db or sqlite://:memory:, got {url.shown!r}"
            )
        return self._build(path, query, variable, url)

    def parse_jdbc(self, url: Masked, variable: str) -> DatabaseURL:
        body = url.text[len("jdbc:sqlite:"):]
        body, _, query = body.partition("?")
        body = body.removeprefix("file:")
        path = MEMORY if body in ("", MEMORY) else _unquote(body, variable, url)
        return self._build(path, query, variable, url)

    def _build(self, path: str, query: str, variable: str, url: Masked) -> DatabaseURL:
        pairs = parse_qsl(query, keep_blank_values=True)
        refuse_repeated((k for k, _ in pairs), variable, fold=False)
        params = dict(pairs)
        # Names are matched exactly, as the connection reads them: "MODE=ro" must not
        # pass here and then be ignored (opening the file for writing).
        refuse_unknown(set(params), PARAMS, variable, "sqlite parameter", fold=False)
        for key in ("timeout", "busy_timeout"):
            number_param(params, key, variable)
        choice_param(params, "mode", {"ro", "rw", "rwc"}, variable, "ro, rw or rwc")
        if not path:
            raise ConfigError(f"{variable}: no SQLite file named in {url.shown!r}")
        if "\x00" in path or CONTROL.search(path):
            raise ConfigError(f"{variable}: the SQLite file name contains a NUL byte or "
                              "control character")
        if path != MEMORY:
            why = name_problem(path)
            if why:
                raise ConfigError(f"{variable}: SQLite file {shorten(path)}: {why}")
        return DatabaseURL(kind="sqlite", path=path, params=params)

    def redacted(self, url: DatabaseURL) -> str:
        return f"sqlite:///{url.path}" if url.path != MEMORY else f"sqlite://{MEMORY}"

    def target(self, url: DatabaseURL) -> tuple[object, ...]:
        if url.path == MEMORY:
            return (url.kind, MEMORY, id(url))  # every in-memory database is its own
        return (url.kind, os.path.realpath(os.path.expanduser(url.path)))

    def unusable(self, url: DatabaseURL) -> str | None:
        if url.path == MEMORY:
            return None
        path = Path(url.path).expanduser()
        try:
            mode = path.stat().st_mode
        except OSError:  # absent (created by the commands that may), or refused below
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            return f"{shorten(url.path)} is a folder, not a SQLite database file"
        if mode is not None and not stat.S_ISREG(mode):
            # /dev/zero reads as an empty database; a FIFO blocks or fails on open
            return f"{shorten(url.path)} is {NOT_REGULAR}, not a SQLite database file"
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    return f"{shorten(str(parent))} is not a folder"
                break
        return None

    def missing(self, url: DatabaseURL) -> str | None:
        if url.path == MEMORY:
            return None
        path = Path(url.path).expanduser()
        why = self.unusable(url)
        if why:
            return why
        if not path.exists():
            return (f"SQLite database {url.path} does not exist (nothing was created; "
                    "monozu db migrate creates it)")
        return None


def _unquote(text: str, variable: str, url: Masked) -> str:
    """The percent-decoded file name. Decoded bytes that are not UTF-8 (``%ff``) are
    refused: ``unquote`` would make each U+FFFD, so ``%fe.db`` and ``%ff.db`` would
    name one and the same, third, file. A name typed in another encoding (a byte that
    is not UTF-8 in the argument itself) is left as the file system's own."""
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise ConfigError(f"{variable}: the SQLite file name is not UTF-8 once "
                          f"percent-decoded, in {url.shown}") from None


RULES = SQLiteUrlRules()


def file_url(path: Path | str) -> DatabaseURL:
    """The URL of the SQLite file at ``path``."""
    return DatabaseURL(kind="sqlite", path=str(path))
