"""CPE vendor names for the producers written on assets.

An asset's producer becomes the vendor of the CPE names matching builds for it
(:func:`matching.asset_names`). People write producers the way the company writes itself
("Siemens AG", "Allen-Bradley", "Cisco Systems, Inc."), NVD writes one short vendor name
("siemens", "rockwellautomation", "cisco"). :func:`cpe_vendor` bridges the two:

1. the name is normalised (:func:`normalise`): lowercased (Unicode NFKC first), ``&`` read
   as ``and``, the punctuation ``. , ( ) ' "`` dropped, runs of spaces made one, and
   legal-form words at the end removed (``AG``, ``GmbH``, ``Inc``, ``Corp``, ``Ltd``,
   ``Co KG``, ``S.A.``, ... see :data:`LEGAL_FORMS`) as long as a word remains;
2. the normalised name is looked up in the alias list shipped with the package
   (``data/vendor_aliases.txt``, whose names are normalised the same way);
3. otherwise the normalised name is the vendor (spaces become ``_`` in the CPE name,
   hyphens stay), so "Moxa Inc." is ``moxa`` without a line of its own.

A stored CPE is never rewritten: it names its vendor already.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

LEGAL_FORMS = frozenset({
    "ab", "ag", "and", "as", "bv", "co", "company", "corp", "corporation", "gmbh", "inc",
    "incorporated", "kg", "kk", "limited", "llc", "ltd", "mbh", "nv", "oy", "plc", "pty",
    "sa", "sarl", "sas", "se", "spa", "srl"})
_DROPPED = str.maketrans("", "", ".,()'\"")
_LINE = re.compile(r"^([a-z0-9][a-z0-9_\-]*)\s*:\s*(\S.*)$")


def normalise(name: str) -> str:
    """The comparable form of a producer name (rules in the module's docstring)."""
    text = unicodedata.normalize("NFKC", name).lower().replace("&", " and ")
    words = text.translate(_DROPPED).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def parse_aliases(text: str, source: str = "vendor aliases") -> dict[str, str]:
    """``{normalised name: CPE vendor}`` from the alias file's lines."""
    aliases: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = _LINE.match(line)
        if found is None:
            raise ValueError(f"{source}: line {number}: expected '<cpe vendor>: <name>, ...'")
        vendor = found.group(1)
        for name in (n for n in found.group(2).split(",") if n.strip()):
            key = normalise(name)
            if aliases.get(key, vendor) != vendor:
                raise ValueError(f"{source}: line {number}: {name.strip()!r} is already an "
                                 f"alias of {aliases[key]!r}")
            aliases[key] = vendor
    return aliases


@functools.cache
def aliases() -> dict[str, str]:
    """The alias list shipped with the package."""
    data = resources.files("monozu.domain.vulnintel").joinpath("data", "vendor_aliases.txt")
    return parse_aliases(data.read_text(encoding="utf-8"), "vendor_aliases.txt")


def cpe_vendor(producer: str) -> str:
    """The CPE vendor for a producer name (not yet escaped for a CPE name)."""
    key = normalise(producer)
    return aliases().get(key, key)
