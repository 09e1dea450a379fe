from __future__ import annotations

from pathlib import Path

import pytest

from monozu.domain.vulnintel import FeedError
from monozu.domain.vulnintel.feeds.epss import EpssFile
from tests.domain.vulnintel.conftest import gz


def test_real_sample_plain_and_gz(feeds: Path, tmp_path: Path) -> None:
    path = feeds / "epss/epss_scores-sample.csv"
    with EpssFile(path) as f:
        assert f.header.model_version == "v2026.06.15"
        assert f.header.score_date.isoformat() == "2026-09-29T12:00:22+00:00"
        scores = {s.cve_id: s for s in f.scores()}
    assert len(scores) == 1543
    assert (scores["CVE-2021-44228"].epss, scores["CVE-2021-44228"].percentile) == (0.99999, 1.0)
    packed = gz(tmp_path / "epss_scores-2026-09-29.csv.gz", path.read_bytes())
    with EpssFile(packed) as f:
        assert len(list(f.scores())) == 1543


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "epss.csv"
    path.write_text(text)
    return path


HEADER = "#model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z\ncve,epss,percentile\n"


@pytest.mark.parametrize(("text", "problem"), [
    ("cve,epss,percentile\nCVE-1999-0001,0.1,0.2\n", "line 1: no '#model_version"),
    ("#score_date:2026-09-29T12:00:22Z\ncve,epss,percentile\n", "lacks model_version"),
    (HEADER + "CVE-1999-0001,0.1,0.2\nCVE-1999-0002,1.5,0.2\n", "line 4: epss 1.5 is outside"),
    (HEADER + "CVE-1999-0001,-0.1,0.2\n", "line 3: epss -0.1 is outside"),
    (HEADER + "CVE-1999-0001,0.1,nan\n", "percentile nan is outside"),
    (HEADER + "CVE-1999-0001,abc,0.2\n", "epss 'abc' is not a number"),
    (HEADER + "CVE-1999-1,0.1,0.2\n", "line 3: 'CVE-1999-1' is not a CVE id"),
    (HEADER + "CVE-1999-0001,0.1\n", "line 3: 2 fields where the header has 3"),
    (HEADER.replace("percentile", "pct"), r"lacks column\(s\) percentile"),
])
def test_hostile(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(FeedError, match=problem) as info, EpssFile(path) as f:
        list(f.scores())
    assert str(path) in str(info.value)


def test_truncated_gz(feeds: Path, tmp_path: Path) -> None:
    whole = gz(tmp_path / "whole.csv.gz", (feeds / "epss/epss_scores-sample.csv").read_bytes())
    cut = tmp_path / "epss_scores-current.csv.gz"
    cut.write_bytes(whole.read_bytes()[:-200])
    with pytest.raises(FeedError, match="truncated"), EpssFile(cut) as f:
        list(f.scores())
