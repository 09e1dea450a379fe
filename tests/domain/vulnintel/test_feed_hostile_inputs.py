"""Hostile feed files: every one is refused with one :class:`FeedError` line naming the file
and the record, quickly, before anything reaches the catalogs.

Nesting depth, wrong shapes at every level, text the databases cannot hold (NUL, lone
surrogates, over-long values), numbers that only Python's ``int``/``float`` accept
(``1_000``, other scripts' digits, out of range), dates without a UTC equivalent.
"""

from __future__ import annotations

import bz2
import functools
import json
import lzma
import random
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monozu.db import Database
from monozu.domain.vulnintel import FeedError
from monozu.domain.vulnintel.feeds._io import parse_timestamp
from monozu.domain.vulnintel.feeds._json import (
    MAX_DEPTH,
    JsonDepth,
    LoneSurrogate,
    SurrogateEscapes,
    load_json,
    top_level,
)
from monozu.domain.vulnintel.feeds.cve5 import parse_cve5, parse_delta, parse_record
from monozu.domain.vulnintel.feeds.epss import EpssFile
from monozu.domain.vulnintel.feeds.exploitdb import parse_exploitdb
from monozu.domain.vulnintel.feeds.kev import parse_kev
from monozu.domain.vulnintel.feeds.nvd import parse_nvd
from monozu.domain.vulnintel.importer import import_file
from tests.domain.vulnintel.conftest import FIXTURES, gz

CATALOGS = ("cve_catalog", "cve_cpe_matches", "cve_scores_cache", "exploitdb_exploits")


def _refused(parse: Callable[[], object]) -> str:
    """The one-line message of the FeedError that ``parse`` raises."""
    with pytest.raises(FeedError) as info:
        parse()
    message = str(info.value)
    assert "\n" not in message
    return message


def _nvd(tmp_path: Path, cve: dict[str, Any], name: str = "nvd.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"format": "NVD_CVE", "vulnerabilities": [{"cve": cve}]}))
    return path


def _cve(**fields: Any) -> dict[str, Any]:
    return {"id": "CVE-2024-0001", "published": "2024-01-01T00:00:00.000",
            "lastModified": "2024-01-02T00:00:00.000", "vulnStatus": "Analyzed",
            "descriptions": [{"lang": "en", "value": "a flaw"}], **fields}


def _match(**fields: Any) -> list[dict[str, Any]]:
    entry = {"vulnerable": True, "criteria": "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", **fields}
    return [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [entry]}]}]


# -- nesting depth ------------------------------------------------------------------------------
DEEP = 40_000  # ijson took 2.6 s on this many '[' (quadratic); the check takes milliseconds


@pytest.mark.parametrize("text", [
    "[" * DEEP,
    "{\"a\":" * DEEP,
    '{"format": "NVD_CVE", "vulnerabilities": [' + "[" * DEEP,
    '{"vulnerabilities": [{"cve": {"id": "CVE-2024-0001", "x": ' + "[" * DEEP + "]" * DEEP
    + "}}]}",
], ids=["arrays", "objects", "in-the-list", "inside-a-record"])
@pytest.mark.parametrize("kind", ["nvd", "kev", "cve5"])
def test_any_nesting_depth_fails_fast_with_one_line(tmp_path: Path, text: str,
                                                    kind: str) -> None:
    path = tmp_path / ("CVE-2024-0001.json" if kind == "cve5" else f"{kind}.json")
    path.write_text(text)
    parse = {"nvd": parse_nvd, "kev": parse_kev, "cve5": parse_cve5}[kind]
    started = time.perf_counter()
    message = _refused(lambda: list(parse(path)))
    assert time.perf_counter() - started < 1.0
    assert message.startswith(str(path)) and f"nested deeper than {MAX_DEPTH} levels" in message


def test_depth_deep_in_a_long_file_names_the_record_before(tmp_path: Path) -> None:
    good = [{"cve": _cve(id=f"CVE-2024-{n:04d}")} for n in range(1, 3000)]
    text = json.dumps({"vulnerabilities": good})[:-2] + ', {"cve": ' + "[" * DEEP + "]}"
    path = gz(tmp_path / "nvdcve-2.0-2024.json.gz", text.encode())
    message = _refused(lambda: list(parse_nvd(path)))
    assert "nested deeper than" in message and ": after CVE-2024-" in message


def test_brackets_inside_strings_are_not_nesting(tmp_path: Path) -> None:
    odd = '[{"\\"[' + "[" * 5000 + '\\\\' + "{" * 5000
    path = _nvd(tmp_path, _cve(descriptions=[{"lang": "en", "value": odd}]))
    [record] = parse_nvd(path)
    assert record.description == odd.strip()


def test_api_page_peek_and_whole_documents_check_depth() -> None:
    assert _refused(lambda: top_level(b"[" * 100_000, "https://api/page")).startswith(
        "https://api/page: JSON nested deeper")
    assert "nested deeper" in _refused(lambda: load_json(b"{\"a\":" * 5000, "x.json"))
    assert top_level(b'{"totalResults": 3, "resultsPerPage": 2, "vulnerabilities": [') == {
        "totalResults": 3, "resultsPerPage": 2, "vulnerabilities": top_level(b'{"a": []}')["a"]}


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _text(rng: random.Random) -> str:
    return "".join(rng.choice('[]{}"\\ab,:') for _ in range(rng.randint(0, 8)))


def _shallow(rng: random.Random) -> object:
    pick = rng.random()
    if pick < 0.4:
        return _text(rng)
    if pick < 0.5:
        return rng.choice([None, True, 12, -1.5e3])
    if pick < 0.75:
        return [_text(rng) for _ in range(rng.randint(0, 2))]
    return {f"{_text(rng)}{n}": _text(rng) for n in range(rng.randint(0, 2))}


