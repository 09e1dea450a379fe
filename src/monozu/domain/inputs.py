"""Every public service call checks its arguments against its own signature.

A caller may pass anything: text as bytes, a bool for a count, a naive time, an id that is
not a ``UUID``. Left alone such a value fails deep inside a rule (``AttributeError``,
``TypeError``) or differently on each database (SQLite finds no row, PostgreSQL refuses the
cast). :func:`checked` wraps each public method of a service class so that every
parameter annotated with a plain type (``str``, ``int``, ``float``, ``bool``,
``uuid.UUID``, ``datetime``, ``timedelta``, optionally ``| None``), and every such field of
a dataclass argument, is refused up front with a :class:`ValidationError` naming it.
Values of subclasses are passed on as the plain type's value, so a ``str`` subclass's own
``strip`` or a ``UUID`` subclass's ``__str__`` never runs inside a rule.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from monozu.db.sqlparams import find_unsendable
from monozu.db.values import MAX_JSON_DEPTH, has_offset, json_refusal
from monozu.domain.errors import ValidationError

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
R = TypeVar("R", int, timedelta)
# A secret a caller presents (a device or provisioning key) is left to its own check,
# which refuses every bad one alike, whatever its type, and never says how it was bad.
Credential = Annotated[str, "credential"]
# The longest period a service setting may span (a grace period, a token lifetime): long
# enough for any policy, short enough that a time plus it stays inside year 9999.
MAX_PERIOD = timedelta(days=3660)
_UUID_INT = uuid.UUID.__dict__["int"].__get__
_SIMPLE = (str, bool, int, float, uuid.UUID, datetime, timedelta)
_NAMES = {str: "text", bool: "True or False", int: "a whole number", float: "a number",
          uuid.UUID: "a UUID", datetime: "a datetime with a time zone",
          timedelta: "a timedelta"}


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text alike on every database, None if it can:
    the characters the layer refuses in statement text, a NUL or a lone surrogate."""
    found = find_unsendable(value)
    return None if found is None else f"contains {found[1]}"


