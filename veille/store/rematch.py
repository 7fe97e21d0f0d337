"""Reads and writes of ``veille query rematch``: stored documents with their brands' mentions,
and the mentions a changed query removes, rewrites or adds.

Documents are read as ``veille query test`` reads them (:mod:`veille.store.document_scan`), a
batch at a time in id order, each batch with the mentions the rematched brands have of it; each
batch's changes are written in one short transaction of their own, so that a collecting pass
running meanwhile waits for no more than one batch. Documents are never removed: only mentions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from veille.store.document_scan import ScannedDocument, read_documents
from veille.store.inserts import dialect_insert, insert_new_rows
from veille.store.lookups import chunked, one_of
from veille.store.schema import brand_table, document_table, mention_table, source_state_table


@dataclass(frozen=True, slots=True)
class BrandMention:
    """A stored mention of a document by a rematched brand: its terms and own tone (None: the
    document's)."""

    id: int
    matched_terms: tuple[str, ...]
    sentiment: float | None
    tone: str | None


@dataclass(frozen=True, slots=True)
class RematchedDocument:
    """A stored document as a brand query sees it, with what a new mention of it takes from it
    and the mentions the rematched brands have of it (by brand id)."""

    document: ScannedDocument
    sentiment: float
    source_id: int | None
    mentions: dict[int, BrandMention]
    # A mention of it is marked as its source's backlog: a new one is, too (alerts leave it out).
    backlog: bool = False


@dataclass(frozen=True, slots=True)
class KeptMention:
    """New terms and own tone (None: the document's) of a mention the query still keeps."""

    id: int
    matched_terms: tuple[str, ...]
    sentiment: float | None
    tone: str | None


@dataclass(frozen=True, slots=True)
class NewMention:
    """A mention to add: a stored document that the brand's query now keeps."""

    document_id: int
    brand_id: int
    source_id: int | None
    matched_terms: tuple[str, ...]
    first_seen_at: datetime
    sentiment: float | None
    tone: str | None
    backlog: bool = False


@dataclass
class MentionChanges:
    """What one batch changes: mentions removed (by id), rewritten and added."""

    removed: list[int] = field(default_factory=list)
    rewritten: list[KeptMention] = field(default_factory=list)
    added: list[NewMention] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.removed or self.rewritten or self.added)


def brand_ids(connection: Connection, names: Sequence[str]) -> dict[str, int]:
    """The ids of the stored brands among ``names``, by name."""
    rows = connection.execute(
        select(brand_table.c.name, brand_table.c.id).where(brand_table.c.name.in_(list(names)))
    )
    return {row.name: row.id for row in rows}


def read_batch(
    connection: Connection,
    *,
    since: datetime | None,
    brands: Sequence[int],
    after: int,
    limit: int,
) -> list[RematchedDocument]:
    """The next ``limit`` documents of the period after id ``after``, with the brands' mentions."""
    documents = read_documents(connection, since=since, brand_id=None, after=after, limit=limit)
    if not documents:
        return []
    ids = [document.id for document in documents]
    extra = {
        row.id: row
        for row in connection.execute(
            select(
                document_table.c.id, document_table.c.sentiment, document_table.c.source_id
            ).where(document_table.c.id.between(ids[0], ids[-1]))
        )
    }
    mentions: dict[int, dict[int, BrandMention]] = {}
    if brands:
        query = select(
            mention_table.c.id,
            mention_table.c.document_id,
            mention_table.c.brand_id,
            mention_table.c.matched_terms,
            mention_table.c.sentiment,
            mention_table.c.tone,
        ).where(
            mention_table.c.document_id.between(ids[0], ids[-1]),
            one_of(connection, mention_table.c.brand_id, list(brands)),
        )
        for row in connection.execute(query):
            mentions.setdefault(row.document_id, {})[row.brand_id] = BrandMention(
                row.id, tuple(row.matched_terms or ()), row.sentiment, row.tone
            )
    # Any brand's mention counts: a mention of another brand says the collection that brought
    # the document was its source's first, as one this rematch removes does.
    in_backlog = set(
        connection.execute(
            select(mention_table.c.document_id)
            .where(
                mention_table.c.document_id.between(ids[0], ids[-1]),
                mention_table.c.backlog.is_(True),
            )
            .distinct()
        ).scalars()
    )
    return [
        RematchedDocument(
            document,
            extra[document.id].sentiment,
            extra[document.id].source_id,
            mentions.get(document.id, {}),
            document.id in in_backlog,
        )
        for document in documents
    ]


