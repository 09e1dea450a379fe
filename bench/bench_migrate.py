"""Benchmark: our ``monozu db migrate`` against the real Flyway CLI, end to end.

Every timing is a fresh process, start-up included, as a deployment would run it:

* a fresh ``migrate`` of 20 small versioned files on PostgreSQL, ours vs Flyway, each on
  a new database (goal: ours at least 5x faster);
* the packaged schema (V1, V10-V28) on PostgreSQL, ours vs Flyway (goal: at least 4x);
* our ``info`` and ``validate`` on the up-to-date database (goal: under 0.3 s);
* the packaged schema on SQLite (ours only).

Runs of the cases compared with each other alternate (ours, Flyway, ours, ...), so a
machine whose load changes during the run slows both sides alike.

A throwaway PostgreSQL cluster is started for the run (``tests/support/pgserver.py``).
Flyway runs through ``tools/flyway/flyway`` with plain JVM options, as Flyway's own
launcher would; a second Flyway row shows it with class-data sharing, for reference.
Our CLI runs with its bytecode cached (in a private ``PYTHONPYCACHEPREFIX``), as an
installed package would, even when the caller sets ``PYTHONDONTWRITEBYTECODE``.

Usage: ``.venv/bin/python bench/bench_migrate.py [--runs N]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support import pgserver  # noqa: E402
from tests.support.flyway import (  # noqa: E402
    flyway_args,
    flyway_available,
    flyway_command,
    password_env,
)

FILES = 20
GOAL_RATIO = 5.0
GOAL_PACKAGED_RATIO = 4.0
GOAL_READ_S = 0.3


@dataclass
class Row:
    name: str
    times: list[float] = field(default_factory=list)
    error: str = ""
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def ours_argv() -> list[str]:
    exe = Path(sys.executable).with_name("monozu")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "monozu.cli"]


def clean_env(pycache: Path) -> dict[str, str]:
    """The environment for our CLI: no FLYWAY_* settings from the caller, and compiled
    bytecode kept (in a private cache) as an installed package has it, even where the
    caller sets PYTHONDONTWRITEBYTECODE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYWAY_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def timed(argv: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
    elapsed = time.perf_counter() - start
    failed = proc.returncode != 0 or '"error" : {' in proc.stdout
    if failed:
        detail = (proc.stderr.strip() or proc.stdout.strip())[-400:]
        raise RuntimeError(f"{Path(argv[0]).name} exited {proc.returncode}: {detail}")
    return elapsed


def measure(row: Row, runs: int, once: Callable[[], float]) -> Row:
    """``runs`` timed calls after one untimed warm-up (disk cache, bytecode cache)."""
    try:
        once()
        for _ in range(runs):
            row.times.append(once())
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        row.error = str(exc).splitlines()[0][:160]
    return row


def measure_alternating(rows: Sequence[Row], runs: int,
                        calls: Sequence[Callable[[], float]]) -> None:
    """Like :func:`measure` for several cases at once, their runs taken in turn."""
    live = list(range(len(rows)))
    for round_ in range(runs + 1):  # round 0: the warm-up
        for i in list(live):
            try:
                elapsed = calls[i]()
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                rows[i].error = str(exc).splitlines()[0][:160]
                live.remove(i)
                continue
            if round_:
                rows[i].times.append(elapsed)


def generate(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        (folder / f"V{i}__Create_table_{i}.sql").write_text(
            f"-- Step {i}: a table, a row and an index.\n"
            f"CREATE TABLE bench_{i} (\n"
            "    id INT PRIMARY KEY,\n"
            "    name VARCHAR(100) NOT NULL,\n"
            "    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n"
            ");\n"
            f"INSERT INTO bench_{i} (id, name) VALUES (1, 'row; {i}');\n"
            f"CREATE INDEX bench_{i}_name ON bench_{i} (name);\n"
        )


def packaged(kind: str) -> Path | None:
    """The packaged migrations folder for a database kind, if it has any SQL files."""
    try:
        from monozu.db.migrate import builtin_location

        candidates = [builtin_location(kind)]  # type: ignore[arg-type]
    except ImportError:
        candidates = []
    base = ROOT / "src" / "monozu" / "db" / "migrations"
    candidates += [base / kind, base / "sql" / kind]
    for folder in candidates:
        if folder.is_dir() and any(folder.rglob("*.sql")):
            return folder
    return None


def version_of(argv: Sequence[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return text[0] if text else "?"


def fmt(seconds: float) -> str:
    return f"{seconds:7.3f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (at least 3)")
    args = parser.parse_args()
    runs = max(3, args.runs)

    flyway_problem = flyway_available()
    server = pgserver.start()
    work = Path(tempfile.mkdtemp(prefix="monozu-bench-"))
    rows: list[Row] = []
    env = clean_env(work / "pycache")
    try:
        history = work / "history"
        generate(history, FILES)

        def fresh_pg() -> str:
            return server.url_for(server.create_database("bench"))

        def ours_migrate(url: str, *extra: str) -> float:
            return timed([*ours_argv(), "db", "migrate", "--url", url, *extra], env, work)

        def flyway_migrate(url: str, folder: Path, fast: bool) -> float:
            argv, fenv = flyway_command(fast_start=fast)
            return timed([*argv, *flyway_args("migrate", url, [folder])],
                         {**fenv, **password_env(url)}, work)

        ours_row = Row(f"{'ours':10} migrate {FILES} files (PostgreSQL)")
        calls: list[Callable[[], float]] = [
            lambda: ours_migrate(fresh_pg(), "--locations", str(history))]
        flyway_rows: list[Row] = []
        if flyway_problem is None:
            for fast, label in ((False, "flyway "), (True, "flyway+CDS")):
                flyway_rows.append(Row(f"{label:10} migrate {FILES} files (PostgreSQL)"))
                calls.append(partial(lambda f: flyway_migrate(fresh_pg(), history, f), fast))
            measure_alternating([ours_row, *flyway_rows], runs, calls)
        else:
            measure(ours_row, runs, calls[0])
            flyway_rows.append(Row(f"{'flyway':10} migrate (PostgreSQL)", error=flyway_problem))
        rows += [ours_row, *flyway_rows]

        up_to_date = fresh_pg()
        setup_error = ""
        try:
            ours_migrate(up_to_date, "--locations", str(history))
        except RuntimeError as exc:
            setup_error = str(exc)
        for verb in ("info", "validate"):
            argv = [*ours_argv(), "db", verb, "--url", up_to_date, "--locations", str(history)]
            row = Row(f"{'ours':10} {verb} (up to date, PostgreSQL)", error=setup_error)
            if not setup_error:
                measure(row, runs, partial(timed, argv, env, work))
            if row.times:
                ok = row.median < GOAL_READ_S
                row.note = f"goal < {GOAL_READ_S} s: {'met' if ok else 'NOT met'}"
            rows.append(row)

        pg_schema, sqlite_schema = packaged("postgresql"), packaged("sqlite")
        packaged_pair: tuple[Row, Row] | None = None
        if pg_schema is None:
            rows.append(Row(f"{'ours':10} packaged schema (PostgreSQL)", note="no packaged files"))
        else:
            ours_packaged = Row(f"{'ours':10} packaged schema (PostgreSQL)")
            if flyway_problem is None:
                flyway_packaged = Row(f"{'flyway':10} packaged schema (PostgreSQL)")
                measure_alternating(
                    [ours_packaged, flyway_packaged], runs,
                    [lambda: ours_migrate(fresh_pg()),
                     lambda: flyway_migrate(fresh_pg(), pg_schema, False)])
                rows += [ours_packaged, flyway_packaged]
                packaged_pair = (ours_packaged, flyway_packaged)
            else:
                rows.append(measure(ours_packaged, runs, lambda: ours_migrate(fresh_pg())))
        if sqlite_schema is None:
            rows.append(Row(f"{'ours':10} packaged schema (SQLite)", note="no packaged files"))
        else:
            counter = iter(range(10**6))
            rows.append(
                measure(
                    Row(f"{'ours':10} packaged schema (SQLite)"),
                    runs,
                    lambda: ours_migrate(f"sqlite:///{work / f's{next(counter)}.db'}"),
                )
            )

        print_report(rows, ours_row, flyway_rows, runs, packaged_pair)
    finally:
        server.stop()
    return 1 if any(r.error for r in rows) else 0


def print_report(rows: list[Row], ours_row: Row, flyway_rows: list[Row], runs: int,
                 packaged_pair: tuple[Row, Row] | None) -> None:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    java = version_of(["java", "-version"])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}; "
        f"load average {load}"
    )
    print(f"python {platform.python_version()}, {java}")
    print(f"median of {runs} runs after a warm-up; each a fresh process, migrate on a fresh db")
    print()
    width = max(len(r.name) for r in rows)
    print(f"{'case':<{width}}  {'median':>9}  {'min':>9}  {'max':>9}  note")
    for r in rows:
        if r.times:
            cells = f"{fmt(r.median)}  {fmt(min(r.times))}  {fmt(max(r.times))}"
        else:
            cells = f"{'-':>9}  {'-':>9}  {'-':>9}"
        print(f"{r.name:<{width}}  {cells}  {r.error or r.note}")
    print()
    if ours_row.times and flyway_rows and flyway_rows[0].times:
        ratio = flyway_rows[0].median / ours_row.median
        verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
        print(
            f"ratio flyway/ours (migrate {FILES} files): {ratio:.1f}x "
            f"(goal >= {GOAL_RATIO:.0f}x: {verdict})"
        )
        if len(flyway_rows) > 1 and flyway_rows[1].times:
            print(f"ratio flyway+CDS/ours: {flyway_rows[1].median / ours_row.median:.1f}x")
    if packaged_pair is not None and packaged_pair[0].times and packaged_pair[1].times:
        ratio = packaged_pair[1].median / packaged_pair[0].median
        verdict = "met" if ratio >= GOAL_PACKAGED_RATIO else "NOT met"
        print(f"ratio flyway/ours (packaged schema): {ratio:.1f}x "
              f"(goal >= {GOAL_PACKAGED_RATIO:.0f}x: {verdict})")


if __name__ == "__main__":
    sys.exit(main())
