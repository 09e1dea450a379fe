"""The demo: an MSP and two customer tenants, loaded idempotently, read back as an overview."""

from monozu.domain.demo.data import DEMO_NOW, TENANTS
from monozu.domain.demo.loader import TenantOverview, load_catalog, render, run_demo

__all__ = ["DEMO_NOW", "TENANTS", "TenantOverview", "load_catalog", "render", "run_demo"]
