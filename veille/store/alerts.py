"""Spike alerts in the store: the mention times they are computed from, and the log of alerts.

One ``alerts`` row per spike that fired: which brand, signal and horizon, when, the count and
the baseline, and whether the mail server accepted it. The row is written when the spike is
detected (status ``pending``), before any send: it is what holds the same surge back during the
cooldown, and what the next check sends again when a send failed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, nulls_last, or_, select, update

from veille.normalize.domains import readable_host
from veille.store.queries import MENTION_CARD_COLUMNS, effective_tone, tone_condition
from veille.store.runs import last_job_run, note_job_run
from veille.store.schema import (
    ALERT_STATUSES,
    UtcDateTime,
    alert_table,
    brand_table,
    document_table,
    mention_table,
)

# An alert's time: when the mention was published, else when veille first saw it for the brand.
# Not the document's collection time alone: a daily collect would pile a day's mentions into the
# hour it ran, and look like a spike every morning.
alert_time = func.coalesce(
    document_table.c.published_at, mention_table.c.first_seen_at, type_=UtcDateTime
)
# An undated mention its source's first successful collection brought (since the state was
# created or reset by a change of settings) is part of that source's backlog, published
# whenever: it has no alert time. Without this, a feed added without dates would be a spike of
# its whole backlog. Marked when stored: a later reset leaves the mentions seen before it alone.
timed = or_(document_table.c.published_at.is_not(None), mention_table.c.backlog.is_(None))
UNSENT = ("pending", "failed")
# Alerts whose readers have them (or that are kept without recipients).
REPORTED = ("sent", "recorded")


@dataclass(frozen=True)
class AlertRecord:
    """One spike alert as stored (``id`` None before it is recorded)."""

    brand: str
    signal: str  # volume | negative
    horizon: str  # hour | day
    fired_at: datetime
    window_start: datetime
    count: int
    baseline: float
    probability: float
    status: str = "pending"
    # Which windows the baseline is the mean of: recent | daily | weekly (veille.alerts.cycles).
    reference: str = "recent"
    id: int | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    error: str | None = None
    # How many windows its baseline held: fewer than the horizon's for a brand watched for less
    # long (None: all of them). Not stored: it follows from when the brand was configured.
    baseline_windows: int | None = None


def mention_events(
    connection: Connection,
    brands: Sequence[str],
    since: datetime,
    seen_until: datetime,
    seen_after: datetime | None = None,
) -> list[tuple[str, datetime, bool]]:
    """(brand, time, negative) of the brands' mentions timed after ``since`` and seen by then
    (and first seen after ``seen_after``, when given); undated ones of a source's backlog have
    no time.

    Read in two parts, as the alert time is the publication time when there is one, else the
    first sighting: published mentions through the publication-time index, the others through
    the (brand, first sighting) index. A condition on the alert time itself, which no index
    holds, read every mention of the brands: seconds on a million.
    """
    brand_ids = select(brand_table.c.id).where(brand_table.c.name.in_(list(brands)))

    def part(*conditions: Any) -> Any:
        return (
            select(brand_table.c.name, alert_time.label("time"), effective_tone.label("tone"))
            .select_from(mention_table)
            .join(document_table, document_table.c.id == mention_table.c.document_id)
            .join(brand_table, brand_table.c.id == mention_table.c.brand_id)
            .where(
                mention_table.c.brand_id.in_(brand_ids),
                mention_table.c.first_seen_at <= seen_until,
                *conditions,
            )
        )

    seen: tuple[Any, ...] = ()
    if seen_after is not None:
        seen = (mention_table.c.first_seen_at > seen_after,)
    published = part(document_table.c.published_at > since, *seen)
    unpublished = part(
        document_table.c.published_at.is_(None),
        mention_table.c.first_seen_at > since,
        mention_table.c.backlog.is_(None),
        *seen,
    )
    rows = connection.execute(published.union_all(unpublished))
    return [(row.name, row.time, row.tone == "negative") for row in rows]


def brands_created_at(connection: Connection, brands: Sequence[str]) -> dict[str, datetime]:
    """When each of the brands was first configured (from which veille has watched it)."""
    query = select(brand_table.c.name, brand_table.c.created_at).where(
        brand_table.c.name.in_(list(brands))
    )
    return {row.name: row.created_at for row in connection.execute(query)}


def window_mentions(
    connection: Connection,
    brand: str,
    *,
    after: datetime,
    seen_until: datetime,
    negative_only: bool,
    limit: int,
) -> list[dict[str, object]]:
    """The mentions of a spike's window, most engaged first, then most recent."""
    conditions: list[Any] = [
        brand_table.c.name == brand,
        alert_time > after,
        timed,
        mention_table.c.first_seen_at <= seen_until,
    ]
    if negative_only:
        conditions.append(tone_condition(connection, "negative"))
    query = (
        select(
            mention_table.c.id,
            *MENTION_CARD_COLUMNS,
            effective_tone.label("tone"),
            document_table.c.engagement,
            mention_table.c.matched_terms,
            alert_time.label("time"),
        )
        .select_from(mention_table)
        .join(document_table, document_table.c.id == mention_table.c.document_id)
        .join(brand_table, brand_table.c.id == mention_table.c.brand_id)
        .where(*conditions)
        .order_by(
            nulls_last(document_table.c.engagement.desc()), alert_time.desc(), mention_table.c.id
        )
        .limit(limit)
    )
    return [
        {
            "id": row.id,
            "title": row.title,
            "text": row.text,
            "url": row.canonical_url or row.url,
            "author": row.author_name or row.author_handle,
            "author_url": row.author_url,
            "site": readable_host(row.site),
            "platform": row.platform,
            "tone": row.tone,
            "engagement": row.engagement,
            "matched": list(row.matched_terms or []),
            "time": row.time,
        }
        for row in connection.execute(query)
    ]


