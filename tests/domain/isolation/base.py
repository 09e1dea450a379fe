"""The isolation machine's base: three tenants, the audit bookkeeping, shared checks.

:class:`IsolationMachine` owns the three tenants and the audit bookkeeping. Each context
adds a mixin (``class XRules(IsolationMachine)``, in its own module of this package) that
keeps a model of what every tenant owns and drives that context's calls, writes and reads
alike, with ids drawn from all three tenants: each call's result is compared with the model
(another tenant's id must behave like a missing one: ``NotFound``, or ``Unauthorized`` for
a token; rules made by :func:`foreign_id_rule` compare it with a truly missing id). After
every step its ``@invariant`` compares the rows stored for each tenant, read over the
platform connection that sees every tenant, with the model, so a call that changed or
deleted another tenant's row, or wrote an audit row for a refused call, fails the run.
:func:`machine` combines the mixins into one state machine, so the contexts' calls
interleave.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from monozu.db import Database, MonozuError, NotFound, Tx
from monozu.db.models import AuditLog
from monozu.domain.audit import AuditRepository
from monozu.domain.paging import Page, encode_cursor
from tests.domain.conftest import add_tenant

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TENANTS = 3
SETTINGS = settings(max_examples=15, stateful_step_count=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
E = TypeVar("E", bound=BaseException)
R = TypeVar("R")
NIL = uuid.UUID(int=0)  # a second id of a call that takes two: never any tenant's row
Owned = tuple[int, uuid.UUID]  # (owning tenant, row id)
tenant_index = st.integers(0, TENANTS - 1)
other_tenant = st.integers(1, TENANTS - 1)  # added to the owner: another tenant


@dataclass(frozen=True)
class World:
    """``app``: the connection services use; ``platform``: sees every tenant's rows."""

    app: Database
    platform: Database


def refused(error: type[E], call: Callable[[], object], match: str | None = None) -> E:
    with pytest.raises(error, match=match) as info:
        call()
    return info.value


def not_found(what: str, row_id: uuid.UUID) -> str:
    """The message of a missing row, as every service words it (a pattern for ``match``)."""
    return f"^{re.escape(what)} {row_id} not found$"


