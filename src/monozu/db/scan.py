"""Scanning result rows into dataclass row models, dicts or scalars, by column name.

For each (target, columns, dialect) a row maker is built once and cached, like
sqlx's reflectx: it knows which column feeds which field and which columns need a
conversion on this database. For a dataclass the maker is generated Python code
that calls the model with the columns in place, which is what a hand-written loop
would do, so scanning costs no more than writing that loop by hand. A result
column with no destination field is an error unless the caller asks for lenient
mapping.

A type the caller names (``get_value(type=T)``, a scalar row type, ``types={...}``) is
a promise: the value is converted to it or the read fails. Every value that cannot be
read is a :class:`MappingError` naming its column and the type, the converter's own
exception as its cause.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import starmap
from operator import itemgetter
from typing import Any

from monozu.db.dialects.base import Dialect
from monozu.db.errors import MappingError
from monozu.db.values import MAX_JSON_DEPTH, Converter

RowMaker = Callable[[Sequence[Any]], Any]
_NONE = type(None)

# What a converter or a row model raises for a value it cannot take. A result that
# fails with one of these is looked at again, value by value, to name the column.
READ_FAILURES: tuple[type[Exception], ...] = (
    TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)


def logical_type(annotation: Any) -> tuple[Any, bool]:
    """The field's base type for conversion and whether it accepts None.

    ``dict[...] | list[...]`` (a JSON document) is reported as ``"json"``.
    """
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not _NONE]
        nullable = len(args) != len(typing.get_args(annotation))
        if args and all(typing.get_origin(a) in (dict, list) or a in (dict, list) for a in args):
            return "json", nullable
        if len(args) == 1:
            base, _ = logical_type(args[0])
            return base, nullable
        return None, nullable
    if origin in (dict, list) or annotation in (dict, list):
        return "json", False
    if annotation is Any:
        return None, True
    return annotation, False


class _Field(typing.NamedTuple):
    name: str
    base: Any  # logical_type's
    nullable: bool
    required: bool
    kinds: tuple[type, ...]  # a JSON field's: dict, list or both


@lru_cache(maxsize=512)
def _model_fields(model: type) -> tuple[_Field, ...]:
    """Each field's facts, hints resolved once."""
    hints = typing.get_type_hints(model)
    out = []
    for f in dataclasses.fields(model):
        hint = hints.get(f.name, Any)
        base, nullable = logical_type(hint)
        required = (f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING and f.init)
        out.append(_Field(f.name, base, nullable, required,
                          _json_kinds(hint) if base == "json" else ()))
    return tuple(out)


def make_row_maker(target: Any, columns: tuple[str, ...], dialect: Dialect,
                   lenient: bool = False,
                   types_: tuple[tuple[str, Any], ...] | None = None, *,
                   value: bool = False, given: tuple[Any, ...] | None = None) -> RowPlan:
    """How to build each row of a result as ``target``: a dataclass, ``dict`` or a scalar.

    ``value`` is ``get_value``'s reading of its one column, where ``dict`` is the
    column's JSON document as ``list`` is; for ``select`` and ``get`` ``dict`` is the
    row as a dict. ``given`` is the dialect's ``given_types`` of the result: a field of
    the very type its column always gives takes the values unchecked.
    """
    return _make_row_maker(target, columns, dialect, lenient, types_, value=value,
                           given=given)


@lru_cache(maxsize=1024)
def _make_row_maker(target: Any, columns: tuple[str, ...], dialect: Dialect, lenient: bool,
                    types_: tuple[tuple[str, Any], ...] | None, *, value: bool,
                    given: tuple[Any, ...] | None) -> RowPlan:
    if dataclasses.is_dataclass(target) and isinstance(target, type):
        return _dataclass_maker(target, columns, dialect, lenient, given)
    if target is dict and not value:
        return _dict_maker(columns, dialect, dict(types_ or ()))
    return _scalar_maker(target, columns, dialect)


