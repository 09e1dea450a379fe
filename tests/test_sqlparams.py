"""The :name compiler: one table of inputs and expected outputs per style."""

from __future__ import annotations

import pytest

from monozu.db.errors import ParameterError
from monozu.db.sqlparams import bind, compile_sql

CASES = [
    # (sql, params, style, brackets, expected sql, expected values)
    ("select :a, :b, :a", {"a": 1, "b": 2}, "qmark", False, "select ?, ?, ?", (1, 2, 1)),
    ("select :a, :b, :a", {"a": 1, "b": 2}, "dollar", False, "select $1, $2, $1", (1, 2)),
    ("select :a::int, x::text, :a, ':not', E'\\' :no', $$ :no $$, $t$ :no $t$ -- :no\n"
     "/* :no /* :no */ :no */ \"c:no\", arr[1:2], :b",
     {"a": 1, "b": 2}, "dollar", False,
     "select $1::int, x::text, $1, ':not', E'\\' :no', $$ :no $$, $t$ :no $t$ -- :no\n"
     "/* :no /* :no */ :no */ \"c:no\", arr[1:2], $2", (1, 2)),
    ("select [col:x], N'it''s :no', @v, :a, :a -- :no", {"a": 5}, "qmark", True,
     "select [col:x], N'it''s :no', @v, ?, ? -- :no", (5, 5)),
    ("id in (:ids) and t='10:30'", {"ids": [1, 2, 3]}, "qmark", False,
     "id in (?, ?, ?) and t='10:30'", (1, 2, 3)),
    ("id in :ids and x = :x and y in :ids", {"ids": (7, 8), "x": "q"}, "dollar", False,
     "id in ($1, $2) and x = $3 and y in ($1, $2)", (7, 8, "q")),
    ("id in :ids and x = :x", {"ids": [7, 8], "x": "q"}, "qmark", False,
     "id in (?, ?) and x = ?", (7, 8, "q")),
    ("select '100%', :p", {"p": 1}, "dollar", False, "select '100%', $1", (1,)),
    ("a := 1; b = :b", {"b": 0}, "qmark", False, "a := 1; b = ?", (0,)),
    ("select 'it''s', :x2_y", {"x2_y": None}, "qmark", False, "select 'it''s', ?", (None,)),
    ("select :1, a:b", {}, "qmark", False, "select :1, a:b", ()),
    ("select ':a' || :a || ':a'", {"a": "v"}, "qmark", False, "select ':a' || ? || ':a'", ("v",)),
    ("SELECT $tag$ :x $tag$, :y", {"y": 1}, "dollar", False, "SELECT $tag$ :x $tag$, $1", (1,)),
    ("select e:x from t", {}, "qmark", False, "select e:x from t", ()),
    ("select [a]:b", {"b": 3}, "dollar", False, "select [a]$1", (3,)),  # PG: no [] quoting
]


@pytest.mark.parametrize(("sql", "params", "style", "brackets", "want_sql", "want"), CASES)
def test_compile_and_bind(sql: str, params: dict[str, object], style: str, brackets: bool,
                          want_sql: str, want: tuple[object, ...]) -> None:
    compiled = compile_sql(sql, style, brackets)  # type: ignore[arg-type]
    assert bind(compiled, params) == (want_sql, want)


def test_compilation_is_cached() -> None:
    assert compile_sql("select :a", "qmark") is compile_sql("select :a", "qmark")


@pytest.mark.parametrize(("sql", "params", "message"), [
    ("select :a, :b", {"a": 1}, "missing :b"),
    ("select :a", {"a": 1, "zz": 2}, "unknown :zz"),
    ("select :a", {"b": 1}, "missing :a; unknown :b"),
    ("where id in :ids", {"ids": []}, ":ids is an empty list"),
])
def test_parameter_errors(sql: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        bind(compile_sql(sql, "qmark"), params)


def test_sql_server_parameter_limit() -> None:
    compiled = compile_sql("select 1 where id in :ids", "qmark", True)
    sql, values = bind(compiled, {"ids": list(range(2100))}, max_params=2100)
    assert len(values) == 2100 and sql.count("?") == 2100
    with pytest.raises(ParameterError, match="2101 parameters exceed the database's limit of 2100"):
        bind(compiled, {"ids": list(range(2101))}, max_params=2100)


def test_lists_expand_only_after_in() -> None:
    compiled = compile_sql("insert into t (doc) values (:doc) returning :x", "qmark")
    assert bind(compiled, {"doc": [1, 2], "x": []}) == (
        "insert into t (doc) values (?) returning ?", ([1, 2], []))
    compiled = compile_sql("select 1 where a in :one and b not in (:two) and c = :c", "dollar")
    assert bind(compiled, {"one": 5, "two": [1, 2], "c": [3]}) == (
        "select 1 where a in ($1) and b not in ($2, $3) and c = $4", (5, 1, 2, [3]))
    assert compile_sql("select :x from within :y", "qmark").in_list == (False, False)
