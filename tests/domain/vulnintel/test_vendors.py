from __future__ import annotations

import pytest

from monozu.domain.vulnintel import vendors
from monozu.domain.vulnintel.matching import asset_names


@pytest.mark.parametrize(("producer", "vendor"), [
    ("Siemens AG", "siemens"), ("SIEMENS", "siemens"), ("Siemens Aktiengesellschaft", "siemens"),
    ("Schneider Electric", "schneider-electric"), ("Schneider Electric SE", "schneider-electric"),
    ("Rockwell Automation, Inc.", "rockwellautomation"), ("Allen-Bradley", "rockwellautomation"),
    ("Allen Bradley", "rockwellautomation"), ("Cisco Systems", "cisco"),
    ("Cisco Systems, Inc.", "cisco"), ("Palo Alto Networks", "paloaltonetworks"),
    ("Phoenix Contact GmbH & Co. KG", "phoenixcontact"),
    ("Hangzhou Hikvision Digital Technology Co., Ltd.", "hikvision"),
    # no line needed: the normalised name is the vendor; hyphens stay
    ("Moxa Inc.", "moxa"), ("  Foo-Bar   Widgets  S.A. ", "foo-bar widgets"),
    ("Corp", "corp"),  # a legal form alone is still a name
])
def test_cpe_vendor(producer: str, vendor: str) -> None:
    assert vendors.cpe_vendor(producer) == vendor


def test_asset_names_use_the_vendor() -> None:
    names, problems = asset_names(None, "Siemens AG", "6BK1602-0AA12-0TP0", "2.6.1")
    assert not problems
    assert [str(n) for n in names] == [
        "cpe:2.3:o:siemens:6bk1602-0aa12-0tp0_firmware:2.6.1:*:*:*:*:*:*:*",
        "cpe:2.3:h:siemens:6bk1602-0aa12-0tp0:-:*:*:*:*:*:*:*",
        "cpe:2.3:o:siemens:6bk1602-0aa12-0tp0:2.6.1:*:*:*:*:*:*:*"]
    unknown, _ = asset_names(None, "Foo-Bar Widgets Ltd", "X 1", None)
    assert str(unknown[1]) == "cpe:2.3:h:foo-bar_widgets:x_1:-:*:*:*:*:*:*:*"


def test_the_shipped_list_parses_and_maps_each_name_once() -> None:
    table = vendors.aliases()
    assert table["allen-bradley"] == "rockwellautomation" and len(table) > 40
    assert all(key == vendors.normalise(key) for key in table)


@pytest.mark.parametrize(("text", "problem"), [
    ("siemens Siemens AG", "line 1: expected"),
    ("siemens: Siemens\nabb: Siemens AG", "line 2: 'Siemens AG' is already an alias of 'siemens'"),
])
def test_a_bad_alias_line_is_named(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        vendors.parse_aliases(text)