def _document(rng: random.Random, depth: int) -> object:
    """A chain of ``depth`` nested lists and objects, with shallow values beside it."""
    node = _shallow(rng)
    for _ in range(depth):
        beside = [_shallow(rng) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.5:
            node = [*beside, node] if rng.random() < 0.5 else [node, *beside]
        else:
            node = {**{f"{_text(rng)}{n}": v for n, v in enumerate(beside)}, _text(rng): node}
    return node


def test_depth_is_exact_whatever_the_chunking() -> None:
    """Random documents (strings full of brackets, quotes and backslashes) cut at random
    places: refused exactly when deeper than the limit."""
    rng = random.Random(7)
    for _ in range(1500):
        doc = _document(rng, rng.choice([rng.randint(0, 70), rng.randint(60, 68)]))
        data = json.dumps(doc).encode()
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data), rng.randint(0, 40))))
        guard = JsonDepth("doc")
        deep = _depth(doc)
        try:
            for start, stop in zip([0, *cuts], [*cuts, len(data)], strict=True):
                guard.feed(data[start:stop])
        except FeedError:
            assert deep > MAX_DEPTH, data[:200]
        else:
            assert deep <= MAX_DEPTH, data[:200]
            assert guard.depth == 0 and not guard.in_string


def _unpaired(value: object) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list):
        return any(_unpaired(v) for v in value)
    return isinstance(value, dict) and any(_unpaired(k) or _unpaired(v)
                                           for k, v in value.items())


def test_lone_surrogate_escapes_are_found_exactly_whatever_the_chunking() -> None:
    """Strings of escapes (pairs, halves, escaped backslashes before a "u") cut at
    random places: found exactly when Python's json reads an unpaired half."""
    pieces = ["\\ud83d", "\\ude00", "\\ud800", "\\uDFFF", "\\u0041", "\\\\", "a",
              '\\"', "\\n", "\u00e9", "u", "d8"]
    rng = random.Random(11)
    for _ in range(4000):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        data = ('{"v": "' + body + '"}').encode()
        expected = _unpaired(json.loads(data))
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data), rng.randint(0, 12))))
        found = SurrogateEscapes()
        try:
            for start, stop in zip([0, *cuts], [*cuts, len(data)], strict=True):
                found.feed(data[start:stop])
        except LoneSurrogate:
            assert expected, data
        else:
            assert not expected, data


def test_surrogate_pairs_still_import_and_halves_are_refused(tmp_path: Path) -> None:
    """An emoji written as an escaped pair is the emoji; half of one is refused by the
    text check, naming the record, and is never stored as "?"."""
    text = "a \U0001f600 b"
    path = _nvd(tmp_path, _cve(descriptions=[{"lang": "en", "value": text}]))
    assert b"\\ud83d\\ude00" in path.read_bytes()
    [record] = parse_nvd(path)
    assert record.description == text
    for half in ("\ud83d", "\ude00"):
        path = _nvd(tmp_path, _cve(descriptions=[{"lang": "en", "value": f"a{half}b"}]))
        assert _refused(lambda p=path: list(parse_nvd(p))).startswith(  # type: ignore[misc]
            f"{path}: CVE-2024-0001: descriptions[0].value contains an unpaired surrogate")


@pytest.mark.parametrize(("kind", "text", "problem"), [
    ("nvd", '{"vulnerabilities": [{"cve": {"id": "CVE-2024-0001", "x": ' + "9" * 5000 + "}}]}",
     "malformed JSON (parse error: integer overflow)"),
    ("kev", '{"vulnerabilities": [{"cveID": "CVE-2024-0001", "x": ' + "9" * 5000 + "}]}",
     "malformed JSON (parse error: integer overflow)"),
    ("cve5", '{"dataType": "CVE_RECORD", "x": ' + "9" * 5000 + "}",
     "malformed JSON (a number with too many digits)"),
    ("nvd", '{"vulnerabilities": [{"cve": {"id": "CVE-2024-0001", "x": 1e99999}}]}',
     "malformed JSON (parse error: numeric (floating point) overflow)"),
])
def test_numbers_too_long_for_python(tmp_path: Path, kind: str, text: str,
                                     problem: str) -> None:
    """ijson's C backend crashed the process on a 5,000-digit number read without
    ``use_float``; ``json`` leaves it to ``int()``, which raises ValueError."""
    path = tmp_path / ("CVE-2024-0001.json" if kind == "cve5" else f"{kind}.json")
    path.write_text(text)
    parse = {"nvd": parse_nvd, "kev": parse_kev, "cve5": parse_cve5}[kind]
    assert problem in _refused(lambda: list(parse(path)))


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "nvd.json"
    path.write_bytes(b'{"vulnerabilities": [{"cve": {"id": "CVE-2024-0001", "x": "\xff"}}]}')
    assert _refused(lambda: list(parse_nvd(path))).endswith(
        "malformed JSON (lexical error: invalid bytes in UTF8 string.)")
    path = tmp_path / "CVE-2024-0001.json"
    path.write_bytes(b'{"dataType": "CVE_RECORD", "x": "\xff"}')
    assert "not UTF-8 text" in _refused(lambda: list(parse_cve5(path)))


# -- shapes -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("top", "problem"), [
    ({"vulnerabilities": 5}, "vulnerabilities is not a list (a number 5)"),
    ({"vulnerabilities": None}, "vulnerabilities is not a list (null)"),
    ({"vulnerabilities": {"item": {"cve": _cve()}}}, "vulnerabilities is not a list (an object)"),
    ({"format": "NVD_CVE"}, "no 'vulnerabilities' list: not an NVD CVE feed"),
    ({"format": ["NVD_CVE"], "vulnerabilities": []}, "format is a list, not NVD_CVE"),
    ({"timestamp": "x" * 70_000, "vulnerabilities": "many"},
     "vulnerabilities is not a list (a string 'many')"),
])
def test_nvd_top_level_shapes(tmp_path: Path, top: dict[str, Any], problem: str) -> None:
    path = tmp_path / "nvd.json"
    path.write_text(json.dumps(top))
    assert _refused(lambda: list(parse_nvd(path))) == f"{path}: {problem}"


def test_an_empty_list_is_an_empty_feed_and_a_late_list_is_found(tmp_path: Path) -> None:
    path = tmp_path / "nvd.json"
    path.write_text('{"format": "NVD_CVE", "vulnerabilities": []}')
    assert list(parse_nvd(path)) == []
    path.write_text(json.dumps({"timestamp": "x" * 70_000, "format": "NVD_CVE",
                                "vulnerabilities": [{"cve": _cve()}]}))
    assert [r.cve_id for r in parse_nvd(path)] == ["CVE-2024-0001"]


