"""``monozu demo``: load the demo tenants into the database and print their overview."""

from __future__ import annotations

from monozu.cli.app import echo, handle_errors, root, url_option


@root.command("demo", url_option)
@handle_errors
def demo(url: str | None) -> None:
    """Load a realistic demo (an MSP and two customers, one with OT plants) and print it.

    Migrates the database first (by default the embedded SQLite). Running it again
    changes nothing and prints the same overview: open incidents by priority with
    their SLA breach flags, the five riskiest open vulnerabilities, assets per site.
    Example: ``monozu demo --url postgresql://app@localhost/monozu``
    """
    from monozu.db.config import load_config
    from monozu.db.database import Database
    from monozu.db.migrate import Migrator
    from monozu.domain.demo import render, run_demo

    config = load_config(url=url)
    Migrator.from_config(config).migrate()
    with Database(config, pool_size=2) as database:
        overviews, loaded = run_demo(database)
    echo(f"Loaded: {', '.join(loaded)}" if loaded else "Demo already loaded; nothing changed.")
    for line in render(overviews):
        echo(line)
