"""Reads: mention listings and statistics, for the command line and the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import UnaryExpression

from veille.errors import StoreError
from veille.store import search
from veille.store.lookups import brand_ids_for
from veille.store.schema import (
    TONES,
    BrandRow,
    DocumentRow,
    MentionRow,
    SourceRow,
    UtcDateTime,
)
from veille.store.specs import MentionFilter

STATS_KEYS = ("platform", "site", "author", "tone", "lang", "day")

# When a mention happened: its publication time, else when veille collected it.
mention_time = func.coalesce(DocumentRow.published_at, DocumentRow.collected_at, type_=UtcDateTime)


def iso_utc(value: datetime | None) -> str | None:
    """Render a timestamp as ISO 8601 UTC ending in "Z" (None stays None)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _contains_folded(column: Any, needle: str) -> ColumnElement[bool]:
    # lower() is Unicode-aware on PostgreSQL, and on SQLite through the function veille installs.
    return func.lower(column).contains(needle.lower(), autoescape=True)


def filter_conditions(connection: Connection, f: MentionFilter) -> list[ColumnElement[bool]]:
    """Translate a MentionFilter into WHERE conditions over mentions joined to documents."""
    conditions: list[ColumnElement[bool]] = []
    if f.brands:
        conditions.append(MentionRow.brand_id.in_(brand_ids_for(connection, f.brands)))
    if f.platform:
        conditions.append(DocumentRow.platform == f.platform)
    if f.site:
        site = f.site.strip().lower().removeprefix("www.")
        conditions.append(
            or_(DocumentRow.site == site, DocumentRow.site.endswith("." + site, autoescape=True))
        )
    if f.author:
        conditions.append(
            or_(
                _contains_folded(DocumentRow.author_name, f.author),
                _contains_folded(DocumentRow.author_handle, f.author),
            )
        )
    if f.tone:
        if f.tone not in TONES:
            raise StoreError(f"unknown tone {f.tone!r}", hint=f"use one of {', '.join(TONES)}")
        conditions.append(DocumentRow.tone == f.tone)
    if f.lang:
        conditions.append(DocumentRow.lang == f.lang.lower())
    if f.since is not None:
        conditions.append(mention_time >= f.since)
    if f.until is not None:
        conditions.append(mention_time <= f.until)
    return conditions


def _filtered(
    connection: Connection, f: MentionFilter, *columns: Any, ranked: bool = False
) -> tuple[Select[Any], UnaryExpression[Any] | None]:
    """The filtered query, and with ``ranked`` the relevance ordering of its search (if any)."""
    query = (
        select(*columns)
        .select_from(MentionRow)
        .join(DocumentRow, DocumentRow.id == MentionRow.document_id)
        .where(*filter_conditions(connection, f))
    )
    if not f.search:
        return query, None
    return search.restrict(query, connection.dialect.name, f.search, rank=ranked)


_DOCUMENT_FIELDS = (
    "platform",
    "site",
    "canonical_url",
    "url",
    "title",
    "text",
    "author_name",
    "author_handle",
    "author_url",
    "published_at",
    "collected_at",
    "lang",
    "sentiment",
    "tone",
    "reach",
    "engagement",
    "metrics",
    "story_id",
)


def list_mentions(connection: Connection, f: MentionFilter) -> list[dict[str, object]]:
    """Return the filtered mentions as contract dictionaries, most relevant first when searching
    (see ``veille/store/search.py``), else newest first."""
    query, relevance = _filtered(
        connection,
        f,
        MentionRow.id.label("mention_id"),
        BrandRow.name.label("brand"),
        SourceRow.name.label("source"),
        MentionRow.matched_terms,
        *(getattr(DocumentRow, name) for name in _DOCUMENT_FIELDS),
        ranked=True,
    )
    query = query.join(BrandRow, BrandRow.id == MentionRow.brand_id).outerjoin(
        SourceRow, SourceRow.id == MentionRow.source_id
    )
    if relevance is not None:
        query = query.order_by(relevance)
    query = query.order_by(mention_time.desc(), MentionRow.id.desc())
    if f.limit is not None:
        query = query.limit(f.limit)
    return [
        {
            "id": row.mention_id,
            "brand": row.brand,
            "platform": row.platform,
            "source": row.source,
            "site": row.site,
            "url": row.canonical_url or row.url,
            "title": row.title,
            "text": row.text,
            "author": row.author_name or row.author_handle,
            "author_handle": row.author_handle,
            "author_url": row.author_url,
            "published_at": iso_utc(row.published_at),
            "collected_at": iso_utc(row.collected_at),
            "lang": row.lang,
            "sentiment": row.sentiment,
            "tone": row.tone,
            "matched": list(row.matched_terms or []),
            "reach": row.reach,
            "engagement": row.engagement,
            "metrics": dict(row.metrics or {}),
            "story_id": row.story_id,
        }
        for row in connection.execute(query)
    ]


def _stats_key(connection: Connection, by: str) -> ColumnElement[Any]:
    if by == "day":
        # The UTC calendar day, as "YYYY-MM-DD"; literals rather than bound parameters so that
        # PostgreSQL sees the GROUP BY expression as identical to the selected one.
        if connection.dialect.name == "postgresql":
            utc_time = func.timezone(literal_column("'UTC'"), mention_time)
            return func.to_char(utc_time, literal_column("'YYYY-MM-DD'"), type_=String)
        return func.date(mention_time, type_=String)
    if by == "author":
        return func.coalesce(DocumentRow.author_name, DocumentRow.author_handle)
    columns: dict[str, Any] = {
        "platform": DocumentRow.platform,
        "site": DocumentRow.site,
        "tone": DocumentRow.tone,
        "lang": DocumentRow.lang,
    }
    return columns[by]


def stats(connection: Connection, f: MentionFilter, by: str) -> list[dict[str, object]]:
    """Count the filtered mentions per key, with the share of each tone and the mean sentiment.

    ``engagement`` and ``reach`` add up the figures of the group's mentions (unknown counts as 0):
    like ``mentions``, a document that names two brands counts once per brand when both are listed.
    """
    if by not in STATS_KEYS:
        raise ValueError(f"stats by must be one of {', '.join(STATS_KEYS)}, not {by!r}")
    key = _stats_key(connection, by).label("key")
    tone_counts = [
        func.sum(case((DocumentRow.tone == tone, 1), else_=0)).label(tone) for tone in TONES
    ]
    query, _ = _filtered(
        connection,
        f,
        key,
        func.count(MentionRow.id).label("mentions"),
        *tone_counts,
        func.avg(DocumentRow.sentiment).label("avg_sentiment"),
        func.sum(DocumentRow.engagement).label("engagement"),
        func.sum(DocumentRow.reach).label("reach"),
    )
    query = query.group_by(key)
    rows = list(connection.execute(query).all())
    if by == "day":
        rows.sort(key=lambda row: row.key)
    else:
        # Most mentioned first; ties by key with unknown (None) keys last, for a stable order.
        rows.sort(key=lambda row: (-row.mentions, row.key is None, row.key or ""))
    total = sum(row.mentions for row in rows)
    return [
        {
            "key": row.key,
            "mentions": row.mentions,
            "share": row.mentions / total,
            **{tone: int(getattr(row, tone)) / row.mentions for tone in TONES},
            "avg_sentiment": round(float(row.avg_sentiment), 4),
            "engagement": int(row.engagement or 0),
            "reach": int(row.reach or 0),
        }
        for row in rows
    ]