def _dataclass_maker(model: type, columns: tuple[str, ...], dialect: Dialect,
                     lenient: bool, given: tuple[Any, ...] | None) -> RowPlan:
    fields = _model_fields(model)
    by_name = {f.name: f for f in fields}
    seen: set[str] = set()
    args: list[tuple[str, str]] = []  # (field, expression)
    readers: list[ColumnReader] = []
    env: dict[str, Any] = {"_M": model}
    for index, column in enumerate(columns):
        info = by_name.get(column)
        if info is None:
            if lenient:
                continue
            raise MappingError(
                f"column {column!r} has no field in {model.__name__} "
                "(select only the model's columns, alias it, or use lenient=True)"
            )
        if column in seen:
            raise MappingError(f"column {column!r} appears twice in the result")
        seen.add(column)
        field = _field_read(info, dialect, given[index] if given else None, index, env)
        if field is None:
            expr = f"r[{index}]"
        else:
            expr, read = field
            readers.append(ColumnReader(index, column,
                                        f"{_type_name(info.base)} ({model.__name__}."
                                        f"{info.name})", read, info.nullable))
        args.append((info.name, expr))
    missing = [f.name for f in fields if f.required and f.name not in seen]
    if missing:
        raise MappingError(
            f"{model.__name__} field(s) {', '.join(missing)} have no column in the result"
        )
    if [expr for _, expr in args] == [f"r[{i}]" for i in range(len(columns))] \
            and [a[0] for a in args] == [f.name for f in fields[: len(args)]]:
        # Columns in field order, nothing to convert: the model takes the row as it is.
        return RowPlan(make=lambda row: model(*row), star=model, target=model.__name__)
    if [a[0] for a in args] == [f.name for f in fields[: len(args)]]:
        body = ", ".join(expr for _, expr in args)  # positional: cheaper than keywords
    else:
        body = ", ".join(f"{name}={expr}" for name, expr in args)
    # The whole result is built by one generated list comprehension: exactly the loop
    # one would write by hand, with no extra call per row.
    source = (f"def make(r):\n    return _M({body})\n"
              f"def make_all(rows):\n    return [_M({body}) for r in rows]\n")
    exec(compile(source, f"<row maker {model.__name__}>", "exec"), env)  # noqa: S102
    return RowPlan(make=env["make"], make_all=env["make_all"], readers=tuple(readers),
                   target=model.__name__)


def _field_read(field: _Field, dialect: Dialect, given: Any, index: int,
                env: dict[str, Any]) -> tuple[str, Converter] | None:
    """The expression reading ``r[index]`` into ``field``, with the names it uses added
    to ``env``, and the same reading as a function for finding a failure; None where
    the value goes in as it comes. A value is converted by the dialect's reader, or
    checked to be of the field's type (a lossless numeric conversion aside) unless the
    driver always gives that type: a hand-written loop would pass it on unchecked, and
    a field declared ``int`` would then hold SQLite's text or PostgreSQL's Decimal.

    NULL reads as None unless a converter refuses it for a field that does not allow
    None: testing every value of a result for None costs more than the goal of
    scanning at a hand-written loop's cost allows."""
    base, nullable = field.base, field.nullable
    value = f"(_v := r[{index}])"
    if base == "json":
        read = _json_reader(dialect.reader(base) or _same, field.kinds)
        env[f"_j{index}"] = read
        return (f"(None if {value} is None else _j{index}(_v))" if nullable
                else f"_j{index}(r[{index}])"), read
    settle = (_read_bool if base is bool else
              _member_of(base) if isinstance(base, type) and issubclass(base, enum.Enum) else
              _SETTLE.get(base))
    if given is base:
        return None
    conv = dialect.reader(base)
    if conv is not None:
        env[f"_c{index}"] = conv
        # Non-nullable fields skip the None test: the converter refuses None.
        return (f"(None if {value} is None else {_call(dialect, base, index, '_v', env)})"
                if nullable else _call(dialect, base, index, f"r[{index}]", env)), conv
    if settle is None:
        return None
    env.update({f"_T{index}": base, f"_s{index}": settle})
    return (f"(_v if type({value}) is _T{index} or _v is None else _s{index}(_v))",
            _settled(base, settle))


