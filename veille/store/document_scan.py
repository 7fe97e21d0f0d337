"""Stored documents read in batches, in id order, with whether a brand mentions each of them.

``veille query test`` matches a query against every stored document of a period: the batches keep
a big database from being loaded whole, and each is read in its own short transaction, so that
collectors writing meanwhile are never held up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select

from veille.store.queries import mention_time
from veille.store.schema import brand_table, document_table, mention_table


@dataclass(frozen=True, slots=True)
class ScannedDocument:
    """What a brand query sees of a stored document, and whether the brand mentions it now."""

    id: int
    title: str
    text: str
    site: str | None
    url: str | None
    author_name: str | None
    author_handle: str | None
    lang: str | None
    published_at: datetime | None
    collected_at: datetime
    mentioned: bool  # the scanned brand mentions it (False when no brand is scanned)
    matched_terms: tuple[str, ...]  # the terms of that mention

    @property
    def time(self) -> datetime:
        """When it happened: its publication time, else when veille collected it."""
        return self.published_at or self.collected_at


def brand_id(connection: Connection, name: str) -> int | None:
    """A stored brand's id; None for a brand not stored yet."""
    return connection.execute(select(brand_table.c.id).where(brand_table.c.name == name)).scalar()


def _in_period(since: datetime | None) -> list[ColumnElement[bool]]:
    return [] if since is None else [mention_time >= since]


def period_extent(connection: Connection, since: datetime | None) -> tuple[int, int]:
    """How many documents are timed since ``since``, and the id to start reading after.

    Both come from the mention-time index, so reading the period does not start from the
    oldest document of the database.
    """
    count, first = connection.execute(
        select(func.count(document_table.c.id), func.min(document_table.c.id)).where(
            *_in_period(since)
        )
    ).one()
    return int(count), int(first or 1) - 1


def read_documents(
    connection: Connection,
    *,
    since: datetime | None,
    brand_id: int | None,
    after: int,
    limit: int,
) -> list[ScannedDocument]:
    """The next ``limit`` documents of the period with an id above ``after``, in id order."""
    columns: list[Any] = [
        document_table.c.id,
        document_table.c.title,
        document_table.c.text,
        document_table.c.site,
        func.coalesce(document_table.c.canonical_url, document_table.c.url).label("url"),
        document_table.c.author_name,
        document_table.c.author_handle,
        document_table.c.lang,
        document_table.c.published_at,
        document_table.c.collected_at,
    ]
    query = select(*columns).where(document_table.c.id > after, *_in_period(since))
    if brand_id is not None:
        # At most one mention per (document, brand): the outer join adds no row.
        mention = and_(
            mention_table.c.document_id == document_table.c.id, mention_table.c.brand_id == brand_id
        )
        query = query.outerjoin(mention_table, mention).add_columns(
            mention_table.c.id.label("mention_id"), mention_table.c.matched_terms
        )
    rows = connection.execute(query.order_by(document_table.c.id).limit(limit))
    return [
        ScannedDocument(
            id=row.id,
            title=row.title or "",
            text=row.text or "",
            site=row.site,
            url=row.url,
            author_name=row.author_name,
            author_handle=row.author_handle,
            lang=row.lang,
            published_at=row.published_at,
            collected_at=row.collected_at,
            mentioned=brand_id is not None and row.mention_id is not None,
            matched_terms=tuple(row.matched_terms or ()) if brand_id is not None else (),
        )
        for row in rows
    ]
