"""Names and texts from outside, holding what a terminal acts on, through every command
that prints them: nothing reaches the terminal as it is, no name adds a line, a row or
a column, JSON stays JSON and gives every name back exactly."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from monozu.db import connect
from monozu.db.migrate import Migrator
from monozu.domain.vulnintel.matching import EntryHit, Verdict
from tests.cli.test_cve_commands import _run
from tests.support.migrate import execute, query

# What a hostile name may carry: CSI, OSC 8 hyperlinks, OSC 52 clipboard writes, BEL,
# backspace and carriage-return overprinting, C1 controls, bidi overrides and isolates,
# line separators, and a newline that would fake a line of another command's output.
HOSTILE = {
    "csi": "\x1b[31m", "osc8": "\x1b]8;;http://x/\x07", "osc52": "\x1b]52;c;aGk=\x07",
    "bel": "\x07", "backspace": "\x08\x08", "cr": "\rFORGED", "newline": "\nFORGED",
    "c1-csi": "\x9b2J", "nel": "\x85", "rlo": "\u202e", "alm": "\u061c", "lri": "\u2066",
    "ls": "\u2028",
    "del": "\x7f", "tab": "\t", "pipe": " | FORGED | ",
}
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")


def _safe(out: str) -> list[str]:
    """What is wrong with ``out`` as a terminal would show it (nothing: [])."""
    found = [f"raw {c!r}" for c in sorted(set(CONTROL.findall(out)))]
    found += [f"forged line {line!r}" for line in out.splitlines() if line.startswith("FORGED")]
    return found


def _hostile_names(url: str) -> dict[str, str]:
    """A tenant table per hostile string, with a column and an index named after it, and
    the history's descriptions and installed_by holding them too."""
    names = {key: f"h_{key}{text}x" for key, text in HOSTILE.items()}
    for key, name in names.items():
        table = name.replace('"', '""')
        execute(url, f'CREATE TABLE "{table}" (tenant_id int, "c{table}" int);'
                     f'CREATE INDEX "i_{key}{HOSTILE[key]}" ON "{table}" ("c{table}");')
        if not url.startswith("sqlite"):  # where the policies are the database's
            execute(url, f'CREATE POLICY "rls_{table}" ON "{table}" USING (tenant_id = 1)')
    for rank, text in enumerate(HOSTILE.values(), 1):
        execute(url, f"UPDATE flyway_schema_history SET description = 'd{text}e', "
                     f"installed_by = 'u{text}' WHERE installed_rank = {rank}")
    return names


# (arguments, JSON output, whether the output is a table whose rows must line up)
COMMANDS = [
    (("db", "info"), False, "info"),
    (("db", "info", "--json"), True, None),
    (("db", "validate"), False, None),
    (("db", "validate", "--json"), True, None),
    (("db", "drift"), False, None),
    (("db", "drift", "--json"), True, None),
    (("db", "rls", "status"), False, "rls"),
    (("db", "rls", "status", "--json"), True, None),
    (("db", "erd"), False, None),
    (("db", "check"), False, None),
    (("cve", "status"), False, None),
    (("cve", "status", "--json"), True, None),
    (("demo",), False, None),  # refused: validation quotes the descriptions
    (("edge", "purge", "--older-than", "0d", "--all-tenants"), False, None),
    (("flyway", "info"), False, "info"),
    (("flyway", "validate", "-outputType=json"), True, None),
    (("flyway", "repair"), False, None),
]


def _strings(data: object) -> set[str]:
    """Every string in ``data``, keys and values, at any depth."""
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        return {s for k, v in data.items() for s in (*_strings(k), *_strings(v))}
    if isinstance(data, list):
        return {s for item in data for s in _strings(item)}
    return set()