def _record(row: Any) -> AlertRecord:
    return AlertRecord(
        brand=row.brand,
        signal=row.signal,
        horizon=row.horizon,
        fired_at=row.fired_at,
        window_start=row.window_start,
        count=row.count,
        baseline=row.baseline,
        probability=row.probability,
        status=row.status,
        # Alerts stored before the cycle references had the recent windows alone.
        reference=row.reference or "recent",
        id=row.id,
        attempts=row.attempts,
        sent_at=row.sent_at,
        error=row.error,
    )


def fired_keys(connection: Connection, since: datetime) -> set[tuple[str, str, str]]:
    """(brand, signal, horizon) of every alert fired after ``since``, whatever its status."""
    query = select(alert_table.c.brand, alert_table.c.signal, alert_table.c.horizon).where(
        alert_table.c.fired_at > since
    )
    return {(row.brand, row.signal, row.horizon) for row in connection.execute(query)}


def last_reported(
    connection: Connection, keys: Collection[tuple[str, str, str]]
) -> dict[tuple[str, str, str], AlertRecord]:
    """The latest alert sent (or recorded, without recipients) of each (brand, signal, horizon)."""
    if not keys:
        return {}
    query = (
        select(alert_table)
        .where(
            alert_table.c.brand.in_(sorted({brand for brand, _, _ in keys})),
            alert_table.c.status.in_(REPORTED),
        )
        .order_by(alert_table.c.fired_at, alert_table.c.id)
    )
    latest: dict[tuple[str, str, str], AlertRecord] = {}
    for row in connection.execute(query):
        key = (row.brand, row.signal, row.horizon)
        if key in keys:
            latest[key] = _record(row)
    return latest


def record_alerts(connection: Connection, records: Sequence[AlertRecord]) -> list[AlertRecord]:
    """Insert new alerts and return them with their ids."""
    stored = []
    for record in records:
        if record.status not in ALERT_STATUSES:
            raise ValueError(f"alert status must be one of {', '.join(ALERT_STATUSES)}")
        values = {
            "brand": record.brand,
            "signal": record.signal,
            "horizon": record.horizon,
            "fired_at": record.fired_at,
            "window_start": record.window_start,
            "count": record.count,
            "baseline": record.baseline,
            "probability": record.probability,
            "status": record.status,
            "reference": record.reference,
            "attempts": 0,
        }
        key = connection.execute(insert(alert_table).values(**values)).inserted_primary_key
        assert key is not None
        stored.append(replace(record, id=int(key[0]), attempts=0))
    return stored


def unsent_alerts(connection: Connection, since: datetime) -> list[AlertRecord]:
    """Alerts fired after ``since`` that no mail server accepted yet, oldest first."""
    query = (
        select(alert_table)
        .where(alert_table.c.status.in_(UNSENT), alert_table.c.fired_at > since)
        .order_by(alert_table.c.fired_at, alert_table.c.id)
    )
    return [_record(row) for row in connection.execute(query)]


def expire_alerts(connection: Connection, before: datetime) -> int:
    """Mark unsent alerts fired at or before ``before`` as expired; return how many."""
    result = connection.execute(
        update(alert_table)
        .where(alert_table.c.status.in_(UNSENT), alert_table.c.fired_at <= before)
        .values(status="expired")
    )
    return int(result.rowcount or 0)


def mark_alerts(
    connection: Connection,
    ids: Sequence[int],
    *,
    status: str,
    now: datetime,
    error: str | None = None,
) -> None:
    """Record the outcome of one send attempt (``sent`` or ``failed``) for these alerts."""
    if status not in ALERT_STATUSES:
        raise ValueError(f"alert status must be one of {', '.join(ALERT_STATUSES)}")
    changes: dict[str, Any] = {
        "status": status,
        "error": error,
        "attempts": alert_table.c.attempts + 1,
    }
    if status == "sent":
        changes["sent_at"] = now
    connection.execute(update(alert_table).where(alert_table.c.id.in_(list(ids))).values(**changes))


def list_alerts(connection: Connection, since: datetime | None = None) -> list[AlertRecord]:
    """Every alert (fired after ``since`` when given), oldest first."""
    query = select(alert_table).order_by(alert_table.c.fired_at, alert_table.c.id)
    if since is not None:
        query = query.where(alert_table.c.fired_at > since)
    return [_record(row) for row in connection.execute(query)]


# The alert check's row in job_runs: a check that finds no spike leaves no other trace.
_CHECK_JOB = "alerts"


def note_check(connection: Connection, checked_at: datetime) -> None:
    """Record that the alerts were checked at ``checked_at`` (for the scheduler's catch-up)."""
    note_job_run(connection, _CHECK_JOB, checked_at)


def last_check(connection: Connection) -> datetime | None:
    """When the alerts were last checked, or None if never."""
    return last_job_run(connection, _CHECK_JOB)
