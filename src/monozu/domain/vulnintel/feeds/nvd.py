"""NVD CVE API 2.0 records: feed files (yearly, ``modified``, ``recent``; plain, ``.gz`` or
``.zip``), API pages, and single bare ``cve`` objects.

Records are streamed with ``ijson``: only one ``cve`` object is in memory at a time.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from monozu.domain.vulnintel import scoring
from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._io import (
    check_cve_id,
    guarded,
    open_binary,
    parse_timestamp,
)
from monozu.domain.vulnintel.records import MAX_NODES, CpeMatchRow, CveRecord, Cvss, pack_group

_PEEK = 1 << 16
MAX_CRITERIA = 500  # the column sizes of cve_cpe_matches
MAX_BOUND = 100
_METRIC_KEYS = {"cvssMetricV40": "4.0", "cvssMetricV31": "3.1", "cvssMetricV30": "3.0",
                "cvssMetricV2": "2.0"}
_BOUNDS = ("versionStartIncluding", "versionStartExcluding", "versionEndIncluding",
           "versionEndExcluding")


class _Rewound:
    """A stream whose first bytes were already read once (to look at the top-level keys)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                head, self._head = self._head, b""
                return head + (self._rest.read(size - len(head)) if size > len(head) else b"")
            head, self._head = self._head[:size], self._head[size:]
            return head
        return self._rest.read(size)


def top_level(head: bytes) -> dict[str, Any]:
    """The top-level keys (and scalar values) seen in the first bytes of a JSON document."""
    found: dict[str, Any] = {}
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if prefix == "" and event == "start_array":
                found["<array>"] = True
            elif prefix == "" and event == "map_key":
                found.setdefault(value, None)
            elif "." not in prefix and prefix and event in ("string", "number", "boolean"):
                found[prefix] = value
    except ijson.JSONError:
        pass  # the peek ends mid-document; what was read is enough
    return found


def _kind_problem(top: dict[str, Any]) -> str:
    if top.get("dataType") == "CVE_RECORD" or "cveMetadata" in top:
        return "this is a CVE 5 record, not an NVD feed (import it as cve5)"
    if "catalogVersion" in top:
        return "this is the CISA KEV catalog, not an NVD feed (import it as kev)"
    if "fetchTime" in top:
        return "this is a CVE 5 delta file, not an NVD feed (import it as cve5)"
    if "<array>" in top:
        return "a JSON array is not an NVD feed"
    return "not an NVD CVE feed: no 'vulnerabilities' array and no 'cve' object"


def parse_nvd(path: Path) -> Iterator[CveRecord]:
    """Every CVE in the NVD file at ``path``, one at a time."""
    name = str(path)
    for cve, record in iter_cves(path):
        yield cve_record(cve, name, record)


