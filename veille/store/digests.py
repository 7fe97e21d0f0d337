"""Digests in the store: watermarks, claims, the log of sends, and the mentions a digest covers.

A digest is keyed by its name, its recipient set and its brand scope. Its watermark is the
highest mention id included in the last send the mail server accepted; it moves only in
:func:`record_send`, in the same transaction as the record of that send. On PostgreSQL the read
of new mentions waits for mention writers in flight (``veille/store/visibility.py``), so no
mention committed late is left below the watermark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from veille.normalize.domains import readable_host
from veille.store.inserts import upsert_insert
from veille.store.queries import (
    MENTION_CARD_COLUMNS,
    effective_sentiment,
    effective_tone,
    iso_utc,
    mention_time,
)
from veille.store.schema import (
    DIGEST_STATUSES,
    brand_table,
    digest_send_table,
    digest_table,
    document_table,
    mention_table,
)
from veille.store.visibility import settled_mentions

# Ends the brands key of a run narrowed to recent mentions (--since): no brand name holds a
# control character (veille/settings.py), so no brand scope reads alike.
_RECENT_ONLY = "\x1fsince"


@dataclass(frozen=True)
class DigestKey:
    """What identifies a digest's watermark: its name, recipient set and brand scope (and
    whether the run was narrowed to recent mentions)."""

    name: str
    recipients_key: str
    brands_key: str = ""

    @classmethod
    def of(
        cls,
        name: str,
        recipients: Sequence[str],
        brands: Sequence[str] = (),
        *,
        recent_only: bool = False,
    ) -> DigestKey:
        """The key of a digest sent to ``recipients``; ``brands`` when a run narrowed them,
        ``recent_only`` when it narrowed them to those published since a time."""
        recipients_key = ",".join(sorted({address.lower() for address in recipients}))
        brands_key = ",".join(sorted(set(brands))) + (_RECENT_ONLY if recent_only else "")
        return cls(name, recipients_key, brands_key)


@dataclass(frozen=True)
class DigestState:
    """Where a digest stands: its watermark and when it was first attempted."""

    watermark: int | None
    created_at: datetime
    last_sent_at: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None


def _where(key: DigestKey) -> Any:
    return and_(
        digest_table.c.name == key.name,
        digest_table.c.recipients_key == key.recipients_key,
        digest_table.c.brands_key == key.brands_key,
    )


def load_digest(connection: Connection, key: DigestKey) -> DigestState | None:
    """Return a digest's state, or None when it was never attempted."""
    row = connection.execute(select(digest_table).where(_where(key))).first()
    if row is None:
        return None
    return DigestState(
        row.watermark, row.created_at, row.last_sent_at, row.last_status, row.last_error
    )


def claim_digest(
    connection: Connection, key: DigestKey, now: datetime, lease: timedelta
) -> DigestState | None:
    """Create the digest's row if needed and claim it; None when another process holds it.

    A claim older than ``lease`` is taken over (its holder died while sending).
    """
    connection.execute(
        upsert_insert(connection, digest_table)
        .values(
            name=key.name,
            recipients_key=key.recipients_key,
            brands_key=key.brands_key,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["name", "recipients_key", "brands_key"])
    )
    claimed = connection.execute(
        update(digest_table)
        .where(
            _where(key),
            or_(digest_table.c.claimed_at.is_(None), digest_table.c.claimed_at < now - lease),
        )
        .values(claimed_at=now)
    )
    if claimed.rowcount != 1:
        return None
    return load_digest(connection, key)


def release_digest(connection: Connection, key: DigestKey) -> None:
    """Give up a claim without recording a send (dry runs, errors before sending)."""
    connection.execute(update(digest_table).where(_where(key)).values(claimed_at=None))


def record_send(
    connection: Connection,
    key: DigestKey,
    *,
    now: datetime,
    status: str,
    mentions: int,
    watermark: int | None = None,
    error: str | None = None,
) -> None:
    """Log one attempt and release the claim; a "sent" one moves the watermark forward."""
    if status not in DIGEST_STATUSES:
        raise ValueError(f"digest status must be one of {', '.join(DIGEST_STATUSES)}")
    digest_id = connection.execute(select(digest_table.c.id).where(_where(key))).scalar_one()
    changes: dict[str, Any] = {"last_status": status, "last_error": error, "claimed_at": None}
    if status == "sent":
        changes["last_sent_at"] = now
        if watermark is not None:
            # Monotonic: a late writer never moves it back.
            changes["watermark"] = func.coalesce(
                func.max(digest_table.c.watermark, watermark)
                if connection.dialect.name == "sqlite"
                else func.greatest(digest_table.c.watermark, watermark),
                watermark,
            )
    connection.execute(update(digest_table).where(digest_table.c.id == digest_id).values(**changes))
    connection.execute(
        insert(digest_send_table),
        {
            "digest_id": digest_id,
            "sent_at": now,
            "mentions": mentions,
            "status": status,
            "watermark": watermark if status == "sent" else None,
            "error": error,
        },
    )


