"""``monozu db erd``: the Mermaid diagram of the live schema, against the documented core ERD.

The database page's ERD block is kept here verbatim (``SEED_ERD``). When the page itself
is at ``../shared/seed/database-page.txt`` (next to the repository, as in CI) the copy must match
it; either way every expectation below is read from the copy, so the test cannot pass on an
empty or missing page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from monozu.db import connect, erd
from monozu.db.introspect import Schema, introspect
from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite

ROOT = Path(__file__).resolve().parents[2]
SEED_PAGE = ROOT.parent / "shared" / "seed" / "database-page.txt"
DOC = ROOT / "docs" / "schema.md"
EXE = Path(sys.executable).with_name("monozu")

# The "Core entity ERD" block of the database page, verbatim.
SEED_ERD = """\
tenants {
uuid id PK
string name
string status
timestamp created_at
}
users {
uuid id PK
uuid tenant_id FK
string email
string password_hash
bool mfa_enabled
timestamp created_at
}
groups {
uuid id PK
uuid tenant_id FK
string name
}
user_groups {
uuid user_id FK
uuid group_id FK
}
assets {
uuid id PK
uuid tenant_id FK
string name
string type
uuid site_id FK
timestamp created_at
}
sites {
uuid id PK
uuid tenant_id FK
string name
}
incidents {
uuid id PK
uuid tenant_id FK
string title
string status
string severity
timestamp sla_response_due
timestamp sla_resolve_due
timestamp created_at
}
problems {
uuid id PK
uuid tenant_id FK
string title
string status
string root_cause
}
changes {
uuid id PK
uuid tenant_id FK
string title
string status
string type
string risk
}
vulnerabilities {
uuid id PK
uuid tenant_id FK
string cve_id
float cvss_score
string status
uuid asset_id FK
}
audit_logs {
uuid id PK
uuid tenant_id FK
uuid user_id FK
string action
string resource_type
string resource_id
timestamp created_at
}
tenant_licenses {
uuid tenant_id FK
string plan
timestamp expires_at
}
tenant_features {
uuid tenant_id FK
string feature
bool enabled
}
tenants ||--o{ users : "has"
tenants ||--o{ groups : "has"
tenants ||--o{ assets : "owns"
tenants ||--o{ incidents : "owns"
tenants ||--o{ problems : "owns"
tenants ||--o{ changes : "owns"
tenants ||--o{ vulnerabilities : "owns"
tenants ||--o{ audit_logs : "generates"
tenants ||--|| tenant_licenses : "has"
tenants ||--o{ tenant_features : "has"
users }o--o{ groups : "belongs to (user_groups)"
assets }o--|| sites : "located at"
vulnerabilities }o--|| assets : "affects"
"""

# Relations the live schema has among the 13 tables beyond the documented lines: foreign keys
# the page marks FK (sites.tenant_id, audit_logs.user_id, user_groups' tenant) or that the
# schema plan adds (incidents.assigned_to; incidents.site_id and asset_id since V33), without
# drawing a line for them.
EXTRA_EDGES = {("tenants", "sites"), ("tenants", "user_groups"), ("users", "audit_logs"),
               ("users", "incidents"), ("sites", "incidents"), ("assets", "incidents")}

_ENTITY = re.compile(r"^\s*(?P<name>\w+) \{$")
_ATTRIBUTE = re.compile(r'^\s*(?P<type>\w+) (?P<name>\w+)'
                        r'(?: (?P<keys>(?:PK|FK|UK)(?:, (?:PK|FK|UK))*))?'
                        r'(?: "(?P<comment>[^"]*)")?$')
_RELATION = re.compile(r'^\s*(?P<left>\w+) (?P<lm>\|\||\|o|\}o)--(?P<rm>\|\||o\||o\{) '
                       r'(?P<right>\w+) : "(?P<label>[^"]*)"$')


@dataclass(frozen=True)
class Attribute:
    type: str
    name: str
    keys: frozenset[str]
    comment: str | None


@dataclass(frozen=True)
class Relation:
    left: str
    left_marker: str
    right_marker: str
    right: str
    label: str

    def edge(self) -> tuple[str, str]:
        """(parent, child): the side drawn "one" is the parent."""
        if self.left_marker in ("||", "|o"):
            return self.left, self.right
        assert self.right_marker in ("||", "o|"), self
        return self.right, self.left


@dataclass
class Diagram:
    entities: dict[str, list[Attribute]] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def columns(self, table: str) -> dict[str, Attribute]:
        return {a.name: a for a in self.entities[table]}


def parse(text: str, *, strict: bool = True) -> Diagram:
    """Entities and relations of an erDiagram; ``strict``: every line must be understood."""
    lines = text.splitlines()
    if strict:
        assert lines[0] == "erDiagram", lines[:1]
        lines = lines[1:]
    diagram = Diagram()
    current: str | None = None
    for line in lines:
        if current is not None:
            if line.strip() == "}":
                current = None
                continue
            m = _ATTRIBUTE.match(line)
            assert m, f"not an attribute line: {line!r}"
            keys = frozenset(k.strip() for k in (m["keys"] or "").split(",") if k.strip())
            diagram.entities[current].append(Attribute(m["type"], m["name"], keys, m["comment"]))
        elif (m := _ENTITY.match(line)) is not None:
            current = m["name"]
            assert current not in diagram.entities, f"entity twice: {current}"
            diagram.entities[current] = []
        elif (m := _RELATION.match(line)) is not None:
            diagram.relations.append(Relation(m["left"], m["lm"], m["rm"], m["right"], m["label"]))
        elif strict:
            raise AssertionError(f"not erDiagram syntax this test knows: {line!r}")
        else:
            break
    assert current is None, "unterminated entity"
    return diagram


SEED = parse(SEED_ERD, strict=False)


def seed_edges() -> set[tuple[str, str]]:
    """(parent, child) per seed relation; a many-to-many goes through its named join table."""
    edges = set()
    for r in SEED.relations:
        if r.left_marker == "}o" and r.right_marker == "o{":
            join = re.search(r"\((\w+)\)", r.label)
            assert join, r
            edges |= {(r.left, join[1]), (r.right, join[1])}
        else:
            edges.add(r.edge())
    return edges


def migrated(url: str) -> None:
    if url.startswith("sqlite"):
        conn = connect_sqlite(url)
        apply_sqlite(conn)
        conn.close()
    else:
        with psycopg.connect(url, autocommit=True) as pg:
            apply_postgresql(pg)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SQL_"))}
    return subprocess.run([str(EXE), "db", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=env)


# --------------------------------------------------------------------------- the documented copy


def test_the_seed_copy_is_the_seed() -> None:
    assert sorted(SEED.entities) == sorted(erd.CORE_TABLES)
    for table, columns in erd.CORE_TABLES.items():
        assert tuple(a.name for a in SEED.entities[table]) == columns, table
    assert len(SEED.relations) == 13
    if SEED_PAGE.exists():  # next to the repository, as in CI
        page = SEED_PAGE.read_text(encoding="utf-8")
        start = page.index("erDiagram") + len("erDiagram")
        assert page[start:].startswith("\n" + SEED_ERD), (
            f"SEED_ERD no longer matches the ERD block of {SEED_PAGE}")


# --------------------------------------------------------------------------- core diagram


def test_core_diagram_has_the_seed_tables_columns_and_relations(any_url: str,
                                                                tmp_path: Path) -> None:
    migrated(any_url)
    out = tmp_path / "core.mmd"
    proc = run("erd", "--core", "--url", any_url, "--output", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert run("erd", "--core", "--url", any_url, cwd=tmp_path).stdout == text  # deterministic
    core = parse(text)

    assert sorted(core.entities) == sorted(SEED.entities)
    for table, seed_attrs in SEED.entities.items():
        drawn = core.columns(table)
        for attr in seed_attrs:
            assert attr.name in drawn, f"{table}.{attr.name} missing"
            assert drawn[attr.name].type == attr.type, f"{table}.{attr.name}"
            assert attr.keys <= drawn[attr.name].keys, f"{table}.{attr.name} keys"
        seed_names = {a.name for a in seed_attrs}
        for name, attr in drawn.items():  # beyond the documented ERD: key columns only
            assert name in seed_names or attr.keys & {"PK", "FK"}, f"{table}.{name}"
        assert all(a.comment is None for a in drawn.values())
    assert core.columns("user_groups")["tenant_id"].keys == {"PK", "FK"}

    edges = {r.edge() for r in core.relations}
    assert seed_edges() <= edges
    assert edges == seed_edges() | EXTRA_EDGES
    shapes = {r.edge(): (r.left_marker, r.right_marker, r.label) for r in core.relations}
    assert shapes[("tenants", "tenant_licenses")] == ("||", "o|", "tenant_id")  # one licence
    assert shapes[("tenants", "users")] == ("||", "o{", "tenant_id")
    assert shapes[("sites", "assets")] == ("||", "o{", "site_id")
    assert shapes[("assets", "vulnerabilities")] == ("||", "o{", "asset_id")
    assert shapes[("users", "user_groups")] == ("||", "o{", "user_id")
    assert shapes[("groups", "user_groups")] == ("||", "o{", "group_id")
    assert shapes[("users", "audit_logs")] == ("|o", "o{", "user_id")  # nullable user_id
    assert shapes[("users", "incidents")] == ("|o", "o{", "assigned_to")


# --------------------------------------------------------------------------- full diagram


def _schema(url: str) -> Schema:
    if url.startswith("sqlite"):
        conn = connect_sqlite(url)
        try:
            return introspect(conn, "sqlite")
        finally:
            conn.close()
    with psycopg.connect(url) as pg:
        return introspect(pg, "postgresql")


def test_full_diagram_has_every_table_column_and_foreign_key(any_url: str) -> None:
    migrated(any_url)
    db = connect(any_url)
    try:
        full = parse(erd.diagram(db))
    finally:
        db.close()
    schema = _schema(any_url)
    assert sorted(full.entities) == sorted(schema.tables)
    assert "flyway_schema_history" not in full.entities
    for name, table in schema.tables.items():
        drawn = full.columns(name)
        assert list(drawn) == list(table.column_names), name
        for column in table.columns:
            attr = drawn[column.name]
            assert attr.type == ("string" if column.type == "text" else column.type)
            assert ("nullable" in (attr.comment or "")) == column.nullable, attr
            if column.max_length is not None:
                assert f"max {column.max_length}" in (attr.comment or ""), attr
        pk = set(table.primary_key.columns) if table.primary_key else set()
        assert {a.name for a in drawn.values() if "PK" in a.keys} == pk, name
    fks = [(t.name, fk.ref_table) for t in schema.tables.values() for fk in t.foreign_keys]
    assert sorted(r.edge()[::-1] for r in full.relations) == sorted(fks)
    assert ("refresh_tokens", "refresh_tokens") in {r.edge() for r in full.relations}


def test_the_diagram_is_the_same_on_sqlite_and_postgresql(sqlite_url: str, pg_url: str) -> None:
    texts = []
    for url in (sqlite_url, pg_url):
        migrated(url)
        db = connect(url)
        try:
            texts.append((erd.diagram(db), erd.diagram(db, core=True)))
        finally:
            db.close()
    assert texts[0] == texts[1]


def test_erd_of_an_unreachable_sql_server_is_one_line(tmp_path: Path) -> None:
    # SQL Server is introspected through its catalog (tests/db/dialects/sqlserver/
    # test_catalog.py); a server that cannot be reached is one line without the password.
    proc = run("erd", "--url", "sqlserver://ops:secret@sql.invalid?database=monozu",
               cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "SQL Server" in lines[0]
    assert "secret" not in proc.stderr


# --------------------------------------------------------------------------- docs/schema.md


def test_docs_schema_md_is_up_to_date(sqlite_url: str) -> None:
    migrated(sqlite_url)
    expected = erd.document(_schema(sqlite_url))
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert current == expected, f"docs/schema.md is out of date: run `{erd.REGENERATE}`"
    assert "```mermaid\nerDiagram\n" in current
    assert current.count("```mermaid") == 2


def test_the_regenerate_command_writes_and_checks(tmp_path: Path) -> None:
    module = [sys.executable, "-m", "monozu.db.erd"]
    written = tmp_path / "schema.md"
    done = subprocess.run([*module, "--write", str(written)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert written.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
    ok = subprocess.run([*module, "--check", str(DOC)], capture_output=True, text=True,
                        timeout=120, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    written.write_text(written.read_text(encoding="utf-8").replace("uuid id PK", "uuid id", 1))
    stale = subprocess.run([*module, "--check", str(written)], capture_output=True, text=True,
                           timeout=120, cwd=ROOT)
    assert stale.returncode == 1
    assert erd.REGENERATE in stale.stderr


def test_render_marks_cardinality_from_keys_and_nullability() -> None:
    from monozu.db.introspect import Column, ForeignKey, PrimaryKey, Table

    def col(name: str, nullable: bool = False) -> Column:
        return Column(name, "uuid", None, nullable, False, "uuid")

    parent = Table("parents", (col("id"),), PrimaryKey("pk", ("id",)))
    one = Table("ones", (col("parent_id"),), PrimaryKey("pk1", ("parent_id",)),
                (ForeignKey("fk1", ("parent_id",), "parents", ("id",)),))
    many = Table("manies", (col("id"), col("parent_id", nullable=True)),
                 PrimaryKey("pk2", ("id",)),
                 (ForeignKey("fk2", ("parent_id",), "parents", ("id",)),))
    text = erd.render(Schema({t.name: t for t in (parent, one, many)}))
    relations = {(r.left, r.left_marker, r.right_marker, r.right) for r in parse(text).relations}
    assert relations == {("parents", "||", "o|", "ones"), ("parents", "|o", "o{", "manies")}


# Names a database accepts that would break out of Mermaid's syntax or act on a terminal:
# quotes, braces, a line break starting a forged line, ANSI and OSC 8 sequences, a carriage
# return, a bidi override, Mermaid's own words and markers, its comment and entity marks.
HOSTILE_NAMES = (
    't{ }\nerDiagram', "evil\x1b[31mred\x1b[0m", 'a"b : "c', "x`y", "100%", "direction TB",
    "end", "PK", "back\\slash", "rtl\u202eoverride", "cr\roverwrite", "line\u2028sep",
    "osc\x1b]8;;http://e\x07link\x1b]8;;\x07", "#35;", "a, b", "}o--o{", "%% comment",
)
_QUOTED_ENTITY = r'[A-Za-z_]\w*|"[^"%\\\r\n\v\b]+"'  # Mermaid's bare and quoted entity names
_QUOTED_ATTRIBUTE = r"[A-Za-z_]\w*|`[^`]+`"


def _unquoted(name: str) -> str:
    """A name as written in the diagram, back as the database spells it."""
    if name[:1] in ('"', "`"):
        name = name[1:-1]
    return re.sub(r"#(\d+);", lambda m: chr(int(m[1])), name)


def test_hostile_names_stay_inside_their_quotes() -> None:
    from monozu.db.introspect import Column, ForeignKey, PrimaryKey, Table

    def col(name: str) -> Column:
        return Column(name, "uuid", None, False, False, "uuid")

    tables = []
    for i, name in enumerate(HOSTILE_NAMES):
        other = HOSTILE_NAMES[i - 1]
        tables.append(Table(name, (col("id"), col(other)), PrimaryKey(None, ("id",)),
                            (ForeignKey(None, (other,), HOSTILE_NAMES[i - 1], ("id",)),)))
    text = erd.render(Schema({t.name: t for t in tables}))
    lines = text.splitlines()
    assert len(lines) == 1 + 4 * len(tables) + len(tables)  # nothing added, nothing joined
    assert all(line.isprintable() for line in lines)
    entity = re.compile(rf"^    (?P<name>{_QUOTED_ENTITY}) \{{$")
    attribute = re.compile(rf"^        uuid (?P<name>{_QUOTED_ATTRIBUTE})(?: PK| FK)?$")
    relation = re.compile(rf'^    (?P<left>{_QUOTED_ENTITY}) \|\|--o\{{ '
                          rf'(?P<right>{_QUOTED_ENTITY}) : "(?P<label>[^"]*)"$')
    entities, columns, relations = [], [], []
    for line in lines[1:]:
        if m := entity.match(line):
            entities.append(_unquoted(m["name"]))
        elif m := attribute.match(line):
            columns.append(_unquoted(m["name"]))
        elif m := relation.match(line):
            relations.append((_unquoted(m["left"]), _unquoted(m["right"]),
                              _unquoted(m["label"])))
        else:
            assert line == "    }", f"not erDiagram syntax: {line!r}"
    assert sorted(entities) == sorted(HOSTILE_NAMES)
    assert sorted(columns) == sorted(["id"] * len(HOSTILE_NAMES) + list(HOSTILE_NAMES))
    assert sorted(relations) == sorted((t.foreign_keys[0].ref_table, t.name,
                                        t.foreign_keys[0].columns[0]) for t in tables)


def test_plain_names_are_drawn_bare_and_mermaid_words_quoted() -> None:
    from monozu.db.introspect import Column, Table

    names = ("tenants", "end", "Style", "only_one")
    schema = Schema({n: Table(n, (Column("pk", "int", None, False, False, "int"),
                                  Column("name", "int", None, False, False, "int")))
                     for n in names})
    assert erd.render(schema).splitlines()[1::4] == [
        '    "Style" {', '    "end" {', "    only_one {", "    tenants {"]
    assert erd.render(schema).splitlines()[2:4] == ["        int `pk`", "        int name"]


def test_erd_command_writes_no_control_character_of_the_database(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "hostile.db"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE "t\n    forged {" (id INTEGER PRIMARY KEY, '
                     '"c\x1b[2J\x1b]8;;http://e\x07" TEXT)')
    out = tmp_path / "schema.mmd"
    shown = run("erd", "--url", f"sqlite:///{path}", cwd=tmp_path)
    written = run("erd", "--url", f"sqlite:///{path}", "--output", str(out), cwd=tmp_path)
    assert shown.returncode == written.returncode == 0, shown.stderr + written.stderr
    assert shown.stdout == out.read_text(encoding="utf-8")
    assert shown.stdout.splitlines() == [
        "erDiagram", '    "t#10;#32;#32;#32;#32;forged#32;#123;" {', "        bigint id PK",
        '        string `c#27;#91;2J#27;#93;8#59;#59;http#58;#47;#47;e#7;` "nullable"', "    }"]