def _misaligned(table: str, out: str) -> list[str]:
    if table == "info":  # every row of the box as wide as its rules, with 7 bars
        rows = [line for line in out.splitlines() if line.startswith(("|", "+"))]
        width = len(rows[0])
        return [line for line in rows if len(line) != width
                or (line.startswith("|") and line.count("|") != 7)]
    # rls status: the state column (the last but one) starts at the same place on every row
    rows = out.splitlines()[1:-1]
    starts = {m.start(1) for m in (re.search(r"(\S+) +\S+$", line) for line in rows) if m}
    return [] if len(starts) == 1 else rows


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_hostile_names_through_every_command(engine: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             request: pytest.FixtureRequest) -> None:
    url = (f"sqlite:///{tmp_path / 'x.db'}" if engine == "sqlite"
           else str(request.getfixturevalue("pg_url")))
    Migrator.from_url(url).migrate()
    names = _hostile_names(url)
    problems: dict[str, list[str]] = {}
    for argv, as_json, table in COMMANDS:
        args = (*argv, f"-url={url}") if argv[0] == "flyway" else (*argv, "--url", url)
        code, out, err = _run(capsys, *args)
        wrong = _safe(out + err)
        if "Traceback" in err or code not in (0, 1):
            wrong.append(f"exit {code}: {err}")
        if as_json:
            strings = _strings(json.loads(out))  # still JSON, and every name in it exactly
            wrong += [f"{name!r} not given back" for name in names.values()
                      if argv[1] in ("drift", "rls") and name not in strings]
            wrong += [f"{text!r} not given back" for text in HOSTILE.values()
                      if argv[1] == "info" and f"d{text}e" not in strings]
        elif table:
            wrong += _misaligned(table, out)
        if wrong:
            problems[" ".join(argv)] = wrong
    assert problems == {}
    # The diagram written to a file is read as Mermaid: the same escaping as printed.
    diagram = tmp_path / "erd.mmd"
    assert _run(capsys, "db", "erd", "--url", url, "--output", str(diagram))[0] == 0
    text = diagram.read_text(encoding="utf-8")
    assert _safe(text) == []
    entities = [line for line in text.splitlines() if line.startswith('    "h_')]
    assert len(entities) == len(names), entities
    # The names are there, escaped: "h_csi\x1b[31mx" printed as h_csi\x1b[31mx.
    code, out, _ = _run(capsys, "db", "rls", "status", "--url", url)
    assert "h_csi\\x1b[31mx" in out and "h_newline\\nFORGEDx" in out