def _call(dialect: Dialect, base: Any, index: int, value: str, env: dict[str, Any]) -> str:
    """The expression converting ``value`` by the dialect's reader ``_c{index}`` (in
    ``env``), or by its inline form of that reader where it has one (a common case
    without a Python call)."""
    template = dialect.inline_readers.get(base)
    if template is None:
        return f"_c{index}({value})"
    env.update(dialect.inline_env)
    return "(" + template.format(x=value, c=f"_c{index}") + ")"


def _settled(cls: type, settle: Converter) -> Converter:
    def read(value: Any) -> Any:
        return value if value is None or type(value) is cls else settle(value)
    return read


def _member_of(cls: type[enum.Enum]) -> Converter:
    def settle(value: Any) -> Any:
        try:
            return cls(value)
        except Exception:  # the enum's own hooks may raise anything; its text would
            raise ValueError(f"not a value of {cls.__name__}") from None  # show the value
    return settle


def _dict_maker(columns: tuple[str, ...], dialect: Dialect,
                types_: Mapping[str, Any]) -> RowPlan:
    unknown = set(types_) - set(columns)
    if unknown:
        raise MappingError(f"types given for column(s) not in the result: {sorted(unknown)}")
    if len(set(columns)) != len(columns):  # a dict would keep only the last one
        twice = next(c for c in columns if columns.count(c) > 1)
        raise MappingError(f"column {twice!r} appears twice in the result")
    env: dict[str, Any] = {}
    items: list[str] = []
    readers: list[ColumnReader] = []
    for index, column in enumerate(columns):
        env[f"_k{index}"] = column
        typed = _typed_column(types_[column], dialect, index, env) if column in types_ \
            else None
        if typed is None:
            items.append(f"_k{index}: r[{index}]")
            continue
        expr, read = typed
        items.append(f"_k{index}: {expr}")
        readers.append(ColumnReader(index, column, _type_name(types_[column]), read, True))
    if not readers:
        return RowPlan(make=lambda row: dict(zip(columns, row, strict=True)), target="dict")
    return _generated("{" + ", ".join(items) + "}", env, "dict", tuple(readers))


def _scalar_maker(target: Any, columns: tuple[str, ...], dialect: Dialect) -> RowPlan:
    if len(columns) != 1:
        raise MappingError(
            f"scanning into {getattr(target, '__name__', target)} needs exactly one column, "
            f"the result has {len(columns)}: {', '.join(columns)}"
        )
    name = _type_name(target)
    env: dict[str, Any] = {}
    typed = _typed_column(target, dialect, 0, env) if target is not None else None
    if typed is None:
        return RowPlan(make=itemgetter(0), target=name)
    expr, read = typed
    return _generated(expr, env, name, (ColumnReader(0, columns[0], name, read, True),))


def _generated(expr: str, env: dict[str, Any], target: str,
               readers: tuple[ColumnReader, ...]) -> RowPlan:
    """A plan whose rows are ``expr`` of ``r``, built by one generated comprehension."""
    source = (f"def make(r):\n    return {expr}\n"
              f"def make_all(rows):\n    return [{expr} for r in rows]\n")
    exec(compile(source, f"<row maker {target}>", "exec"), env)  # noqa: S102
    return RowPlan(make=env["make"], make_all=env["make_all"], readers=readers, target=target)


# -- types a caller names -------------------------------------------------------------
#
# ``get_value(type=T)``, ``select(T, ...)`` for a scalar ``T`` and ``types={...}`` promise
# a ``T``: the dialect's reader converts what its driver gives, and the result is checked
# to be a ``T`` (a lossless numeric conversion aside), so a column of another type fails
# on every database alike instead of coming back unconverted. The check is inlined in
# the generated row code: one type test a value, no extra call.