@pytest.mark.parametrize(("fields", "problem"), [
    ({"descriptions": "a flaw"}, "descriptions is not a list (a string)"),
    ({"descriptions": [5]}, "descriptions[0] is not an object (a number)"),
    ({"descriptions": [{"lang": "en", "value": ["a"]}]},
     "descriptions[0].value is not a string (a list)"),
    ({"vulnStatus": 3}, "vulnStatus is not a string (a number)"),
    ({"metrics": []}, "metrics is not an object (a list)"),
    ({"configurations": {}}, "configurations is not a list (an object)"),
    ({"configurations": [{"nodes": [{"cpeMatch": [7]}]}]},
     "configurations[0].nodes[0].cpeMatch[0] is not an object (a number)"),
    ({"configurations": [{"negate": "yes", "nodes": []}]},
     "configurations[0].negate is not true/false (a string)"),
    ({"configurations": _match(vulnerable="false")},
     "configurations[0].nodes[0].cpeMatch[0].vulnerable is not true/false (a string)"),
    ({"configurations": _match(versionEndExcluding=2.5)},
     "configurations[0].nodes[0].cpeMatch[0].versionEndExcluding is not a string (a number)"),
    ({"configurations": [{"operator": ["AND"], "nodes": []}]},
     "configurations[0].operator ['AND'] is neither AND nor OR"),
    ({"descriptions": [{"lang": ["en"], "value": "a flaw"}]},
     "descriptions[0].lang is not a string (a list)"),
    ({"descriptions": [{"lang": {"en": 1}, "value": "a flaw"}]},
     "descriptions[0].lang is not a string (an object)"),
])
def test_nvd_record_shapes_name_the_path(tmp_path: Path, fields: dict[str, Any],
                                         problem: str) -> None:
    path = _nvd(tmp_path, _cve(**fields))
    assert _refused(lambda: list(parse_nvd(path))) == f"{path}: CVE-2024-0001: {problem}"


@pytest.mark.parametrize(("top", "problem"), [
    ({"vulnerabilities": 5}, "vulnerabilities is not a list (a number 5)"),
    ({"vulnerabilities": {"item": {"cveID": "CVE-2024-0001"}}},
     "vulnerabilities is not a list (an object)"),
    ({"vulnerabilities": []}, "no KEV entries (an empty 'vulnerabilities' list)"),
    ({"vulnerabilities": [{"cveID": "CVE-2024-0001", "dateAdded": 20240101}]},
     "CVE-2024-0001: dateAdded is not a string (a number)"),
])
def test_kev_shapes(tmp_path: Path, top: dict[str, Any], problem: str) -> None:
    path = tmp_path / "kev.json"
    path.write_text(json.dumps(top))
    assert _refused(lambda: list(parse_kev(path))) == f"{path}: {problem}"


def _cve5(tmp_path: Path, mangle: Callable[[dict[str, Any]], object]) -> Path:
    data = json.loads((FIXTURES / "cvelist5" / "CVE-2024-3400.json").read_text())
    mangle(data)
    path = tmp_path / "CVE-2024-3400.json"
    path.write_text(json.dumps(data))
    return path


def _cna(data: dict[str, Any]) -> dict[str, Any]:
    cna: dict[str, Any] = data["containers"]["cna"]
    return cna


@pytest.mark.parametrize(("mangle", "problem"), [
    (lambda d: d.update(containers=[1]), "containers is not an object (a list)"),
    (lambda d: d["containers"].update(cna="x"), "containers.cna is not an object (a string)"),
    (lambda d: d["containers"].update(adp={}), "containers.adp is not a list (an object)"),
    (lambda d: _cna(d).update(affected=[5]), "containers.cna.affected[0] is not an object"),
    (lambda d: _cna(d).update(metrics="x"), "containers.cna.metrics is not a list"),
    (lambda d: _cna(d)["affected"][0].update(versions=7),
     "containers.cna.affected[0].versions is not a list (a number)"),
    (lambda d: _cna(d)["affected"][0]["versions"][4].update(lessThan={"a": 1}),
     "containers.cna.affected[0].versions[4].lessThan is not a string (an object)"),
    (lambda d: _cna(d)["affected"][0]["versions"][4].update(versionType=[]),
     "containers.cna.affected[0].versions[4].versionType is not a string (a list)"),
    (lambda d: _cna(d)["affected"][0]["versions"][4].update(changes=[{"at": 1}]),
     "containers.cna.affected[0].versions[4].changes[0].at is not a string (a number)"),
    (lambda d: _cna(d)["affected"][0].update(cpes=[None]),
     "containers.cna.affected[0].cpes[0] is not a string (null)"),
    (lambda d: _cna(d)["descriptions"][0].update(value="a\x00b"),
     "containers.cna.descriptions[0].value contains a NUL character"),
    (lambda d: _cna(d)["descriptions"][0].update(value="a\ud800b"),
     "containers.cna.descriptions[0].value contains an unpaired surrogate"),
    (lambda d: _cna(d)["affected"][0].update(vendor="Palo\x00Alto"),
     "containers.cna.affected[0].vendor contains a NUL character"),
    (lambda d: d["cveMetadata"].update(state="X" * 5000), "state 'XXXXX"),
    (lambda d: _cna(d)["descriptions"][0].update(lang=["en"]),
     "containers.cna.descriptions[0].lang is not a string (a list)"),
])
def test_cve5_shapes_and_text(tmp_path: Path, mangle: Callable[[dict[str, Any]], object],
                              problem: str) -> None:
    path = _cve5(tmp_path, mangle)
    message = _refused(lambda: parse_record(path))
    assert message.startswith(f"{path}: CVE-2024-3400: {problem}"), message
    assert len(message) < 300


def test_cve5_rows_the_catalog_cannot_hold_are_skipped_with_a_warning(tmp_path: Path) -> None:
    def mangle(data: dict[str, Any]) -> None:
        _cna(data)["affected"][0]["vendor"] = "v" * 600
        data["containers"]["adp"][0]["affected"][0]["cpes"] = ["cpe:/a:x%00:y"]

    record = parse_record(_cve5(tmp_path, mangle))
    assert all(len(m.criteria) <= 500 and "\x00" not in m.criteria for m in record.matches)
    skipped = [w for w in record.warnings if "cannot be stored" in w]
    assert any("containers.cna.affected[0]" in w for w in skipped)
    assert any("containers.adp[0].affected[0]" in w for w in skipped)


