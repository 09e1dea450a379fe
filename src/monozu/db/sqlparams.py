"""``:name`` parameters compiled to each driver's native placeholder style.

The statement is read by the one SQL lexer (:mod:`monozu.db.sqltext`) with the
database's own lexical rules (``Dialect.lexicon``), so string literals (``E'...'``
escapes included), quoted identifiers (``"x"``, and ``[x]``/```x``` where the
database has them), comments (nested where the database nests them, ``--`` ended
where the database ends it), ``::`` casts and ``$tag$`` bodies are copied through
untouched and agree with what the server will see. The scan runs once per
(statement, style, lexicon) and is cached; binding a call's values is then a tuple
build.

Rules:

* ``:name`` is a parameter where a token starts (not joined to a character the
  database reads as part of an identifier -- a letter, digit, ``_`` or ``$``, and
  on PostgreSQL and SQLite any non-ASCII character: ``a:b``, ``é:b`` and
  ``arr[1:2]`` are not); ``::`` and ``:=`` are operators.
* Styles: ``qmark`` (``?``, SQLite and mssql-python; a repeated name repeats its
  value) and ``dollar`` (``$1``, psycopg's raw cursor; a repeated name reuses its
  number).
* A parameter written right after ``IN`` (``WHERE id IN :ids`` or ``IN (:ids)``)
  takes a list or tuple and expands to one placeholder per element, with the
  parentheses ``IN :ids`` needs; the same list may appear in both forms. Anywhere
  else a list is an ordinary value (a JSON array, for the databases' JSON columns).
* Refused with :class:`QueryError`: a string, quoted identifier, dollar body or
  block comment the text ends inside, as the database refuses it (else a ``:name``
  after its opening would be taken for part of it, and a value given for it called
  unknown; SQLite's unclosed ``/*``, which SQLite allows, passes), and text holding
  a NUL character (psycopg sends the statement as a C string, so PostgreSQL would
  run only the text before it, and SQLite's driver refuses it) or a lone surrogate
  (no encoding of it reaches the database), before it can be blamed on a value.
* Refused with :class:`ParameterError`: any mark the database or its driver would
  bind by itself (``?``, ``$1``, ``%s``, and on SQLite ``@x``, ``$x``, ``#x``, ``:1``,
  ``:a::int``, ``:a(x)``),
  because it would silently take the value meant for a ``:name``.
* Noted in ``Compiled.session_dependent``: a text a session reading backslash
  escapes in every ``'...'`` (PostgreSQL's ``standard_conforming_strings = off``,
  which a unit of work may set) would read otherwise; the query layer compiles it
  as the session reads it when it runs.
* Noted in ``Compiled.transaction_control``: a statement that ends or begins a
  transaction (``COMMIT``, ``ROLLBACK`` but not ``ROLLBACK TO``, ``END``, ``ABORT``,
  ``BEGIN``/``START TRANSACTION``, ``PREPARE TRANSACTION``; in T-SQL wherever the
  words stand, as its statements need no ``;``). The query layer refuses them: a
  unit of work's transaction is the layer's to end.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from monozu.db.errors import ParameterError, QueryError
from monozu.db.sqltext import FOREIGN, OTHER, PARAM, TRIVIA, WORD, Lexicon

Style = Literal["qmark", "dollar"]

# Characters no statement can carry to every database alike: NUL ends the text
# PostgreSQL receives, and a lone surrogate has no UTF-8 or UTF-16 form.
_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")

# What the compiler reads as a parameter's name after ":".
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Where a parameter stands relative to IN.
_SCALAR, _IN_BARE, _IN_PARENS = 0, 1, 2


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
    # Per occurrence: written ``IN :x``, so an expanded list needs parentheses.
    bare_in: tuple[bool, ...]
    # The first statement that begins or ends a transaction ("COMMIT"), or "".
    transaction_control: str = ""
    # One placeholder a parameter, ``IN :x`` parenthesised: exec_many's statement,
    # which binds one value a parameter (an IN list is not expanded per row).
    one_value_sql: str = ""
    # Read otherwise by a session whose '...' strings take backslash escapes (the
    # lexicon's ``backslash_reading``): a backslash inside a plain literal moves where
    # it ends. Only such statements look at the session before they run.
    session_dependent: bool = False


@dataclass(frozen=True, slots=True)
class Scan:
    parts: list[str]
    names: list[str]
    places: list[int]  # _SCALAR, _IN_BARE or _IN_PARENS per name
    transaction_control: str = ""


def scan_statement(sql: str, lexicon: Lexicon) -> Scan:
    """Split ``sql`` into literal parts and parameters by ``lexicon``'s rules.

    Raises :class:`ParameterError` for a mark the database would bind itself and
    :class:`QueryError` for a character no database receives as written.
    """
    if (found := find_unsendable(sql)) is not None:
        at, what = found
        raise QueryError(f"the statement holds {what} on line {sql.count(chr(10), 0, at) + 1}, "
                         "which the databases cannot receive as written")
    parts: list[str] = []
    names: list[str] = []
    places: list[int] = []
    last = 0
    # The two significant tokens before the current one, for IN detection.
    before = before2 = ""
    anywhere = not lexicon.statements_need_separators
    lead = ""  # a statement's first word, while its second is awaited
    control = ""
    # Inside CREATE ... (a SQLite trigger's BEGIN ... END, a PostgreSQL BEGIN ATOMIC
    # body): the depth of BEGIN/CASE ... END, within which ";" starts no statement.
    creating, depth = False, 0
    last_char = len(sql) - 1
    for kind, start, end in lexicon.spans(sql):
        if end >= last_char and (what := lexicon.unclosed(kind, sql, start, end)):
            raise QueryError(f"the statement's {what} starting on line "
                             f"{sql.count(chr(10), 0, start) + 1} is not closed: the "
                             "database would refuse it, reading the rest as part of it")
        if kind in TRIVIA:
            continue
        upper = sql[start:end].upper() if kind == WORD else ""
        if lead:
            word = upper if kind == WORD else sql[start:end]
            if lead == "ROLLBACK" and word in ("TRANSACTION", "WORK") and not anywhere:
                continue  # ROLLBACK TRANSACTION TO SAVEPOINT: the next word decides
            if _controls_transaction(lead, word, anywhere=anywhere) and not control:
                control = f"{lead} TRANSACTION" if lead in ("START", "PREPARE") else lead
            lead = ""
        if kind == WORD and (anywhere or (before in ("", ";") and not depth)):
            creating = upper == "CREATE"
            if not creating:
                lead = upper
        elif creating and upper in ("BEGIN", "CASE"):
            depth += 1
        elif creating and upper == "END" and depth:
            depth -= 1
        if kind == PARAM:
            parts.append(sql[last:start])
            names.append(sql[start + 1:end])
            places.append(_IN_BARE if before == "IN"
                          else _IN_PARENS if before == "(" and before2 == "IN" else _SCALAR)
            last = end
        elif kind == FOREIGN:
            line = sql.count("\n", 0, start) + 1
            mark = sql[start:end]
            # :é, x:b, :a::int -- meant as a :name, but not one: say what one is
            hint = (" (a :name is ASCII letters, digits and _, not joined to other name "
                    "characters, :: or ()") if mark.startswith(":") else ""
            raise ParameterError(
                f"{mark!r} (line {line}) is a placeholder the database would bind "
                f"by position; write :name parameters only{hint}")
        before2 = before
        before = sql[start:end].upper() if kind in (WORD, OTHER) else kind
    parts.append(sql[last:])
    if lead and not control and _controls_transaction(lead, "", anywhere=anywhere):
        control = lead
    return Scan(parts, names, places, control)


def find_unsendable(sql: str) -> tuple[int, str] | None:
    """Where ``sql`` holds a character no database receives as written (a NUL, a lone
    surrogate), and what it is; None when it holds none."""
    bad = _UNSENDABLE.search(sql)
    if bad is None:
        return None
    char = sql[bad.start()]
    what = "a NUL character" if char == "\x00" else "a lone surrogate"
    return bad.start(), f"{what} (U+{ord(char):04X})"


# What may follow BEGIN in a statement that begins a transaction (not a block).
_BEGIN_TRANSACTION = frozenset({"", ";", "TRANSACTION", "TRAN", "WORK", "ISOLATION", "READ",
                                "NOT", "DEFERRABLE", "DEFERRED", "IMMEDIATE", "EXCLUSIVE",
                                "DISTRIBUTED"})


def _controls_transaction(first: str, second: str, *, anywhere: bool) -> bool:
    """Whether a statement starting with words ``first`` ``second`` begins or ends a
    transaction. ``anywhere``: T-SQL, where ``BEGIN``/``END`` also delimit blocks and
    only its reserved words count (``COMMIT``, ``ROLLBACK``, ``BEGIN TRAN``)."""
    if first == "COMMIT":
        return True
    if first == "ROLLBACK":
        return second != "TO"  # ROLLBACK TO SAVEPOINT stays inside the transaction
    if first == "BEGIN":
        return (second in ("TRANSACTION", "TRAN", "DISTRIBUTED") if anywhere
                else second in _BEGIN_TRANSACTION)
    if anywhere:
        return False
    if first in ("END", "ABORT"):
        return True
    return first in ("START", "PREPARE") and second == "TRANSACTION"


def scan(sql: str, lexicon: Lexicon) -> tuple[list[str], list[str]]:
    """The literal parts of ``sql`` and its parameter names, in order."""
    found = scan_statement(sql, lexicon)
    return found.parts, found.names


# Statements longer than this are cached apart, eight of them: the cache of 2,048 kept
# each statement's text, so long statements that differ by a literal (an inline
# document, a generated VALUES list) held up to 2,048 of them, megabytes each, for the
# life of the process. Compiling 1 MB takes about 30 ms; sending it costs as much.
LONG_STATEMENT = 16_384


def compile_sql(sql: str, style: Style, lexicon: Lexicon) -> Compiled:
    """Compile (and cache) ``sql`` for ``style`` by ``lexicon``'s rules."""
    if len(sql) <= LONG_STATEMENT:
        return _compile_short(sql, style, lexicon)
    return _compile_long(sql, style, lexicon)