def write_changes(connection: Connection, changes: MentionChanges) -> tuple[int, int, int]:
    """Write a batch's changes; return how many mentions were removed, rewritten and added.

    A mention another process removed meanwhile is neither removed nor rewritten again, and one
    it added meanwhile is not added twice.
    """
    removed = rewritten = added = 0
    for ids in chunked(changes.removed):
        removed += int(
            connection.execute(delete(mention_table).where(mention_table.c.id.in_(ids))).rowcount
        )
    if changes.rewritten:
        statement = (
            update(mention_table)
            .where(mention_table.c.id == bindparam("mention_id"))
            .values(
                matched_terms=bindparam("terms"),
                sentiment=bindparam("new_sentiment"),
                tone=bindparam("new_tone"),
            )
            .execution_options(synchronize_session=False)
        )
        rewritten = int(
            connection.execute(
                statement,
                [
                    {
                        "mention_id": kept.id,
                        "terms": list(kept.matched_terms),
                        "new_sentiment": kept.sentiment,
                        "new_tone": kept.tone,
                    }
                    for kept in changes.rewritten
                ],
            ).rowcount
        )
    if changes.added:
        rows: list[dict[str, Any]] = [
            {
                "document_id": new.document_id,
                "brand_id": new.brand_id,
                "source_id": new.source_id,
                "matched_terms": list(new.matched_terms),
                "first_seen_at": new.first_seen_at,
                "backlog": True if new.backlog else None,
                "sentiment": new.sentiment,
                "tone": new.tone,
            }
            for new in changes.added
        ]
        added = _insert_counted(connection, rows)
    return removed, rewritten, added


def _insert_counted(connection: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert mentions not stored yet; return how many were."""
    keys = ("document_id", "brand_id")
    if connection.dialect.name == "sqlite":
        return insert_new_rows(connection, mention_table, keys, rows)
    # PostgreSQL counts no executemany's rows: those inserted are returned.
    statement = (
        dialect_insert("postgresql", mention_table)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(mention_table.c.id)
    )
    return len(connection.execute(statement, rows).all())


def outdated_brands(connection: Connection) -> dict[str, datetime]:
    """The configured brands whose query changed since some of their stored mentions were found,
    with when it did."""
    rows = connection.execute(
        select(brand_table.c.name, brand_table.c.query_changed_at).where(
            brand_table.c.active.is_(True), brand_table.c.query_changed_at.is_not(None)
        )
    )
    return {row.name: row.query_changed_at for row in rows}


def note_rematched(connection: Connection, queries: dict[str, str]) -> None:
    """Brands (name → query) whose every stored mention was matched with that query: their
    query change is applied, unless the configuration changed it again meanwhile."""
    for name, query in queries.items():
        connection.execute(
            update(brand_table)
            .where(brand_table.c.name == name, brand_table.c.query == query)
            .values(query_changed_at=None)
        )


def forget_items_seen(connection: Connection, setup: str) -> None:
    """Let the next pass read again the items sources gave under another setup than ``setup``.

    A pass skips the items a source gave before under its own setup (brands, queries,
    versions), stored then as that setup found them. A rematch under another configuration
    than the last pass's changed those mentions: a pass under the old one again (a query
    changed back) must not take them for stored as it would store them.
    """
    connection.execute(
        update(source_state_table)
        .where(source_state_table.c.seen_for != setup)
        .values(seen_for=None)
    )
