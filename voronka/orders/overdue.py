"""Orders stuck in a status beyond its norm: flagged and reported once."""

from __future__ import annotations


def sweep() -> int:
    return 0