def _compile(sql: str, style: Style, lexicon: Lexicon) -> Compiled:
    found = scan_statement(sql, lexicon)
    parts, names = found.parts, found.names
    # Each name's number, in order of first appearance (a dict: a statement may hold
    # 100,000 parameters, and a list's lookups made that quadratic).
    numbers: dict[str, int] = {}
    for name in names:
        numbers.setdefault(name, len(numbers) + 1)
    order = list(numbers)
    marks = ["?"] * len(names) if style == "qmark" else [f"${numbers[n]}" for n in names]
    out = [parts[0]]
    one = [parts[0]]
    for mark, part, place in zip(marks, parts[1:], found.places, strict=True):
        out += (mark, part)
        one += (f"({mark})" if place == _IN_BARE else mark, part)
    return Compiled(
        parts=tuple(parts), names=tuple(names), style=style, sql="".join(out),
        one_value_sql="".join(one),
        unique_names=frozenset(names), order=tuple(order),
        in_list=tuple(place != _SCALAR for place in found.places),
        bare_in=tuple(place == _IN_BARE for place in found.places),
        transaction_control=found.transaction_control,
        session_dependent=_read_otherwise(sql, lexicon, found),
    )


_compile_short = lru_cache(maxsize=2048)(_compile)
_compile_long = lru_cache(maxsize=8)(_compile)


