"""``monozu cve`` fed hostile files, option values and ids: exit 2 and one line naming the
problem, quickly; never a traceback, a hang, partial data or a raw control character."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from monozu.db import connect
from monozu.db.migrate import Migrator
from tests.cli.test_cve_commands import _run
from tests.domain.vulnintel.api_server import local_api
from tests.domain.vulnintel.conftest import FIXTURES

REPO = Path(__file__).resolve().parents[2]
ASSET = "00000000-0000-0000-0000-000000000001"
EDB_HEADER = "id,file,description"


@pytest.fixture
def url(sqlite_url: str) -> str:
    Migrator.from_url(sqlite_url).migrate()
    return sqlite_url


@pytest.fixture
def key_unset(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NVD_API_KEY", raising=False)
    yield


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err[:500]
    assert "Traceback" not in err and "\x1b" not in err
    return lines[0]


def _catalogs_empty(url: str) -> None:
    db = connect(url)
    try:
        for table in ("cve_catalog", "cve_scores_cache", "cve_cpe_matches",
                      "exploitdb_exploits"):
            assert db.get_value(f"SELECT COUNT(*) FROM {table}") == 0
    finally:
        db.close()


def _files(tmp: Path) -> dict[str, tuple[str, Path, str]]:
    """name -> (feed kind, file, what the one line must say)."""
    cases: dict[str, tuple[str, str, str]] = {
        "deep-nvd": ("nvd", "[" * 100_000, "JSON nested deeper than 64 levels"),
        "deep-kev": ("kev", "{\"a\":" * 100_000, "JSON nested deeper than 64 levels"),
        "deep-cve5": ("cve5", "[" * 100_000, "JSON nested deeper than 64 levels"),
        "deep-record": ("nvd", '{"vulnerabilities": [{"cve": ' + "[" * 100_000,
                        "JSON nested deeper than 64 levels"),
        "shape-nvd": ("nvd", '{"vulnerabilities": 5}', "vulnerabilities is not a list"),
        "shape-kev": ("kev", '{"vulnerabilities": {"item": {"cveID": "CVE-2024-0001"}}}',
                      "vulnerabilities is not a list (an object)"),
        "long-epss-model": ("epss", f"#model_version:{'x' * 10_000},score_date:2024-01-01\n"
                            "cve,epss,percentile\nCVE-2024-0001,0.1,0.2\n",
                            "line 1: the header line is longer than"),
        "epss-model-51": ("epss", f"#model_version:{'x' * 51},score_date:2024-01-01\n"
                          "cve,epss,percentile\nCVE-2024-0001,0.1,0.2\n",
                          "line 1: model_version is longer than 50 characters"),
        "nul-nvd": ("nvd", json.dumps({"vulnerabilities": [{"cve": {
            "id": "CVE-2024-0001", "vulnStatus": "Analyzed",
            "descriptions": [{"lang": "en", "value": "a\x00b"}]}}]}),
            "CVE-2024-0001: descriptions[0].value contains a NUL character"),
        "nul-criteria": ("nvd", json.dumps({"vulnerabilities": [{"cve": {
            "id": "CVE-2024-0001", "configurations": [{"nodes": [{"cpeMatch": [
                {"vulnerable": True, "criteria": "cpe:2.3:a:x\x00:y:*:*:*:*:*:*:*:*"}]}]}]}}]}),
            "cpeMatch[0].criteria contains a NUL character"),
        # ijson's C backend stored a lone surrogate escape as "?", or joined it to the
        # escape after it into an unrelated character
        **{f"surrogate-nvd-{n}": ("nvd", json.dumps({"vulnerabilities": [
            {"cve": {"id": "CVE-2024-0009", "descriptions": [{"lang": "en", "value": "ok"}]}},
            {"cve": {"id": "CVE-2024-0001", "vulnStatus": "Analyzed",
                     "descriptions": [{"lang": "en", "value": text}]}}]}),
            "CVE-2024-0001: descriptions[0].value contains an unpaired surrogate")
           for n, text in enumerate(("a\ud800b", "a\udc00b", "\ud800\u00e9", "\ud800",
                                     "\ude00\ud83d"))},
        "surrogate-nvd-far": ("nvd", json.dumps({"vulnerabilities": [
            {"cve": {"id": f"CVE-2024-{n:04d}", "descriptions": [
                {"lang": "en", "value": "x" * 500 + ("\ud800" if n == 1399 else "")}]}}
            for n in range(1000, 1400)]}),
            "CVE-2024-1399: descriptions[0].value contains an unpaired surrogate"),
        "surrogate-kev": ("kev", json.dumps({"vulnerabilities": [
            {"cveID": "CVE-2024-0001", "dateAdded": "2024-01-02", "dueDate": "2024-01-23",
             "knownRansomwareCampaignUse": "Unknown\ud800"}]}),
            "CVE-2024-0001: knownRansomwareCampaignUse contains an unpaired surrogate"),
        "edb-huge-id": ("exploitdb", f"{EDB_HEADER}\n99999999999999999999,a.py,x\n",
                        "line 2: id '99999999999999999999' is outside 1-2147483647"),
        "edb-underscore": ("exploitdb", f"{EDB_HEADER}\n1_000,a.py,x\n",
                           "line 2: id '1_000' is not a number"),
        "edb-arabic": ("exploitdb", f"{EDB_HEADER}\n\u0663,a.py,x\n", "line 2: id '\u0663' is not"),
        "edb-nul": ("exploitdb", f"{EDB_HEADER}\n1,a.py,x\x00\n",
                    "line 2: description contains a NUL character"),
    }
    out: dict[str, tuple[str, Path, str]] = {}
    for name, (kind, text, problem) in cases.items():
        suffix = ".csv" if kind in ("epss", "exploitdb") else ".json"
        path = tmp / (f"CVE-2024-0001{suffix}" if kind == "cve5" else f"{name}{suffix}")
        path.write_text(text)
        out[name] = (kind, path, problem)
    return out


@pytest.mark.parametrize("name", [
    "deep-nvd", "deep-kev", "deep-cve5", "deep-record", "shape-nvd", "shape-kev",
    "long-epss-model", "epss-model-51", "nul-nvd", "nul-criteria", "edb-huge-id",
    "edb-underscore", "edb-arabic", "edb-nul", *(f"surrogate-nvd-{n}" for n in range(5)),
    "surrogate-nvd-far", "surrogate-kev"])
def test_hostile_feed_files(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                            name: str) -> None:
    kind, path, problem = _files(tmp_path)[name]
    started = time.perf_counter()
    code, out, err = _run(capsys, "cve", "import", kind, str(path), "--url", url)
    assert time.perf_counter() - started < 5
    assert code == 2 and out == ""
    line = _one_line(err)
    assert str(path) in line and problem in line, line
    _catalogs_empty(url)


def test_a_file_name_that_is_not_utf8(url: str, tmp_path: Path) -> None:
    """Run as a process: the name reaches the real standard error, as bytes."""
    name = os.fsdecode(b"nvd-\xff.json")
    (tmp_path / name).write_bytes((FIXTURES / "nvd" / "nvd-page-2.json").read_bytes())
    done = subprocess.run([str(REPO / "monozu"), "cve", "import", "nvd", name, "--url", url],
                          cwd=tmp_path, capture_output=True, text=True, errors="replace",
                          timeout=60, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert "the name is not valid UTF-8" in _one_line(done.stderr)
    _catalogs_empty(url)


@pytest.mark.parametrize(("value", "problem"), [
    ("notaurl", "the URL is not http(s)"),
    ("file:///etc/passwd", "the URL is not http(s)"),
    ("http://[::1", "the URL cannot be parsed (an invalid IPv6 address)"),
    ("", "the URL is empty"),
    ("http://127.0.0.1:70000/", "has a port out of range 0-65535"),
    ("https://u:hunter2", "has a port that is not a number"),
    ("http://admin:hunter2@127.0.0.1/", "must not hold a user or password"),
    ("http://127.0.0.1/\x1b[2J", "printable ASCII"),
])
def test_bad_api_urls(url: str, capsys: pytest.CaptureFixture[str], key_unset: None,
                      value: str, problem: str) -> None:
    code, _, err = _run(capsys, "cve", "sync", "--since", "2026-01-01", "--api-url", value,
                        "--url", url)
    line = _one_line(err)
    assert code == 2 and "--api-url" in line and problem in line, line
    assert "hunter2" not in line


@pytest.mark.parametrize(("value", "problem"), [
    ("9999-12-31T23:59:59+14:00", "is in the future"),
    ("2999-01-01", "is in the future"),
    ("9999-12-31T23:59:59-14:00", "is out of range"),
    ("0001-01-01T00:00:00+01:00", "is out of range"),
    ("1970-01-01", "is before 1999"),
    ("yesterday", "'yesterday' is not an ISO date"),
    ("\u0662\u0660\u0662\u0664-01-01", "is not an ISO date"),
    ("2024-01-01T" + "x" * 5000, "(a value of 5011 characters, not shown)"),
])
def test_bad_since(url: str, capsys: pytest.CaptureFixture[str], key_unset: None, value: str,
                   problem: str) -> None:
    code, _, err = _run(capsys, "cve", "sync", "--since", value, "--url", url)
    line = _one_line(err)
    assert code == 2 and "--since" in line and problem in line and len(line) < 300, line


def test_a_bad_key_is_refused_without_showing_it(url: str, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NVD_API_KEY", "secret\r\nX-Injected: 1")
    code, _, err = _run(capsys, "cve", "sync", "--since", "2026-01-01", "--url", url)
    line = _one_line(err)
    assert code == 2 and "NVD_API_KEY" in line and "secret" not in line


def test_a_refused_connection_fails_fast(url: str, capsys: pytest.CaptureFixture[str],
                                         key_unset: None) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    code, _, err = _run(capsys, "cve", "sync", "--since", "2026-01-01", "--api-url",
                        f"http://127.0.0.1:{port}/", "--url", url)
    assert time.perf_counter() - started < 5
    assert code == 1 and "cannot connect" in _one_line(err)


def test_sync_retries_are_visible_and_bad_bodies_one_line(
        url: str, capsys: pytest.CaptureFixture[str], key_unset: None) -> None:
    with local_api(FIXTURES / "nvd") as (api, script):
        script.failures = [(503, {"Retry-After": "0"})]
        code, out, err = _run(capsys, "cve", "sync", "--since", "2026-09-01", "--api-url", api,
                              "--url", url)
        assert code == 0 and "2 pages, 19 records" in out
        assert err.splitlines() == ["nvd api: HTTP 503; retry 1 of 8 in 0 s"]
        script.bodies = [b"[" * 100_000]
        code, _, err = _run(capsys, "cve", "sync", "--since", "2026-09-01", "--api-url", api,
                            "--url", url)
    line = _one_line(err)
    assert code == 2 and line.startswith(f"Error: {api}?") and "nested deeper" in line


@pytest.mark.parametrize(("value", "shown"), [
    ("nope", "'nope' is not a CVE id"),
    ("", "'' is not a CVE id"),
    ("CVE-2024-\x1b[31m1", "(a value of 15 characters, not shown) is not a CVE id"),
    ("CVE-2024-" + "1" * 5000, "(a value of 5009 characters, not shown) is not a CVE id"),
    ("CVE-\u0662\u0660\u0662\u0664-0001", "(a value of 13 characters, not shown)"),
    ("CVE-2024-123", "'CVE-2024-123' is not a CVE id"),
])
def test_explain_refuses_what_is_not_a_cve_id(url: str, capsys: pytest.CaptureFixture[str],
                                              value: str, shown: str) -> None:
    code, out, err = _run(capsys, "cve", "explain", "--asset", ASSET, value, "--url", url)
    line = _one_line(err)
    assert code == 2 and out == "" and shown in line and len(line) < 300, line


def test_explain_takes_any_case(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "cve", "explain", "--asset", ASSET, " cve-2021-44228 ",
                        "--url", url)
    assert code == 2 and _one_line(err) == f"Error: no asset {ASSET}"  # the id was accepted


def test_match_an_unknown_tenant(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "cve", "match", "--tenant", ASSET, "--url", url)
    assert code == 2 and out == "" and _one_line(err) == f"Error: no tenant {ASSET}"
    code, _, err = _run(capsys, "cve", "match", "--tenant", "x" * 5000, "--url", url)
    line = _one_line(err)
    assert code == 2 and "(a value of 5000 characters, not shown) is not a UUID" in line


def test_a_missing_feed_path_is_named_unless_it_may_be_a_piece_of_the_url(
        url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nvdcve-2.0-2024.json")
    code, _, err = _run(capsys, "cve", "import", "nvd", missing)
    assert code == 2 and _one_line(err) == f"Error: nvd {missing}: no such file"
    # With --url on the line, a missing path may be the second half of a password cut at
    # an unquoted space: named by its place. A path that exists is named as always.
    code, _, err = _run(capsys, "cve", "import", "nvd", str(tmp_path), missing, "--url", url)
    assert code == 2 and _one_line(err) == (
        f"Error: nvd {tmp_path}: is a folder, not a feed file")
    code, _, err = _run(capsys, "cve", "import", "nvd", missing, "--url", url)
    assert code == 2 and _one_line(err) == (
        "Error: nvd PATH 1 (not shown: it may be a piece of an unquoted --url): no such file")
    _catalogs_empty(url)


def test_read_only_cve_commands_leave_no_write_ahead_log(tmp_path: Path) -> None:
    """The commands never closed their database, so SQLite left its -wal and -shm files
    beside a database only read."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    env = {**os.environ, "HOME": str(tmp_path / "home")}

    def monozu(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(REPO / "monozu"), *argv, "--url", url],
                              capture_output=True, text=True, cwd=tmp_path, env=env,
                              timeout=120)

    assert monozu("db", "migrate").returncode == 0
    for argv in (("cve", "status"), ("cve", "status", "--json"),
                 ("cve", "explain", "--asset", str(uuid.uuid4()), "CVE-2024-3400")):
        done = monozu(*argv)
        assert "Traceback" not in done.stderr, done.stderr
        assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["x.db"], argv
