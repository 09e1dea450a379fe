"""Monozu Cloud: the database layer."""

__version__ = "0.1.0"
