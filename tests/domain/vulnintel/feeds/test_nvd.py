from __future__ import annotations

import json
from pathlib import Path

import pytest

from monozu.domain.vulnintel import FeedError
from monozu.domain.vulnintel.feeds.nvd import parse_nvd
from monozu.domain.vulnintel.records import unpack_group
from tests.domain.vulnintel.conftest import gz, zipped


def _by_id(path: Path) -> dict[str, object]:
    return {r.cve_id: r for r in parse_nvd(path)}


def test_pages_of_real_records(feeds: Path) -> None:
    records = {r.cve_id: r for name in ("nvd-page-1.json", "nvd-page-2.json")
               for r in parse_nvd(feeds / "nvd" / name)}
    assert len(records) == 19
    log4j = records["CVE-2021-44228"]
    assert log4j.vuln_status == "Analyzed"
    assert log4j.description is not None and log4j.description.startswith("Apache Log4j2")
    assert log4j.primary is not None and (log4j.primary.version, log4j.primary.score) == (
        "3.1", 10.0)
    assert log4j.cvss_v31 is not None and log4j.cvss_v31.primary
    assert len(log4j.matches) == 408
    assert log4j.published_at is not None and log4j.published_at.tzinfo is not None
    # v2 only: the primary is the v2 metric, nothing for v3.1/v4.0
    old = records["CVE-2000-0380"]
    assert old.primary is not None and old.primary.version == "2.0"
    assert old.cvss_v31 is None and old.cvss_v40 is None
    # both v4.0 key spellings score
    for cve_id in ("CVE-2024-9137", "CVE-2020-37216", "CVE-2020-37217"):
        v40 = records[cve_id].cvss_v40
        assert v40 is not None and 0 <= v40.score <= 10
    rejected = records["CVE-2024-3449"]
    assert rejected.vuln_status == "Rejected" and rejected.primary is None
    assert not rejected.matches
    assert all(not r.warnings for r in records.values())


def test_and_configuration_of_firmware_on_hardware(feeds: Path) -> None:
    record = next(r for r in parse_nvd(feeds / "nvd" / "nvd-page-1.json")
                  if r.cve_id == "CVE-2021-44228")
    first = [m for m in record.matches if unpack_group(m.config_group)[0] == 0]
    assert {unpack_group(m.config_group)[1] for m in first} == {0, 1}
    firmware = next(m for m in first if m.vulnerable)
    hardware = next(m for m in first if not m.vulnerable)
    assert firmware.version_end_excluding == "2.7.0"
    assert hardware.criteria.startswith("cpe:2.3:h:siemens:6bk1602-0aa12-0tp0:-:")


def test_or_configuration_of_several_nodes_is_split() -> None:
    from monozu.domain.vulnintel.feeds.nvd import configuration_rows
    node = {"operator": "OR", "cpeMatch": [
        {"vulnerable": True, "criteria": "cpe:2.3:a:x:y:1.0:*:*:*:*:*:*:*"}]}
    rows = configuration_rows([{"operator": "OR", "nodes": [node, node]}], "f", "CVE-2000-0001")
    assert [unpack_group(r.config_group) for r in rows] == [(0, 0, False), (1, 0, False)]
    negated = configuration_rows([{"operator": "AND", "negate": True, "nodes": [node, node]}],
                                 "f", "CVE-2000-0001")
    assert [unpack_group(r.config_group) for r in negated] == [(0, 0, True), (1, 0, True)]


def test_gz_zip_and_bare_cve_object(feeds: Path, tmp_path: Path) -> None:
    data = (feeds / "nvd" / "nvd-page-2.json").read_bytes()
    expected = list(_by_id(feeds / "nvd" / "nvd-page-2.json"))
    assert list(_by_id(gz(tmp_path / "nvdcve-2.0-recent.json.gz", data))) == expected
    assert list(_by_id(zipped(tmp_path / "nvdcve-2.0-2020.json.zip",
                              "nvdcve-2.0-2020.json", data))) == expected
    bare = json.loads(data)["vulnerabilities"][0]["cve"]
    single = tmp_path / "CVE-2020-37217.json"
    single.write_text(json.dumps(bare))
    assert list(_by_id(single)) == ["CVE-2020-37217"]


def _error(path: Path) -> str:
    with pytest.raises(FeedError) as info:
        list(parse_nvd(path))
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_truncated_gz_names_file_and_last_record(feeds: Path, tmp_path: Path) -> None:
    data = (feeds / "nvd" / "nvd-page-1.json").read_bytes()
    whole = tmp_path / "whole.json.gz"
    gz(whole, data)
    cut = tmp_path / "nvdcve-2.0-2021.json.gz"
    cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) * 2 // 3])
    message = _error(cut)
    assert "truncated" in message or "ends early" in message


def test_malformed_json_names_the_record_before(feeds: Path, tmp_path: Path) -> None:
    text = (feeds / "nvd" / "nvd-page-2.json").read_text()
    broken = tmp_path / "broken.json"
    marker = '"id": "CVE-2023-27410"'
    broken.write_text(text.replace(marker, marker + ",,"))
    message = _error(broken)
    assert "malformed JSON" in message and "after CVE-2020-37217" in message


def test_wrong_feed_kinds(feeds: Path, tmp_path: Path) -> None:
    assert "KEV" in _error(feeds / "kev" / "known_exploited_vulnerabilities.json")
    assert "CVE 5 record" in _error(feeds / "cvelist5" / "CVE-2024-3400.json")
    assert "delta" in _error(feeds / "cvelist5" / "delta.json")
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert "empty" in _error(empty)
    assert "no such file" in _error(tmp_path / "missing.json")


def test_bad_cve_id_and_bad_vector(feeds: Path, tmp_path: Path) -> None:
    page = json.loads((feeds / "nvd" / "nvd-page-2.json").read_text())
    page["vulnerabilities"][1]["cve"]["id"] = "CVE-24-27410"
    bad_id = tmp_path / "bad-id.json"
    bad_id.write_text(json.dumps(page))
    assert "'CVE-24-27410' is not a CVE id" in _error(bad_id)

    page = json.loads((feeds / "nvd" / "nvd-page-2.json").read_text())
    cve = page["vulnerabilities"][1]["cve"]
    cve["metrics"]["cvssMetricV31"][0]["cvssData"]["vectorString"] = "CVSS:3.1/AV:X/AC:L"
    bad_vector = tmp_path / "bad-vector.json"
    bad_vector.write_text(json.dumps(page))
    record = next(r for r in parse_nvd(bad_vector) if r.cve_id == cve["id"])
    assert record.cvss_v31 is None
    assert any("does not parse" in w for w in record.warnings)


def test_streams_without_reading_whole_file(feeds: Path, tmp_path: Path) -> None:
    """A huge tail after the first records is never needed to yield them."""
    page = json.loads((feeds / "nvd" / "nvd-page-2.json").read_text())
    head = json.dumps(page)[:-2]  # drop "]}" so the document never ends
    endless = tmp_path / "endless.json"
    endless.write_text(head + "," + ",".join(['{"cve": ' + json.dumps(
        page["vulnerabilities"][0]["cve"]) + "}"] * 2000))
    first = next(iter(parse_nvd(endless)))
    assert first.cve_id == "CVE-2020-37217"
