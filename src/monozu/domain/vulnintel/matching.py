"""Evaluating a CVE's configurations against the CPE names of one asset, with reasons.

A configuration (an AND of nodes, see :mod:`records`) applies when every node holds and at
least one ``vulnerable`` entry matched: entries with ``vulnerable: false`` only state the
platform, e.g. firmware "running on" a hardware model. A node ORs or ANDs its entries and
may be negated. When the criteria's version is ``*`` the four NVD bounds are compared with
:mod:`versions`; a version that cannot be ordered never matches and is reported as unknown.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from monozu.domain.vulnintel import cpe, vendors, versions
from monozu.domain.vulnintel.records import CpeMatchRow, unpack_group

_BOUND_TEXT = (("version_start_including", ">="), ("version_start_excluding", ">"),
               ("version_end_including", "<="), ("version_end_excluding", "<"))


@dataclass(frozen=True, slots=True)
class EntryHit:
    """Why one ``cpeMatch`` entry matched one of the asset's names."""

    node: int
    operator: str
    criteria: str
    vulnerable: bool
    bounds: str
    target: str


@dataclass(slots=True)
class Verdict:
    """The outcome for one CVE: which configuration matched, and through which entries."""

    cve_id: str
    matched: bool = False
    configuration: int | None = None
    hits: list[EntryHit] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def explain(self) -> str:
        return "\n".join(self.explain_lines())

    def explain_lines(self) -> list[str]:
        """:meth:`explain` line by line: a feed's criteria or an asset's value may hold
        a newline, which a printer of the joined text would take for a line of its own."""
        if not self.matched:
            why = "; ".join(self.unknown) if self.unknown else "no configuration matched"
            return [f"{self.cve_id}: no match ({why})"]
        lines = [f"{self.cve_id}: configuration {self.configuration} matched"]
        for hit in self.hits:
            role = "vulnerable" if hit.vulnerable else "platform"
            bounds = f" {hit.bounds}" if hit.bounds else ""
            lines.append(f"  node {hit.node} ({hit.operator}) {role}: {hit.criteria}{bounds} "
                         f"<- {hit.target}")
        return lines


def bounds_text(row: CpeMatchRow) -> str:
    return ", ".join(f"{sym} {getattr(row, name)}" for name, sym in _BOUND_TEXT
                     if getattr(row, name) is not None)


@functools.lru_cache(maxsize=262144)
def _criteria(text: str) -> tuple[tuple[tuple[int, cpe.Attr], ...], cpe.Attr] | str:
    """The attributes of a criteria that constrain anything (ANY does not), and its
    version; or the reason it does not parse."""
    try:
        source = cpe.parse(text)
    except cpe.CpeError as exc:
        return str(exc)
    checks = tuple((i, a) for i, a in enumerate(source.attrs) if i != 3 and not a.is_any)
    return checks, source.attrs[3]


def entry_matches(row: CpeMatchRow, target: cpe.Cpe, unknown: list[str]) -> bool:
    """Whether ``row``'s criteria (and bounds) cover ``target``."""
    compiled = _criteria(row.criteria)
    if isinstance(compiled, str):
        unknown.append(compiled)
        return False
    checks, version = compiled
    attrs = target.attrs
    for index, want in checks:
        if not want.matches(attrs[index]):
            return False
    return _version_matches(row, version, attrs[3], unknown)


def _version_matches(row: CpeMatchRow, want: cpe.Attr, have: cpe.Attr,
                     unknown: list[str]) -> bool:
    bounded = any(getattr(row, name) is not None for name, _ in _BOUND_TEXT)
    if want.is_any and not bounded:
        return True
    if want.is_na or have.is_na or have.is_any:
        # NA matches only NA; an asset without a version cannot satisfy a version or a range
        if bounded and have.is_any:
            unknown.append(f"{row.criteria}: the asset has no version to compare with "
                           f"{bounds_text(row)}")
        return want.is_na and have.is_na
    if ("*" in have.raw or "?" in have.raw) and have.has_wildcards:
        # an asset CPE's version 2.* stands for many versions, some inside a range and
        # some outside: unknown, like no version, not a match (it matched every range
        # Maven could read it in). Only the same pattern equals it.
        unknown.append(f"{row.criteria}: the asset's version {have.raw} is a pattern, "
                       "not a version")
        return not bounded and cpe.folded(want.raw) == cpe.folded(have.raw)
    try:
        if bounded:
            return want.is_any and versions.in_range(
                have.value, start_including=row.version_start_including,
                start_excluding=row.version_start_excluding,
                end_including=row.version_end_including,
                end_excluding=row.version_end_excluding)
        if want.has_wildcards:
            return want.matches(have)
        return versions.compare(want.value, have.value) == 0
    except versions.VersionError as exc:
        unknown.append(f"{row.criteria}: {exc}")
        return want.value.lower() == have.value.lower() if not bounded else False


_NODE_AND_NEGATE = (1 << 8) - 1  # the node number and negate bits of a config_group

Configurations = list[tuple[int, list[tuple[tuple[int, bool], list[CpeMatchRow]]]]]


def configurations(rows: Iterable[CpeMatchRow]) -> Configurations:
    """A CVE's rows grouped by configuration, then by node, in order."""
    configs: dict[int, dict[tuple[int, bool], list[CpeMatchRow]]] = defaultdict(
        lambda: defaultdict(list))
    for row in rows:
        configuration, node, negate = unpack_group(row.config_group)
        configs[configuration][(node, negate)].append(row)
    return [(c, sorted(nodes.items())) for c, nodes in sorted(configs.items())]


