"""``:name`` parameters compiled to each driver's native placeholder style.

One left-to-right scan with a small state machine: whichever construct starts first
wins, so string literals, quoted identifiers, comments, PostgreSQL ``::`` casts and
dollar-quoted bodies are copied through untouched. The scan runs once per
(statement, style) and is cached; binding a call's values is then a tuple build.

Styles: ``qmark`` (``?``, SQLite and mssql-python; a repeated name repeats its value)
and ``dollar`` (``$1``, psycopg's raw cursor; a repeated name reuses its number).
A parameter written right after ``IN`` (``WHERE id IN :ids`` or ``IN (:ids)``) takes a
list or tuple and expands to one placeholder per element; anywhere else a list is an
ordinary value (a JSON array, for the databases' JSON columns).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from monozu.db.errors import ParameterError

Style = Literal["qmark", "dollar"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$]")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_IN_BEFORE = re.compile(r"(?i)(?<![A-Za-z0-9_])IN\s*(\(\s*)?$")


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement split around its parameters.

    ``parts`` has one more element than ``names``: ``parts[0] name0 parts[1] name1 ...``.
    ``sql`` is the ready statement when no parameter needs list expansion.
    """

    parts: tuple[str, ...]
    names: tuple[str, ...]
    style: Style
    sql: str
    unique_names: frozenset[str]
    # For ``dollar``: the distinct names in order of first appearance.
    order: tuple[str, ...]
    # Per occurrence: written right after IN, so a list there expands.
    in_list: tuple[bool, ...]


def scan(sql: str, *, brackets: bool = False) -> tuple[list[str], list[str]]:
    """Split ``sql`` into literal parts and parameter names.

    ``brackets`` treats ``[...]`` as a quoted identifier (T-SQL only: in PostgreSQL
    ``arr[:i]`` is a subscript whose bound may be a real parameter).
    """
    parts: list[str] = []
    names: list[str] = []
    buf: list[str] = []
    i = 0
    n = len(sql)
    while i < n:
        c = sql[i]
        if c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            buf.append(sql[i:end])
            i = end
        elif c == "/" and sql.startswith("/*", i):
            end = _block_comment_end(sql, i)
            buf.append(sql[i:end])
            i = end
        elif c == "'":
            escapes = i > 0 and sql[i - 1] in "Ee" and (i < 2 or not _IDENT_CHAR.match(sql[i - 2]))
            end = _quoted_end(sql, i, "'", backslash=escapes)
            buf.append(sql[i:end])
            i = end
        elif c == '"':
            end = _quoted_end(sql, i, '"', backslash=False)
            buf.append(sql[i:end])
            i = end
        elif c == "[" and brackets:
            end = _quoted_end(sql, i, "]", backslash=False)
            buf.append(sql[i:end])
            i = end
        elif c == "$" and (i == 0 or not _IDENT_CHAR.match(sql[i - 1])):
            m = _DOLLAR_TAG.match(sql, i)
            if m:
                tag = m.group(0)
                close = sql.find(tag, m.end())
                end = n if close < 0 else close + len(tag)
                buf.append(sql[i:end])
                i = end
            else:
                buf.append(c)
                i += 1
        elif c == ":":
            nxt = sql[i + 1] if i + 1 < n else ""
            if nxt in (":", "="):
                buf.append(sql[i:i + 2])
                i += 2
                continue
            m = _NAME.match(sql, i + 1)
            if m and (i == 0 or not _IDENT_CHAR.match(sql[i - 1])):
                parts.append("".join(buf))
                buf = []
                names.append(m.group(0))
                i = m.end()
            else:
                buf.append(c)
                i += 1
        else:
            # Copy a run of ordinary characters in one slice.
            j = i + 1
            while j < n and sql[j] not in "-/'\"[$:":
                j += 1
            buf.append(sql[i:j])
            i = j
    parts.append("".join(buf))
    return parts, names


