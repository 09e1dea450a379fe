from __future__ import annotations

import json
from pathlib import Path

import pytest

from monozu.domain.vulnintel import FeedError
from monozu.domain.vulnintel.feeds.cve5 import (
    local_record_path,
    parse_cve5,
    parse_delta,
    parse_record,
)
from monozu.domain.vulnintel.records import CVE5_CONFIG_BASE, unpack_group


def test_record_with_ranges_changes_and_adp_cpes(feeds: Path) -> None:
    record = parse_record(feeds / "cvelist5/CVE-2024-3400.json")
    assert record.vuln_status == "Published" and record.primary is not None
    assert record.primary.score == 10.0
    assert all(unpack_group(m.config_group)[0] >= CVE5_CONFIG_BASE >> 8 for m in record.matches)
    ranges = {(m.criteria.split(":")[3], m.version_start_including, m.version_end_excluding)
              for m in record.matches}
    assert ("palo_alto_networks", "10.2.0", "10.2.9-h1") in ranges
    assert ("paloaltonetworks", "11.1.0", "11.1.2-h3") in ranges
    # "unaffected: All" products contribute nothing
    assert not any("cloud_ngfw" in m.criteria for m in record.matches)


def test_free_text_versions(feeds: Path) -> None:
    record = parse_record(feeds / "cvelist5/CVE-2023-3595.json")
    series_d = [m for m in record.matches if ":1756-en2t_series_d:" in m.criteria]
    assert [(m.version_end_including, m.criteria.split(":")[5]) for m in series_d] == [
        ("11.003", "*")]
    exact = [m for m in record.matches if ":5.028:" in m.criteria]
    assert exact and all(m.version_end_including is None for m in exact)


def test_rejected_and_folder_and_delta(feeds: Path) -> None:
    records = {r.cve_id: r for r in parse_cve5(feeds / "cvelist5")}
    assert set(records) == {"CVE-2023-3595", "CVE-2024-3400", "CVE-2024-3449"}
    assert records["CVE-2024-3449"].vuln_status == "Rejected"
    assert not records["CVE-2024-3449"].matches
    delta = parse_delta(feeds / "cvelist5/delta.json")
    assert [(e.cve_id, e.change) for e in delta.entries] == [("CVE-2025-14617", "new")]
    assert local_record_path(Path("cves"), "CVE-2025-14617") == Path(
        "cves/2025/14xxx/CVE-2025-14617.json")
    assert local_record_path(Path("cves"), "CVE-2024-3400") == Path(
        "cves/2024/3xxx/CVE-2024-3400.json")


@pytest.mark.parametrize(("mangle", "problem"), [
    (lambda d: d["cveMetadata"].update(cveId="CVE-2024-34OO"), "is not a CVE id"),
    (lambda d: d["cveMetadata"].update(state="RESERVED"), "state 'RESERVED'"),
    (lambda d: d.update(dataType="NVD_CVE"), "not a CVE 5 record"),
])
def test_hostile(feeds: Path, tmp_path: Path, mangle: object, problem: str) -> None:
    data = json.loads((feeds / "cvelist5/CVE-2024-3400.json").read_text())
    mangle(data)  # type: ignore[operator]
    path = tmp_path / "CVE-2024-3400.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FeedError, match=problem):
        parse_record(path)


def test_malformed_and_wrong_kind(feeds: Path, tmp_path: Path) -> None:
    path = tmp_path / "CVE-2024-3400.json"
    path.write_text((feeds / "cvelist5/CVE-2024-3400.json").read_text()[:500])
    with pytest.raises(FeedError, match=r"CVE-2024-3400.json: line \d+: malformed JSON"):
        parse_record(path)
    with pytest.raises(FeedError, match="looks like an NVD feed"):
        parse_record(feeds / "nvd/nvd-page-2.json")
