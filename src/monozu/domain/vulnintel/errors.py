"""The one error type of the vulnerability-intelligence package.

Every problem with a feed file becomes a :class:`FeedError` whose message is one line:
``<file>: <record>: <problem>`` (the record is a line number or a CVE id).
"""

from __future__ import annotations

from monozu.db.errors import MonozuError


class FeedError(MonozuError):
    """A feed file, or one record in it, cannot be used."""

    def __init__(self, source: str, record: str | None, problem: str) -> None:
        self.source = source
        self.record = record
        self.problem = " ".join(problem.split())
        where = f"{source}: {record}" if record else source
        super().__init__(f"{where}: {self.problem}")
