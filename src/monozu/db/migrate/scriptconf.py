"""Per-script configuration: ``V2__x.sql.conf`` next to ``V2__x.sql``.

Java-properties lines; only Flyway Community's keys are accepted
(``executeInTransaction``, ``encoding``, ``placeholderReplacement``). Any other key
is an error, as in Flyway. The file is not part of the checksum.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from monozu.db.migrate.errors import MigrationConfigError
from monozu.files import read_regular_text

_TEAMS_KEYS = {"shouldexecute"}


@dataclass(frozen=True, slots=True)
class ScriptConfig:
    execute_in_transaction: bool | None = None
    encoding: str | None = None
    placeholder_replacement: bool | None = None


def _key_value(line: str) -> tuple[str | None, str]:
    """A logical line's key and value, as ``java.util.Properties`` reads them: the key
    ends at the first whitespace, ``=`` or ``:`` not escaped by ``\\``; then optional
    whitespace and one ``=`` or ``:``. So ``password a=b`` is the key ``password`` with
    the value ``a=b``, never the key ``password a``. None: a word on its own."""
    key: list[str] = []
    i, n = 0, len(line)
    while i < n and line[i] not in " \t\f=:":
        if line[i] == "\\" and i + 1 < n:
            i += 1
        key.append(line[i])
        i += 1
    separated = i < n
    while i < n and line[i] in " \t\f":
        i += 1
    if i < n and line[i] in "=:":
        i += 1
    if not key or not separated:
        return None, ""
    return "".join(key), line[i:]


def setting_name(key: str, *, quote: bool = True) -> str:
    """A setting's name for a message (in quotes with ``quote``) when it looks like a
    name, else not shown: a key holding an escaped space or a separator may hold a
    piece of a value."""
    if re.fullmatch(r"[A-Za-z0-9_.\-]{1,60}", key):
        return repr(key) if quote else key
    return "(a name that is not shown)"


def parse_properties(text: str, source: str) -> dict[str, str]:
    """``key=value`` / ``key: value`` / ``key value`` lines, keys read as Java reads
    them (:func:`_key_value`); ``#`` and ``!`` comments; ``\\`` continuations; one
    leading byte order mark ignored."""
    values: dict[str, str] = {}
    logical: list[tuple[int, str]] = []
    pending = ""
    pending_line = 0
    # A leading byte order mark (editors on Windows add one) is not part of the first
    # key: Flyway drops it too.
    text = text.removeprefix("\ufeff")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip() if not pending else raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        if not pending:
            pending_line = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1]
            continue
        logical.append((pending_line, pending + line))
        pending = ""
    if pending:
        logical.append((pending_line, pending))
    for number, line in logical:
        key, value = _key_value(line)
        if key is None:
            # A word on its own: a setting whose '=' was lost, not an empty one.
            raise MigrationConfigError(f"{source}:{number}: expected name=value")
        values[key] = value.strip()
    return values


def _bool(value: str, key: str, source: str) -> bool:
    low = value.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    raise MigrationConfigError(f"{source}: {key} must be true or false, got {value!r}")


def check_encoding(name: str, source: str) -> str:
    """A text encoding Python knows (``rot13`` and ``base64`` are codecs, not text
    encodings: they cannot decode a file)."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        shown = name[:40] if name.isprintable() else "(not shown)"
        raise MigrationConfigError(f"{source}: unknown text encoding {shown!r}")
    return name


def load_script_config(path: Path) -> ScriptConfig:
    source = str(path)
    try:
        text = read_regular_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text (byte {exc.start})"
        raise MigrationConfigError(f"{source}: cannot read script config: {why}") from None
    props = parse_properties(text, source)
    in_tx: bool | None = None
    encoding: str | None = None
    replace: bool | None = None
    for key, value in props.items():
        low = key.lower()
        if low == "executeintransaction":
            in_tx = _bool(value, key, source)
        elif low == "encoding":
            encoding = check_encoding(value, source)
        elif low == "placeholderreplacement":
            replace = _bool(value, key, source)
        elif low in _TEAMS_KEYS:
            raise MigrationConfigError(
                f"{source}: {key} is a Flyway Teams setting; only executeInTransaction, "
                "encoding and placeholderReplacement are supported")
        else:
            name = setting_name(key, quote=False)
            raise MigrationConfigError(
                f"Unknown configuration property: {name} in {source}. Please check your "
                "script config files (known: executeInTransaction, encoding, "
                "placeholderReplacement)")
    return ScriptConfig(in_tx, encoding, replace)
