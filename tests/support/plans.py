"""Query plans, reduced to what the index checks need: index names and whether rows get sorted.

One reader per database, each called by name by tests and benchmarks that know which
database they run on.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from psycopg import ClientCursor

from monozu.db import Database, Tx
from monozu.db.sqlparams import scan

_SQLITE_INDEX = re.compile(r"^(?:SEARCH|SCAN) (\w+) USING (?:COVERING )?INDEX (\w+)")


@dataclass(frozen=True, slots=True)
class Plan:
    indexes: dict[str, str]  # table alias -> the index its rows are read through
    sorts: bool              # an explicit sort step (the index did not give the order)
    text: str


def sqlite_plan(tx: Tx, sql: str, params: Mapping[str, Any]) -> Plan:
    rows = tx.select(dict, "EXPLAIN QUERY PLAN " + sql, params)
    details = [str(r["detail"]) for r in rows]
    names = {m.group(1): m.group(2) for d in details for m in [_SQLITE_INDEX.match(d)] if m}
    return Plan(names, any("TEMP B-TREE" in d for d in details), "\n".join(details))


def _nodes(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def postgresql_plan(tx: Tx, sql: str, params: Mapping[str, Any]) -> Plan:
    return _pg_plan(tx.get_value("EXPLAIN (FORMAT JSON) " + sql, params))


def _pg_plan(raw: Any) -> Plan:
    doc = json.loads(raw) if isinstance(raw, str) else raw
    nodes = list(_nodes(doc[0]["Plan"]))
    names: dict[str, str] = {}
    for n in nodes:
        if "Alias" not in n:
            continue
        found = [str(c["Index Name"]) for c in _nodes(n) if "Index Name" in c]
        if "Index Name" in n or (n["Node Type"] == "Bitmap Heap Scan" and found):
            names[str(n["Alias"])] = found[0]
    sorts = any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes)
    return Plan(names, sorts, json.dumps(doc[0]["Plan"], indent=1))


def sqlite_index_columns(tx: Tx, index: str) -> list[str]:
    return [str(r["name"]) for r in tx.select(
        dict, "SELECT name FROM pragma_index_info(:ix) ORDER BY seqno", ix=index)]


@contextlib.contextmanager
def pg_application_role(operator: Database, url: str) -> Iterator[str]:
    """A login role that is neither superuser nor BYPASSRLS, with DML grants: its URL.

    Row-level security applies to it once switched on; the role goes again on exit.
    """
    role = f"monozu_app_{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex
    operator.exec(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'")
    try:
        operator.exec(f"GRANT USAGE ON SCHEMA public TO {role}")
        operator.exec(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                      f"TO {role}")
        parts = urlsplit(url)
        netloc = f"{quote(role)}:{quote(password)}@{parts.hostname or ''}" + (
            f":{parts.port}" if parts.port else "")
        yield urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    finally:
        operator.exec(f"DROP OWNED BY {role}")
        operator.exec(f"DROP ROLE {role}")


def police(operator: Database, table: str, check: str) -> None:
    """Row-level security on ``table``, with one policy that reads and writes by ``check``."""
    operator.exec(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    operator.exec(f"CREATE POLICY tenant ON {table} USING ({check}) WITH CHECK ({check})")


@contextlib.contextmanager
def application_database(operator: Database, url: str) -> Iterator[Database]:
    """A pool of one connection as :func:`pg_application_role`'s role."""
    with pg_application_role(operator, url) as app_url:
        database = Database.open(app_url, pool_size=1)
        try:
            yield database
        finally:
            database.close()


def postgresql_execution_ms(tx: Tx, sql: str, params: Mapping[str, Any]) -> float:
    """The server's own execution time of one run (``EXPLAIN ANALYZE``), planning excluded."""
    raw = tx.get_value("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params)
    doc = json.loads(raw) if isinstance(raw, str) else raw
    return float(doc[0]["Execution Time"])


def postgresql_generic_plan(tx: Tx, sql: str, params: Mapping[str, Any]) -> Plan:
    """The plan of ``sql`` as a prepared statement once PostgreSQL switches to its generic
    plan (what a statement run often on one connection ends up with)."""
    parts, names = scan(sql, tx.dialect.lexicon)
    order = list(dict.fromkeys(names))
    text = parts[0] + "".join(f"${order.index(n) + 1}{p}" for n, p in zip(names, parts[1:],
                                                                         strict=True))
    name = f"generic_{uuid.uuid4().hex[:8]}"
    tx.exec("SET LOCAL plan_cache_mode = force_generic_plan")
    with tx.conn.cursor() as cur:  # $n marks: the driver's own, past the :name compiler
        cur.execute(f"PREPARE {name} AS {text}")
    try:
        with ClientCursor(tx.conn) as cur:
            args = cur.mogrify(", ".join(["%s"] * len(order)), [params[n] for n in order])
        raw = tx.get_value(f"EXPLAIN (FORMAT JSON) EXECUTE {name}({args})")
    finally:
        tx.exec(f"DEALLOCATE {name}")
        tx.exec("SET LOCAL plan_cache_mode = auto")
    return _pg_plan(raw)
