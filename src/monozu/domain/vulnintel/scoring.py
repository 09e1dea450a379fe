"""CVSS vectors recomputed with the ``cvss`` package, and the choice of the primary score.

A vector that does not parse is recorded as missing with a warning, never an error: feeds
carry the occasional hand-typed vector and one of them must not stop an import.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

from monozu.domain.vulnintel.records import Cvss

# newest first: the primary score is the newest CVSS version, then Primary over Secondary
VERSION_ORDER = ("4.0", "3.1", "3.0", "2.0")
_SCORE_TOLERANCE = 0.05
MAX_VECTOR = 200  # the vector columns of cve_catalog and cve_scores_cache


@functools.lru_cache(maxsize=16384)
def compute(version: str, vector: str) -> tuple[float, str]:
    """(base score, severity) of ``vector``; :class:`ValueError` when it does not parse.

    Cached: a few thousand distinct vectors cover the whole NVD.
    """
    try:
        if version == "2.0":
            v2 = CVSS2(vector)
            return float(v2.base_score), str(v2.severities()[0])
        if version in ("3.0", "3.1"):
            v3 = CVSS3(vector)
            return float(v3.base_score), str(v3.severities()[0])
        if version == "4.0":
            v4 = CVSS4(vector)
            return float(v4.base_score), str(v4.severity)
    except (CVSSError, KeyError, IndexError, ValueError, TypeError) as exc:
        raise ValueError(f"CVSS {version} vector {vector!r} does not parse ({exc})") from None
    raise ValueError(f"unknown CVSS version {version!r}")


def metric(version: str, element: Any, warnings: list[str]) -> Cvss | None:
    """One NVD ``cvssMetricV*`` element, or None (with a warning) when its vector is bad."""
    if not isinstance(element, dict):
        warnings.append(f"CVSS {version} metric is not an object")
        return None
    data = element.get("cvssData")
    if not isinstance(data, dict):  # absent, or a list or string where the object goes
        warnings.append(f"CVSS {version} metric without a cvssData object: recorded as missing")
        return None
    vector = data.get("vectorString")
    if not isinstance(vector, str) or not vector:
        warnings.append(f"CVSS {version} metric without a vector: recorded as missing")
        return None
    if len(vector) > MAX_VECTOR or "\x00" in vector:
        warnings.append(f"CVSS {version} vector {vector[:60]!r} cannot be stored (a NUL, or "
                        f"over {MAX_VECTOR} characters): recorded as missing")
        return None
    try:
        score, severity = compute(version, vector)
    except ValueError as exc:
        warnings.append(f"{exc}: recorded as missing")
        return None
    stated = data.get("baseScore")
    if isinstance(stated, int | float) and abs(float(stated) - score) > _SCORE_TOLERANCE:
        warnings.append(f"CVSS {version} vector {vector} scores {score}, the feed says "
                        f"{stated}: the recomputed score is kept")
    return Cvss(version, vector, score, severity.upper(), str(element.get("source") or ""),
                element.get("type", "Primary") == "Primary")


def choose(metrics: Iterable[Cvss]) -> Cvss | None:
    """The primary metric: newest version first, then Primary over Secondary."""
    ranked = sorted(metrics, key=lambda m: (VERSION_ORDER.index(m.version), not m.primary))
    return ranked[0] if ranked else None


def best_of_version(metrics: Iterable[Cvss], version: str) -> Cvss | None:
    return choose(m for m in metrics if m.version == version)