def iter_cves(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """Every raw ``cve`` object in the file with its record label, not yet interpreted."""
    name = str(path)
    where: list[str] = []
    with open_binary(path) as raw, guarded(path, where):
        head = raw.read(_PEEK)
        if not head.strip():
            raise FeedError(name, None, "the file is empty")
        top = top_level(head)
        stream = _Rewound(head, raw)
        if top.get("format") not in (None, "NVD_CVE"):
            raise FeedError(name, None, f"format {top['format']!r} is not NVD_CVE")
        if {"catalogVersion", "dataType", "cveMetadata", "fetchTime"} & top.keys():
            raise FeedError(name, None, _kind_problem(top))
        if "vulnerabilities" in top or top.get("format") == "NVD_CVE":
            items: Iterator[Any] = ijson.items(stream, "vulnerabilities.item", use_float=True)
            bare = False
        elif "id" in top and ("descriptions" in top or "published" in top):
            items = ijson.items(stream, "", use_float=True)
            bare = True
        else:
            raise FeedError(name, None, _kind_problem(top))
        count = 0
        try:
            for item in items:
                count += 1
                record = f"record {count}"
                cve = item if bare else (item.get("cve") if isinstance(item, dict) else None)
                if not isinstance(cve, dict):
                    raise FeedError(name, record, "not an NVD vulnerability (no 'cve' object): "
                                    "wrong feed kind?")
                where[:] = [str(cve.get("id") or record)]
                yield cve, record
        except ijson.JSONError as exc:
            after = f"after {where[0]}" if where else "before the first record"
            raise FeedError(name, after, json_problem(exc)) from None


def json_problem(exc: BaseException) -> str:
    """A short description of a JSON parse error: premature end, or malformed."""
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    if "premature EOF" in text or "Incomplete JSON" in text:
        return f"the JSON ends early, truncated? ({text})"
    return f"malformed JSON ({text})"


def cve_record(cve: dict[str, Any], source: str, record: str) -> CveRecord:
    """One ``cve`` object as a :class:`CveRecord` (errors name ``source`` and the CVE)."""
    cve_id = check_cve_id(cve.get("id"), source, record)
    out = CveRecord(cve_id)
    out.description = _english(cve.get("descriptions"))
    out.published_at = parse_timestamp(cve.get("published"), source, cve_id, "published")
    out.last_modified_at = parse_timestamp(cve.get("lastModified"), source, cve_id,
                                           "lastModified")
    status = cve.get("vulnStatus")
    out.vuln_status = status[:50] if isinstance(status, str) else None
    metrics = _metrics(cve.get("metrics"), out.warnings)
    out.primary = scoring.choose(metrics)
    out.cvss_v31 = scoring.best_of_version(metrics, "3.1")
    out.cvss_v40 = scoring.best_of_version(metrics, "4.0")
    out.matches = configuration_rows(cve.get("configurations"), source, cve_id)
    return out


def _english(descriptions: Any) -> str | None:
    if not isinstance(descriptions, list):
        return None
    texts = [d.get("value") for d in descriptions if isinstance(d, dict)]
    english = [d.get("value") for d in descriptions
               if isinstance(d, dict) and d.get("lang") in ("en", "en-US", "eng")]
    for value in english or texts:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _metrics(block: Any, warnings: list[str]) -> list[Cvss]:
    found: list[Cvss] = []
    if not isinstance(block, dict):
        return found
    for key, version in _METRIC_KEYS.items():
        elements = block.get(key) or []
        for element in elements if isinstance(elements, list) else [elements]:
            parsed = scoring.metric(version, element, warnings)
            if parsed is not None:
                found.append(parsed)
    return found


def configuration_rows(configurations: Any, source: str, cve_id: str) -> list[CpeMatchRow]:
    """The ``configurations`` of a CVE as rows, each configuration an AND of its nodes."""
    if configurations is None:
        return []
    if not isinstance(configurations, list):
        raise FeedError(source, cve_id, "'configurations' is not a list")
    rows: list[CpeMatchRow] = []
    ordinal = 0
    for config in configurations:
        if not isinstance(config, dict) or not isinstance(config.get("nodes"), list):
            raise FeedError(source, cve_id, "a configuration without a 'nodes' list")
        nodes = config["nodes"]
        operator = _operator(config.get("operator") or ("AND" if len(nodes) > 1 else "OR"),
                             source, cve_id)
        flip = bool(config.get("negate"))
        # NOT(a AND b) = NOT a OR NOT b; NOT(a OR b) = NOT a AND NOT b
        together = (operator == "AND") != flip
        groups = [nodes] if together else [[n] for n in nodes]
        for group in groups:
            if len(group) > MAX_NODES:
                raise FeedError(source, cve_id, f"a configuration has {len(group)} nodes")
            for index, node in enumerate(group):
                group_id = (ordinal, index, flip)
                rows.extend(_node_rows(node, group_id, source, cve_id))
            ordinal += 1
    return rows


def _operator(value: Any, source: str, cve_id: str) -> str:
    if value not in ("AND", "OR"):
        raise FeedError(source, cve_id, f"operator {value!r} is neither AND nor OR")
    return str(value)


def _node_rows(node: Any, group_id: tuple[int, int, bool], source: str,
               cve_id: str) -> Iterator[CpeMatchRow]:
    configuration, index, flip = group_id
    if not isinstance(node, dict) or not isinstance(node.get("cpeMatch"), list):
        raise FeedError(source, cve_id, "a configuration node without a 'cpeMatch' list")
    operator = _operator(node.get("operator") or "OR", source, cve_id)
    negate = bool(node.get("negate")) != flip
    group = pack_group(configuration, index, negate)
    for match in node["cpeMatch"]:
        criteria = match.get("criteria") if isinstance(match, dict) else None
        if not isinstance(criteria, str) or not criteria.startswith("cpe:2.3:"):
            raise FeedError(source, cve_id, f"cpeMatch criteria {criteria!r} is not a CPE 2.3 "
                            "name")
        if len(criteria) > MAX_CRITERIA:
            raise FeedError(source, cve_id, f"cpeMatch criteria longer than {MAX_CRITERIA} "
                            f"characters: {criteria[:60]}...")
        bounds = [match.get(b) for b in _BOUNDS]
        if any(b is not None and len(str(b)) > MAX_BOUND for b in bounds):
            raise FeedError(source, cve_id, f"a version bound of {criteria} is longer than "
                            f"{MAX_BOUND} characters")
        yield CpeMatchRow(group, operator, criteria, bool(match.get("vulnerable", True)),
                          *(str(b) if b not in (None, "") else None for b in bounds))