def _typed_column(annotation: Any, dialect: Dialect, index: int,
                  env: dict[str, Any]) -> tuple[str, Converter] | None:
    """The expression reading ``r[index]`` as ``annotation`` (None passes), with the
    names it uses added to ``env``, and the same reading as a function for finding a
    failure; None where nothing is converted or checked (a type this layer does not
    know)."""
    base = logical_type(annotation)[0]
    value = f"(_v := r[{index}])"
    if base is bool:
        env.update({f"_s{index}": _read_bool, "_bool": bool})
        return f"(_v if {value} is None or type(_v) is _bool else _s{index}(_v))", _read_bool
    if isinstance(base, type) and issubclass(base, enum.Enum):  # the member, as a field
        member = _member_of(base)
        env.update({f"_T{index}": base, f"_s{index}": member})
        return (f"(_v if {value} is None or type(_v) is _T{index} else _s{index}(_v))",
                _settled(base, member))
    conv = dialect.reader(base)
    if base == "json":  # the JSON reader passes what is not text through as it is
        read = _json_reader(conv or _same, _json_kinds(annotation))
        env[f"_j{index}"] = read
        return f"(None if {value} is None else _j{index}(_v))", read
    settle = _SETTLE.get(base)
    if settle is None:
        if conv is None:
            return None
        env[f"_c{index}"] = conv
        return f"(None if {value} is None else {_call(dialect, base, index, '_v', env)})", conv
    env.update({f"_T{index}": base, f"_s{index}": settle})
    if conv is None:
        return (f"(_v if {value} is None or type(_v) is _T{index} else _s{index}(_v))",
                _checked(_same, base, settle))
    env[f"_c{index}"] = conv
    return (f"(None if {value} is None else "
            f"(_o if type(_o := _c{index}(_v)) is _T{index} else _s{index}(_o)))",
            _checked(conv, base, settle))


def _same(value: Any) -> Any:
    return value


def _checked(conv: Converter, cls: type, settle: Converter) -> Converter:
    def read(value: Any) -> Any:
        out = conv(value)
        return out if type(out) is cls else settle(out)
    return read


def _not(what: str, value: Any) -> TypeError:
    return TypeError(f"{type(value).__name__} is not {what}")


def _exactly(cls: type) -> Converter:
    def settle(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        raise _not(cls.__name__, value)
    return settle


def _settle_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _not("int", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):  # PostgreSQL's sum(bigint) is numeric
        whole = int(value)
        if whole == value:
            return whole
        raise ValueError(f"{value} is not a whole number")
    raise _not("int", value)


def _settle_float(value: Any) -> float:
    if isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # past a double: OverflowError
    if isinstance(value, Decimal):
        number = float(value)
        if number - number and value.is_finite():  # a numeric past a double: not inf
            raise OverflowError("the number is beyond a float's range")
        return number
    raise _not("float", value)


def _settle_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise _not("date", value)


def _settle_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise _not("bytes", value)


_SETTLE: dict[Any, Converter] = {
    uuid.UUID: _exactly(uuid.UUID),
    datetime: _exactly(datetime),
    date: _settle_date,
    Decimal: _exactly(Decimal),
    str: _exactly(str),
    bytes: _settle_bytes,
    int: _settle_int,
    float: _settle_float,
}


def _read_bool(value: Any) -> bool:
    # Drivers give a bool, or SQLite's 0 and 1; bool() would take any value at all.
    if type(value) is bool:
        return value
    if isinstance(value, int) and value in {0, 1}:
        return value == 1
    raise _not("a bool, 0 or 1", value)


def _json_kinds(annotation: Any) -> tuple[type, ...]:
    origin = typing.get_origin(annotation)
    args = (typing.get_args(annotation)
            if origin is typing.Union or origin is types.UnionType else (annotation,))
    kinds = {typing.get_origin(a) or a for a in args}
    return tuple(k for k in (dict, list) if k in kinds)


_JSON_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "a number", float: "a number"}


