from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest

from monozu.domain.vulnintel.feeds.nvd import parse_nvd
from monozu.domain.vulnintel.matching import (
    Verdict,
    asset_names,
    configurations,
    entry_matches,
    evaluate,
    matching_rows,
    matching_sets,
)
from monozu.domain.vulnintel.records import CpeMatchRow, CveRecord, pack_group
from monozu.domain.vulnintel.service import Asset, AssetIndex


@pytest.fixture(scope="module")
def records() -> dict[str, CveRecord]:
    here = Path(__file__).parent / "fixtures" / "nvd"
    return {r.cve_id: r for name in ("nvd-page-1.json", "nvd-page-2.json")
            for r in parse_nvd(here / name)}


def _verdict(records: dict[str, CveRecord], cve_id: str, cpe_text: str | None = None,
             producer: str | None = None, model: str | None = None,
             firmware: str | None = None) -> Verdict:
    names, problems = asset_names(cpe_text, producer, model, firmware)
    assert not problems
    return evaluate(cve_id, records[cve_id].matches, names)


def test_firmware_running_on_hardware(records: dict[str, CveRecord]) -> None:
    hit = _verdict(records, "CVE-2021-44228", producer="Siemens", model="6BK1602-0AA12-0TP0",
                   firmware="2.6.1")
    assert hit.matched and hit.configuration == 0
    text = hit.explain()
    assert "< 2.7.0" in text and "platform" in text and "node 1" in text
    fixed = _verdict(records, "CVE-2021-44228", producer="Siemens", model="6BK1602-0AA12-0TP0",
                     firmware="2.7.0")
    assert not fixed.matched
    # the firmware alone, without the hardware it runs on, does not satisfy the AND
    alone = _verdict(records, "CVE-2021-44228",
                     "cpe:2.3:o:siemens:6bk1602-0aa12-0tp0_firmware:2.6:*:*:*:*:*:*:*")
    assert not alone.matched


@pytest.mark.parametrize(("version", "expected"), [
    ("2.14.1", True), ("2.15.0", False), ("2.12.9", False), ("2.13.0", True)])
def test_application_range(records: dict[str, CveRecord], version: str, expected: bool) -> None:
    verdict = _verdict(records, "CVE-2021-44228",
                       f"cpe:2.3:a:apache:log4j:{version}:*:*:*:*:*:*:*")
    assert verdict.matched is expected


def test_exact_version_with_update(records: dict[str, CveRecord]) -> None:
    assert _verdict(records, "CVE-2021-44228",
                    "cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*").matched
    assert not _verdict(records, "CVE-2021-44228",
                        "cpe:2.3:a:apache:log4j:2.0:beta8:*:*:*:*:*:*").matched


def test_unknown_version_is_reported_not_matched(records: dict[str, CveRecord]) -> None:
    verdict = _verdict(records, "CVE-2021-44228", "cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*")
    assert not verdict.matched
    assert "no version to compare" in verdict.explain()


def _row(node: int, criteria: str, *, negate: bool = False, vulnerable: bool = True,
         operator: str = "OR", end: str | None = None) -> CpeMatchRow:
    return CpeMatchRow(pack_group(0, node, negate), operator, criteria, vulnerable,
                       version_end_excluding=end)


def test_negate_and_and_nodes() -> None:
    app = "cpe:2.3:a:x:app:*:*:*:*:*:*:*:*"
    windows = "cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*"
    rows = [_row(0, app, end="2.0"), _row(1, windows, negate=True, vulnerable=False)]
    linux, _ = asset_names("cpe:2.3:a:x:app:1.5:*:*:*:*:*:*:*", None, None, None)
    assert evaluate("CVE-2000-0001", rows, linux).matched
    on_windows = [*linux, *asset_names("cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*", None,
                                        None, None)[0]]
    assert not evaluate("CVE-2000-0001", rows, on_windows).matched
    both = [_row(0, app, operator="AND"), _row(0, windows, operator="AND")]
    assert not evaluate("CVE-2000-0001", both, linux).matched
    assert evaluate("CVE-2000-0001", both, on_windows).matched


def test_platform_only_configuration_is_not_a_vulnerability() -> None:
    rows = [_row(0, "cpe:2.3:h:x:box:-:*:*:*:*:*:*:*", vulnerable=False)]
    names, _ = asset_names(None, "x", "box", "1.0")
    assert not evaluate("CVE-2000-0001", rows, names).matched


def test_na_version_never_matches_a_versioned_asset() -> None:
    rows = [_row(0, "cpe:2.3:o:x:box_firmware:-:*:*:*:*:*:*:*")]
    names, _ = asset_names(None, "x", "box", "1.0")
    assert not evaluate("CVE-2000-0001", rows, names).matched


def test_bad_asset_cpe_is_a_problem_not_a_crash() -> None:
    names, problems = asset_names("cpe:2.3:a:broken", None, None, None)
    assert not names and "has 2 attributes" in problems[0]


