"""Engagement and reach: one open, documented way to sum what each platform counts.

- ``engagement`` = the sum of the interaction counts a source gives for an item: likes /
  favourites / points / score, reposts / reblogs / shares, replies / comments, quotes.
- ``reach`` = the largest audience figure the source gives (followers of the author,
  subscribers, views) plus ``engagement``: an estimate of how many people the mention could
  have reached. Items with no figure at all have neither (None, never 0).

The individual figures are kept too, under the names the platform uses (``metrics``).

A figure no platform could count (above ``MAX_COUNT``, infinite, not a number) is dropped and
the item kept: one odd answer must not fail a whole source, nor overflow the 64-bit integer
columns ``reach`` and ``engagement`` are stored in (SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

INTERACTIONS = (
    "likes", "favourites", "points", "score", "reposts", "reblogs", "shares", "replies",
    "comments", "quotes", "upvotes",
)  # fmt: skip
AUDIENCES = ("followers", "subscribers", "views")

# The largest count kept (2^53 - 1: exact as a JSON number in any reader). The most viewed
# videos count about 10^10; a dozen figures this large still sum far below 2^63.
MAX_COUNT = 2**53 - 1


def count_of(value: object) -> int | None:
    """A whole count from ``value`` (an int, a float or a numeric string), or None when it is
    none, negative, or beyond what any platform counts (``MAX_COUNT``, infinity, NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        count = value
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return None
        if not math.isfinite(number):
            return None
        count = int(number)
    return count if 0 <= count <= MAX_COUNT else None


def clean_metrics(values: Mapping[str, object]) -> dict[str, int]:
    """Whole, non-negative counts only (APIs send null, strings or floats at times, and now
    and then a number no platform could count: each such figure is left out)."""
    counts = {name: count_of(value) for name, value in values.items()}
    return {name: count for name, count in counts.items() if count is not None}


def engagement_of(metrics: Mapping[str, int]) -> int | None:
    """The sum of the interaction counts present, or None when there is none."""
    counts = [metrics[name] for name in INTERACTIONS if name in metrics]
    return sum(counts) if counts else None


def reach_of(metrics: Mapping[str, int]) -> int | None:
    """The largest audience figure plus engagement, or None when neither is known."""
    audience = max((metrics[name] for name in AUDIENCES if name in metrics), default=None)
    engagement = engagement_of(metrics)
    if audience is None and engagement is None:
        return None
    return (audience or 0) + (engagement or 0)


def figures(values: Mapping[str, object]) -> tuple[dict[str, int], int | None, int | None]:
    """``(metrics, engagement, reach)`` for a RawMention, from the counts a source gave."""
    metrics = clean_metrics(values)
    return metrics, engagement_of(metrics), reach_of(metrics)
