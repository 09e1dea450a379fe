"""Every public service call refuses a value of the wrong kind with a ValidationError
naming the parameter, the same on SQLite and PostgreSQL, and writes nothing.

The walk is driven by the signatures themselves: for each public method of each service,
every parameter (and every field of a dataclass parameter) annotated with a plain type
gets values of other kinds, while every other argument is valid. A method added later is
walked too.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest

from monozu.db import Database
from monozu.domain.audit import Actor, AuditRepository
from monozu.domain.cmdb import AssetSpec, CmdbService
from monozu.domain.common import Service
from monozu.domain.edge import EdgeService
from monozu.domain.edge.types import DeviceIdentity
from monozu.domain.errors import ValidationError
from monozu.domain.identity import IdentityService
from monozu.domain.itsm import ChangeService, IncidentService, KnowledgeService, ProblemService
from monozu.domain.security import SecurityService
from monozu.domain.tenancy import LicenceState, TenancyService
from monozu.domain.vulnintel import service as vulnintel
from tests.domain.conftest import add_tenant
from tests.support.nesting import nested_lists

SERVICES: tuple[type, ...] = (CmdbService, IncidentService, ProblemService, ChangeService,
                              KnowledgeService, SecurityService, EdgeService, IdentityService,
                              TenancyService, AuditRepository)
# The catalog's calls are functions taking the database first.
FUNCTIONS = (vulnintel.check_tenant, vulnintel.match_tenants, vulnintel.explain,
             vulnintel.asset_tenant)
ON_TX = (Service, AuditRepository)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TENANT = uuid.UUID(int=1)  # replaced by the test's tenant


class Color(Enum):
    RED = "red"


class Shouting(str):
    def strip(self, *args: object) -> str:  # type: ignore[override]
        return 5  # type: ignore[return-value]


VALID: dict[type, object] = {str: "x", bool: True, int: 1, float: 1.0,
                             uuid.UUID: uuid.UUID(int=7), datetime: NOW,
                             timedelta: timedelta(days=1)}
HOSTILE: dict[type, list[object]] = {
    str: [b"bytes", 5, ["list"], Color.RED, "nul\x00inside", "lone\ud800surrogate"],
    int: [True, 3.0, "5", Decimal("NaN"), b"\x01"],
    float: [True, "1.5", float("nan"), float("inf"), Decimal("NaN")],
    bool: [1, "true", None.__class__],
    uuid.UUID: ["not-a-uuid", str(uuid.UUID(int=7)), 7, b"\x00" * 16, (1, 2)],
    datetime: [datetime(2026, 6, 1), date(2026, 6, 1), timedelta(days=1), "2026-06-01",
               datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
               datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))],
    timedelta: [5, NOW, "1 day"],
}


PLAIN = (str, bool, int, float, uuid.UUID, datetime, timedelta)


def _kinds(hint: object) -> tuple[tuple[type, ...], bool] | None:
    """The plain types a hint allows and whether it allows None (None: not only plain)."""
    if typing.get_origin(hint) is typing.Annotated:
        return None  # a credential: refused alike whatever it is (tests/domain/edge)
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    kinds = tuple(a for a in args if a is not type(None))
    if not kinds or not all(a in PLAIN for a in kinds):
        return None
    return typing.cast(tuple[type, ...], kinds), type(None) in args


def _valid(hint: object, tenant: uuid.UUID) -> object:
    """A valid argument for a hint, so only the value under test can be refused."""
    if hint is DeviceIdentity:
        return DeviceIdentity(tenant, uuid.UUID(int=9), "gw")
    if hint is AssetSpec:
        return AssetSpec(name="PLC", type="plc", site_id=uuid.UUID(int=3))
    if hint is Actor:
        return Actor()
    allowed = _kinds(hint)
    if allowed is not None:
        return VALID[allowed[0][0]]
    text = str(hint)
    return {} if "JSON" in text else []


def _callables() -> Iterator[tuple[type | None, str, Callable[..., Any]]]:
    for cls in SERVICES:
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") and name not in vars(Service):
                yield cls, name, method
    for function in FUNCTIONS:
        yield None, function.__name__, function


def _cases() -> Iterator[tuple[type | None, str, str, object]]:
    """(service, method, parameter path, hostile value) for every plain-typed parameter."""
    for cls, name, method in _callables():
        hints = typing.get_type_hints(method, include_extras=True)
        for param in list(inspect.signature(method).parameters)[1:]:
            hint = hints.get(param)
            paths: list[tuple[str, object]] = [(param, hint)]
            if dataclasses.is_dataclass(hint) and isinstance(hint, type):
                field_hints = typing.get_type_hints(hint)
                paths = [(f"{param}.{f.name}", field_hints[f.name])
                         for f in dataclasses.fields(hint)]
            for path, field_hint in paths:
                allowed = _kinds(field_hint)
                if allowed is None:
                    continue
                kinds, optional = allowed
                values = [v for k in kinds for v in HOSTILE[k]
                          if not any(_same_kind(v, other) for other in kinds)]
                values += [] if optional else [None]
                for value in values:
                    yield cls, name, path, value


def _same_kind(value: object, kind: type) -> bool:
    # an int is a fine float; a value of a type the union also allows is no hostile value
    return kind is float and type(value) is int


CASES = list(_cases())


def _call(db: Database, tenant: uuid.UUID, cls: type | None, name: str, path: str,
          value: object) -> None:
    method = getattr(vulnintel if cls is None else cls, name)
    hints = typing.get_type_hints(method)
    args: dict[str, Any] = {}
    for param, spec in list(inspect.signature(method).parameters.items())[1:]:
        if param == "tenant_id":
            args[param] = tenant
        elif spec.default is not inspect.Parameter.empty and path.partition(".")[0] == param:
            args[param] = spec.default if path != param else None
        elif spec.default is inspect.Parameter.empty:
            args[param] = _valid(hints.get(param), tenant)
    head, _, field = path.partition(".")
    args[head] = dataclasses.replace(args[head], **{field: value}) if field else value
    if cls is None:
        method(db, **args)
    elif issubclass(cls, ON_TX):
        with db.tenant(tenant) as tx:
            getattr(cls(tx), name)(**args)
    elif cls is IdentityService:
        getattr(IdentityService(db, bcrypt_rounds=4), name)(**args)
    else:
        getattr(cls(db), name)(**args)


def _counts(db: Database) -> dict[str, int]:
    tables = ("sites", "zones", "vlans", "assets", "asset_vlans", "diagrams",
              "diagram_asset_links", "incidents", "incident_comments",
              "incident_timeline_events", "priority_matrix", "sla_policies", "problems",
              "changes", "knowledge_articles", "vulnerabilities", "security_alerts", "users",
              "groups", "user_groups", "group_permissions", "user_settings", "refresh_tokens",
              "devices", "device_commands", "device_snap_updates", "snap_releases",
              "edge_provisioning_keys", "ingest_events", "tenants", "tenant_licenses",
              "tenant_features", "audit_logs")
    return {t: db.get_value(f"SELECT count(*) FROM {t}") for t in tables}


def test_the_walk_covers_every_context() -> None:
    walked = {(cls, name) for cls, name, _, _ in CASES}
    assert {cls for cls, _ in walked} == {*SERVICES, None}
    assert len(walked) > 80
    assert len(CASES) > 1000


def test_every_plain_parameter_refuses_a_value_of_another_kind(db: Database) -> None:
    tenant = add_tenant(db, "acme")
    before = _counts(db)
    failures: list[str] = []
    for cls, name, path, value in CASES:
        where = f"{cls.__name__ if cls else 'vulnintel'}.{name}({path}={value!r:.40})"
        try:
            _call(db, tenant, cls, name, path, value)
        except ValidationError as exc:
            if path.split(".")[-1] not in str(exc):
                failures.append(f"{where}: the error does not name the field: {exc}")
        except Exception as exc:
            failures.append(f"{where}: {type(exc).__name__}: {str(exc)[:100]}")
        else:
            failures.append(f"{where}: accepted")
    assert failures == []
    assert _counts(db) == before


def _plant(db: Database, tenant: uuid.UUID) -> dict[str, uuid.UUID]:
    with db.tenant(tenant) as tx:
        cmdb = CmdbService(tx)
        site = cmdb.create_site("Plant")
        asset = cmdb.create_asset(AssetSpec(name="PLC", type="plc", site_id=site.id))
        diagram = cmdb.create_diagram(site.id, "Cell", asset_ids=[asset.id])
    return {"site": site.id, "asset": asset.id, "diagram": diagram.diagram.id}


FILTERS: list[tuple[str, Callable[..., object]]] = [
    ("asset type", lambda tx, v: CmdbService(tx).assets(types=v)),
    ("status", lambda tx, v: IncidentService(tx).page(NOW, statuses=v)),
    ("severity", lambda tx, v: IncidentService(tx).page(NOW, severities=v)),
    ("status", lambda tx, v: ProblemService(tx).by_status(v)),
    ("status", lambda tx, v: ChangeService(tx).by_status(v)),
    ("vulnerability severity", lambda tx, v: SecurityService(tx).by_risk(severities=v)),
    ("alert status", lambda tx, v: SecurityService(tx).alerts(statuses=v)),
    ("alert severity", lambda tx, v: SecurityService(tx).alerts(severities=v)),
]


@pytest.mark.parametrize("value", ["plc", b"plc", 5, {"plc": 1}, [["plc"]], [5], [Color.RED],
                                   [None], [b"open"]],
                         ids=repr)
def test_a_filter_takes_a_list_of_known_names_only(db: Database, value: object) -> None:
    tenant = add_tenant(db, "acme")
    with db.tenant(tenant) as tx:
        for field, call in FILTERS:
            with pytest.raises(ValidationError, match=field):
                call(tx, value)


def _diagram_refused(db: Database, match: str, **given: object
                     ) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """Create and save a diagram with ``given``: both refused by name, nothing written.
    The tenant and its plant's ids, for what the test checks after."""
    tenant = add_tenant(db, "acme")
    ids = _plant(db, tenant)
    before = _counts(db)
    with db.tenant(tenant) as tx:
        cmdb = CmdbService(tx)
        with pytest.raises(ValidationError, match=match):
            cmdb.create_diagram(ids["site"], "Line", **given)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match=match):
            cmdb.save_diagram(ids["diagram"], "Renamed", **given)  # type: ignore[arg-type]
    assert _counts(db) == before
    return tenant, ids


