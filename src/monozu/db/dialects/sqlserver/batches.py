"""Every result of a T-SQL batch, read to the end.

A batch yields one result per statement (row counts, result sets, messages). When
the first is "success with info" (an informational message such as ``sp_rename``'s
15477), an error raised by a later statement of the same batch reaches the client
only when the driver moves on to it with ``nextset()``; closing the cursor first
discards it, and the batch looks successful. So every batch is drained, and the
first error found is raised.
"""

from __future__ import annotations

from typing import Any

# A batch cannot yield more results than this many statements; the bound stops a
# driver that keeps answering True from looping forever.
_MAX_RESULTS = 100_000


def drain(cur: Any) -> None:
    """Move through the cursor's remaining results; the driver raises the first error."""
    next_set = getattr(cur, "nextset", None)
    if next_set is None:
        return
    for _ in range(_MAX_RESULTS):
        if not next_set():
            return


def first_rows(cur: Any) -> list[tuple[Any, ...]]:
    """The rows of the first result that has columns (row counts before it skipped),
    then every later result drained."""
    next_set = getattr(cur, "nextset", None)
    for _ in range(_MAX_RESULTS):
        if cur.description is not None or next_set is None or not next_set():
            break
    rows = [tuple(r) for r in cur.fetchall()] if cur.description is not None else []
    drain(cur)
    return rows