def last_completed_at(connection: Connection, keys: Sequence[DigestKey]) -> datetime | None:
    """When every one of these digests last completed, or None when one never did.

    A send counts once the mail server accepted it (``sent``) or when there was nothing new
    to send (``empty``); a failed attempt does not, so that it is tried again. Each digest has
    its own time: the earliest of them is returned.
    """
    if not keys:
        return None
    times: list[datetime] = []
    for key in keys:
        value = connection.execute(
            select(func.max(digest_send_table.c.sent_at))
            .join(digest_table, digest_table.c.id == digest_send_table.c.digest_id)
            .where(_where(key), digest_send_table.c.status.in_(("sent", "empty")))
        ).scalar_one_or_none()
        if not isinstance(value, datetime):
            return None
        times.append(value)
    return min(times)


def digest_sends(connection: Connection, key: DigestKey) -> list[dict[str, object]]:
    """Return a digest's log of sends, oldest first."""
    query = (
        select(digest_send_table)
        .join(digest_table, digest_table.c.id == digest_send_table.c.digest_id)
        .where(_where(key))
        .order_by(digest_send_table.c.id)
    )
    return [
        {
            "sent_at": iso_utc(row.sent_at),
            "mentions": row.mentions,
            "status": row.status,
            "watermark": row.watermark,
            "error": row.error,
        }
        for row in connection.execute(query)
    ]


def last_mention_id(connection: Connection, brands: Sequence[str]) -> int | None:
    """The highest id of the brands' mentions, every lower one committed, or None for none: how
    far a digest that leaves some out (too old for its first send) has looked."""
    settled_mentions(connection)
    return connection.execute(
        select(func.max(mention_table.c.id))
        .join(brand_table, brand_table.c.id == mention_table.c.brand_id)
        .where(brand_table.c.name.in_(list(brands)))
    ).scalar_one_or_none()


def new_mentions(
    connection: Connection,
    brands: Sequence[str],
    *,
    after_id: int | None,
    up_to: int | None = None,
    since: datetime | None = None,
) -> list[dict[str, object]]:
    """Return the brands' mentions above the watermark, oldest first, with their documents.

    ``up_to`` is the highest id to return; ``since`` bounds when they were published
    (collected, when undated), like ``--since`` everywhere else. Every mention with a lower id
    than the ones returned is committed: the watermark skips none.
    """
    settled_mentions(connection)
    conditions: list[Any] = [brand_table.c.name.in_(list(brands))]
    if after_id is not None:
        conditions.append(mention_table.c.id > after_id)
    if up_to is not None:
        conditions.append(mention_table.c.id <= up_to)
    if since is not None:
        conditions.append(mention_time >= since)
    query = (
        select(
            mention_table.c.id,
            brand_table.c.name.label("brand"),
            mention_table.c.matched_terms,
            mention_table.c.first_seen_at,
            *MENTION_CARD_COLUMNS,
            effective_sentiment.label("sentiment"),
            effective_tone.label("tone"),
            document_table.c.engagement,
            document_table.c.story_id,
            mention_time.label("time"),
        )
        .select_from(mention_table)
        .join(document_table, document_table.c.id == mention_table.c.document_id)
        .join(brand_table, brand_table.c.id == mention_table.c.brand_id)
        .where(*conditions)
        .order_by(mention_table.c.id)
    )
    return [
        {
            "id": row.id,
            "brand": row.brand,
            "matched": list(row.matched_terms or []),
            "first_seen_at": row.first_seen_at,
            "title": row.title,
            "text": row.text,
            "url": row.canonical_url or row.url,
            "author": row.author_name or row.author_handle,
            "author_url": row.author_url,
            "site": readable_host(row.site),
            "platform": row.platform,
            "sentiment": row.sentiment,
            "tone": row.tone,
            "engagement": row.engagement,
            "story_id": row.story_id,
            "time": row.time,
        }
        for row in connection.execute(query)
    ]
