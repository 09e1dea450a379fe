"""The :name compiler: one table of inputs and expected outputs per style."""

from __future__ import annotations

import re

import pytest

from monozu.db.dialects.postgresql.statements import LEXICON as PG
from monozu.db.dialects.sqlite.statements import LEXICON as SQLITE
from monozu.db.dialects.sqlserver.statements import LEXICON as TSQL
from monozu.db.errors import ParameterError, QueryError
from monozu.db.sqlparams import bind, compile_sql

LEXICONS = {"sqlite": SQLITE, "postgresql": PG, "sqlserver": TSQL}
STYLES = {"sqlite": "qmark", "postgresql": "dollar", "sqlserver": "qmark"}

CASES = [
    # (sql, params, database, expected sql, expected values)
    ("select :a, :b, :a", {"a": 1, "b": 2}, "sqlite", "select ?, ?, ?", (1, 2, 1)),
    ("select :a, :b, :a", {"a": 1, "b": 2}, "postgresql", "select $1, $2, $1", (1, 2)),
    ("select :a::int, x::text, :a, ':not', E'\\' :no', $$ :no $$, $t$ :no $t$ -- :no\n"
     "/* :no /* :no */ :no */ \"c:no\", arr[1:2], :b",
     {"a": 1, "b": 2}, "postgresql",
     "select $1::int, x::text, $1, ':not', E'\\' :no', $$ :no $$, $t$ :no $t$ -- :no\n"
     "/* :no /* :no */ :no */ \"c:no\", arr[1:2], $2", (1, 2)),
    ("select [col:x], N'it''s :no', @v, :a, :a -- :no", {"a": 5}, "sqlserver",
     "select [col:x], N'it''s :no', @v, ?, ? -- :no", (5, 5)),
    ("id in (:ids) and t='10:30'", {"ids": [1, 2, 3]}, "sqlite",
     "id in (?, ?, ?) and t='10:30'", (1, 2, 3)),
    ("id in :ids and x = :x and y in :ids", {"ids": (7, 8), "x": "q"}, "postgresql",
     "id in ($1, $2) and x = $3 and y in ($1, $2)", (7, 8, "q")),
    ("id in :ids and x = :x", {"ids": [7, 8], "x": "q"}, "sqlite",
     "id in (?, ?) and x = ?", (7, 8, "q")),
    ("select '100%', :p", {"p": 1}, "postgresql", "select '100%', $1", (1,)),
    ("a := 1; b = :b", {"b": 0}, "sqlite", "a := 1; b = ?", (0,)),
    ("select 'it''s', :x2_y", {"x2_y": None}, "sqlite", "select 'it''s', ?", (None,)),
    ("select :1, a:b", {}, "postgresql", "select :1, a:b", ()),
    ("select ':a' || :a || ':a'", {"a": "v"}, "sqlite", "select ':a' || ? || ':a'", ("v",)),
    ("SELECT $tag$ :x $tag$, :y", {"y": 1}, "postgresql", "SELECT $tag$ :x $tag$, $1", (1,)),
    ("select e:x from t", {}, "postgresql", "select e:x from t", ()),
    ("select [a]:b", {"b": 3}, "postgresql", "select [a]$1", (3,)),  # PG: no [] quoting
    # one list in both IN forms: the numbers are reused, each form gets its parentheses
    ("a IN (:ids) AND b IN :ids", {"ids": [1, 2]}, "postgresql",
     "a IN ($1, $2) AND b IN ($1, $2)", (1, 2)),
    ("a IN :ids AND b IN (:ids)", {"ids": [1, 2]}, "postgresql",
     "a IN ($1, $2) AND b IN ($1, $2)", (1, 2)),
    ("a IN (:ids) AND b IN :ids", {"ids": [1, 2]}, "sqlite",
     "a IN (?, ?) AND b IN (?, ?)", (1, 2, 1, 2)),
    ("a IN /* c */ :ids", {"ids": [1]}, "sqlite", "a IN /* c */ (?)", (1,)),
    # the databases' own lexers: a comment ended by a lone \r on PostgreSQL and SQL
    # Server but not on SQLite, non-ASCII dollar tags, SQLite's [x] and `x` quoting
    ("select 1 -- c\r, :a", {"a": 1}, "postgresql", "select 1 -- c\r, $1", (1,)),
    ("select 1 -- c\r, :a", {"a": 1}, "sqlserver", "select 1 -- c\r, ?", (1,)),
    ("select 1 -- c\r, :a\n, :b", {"b": 1}, "sqlite", "select 1 -- c\r, :a\n, ?", (1,)),
    ("select $é$ :a $é$, $€$ :b $€$, :c", {"c": 1}, "postgresql",
     "select $é$ :a $é$, $€$ :b $€$, $1", (1,)),
    ("select [x:a], `y:b`, :c", {"c": 1}, "sqlite", "select [x:a], `y:b`, ?", (1,)),
    ("select 1 /* a /* b */ :c", {"c": 1}, "sqlite", "select 1 /* a /* b */ ?", (1,)),
    ("select 'a\\', :c", {"c": 1}, "sqlite", "select 'a\\', ?", (1,)),
    # a colon right after an identifier character is not a parameter, whatever the
    # script: é:n is an array slice, x\u3000 one identifier on PostgreSQL (its
    # placeholder would have been read as part of the identifier: é$1)
    ("select arr[é:n], x\u3000:m, :a", {"a": 1}, "postgresql",
     "select arr[é:n], x\u3000:m, $1", (1,)),
    ("select é:n, :a", {"a": 1}, "sqlserver", "select é:n, ?", (1,)),
    # E'...' parts separated by a newline are one string, escapes and all: the first
    # :x is inside it
    ("select E'a' -- c\n'it\\'s :x', :x", {"x": 1}, "postgresql",
     "select E'a' -- c\n'it\\'s :x', $1", (1,)),
]


