"""Second passes ask again from a little before the newest item seen (the watermark overlap)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from veille.collectors.api import WATERMARK_OVERLAP
from veille.types import RawMention


def asked_from(cursor: str | None) -> datetime:
    """The time a second pass asks from, given the first pass's stored cursor."""
    assert cursor is not None
    return datetime.fromisoformat(cursor) - WATERMARK_OVERLAP


def only_the_overlap(mentions: Sequence[RawMention], cursor: str | None) -> bool:
    """Whether every item a second pass gave again lies within the overlap before the cursor."""
    assert cursor is not None
    newest = datetime.fromisoformat(cursor)
    return all(
        m.published_at is not None and newest - WATERMARK_OVERLAP < m.published_at <= newest
        for m in mentions
    )
