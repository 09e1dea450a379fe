"""Streaming parsers of the public vulnerability feeds (NVD, CVE 5, KEV, EPSS, ExploitDB)."""