def shown_number(value: object) -> str:
    """A number as a refusal shows it. An int past 64 bits is shown by its size: one of
    more than 4,300 digits cannot even be turned into text (Python raises ValueError)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"a whole number of {value.bit_length()} bits"
    return str(value)


def check_range(field: str, value: R, low: R, high: R) -> R:
    """A setting within its bounds (the type was checked by the signature)."""
    if not low <= value <= high:
        raise ValidationError(f"{field} must be from {low} to {high}; "
                              f"got {shown_number(value)}")
    return value


def json_size(field: str, value: object) -> int:
    """The size in bytes of a JSON object or array as compact UTF-8 text; anything that
    is not such a document (NaN, a set, a lone surrogate, nesting deeper than the layer
    takes) is refused naming ``field``."""
    if not isinstance(value, dict | list):
        raise ValidationError(f"{field} must be a JSON object or array")
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(text.encode("utf-8"))
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError) as exc:
        raise ValidationError(f"{field} is not a JSON document: {exc}") from None
    # How deep json.dumps goes before it fails depends on the recursion limit, which a
    # tool run in the same process may have raised: a text long enough to be nested
    # deeper than the layer takes is walked, without recursion (a walk of every
    # document would cost an edge event's ingest a third more).
    if len(text) > 2 * MAX_JSON_DEPTH and (refusal := json_refusal(value)) is not None:
        raise ValidationError(f"{field} is not a JSON document: {refusal}")
    return size


def listed(field: str, values: Iterable[T]) -> list[T]:
    """A collection argument as a list; text is refused, not split into characters."""
    if isinstance(values, str | bytes | bytearray | Mapping) or not isinstance(values, Iterable):
        raise ValidationError(f"{field} takes a list of values; got {type(values).__name__}")
    return list(values)


def _plain(field: str, value: object, kind: type) -> object | None:
    """``value`` as a plain ``kind``; None when it is not one."""
    if kind is bool:
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):  # a bool is an int, and a number, only to Python
        return None
    if kind is str and isinstance(value, str):
        text = str.__str__(value)
        why = text_problem(text)
        if why is not None:
            raise ValidationError(f"{field} {why}, which cannot be stored")
        return text
    if kind is int and isinstance(value, int):
        return int.__index__(value)
    if kind is float and isinstance(value, int | float):
        number = float.__float__(value) if isinstance(value, float) else value
        if isinstance(number, float) and not math.isfinite(number):
            raise ValidationError(f"{field} must be a finite number; got {number}")
        return number
    if kind is uuid.UUID and isinstance(value, uuid.UUID):
        return uuid.UUID(int=_UUID_INT(value))
    if kind is datetime and isinstance(value, datetime):
        if not has_offset(value):
            raise ValidationError(f"{field} must carry a time zone (a timezone-aware "
                                  f"datetime); got {datetime.isoformat(value)}")
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(f"{field} {datetime.isoformat(value)} is outside the "
                                  "years 1 to 9999 in UTC") from None
        return value
    if kind is timedelta and isinstance(value, timedelta):
        return value
    return None


def _kinds(hint: object) -> tuple[tuple[type, ...], bool] | None:
    """The plain types a hint allows and whether it allows None; None if it is not only
    plain types (a list, a dataclass, an alias: their own checks apply)."""
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) \
        or typing.get_origin(hint) is typing.Union else (hint,)
    optional = type(None) in args
    kinds = tuple(a for a in args if a is not type(None))
    if not kinds or not all(a in _SIMPLE for a in kinds):
        return None
    return kinds, optional


Check = Callable[[object], object]


def checker(field: str, hint: object) -> Check | None:
    """The check of one parameter with this hint, None when the hint asks for none."""
    if typing.get_origin(hint) is Annotated:
        if "credential" in hint.__metadata__:  # type: ignore[attr-defined]
            return None
        hint = typing.get_args(hint)[0]
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return functools.partial(_check_fields, field, hint)
    allowed = _kinds(hint)
    if allowed is None:
        return None
    kinds, optional = allowed
    wanted = " or ".join(_NAMES[k] for k in kinds)

    def check(value: object) -> object:
        if value is None:
            if optional:
                return None
            raise ValidationError(f"{field} is required")
        for kind in kinds:
            plain = _plain(field, value, kind)
            if plain is not None:
                return plain
        raise ValidationError(f"{field} must be {wanted}; got {type(value).__name__}")

    return check


def check_value(field: str, value: object, hint: object) -> object:
    """``value`` checked against a parameter's type hint (see the module docstring)."""
    check = checker(field, hint)
    return value if check is None else check(value)


def _check_fields(field: str, cls: Any, value: object) -> object:
    fields, hints = dataclasses.fields(cls), _field_hints(cls)
    if type(value) is not cls:
        raise ValidationError(f"{field} must be a {cls.__name__}; got {type(value).__name__}")
    changes = {f.name: check_value(f"{field}.{f.name}", getattr(value, f.name), hints[f.name])
               for f in fields if f.name in hints}
    return dataclasses.replace(typing.cast(Any, value), **changes)


@functools.cache
def _field_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def checked_call(method: F) -> F:
    """``method`` checking the arguments it is given (see the module docstring); defaults
    are the method's own and are not checked. The checks are worked out at the first call,
    once every name the hints use is defined."""
    positional = [p.name for p in inspect.signature(method).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    checks: dict[str, Check] = {}
    ready = False

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal ready
        if not ready:
            hints = typing.get_type_hints(method, include_extras=True)
            for name, hint in hints.items():
                check = None if name == "return" else checker(name, hint)
                if check is not None:
                    checks[name] = check
            ready = True
        if len(args) > len(positional):
            return method(*args, **kwargs)  # Python's own error for a wrong call
        values = [v if (c := checks.get(n)) is None else c(v)
                  for n, v in zip(positional, args, strict=False)]
        for name, value in kwargs.items():
            check = checks.get(name)
            if check is not None:
                kwargs[name] = check(value)
        return method(*values, **kwargs)

    return typing.cast(F, call)


def checked(cls: C) -> C:
    """``cls`` with every public method, and its constructor, checking its arguments
    (module docstring)."""
    for name, member in list(vars(cls).items()):
        if (not name.startswith("_") or name == "__init__") and inspect.isfunction(member):
            setattr(cls, name, checked_call(member))
    return cls
