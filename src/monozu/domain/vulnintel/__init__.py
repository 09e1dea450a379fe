"""Vulnerability intelligence: the public CVE feeds in the global catalogs, and the matching
of each tenant's assets against them.

* :mod:`.feeds` streams NVD, CVE 5, KEV, EPSS and ExploitDB files into plain records;
* :mod:`.versions` and :mod:`.cpe` order versions and parse CPE 2.3 names;
* :mod:`.matching` evaluates a CVE's configurations against an asset, with reasons;
* :mod:`.importer` writes the catalogs, :mod:`.service` matches tenants.

Bad input raises :class:`FeedError`, whose message is one line naming the file, the record
and the problem.
"""

from monozu.domain.vulnintel.errors import FeedError

__all__ = ["FeedError"]