class IsolationMachine(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.tenants = [add_tenant(self.world.platform, f"iso-{n}-{uuid.uuid4().hex[:12]}")
                        for n in range(TENANTS)]
        self.audited: Counter[int] = Counter()

    def platform_rows(self, sql: str) -> dict[int, list[tuple[Any, ...]]]:
        """Rows of ``sql`` (first column the tenant id, filtered to ``:tenants``) per tenant."""
        index = {t: n for n, t in enumerate(self.tenants)}
        found: dict[int, list[tuple[Any, ...]]] = {n: [] for n in range(TENANTS)}
        params = {f"tenant{n}": t for n, t in enumerate(self.tenants)}
        sql = sql.replace(":tenants", ", ".join(f":{p}" for p in params))
        for row in self.world.platform.select(dict, sql, params):
            tenant, *rest = row.values()
            found[index[as_uuid(tenant)]].append(tuple(rest))
        return found

    def owns(self, t: int, row: Owned, table: Container[uuid.UUID]) -> bool:
        """Whether ``row`` is one of tenant ``t``'s live rows (not another's, nor deleted)."""
        return row[0] == t and row[1] in table

    def in_tenant(self, t: int, work: Callable[[Tx], R]) -> R:
        """``work`` in one unit of work of tenant ``t``, committed."""
        with self.world.app.tenant(self.tenants[t]) as tx:
            return work(tx)

    def refused_in(self, t: int, error: type[E], work: Callable[[Tx], object],
                   match: str | None = None) -> E:
        """``work`` refused with ``error`` inside a unit of work that then commits, so
        whatever the refused call left behind would be stored (and seen by the invariants)."""
        return self.in_tenant(t, lambda tx: refused(error, lambda: work(tx), match))

    def same_as_missing(self, t: int, call: Callable[[int, uuid.UUID], object],
                        foreign: uuid.UUID) -> None:
        """Tenant ``t`` passing another tenant's id to ``call`` gets what a missing id gets:
        ``NotFound`` of the same wording; the invariants then show nothing changed."""
        seen = []
        for row_id in (foreign, uuid.uuid4()):
            error = refused(MonozuError, partial(call, t, row_id))
            seen.append((type(error), str(error).replace(str(row_id), "<id>")))
        assert seen[0] == seen[1]
        assert seen[0][0] is NotFound, seen[0]

    def foreign_rows(self, t: int, shift: int, model: type[R], table: str) -> list[R]:
        """The stored rows of ``table`` of another tenant than ``t`` (the one ``shift``
        after it), read over the platform connection: the keys a forged cursor carries."""
        return self.world.platform.select(model, f"SELECT * FROM {table} WHERE tenant_id = :o",
                                          o=self.tenants[(t + shift) % TENANTS])

    @rule(t=tenant_index, shift=other_tenant)
    def read_audit(self, t: int, shift: int) -> None:
        """A tenant's audit trail, read page by page, is its own; a cursor carrying another
        tenant's audit row, or that row's resource, reads only the caller's rows."""
        def trail(cursor: str | None) -> Page[AuditLog]:
            return self.in_tenant(t, lambda tx: AuditRepository(tx).page(limit=50,
                                                                         cursor=cursor))
        seen: list[AuditLog] = []
        page = trail(None)
        while True:
            seen += page.items
            if page.next_cursor is None:
                break
            page = trail(page.next_cursor)
        assert len(seen) == self.audited[t]
        assert {r.tenant_id for r in seen} <= {self.tenants[t]}
        for row in self.foreign_rows(t, shift, AuditLog, "audit_logs")[:1]:
            after = trail(encode_cursor((row.created_at, row.id))).items
            assert {r.tenant_id for r in after} <= {self.tenants[t]}
            if row.resource_id is not None:  # a matrix cell, say, is every tenant's too
                history = self.in_tenant(t, lambda tx, r=row: AuditRepository(tx).for_resource(
                    r.resource_type, r.resource_id))
                assert {r.tenant_id for r in history} <= {self.tenants[t]}

    @invariant()
    def audit_rows_are_written_only_for_each_tenants_own_changes(self) -> None:
        counts = self.platform_rows("SELECT tenant_id FROM audit_logs "
                                    "WHERE tenant_id IN (:tenants)")
        assert {n: len(rows) for n, rows in counts.items()} == \
            {n: self.audited[n] for n in range(TENANTS)}


def foreign_id_rule(bundle: Bundle[Owned], calls: dict[str, Any],
                    bind: str) -> Callable[..., None]:
    """A rule: a row of ``bundle`` passed to each of ``calls`` by another tenant than its
    owner is a missing id there (:meth:`IsolationMachine.same_as_missing`); ``bind`` names
    the machine's method that makes a call of the table callable as ``(tenant index, id)``.
    Every call of the table runs each time the rule does, so none of them depends on the
    draw to be tried in a run. The rule is named ``foreign_<bundle>_in_<context>_calls``, as
    the mixins name its attribute."""
    def foreign_id_is_a_missing_id(self: IsolationMachine, row: Owned, shift: int) -> None:
        for name in sorted(calls):
            self.same_as_missing((row[0] + shift) % TENANTS, getattr(self, bind)(calls[name]),
                                 row[1])
    foreign_id_is_a_missing_id.__name__ = f"foreign_{bundle.name}_in_{bind[1:-5]}_calls"
    return rule(row=bundle, shift=other_tenant)(foreign_id_is_a_missing_id)


def machine(*contexts: type[IsolationMachine], world: World) -> type[RuleBasedStateMachine]:
    """One state machine driving every context's rules against ``world``."""
    return type("Isolation", contexts, {"world": world})



def as_uuid(value: object) -> uuid.UUID:
    """A uuid column read as a plain value (SQLite keeps the 16 bytes)."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, bytes):
        return uuid.UUID(bytes=value)
    return uuid.UUID(str(value))


def maybe_uuid(value: object) -> uuid.UUID | None:
    return None if value is None else as_uuid(value)
