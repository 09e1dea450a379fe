from __future__ import annotations

import json
from pathlib import Path

import pytest

from monozu.domain.vulnintel import FeedError
from monozu.domain.vulnintel.feeds.kev import parse_kev


def test_json_and_csv_agree(feeds: Path) -> None:
    from_json = {e.cve_id: e for e in parse_kev(feeds / "kev/known_exploited_vulnerabilities.json")}
    from_csv = {e.cve_id: e for e in parse_kev(feeds / "kev/known_exploited_vulnerabilities.csv")}
    assert len(from_json) == 1404 and from_json == from_csv
    assert sum(e.ransomware for e in from_json.values()) == 293
    log4j = from_json["CVE-2021-44228"]
    assert log4j.date_added is not None and log4j.date_added.isoformat()[:10] == "2021-12-10"


def test_tolerates_new_fields_and_trailing_spaces(tmp_path: Path) -> None:
    path = tmp_path / "kev.json"
    path.write_text(json.dumps({"catalogVersion": "x", "vulnerabilities": [{
        "cveID": " CVE-2024-3400 ", "dateAdded": "2024-04-12 ", "dueDate": "2024-04-19",
        "knownRansomwareCampaignUse": "Known", "forensicTriage": "Yes", "cwes": []}]}))
    [entry] = parse_kev(path)
    assert entry.cve_id == "CVE-2024-3400" and entry.ransomware


@pytest.mark.parametrize(("content", "problem"), [
    ('{"catalogVersion": "x", "vulnerabilities": [{"cveID": "CVE-2024-1"}]}',
     "entry 1: 'CVE-2024-1' is not a CVE id"),
    ('{"catalogVersion": "x", "vulnerabilities": [{"cveID": "CVE-2024-3400", "dateAdded": '
     '"2024-13-40"}]}', "CVE-2024-3400: dateAdded is not a date"),
    ('{"vulnerabilities": [{"cve": {"id": "CVE-2024-3400"}}]}', "wrong feed kind"),
    ('{"catalogVersion": "x", "vulnerabilities": [', "ends early"),
])
def test_bad_json(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "kev.json"
    path.write_text(content)
    with pytest.raises(FeedError, match=problem):
        list(parse_kev(path))


def test_csv_missing_column(feeds: Path, tmp_path: Path) -> None:
    lines = (feeds / "kev/known_exploited_vulnerabilities.csv").read_text().splitlines()
    path = tmp_path / "kev.csv"
    path.write_text("\n".join([lines[0].replace("dueDate,", ""), *lines[1:3]]))
    with pytest.raises(FeedError, match=r"kev.csv: line 1: the header lacks column\(s\) dueDate"):
        list(parse_kev(path))
