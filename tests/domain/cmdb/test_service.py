"""CMDB rules on real SQLite and PostgreSQL: hierarchy, tenant ownership, lists, refusals."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest

from monozu.db import Database, NotFound
from monozu.db.migrate import Migrator
from monozu.domain.audit import AuditRepository
from monozu.domain.cmdb import AssetSpec, CmdbRepository, CmdbService
from monozu.domain.errors import ValidationError
from monozu.domain.paging import encode_cursor
from tests.domain.conftest import add_tenant

PLC_CPE = "cpe:2.3:h:rockwellautomation:1756-l83e:-:*:*:*:*:*:*:*"


def _plant(db: Database, tenant: uuid.UUID) -> dict[str, uuid.UUID]:
    with db.tenant(tenant) as tx:
        cmdb = CmdbService(tx)
        site = cmdb.create_site("Plant North", "1 Mill Road")
        other = cmdb.create_site("Plant South")
        zone = cmdb.create_zone("Control (L2)", site.id)
        vlan = cmdb.create_vlan(20, "Control", zone_id=zone.id, cidr="10.20.0.0/24")
        plc = cmdb.create_asset(AssetSpec(
            name="PLC-01", type="plc", site_id=site.id, producer="Rockwell Automation",
            model="ControlLogix 1756-L83E", firmware_version="33.011", cpe=PLC_CPE,
            ip_address="10.20.0.10", mac_address="00-1D-9C-0A-0B-0C", criticality="critical"))
        hmi = cmdb.create_asset(AssetSpec(name="HMI-01", type="hmi", site_id=site.id,
                                          producer="Siemens", model="TP1200 Comfort"))
        cmdb.link_vlan(plc.id, vlan.id)
        cmdb.link_vlan(plc.id, vlan.id)  # twice: no change
    return {"site": site.id, "other": other.id, "zone": zone.id, "vlan": vlan.id,
            "plc": plc.id, "hmi": hmi.id}


def test_hierarchy_site_zone_vlan_asset(db: Database) -> None:
    a = add_tenant(db, "acme")
    ids = _plant(db, a)
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        tree = cmdb.hierarchy(ids["site"])
        assert cmdb.vlan(ids["vlan"]).site_id == ids["site"]  # derived through the zone
        plc = cmdb.asset(ids["plc"])
        assert plc.mac_address == "00:1d:9c:0a:0b:0c"
        audit = AuditRepository(tx).for_resource("asset", ids["plc"])
    [zone] = tree.zones
    [vlan] = zone.vlans
    assert [x.name for x in vlan.assets] == ["PLC-01"]
    assert [x.name for x in tree.unlinked_assets] == ["HMI-01"]
    assert [r.action for r in audit] == ["asset.created", "asset.vlan_linked"]


def test_vlan_of_another_site_is_refused_and_changes_nothing(db: Database) -> None:
    a = add_tenant(db, "acme")
    ids = _plant(db, a)
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        south = cmdb.create_asset(AssetSpec(name="SW-S", type="switch", site_id=ids["other"]))
        with pytest.raises(ValidationError, match="another site"):
            cmdb.link_vlan(south.id, ids["vlan"])
        with pytest.raises(ValidationError, match="another site"):
            cmdb.update_asset(ids["plc"], AssetSpec(name="PLC-01", type="plc",
                                                    site_id=ids["other"]))
        assert cmdb.vlans_of(south.id) == []
        assert cmdb.asset(ids["plc"]).site_id == ids["site"]
        assert [r.action for r in AuditRepository(tx).for_resource("asset", south.id)] == \
            ["asset.created"]


def test_other_tenants_ids_behave_like_missing_ones(db: Database) -> None:
    a, b = add_tenant(db, "acme"), add_tenant(db, "globex")
    ids = _plant(db, a)
    with db.tenant(b) as tx:
        cmdb = CmdbService(tx)
        mine = cmdb.create_site("Globex HQ")
        for call in (lambda: cmdb.site(ids["site"]), lambda: cmdb.asset(ids["plc"]),
                     lambda: cmdb.create_zone("z", ids["site"]),
                     lambda: cmdb.create_vlan(5, "v", zone_id=ids["zone"]),
                     lambda: cmdb.create_asset(AssetSpec(name="x", type="plc",
                                                         site_id=ids["site"])),
                     lambda: cmdb.assets(site_id=ids["site"]),
                     lambda: cmdb.create_diagram(mine.id, "d", asset_ids=[ids["plc"]]),
                     lambda: cmdb.hierarchy(ids["site"])):
            with pytest.raises(NotFound):
                call()
        assert [s.name for s in cmdb.sites()] == ["Globex HQ"]
        assert AuditRepository(tx).page().items and \
            [r.action for r in AuditRepository(tx).page().items] == ["site.created"]


@pytest.mark.parametrize(("spec", "message"), [
    ({"type": "toaster"}, "asset type"),
    ({"name": "x" * 201}, "at most 200"),
    ({"name": "  "}, "must not be empty"),
    ({"cpe": "cpe:/h:siemens:s7-1500"}, "CPE 2.3"),
    ({"ip_address": "10.0.0.300"}, "IPv4 or IPv6"),
    ({"mac_address": "00:11"}, "hex pairs"),
    ({"criticality": "urgent"}, "criticality"),
    ({"lifecycle_state": "retired"}, "lifecycle_state"),
])
def test_bad_asset_input_is_refused(db: Database, spec: dict[str, str], message: str) -> None:
    a = add_tenant(db, "acme")
    ids = _plant(db, a)
    fields: dict[str, object] = {"name": "New", "type": "plc", "site_id": ids["site"], **spec}
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        with pytest.raises(ValidationError, match=message):
            cmdb.create_asset(AssetSpec(**fields))  # type: ignore[arg-type]
        assert len(cmdb.assets().items) == 2


def test_asset_list_filters_and_pages(db: Database) -> None:
    a = add_tenant(db, "acme")
    ids = _plant(db, a)
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        for i in range(7):
            cmdb.create_asset(AssetSpec(name=f"SW-{i:02}", type="switch", site_id=ids["other"],
                                        producer="Cisco", model="IE-3400"))
        seen: list[str] = []
        cursor = None
        while True:
            page = cmdb.assets(types=["switch"], limit=3, cursor=cursor)
            seen += [x.name for x in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == [f"SW-{i:02}" for i in range(7)]
        assert [x.name for x in cmdb.assets(text="rockwell").items] == ["PLC-01"]
        assert [x.name for x in cmdb.assets(text="100%").items] == []
        assert [x.name for x in cmdb.assets(text="[p]lc").items] == []  # [ is literal
        assert [x.name for x in cmdb.assets(site_id=ids["site"]).items] == ["HMI-01", "PLC-01"]
        counts = {c.site_name: c.assets for c in cmdb.asset_counts()}
    assert counts == {"Plant North": 2, "Plant South": 7}


def test_diagram_keeps_document_and_asset_links(db: Database) -> None:
    a = add_tenant(db, "acme")
    ids = _plant(db, a)
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        view = cmdb.create_diagram(ids["site"], "Line 1", data={"nodes": [{"itsm_ref": "x"}]},
                                   asset_ids=[ids["plc"], ids["hmi"], ids["plc"]])
        cmdb.save_diagram(view.diagram.id, "Line 1 (rev 2)", data={"nodes": []},
                          asset_ids=[ids["hmi"]])
        saved = cmdb.diagram(view.diagram.id)
        with pytest.raises(ValidationError):
            cmdb.save_diagram(view.diagram.id, "", asset_ids=[])
        assert cmdb.diagram(view.diagram.id).asset_ids == [ids["hmi"]]
    assert (saved.diagram.name, saved.diagram.data, saved.asset_ids) == \
        ("Line 1 (rev 2)", {"nodes": []}, [ids["hmi"]])


def test_foreign_or_forged_cursors_are_refused(db: Database) -> None:
    a = add_tenant(db, "acme")
    _plant(db, a)
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        for cursor in ("garbage", encode_cursor((None, uuid.uuid4())),
                       encode_cursor((1.5, uuid.uuid4()))):
            with pytest.raises(ValidationError, match="page cursor"):
                cmdb.assets(cursor=cursor)
        with pytest.raises(ValidationError, match="page size"):
            cmdb.assets(limit=0)


def test_a_link_made_by_a_concurrent_call_changes_nothing(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    a = add_tenant(db, "acme")
    ids = _plant(db, a)
    # another call linked the pair between this call's check and its write
    monkeypatch.setattr(CmdbRepository, "has_vlan_link", lambda *_args: False)
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        cmdb.link_vlan(ids["plc"], ids["vlan"])
        # the unit of work goes on: only the failed call's savepoint was undone
        assert [v.id for v in cmdb.vlans_of(ids["plc"])] == [ids["vlan"]]
        audit = AuditRepository(tx).for_resource("asset", ids["plc"])
    assert [r.action for r in audit] == ["asset.created", "asset.vlan_linked"]


def _run_while_held(db: Database, tenant: uuid.UUID, first: Callable[[CmdbService], object],
                    second: Callable[[CmdbService], object]) -> list[BaseException]:
    """``first`` in a unit of work kept open until ``second``, on another thread, waits
    for it (or has ended without waiting); then ``first`` commits. ``second``'s error."""
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            with db.tenant(tenant) as tx:
                second(CmdbService(tx))
        except BaseException as exc:  # the test's to check
            errors.append(exc)

    waiting = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
               "AND datname = current_database()")
    with db.tenant(tenant) as tx:
        first(CmdbService(tx))
        thread = threading.Thread(target=run_second)
        thread.start()
        with db.platform_admin().transaction() as watch:
            for _ in range(6000):  # a hang guard: the second call waits or ends long before
                if not thread.is_alive() or watch.get_value(waiting):
                    break
                time.sleep(0.01)
    thread.join(60)
    return errors


