"""The verbs are typed alike on Tx and Database: a row type in, that type out."""

from __future__ import annotations

from pathlib import Path

from mypy import api

SNIPPET = '''
import uuid
from dataclasses import dataclass
from typing import Any, assert_type

from monozu.db import Database, Tx


@dataclass
class Row:
    id: uuid.UUID


def check(db: Database, tx: Tx) -> None:
    for verbs in (db, tx):
        assert_type(verbs.select(Row, "SELECT id FROM t"), list[Row])
        assert_type(verbs.select(int, "SELECT 1"), list[int])
        assert_type(verbs.select(dict, "SELECT 1 AS a"), list[dict[Any, Any]])
        assert_type(verbs.get(Row, "SELECT id FROM t WHERE id = :id", id=uuid.uuid4()), Row)
        assert_type(verbs.get_value("SELECT count(*) FROM t", type=int), int)
        assert_type(verbs.get_value("SELECT count(*) FROM t"), Any)
        assert_type(verbs.exec("DELETE FROM t"), int)
'''


def test_row_types_flow_through_select_get_and_get_value(tmp_path: Path) -> None:
    source = tmp_path / "typed_use.py"
    source.write_text(SNIPPET)
    root = Path(__file__).resolve().parents[2]
    out, err, status = api.run(["--strict", "--no-incremental", "--config-file",
                                str(root / "pyproject.toml"), str(source)])
    assert status == 0, out + err