@pytest.mark.parametrize("asset_ids", [5, "not-a-uuid", ["not-a-uuid"], [[1]], [None], [7],
                                       [b"\x00" * 16], {"a": 1}], ids=repr)
def test_diagram_asset_ids_are_uuids_and_nothing_is_written(db: Database,
                                                            asset_ids: object) -> None:
    tenant, ids = _diagram_refused(db, "asset_ids", asset_ids=asset_ids)
    with db.tenant(tenant) as tx:
        view = CmdbService(tx).diagram(ids["diagram"])
    assert (view.diagram.name, view.asset_ids) == ("Cell", [ids["asset"]])


class OddUuid(uuid.UUID):
    def __str__(self) -> str:
        return "not what is stored"


def test_subclass_values_are_stored_as_their_plain_value(db: Database) -> None:
    tenant = add_tenant(db, "acme")
    ids = _plant(db, tenant)
    with db.tenant(tenant) as tx:
        cmdb = CmdbService(tx)
        site = cmdb.rename_site(OddUuid(int=ids["site"].int), Shouting("  Plant West "))
        assert type(site.id) is uuid.UUID and site.id == ids["site"]
        assert type(site.name) is str and site.name == "Plant West"
        page = cmdb.assets(text=Shouting("plc"), limit=5)
        assert [a.id for a in page.items] == [ids["asset"]]