@pytest.mark.parametrize("data", [[{"vectorString": "AV:N"}], "AV:N/AC:L", 7])
def test_a_cvss_metric_of_the_wrong_shape_is_recorded_as_missing(tmp_path: Path,
                                                                  data: object) -> None:
    metric = {"source": "nvd@nist.gov", "type": "Primary", "cvssData": data}
    nvd = _nvd(tmp_path, _cve(metrics={"cvssMetricV31": [metric]}))
    [record] = parse_nvd(nvd)
    assert record.primary is None
    assert record.warnings == ["CVSS 3.1 metric without a cvssData object: recorded as missing"]

    cve5 = _cve5(tmp_path, lambda d: _cna(d).update(metrics=[{"cvssV3_1": data}]))
    assert parse_record(cve5).primary is None


def test_a_huge_wildcard_bound_is_skipped_not_a_crash(tmp_path: Path) -> None:
    # "1.<5,000 digits>.*" once reached int() and its 4,300-digit limit (ValueError)
    def mangle(data: dict[str, Any]) -> None:
        _cna(data)["affected"][0]["versions"] = [
            {"version": "1.0", "lessThan": "1." + "9" * 5000 + ".*", "status": "affected"}]

    record = parse_record(_cve5(tmp_path, mangle))
    assert any("cannot be stored" in w for w in record.warnings)
    assert all(len(b or "") <= 100 for m in record.matches
               for b in (m.version_end_excluding, m.version_end_including))


# -- text the databases cannot hold, and the schema's limits ------------------------------------
@pytest.mark.parametrize(("fields", "problem"), [
    ({"descriptions": [{"lang": "en", "value": "a\x00b"}]},
     "descriptions[0].value contains a NUL character"),
    ({"vulnStatus": "Analy\x00zed"}, "vulnStatus contains a NUL character"),
    ({"vulnStatus": "A" * 51}, "vulnStatus is longer than 50 characters"),
    ({"configurations": _match(criteria="cpe:2.3:a:x\x00:y:*:*:*:*:*:*:*:*")},
     "configurations[0].nodes[0].cpeMatch[0].criteria contains a NUL character"),
    ({"configurations": _match(criteria="cpe:2.3:a:" + "x" * 500)},
     "configurations[0].nodes[0].cpeMatch[0].criteria is longer than 500 characters"),
    ({"configurations": _match(versionStartIncluding="1" * 101)},
     "configurations[0].nodes[0].cpeMatch[0].versionStartIncluding is longer than 100"),
    ({"configurations": _match(versionEndIncluding="1\x00")},
     "configurations[0].nodes[0].cpeMatch[0].versionEndIncluding contains a NUL character"),
    ({"published": "2024-01-01T00:00:00+\u0660\u0661:00"}, "published is not a date"),
    ({"published": "0001-01-01T00:00:00+05:00"}, "published '0001-01-01T00:00:00+05:00' is "
                                                 "out of range"),
    ({"lastModified": "9999-12-31T23:59:59-05:00"}, "lastModified '9999-12-31T23:59:59-05:00' "
                                                    "is out of range"),
    ({"lastModified": "9999-01-01T00:00:00"}, "lastModified '9999-01-01T00:00:00' is in the "
                                              "future"),
    ({"published": "2999-01-01"}, "published '2999-01-01' is in the future"),
])
def test_nvd_text_and_limits(tmp_path: Path, fields: dict[str, Any], problem: str) -> None:
    path = _nvd(tmp_path, _cve(**fields))
    assert _refused(lambda: list(parse_nvd(path))).startswith(
        f"{path}: CVE-2024-0001: {problem}")


def test_a_stored_vector_fits_its_column(tmp_path: Path) -> None:
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" + "/E:X" * 50
    metric = {"type": "Primary", "cvssData": {"vectorString": vector, "baseScore": 9.8}}
    [record] = parse_nvd(_nvd(tmp_path, _cve(metrics={"cvssMetricV31": [metric]})))
    assert record.cvss_v31 is None and any("cannot be stored" in w for w in record.warnings)


def test_other_scripts_digits_are_not_cve_ids(tmp_path: Path) -> None:
    path = _nvd(tmp_path, _cve(id="CVE-\u0662\u0660\u0662\u0664-0001"))
    assert "is not a CVE id" in _refused(lambda: list(parse_nvd(path)))


EPSS_HEADER = "#model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z\ncve,epss,percentile\n"