def _read_otherwise(sql: str, lexicon: Lexicon, found: Scan) -> bool:
    """Whether a session reading backslash escapes in every '...' would split ``sql``
    otherwise (or refuse it). Only a text holding a backslash can differ."""
    other = lexicon.backslash_reading
    if other is None or "\\" not in sql:
        return False
    try:
        again = scan_statement(sql, other)
    except (ParameterError, QueryError):
        return True
    return (again.parts, again.names, again.places, again.transaction_control) != (
        found.parts, found.names, found.places, found.transaction_control)


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
    # dollar: a name's placeholders, without parentheses, reused at each occurrence
    numbers: dict[tuple[str, bool], str] = {}
    for name, part, in_list, bare in zip(compiled.names, compiled.parts[1:], compiled.in_list,
                                         compiled.bare_in, strict=True):
        value = params[name]
        key = (name, in_list)
        if compiled.style == "dollar" and key in numbers:
            text = numbers[key]
        else:
            items: Sequence[Any] = (value,)
            if in_list and isinstance(value, list | tuple | dict):
                items = _in_list(name, value)
            if compiled.style == "qmark":
                text = ", ".join("?" * len(items))
            else:
                start = len(values) + 1
                text = ", ".join(f"${k}" for k in range(start, start + len(items)))
            numbers[key] = text
            values.extend(items)
        out.append(f"({text})" if bare else text)
        out.append(part)
    if max_params is not None and len(values) > max_params:
        raise _too_many(len(values), max_params)
    return "".join(out), tuple(values)