def _quoted_end(sql: str, start: int, close: str, *, backslash: bool) -> int:
    i = start + 1
    n = len(sql)
    while i < n:
        c = sql[i]
        if backslash and c == "\\":
            i += 2
            continue
        if c == close:
            if i + 1 < n and sql[i + 1] == close:  # doubled quote escapes itself
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _block_comment_end(sql: str, start: int) -> int:
    depth = 0
    i = start
    n = len(sql)
    while i < n:
        if sql.startswith("/*", i):
            depth += 1
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


@lru_cache(maxsize=2048)
def compile_sql(sql: str, style: Style, brackets: bool = False) -> Compiled:
    """Compile (and cache) ``sql`` for ``style``."""
    parts, names = scan(sql, brackets=brackets)
    order: list[str] = []
    for name in names:
        if name not in order:
            order.append(name)
    if style == "qmark":
        marks = ["?"] * len(names)
    else:
        marks = [f"${order.index(name) + 1}" for name in names]
    out = [parts[0]]
    for mark, part in zip(marks, parts[1:], strict=True):
        out.append(mark)
        out.append(part)
    return Compiled(
        parts=tuple(parts), names=tuple(names), style=style, sql="".join(out),
        unique_names=frozenset(names), order=tuple(order),
        in_list=tuple(_IN_BEFORE.search(part) is not None for part in parts[:-1]),
    )


def bind(
    compiled: Compiled,
    params: Mapping[str, Any],
    *,
    max_params: int | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """The statement text and positional values for one call.

    Raises :class:`ParameterError` for a missing or unknown name, an empty list,
    or more values than ``max_params`` (SQL Server accepts at most 2,100).
    """
    if params.keys() != compiled.unique_names:
        _check_names(compiled, params)
    if True not in compiled.in_list:
        if compiled.style == "qmark":
            values = tuple(params[name] for name in compiled.names)
        else:
            values = tuple(params[name] for name in compiled.order)
        if max_params is not None and len(values) > max_params:
            raise _too_many(len(values), max_params)
        return compiled.sql, values
    return _bind_expanded(compiled, params, max_params)


def _bind_expanded(
    compiled: Compiled, params: Mapping[str, Any], max_params: int | None,
) -> tuple[str, tuple[Any, ...]]:
    out = [compiled.parts[0]]
    values: list[Any] = []
    numbers: dict[tuple[str, bool], str] = {}
    for name, part, in_list in zip(compiled.names, compiled.parts[1:], compiled.in_list,
                                   strict=True):
        value = params[name]
        key = (name, in_list)
        if compiled.style == "dollar" and key in numbers:
            out.append(numbers[key])
        else:
            items: Sequence[Any] = (value,)
            if in_list and isinstance(value, list | tuple):
                if not value:
                    raise ParameterError(
                        f"parameter :{name} is an empty list; an IN list needs at least one value"
                    )
                items = value
            if compiled.style == "qmark":
                text = ", ".join("?" * len(items))
            else:
                start = len(values) + 1
                text = ", ".join(f"${k}" for k in range(start, start + len(items)))
            if in_list and not _in_parens(out):
                text = f"({text})"
            numbers[key] = text
            values.extend(items)
            out.append(text)
        out.append(part)
    if max_params is not None and len(values) > max_params:
        raise _too_many(len(values), max_params)
    return "".join(out), tuple(values)


def _in_parens(out: list[str]) -> bool:
    """Was the list written as ``IN (:ids)`` rather than ``IN :ids``?"""
    return out[-1].rstrip().endswith("(")


def _too_many(count: int, limit: int) -> ParameterError:
    return ParameterError(
        f"{count} parameters exceed the database's limit of {limit}; "
        "split the IN list or use exec_many / bulk insert"
    )


def _check_names(compiled: Compiled, params: Mapping[str, Any]) -> None:
    missing = sorted(compiled.unique_names - params.keys())
    unknown = sorted(params.keys() - compiled.unique_names)
    problems = []
    if missing:
        problems.append("missing " + ", ".join(f":{m}" for m in missing))
    if unknown:
        problems.append("unknown " + ", ".join(f":{u}" for u in unknown))
    raise ParameterError("parameters: " + "; ".join(problems))