@pytest.mark.parametrize(("text", "problem"), [
    (f"#model_version:{'x' * 10_000},score_date:2024-01-01\ncve,epss,percentile\n",
     "line 1: the header line is longer than 4096 characters"),
    (f"#model_version:{'x' * 51},score_date:2024-01-01\ncve,epss,percentile\n",
     "line 1: model_version is longer than 50 characters"),
    ("#model_version:v\x001,score_date:2024-01-01\ncve,epss,percentile\n",
     "line 1: model_version contains a NUL character"),
    ("#model_version:v1,score_date:0001-01-01T00:00:00+01:00\ncve,epss,percentile\n",
     "line 1: score_date '0001-01-01T00:00:00+01:00' is out of range"),
    (EPSS_HEADER + "CVE-2024-0001,0.1_0,0.2\n", "line 3: epss '0.1_0' is not a number"),
    (EPSS_HEADER + "CVE-2024-0001,0.\u0661,0.2\n", "line 3: epss '0.\u0661' is not a number"),
    (EPSS_HEADER + "CVE-2024-0001,0.1,inf\n", "line 3: percentile inf is outside [0, 1]"),
    (EPSS_HEADER + "CVE-2024-0001\x00,0.1,0.2\n", "line 3: 'CVE-2024-0001\\x00' is not a CVE"),
])
def test_epss(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "epss.csv"
    path.write_text(text)

    def parse() -> None:
        with EpssFile(path) as epss:
            list(epss.scores())

    assert _refused(parse).startswith(f"{path}: {problem}")


EDB_HEADER = "id,file,description,date_published,author,type,platform,port,verified,source_url"


@pytest.mark.parametrize(("row", "problem"), [
    ("99999999999999999999,a.py,x,,,,,,,", "id '99999999999999999999' is outside 1-2147483647"),
    ("2147483648,a.py,x,,,,,,,", "id '2147483648' is outside 1-2147483647"),
    ("0,a.py,x,,,,,,,", "id '0' is outside 1-2147483647"),
    ("1_000,a.py,x,,,,,,,", "id '1_000' is not a number"),
    ("\u0663,a.py,x,,,,,,,", "id '\u0663' is not a number"),
    ("+5,a.py,x,,,,,,,", "id '+5' is not a number"),
    ("1,a.py,x,,,,,8_0,,", "port '8_0' is not a number"),
    ("1,a.py,x,,,,,\u0668\u0660,,", "port '\u0668\u0660' is not a number"),
    ("1,a.py,x,,,,,70000,,", "port '70000' is outside 0-65535"),
    ("1,a.py,x,,,,,,yes,", "verified 'yes' is neither 0 nor 1"),
    ("1,a.py,x\x00y,,,,,,,", "description contains a NUL character"),
    ("1,a.py,x,,me\x00,,,,,", "author contains a NUL character"),
    ("1,a.py,x,,,,lin\x00ux,,,", "platform contains a NUL character"),
    ("1,a.py,x,2024-\u0660\u0661-01,,,,,,", "date_published is not a date"),
    ("1,a.py,x,,,,,,," + "u" * 2001, "source_url is longer than 2000 characters"),
])
def test_exploitdb(tmp_path: Path, row: str, problem: str) -> None:
    path = tmp_path / "files_exploits.csv"
    path.write_text(f"{EDB_HEADER}\n{row}\n")
    assert _refused(lambda: list(parse_exploitdb(path))).startswith(
        f"{path}: line 2: {problem}")


def test_exploitdb_plain_numbers_still_pass(tmp_path: Path) -> None:
    path = tmp_path / "files_exploits.csv"
    path.write_text(f"{EDB_HEADER}\n 0042 ,a.py,x,,,,, 443 ,1,\n2147483647,b.py,y,,,,,0,0,\n")
    first, last = parse_exploitdb(path)
    assert (first.edb_id, first.row.port, first.row.verified) == (42, 443, True)
    assert (last.edb_id, last.row.port) == (2147483647, 0)


def test_timestamps() -> None:
    assert parse_timestamp("2024-01-01T05:00:00+05:00", "f", "r", "d") == parse_timestamp(
        "2024-01-01", "f", "r", "d")
    for bad in ("\u0662\u0660\u0662\u0664-01-01", "2024-01-01T00:00:00+99:00"):
        with pytest.raises(FeedError, match="is not a date"):
            parse_timestamp(bad, "f", "r", "d")


# -- nothing reaches the catalogs -----------------------------------------------------------------
def _hostile_files(tmp_path: Path) -> list[tuple[str, Path]]:
    nul = _nvd(tmp_path, _cve(descriptions=[{"lang": "en", "value": "a\x00b"}]), "nul.json")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    epss = tmp_path / "epss.csv"
    epss.write_text(f"#model_version:{'x' * 100},score_date:2024-01-01\ncve,epss,percentile\n"
                    "CVE-2024-0001,0.1,0.2\n")
    edb = tmp_path / "files_exploits.csv"
    edb.write_text(f"{EDB_HEADER}\n1,a.py,x,,,,,,,\n99999999999999999999,a.py,x,,,,,,,\n")
    kev = tmp_path / "kev.json"
    kev.write_text('{"vulnerabilities": [{"cveID": "CVE-2024-0001"}], "x": ' + "{" * 9000)
    return [("nvd", nul), ("nvd", deep), ("kev", deep), ("cve5", deep), ("epss", epss),
            ("exploitdb", edb), ("kev", kev)]


def test_refused_files_leave_the_catalogs_as_they_were(db: Database, tmp_path: Path) -> None:
    for source, path in _hostile_files(tmp_path):
        with pytest.raises(FeedError):
            import_file(db, source, path)
    for table in CATALOGS:
        assert db.get_value(f"SELECT COUNT(*) FROM {table}") == 0
    errors = db.select(str, "SELECT last_error FROM cve_feeds ORDER BY name")
    assert errors and all("\n" not in e for e in errors)


# -- a plain CSV cut short ----------------------------------------------------------------------
CSV_FEEDS = [("epss", "epss/epss_scores-sample.csv", None),
             ("kev", "kev/known_exploited_vulnerabilities.csv", None),
             ("exploitdb", "exploitdb/files_exploits-handmade.csv", 2)]  # ends in a URL


def _catalogs(db: Database) -> list[list[tuple[Any, ...]]]:
    return [sorted(map(repr, db.select(dict, f"SELECT * FROM {t}"))) for t in CATALOGS]


@pytest.mark.parametrize(("source", "name", "lines"), CSV_FEEDS)
def test_a_csv_cut_inside_its_last_line_is_refused(db: Database, tmp_path: Path, source: str,
                                                   name: str, lines: int | None) -> None:
    """Without its line end the last value may be cut short (an EPSS score of 0.88255 read
    as 0.8, a URL, a CWE): the import changes nothing and says why."""
    data = b"".join((FIXTURES / name).read_bytes().splitlines(keepends=True)[:lines])
    cut = tmp_path / Path(name).name
    cut.write_bytes(data)
    import_file(db, source, cut)
    before = _catalogs(db)
    for end in (len(data) - 2, len(data) - 4):
        cut.write_bytes(data[:end])
        last = data[:end].count(b"\n") + 1
        message = _refused(lambda: import_file(db, source, cut))
        assert message == (f"{cut}: line {last}: the last line has no line end: the file is "
                           "cut short (truncated download?)")
        assert _catalogs(db) == before
    cut.write_bytes(data.replace(b"\n", b"\r\n"))  # CRLF line ends are line ends
    assert import_file(db, source, cut).inserted == 0
    assert _catalogs(db) == before


# -- the same record twice with different data --------------------------------------------------
def test_kev_refuses_a_cve_listed_twice(tmp_path: Path) -> None:
    entry = {"cveID": "CVE-2024-0001", "dateAdded": "2024-01-01", "dueDate": "2024-01-21"}
    path = tmp_path / "kev.json"
    path.write_text(json.dumps({"vulnerabilities": [
        entry, {"cveID": "CVE-2024-0002"}, {**entry, "dueDate": "2024-02-21"}]}))
    assert _refused(lambda: list(parse_kev(path))) == (
        f"{path}: entry 3: CVE-2024-0001 appears twice in the file (first as entry 1)")
    csv = tmp_path / "kev.csv"
    csv.write_text("cveID,dateAdded,dueDate\nCVE-2024-0001,2024-01-01,2024-01-21\n"
                   "CVE-2024-0001,2024-01-01,2024-02-21\n")
    assert _refused(lambda: list(parse_kev(csv))) == (
        f"{csv}: line 3: CVE-2024-0001 appears twice in the file (first as line 2)")


def test_a_cve5_folder_holding_a_cve_twice_is_refused(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "cves"
    data = json.loads((FIXTURES / "cvelist5" / "CVE-2024-3400.json").read_text())
    for year, text in (("2024", "first"), ("copy", "second")):
        _cna(data)["descriptions"][0]["value"] = text
        (folder / year).mkdir(parents=True)
        (folder / year / "CVE-2024-3400.json").write_text(json.dumps(data))
    message = _refused(lambda: import_file(db, "cve5", folder))
    assert message == (f"{folder / 'copy' / 'CVE-2024-3400.json'}: CVE-2024-3400: the folder "
                       f"holds this CVE twice (also in {folder / '2024' / 'CVE-2024-3400.json'})")
    assert db.get_value("SELECT COUNT(*) FROM cve_catalog") == 0


def test_a_delta_naming_a_cve_as_new_and_updated_reads_it_once(db: Database,
                                                                tmp_path: Path) -> None:
    record = tmp_path / "2024" / "3xxx" / "CVE-2024-3400.json"
    record.parent.mkdir(parents=True)
    record.write_bytes((FIXTURES / "cvelist5" / "CVE-2024-3400.json").read_bytes())
    item = {"cveId": "CVE-2024-3400", "dateUpdated": "2024-04-20T00:00:00Z"}
    delta = tmp_path / "delta.json"
    delta.write_text(json.dumps({"fetchTime": "2024-04-20T01:00:00Z", "new": [item],
                                 "updated": [item]}))
    report = import_file(db, "cve5", delta)
    assert (report.records, report.inserted) == (1, 1)


def test_exploitdb_rows_of_one_id_differing_beyond_tags_and_codes_are_refused(
        tmp_path: Path) -> None:
    path = tmp_path / "files_exploits.csv"
    path.write_text("id,file,description,codes,tags\n7,a.py,x,CVE-2024-0001,Remote\n"
                    "8,b.py,y,,\n7,a.py,x,CVE-2024-0002,Local\n")
    [seven, _] = parse_exploitdb(path)
    assert (seven.cve_ids, seven.tags) == (["CVE-2024-0001", "CVE-2024-0002"],
                                           ["Remote", "Local"])
    path.write_text("id,file,description,codes,tags\n7,a.py,x,,\n8,b.py,y,,\n7,a.py,z,,\n")
    assert _refused(lambda: list(parse_exploitdb(path))) == (
        f"{path}: line 4: id 7 again, with another description than at line 2")
    path.write_text("id,file,description,codes,tags\n7,a.py,x,,\n7,b.py,x,,\n")
    assert _refused(lambda: list(parse_exploitdb(path))) == (
        f"{path}: line 3: id 7 again, with another file_path than at line 2")
    # another platform or date on a repeated row: the first row's are kept
    path.write_text("id,file,description,platform,date_added,tags\n"
                    "7,a.py,x,linux,2020-01-01,Remote\n7,a.py,x,unix,2021-01-01,Local\n")
    [seven] = parse_exploitdb(path)
    assert (seven.row.platform, seven.row.date_added.year, seven.tags) == (
        "linux", 2020, ["Remote", "Local"])


# -- a byte order mark --------------------------------------------------------------------------
@pytest.mark.parametrize(("source", "name", "count"), [
    ("nvd", "nvd/nvd-page-2.json", 4), ("kev", "kev/known_exploited_vulnerabilities.json", 1404),
    ("cve5", "cvelist5/CVE-2024-3400.json", 1), ("kev", "kev/known_exploited_vulnerabilities.csv",
                                                 1404),
    ("epss", "epss/epss_scores-sample.csv", 1543)])
def test_a_utf8_byte_order_mark_is_not_part_of_the_feed(db: Database, tmp_path: Path,
                                                        source: str, name: str,
                                                        count: int) -> None:
    """Editors on Windows put one first; JSON feeds read as a stream called it malformed
    ("not an NVD CVE feed")."""
    data = b"\xef\xbb\xbf" + (FIXTURES / name).read_bytes()
    plain = tmp_path / Path(name).name
    plain.write_bytes(data)
    packed = gz(tmp_path / f"{plain.name}.gz", data)
    assert import_file(db, source, plain).records == count
    assert import_file(db, source, packed, force=True).records == count


# -- a header and nothing else ------------------------------------------------------------------
@pytest.mark.parametrize(("source", "name", "head", "problem"), [
    ("epss", "epss/epss_scores-sample.csv", 2, "no EPSS scores (the header only)"),
    ("kev", "kev/known_exploited_vulnerabilities.csv", 1, "no KEV entries (the header only)")])
def test_a_feed_replaced_as_a_whole_refuses_a_header_only(db: Database, tmp_path: Path,
                                                          source: str, name: str, head: int,
                                                          problem: str) -> None:
    """An import of it would have cleared every stored EPSS score, or every KEV flag."""
    import_file(db, source, FIXTURES / name)
    before = _catalogs(db)
    lines = (FIXTURES / name).read_bytes().splitlines(keepends=True)
    path = tmp_path / Path(name).name
    for data in (b"".join(lines[:head]), b"".join(lines[:head]) + b"\n\n"):
        path.write_bytes(data)
        assert _refused(lambda: import_file(db, source, path)) == f"{path}: {problem}"
        assert _catalogs(db) == before


# -- format versions not known ------------------------------------------------------------------
@pytest.mark.parametrize(("version", "shown"), [("3.0", "a string '3.0'"), ("20", "a string '20'"),
                                                (2.0, "a number 2.0"), (None, "null")])
def test_an_nvd_feed_of_another_major_version_is_refused(tmp_path: Path, version: object,
                                                         shown: str) -> None:
    path = tmp_path / "nvd.json"
    path.write_text(json.dumps({"format": "NVD_CVE", "version": version,
                                "vulnerabilities": [{"cve": _cve()}]}))
    assert _refused(lambda: list(parse_nvd(path))) == (
        f"{path}: version is {shown}; only NVD CVE 2.x feeds are known")
    path.write_text(json.dumps({"format": "NVD_CVE", "version": "2.2",
                                "vulnerabilities": [{"cve": _cve()}]}))
    assert len(list(parse_nvd(path))) == 1


@pytest.mark.parametrize("version", ["6.0", "4.0", "50", 5.1, "5.1\x00"])
def test_a_cve_record_of_another_major_version_is_refused(tmp_path: Path,
                                                          version: object) -> None:
    path = _cve5(tmp_path, lambda d: d.update(dataVersion=version))
    message = _refused(lambda: parse_record(path))
    assert message.startswith(f"{path}: dataVersion {version!r}"), message
    assert message.endswith("is not a CVE 5.x record version")
    for known in ("5.0", "5.1", "5.x", "5.2.1"):
        path = _cve5(tmp_path, functools.partial(dict.update, dataVersion=known))
        assert parse_record(path).cve_id


# -- dates that order records and move cursors are not in the future ------------------------------
def test_a_future_last_modified_cannot_pin_a_cve_or_the_cursor(db: Database,
                                                              tmp_path: Path) -> None:
    """Newer records win and the NVD cursor only moves forward: one lastModified of 9999
    once stopped every later update of the CVE ("kept newer") and every later sync."""
    ahead = (datetime.now(UTC) + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%S")
    assert import_file(db, "nvd", _nvd(tmp_path, _cve(lastModified=ahead), "near.json")).records
    far = _nvd(tmp_path, _cve(lastModified="9999-01-01T00:00:00.000"), "far.json")
    assert _refused(lambda: import_file(db, "nvd", far)) == (
        f"{far}: CVE-2024-0001: lastModified '9999-01-01T00:00:00.000' is in the future")
    assert db.get_value("SELECT sync_cursor FROM cve_feeds WHERE name = 'nvd'") < "9999"


@pytest.mark.parametrize(("kind", "text", "problem"), [
    ("kev", '{"vulnerabilities": [{"cveID": "CVE-2024-0001", "dateAdded": "3024-01-01"}]}',
     "CVE-2024-0001: dateAdded '3024-01-01' is in the future"),
    ("epss", "#model_version:v1,score_date:3024-01-01T00:00:00Z\ncve,epss,percentile\n"
             "CVE-2024-0001,0.1,0.2\n",
     "line 1: score_date '3024-01-01T00:00:00Z' is in the future"),
    ("delta", '{"fetchTime": "3024-01-01T00:00:00Z", "new": []}',
     "fetchTime: fetchTime '3024-01-01T00:00:00Z' is in the future"),
])
def test_future_dates_of_events_are_refused(tmp_path: Path, kind: str, text: str,
                                            problem: str) -> None:
    path = tmp_path / {"kev": "kev.json", "epss": "epss.csv", "delta": "delta.json"}[kind]
    path.write_text(text)
    read: Callable[[], object] = {
        "kev": lambda: list(parse_kev(path)), "delta": lambda: parse_delta(path),
        "epss": lambda: EpssFile(path).__enter__()}[kind]
    assert _refused(read) == f"{path}: {problem}"
    record = _cve5(tmp_path, lambda d: d["cveMetadata"].update(dateUpdated="3024-01-01T00:00Z"))
    assert _refused(lambda: parse_record(record)).endswith("dateUpdated '3024-01-01T00:00Z' "
                                                           "is in the future")


# -- a key twice in one object ------------------------------------------------------------------
CVE_TEXT = ('{"id": "CVE-2024-0001", "published": "2024-01-01T00:00:00", '
            '"descriptions": [{"lang": "en", "value": "a"}]')


@pytest.mark.parametrize(("cve", "record", "key"), [
    (CVE_TEXT + ', "id": "CVE-2024-0002"}', "CVE-2024-0002", "id"),
    (CVE_TEXT + ', "lastModified": "2024-01-02T00:00:00", "lastModified": "2024-01-03T00:00:00"}',
     "CVE-2024-0001", "lastModified"),
    (CVE_TEXT + ', "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true, '
     '"criteria": "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", '
     '"criteria": "cpe:2.3:a:x:z:*:*:*:*:*:*:*:*"}]}]}]}', "CVE-2024-0001", "criteria"),
    (CVE_TEXT + ', "descriptions": [], "x": "\\ud800"}', "CVE-2024-0001", "descriptions"),
])
def test_a_key_twice_in_an_nvd_record_is_refused(tmp_path: Path, cve: str, record: str,
                                                 key: str) -> None:
    """JSON leaves a repeated key's meaning open; a dict kept the last value unseen (the
    last case is read by ijson's exact backend, after a lone surrogate)."""
    path = tmp_path / "nvd.json"
    path.write_text('{"format": "NVD_CVE", "vulnerabilities": [{"cve": ' + cve + "}]}")
    assert _refused(lambda: list(parse_nvd(path))) == (
        f"{path}: {record}: the key '{key}' appears twice in one object")
    bare = tmp_path / "CVE-2024-0001.json"
    bare.write_text(cve)
    assert _refused(lambda: list(parse_nvd(bare))).endswith(
        f"the key '{key}' appears twice in one object")


def test_a_key_twice_in_kev_or_cve5_is_refused(tmp_path: Path) -> None:
    kev = tmp_path / "kev.json"
    kev.write_text('{"vulnerabilities": [{"cveID": "CVE-2024-0001"}, {"cveID": "CVE-2024-0002",'
                   ' "dueDate": "2024-01-01", "dueDate": "2025-01-01"}]}')
    assert _refused(lambda: list(parse_kev(kev))) == (
        f"{kev}: entry 2: the key 'dueDate' appears twice in one object")
    text = (FIXTURES / "cvelist5" / "CVE-2024-3400.json").read_text()
    record = tmp_path / "CVE-2024-3400.json"
    record.write_text(text.replace('"state": "PUBLISHED"',
                                   '"state": "PUBLISHED", "state": "REJECTED"', 1))
    assert _refused(lambda: parse_record(record)) == (
        f"{record}: the key 'state' appears twice in one object")


# -- sizes and archives -------------------------------------------------------------------------
def test_a_csv_line_without_end_is_refused_at_its_limit_not_read_whole(tmp_path: Path) -> None:
    """8 MB without a line end (a .gz of a few KB; a bomb of gigabytes filled memory
    before the CSV reader's field limit was consulted) is refused at 1 MB."""
    head = b"#model_version:v2025.03.14,score_date:2026-10-01T00:00:00+0000\ncve,epss,percentile\n"
    epss = gz(tmp_path / "epss.csv.gz", head + b"a" * (8 << 20))
    with EpssFile(epss) as scores:
        assert _refused(lambda: list(scores.scores())) == (
            f"{epss}: line 3: the line is longer than 1,048,576 characters: not a feed line")
    edb = gz(tmp_path / "files_exploits.csv.gz", b"id,file,description,codes\n1,"
             + b"x" * (8 << 20))
    assert "line 2: the line is longer than" in _refused(lambda: list(parse_exploitdb(edb)))


def test_a_json_record_over_the_limit_is_refused(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """ijson's C backend takes time quadratic in a string's length (a 1.5 GB string in a
    1.5 MB .gz ran for hours) and memory linear in a record's: more than MAX_RECORD bytes
    without a complete record are refused; a file of many records is not limited."""
    monkeypatch.setattr("monozu.domain.vulnintel.feeds._json.MAX_RECORD", 200_000)
    assert len(list(parse_nvd(FIXTURES / "nvd" / "nvd-page-1.json"))) == 15  # 275 KB
    long = "x" * 300_000
    path = tmp_path / "nvd.json.gz"
    gz(path, json.dumps({"format": "NVD_CVE", "vulnerabilities": [
        {"cve": _cve(id="CVE-2024-0001")}, {"cve": _cve(id="CVE-2024-0002", x=long)}]}).encode())
    assert _refused(lambda: list(parse_nvd(path))) == (
        f"{path}: after CVE-2024-0001: more than 0 MB of JSON without a complete record "
        "(a string or record this long is not a feed's)")
    bare = tmp_path / "CVE-2024-0001.json"
    bare.write_text(json.dumps(_cve(x=long)))
    assert "without a complete record" in _refused(lambda: list(parse_nvd(bare)))
    kev = tmp_path / "kev.json"
    kev.write_text(json.dumps({"vulnerabilities": [{"cveID": "CVE-2024-0001", "x": long}]}))
    assert "without a complete record" in _refused(lambda: list(parse_kev(kev)))
    before = tmp_path / "late.json"  # the list found by a second pass, past a long value
    before.write_text(json.dumps({"junk": long, "vulnerabilities": []}))
    assert "without a complete record" in _refused(lambda: list(parse_nvd(before)))


def test_a_cve5_file_over_the_limit_is_refused_unread(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monozu.domain.vulnintel.feeds.cve5.MAX_RECORD", 1000)
    record = tmp_path / "CVE-2024-0001.json"
    record.write_text(json.dumps({"dataType": "CVE_RECORD", "x": "y" * 2000}))
    assert _refused(lambda: parse_record(record)) == (
        f"{record}: the file is larger than 0 MB: not a CVE 5 record")


def _zip_patched(path: Path, offset: int, value: int) -> Path:
    """A one-member zip with a byte of its local and central headers set (offsets in
    the local header; the central one has the same field 2 bytes further)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("nvd.json", (FIXTURES / "nvd" / "nvd-page-2.json").read_bytes())
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[offset] |= value
    data[central + offset + 2] |= value
    path.write_bytes(bytes(data))
    return path


def test_zip_archives_that_are_not_one_readable_feed(tmp_path: Path) -> None:
    """zipfile's RuntimeError and NotImplementedError came out as an error in monozu;
    an archive of several files was read as its first one, whatever that was."""
    several = tmp_path / "nvdcve-2.0-2024.json.zip"
    with zipfile.ZipFile(several, "w") as zf:
        zf.writestr("../../outside.json", b"{}")
        zf.writestr("nvdcve-2.0-2024.json", (FIXTURES / "nvd" / "nvd-page-2.json").read_bytes())
    assert _refused(lambda: list(parse_nvd(several))) == (
        f"{several}: the zip archive holds 2 files, a feed archive one (unpack it and "
        "import the feed file)")
    encrypted = _zip_patched(tmp_path / "encrypted.json.zip", 6, 1)  # flag bit 0
    assert _refused(lambda: list(parse_nvd(encrypted))) == (
        f"{encrypted}: the zip archive is encrypted")
    deflate64 = _zip_patched(tmp_path / "deflate64.json.zip", 8, 9)  # method 9
    assert _refused(lambda: list(parse_nvd(deflate64))) == (
        f"{deflate64}: the zip archive uses a compression method that cannot be read "
        "(repack it with deflate)")
    edb = _zip_patched(tmp_path / "files_exploits.csv.zip", 6, 1)
    assert _refused(lambda: list(parse_exploitdb(edb))) == (
        f"{edb}: the zip archive is encrypted")


def test_packed_files_are_read_by_their_bytes_not_their_name(tmp_path: Path) -> None:
    """A .GZ, or a packed download saved without its suffix, was read as text
    ("malformed JSON", "not UTF-8"), and so were xz and bzip2 files, which said nothing
    of the cause."""
    data = (FIXTURES / "nvd" / "nvd-page-2.json").read_bytes()
    expected = [r.cve_id for r in parse_nvd(FIXTURES / "nvd" / "nvd-page-2.json")]
    upper = gz(tmp_path / "nvdcve-2.0-2024.json.GZ", data)
    assert [r.cve_id for r in parse_nvd(upper)] == expected
    bare = tmp_path / "nvdcve-2.0-2024"
    with zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("nvdcve-2.0-2024.json", data)
    assert [r.cve_id for r in parse_nvd(bare)] == expected
    epss = gz(tmp_path / "epss_scores-current.csv", (FIXTURES / "epss" /
                                                    "epss_scores-sample.csv").read_bytes())
    with EpssFile(epss) as scores:
        assert len(list(scores.scores())) > 0
    for suffix, packed in (("xz", lzma.compress(data)), ("bzip2", bz2.compress(data))):
        path = tmp_path / f"CVE-2024.json.{suffix}"
        path.write_bytes(packed)
        assert _refused(lambda p=path: list(parse_nvd(p))) == (
            f"{path}: the file is {suffix}-compressed: unpack it first (.gz and .zip are "
            "read as they are)")