def evaluate(cve_id: str, rows: Iterable[CpeMatchRow], targets: Sequence[cpe.Cpe]) -> Verdict:
    """Evaluate every configuration of one CVE against an asset's names."""
    return evaluate_grouped(cve_id, configurations(rows), targets)


def evaluate_grouped(cve_id: str, grouped: Configurations,
                     targets: Sequence[cpe.Cpe]) -> Verdict:
    """:func:`evaluate` on rows grouped once, for one CVE against many assets."""
    verdict = Verdict(cve_id)
    for configuration, nodes in grouped:
        hits = _configuration(nodes, targets, verdict.unknown)
        if hits is not None and any(h.vulnerable for h in hits):
            verdict.matched = True
            verdict.configuration = configuration
            verdict.hits = hits
            return verdict
    return verdict


def matching_sets(grouped: Configurations,
                  entry: Callable[[CpeMatchRow], AbstractSet[int]]) -> set[int]:
    """:func:`evaluate_grouped` for many assets at once, on sets instead of one asset.

    ``entry`` gives, for one ``cpeMatch`` entry, the set of (numbered) assets it matches.
    A node's set is the union (OR) or intersection (AND) of its entries' sets; an asset
    satisfies a configuration when it is in every plain node's set, in no negated node's
    set, and in the set of at least one ``vulnerable`` entry of a plain node: the same
    rules as :func:`evaluate_grouped`, so both give the same answer for every asset.
    """
    matched: set[int] = set()
    for _, nodes in grouped:
        holds: set[int] | None = None
        vulnerable: set[int] = set()
        excluded: set[int] = set()
        for (_, negate), entries in nodes:
            sets = [entry(e) for e in entries]
            if entries[0].node_operator == "AND":
                node = set(sets[0]).intersection(*sets[1:])
            else:
                node = set().union(*sets)
            if negate:
                excluded |= node
                continue
            holds = node if holds is None else holds & node
            if not holds:
                break
            vulnerable.update(*(s for s, e in zip(sets, entries, strict=True) if e.vulnerable))
        if holds:
            matched |= (holds & vulnerable) - excluded
    return matched


def matching_rows(rows: Sequence[CpeMatchRow],
                  entry: Callable[[CpeMatchRow], AbstractSet[int]]) -> set[int]:
    """:func:`matching_sets` on one CVE's rows as stored, grouping them only when needed.

    When every configuration is a single plain OR node (no AND, no negation: most NVD
    configurations), the answer is simply the union of the ``vulnerable`` entries' sets.
    """
    if all(r.config_group & _NODE_AND_NEGATE == 0 and r.node_operator == "OR" for r in rows):
        matched: set[int] = set()
        for row in rows:
            if row.vulnerable:
                matched |= entry(row)
        return matched
    return matching_sets(configurations(rows), entry)


def _configuration(nodes: list[tuple[tuple[int, bool], list[CpeMatchRow]]],
                   targets: Sequence[cpe.Cpe], unknown: list[str]) -> list[EntryHit] | None:
    """The entries that made every node hold, or None when one node does not."""
    hits: list[EntryHit] = []
    for (node, negate), entries in nodes:
        operator = entries[0].node_operator
        found: list[EntryHit] = []
        for entry in entries:
            target = next((t for t in targets if entry_matches(entry, t, unknown)), None)
            if target is not None:
                found.append(EntryHit(node, operator, entry.criteria, entry.vulnerable,
                                      bounds_text(entry), str(target)))
            elif operator == "AND":
                break
        holds = len(found) == len(entries) if operator == "AND" else bool(found)
        if holds == negate:
            return None
        if not negate:
            hits.extend(found)
    return hits


def asset_names(cpe_text: str | None, producer: str | None, model: str | None,
                firmware: str | None) -> tuple[list[cpe.Cpe], list[str]]:
    """The CPE names an asset stands for, and the problems found building them.

    A stored CPE is taken as is. Producer and model give the usual device pattern: the
    firmware as ``o:<vendor>:<model>_firmware:<firmware>`` running on the hardware
    ``h:<vendor>:<model>:-``, the vendor being the producer's CPE vendor
    (:func:`vendors.cpe_vendor`: "Siemens AG" is ``siemens``).
    """
    names: list[cpe.Cpe] = []
    problems: list[str] = []
    if cpe_text:
        try:
            names.append(cpe.parse(cpe_text.strip()))
        except cpe.CpeError as exc:
            problems.append(str(exc))
    if producer and model and producer.strip():
        vendor, product = vendors.cpe_vendor(producer), model.strip()
        names.append(cpe.parse(cpe.build("o", vendor, f"{product}_firmware", firmware)))
        names.append(cpe.parse(cpe.build("h", vendor, product, cpe.NA)))
        if firmware:
            names.append(cpe.parse(cpe.build("o", vendor, product, firmware)))
    return names, problems


def index_key(criteria: str) -> tuple[str, str]:
    """(vendor, product) of a criteria string as written, for a quick pre-filter."""
    parts = criteria.split(":", 6)
    return (parts[3].lower(), parts[4].lower()) if len(parts) > 5 else ("*", "*")
