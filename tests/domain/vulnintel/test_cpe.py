from __future__ import annotations

import pytest

from monozu.domain.vulnintel import cpe


def test_escaped_characters_and_logical_values() -> None:
    name = cpe.parse(r"cpe:2.3:a:apple:swiftnio_http\/2:1.19.1:*:*:*:*:swift:*:*")
    assert name.product.value == "swiftnio_http/2"
    assert name.update.is_any and not name.version.is_any
    hardware = cpe.parse("cpe:2.3:h:siemens:6bk1602-0aa12-0tp0:-:*:*:*:*:*:*:*")
    assert hardware.version.is_na
    colon = cpe.parse(r"cpe:2.3:a:x:a\:b:1:*:*:*:*:*:*:*")
    assert colon.product.value == "a:b" and colon.version.value == "1"
    assert str(colon) == r"cpe:2.3:a:x:a\:b:1:*:*:*:*:*:*:*"


@pytest.mark.parametrize(("text", "problem"), [
    ("cpe:/a:x:y", "does not start with 'cpe:2.3:'"),
    ("cpe:2.3:a:x:y", "has 3 attributes"),
    ("cpe:2.3:q:x:y:*:*:*:*:*:*:*:*", "part 'q'"),
    ("cpe:2.3:a:x y:z:*:*:*:*:*:*:*:*", "unescaped ' '"),
    ("cpe:2.3:a:x:y*z:*:*:*:*:*:*:*:*", "wildcard inside"),
    ("cpe:2.3:a:x::*:*:*:*:*:*:*:*", "product is empty"),
    ("cpe:2.3:a:x:y:*:*:*:*:*:*:*:\\", "lone backslash"),
])
def test_refused(text: str, problem: str) -> None:
    with pytest.raises(cpe.CpeError, match=problem):
        cpe.parse(text)


@pytest.mark.parametrize(("source", "target", "expected"), [
    ("*", "anything", True),
    ("-", "-", True),
    ("-", "1.0", False),
    ("1.0", "-", False),
    ("1.0", "*", False),
    ("pan-os*", "pan-os_firmware", True),
    ("?an-os", "pan-os", True),
    ("?an-os", "ppan-os", False),
    (r"a\*b", "a*b", True),
    (r"a\*b", "axb", False),
    ("Log4J", "log4j", True),
])
def test_attribute_matching(source: str, target: str, expected: bool) -> None:
    assert cpe.Attr(source).matches(cpe.Attr(target)) is expected


def test_build_and_uri() -> None:
    assert cpe.build("o", "Palo Alto Networks", "PAN-OS", "10.2.9-h1") == (
        "cpe:2.3:o:palo_alto_networks:pan-os:10.2.9-h1:*:*:*:*:*:*:*")
    assert cpe.build("a", "x", "a/b") == r"cpe:2.3:a:x:a\/b:*:*:*:*:*:*:*:*"
    assert cpe.from_uri("cpe:/o:cisco:ios:15.2%284%29m7") == (
        r"cpe:2.3:o:cisco:ios:15.2\(4\)m7:*:*:*:*:*:*:*")
