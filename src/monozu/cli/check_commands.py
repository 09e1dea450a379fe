"""``monozu db check``: connect, and say what was connected to and why."""

from __future__ import annotations

import time

from monozu.cli.app import db, echo, echo_json, handle_errors, json_option, url_option
from monozu.db.config import load_config


@db.command("check", url_option, json_option)
@handle_errors
def check(url: str | None, as_json: bool) -> None:
    """Connect, print the server kind and version and the resolved configuration.

    ``source`` says which setting chose the database (see docs/configuration.md).
    Read-only: a SQLite file that does not exist is reported, not created. Secrets
    are never printed. Example: ``monozu db check --url sqlite:///dev.db``
    """
    from monozu.db.database import Database

    config = load_config(url=url, must_exist=True)
    config.check_exists()
    started = time.perf_counter()
    with Database(config, pool_size=1) as database:
        version = database.server_version()
    elapsed_ms = (time.perf_counter() - started) * 1000
    report = {**config.describe(), "server": version, "connect_ms": round(elapsed_ms, 1)}
    if as_json:
        echo_json(report)
        return
    width = max(len(k) for k in report)
    for key, value in report.items():
        echo(f"{key.ljust(width)}  {value if value is not None else '-'}")
