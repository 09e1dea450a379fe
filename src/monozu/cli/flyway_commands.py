"""``monozu flyway <verb> [-key=value ...]``: Flyway's own command line, on this runner.

A Flyway user's line works with ``flyway`` replaced by ``monozu flyway``::

    monozu flyway -url="jdbc:sqlserver://localhost:1433;databaseName=monozu;encrypt=false" \\
        -user=sa -password=... migrate

Verbs: ``migrate``, ``info``, ``validate``, ``baseline``, ``repair``, ``clean``.
Arguments are Flyway's ``-key=value`` (any order, before or after the verb):
the connection (``-url``, ``-user``, ``-password``, ``-environment``,
``-configFiles``), ``-outputType=json``, and the runner settings Flyway spells the
same way (``-locations``, ``-placeholders.<name>``, ``-target``, ``-outOfOrder``,
``-baselineOnMigrate``, ``-cleanDisabled``, ``-table``, ``-schemas``...). Anything
else is refused in one line. Unlike Flyway 12 (which exits 0 after a failed,
rolled-back migration), every failure exits non-zero: 1 the operation failed, 2 bad
usage or configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from monozu.cli.app import EXIT_USAGE, carries_secret, echo, fail
from monozu.cli.migrate_commands import (
    OPTIONS,
    baseline_cmd,
    clean_cmd,
    info_cmd,
    migrate_cmd,
    repair_cmd,
    validate_cmd,
)

VERBS: dict[str, Callable[..., Any]] = {
    "migrate": migrate_cmd, "info": info_cmd, "validate": validate_cmd,
    "baseline": baseline_cmd, "repair": repair_cmd, "clean": clean_cmd,
}
# Flyway's connection and output arguments (lower case) -> the command's option.
_CONNECTION = {"url": "url", "user": "user", "password": "password",
               "environment": "environment"}
# Accepted for compatibility, without effect here.
_IGNORED = {"skipcheckforupdate", "connectretries", "connectretriesinterval", "color",
            "x", "q", "n"}
# Names an argument may start with, quoted back even next to a secret.
_KNOWN_NAMES = {*_CONNECTION, *_IGNORED, "configfiles", "outputtype", "locations", "target",
                "outoforder", "table", "schemas"}
# May be given empty: an empty password or user name is for the driver to judge.
_MAY_BE_EMPTY = {"user", "password"}


def _ignored_problem(low: str, value: str) -> str | None:
    """Why an accepted-but-ignored argument's value is one Flyway would refuse."""
    if low in ("connectretries", "connectretriesinterval"):
        if not (value.isascii() and value.isdigit() and len(value) <= 10
                and int(value) < 2**31):
            return "must be a whole number from 0 to 2147483647"
    elif low == "color":
        if value.lower() not in ("always", "never", "auto"):
            return "must be always, never or auto"
    elif value.lower() not in ("true", "false"):  # -X, -q, -n, -skipCheckForUpdate
        return "takes no value (or true/false)"
    return None


USAGE = ("usage: monozu flyway [-url=URL] [-user=USER] [-password=PASSWORD] "
         "[-locations=filesystem:DIR] [-placeholders.NAME=VALUE] [-target=V] "
         "[-outOfOrder=true] [-configFiles=FILE,...] [-environment=NAME] "
         f"[-outputType=json] {'|'.join(VERBS)}")


def flyway_main(argv: Sequence[str]) -> int:
    """Run one Flyway verb from Flyway-style arguments; returns the exit code."""
    from monozu.db.migrate.settings import is_setting, names_nothing

    opts: dict[str, Any] = {o.dest: ([] if o.multiple else o.default) for o in OPTIONS}
    opts.update(user=None, password=None, flyway_args={}, url_flag="-url")
    verb: str | None = None
    # With -url, -user or -password given, an argument that is not understood may be a
    # piece of their value (a space left unquoted): it is named by position only.
    hidden = carries_secret(argv)
    for number, arg in enumerate(argv, 1):
        shown = (f"(argument {number}, not shown: part of a value with an unquoted space?)"
                 if hidden else repr(arg[:40]))
        if arg in ("-?", "-h", "--help", "help"):
            echo(USAGE)
            return 0
        if not arg.startswith("-"):
            if arg.lower() not in VERBS:
                fail(f"flyway: unsupported verb {shown} (supported: {', '.join(VERBS)})",
                     EXIT_USAGE)
            if verb is not None:
                fail(f"flyway: two verbs given ({verb}, {arg.lower()}): give one", EXIT_USAGE)
            verb = arg.lower()
            continue
        key, eq, value = arg.lstrip("-").partition("=")
        low = key.lower()
        if eq and not value.strip() and low not in _MAY_BE_EMPTY \
                and not low.startswith("placeholders."):
            # "-url=$UNSET" must not fall back to another source or a default.
            fail(f"flyway: -{key[:40]} has an empty value", EXIT_USAGE)
        if low in _IGNORED:
            problem = _ignored_problem(low, value) if eq else None
            if problem:
                fail(f"flyway: -{key}: {problem}", EXIT_USAGE)
            continue
        if not eq:
            # Only the option's name: "-password:secret" must not be quoted back.
            name = re.match(r"[A-Za-z][A-Za-z0-9.]{0,39}", key)
            if hidden and (name is None or name.group().lower() not in _KNOWN_NAMES):
                fail(f"flyway: expected -key=value, got {shown}", EXIT_USAGE)
            fail(f"flyway: expected -{name.group() if name else '...'}=value", EXIT_USAGE)
        if low in _CONNECTION:
            opts[_CONNECTION[low]] = value
        elif low == "configfiles":
            if names_nothing(value):  # "-configFiles=$A,$B", both unset
                fail(f"flyway: -{key} holds only commas, naming no file", EXIT_USAGE)
            opts["config_files"] = [Path(p.strip()) for p in value.split(",") if p.strip()]
        elif low == "outputtype":
            if value.lower() not in ("json", "text"):
                fail(f"flyway: -outputType must be json or text, got {value[:20]!r}",
                     EXIT_USAGE)
            opts["as_json"] = value.lower() == "json"
        elif is_setting(key):
            opts["flyway_args"][key] = value
        else:
            what = shown if hidden else f"-{key[:60]}"
            fail(f"flyway: unknown or unsupported argument {what} (see monozu flyway -?)",
                 EXIT_USAGE)
    if verb is None:
        fail(f"flyway: no verb given ({', '.join(VERBS)})", EXIT_USAGE)
        return EXIT_USAGE  # not reached
    VERBS[verb](**opts)
    return 0
