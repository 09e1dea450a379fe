"""CVE JSON 5 records (cvelistV5) and its ``delta.json``.

The CNA's ``affected[]`` products and versions, and the CPEs the CISA ADP container adds,
become match rows (configuration numbers from ``CVE5_CONFIG_BASE``) for CVEs that NVD left
without configurations. Record files are small (one CVE each) and read whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monozu.domain.vulnintel import cpe, scoring, versions
from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._io import (
    check_cve_id,
    check_list,
    check_object,
    check_text,
    guarded,
    open_binary,
    parse_timestamp,
    shown,
)
from monozu.domain.vulnintel.feeds._json import MAX_RECORD, load_json
from monozu.domain.vulnintel.feeds.nvd import MAX_BOUND, MAX_CRITERIA
from monozu.domain.vulnintel.records import CVE5_CONFIG_BASE, CpeMatchRow, CveRecord, pack_group

_METRIC_KEYS = {"cvssV4_0": "4.0", "cvssV3_1": "3.1", "cvssV3_0": "3.0", "cvssV2_0": "2.0"}
_OPEN = frozenset({"", "0", "*", "all", "n/a", "unspecified", "unknown"})
_SKIPPED_TYPES = frozenset({"git"})
_TEXT_BOUND = re.compile(r"^\s*(<=|<|>=|>|=)?\s*(\S+)\s*$")
_KNOWN_VERSION = re.compile(r"5(\.[0-9]{1,3}|\.x)*")
_MAX_CONFIG = 1 << 23  # config_group = configuration << 8 stays a 32-bit integer


@dataclass(frozen=True, slots=True)
class DeltaEntry:
    cve_id: str
    change: str  # "new" or "updated"
    link: str
    updated_at: datetime | None


@dataclass(slots=True)
class Delta:
    fetch_time: datetime | None
    entries: list[DeltaEntry] = field(default_factory=list)


def _load(path: Path, where: list[str]) -> Any:
    """A whole record or delta file, read only up to :data:`MAX_RECORD` bytes: a larger
    one (a ``.gz`` can unpack to gigabytes) is not a CVE record."""
    with open_binary(path) as raw, guarded(path, where):
        data = raw.read(MAX_RECORD + 1)
        if len(data) > MAX_RECORD:
            raise FeedError(str(path), None, f"the file is larger than {MAX_RECORD >> 20} "
                            "MB: not a CVE 5 record")
        return load_json(data, str(path))


def is_delta(path: Path) -> bool:
    return path.name.startswith("delta") and path.suffix == ".json"


def parse_delta(path: Path) -> Delta:
    """A ``delta.json``: the CVEs that changed in the latest run of the list."""
    data = _load(path, [])
    name = str(path)
    if not isinstance(data, dict) or "fetchTime" not in data:
        raise FeedError(name, None, "not a CVE 5 delta file (no 'fetchTime')")
    delta = Delta(parse_timestamp(data.get("fetchTime"), name, "fetchTime", "fetchTime",
                                  past=True))
    for change in ("new", "updated"):
        for index, item in enumerate(check_list(data.get(change), name, None, change), 1):
            record = f"{change}[{index}]"
            if not isinstance(item, dict):
                raise FeedError(name, record, "not an object")
            cve_id = check_cve_id(item.get("cveId"), name, record)
            delta.entries.append(DeltaEntry(
                cve_id, change, str(item.get("githubLink") or ""),
                parse_timestamp(item.get("dateUpdated"), name, cve_id, "dateUpdated",
                                past=True)))
    return delta


def local_record_path(root: Path, cve_id: str) -> Path:
    """Where cvelistV5 keeps a record: ``<root>/<year>/<N>xxx/<id>.json``."""
    _, year, number = cve_id.split("-")
    return root / year / f"{number[:-3] or '0'}xxx" / f"{cve_id}.json"


def parse_cve5(path: Path) -> Iterator[CveRecord]:
    """The records in ``path``: one record file, or every ``CVE-*.json`` below a folder."""
    if path.is_dir():
        first: dict[str, Path] = {}
        for file in sorted(path.rglob("CVE-*.json")):
            record = parse_record(file)
            seen = first.setdefault(record.cve_id, file)
            if seen != file:  # two copies: which one is current cannot be told
                raise FeedError(str(file), record.cve_id, f"the folder holds this CVE twice "
                                f"(also in {seen})")
            yield record
        return
    yield parse_record(path)


def parse_record(path: Path) -> CveRecord:
    name = str(path)
    data = _load(path, [])
    if not isinstance(data, dict):
        raise FeedError(name, None, "not a CVE 5 record (a JSON object is expected)")
    if data.get("dataType") != "CVE_RECORD" or not isinstance(data.get("cveMetadata"), dict):
        what = ("an NVD feed" if "vulnerabilities" in data and "format" in data else
                "the KEV catalog" if "catalogVersion" in data else
                "a delta file" if "fetchTime" in data else "something else")
        raise FeedError(name, None, f"not a CVE 5 record (dataType is "
                        f"{shown(data.get('dataType'))}; this looks like {what})")
    version = data.get("dataVersion")
    if version is not None and (not isinstance(version, str)
                                or not _KNOWN_VERSION.fullmatch(version)):
        # CVE 5.x versions only add fields; another major one is not guessed at
        raise FeedError(name, None, f"dataVersion {shown(version)} is not a CVE 5.x record "
                        "version")
    meta = data["cveMetadata"]
    cve_id = check_cve_id(meta.get("cveId"), name, "cveMetadata")
    out = CveRecord(cve_id)
    out.published_at = parse_timestamp(meta.get("datePublished"), name, cve_id, "datePublished",
                                       past=True)
    out.last_modified_at = parse_timestamp(meta.get("dateUpdated"), name, cve_id, "dateUpdated",
                                           past=True)
    containers = check_object(data.get("containers"), name, cve_id, "containers")
    cna = check_object(containers.get("cna"), name, cve_id, "containers.cna")
    state = meta.get("state")
    if state == "REJECTED":
        out.vuln_status = "Rejected"
        out.description = _english(cna.get("rejectedReasons"), name, cve_id,
                                   "containers.cna.rejectedReasons")
        return out
    if state != "PUBLISHED":
        raise FeedError(name, cve_id, f"state {shown(state)} is neither PUBLISHED nor REJECTED")
    out.vuln_status = "Published"
    out.description = _english(cna.get("descriptions"), name, cve_id,
                               "containers.cna.descriptions")
    metrics = []
    for index, item in enumerate(check_list(cna.get("metrics"), name, cve_id,
                                            "containers.cna.metrics")):
        element = check_object(item, name, cve_id, f"containers.cna.metrics[{index}]")
        for key, version in _METRIC_KEYS.items():
            if key in element:
                found = scoring.metric(version, {"cvssData": element[key], "type": "Secondary",
                                                 "source": "cna"}, out.warnings)
                if found is not None:
                    metrics.append(found)
    out.primary = scoring.choose(metrics)
    out.cvss_v31 = scoring.best_of_version(metrics, "3.1")
    out.cvss_v40 = scoring.best_of_version(metrics, "4.0")
    products = _products(cna.get("affected"), name, cve_id, "containers.cna.affected")
    for index, item in enumerate(check_list(containers.get("adp"), name, cve_id,
                                            "containers.adp")):
        adp = check_object(item, name, cve_id, f"containers.adp[{index}]")
        products.extend(p for p in _products(adp.get("affected"), name, cve_id,
                                             f"containers.adp[{index}].affected")
                        if p.data.get("cpes"))
    out.matches = affected_rows(products, out.warnings)
    return out


def _english(items: Any, source: str, cve_id: str, field: str) -> str | None:
    found: str | None = None
    for index, item in enumerate(check_list(items, source, cve_id, field)):
        entry = check_object(item, source, cve_id, f"{field}[{index}]")
        value = check_text(entry.get("value"), source, cve_id, f"{field}[{index}].value")
        lang = check_text(entry.get("lang"), source, cve_id, f"{field}[{index}].lang") or ""
        if (found is None and lang.startswith("en") and value
                and value.strip()):
            found = value.strip()
    return found


@dataclass(frozen=True, slots=True)
class Product:
    """One ``affected[]`` entry, its shape and text checked, with its place in the record."""

    path: str
    data: dict[str, Any]
    source: str
    cve_id: str


def _products(items: Any, source: str, cve_id: str, field: str) -> list[Product]:
    out: list[Product] = []
    for index, item in enumerate(check_list(items, source, cve_id, field)):
        path = f"{field}[{index}]"
        data = check_object(item, source, cve_id, path)
        for key in ("vendor", "product", "defaultStatus"):
            check_text(data.get(key), source, cve_id, f"{path}.{key}")
        for number, text in enumerate(check_list(data.get("cpes"), source, cve_id,
                                                 f"{path}.cpes")):
            check_text(text, source, cve_id, f"{path}.cpes[{number}]", required=True)
        for number, entry in enumerate(check_list(data.get("versions"), source, cve_id,
                                                  f"{path}.versions")):
            where = f"{path}.versions[{number}]"
            version = check_object(entry, source, cve_id, where)
            for key in ("version", "lessThan", "lessThanOrEqual", "status", "versionType"):
                check_text(version.get(key), source, cve_id, f"{where}.{key}")
            for step, change in enumerate(check_list(version.get("changes"), source, cve_id,
                                                     f"{where}.changes")):
                at = check_object(change, source, cve_id, f"{where}.changes[{step}]")
                for key in ("at", "status"):
                    check_text(at.get(key), source, cve_id, f"{where}.changes[{step}].{key}")
        out.append(Product(path, data, source, cve_id))
    return out


def affected_rows(products: list[Product], warnings: list[str]) -> list[CpeMatchRow]:
    """Match rows from ``affected[]`` entries, one configuration per product.

    A row the catalog cannot hold (a criteria over 500 characters, a bound over 100) is
    skipped with a warning, like any CNA text that is not understood: one odd product must
    not stop the import of a whole cvelistV5 folder.
    """
    rows: list[CpeMatchRow] = []
    seen: set[tuple[object, ...]] = set()
    configuration = CVE5_CONFIG_BASE
    for product in products:
        names = _names(product.data, warnings)
        ranges = _ranges(product.data, warnings)
        group = pack_group(configuration, 0, False)
        added = False
        for name in names:
            for exact, bounds in ranges:
                criteria = _with_version(name, exact)
                if len(criteria) > MAX_CRITERIA or "\x00" in criteria or any(
                        b is not None and len(b) > MAX_BOUND for b in bounds):
                    # a %00 in a CPE 2.2 URI decodes to a NUL
                    warnings.append(f"{product.path}: {criteria[:80]!r} or a version bound "
                                    "cannot be stored (too long, or a NUL): skipped")
                    continue
                row = CpeMatchRow(group, "OR", criteria, True, *bounds)
                if row.key()[1:] not in seen:
                    seen.add(row.key()[1:])
                    rows.append(row)
                    added = True
        configuration += int(added)
        if configuration >= _MAX_CONFIG:
            raise FeedError(product.source, product.cve_id, "more affected products than the "
                            "catalog can number")
    return rows


def _names(product: dict[str, Any], warnings: list[str]) -> list[cpe.Cpe]:
    names: list[cpe.Cpe] = []
    for text in product.get("cpes") or []:
        try:
            names.append(cpe.parse(cpe.from_uri(str(text).strip())))
        except cpe.CpeError as exc:
            warnings.append(f"affected CPE skipped: {exc}")
    vendor, name = product.get("vendor"), product.get("product")
    if not names and isinstance(vendor, str) and isinstance(name, str) and vendor and name:
        names.append(cpe.parse(cpe.build("*", vendor, name)))
    return names


def _with_version(name: cpe.Cpe, version: str | None) -> str:
    attrs = [a.raw for a in name.attrs]
    attrs[3] = cpe.escape(version) if version else cpe.ANY
    return "cpe:2.3:" + ":".join(attrs)


Bounds = tuple[str | None, str | None, str | None, str | None]
_NO_BOUNDS: Bounds = (None, None, None, None)


def _ranges(product: dict[str, Any], warnings: list[str]) -> list[tuple[str | None, Bounds]]:
    """``(exact version or None, (start incl, start excl, end incl, end excl))`` entries."""
    out: list[tuple[str | None, Bounds]] = []
    for entry in product.get("versions") or []:
        if not isinstance(entry, dict) or entry.get("versionType") in _SKIPPED_TYPES:
            continue
        version = str(entry.get("version") or "").strip()
        less, less_eq = entry.get("lessThan"), entry.get("lessThanOrEqual")
        if less is None and less_eq is None:
            if entry.get("status") == "affected":
                out.extend(_text_versions(version, warnings))
            continue
        start = None if version.lower() in _OPEN else version
        end_incl = None if less_eq is None else _open_end(str(less_eq))
        end_excl = None if less is None else _open_end(str(less))
        status = entry.get("status")
        changes = sorted((c for c in entry.get("changes") or [] if isinstance(c, dict)),
                         key=lambda c: _order_key(str(c.get("at") or "")))
        for change in changes:
            at = str(change.get("at") or "")
            if change.get("status") != status and at:
                if status == "affected":
                    out.append((None, (start, None, None, at)))
                start, status = at, change.get("status")
        if status == "affected":
            out.append((None, (start, None, end_incl, end_excl)))
    if not out and product.get("defaultStatus") == "affected":
        out.append((None, _NO_BOUNDS))
    return out


def _order_key(text: str) -> tuple[int, object]:
    try:
        return (0, versions.parse(text))
    except versions.VersionError:
        return (1, text)


def _open_end(text: str) -> str | None:
    """``10.2.*`` as the exclusive bound ``10.3``; ``*`` as no bound."""
    text = text.strip()
    if text in ("*", ""):
        return None
    if text.endswith(".*"):
        head, _, last = text[:-2].rpartition(".")
        # longer than a stored bound: the row is skipped anyway, and int() refuses
        # more than 4,300 digits with a ValueError
        if last.isascii() and last.isdigit() and len(last) <= MAX_BOUND:
            return f"{head}.{int(last) + 1}" if head else str(int(last) + 1)
    return text.rstrip("*") or None


def _text_versions(text: str, warnings: list[str]) -> list[tuple[str | None, Bounds]]:
    """Free-text versions as CNAs write them: ``2.1``, ``<=11.003``, ``<=5.008 & 5.028``."""
    out: list[tuple[str | None, Bounds]] = []
    for token in re.split(r"[&,;]|\bor\b|\band\b", text):
        if not token.strip():
            continue
        match = _TEXT_BOUND.match(token)
        if match is None or match.group(2).lower() in _OPEN:
            if token.strip().lower() in ("all", "*"):
                out.append((None, _NO_BOUNDS))
            else:
                warnings.append(f"affected version {token.strip()!r} not understood: skipped")
            continue
        op, value = match.group(1) or "=", match.group(2)
        bounds: dict[str, Bounds] = {
            "<=": (None, None, value, None), "<": (None, None, None, value),
            ">=": (value, None, None, None), ">": (None, value, None, None)}
        out.append((value, _NO_BOUNDS) if op == "=" else (None, bounds[op]))
    return out
