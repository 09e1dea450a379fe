"""Binding many parameter rows at once, for ``exec_many``.

The per-value conversion (a UUID to bytes, a NUL check on text, JSON to text) is
what makes a Python batch insert slow, so for each statement the binder generates
one list comprehension specialised on the types of the first row: each position
gets an inline expression that handles its expected type directly and hands any
other value to the dialect's general :meth:`Dialect.adapt`. Every value is still
checked; only the common case skips a function call.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from monozu.db.dialects.base import Dialect
from monozu.db.errors import ParameterError
from monozu.db.sqlparams import Compiled, bind
from monozu.db.values import UNSENDABLE, find_refusal, refusal

Binder = Callable[[Iterable[Mapping[str, Any]]], list[tuple[Any, ...]]]

_NAMES = {str: "_str", uuid.UUID: "_UUID", int: "_int", float: "_float", bool: "_bool",
          datetime: "_datetime", type(None): "_none"}


def bind_rows(compiled: Compiled, dialect: Dialect,
              rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Positional value tuples for every row (raises :class:`ParameterError`)."""
    if not isinstance(rows, Sequence):
        return _bind_as_they_come(compiled, dialect, rows)
    if not rows:
        return []
    binder = _binder_for(compiled, dialect, rows[0])
    try:
        batch = binder(rows)
    except (KeyError, _WrongKeys):
        raise _mismatch(compiled, rows) from None
    except UNSENDABLE as exc:
        for number, params in enumerate(rows, 1):  # a tuple, a list: the TypeError's
            if not isinstance(params, Mapping):
                raise not_a_mapping(params, f"row {number}: ") from None
        refused = rows_refusal(dialect, rows, exc)
        raise refused from refused.__cause__
    if True in compiled.in_list:
        _refuse_in_lists(compiled, rows)
    return batch


def _bind_as_they_come(compiled: Compiled, dialect: Dialect,
                       rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows from an iterator (a generator), each bound as it comes: a source may refill
    one mapping, or one value, for every row, which reading them all first turned into
    copies of the last. A refusal names the row it comes from; an exception of the
    source itself goes out unchanged."""
    state: list[Any] = [0, None, None]  # rows taken, the last one, the source's error

    def taken() -> Iterator[Mapping[str, Any]]:
        source = iter(rows)
        while True:
            try:
                params = next(source)
            except StopIteration:
                return
            except Exception as exc:
                state[2] = exc
                raise
            state[0] += 1
            state[1] = params
            if True in compiled.in_list and isinstance(params, Mapping):
                try:
                    _refuse_in_lists(compiled, [params], first=state[0])
                except ParameterError as refused:  # named already: goes out as it is
                    state[2] = refused
                    raise
            yield params

    stream = taken()
    first = next(stream, None)
    if first is None and state[0] == 0:
        return []
    binder = _binder_for(compiled, dialect, first)
    try:
        return binder(itertools.chain((cast("Mapping[str, Any]", first),), stream))
    except Exception as exc:
        if exc is state[2]:  # the source's own, or a refusal that names its row
            raise
        last, number = state[1], state[0]
        if not isinstance(last, Mapping):
            raise not_a_mapping(last, f"row {number}: ") from None
        if isinstance(exc, KeyError | _WrongKeys):
            raise _mismatch(compiled, [last], first=number) from None
        if isinstance(exc, UNSENDABLE):
            refused = rows_refusal(dialect, [last], exc, first=number)
            raise refused from refused.__cause__
        raise


def _binder_for(compiled: Compiled, dialect: Dialect, first: Any) -> Binder:
    """The binder specialised on the types of the first row's values."""
    if not isinstance(first, Mapping):
        raise not_a_mapping(first, "row 1: ")
    names = compiled.names if compiled.style == "qmark" else compiled.order
    try:
        signature = tuple(type(first[n]) for n in names)
    except KeyError:
        raise _mismatch(compiled, [first]) from None
    return _binder(names, signature, dialect)


def _mismatch(compiled: Compiled, rows: Sequence[Mapping[str, Any]], *,
              first: int = 1) -> ParameterError:
    """The first row whose names differ from the statement's, named precisely (rows
    counted from ``first``)."""
    for number, params in enumerate(rows, first):
        if params.keys() != compiled.unique_names:
            try:
                bind(compiled, params)
            except ParameterError as exc:
                return ParameterError(f"row {number}: {exc}")
    return ParameterError("parameter rows do not match the statement")


def _refuse_in_lists(compiled: Compiled, rows: Sequence[Mapping[str, Any]], *,
                     first: int = 1) -> None:
    """exec_many binds one value a parameter: a list after IN would go as one JSON
    value and match nothing, where exec expands it."""
    listed = {n for n, in_list in zip(compiled.names, compiled.in_list, strict=True) if in_list}
    for number, params in enumerate(rows, first):
        for name in listed:
            value = params[name]
            if isinstance(value, list | tuple):
                raise ParameterError(
                    f"row {number}, :{name}: exec_many binds one value a parameter and "
                    "does not expand IN lists; run exec for each row instead")
            if isinstance(value, dict):  # a JSON object: compared with it, nothing matches
                raise ParameterError(f"row {number}, :{name}: a dict after IN would go as "
                                     "one JSON value and match nothing; pass a single value")


def not_a_mapping(params: object, where: str = "") -> ParameterError:
    """The refusal of parameters given as something other than a name -> value mapping."""
    return ParameterError(f"{where}parameters must be a mapping of names to values "
                          f"(such as a dict), not {type(params).__name__}")


def rows_refusal(dialect: Dialect, rows: Sequence[Mapping[str, Any]],
                 exc: BaseException, *, first: int = 1) -> ParameterError:
    """The refusal of a value in ``rows``, naming its row (counted from ``first``) and
    parameter."""
    for number, params in enumerate(rows, first):
        found = find_refusal(dialect.adapt, ((f":{k}", v) for k, v in params.items()),
                             f"row {number}")
        if found is not None:
            return found
    return refusal(exc)


class _WrongKeys(Exception):
    pass


def _wrong_keys(params: Mapping[str, Any]) -> bool:
    raise _WrongKeys


@lru_cache(maxsize=256)
def _binder(names: tuple[str, ...], signature: tuple[type, ...], dialect: Dialect) -> Binder:
    env: dict[str, Any] = {"_g": dialect.adapt, "_bad": _wrong_keys, "_n": len(set(names))}
    env.update({alias: t for t, alias in _NAMES.items()})
    env.update(dialect.inline_env)
    inline = dialect.inline_adapters
    exprs = []
    for name, kind in zip(names, signature, strict=True):
        key = repr(name)
        template = inline.get(kind)
        if template is None:
            exprs.append(f"_g(p[{key}])")
        else:
            exprs.append("(" + template.format(x=f"p[{key}]") + ")")
    row = ", ".join(exprs) + ("," if len(exprs) == 1 else "")
    source = (
        "def bind_all(rows):\n"
        f"    return [({row}) for p in rows if len(p) == _n or _bad(p)]\n"
    )
    exec(compile(source, "<row binder>", "exec"), env)  # noqa: S102
    binder: Binder = env["bind_all"]
    return binder
