"""CMDB: sites, zones, VLANs, assets, their network hierarchy, and diagrams.

``repository`` holds the SQL (``queries.sql``), ``service`` the rules,
``types`` the vocabularies and richer values.
"""

from monozu.domain.cmdb.repository import CmdbRepository
from monozu.domain.cmdb.service import CmdbService, check_cpe
from monozu.domain.cmdb.types import (
    ASSET_TYPES,
    CRITICALITIES,
    LIFECYCLE_STATES,
    AssetSpec,
    DiagramView,
    SiteAssetCount,
    SiteHierarchy,
)

__all__ = ["ASSET_TYPES", "CRITICALITIES", "LIFECYCLE_STATES", "AssetSpec", "CmdbRepository",
           "CmdbService", "DiagramView", "SiteAssetCount", "SiteHierarchy", "check_cpe"]