def test_plain_rows_print_as_before(sqlite_url: str, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    Migrator.from_url(sqlite_url).migrate()
    code, out, _ = _run(capsys, "db", "rls", "status", "--url", sqlite_url)
    assert code == 0
    assert "table                       policy  state        forced" in out
    assert "assets                      -       application  -" in out
    code, out, _ = _run(capsys, "db", "info", "--url", sqlite_url)
    assert "| Versioned | 1       | base schema" in out


def test_demo_rows_with_hostile_names_stay_in_their_columns(
        sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "demo", "--url", sqlite_url)[0] == 0
    # Short ones: escaped, each still fits its column (a longer name widens its row,
    # as a long plain name does).
    texts = [t for t in HOSTILE.values() if len(t) <= 4 and "|" not in t]
    for table, column in (("sites", "name"), ("assets", "name"), ("incidents", "title"),
                          ("tenants", "name")):
        ids = [r[0] for r in query(sqlite_url, f"SELECT id FROM {table} ORDER BY id")]
        for number, row_id in enumerate(ids):
            execute(sqlite_url, f"UPDATE {table} SET {column} = 'n{texts[number % len(texts)]}' "
                                f"WHERE id = x'{uuid.UUID(bytes=row_id).hex}'"
                    if isinstance(row_id, bytes) else
                    f"UPDATE {table} SET {column} = 'n{texts[number % len(texts)]}' "
                    f"WHERE id = '{row_id}'")
    code, out, err = _run(capsys, "demo", "--url", sqlite_url)
    assert code == 0, err
    assert _safe(out + err) == []
    lines = out.splitlines()
    # Sites: the asset count right after a 32-wide name column.
    sites = [line for line in lines if re.match(r" {4}\S.* +\d+$", line)
             and not re.match(r" {4}( |\d)", line)]
    assert sites and {len(line) for line in sites} == {4 + 32 + 1 + 3}, sites
    # Risks: "KEV" at the same place on every row.
    risks = [line for line in lines if " KEV " in line]
    assert risks and len({line.index(" KEV ") for line in risks}) == 1, risks


def test_cve_status_keeps_hostile_feed_names_in_their_column(
        sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    Migrator.from_url(sqlite_url).migrate()
    texts = [t for t in HOSTILE.values() if len(t) <= 4]
    for number, text in enumerate(texts):
        execute(sqlite_url, f"INSERT INTO cve_feeds (id, name, kind, url, last_error) VALUES "
                            f"(randomblob(16), 'f{number}{text}', 'nvd', 'u', 'e{text}')")
    code, out, err = _run(capsys, "cve", "status", "--url", sqlite_url)
    assert code == 0, err
    assert _safe(out) == []
    synced = [line for line in out.splitlines() if " synced " in line]
    assert len(synced) == len(texts) and {line.index(" synced ") for line in synced} == {10}
    assert "f0\\x07     synced never" in out and "last error: e\\x07" in out


def test_explain_keeps_a_value_with_a_newline_on_its_line(
        sqlite_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from monozu.domain.vulnintel import service

    Migrator.from_url(sqlite_url).migrate()
    verdict = Verdict("CVE-2021-44228", matched=True, configuration=1, hits=[EntryHit(
        node=1, operator="OR", criteria="cpe:2.3:a:x:y\nFORGED: matched",
        vulnerable=True, bounds="< 2\x1b[8m", target="cpe\u2028FORGED")])
    monkeypatch.setattr(service, "explain", lambda *_: verdict)
    tenant, asset = uuid.uuid4(), uuid.uuid4()
    code, out, err = _run(capsys, "cve", "explain", "--asset", str(asset), "--tenant",
                          str(tenant), "CVE-2021-44228", "--url", sqlite_url)
    assert code == 0, err
    assert _safe(out) == [] and len(out.splitlines()) == 2, out
    assert "cpe:2.3:a:x:y\\nFORGED: matched < 2\\x1b[8m <- cpe\\u2028FORGED" in out


def test_import_progress_on_a_terminal_escapes_the_file_name(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.domain.vulnintel.conftest import FIXTURES

    Migrator.from_url(sqlite_url).migrate()
    feed = tmp_path / "feed\x1b]8;;x\x07\u202e.json"
    feed.write_text((FIXTURES / "nvd" / "nvd-page-1.json").read_text())
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    code, out, err = _run(capsys, "cve", "import", "nvd", str(feed), "--url", sqlite_url)
    assert code == 0, err
    assert "records" in err and err.startswith("\r")  # the counter is redrawn in place
    assert _safe(err.replace("\r", "")) == [] and "\\x1b]8;;x\\x07\\u202e" in err
    assert _safe(out) == []
    connect(sqlite_url).close()


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_a_name_the_terminal_cannot_encode_is_escaped_not_fatal(
        sqlite_url: str, tmp_path: Path, encoding: str) -> None:
    import os
    import subprocess
    import sys

    Migrator.from_url(sqlite_url).migrate()
    execute(sqlite_url, 'CREATE TABLE "\u65e5\u672c\x1b[31m" (tenant_id int)')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLYWAY_", "DATABASE_URL", "SQL_", "MONOZU_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "monozu.cli", "db", "rls", "status", "--url", sqlite_url],
        capture_output=True, cwd=tmp_path, timeout=120,
        env={**env, "PYTHONIOENCODING": encoding})
    assert (proc.returncode, proc.stderr) == (0, b""), proc.stderr
    assert b"\\u65e5\\u672c\\x1b[31m " in proc.stdout
    assert b"Nothing to switch." in proc.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_a_server_error_quoting_a_hostile_name_is_one_escaped_line(
        any_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        as_json: bool) -> None:
    folder = tmp_path / "mig"
    folder.mkdir()
    name = "".join(HOSTILE.values()).replace('"', "")
    (folder / "V1__first.sql").write_text(f'CREATE TABLE "t{name}" (a int);\n')
    (folder / "V2__second.sql").write_text(f'INSERT INTO "missing{name}" VALUES (1);\n')
    argv = ["db", "migrate", "--url", any_url, "--locations", str(folder)]
    code, out, err = _run(capsys, *argv, *(["--json"] if as_json else []))
    assert code == 1
    assert _safe(out + err) == []
    errors = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(err.splitlines()) == 1 and len(errors) == 1, err
    assert "missing\\x1b[31m" in errors[0]
    if as_json:
        assert "missing\x1b[31m" in json.loads(out)["error"]["message"]