def test_set_evaluation_agrees_with_evaluate_on_every_asset() -> None:
    """matching_sets (many assets at once) gives evaluate's answer for each asset: AND and
    OR nodes, negation, platform-only entries, ranges, exact and NA versions, wildcards."""
    rng = random.Random(7)
    criteria = [
        ("cpe:2.3:a:x:app:*:*:*:*:*:*:*:*", "2.0"), ("cpe:2.3:a:x:app:1.5:*:*:*:*:*:*:*", None),
        ("cpe:2.3:o:x:fw_firmware:*:*:*:*:*:*:*:*", "3.1"),
        ("cpe:2.3:h:x:fw:-:*:*:*:*:*:*:*", None),
        ("cpe:2.3:o:y:os:*:*:*:*:*:*:*:*", None), ("cpe:2.3:a:x:ap*:*:*:*:*:*:*:*:*", "1.9"),
        ("cpe:2.3:*:*:*:*:*:*:*:*:*:*:*", "0.5")]
    assets = [asset_names(c, p, m, f)[0] for c, p, m, f in (
        ("cpe:2.3:a:x:app:1.5:*:*:*:*:*:*:*", None, None, None),
        ("cpe:2.3:a:x:app:2.1:*:*:*:*:*:*:*", None, None, None),
        ("cpe:2.3:a:x:app:*:*:*:*:*:*:*:*", None, None, None),
        ("cpe:2.3:o:y:os:10:*:*:*:*:*:*:*", "x", "fw", "3.0"),
        (None, "x", "fw", "3.2"), (None, "x", "fw", None),
        ("cpe:2.3:a:x:app:0.4:*:*:*:*:*:*:*", "x", "fw", "1.0"))]
    matched = 0
    for round_ in range(400):
        rows = []
        plain = round_ % 3 == 0  # only single plain OR nodes: matching_rows' short way
        for configuration in range(rng.randint(1, 3)):
            for node in range(1 if plain else rng.randint(1, 3)):
                negate = not plain and rng.random() < 0.2
                operator = "OR" if plain else rng.choice(("OR", "AND"))
                for text, end in rng.sample(criteria, rng.randint(1, 3)):
                    rows.append(CpeMatchRow(pack_group(configuration, node, negate), operator,
                                            text, rng.random() < 0.7,
                                            version_end_excluding=end))
        expected = {i for i, names in enumerate(assets)
                    if evaluate("CVE-2000-0001", rows, names).matched}

        def entry(row: CpeMatchRow) -> set[int]:
            return {i for i, names in enumerate(assets)
                    if any(entry_matches(row, n, []) for n in names)}

        assert matching_sets(configurations(rows), entry) == expected, rows
        assert matching_rows(rows, entry) == expected, rows
        matched += bool(expected)
    assert 50 < matched < 350  # both outcomes are exercised


@pytest.mark.parametrize("version", ["2.*", "2.1?", "*1", "?.14.1"])
def test_an_asset_version_with_wildcards_is_unknown_not_matched(
        records: dict[str, CveRecord], version: str) -> None:
    """An asset CPE whose version is a pattern fell inside log4j's ranges (Maven reads
    ``2.*`` as a version): it stands for versions inside and outside them."""
    verdict = _verdict(records, "CVE-2021-44228",
                       f"cpe:2.3:a:apache:log4j:{version}:*:*:*:*:*:*:*")
    assert not verdict.matched
    assert f"the asset's version {version} is a pattern, not a version" in verdict.explain()
    exact = [_row(0, f"cpe:2.3:a:x:app:{version}:*:*:*:*:*:*:*"),
             _row(0, "cpe:2.3:a:x:app:2.14.1:*:*:*:*:*:*:*")]
    names, _ = asset_names(f"cpe:2.3:a:x:app:{version}:*:*:*:*:*:*:*", None, None, None)
    assert [entry_matches(row, names[0], []) for row in exact] == [True, False]
    assert evaluate("CVE-2000-0001", [_row(0, "cpe:2.3:a:x:app:*:*:*:*:*:*:*:*")],
                    names).matched  # ANY without bounds covers any version


@pytest.mark.parametrize(("criteria", "asset"), [
    (r"cpe:2.3:a:foo\:bar:app:*:*:*:*:*:*:*:*", r"cpe:2.3:a:foo\:bar:app:1.0:*:*:*:*:*:*:*"),
    (r"cpe:2.3:a:foo\.bar:app:*:*:*:*:*:*:*:*", "cpe:2.3:a:foo.bar:app:1.0:*:*:*:*:*:*:*"),
    (r"cpe:2.3:a:x:swiftnio_http\/2:*:*:*:*:*:*:*:*",
     r"cpe:2.3:a:X:SwiftNIO_HTTP\/2:1.0:*:*:*:*:*:*:*"),
    (r"cpe:2.3:a:x:app\-:*:*:*:*:*:*:*:*", "cpe:2.3:a:x:app-:1.0:*:*:*:*:*:*:*"),
])
def test_the_bulk_run_finds_what_entry_matches_finds_for_escaped_names(
        criteria: str, asset: str) -> None:
    """The run looks entries up by (vendor, product): split on every colon and kept
    escaped, an escaped colon or a needlessly escaped character put the criteria under
    another key than the asset's name, and the run missed a match explain reported."""
    names, problems = asset_names(asset, None, None, None)
    assert not problems
    row = _row(0, criteria, end="2.0")
    assert entry_matches(row, names[0], [])
    index = AssetIndex({uuid.uuid4(): [Asset(uuid.uuid4(), "a", names, [])]})
    assert index.entry(row) == {0}
