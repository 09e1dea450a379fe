"""The tenancy context in the isolation machine: tenant status moves and licences."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from monozu.domain.errors import InvalidTransition
from monozu.domain.tenancy import FEATURES, TRANSITIONS, TenancyService
from tests.domain.isolation.base import (
    NOW,
    TENANTS,
    IsolationMachine,
    refused,
)

# ---------------------------------------------------------------------------- tenancy


class TenancyRules(IsolationMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tenancy = TenancyService(self.world.app, grace=timedelta(days=7), clock=lambda: NOW)
        self.status = ["active"] * TENANTS
        self.licence: list[tuple[str, frozenset[str]] | None] = [None] * TENANTS

    @rule(t=st.integers(0, TENANTS - 1), wanted=st.sampled_from(["pending", "active",
                                                                 "suspended"]))
    def change_status(self, t: int, wanted: str) -> None:
        call = partial(self.tenancy.change_status, self.tenants[t], wanted)
        if wanted in TRANSITIONS[self.status[t]]:
            assert call().status == wanted
            self.status[t] = wanted
            self.audited[t] += 1
        else:
            refused(InvalidTransition, call)

    @rule(t=st.integers(0, TENANTS - 1), plan=st.sampled_from(["standard", "enterprise"]),
          features=st.frozensets(st.sampled_from(sorted(FEATURES))))
    def apply_licence(self, t: int, plan: str, features: frozenset[str]) -> None:
        self.tenancy.apply_licence(self.tenants[t], plan, NOW + timedelta(days=30), features)
        self.licence[t] = (plan, features)
        self.audited[t] += 1

    @rule(t=st.integers(0, TENANTS - 1))
    def read_tenancy(self, t: int) -> None:
        tenant, licence = self.tenants[t], self.tenancy.licence(self.tenants[t])
        assert self.tenancy.get(tenant).status == self.status[t]
        seen = None if licence is None else (licence.plan, licence.features)
        assert seen == self.licence[t]
        assert self.tenancy.may_use(tenant, "vpn") == (
            self.status[t] == "active" and seen is not None and "vpn" in seen[1])

    @invariant()
    def each_tenants_stored_tenancy_rows_are_its_own(self) -> None:
        status = self.platform_rows("SELECT id, status FROM tenants WHERE id IN (:tenants)")
        plans = self.platform_rows("SELECT tenant_id, plan FROM tenant_licenses "
                                   "WHERE tenant_id IN (:tenants)")
        features = self.platform_rows("SELECT tenant_id, feature FROM tenant_features "
                                      "WHERE tenant_id IN (:tenants) AND enabled = TRUE")
        for n in range(TENANTS):
            licence = self.licence[n]
            assert status[n] == [(self.status[n],)]
            assert plans[n] == ([] if licence is None else [(licence[0],)])
            assert {f for (f,) in features[n]} == (licence[1] if licence else set())