@pytest.mark.parametrize("limit", [True, 2**63, 10**400, -1, 0, 2.0], ids=repr)
def test_page_sizes_of_every_list_refuse_odd_numbers(db: Database, limit: object) -> None:
    tenant = add_tenant(db, "acme")
    with db.tenant(tenant) as tx:
        for call in (lambda: CmdbService(tx).assets(limit=limit),  # type: ignore[arg-type]
                     lambda: IncidentService(tx).page(NOW, limit=limit),  # type: ignore[arg-type]
                     lambda: SecurityService(tx).alerts(limit=limit),  # type: ignore[arg-type]
                     lambda: SecurityService(tx).by_risk(limit=limit)):  # type: ignore[arg-type]
            with pytest.raises(ValidationError):
                call()
    with pytest.raises(ValidationError):
        IdentityService(db).list_users(tenant, limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize("features", ["vpn", b"vpn", 5, {"vpn": True}, [["vpn"]], [5], [None]],
                         ids=repr)
def test_licence_features_are_a_list_of_names(db: Database, features: object) -> None:
    tenancy = TenancyService(db)
    tenant = tenancy.register("Acme", "acme")
    before = _counts(db)
    with pytest.raises(ValidationError, match="feature"):
        tenancy.apply_licence(tenant.id, "standard", NOW, features)  # type: ignore[arg-type]
    assert _counts(db) == before


def test_a_refused_megabyte_of_text_is_not_repeated_in_the_error(db: Database) -> None:
    tenant = add_tenant(db, "acme")
    huge = "x" * 1_000_000
    with db.tenant(tenant) as tx, pytest.raises(ValidationError) as status:
        IncidentService(tx).page(NOW, statuses=[huge])
    with pytest.raises(ValidationError) as feature:
        TenancyService(db).apply_licence(tenant, "standard", NOW, [huge])
    assert len(str(status.value)) < 400 and len(str(feature.value)) < 400


SETTINGS: list[tuple[str, Callable[[Database], object]]] = [
    ("grace", lambda db: TenancyService(db, grace=timedelta(days=-1))),
    ("grace", lambda db: TenancyService(db, grace=timedelta.max)),
    ("grace", lambda db: TenancyService(db, grace="7 days")),  # type: ignore[arg-type]
    ("refresh_ttl", lambda db: IdentityService(db, refresh_ttl=timedelta(0))),
    ("refresh_ttl", lambda db: IdentityService(db, refresh_ttl=timedelta.max)),
    ("bcrypt_rounds", lambda db: IdentityService(db, bcrypt_rounds=40)),
    ("bcrypt_rounds", lambda db: IdentityService(db, bcrypt_rounds=True)),
    ("purge_batch", lambda db: EdgeService(db, purge_batch=0)),
    ("purge_batch", lambda db: EdgeService(db, purge_batch=-1)),
    ("purge_batch", lambda db: EdgeService(db, purge_batch=2**63)),
    ("seen_every", lambda db: EdgeService(db, seen_every=60)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("field", "build"), SETTINGS, ids=[f for f, _ in SETTINGS])
def test_service_settings_are_checked_when_the_service_is_built(
        sqlite_url: str, field: str, build: Callable[[Database], object]) -> None:
    # a batch of 0 purged forever, a lifetime of timedelta.max overflowed at the first token
    db = Database.open(sqlite_url)
    try:
        with pytest.raises(ValidationError, match=field):
            build(db)
    finally:
        db.close()


def test_a_licence_expiring_at_the_end_of_year_9999_is_in_its_grace_period(
        db: Database) -> None:
    end = datetime(9999, 12, 31, 12, tzinfo=UTC)
    tenancy = TenancyService(db, grace=timedelta(days=30), clock=lambda: end)
    tenant = tenancy.register("Acme", "acme")
    tenancy.apply_licence(tenant.id, "standard", end - timedelta(hours=1), ["vpn"])
    licence = tenancy.licence(tenant.id)
    assert licence is not None and licence.state is LicenceState.GRACE


@pytest.mark.parametrize("name", ["", "  \t", "\u200b", "\u202e\u200d", "\ufeff \u2060"],
                         ids=repr)
def test_a_required_name_of_invisible_characters_is_empty(db: Database, name: str) -> None:
    tenant = add_tenant(db, "acme")
    before = _counts(db)
    with db.tenant(tenant) as tx:
        with pytest.raises(ValidationError, match="site name must not be empty"):
            CmdbService(tx).create_site(name)
        with pytest.raises(ValidationError, match="incident title must not be empty"):
            IncidentService(tx).create(name, "high", "high", "high")
    with pytest.raises(ValidationError, match="group name must not be empty"):
        IdentityService(db, bcrypt_rounds=4).create_group(tenant, name)
    assert _counts(db) == before
    with db.tenant(tenant) as tx:  # visible text around them is a name
        assert CmdbService(tx).create_site(f"\u200bPlant{name}").name.startswith("\u200bPlant")


@pytest.fixture(params=[1000, 20_000], ids=["default limit", "raised limit"])
def recursion_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    """Python's default recursion limit, and a raised one (a tool run in the process,
    mypy's API, raises it): how deep a document may go must not depend on it."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(request.param)
    yield
    sys.setrecursionlimit(before)


@pytest.mark.usefixtures("recursion_limit")
@pytest.mark.parametrize("data", [
    {"x": "y" * (11 * 1024 * 1024)}, {"a": float("nan")}, {"a": {1, 2}}, nested_lists(5000),
    {"a": "\ud800"}, (1, 2), "text"],
    ids=["11 MB", "NaN", "set", "5000 deep", "surrogate", "tuple", "text"])
def test_diagram_data_is_a_bounded_json_document_on_every_database(db: Database,
                                                                   data: object) -> None:
    _diagram_refused(db, "diagram data", data=data)