def _in_list(name: str, value: list[Any] | tuple[Any, ...] | dict[Any, Any]) -> tuple[Any, ...]:
    """The values of the list or tuple given after ``IN``, read once (a subclass's own
    ``__len__`` cannot differ from what is bound). A dict, an empty list and a list
    holding lists or dicts are refused: on SQLite such a value went as JSON text and
    silently matched nothing."""
    if isinstance(value, dict):
        raise ParameterError(f"parameter :{name}: an IN list takes a list or tuple of "
                             "values, not a dict")
    try:
        items = tuple(value)
    except Exception as exc:  # the subclass's own iteration failed
        raise ParameterError(f"parameter :{name}: the IN list cannot be read: "
                             f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    if not items:
        raise ParameterError(
            f"parameter :{name} is an empty list; an IN list needs at least one value")
    for item in items:
        if isinstance(item, list | tuple | dict):
            raise ParameterError(f"parameter :{name}: an IN list holds single values, not "
                                 f"a {type(item).__name__}")
    return items


def _too_many(count: int, limit: int) -> ParameterError:
    return ParameterError(
        f"{count} parameters exceed the database's limit of {limit}; "
        "split the IN list or use exec_many / bulk insert"
    )


def _check_names(compiled: Compiled, params: Mapping[str, Any]) -> None:
    # A key that is not text can name no parameter, and could not be sorted with the
    # others below; it is shown by its type alone (its own __repr__ may fail, or say
    # anything).
    for key in params:
        if not isinstance(key, str):
            raise ParameterError(f"parameter names are text, not {type(key).__name__}")
    missing = sorted(compiled.unique_names - params.keys())
    unknown = sorted(params.keys() - compiled.unique_names)
    problems = []
    if missing:
        problems.append("missing " + ", ".join(f":{m}" for m in missing))
    if unknown:
        problems.append("unknown " + ", ".join(_shown_key(u) for u in unknown[:10]))
        if any(_NAME.fullmatch(u) is None for u in unknown):
            # :é or :1a in the statement was no parameter to the compiler: say why
            problems[-1] += " (a :name is ASCII letters, digits and _, not starting with a digit)"
    raise ParameterError("parameters: " + "; ".join(problems))


def _shown_key(key: str) -> str:
    """An unknown key for the refusal: as ``:key`` when a short printable name, else
    escaped and cut, as the caller's key may be any text (a lone surrogate, which no
    UTF-8 stream can write; a terminal's escape; a whole document)."""
    if key.isprintable() and len(key) <= 60:
        return f":{key}"
    return f":{key[:60]!r}" + ("..." if len(key) > 60 else "")
