"""Scanning result rows into dataclass row models, dicts or scalars, by column name.

For each (target, columns, dialect) a row maker is built once and cached, like
sqlx's reflectx: it knows which column feeds which field and which columns need a
conversion on this database. For a dataclass the maker is generated Python code
that calls the model with the columns in place, which is what a hand-written loop
would do, so scanning costs no more than writing that loop by hand. A result
column with no destination field is an error unless the caller asks for lenient
mapping.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from itertools import starmap
from typing import Any

from monozu.db.dialects.base import Dialect
from monozu.db.errors import MappingError
from monozu.db.values import Converter

RowMaker = Callable[[Sequence[Any]], Any]
_NONE = type(None)


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


@lru_cache(maxsize=512)
def _model_fields(model: type) -> tuple[tuple[str, Any, bool, bool], ...]:
    """(name, logical type, nullable, required) per field, hints resolved once."""
    hints = typing.get_type_hints(model)
    out = []
    for f in dataclasses.fields(model):
        base, nullable = logical_type(hints.get(f.name, Any))
        required = (f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING and f.init)
        out.append((f.name, base, nullable, required))
    return tuple(out)


def make_row_maker(target: Any, columns: tuple[str, ...], dialect: Dialect,
                   lenient: bool = False,
                   types_: tuple[tuple[str, Any], ...] | None = None) -> RowPlan:
    return _make_row_maker(target, columns, dialect, lenient, types_)


@lru_cache(maxsize=1024)
def _make_row_maker(target: Any, columns: tuple[str, ...], dialect: Dialect, lenient: bool,
                    types_: tuple[tuple[str, Any], ...] | None) -> RowPlan:
    if dataclasses.is_dataclass(target) and isinstance(target, type):
        return _dataclass_maker(target, columns, dialect, lenient)
    if target is dict:
        return RowPlan(make=_dict_maker(columns, dialect, dict(types_ or ())))
    return RowPlan(make=_scalar_maker(target, columns, dialect))


def _dataclass_maker(model: type, columns: tuple[str, ...], dialect: Dialect,
                     lenient: bool) -> RowPlan:
    fields = _model_fields(model)
    by_name = {f[0]: f for f in fields}
    seen: set[str] = set()
    args: list[tuple[str, str]] = []  # (field, expression)
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
        name, base, nullable, _ = info
        conv = dialect.reader(base)
        if conv is None:
            expr = f"r[{index}]"
        else:
            env[f"_c{index}"] = conv
            # Non-nullable fields skip the None test, as a hand-written loop would.
            expr = (f"(None if r[{index}] is None else _c{index}(r[{index}]))"
                    if nullable else f"_c{index}(r[{index}])")
        args.append((name, expr))
    missing = [f[0] for f in fields if f[3] and f[0] not in seen]
    if missing:
        raise MappingError(
            f"{model.__name__} field(s) {', '.join(missing)} have no column in the result"
        )
    if [expr for _, expr in args] == [f"r[{i}]" for i in range(len(columns))] \
            and [a[0] for a in args] == [f[0] for f in fields[: len(args)]]:
        # Columns in field order, nothing to convert: the model takes the row as it is.
        return RowPlan(make=lambda row: model(*row), star=model)
    if [a[0] for a in args] == [f[0] for f in fields[: len(args)]]:
        body = ", ".join(expr for _, expr in args)  # positional: cheaper than keywords
    else:
        body = ", ".join(f"{name}={expr}" for name, expr in args)
    # The whole result is built by one generated list comprehension: exactly the loop
    # one would write by hand, with no extra call per row.
    source = (f"def make(r):\n    return _M({body})\n"
              f"def make_all(rows):\n    return [_M({body}) for r in rows]\n")
    exec(compile(source, f"<row maker {model.__name__}>", "exec"), env)  # noqa: S102
    return RowPlan(make=env["make"], make_all=env["make_all"])


def _dict_maker(columns: tuple[str, ...], dialect: Dialect,
                types_: Mapping[str, Any]) -> RowMaker:
    unknown = set(types_) - set(columns)
    if unknown:
        raise MappingError(f"types given for column(s) not in the result: {sorted(unknown)}")
    convs: list[Converter | None] = [
        dialect.reader(logical_type(types_[c])[0]) if c in types_ else None for c in columns
    ]
    if not any(convs):
        return lambda row: dict(zip(columns, row, strict=True))

    def make(row: Sequence[Any]) -> dict[str, Any]:
        return {
            c: (v if f is None or v is None else f(v))
            for c, v, f in zip(columns, row, convs, strict=True)
        }

    return make


def _scalar_maker(target: Any, columns: tuple[str, ...], dialect: Dialect) -> RowMaker:
    if len(columns) != 1:
        raise MappingError(
            f"scanning into {getattr(target, '__name__', target)} needs exactly one column, "
            f"the result has {len(columns)}: {', '.join(columns)}"
        )
    base = logical_type(target)[0] if target is not None else None
    conv = dialect.reader(base) if base is not None else None
    if conv is None:
        return lambda row: row[0]
    return lambda row: None if row[0] is None else conv(row[0])


@dataclasses.dataclass(frozen=True, slots=True)
class RowPlan:
    """How to build one result row; ``star`` is set when the target takes rows as they are."""

    make: RowMaker
    star: Any = None
    make_all: Callable[[Sequence[Sequence[Any]]], list[Any]] | None = None

    def all(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        if self.star is not None:
            return list(starmap(self.star, rows))  # no Python frame per row
        if self.make_all is not None:
            return self.make_all(rows)
        return list(map(self.make, rows))
