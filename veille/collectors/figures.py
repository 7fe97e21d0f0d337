"""Engagement and reach: one open, documented way to sum what each platform counts.

- ``engagement`` = the sum of the interaction counts a source gives for an item: likes /
  favourites / points / score, reposts / reblogs / shares, replies / comments, quotes.
- ``reach`` = the largest audience figure the source gives (followers of the author,
  subscribers, views) plus ``engagement``: an estimate of how many people the mention could
  have reached. Items with no figure at all have neither (None, never 0).

The individual figures are kept too, under the names the platform uses (``metrics``).
"""

from __future__ import annotations

from collections.abc import Mapping

INTERACTIONS = (
    "likes", "favourites", "points", "score", "reposts", "reblogs", "shares", "replies",
    "comments", "quotes", "upvotes",
)  # fmt: skip
AUDIENCES = ("followers", "subscribers", "views")


def clean_metrics(values: Mapping[str, object]) -> dict[str, int]:
    """Whole, non-negative counts only (APIs send null, strings or floats at times)."""
    metrics: dict[str, int] = {}
    for name, value in values.items():
        if isinstance(value, bool) or value is None:
            continue
        try:
            count = int(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if count >= 0:
            metrics[name] = count
    return metrics


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
