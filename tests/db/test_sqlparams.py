"""The ``:name`` compiler against the databases' own lexers, property-based.

Statements are generated from string literals, quoted identifiers, comments, casts,
dollar bodies and parameters (repeated, in and out of ``IN`` lists), each piece
carrying the value the database must return for it, with ``:x``, ``?``, ``$1``,
quotes and comment marks hidden inside literals, identifiers and comments. On SQLite
and PostgreSQL the statement runs and the row must equal the expected values (a
misread literal, a parameter bound in the wrong place or a wrong IN expansion all
show as a wrong row or an error). On PostgreSQL half of them run in a unit of work
that turned ``standard_conforming_strings`` off, their '...' strings written with
backslash escapes. For SQL Server the compiled statement must parse with the T-SQL
grammar and carry exactly the parameters placed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monozu.db import Database, connect
from monozu.db.dialects import dialect_for
from monozu.db.errors import ConnectionFailed, ParameterError, QueryError
from monozu.db.sqlparams import bind, compile_sql
from tests.support.tsql import assert_parses, parse_errors

SCALARS = ("a", "b", "c", "n_2", "_x9")  # digits and underscores in names
LISTS = ("ids", "more")


@dataclass(frozen=True, slots=True)
class Piece:
    """One select-list item; ``kind`` picks how each database spells it."""

    kind: str
    text: str = ""
    name: str = ""
    probe: int = 0
    parens: bool = False
    # "continued": the second quoted part and what separates it from the first
    more: str = ""
    gap: str = "\n"


@dataclass(slots=True)
class Rendered:
    sql: str
    expected: list[Any] = field(default_factory=list)
    names: set[str] = field(default_factory=set)


# Characters that fool a naive scanner, to hide in literals, identifiers and comments.
NOISE = [":x", ":a", "?", "$1", "%s", "--", "/*", "*/", "[", "]", "`", '"', "@v", "é",
         "::", "a", " ", "\\", ";", "$$", "$é$", "'", "%(3)s", "?1", "$x", "#x", ":1",
         "U&'", "E'", "N'"]

noise = st.lists(st.sampled_from(NOISE), max_size=5).map("".join)
pieces = st.one_of(
    st.builds(Piece, kind=st.just("param"), name=st.sampled_from(SCALARS)),
    st.builds(Piece, kind=st.just("cast"), name=st.sampled_from(SCALARS)),
    # a parameter right after an operator, and (PostgreSQL) in an array sliced by
    # bounds written with colons
    st.builds(Piece, kind=st.sampled_from(["negated", "absolute", "variable"]),
              name=st.sampled_from(SCALARS)),
    # two parameters joined by an operator (:a*:b, :a-:b), one before a -- comment
    # holding another (:a--:b ends at the line's end), and one in parentheses of its own
    st.builds(Piece, kind=st.sampled_from(["product", "difference", "dashes"]),
              name=st.sampled_from(SCALARS), text=st.sampled_from(SCALARS),
              gap=st.sampled_from(["\n", "\r\n", "\r"])),
    # bit strings and blobs: B'101', X'1F' (PostgreSQL), X'4142' (SQLite)
    st.builds(Piece, kind=st.just("bits"), text=st.text("01", min_size=1, max_size=8)),
    st.builds(Piece, kind=st.just("slice"), name=st.sampled_from(SCALARS),
              probe=st.integers(0, 2)),
    st.builds(Piece, kind=st.just("in"), name=st.sampled_from(LISTS),
              probe=st.integers(0, 4), parens=st.booleans()),
    # a list out of IN: one JSON value, the same list the IN pieces expand
    st.builds(Piece, kind=st.just("document"), name=st.sampled_from(LISTS)),
    st.builds(Piece, kind=st.just("string"), text=noise),
    # a backslash and a quote, which a session reading backslashes in '...' (and the
    # text written for it) takes otherwise
    st.builds(Piece, kind=st.just("string"), text=st.builds("{}\\'{}".format, noise, noise)),
    st.builds(Piece, kind=st.just("estring"), text=noise),
    # PostgreSQL: quoted parts separated by a newline are one string, read as the
    # first part is (with escapes after E)
    st.builds(Piece, kind=st.sampled_from(["continued", "econtinued"]), text=noise,
              more=noise, gap=st.builds(lambda t, gap: gap.format(t), noise, st.sampled_from(
                  ["\n", "\r", " \t\n ", " -- {}\n", "\n-- {}\r\n\t", "\n\n"]))),
    # U&'...' on PostgreSQL (its escape character doubled), N'...' on SQL Server
    st.builds(Piece, kind=st.just("ustring"), text=noise, parens=st.booleans()),
    st.builds(Piece, kind=st.just("dollar"), text=noise,
              name=st.sampled_from(["", "t", "é", "€x"])),
)
line_ends = st.sampled_from(["\n", "\r", "\r\n"])
separators = st.one_of(
    st.just(" "),
    st.just(""),  # the item right after the comma
    st.builds(lambda t, end: f"-- {t}{end}", noise, line_ends),
    # block comments, nested or not, with any line end inside
    st.builds(lambda t, nested, end: f"/* {t}{end}/* {t} */{end}*/" if nested
              else f"/*{end}{t} */",
              noise.map(lambda t: t.replace("*/", "").replace("/*", "")), st.booleans(),
              line_ends),
)
# How the text ends: as the list does, in a parameter (WHERE ... 0*:c), or in a --
# comment without a line end.
tails = st.one_of(st.just(""), st.sampled_from(SCALARS).map(lambda n: f" WHERE 1 = 1+0*:{n}"),
                  noise.map(lambda t: f" -- {t}"))
statements = st.tuples(st.lists(st.tuples(pieces, separators, noise), min_size=1, max_size=6),
                       tails)
values = st.fixed_dictionaries({
    **{n: st.integers(-1000, 1000) for n in SCALARS},
    **{n: st.lists(st.integers(0, 4), min_size=1, max_size=4) for n in LISTS},
})


Statement = tuple[list[tuple[Piece, str, str]], str]


def render(kind: str, statement: Statement, params: dict[str, Any],
           backslashes: bool = False) -> Rendered:
    """The statement as written for ``kind``, with the row it must return;
    ``backslashes``: for a PostgreSQL session whose '...' strings read backslash
    escapes (standard_conforming_strings off)."""
    items, tail = statement
    out = Rendered("SELECT ")
    for i, (piece, sep, alias_noise) in enumerate(items):
        expression, value = _expression(kind, piece, params, out.names, backslashes)
        if expression is None:
            continue
        if out.expected:
            out.sql += ","
        out.sql += _separator(kind, sep) + expression + " AS " + _alias(kind, i, alias_noise)
        out.expected.append(value)
    if not out.expected:
        out.sql += "1 AS one"
        out.expected.append(1)
    if tail.startswith(" WHERE"):
        out.names.add(tail.rpartition(":")[2])
    out.sql += tail
    return out


def _expression(kind: str, piece: Piece, params: dict[str, Any], names: set[str],
                backslashes: bool) -> tuple[str | None, Any]:
    if piece.kind in ("param", "cast", "in", "document", "negated", "absolute", "slice",
                      "variable", "product", "difference", "dashes") and (
            kind == "postgresql" or piece.kind not in ("absolute", "slice")):
        names.add(piece.name)
    if piece.kind in ("product", "difference"):
        names.add(piece.text)
    if piece.kind == "product":
        cast = "::integer" if kind == "postgresql" else ""  # psycopg sends a smallint
        return (f"(:{piece.name}*:{piece.text}{cast})",
                params[piece.name] * params[piece.text])
    if piece.kind == "difference":
        return f"(:{piece.name}-:{piece.text})", params[piece.name] - params[piece.text]
    if piece.kind == "dashes":
        return f"(:{piece.name}--:{piece.text}{_line_end(kind, piece.gap)})", params[piece.name]
    if piece.kind == "bits":
        if kind == "postgresql":  # as many bits, and a hex digit four each
            return f"(length(B'{piece.text}') + length(X'{piece.text}'))", 5 * len(piece.text)
        if kind == "sqlite":  # a byte each pair of hex digits
            return f"length(X'{piece.text * 2}')", len(piece.text)
        return f"(LEN(N'{piece.text}') + 0)", len(piece.text)
    if piece.kind == "negated":
        return f"(0-:{piece.name})", -params[piece.name]
    if piece.kind == "variable":  # T-SQL's @@ and @ words before a parameter
        if kind == "sqlserver":
            return f"(@@ROWCOUNT*0+@v*0+:{piece.name})", params[piece.name]
        return f"(0*0+:{piece.name})", params[piece.name]
    if piece.kind in ("absolute", "slice") and kind != "postgresql":
        return None, None
    if piece.kind == "absolute":  # PostgreSQL's prefix @ (absolute value)
        return f"(@:{piece.name})", abs(params[piece.name])
    if piece.kind == "slice":
        bounds = ("[1:2]", "[:2]", "[1 :2]")[piece.probe]
        return f"(ARRAY[:{piece.name}::integer, 2, 3]){bounds}", [params[piece.name], 2]
    if piece.kind == "param":
        return f"(:{piece.name} + 0)", params[piece.name]
    if piece.kind == "cast":
        if kind == "postgresql":
            return f":{piece.name}::integer", params[piece.name]
        return f"CAST(:{piece.name} AS INTEGER)", params[piece.name]
    if piece.kind == "document":  # SQLite gives JSON text
        doc = params[piece.name]
        return f":{piece.name}", doc if kind == "postgresql" else json.dumps(doc).replace(" ", "")
    if piece.kind == "in":
        ref = f"(:{piece.name})" if piece.parens else f":{piece.name}"
        return (f"(CASE WHEN {piece.probe} IN {ref} THEN 1 ELSE 0 END)",
                int(piece.probe in params[piece.name]))
    if piece.kind == "string":
        if backslashes:
            return f"'{_escaped(piece.text)}'", piece.text
        return "'" + piece.text.replace("'", "''") + "'", piece.text
    if piece.kind == "estring":
        if kind != "postgresql":
            return None, None
        return f"E'{_escaped(piece.text)}'", piece.text
    if piece.kind in ("continued", "econtinued"):
        if kind != "postgresql":
            return None, None
        if piece.kind == "econtinued" or backslashes:
            return (f"E'{_escaped(piece.text)}'{piece.gap}'{_escaped(piece.more)}'",
                    piece.text + piece.more)
        return (f"'{_doubled(piece.text)}'{piece.gap}'{_doubled(piece.more)}'",
                piece.text + piece.more)
    if piece.kind == "ustring":
        if kind == "sqlserver":
            return f"N'{_doubled(piece.text)}'", piece.text
        if kind != "postgresql" or backslashes:  # refused there: "unsafe use"
            return None, None
        if piece.parens:  # an escape character of its own
            return f"U&'{_doubled(piece.text).replace('!', '!!')}' UESCAPE '!'", piece.text
        return f"U&'{_doubled(piece.text).replace(chr(92), chr(92) * 2)}'", piece.text
    # dollar-quoted body: PostgreSQL only, and the body must not close it early
    tag = f"${piece.name}$"
    if kind != "postgresql" or "$" in piece.text:
        return None, None
    return f"{tag}{piece.text}{tag}", piece.text


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _doubled(text: str) -> str:
    return text.replace("'", "''")


def _separator(kind: str, sep: str) -> str:
    if kind == "sqlite" and sep.startswith("/*"):
        # SQLite's block comments do not nest: drop the inner opener
        return "/*" + sep[2:-2].replace("/*", "").replace("*/", "") + "*/"
    if sep.startswith("--"):
        return sep[:-1] + _line_end(kind, sep[-1])
    return sep


def _line_end(kind: str, end: str) -> str:
    """``end`` after a -- comment, or a newline after it where a lone \\r does not end
    one (SQLite; the T-SQL check reads it so too)."""
    return end if kind == "postgresql" or end.endswith("\n") else end + "\n"


def _alias(kind: str, i: int, text: str) -> str:
    if i % 4 == 3:  # a bare name holding what would start a dollar body elsewhere
        return f"c{i}$t$"
    if kind == "postgresql" and i % 4 == 2:  # U&"..." with an escape of its own
        body = f"c{i} {text}".replace('"', "").replace("!", "!!")
        return f'U&"{body}!0063" UESCAPE \'!\''
    body = f"c{i} {text}".replace('"', "").replace("]", "").replace("`", "")
    if kind == "sqlserver":
        body = body.replace("[", "")  # valid T-SQL, but the grammar check's lexer stops there
    if kind == "sqlserver" or (kind == "sqlite" and i % 3 == 1):
        return f"[{body}]"
    if kind == "sqlite" and i % 3 == 2:
        return f"`{body}`"
    return f'"{body}"'


def _run(db: Database, statement: Statement, params: dict[str, Any],
         backslashes: bool = False) -> None:
    rendered = render(db.dialect.kind, statement, params, backslashes)
    used = {n: params[n] for n in rendered.names}
    with db.transaction() as tx:
        if backslashes:
            tx.exec("SET LOCAL standard_conforming_strings = off")
        (row,) = tx.select(dict, rendered.sql, used)
    assert list(row.values()) == rendered.expected, rendered.sql


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = connect(f"sqlite:///{tmp_path_factory.mktemp('props') / 'p.db'}")
    yield db
    db.close()


COMMON = settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])


@COMMON
@given(items=statements, params=values)
def test_sqlite_returns_what_was_bound(sqlite_db: Database, items: Statement,
                                       params: dict[str, Any]) -> None:
    _run(sqlite_db, items, params)


@COMMON
@given(items=statements, params=values, backslashes=st.booleans())
def test_postgresql_returns_what_was_bound(pg_url: str, items: Statement,
                                           params: dict[str, Any], backslashes: bool) -> None:
    # backslashes: in a unit of work that turned standard_conforming_strings off, its
    # '...' strings written with backslash escapes
    db = _pg(pg_url)
    _run(db, items, params, backslashes)


_PG: dict[str, Database] = {}


def _pg(url: str) -> Database:
    if url not in _PG:
        for old in _PG.values():
            old.close()
        _PG.clear()
        # one connection, made within the first example: a pool filling itself in the
        # background draws on the random module while hypothesis generates
        _PG[url] = connect(url, pool_size=1)
    return _PG[url]


@pytest.fixture(autouse=True, scope="module")
def _close_pg() -> Iterator[None]:
    yield
    for db in _PG.values():
        db.close()
    _PG.clear()


# The T-SQL grammar check takes most of a second per statement: fewer examples.
@settings(max_examples=100, deadline=None)
@given(items=statements, params=values)
def test_sql_server_statements_parse(items: Statement, params: dict[str, Any]) -> None:
    dialect = dialect_for("sqlserver")
    rendered = render("sqlserver", items, params)
    compiled = compile_sql(rendered.sql, dialect.style, dialect.lexicon)
    assert set(compiled.names) == rendered.names
    sql, bound = bind(compiled, {n: params[n] for n in rendered.names})
    assert sql.count("?") >= len(bound)  # marks inside literals may add to the count
    assert_parses(sql)
    # the driver's own reading of the text finds no %(name)s mark it would refuse
    from mssql_python.parameter_helper import parse_pyformat_params

    assert parse_pyformat_params(sql) == []


def test_postgresql_reads_no_parameter_joined_to_an_identifier(pg_url: str) -> None:
    # é:n slices between two columns: the server reads no parameter there
    sql = "SELECT (ARRAY[10, 20, 30])[é:n] AS v FROM (SELECT 1 AS é, 2 AS n) q"
    assert _pg(pg_url).select(dict, sql) == [{"v": [10, 20]}]


def test_postgresql_runs_no_statement_cut_at_a_nul(pg_url: str) -> None:
    # the driver sends the text up to a NUL: the server ran "SELECT 1 AS v" alone
    with pytest.raises(QueryError, match="NUL"):
        _pg(pg_url).select(dict, "SELECT 1 AS v\x00 WHERE false")


# Texts each database refuses because they end inside a quote, a dollar body or a
# block comment: the compiler refuses them too (a :name after the opening quote would
# have vanished into it), naming what is open and where it starts.
UNCLOSED = [
    ("select 1,\n'abc :x", ("sqlite", "postgresql", "sqlserver"), "string", 2),
    ("select 'ab'' :x", ("sqlite", "postgresql", "sqlserver"), "string", 1),
    ('select "ab :x', ("sqlite", "postgresql", "sqlserver"), "quoted identifier", 1),
    ("select [ab :x", ("sqlite", "sqlserver"), "quoted identifier", 1),
    ("select `ab :x", ("sqlite",), "quoted identifier", 1),
    ("select E'ab\\' :x", ("postgresql",), "string", 1),
    ("select E'ab\\", ("postgresql",), "string", 1),
    ("select E'a'\n'b", ("postgresql",), "string", 1),
    ("select $t$ :x $t", ("postgresql",), "dollar-quoted string", 1),
    ("select $$$", ("postgresql",), "dollar-quoted string", 1),
    ("select 1 /* :x", ("postgresql", "sqlserver"), "/* comment", 1),
    ("select 1 /* a /* b */ :x", ("postgresql", "sqlserver"), "/* comment", 1),
]


def _refused_by(database: str, sql: str, pg_url: str, sqlite_db: Database) -> bool:
    if database == "sqlserver":
        return parse_errors(sql) is not None
    raw = sqlite_db if database == "sqlite" else _pg(pg_url)
    try:
        with raw.transaction() as tx:
            tx.conn.cursor().execute(sql)
    except Exception:
        return True
    return False


@pytest.mark.parametrize(("sql", "databases", "what", "line"), UNCLOSED)
def test_text_ending_inside_a_quote_is_refused(sql: str, databases: tuple[str, ...],
                                               what: str, line: int, pg_url: str,
                                               sqlite_db: Database) -> None:
    for database in databases:
        assert _refused_by(database, sql, pg_url, sqlite_db), database
        dialect = dialect_for(database)  # type: ignore[arg-type]
        with pytest.raises(QueryError, match=re.escape(
                f"the statement's {what} starting on line {line} is not closed")):
            compile_sql(sql, dialect.style, dialect.lexicon)


@pytest.mark.parametrize(("sql", "databases"), [
    # SQLite ends a /* comment at the end of the text
    ("select 1 /* :x", ("sqlite",)),
    ("select 1 /* a /* b */", ("sqlite",)),
    ("select '', 'a''', E'a\\\\', $a$$a$, $$$$, 1 AS \"a\"\"\" /**/", ("postgresql",)),
    ("select '', 'a''', 1 AS [a]]], 2 AS \"a\"\"\" /* /* */ */", ("sqlserver",)),
    ("select '', 'a''', 1 AS [a], 2 AS `a```, 3 AS \"a\"\"\" /**/", ("sqlite",)),
])
def test_text_ending_just_after_a_quote_is_read(sql: str, databases: tuple[str, ...],
                                                pg_url: str, sqlite_db: Database) -> None:
    for database in databases:
        if database != "sqlserver":  # the grammar check does not know ]]
            assert not _refused_by(database, sql, pg_url, sqlite_db), database
        dialect = dialect_for(database)  # type: ignore[arg-type]
        assert compile_sql(sql, dialect.style, dialect.lexicon).names == ()


@pytest.mark.parametrize("mark", [":a::int", ":a(x)", ":a::b::c(d)", "@a(x)", ":é"])
def test_sqlite_binds_these_marks_itself(sqlite_db: Database, mark: str) -> None:
    # as the compiler reads them: one parameter of SQLite's own, refused
    sql = f"select {mark} as v"
    with sqlite_db.transaction() as tx:
        assert tx.conn.execute(sql, {mark[1:]: 7}).fetchall() == [(7,)]
    with pytest.raises(ParameterError, match="placeholder the database would bind"):
        compile_sql(sql, "qmark", dialect_for("sqlite").lexicon)


def test_sql_server_driver_refuses_what_the_compiler_refuses() -> None:
    # mssql-python reads %( ... )s as a named mark of its own, whatever is between,
    # and refuses it beside the tuple of values the layer passes
    from mssql_python.parameter_helper import detect_and_convert_parameters

    for text in ("select 10%(3)s, ?", "select 10 %( 3 )s, ?"):
        with pytest.raises(TypeError, match="Parameter style mismatch"):
            detect_and_convert_parameters(text, (1,))
        with pytest.raises(ParameterError, match="placeholder the database would bind"):
            compile_sql(text.replace("?", ":a"), "qmark", dialect_for("sqlserver").lexicon)


# Read on a session with standard_conforming_strings on, ':a' below is a parameter after
# the one-character string '\'; on one with it off, '\' AS s, :a AS a -- ' is one string.
MOVED_BY_A_BACKSLASH = "SELECT '\\' AS s, :a AS a -- '\n, :b AS b"


@pytest.mark.parametrize("turn_off", [
    "SET standard_conforming_strings = off",
    "SELECT set_config('standard_conforming_strings', 'off', false)",
    "RESET standard_conforming_strings",  # back to the database's default, off
])
def test_postgresql_reads_strings_as_the_session_does_now(pg_url: str, turn_off: str) -> None:
    # a database whose default is off: every session still starts with it on
    with connect(pg_url, pool_size=1) as admin:
        admin.exec("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET "
                   "standard_conforming_strings = off', current_database()); END $$")
    db = connect(pg_url, pool_size=1)
    try:
        with db.transaction() as tx:
            assert tx.select(dict, MOVED_BY_A_BACKSLASH, a=1, b=2) == [
                {"s": "\\", "a": 1, "b": 2}]
            tx.exec(turn_off)
            assert tx.select(dict, MOVED_BY_A_BACKSLASH, b=2) == [
                {"?column?": "' AS s, :a AS a -- ", "b": 2}]
            with pytest.raises(ParameterError, match="unknown :a"):
                tx.select(dict, MOVED_BY_A_BACKSLASH, a=1, b=2)
            # read only this way: \' is a quote inside a string here
            assert tx.get_value("SELECT 'it\\'s ' || :a", a="x") == "it's x"
            assert tx.exec_many("SELECT '\\' AS s, :a -- '\n, :b", [{"b": 1}]) == 1
            # a string that ends where it would otherwise is refused, saying why
            with pytest.raises(QueryError, match=re.escape(
                    "string starting on line 1 is not closed: the database would refuse it, "
                    "reading the rest as part of it (as this session reads it: PostgreSQL "
                    "with standard_conforming_strings off, where a backslash in '...' "
                    "escapes the character after it)")):
                tx.get_value("SELECT '\\' || :a || '\\'", a="x")
        with db.transaction() as tx:  # the pool's reset turned it back on
            assert tx.select(dict, MOVED_BY_A_BACKSLASH, a=1, b=2) == [
                {"s": "\\", "a": 1, "b": 2}]
    finally:
        db.close()


def test_a_closed_connection_is_named_before_the_session_is_read(pg_url: str) -> None:
    db = connect(pg_url, pool_size=1)
    try:
        with pytest.raises(ConnectionFailed, match="the connection is closed"), \
                db.transaction() as tx:
            tx.conn.close()
            tx.select(dict, MOVED_BY_A_BACKSLASH, a=1, b=2)
    finally:
        db.close()


@pytest.mark.parametrize(("sql", "dependent"), [
    ("SELECT :a, 'x'", False),
    ("SELECT :a, E'it\\'s', $$\\$$, \"\\\", '\\\\' -- \\'", False),  # read alike
    ("SELECT 'C:\\temp', :a", False),
    ("SELECT '\\', :a", True),  # refused when read with escapes: the text ends in it
    (MOVED_BY_A_BACKSLASH, True),
])
def test_only_statements_a_backslash_reads_otherwise_look_at_the_session(
        sql: str, dependent: bool) -> None:
    dialect = dialect_for("postgresql")
    assert compile_sql(sql, dialect.style, dialect.lexicon).session_dependent is dependent
    for kind in ("sqlite", "sqlserver"):
        other = dialect_for(kind)  # type: ignore[arg-type]
        assert not compile_sql(sql.replace("$$\\$$", ""), other.style,
                               other.lexicon).session_dependent


@pytest.mark.timeout(60)  # the numbering was quadratic: minutes for this
def test_a_statement_of_100000_parameters(pg_url: str, sqlite_db: Database) -> None:
    # PostgreSQL takes up to 65,535 values: 100,000 parameters of 50,000 names
    marks = ", ".join(f":p{i % 50000}" for i in range(100_000))
    values = {f"p{i}": i for i in range(50_000)}
    assert _pg(pg_url).get_value(f"SELECT ARRAY[{marks}]::integer[] AS v", **values) == [
        i % 50000 for i in range(100_000)]
    # SQLite binds a value a mark, up to 32,766
    marks = ", ".join(f":p{i}" for i in range(30_000))
    for probe, found in ((29_999, 1), (-1, 0)):
        assert sqlite_db.get_value(f"SELECT {probe} IN ({marks}) AS v",
                                   **{f"p{i}": i for i in range(30_000)}) == found
    # and 100,000 names, each its own number
    marks = ", ".join(f":p{i}" for i in range(100_000))
    for kind in ("sqlite", "postgresql", "sqlserver"):
        dialect = dialect_for(kind)  # type: ignore[arg-type]
        compiled = compile_sql(f"SELECT {marks}", dialect.style, dialect.lexicon)
        assert len(compiled.order) == 100_000
        assert compiled.sql.endswith(", $100000" if kind == "postgresql" else ", ?")


def test_deep_nesting_is_read_without_recursion(pg_url: str, sqlite_db: Database) -> None:
    for kind in ("sqlite", "postgresql", "sqlserver"):
        dialect = dialect_for(kind)  # type: ignore[arg-type]
        for sql in ("SELECT " + "(" * 100_000 + ":a" + ")" * 100_000,
                    "SELECT 1 " + "/* " * 100_000 + "*/ " * 100_000 + ", :a"):
            assert compile_sql(sql, dialect.style, dialect.lexicon).names == ("a",)
    # as deep as each database parses: PostgreSQL nests comments, SQLite does not
    sql = ("SELECT " + "(" * 5000 + ":a::integer" + ")" * 5000 + " AS v, 1 "
           + "/* :b " * 100_000 + ":b */ " * 100_000 + "AS c, :a::integer AS d")
    assert _pg(pg_url).select(dict, sql, a=7) == [{"v": 7, "c": 1, "d": 7}]
    sql = ("SELECT " + "(" * 50 + ":a" + ")" * 50 + " AS v, 1 "
           + "/* :b " * 100_000 + "*/ AS c, :a AS d")
    assert sqlite_db.select(dict, sql, a=7) == [{"v": 7, "c": 1, "d": 7}]