def _json_reader(conv: Converter, kinds: tuple[type, ...]) -> Converter:
    wanted = " or ".join(_JSON_NAMES[k] for k in kinds)

    def read(value: Any) -> Any:
        out = conv(value)
        if out is None or isinstance(out, kinds):  # JSON null reads as None, as NULL does
            return out
        raise TypeError(f"the JSON document is {_JSON_NAMES.get(type(out), 'not JSON')}, "
                        f"not {wanted}")

    return read


def json_loads(data: str | bytes) -> Any:
    """``json.loads`` for a driver that decodes JSON columns itself (psycopg's
    ``set_json_loads``): a document nested too deeply to decode is a MappingError."""
    try:
        return json.loads(data)
    except RecursionError as exc:
        # Raised while the driver fetches, before any column is scanned.
        raise MappingError(
            f"a JSON document in the result is nested too deeply to read (the layer "
            f"writes at most {MAX_JSON_DEPTH} levels)") from exc


def _type_name(annotation: Any) -> str:
    if annotation == "json":
        return "JSON"
    name = getattr(annotation, "__name__", None)
    return name if isinstance(name, str) else str(annotation).replace("typing.", "")


# -- building rows --------------------------------------------------------------------

class ColumnReader(typing.NamedTuple):
    """One converted column, to find which failed once a result could not be built."""

    position: int
    column: str
    what: str
    read: Converter
    nullable: bool


def _failure(readers: tuple[ColumnReader, ...], rows: Sequence[Sequence[Any]],
             target: str, exc: Exception) -> tuple[str, BaseException]:
    """The message for a result that could not be built, and its cause."""
    for row in rows:
        for index, column, what, read, nullable in readers:
            value = row[index]
            if value is None and nullable:
                continue
            try:
                read(value)
            except READ_FAILURES as err:
                given = "NULL" if value is None else type(value).__name__
                _without_value(err)
                why = _why(err)
                return f"column {column!r} cannot be read as {what} from {given}: {why}", err
    return f"cannot build {target} from a row: {exc}", exc


# What a conversion's error ends with when it quotes the value (``fromisoformat``'s
# "Invalid isoformat string: '...'"), and the attribute a JSON error keeps it in.
_QUOTED_VALUE = re.compile(r":\s*'.*'\s*\Z", re.DOTALL)


def _without_value(err: BaseException) -> None:
    """``err`` (made again for the message, then kept as its cause) without the value
    it refused: a column's value is never shown, in the message or in the cause's text
    a traceback or a log record prints (it may be a secret, or terminal escapes)."""
    err.args = tuple(_QUOTED_VALUE.sub("", a) if isinstance(a, str) else a for a in err.args)
    if isinstance(err, json.JSONDecodeError):
        err.doc = ""  # the whole document


def _why(err: BaseException) -> str:
    if isinstance(err, RecursionError):  # the only deep recursion a read has: JSON
        return "JSON nested too deeply to decode"
    if isinstance(err, InvalidOperation):  # its own text is only its signal's class
        return "not a decimal number"
    return f"{type(err).__name__}: {err}"


@dataclasses.dataclass(frozen=True, slots=True)
class RowPlan:
    """How to build one result row; ``star`` is set when the target takes rows as they are.

    ``readers`` are the converted columns, looked at again only when a result fails.
    """

    make: RowMaker
    star: Any = None
    make_all: Callable[[Sequence[Sequence[Any]]], list[Any]] | None = None
    readers: tuple[ColumnReader, ...] = ()
    target: str = ""

    def all(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        # One try around the whole loop costs nothing per row; the slow path finds the
        # failing column afterwards.
        try:
            if self.star is not None:
                return list(starmap(self.star, rows))  # no Python frame per row
            if self.make_all is not None:
                return self.make_all(rows)
            return list(map(self.make, rows))
        except READ_FAILURES as exc:
            failed = exc
        # Looked for outside the handler: the read made again for the message would
        # otherwise chain the first failure, the value it holds too, as its context.
        message, cause = _failure(self.readers, rows, self.target, failed)
        raise MappingError(message) from cause
