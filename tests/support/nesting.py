"""Deeply nested values, for the refusals of documents too deep to send."""

from __future__ import annotations


def nested_lists(depth: int) -> list[object]:
    """``[[[...]]]`` ``depth`` levels deep, built without recursion."""
    root: list[object] = []
    node = root
    for _ in range(depth):
        child: list[object] = []
        node.append(child)
        node = child
    return root
