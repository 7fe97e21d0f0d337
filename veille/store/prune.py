"""Retention: remove old mentions, the documents they leave behind and old run records.

A mention is old when its time (its document's publication time, else when veille first saw it)
is before the cut. Documents timed before the cut are removed once no mention refers to them, so
a document also named by a recent mention stays. ``runs`` (with their ``run_sources``) started
before the cut go too. Everything is deleted in batches, one short transaction each, so that
collectors and the dashboard are never held up for long.

The cut is recorded (``retention``): a pass that reads its sources anew after a configuration
change does not store again, as new mentions, the items timed before it. An item without a
publication date is timed by when veille first saw it: its stored document's collection time,
or, once a prune removed that document, the time recorded with its identity (``pruned_undated``).
Those records are never removed: nothing tells when the sources stopped giving such an item.

Digest and alert records stay valid: ``digest_sends`` refer to ``digests`` and ``alerts`` name
their brand; neither refers to a mention or a document. What does refer to mentions is a digest's
watermark, the highest mention id it sent: the mention with the highest id is therefore never
removed, since SQLite gives a new row the highest id in the table plus one, and would otherwise
hand out ids at or below a watermark again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, exists, func, select, union

from veille import stop_signals
from veille.store.inserts import upsert_insert
from veille.store.lookups import CHUNK_SIZE, chunked, one_of
from veille.store.queries import mention_time as document_time
from veille.store.schema import (
    UtcDateTime,
    document_table,
    mention_table,
    pruned_undated_table,
    retention_table,
    run_source_table,
    run_table,
)

# progress(table, removed in this batch, removed from this table so far)
PruneProgress = Callable[[str, int, int], None]
Transaction = Callable[[], AbstractContextManager[Connection]]


@dataclass(frozen=True)
class PruneReport:
    """What a prune removed (or, on a dry run, would remove)."""

    mentions: int
    documents: int
    runs: int
    dry_run: bool


def _mention_time() -> ColumnElement[Any]:
    return func.coalesce(
        document_table.c.published_at, mention_table.c.first_seen_at, type_=UtcDateTime
    )


def _old_mentions(cut: datetime, newest_id: int) -> ColumnElement[bool]:
    """Mentions timed before the cut, the one with the highest id excepted."""
    return (_mention_time() < cut) & (mention_table.c.id < newest_id)


def _newest_mention_id(connection: Connection) -> int:
    return int(
        connection.execute(select(func.coalesce(func.max(mention_table.c.id), 0))).scalar_one()
    )


def record_cut(connection: Connection, cut: datetime) -> None:
    """Remember the cut of this prune, the last one's: saves leave out what it removes.

    The last prune's, not the earliest: pruning again with a longer retention lets sources give
    back what the shorter one removed.
    """
    statement = upsert_insert(connection, retention_table).values(id=1, pruned_before=cut)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["id"], set_={"pruned_before": cut})
    )


def pruned_before(connection: Connection) -> datetime | None:
    """The cut of the last prune: items published before it are not stored again."""
    query = select(retention_table.c.pruned_before).where(retention_table.c.id == 1)
    value = connection.execute(query).scalar_one_or_none()
    return value if isinstance(value, datetime) else None


def first_seen_before(connection: Connection, identities: Iterable[str], cut: datetime) -> set[str]:
    """Those of these document identities that veille first saw before the cut.

    Stored documents are timed by their collection time; those a prune removed, by the time it
    recorded (``_remember_undated``).
    """
    found: set[str] = set()
    # Half a chunk each: the statement binds them twice.
    for wanted in chunked(sorted(set(identities)), CHUNK_SIZE // 2):
        stored = select(document_table.c.identity).where(
            one_of(connection, document_table.c.identity, wanted),
            document_table.c.collected_at < cut,
        )
        pruned = select(pruned_undated_table.c.identity).where(
            one_of(connection, pruned_undated_table.c.identity, wanted),
            pruned_undated_table.c.first_seen_at < cut,
        )
        found.update(connection.execute(union(stored, pruned)).scalars())
    return found


def _remember_undated(connection: Connection, document_ids: list[int]) -> None:
    """Record the identities of the undated ones of these documents, about to be removed."""
    undated = select(document_table.c.identity, document_table.c.collected_at).where(
        document_table.c.id.in_(document_ids), document_table.c.published_at.is_(None)
    )
    statement = upsert_insert(connection, pruned_undated_table).from_select(
        ["identity", "first_seen_at"], undated
    )
    # Seen again after a longer retention let it back, it keeps its first sighting.
    connection.execute(statement.on_conflict_do_nothing(index_elements=["identity"]))


def count_prunable(connection: Connection, cut: datetime) -> PruneReport:
    """Count what a prune at ``cut`` would remove, removing nothing."""
    newest_id = _newest_mention_id(connection)
    mentions = connection.execute(
        select(func.count(mention_table.c.id))
        .join(document_table, document_table.c.id == mention_table.c.document_id)
        .where(_old_mentions(cut, newest_id))
    ).scalar_one()
    # A document stays when a mention that stays refers to it.
    staying = (
        select(mention_table.c.document_id)
        .join(document_table, document_table.c.id == mention_table.c.document_id)
        .where(~_old_mentions(cut, newest_id))
    )
    documents = connection.execute(
        select(func.count(document_table.c.id)).where(
            document_table.c.id.not_in(staying), document_time < cut
        )
    ).scalar_one()
    runs = connection.execute(
        select(func.count(run_table.c.id)).where(run_table.c.started_at < cut)
    )
    return PruneReport(int(mentions), int(documents), int(runs.scalar_one()), dry_run=True)


def _delete_mentions(
    connection: Connection, cut: datetime, newest_id: int, after: int, limit: int
) -> list[int]:
    ids = list(
        connection.execute(
            select(mention_table.c.id)
            .join(document_table, document_table.c.id == mention_table.c.document_id)
            .where(_old_mentions(cut, newest_id), mention_table.c.id > after)
            .order_by(mention_table.c.id)
            .limit(limit)
        ).scalars()
    )
    if ids:
        connection.execute(delete(mention_table).where(mention_table.c.id.in_(ids)))
    return ids


def _orphaned(cut: datetime) -> ColumnElement[bool]:
    """Documents timed before the cut that no mention refers to.

    Timed: those whose mentions this prune removes are, since a mention is seen no earlier than
    its document. A recent one whose mentions ``veille query rematch`` removed stays, for a
    query widened again and for the stories and identities new items are compared with.
    """
    referenced = exists().where(mention_table.c.document_id == document_table.c.id)
    return ~referenced & (document_time < cut)


def _delete_orphan_documents(
    connection: Connection, cut: datetime, after: int, limit: int
) -> list[int]:
    # On PostgreSQL, a document that a collector is attaching a mention to right now is locked
    # by that insert: skip it rather than wait (it will not be an orphan once the insert commits).
    ids = list(
        connection.execute(
            select(document_table.c.id)
            .where(_orphaned(cut), document_table.c.id > after)
            .order_by(document_table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if ids:
        _remember_undated(connection, ids)
        connection.execute(
            delete(document_table).where(document_table.c.id.in_(ids), _orphaned(cut))
        )
    return ids


def _delete_runs(connection: Connection, cut: datetime, after: int, limit: int) -> list[int]:
    ids = list(
        connection.execute(
            select(run_table.c.id)
            .where(run_table.c.started_at < cut, run_table.c.id > after)
            .order_by(run_table.c.id)
            .limit(limit)
        ).scalars()
    )
    if ids:
        connection.execute(delete(run_source_table).where(run_source_table.c.run_id.in_(ids)))
        connection.execute(delete(run_table).where(run_table.c.id.in_(ids)))
    return ids


def prune(
    transaction: Transaction,
    cut: datetime,
    *,
    batch_size: int,
    progress: PruneProgress | None = None,
) -> PruneReport:
    """Delete old mentions, then orphaned documents, then old runs, in batches of ``batch_size``."""
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    with transaction() as connection:
        # Recorded first: a pass saving meanwhile stores nothing the prune is removing.
        record_cut(connection, cut)
        newest_id = _newest_mention_id(connection)
    steps: dict[str, Callable[[Connection, int], list[int]]] = {
        "mentions": lambda c, after: _delete_mentions(c, cut, newest_id, after, batch_size),
        "documents": lambda c, after: _delete_orphan_documents(c, cut, after, batch_size),
        "runs": lambda c, after: _delete_runs(c, cut, after, batch_size),
    }
    totals = dict.fromkeys(steps, 0)
    for table, step in steps.items():
        after = 0  # one transaction per batch, each resuming after the last id, until one is short
        while True:
            # Held until the batch is counted: a prune stopped says what the database lost.
            with stop_signals.held():
                with transaction() as connection:
                    ids = step(connection, after)
                totals[table] += len(ids)
                if ids and progress is not None:
                    progress(table, len(ids), totals[table])
            if len(ids) < batch_size:
                break
            after = max(ids)
    return PruneReport(totals["mentions"], totals["documents"], totals["runs"], dry_run=False)
