"""NVD CVE API 2.0 records: feed files (yearly, ``modified``, ``recent``; plain, ``.gz`` or
``.zip``), API pages, and single bare ``cve`` objects.

Records are streamed with ``ijson``: only one ``cve`` object is in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import ijson  # type: ignore[import-untyped]

from monozu.domain.vulnintel import scoring
from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._io import (
    CVE_ID,
    check_cve_id,
    check_flag,
    check_list,
    check_object,
    check_text,
    guarded,
    open_binary,
    parse_timestamp,
    shown,
)
from monozu.domain.vulnintel.feeds._json import (
    ABSENT,
    PEEK,
    UNREAD,
    DepthChecked,
    DuplicateKey,
    JsonDepth,
    SurrogateEscapes,
    describe,
    json_items,
    require_list,
    top_level,
    top_value,
)
from monozu.domain.vulnintel.records import (
    CVE5_CONFIG_BASE,
    MAX_NODES,
    CpeMatchRow,
    CveRecord,
    Cvss,
    pack_group,
)

MAX_CRITERIA = 500  # the column sizes of cve_cpe_matches
MAX_BOUND = 100
MAX_STATUS = 50  # cve_catalog.vuln_status
KNOWN_MAJOR = "2"  # the NVD CVE API and feed format read here
_METRIC_KEYS = {"cvssMetricV40": "4.0", "cvssMetricV31": "3.1", "cvssMetricV30": "3.0",
                "cvssMetricV2": "2.0"}
_ENGLISH = frozenset({"en", "en-US", "eng"})
_BOUNDS = ("versionStartIncluding", "versionStartExcluding", "versionEndIncluding",
           "versionEndExcluding")


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
    with ExitStack() as files, guarded(path, where):
        raw = files.enter_context(open_binary(path))
        stream = DepthChecked(raw, JsonDepth(name, where), surrogates=SurrogateEscapes())

        def reopen() -> DepthChecked:
            return DepthChecked(files.enter_context(open_binary(path)), JsonDepth(name, where))

        head = stream.peek(PEEK)
        if not head.strip():
            raise FeedError(name, None, "the file is empty")
        top = top_level(head, name)
        whole = len(head) < PEEK
        form = top.get("format", None)
        if "format" in top and form is not UNREAD and form != "NVD_CVE":
            raise FeedError(name, None, f"format is {describe(form)}, not NVD_CVE")
        if {"catalogVersion", "dataType", "cveMetadata", "fetchTime"} & top.keys():
            raise FeedError(name, None, _kind_problem(top))
        version = top.get("version", None)
        if "version" in top and version is not UNREAD and (
                not isinstance(version, str) or version.split(".")[0] != KNOWN_MAJOR):
            # another major version may move or rename what is read: not guessed at
            raise FeedError(name, None, f"version is {describe(version)}; only NVD CVE "
                            f"{KNOWN_MAJOR}.x feeds are known")
        if "vulnerabilities" in top or form == "NVD_CVE" or (
                not whole and "<array>" not in top and not {"id", "format"} & top.keys()
                and top_value(path, "vulnerabilities") is not ABSENT):
            require_list(path, top, "vulnerabilities", whole,
                         "no 'vulnerabilities' list: not an NVD CVE feed")
            items: Iterator[Any] = json_items(stream, "vulnerabilities.item", reopen)
            bare = False
        elif "id" in top and ("descriptions" in top or "published" in top):
            items = json_items(stream, "", reopen)
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
                where[:] = [str(cve.get("id") or record)[:40]]
                yield cve, record
        except ijson.JSONError as exc:
            after = f"after {where[0]}" if where else "before the first record"
            raise FeedError(name, after, json_problem(exc)) from None
        except DuplicateKey as exc:
            cve = exc.item if bare else (exc.item.get("cve") if isinstance(exc.item, dict)
                                         else None)
            found = cve.get("id") if isinstance(cve, dict) else None
            record = found if isinstance(found, str) and CVE_ID.fullmatch(found) \
                else f"record {exc.number}"
            raise FeedError(name, record, f"the key {shown(exc.key)} appears twice in one "
                            "object") from None


def json_problem(exc: BaseException) -> str:
    """A short description of a JSON parse error: premature end, or malformed."""
    first = exc.args[0] if exc.args else ""
    if isinstance(first, bytes):  # yajl's messages come as bytes, with the input quoted
        first = first.decode("utf-8", "replace")
    text = str(first).strip().splitlines()[0][:200] if str(first).strip() \
        else type(exc).__name__
    if "premature EOF" in text or "Incomplete JSON" in text:
        return f"the JSON ends early, truncated? ({text})"
    return f"malformed JSON ({text})"


def cve_record(cve: dict[str, Any], source: str, record: str) -> CveRecord:
    """One ``cve`` object as a :class:`CveRecord` (errors name ``source`` and the CVE)."""
    cve_id = check_cve_id(cve.get("id"), source, record)
    out = CveRecord(cve_id)
    out.description = _english(cve.get("descriptions"), source, cve_id)
    out.published_at = parse_timestamp(cve.get("published"), source, cve_id, "published",
                                       past=True)
    out.last_modified_at = parse_timestamp(cve.get("lastModified"), source, cve_id,
                                           "lastModified", past=True)
    out.vuln_status = check_text(cve.get("vulnStatus"), source, cve_id, "vulnStatus",
                                 MAX_STATUS)
    metrics = _metrics(check_object(cve.get("metrics"), source, cve_id, "metrics"),
                       out.warnings)
    out.primary = scoring.choose(metrics)
    out.cvss_v31 = scoring.best_of_version(metrics, "3.1")
    out.cvss_v40 = scoring.best_of_version(metrics, "4.0")
    out.matches = configuration_rows(cve.get("configurations"), source, cve_id)
    return out


def _english(descriptions: Any, source: str, cve_id: str) -> str | None:
    """The first English description (else the first), stripped: only the one stored is
    checked for what a database cannot hold."""
    english = False
    chosen: tuple[int, str] | None = None
    for index, item in enumerate(check_list(descriptions, source, cve_id, "descriptions")):
        value = item.get("value") if isinstance(item, dict) else None
        if type(value) is not str:
            entry = check_object(item, source, cve_id, f"descriptions[{index}]")
            check_text(entry.get("value"), source, cve_id, f"descriptions[{index}].value")
            continue  # no value: nothing to choose
        lang = item.get("lang")
        if lang is not None and type(lang) is not str:  # a list would not even hash
            check_text(lang, source, cve_id, f"descriptions[{index}].lang")
        if lang in _ENGLISH:
            if not english:
                english, chosen = True, None
            if chosen is None and value.strip():
                chosen = (index, value)
        elif not english and chosen is None and value.strip():
            chosen = (index, value)
    if chosen is None:
        return None
    return check_text(chosen[1].strip(), source, cve_id, f"descriptions[{chosen[0]}].value")


def _metrics(block: dict[str, Any], warnings: list[str]) -> list[Cvss]:
    found: list[Cvss] = []
    for key, version in _METRIC_KEYS.items():
        elements = block.get(key) or []
        for element in elements if isinstance(elements, list) else [elements]:
            parsed = scoring.metric(version, element, warnings)
            if parsed is not None:
                found.append(parsed)
    return found


def configuration_rows(configurations: Any, source: str, cve_id: str) -> list[CpeMatchRow]:
    """The ``configurations`` of a CVE as rows, each configuration an AND of its nodes."""
    rows: list[CpeMatchRow] = []
    ordinal = 0
    for number, config in enumerate(check_list(configurations, source, cve_id,
                                               "configurations")):
        path = f"configurations[{number}]"
        if not isinstance(config, dict) or not isinstance(config.get("nodes"), list):
            raise FeedError(source, cve_id, f"{path}: a configuration without a 'nodes' list")
        nodes = config["nodes"]
        operator = config.get("operator") or ("AND" if len(nodes) > 1 else "OR")
        if operator not in ("AND", "OR"):
            _operator(operator, source, cve_id, path)
        flip = config.get("negate", False)
        if type(flip) is not bool:
            flip = check_flag(flip, source, cve_id, f"{path}.negate", False)
        # NOT(a AND b) = NOT a OR NOT b; NOT(a OR b) = NOT a AND NOT b
        together = (operator == "AND") != flip
        groups = [list(enumerate(nodes))] if together else [[n] for n in enumerate(nodes)]
        for group in groups:
            if len(group) > MAX_NODES:
                raise FeedError(source, cve_id, f"{path}: a configuration has {len(group)} "
                                "nodes")
            if ordinal >= CVE5_CONFIG_BASE:  # the numbers above belong to CVE 5 rows
                raise FeedError(source, cve_id, f"more than {CVE5_CONFIG_BASE} "
                                "configuration groups")
            for index, (place, node) in enumerate(group):
                rows.extend(_node_rows(node, (ordinal, index, flip), source, cve_id,
                                       (number, place)))
            ordinal += 1
    return rows


def _operator(value: Any, source: str, cve_id: str, path: str) -> str:
    if value not in ("AND", "OR"):
        raise FeedError(source, cve_id, f"{path}.operator {shown(value)} is neither AND nor "
                        "OR")
    return str(value)


def _node_rows(node: Any, group_id: tuple[int, int, bool], source: str,
               cve_id: str, place: tuple[int, int]) -> Iterator[CpeMatchRow]:
    configuration, index, flip = group_id
    path = "configurations[{}].nodes[{}]".format(*place)
    if not isinstance(node, dict) or not isinstance(node.get("cpeMatch"), list):
        raise FeedError(source, cve_id, f"{path}: a configuration node without a 'cpeMatch' "
                        "list")
    operator = node.get("operator") or "OR"
    if operator not in ("AND", "OR"):
        _operator(operator, source, cve_id, path)
    negate = node.get("negate", False)
    if type(negate) is not bool:
        negate = check_flag(negate, source, cve_id, f"{path}.negate", False)
    negate = negate != flip
    group = pack_group(configuration, index, negate)
    for number, match in enumerate(node["cpeMatch"]):
        # the import's hot loop: the usual entry passes these few tests, any other is
        # checked field by field for a message naming what is wrong
        if isinstance(match, dict):  # the JSON reader's objects are a dict subclass
            criteria, vulnerable = match.get("criteria"), match.get("vulnerable")
            if vulnerable is None:  # absent or null, as for negate
                vulnerable = True
            start_in, start_ex, end_in, end_ex = (match.get(b) for b in _BOUNDS)
            if (type(criteria) is str and criteria.startswith("cpe:2.3:")
                    and len(criteria) <= MAX_CRITERIA and "\x00" not in criteria
                    and type(vulnerable) is bool):
                for bound in (start_in, start_ex, end_in, end_ex):
                    if bound is not None and (type(bound) is not str or len(bound) > MAX_BOUND
                                              or "\x00" in bound):
                        break
                else:
                    yield CpeMatchRow(group, operator, criteria, vulnerable, start_in or None,
                                      start_ex or None, end_in or None, end_ex or None)
                    continue
        _refuse_match(match, source, cve_id, f"{path}.cpeMatch[{number}]")


def _refuse_match(match: Any, source: str, cve_id: str, where: str) -> None:
    """Raise the :class:`FeedError` naming what is wrong with a ``cpeMatch`` entry."""
    entry = check_object(match, source, cve_id, where)
    criteria = entry.get("criteria")
    if not isinstance(criteria, str) or not criteria.startswith("cpe:2.3:"):
        raise FeedError(source, cve_id, f"{where}.criteria {shown(criteria)} is not a CPE 2.3 "
                        "name")
    check_text(criteria, source, cve_id, f"{where}.criteria", MAX_CRITERIA)
    for bound in _BOUNDS:
        check_text(entry.get(bound), source, cve_id, f"{where}.{bound}", MAX_BOUND)
    check_flag(entry.get("vulnerable"), source, cve_id, f"{where}.vulnerable", True)
    raise FeedError(source, cve_id, f"{where} is not a usable cpeMatch entry")  # not reached