@pytest.mark.parametrize(("sql", "params", "database", "want_sql", "want"), CASES)
def test_compile_and_bind(sql: str, params: dict[str, object], database: str,
                          want_sql: str, want: tuple[object, ...]) -> None:
    compiled = compile_sql(sql, STYLES[database], LEXICONS[database])  # type: ignore[arg-type]
    assert bind(compiled, params) == (want_sql, want)


def test_compilation_is_cached() -> None:
    assert compile_sql("select :a", "qmark", SQLITE) is compile_sql("select :a", "qmark", SQLITE)


@pytest.mark.parametrize(("sql", "params", "message"), [
    ("select :a, :b", {"a": 1}, "missing :b"),
    ("select :a", {"a": 1, "zz": 2}, "unknown :zz"),
    ("select :a", {"b": 1}, "missing :a; unknown :b"),
    # not a name the compiler reads (the statement's :1a or :é was no parameter to it)
    ("select :a", {"a": 1, "1a": 2}, r"unknown :1a \(a :name is ASCII letters, digits and _"),
    ("select :a", {"a": 1, "é": 2}, r"unknown :é \(a :name is ASCII letters, digits and _"),
    ("where id in :ids", {"ids": []}, ":ids is an empty list"),
])
def test_parameter_errors(sql: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        bind(compile_sql(sql, "qmark", SQLITE), params)


@pytest.mark.parametrize(("sql", "database", "mark"), [
    ("select :a, $1", "postgresql", "'$1'"),
    ("select :a, ?", "sqlite", "'?'"),
    ("select :a, ?2", "sqlite", "'?2'"),
    ("select :a, @b", "sqlite", "'@b'"),
    ("select :a, $b", "sqlite", "'$b'"),
    ("select :a, x:b", "sqlite", "':b'"),
    ("select :a, é:b", "sqlite", "':b'"),
    ("select :a, :b\u3000", "sqlite", "':b\\u3000'"),  # repr escapes it
    ("select :a, #b", "sqlite", "'#b'"),
    # SQLite reads a name going on over :: and one (...) as its own parameter
    ("select :a::int", "sqlite", "':a::int'"),
    ("select :a, :b(x)", "sqlite", "':b(x)'"),
    ("select :a, :b::c::d(e f)", "sqlite", "':b::c::d(e'"),
    ("select :é", "sqlite", "':é'"),
    ("select :a, ?", "sqlserver", "'?'"),
    ("select :a,\n %s", "postgresql", "'%s' (line 2)"),
    ("select :a, %(b)s", "sqlserver", "'%(b)s'"),
    # mssql-python's own reading: anything between %( and )s (10 % (3) AS s is T-SQL)
    ("select :a, 10%(3)s", "sqlserver", "'%(3)s'"),
    ("select :a, 10 %( 3 )s", "sqlserver", "'%( 3 )s'"),
])
def test_marks_the_database_binds_itself_are_refused(sql: str, database: str,
                                                      mark: str) -> None:
    message = re.escape(mark) + " .*placeholder the database would bind"
    with pytest.raises(ParameterError, match=message):
        compile_sql(sql, STYLES[database], LEXICONS[database])  # type: ignore[arg-type]


def test_a_colon_mark_that_is_no_name_is_explained() -> None:
    with pytest.raises(ParameterError, match=re.escape(
            "write :name parameters only (a :name is ASCII letters, digits and _")):
        compile_sql("select :é", "qmark", SQLITE)


@pytest.mark.parametrize(("sql", "database"), [
    ("select doc ? :key, $$ ? $1 $$, '?', \"?\", x % s", "postgresql"),
    ("select @v, '?', N'%s', [?], $1 -- ?", "sqlserver"),
    ("select '?', \"?\", [$1], `@x`, 5 % s /* ? */", "sqlite"),
])
def test_marks_that_are_not_placeholders_pass(sql: str, database: str) -> None:
    compile_sql(sql, STYLES[database], LEXICONS[database])  # type: ignore[arg-type]


def test_sql_server_parameter_limit() -> None:
    compiled = compile_sql("select 1 where id in :ids", "qmark", TSQL)
    sql, values = bind(compiled, {"ids": list(range(2100))}, max_params=2100)
    assert len(values) == 2100 and sql.count("?") == 2100
    with pytest.raises(ParameterError, match="2101 parameters exceed the database's limit of 2100"):
        bind(compiled, {"ids": list(range(2101))}, max_params=2100)


def test_lists_expand_only_after_in() -> None:
    compiled = compile_sql("insert into t (doc) values (:doc) returning :x", "qmark", SQLITE)
    assert bind(compiled, {"doc": [1, 2], "x": []}) == (
        "insert into t (doc) values (?) returning ?", ([1, 2], []))
    compiled = compile_sql("select 1 where a in :one and b not in (:two) and c = :c", "dollar", PG)
    assert bind(compiled, {"one": 5, "two": [1, 2], "c": [3]}) == (
        "select 1 where a in ($1) and b not in ($2, $3) and c = $4", (5, 1, 2, [3]))
    assert compile_sql("select :x from within :y", "qmark", SQLITE).in_list == (False, False)


@pytest.mark.parametrize("database", LEXICONS)
@pytest.mark.parametrize(("text", "what"), [
    # psycopg sends a C string: PostgreSQL would run "select 1 as v" and return a row
    ("select 1 as v\x00 where false", r"a NUL character \(U\+0000\) on line 1"),
    ("select 1,\n'\ud800' as v", r"a lone surrogate \(U\+D800\) on line 2"),
])
def test_text_no_database_receives_is_refused(database: str, text: str, what: str) -> None:
    with pytest.raises(QueryError, match=what):
        compile_sql(text, STYLES[database], LEXICONS[database])  # type: ignore[arg-type]


class Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize("key", [1, None, ("a",), Hostile()])
def test_parameter_names_that_are_not_text_are_refused(key: object) -> None:
    compiled = compile_sql("select :a", "qmark", SQLITE)
    with pytest.raises(ParameterError, match="parameter names are text, not "):
        bind(compiled, {key: 1, "b": 2})


@pytest.mark.parametrize(("key", "shown"), [
    ("b\ud800", r":'b\ud800'"),  # no UTF-8 stream can write a lone surrogate
    ("b\x1b[2J", r":'b\x1b[2J'"),  # a terminal would clear its screen
    ("b\nFAKE: line", r":'b\nFAKE: line'"),
    ("k" * 5000, ":'" + "k" * 60 + "'..."),
])
def test_an_unknown_name_is_shown_escaped_and_cut(key: str, shown: str) -> None:
    compiled = compile_sql("select :a", "qmark", SQLITE)
    with pytest.raises(ParameterError) as info:
        bind(compiled, {"a": 1, key: 2})
    hint = "" if key.isidentifier() else (
        " (a :name is ASCII letters, digits and _, not starting with a digit)")
    assert str(info.value) == f"parameters: unknown {shown}{hint}"
    str(info.value).encode("utf-8")  # writable anywhere