def test_a_move_and_a_vlan_link_at_once_never_leave_an_asset_in_another_sites_vlan(
        pg_url: str) -> None:
    """PostgreSQL: each of the two waits for the other's unit of work and then refuses,
    whichever came first."""
    Migrator.from_url(pg_url).migrate()
    db = Database.open(pg_url, environ={"DATABASE_URL_PLATFORM_ADMIN": pg_url})
    try:
        a = add_tenant(db, "acme")
        ids = _plant(db, a)
        moved = AssetSpec(name="HMI-01", type="hmi", site_id=ids["other"])
        # the link first: the move waits for it, then sees the link
        errors = _run_while_held(db, a, lambda c: c.link_vlan(ids["hmi"], ids["vlan"]),
                                 lambda c: c.update_asset(ids["hmi"], moved))
        assert [str(e) for e in errors] == ["VLAN 20 belongs to another site than asset "
                                            "'HMI-01'"]
        with db.tenant(a) as tx:
            cmdb = CmdbService(tx)
            assert cmdb.asset(ids["hmi"]).site_id == ids["site"]
            cmdb.unlink_vlan(ids["hmi"], ids["vlan"])
        # the move first: the link waits for it, then sees the new site
        errors = _run_while_held(db, a, lambda c: c.update_asset(ids["hmi"], moved),
                                 lambda c: c.link_vlan(ids["hmi"], ids["vlan"]))
        assert [str(e) for e in errors] == ["VLAN 20 belongs to another site than asset "
                                            "'HMI-01'"]
        with db.tenant(a) as tx:
            assert CmdbService(tx).vlans_of(ids["hmi"]) == []
    finally:
        db.close()
