"""Writes of a collection pass: idempotent saving of collected items, source state, failures.

Every function takes a connection already inside a transaction; the caller commits.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from veille.store.document_writes import (
    MentionOf,
    document_values,
    identity_key,
    insert_mentions,
    upsert_documents,
)
from veille.store.inserts import dialect_insert
from veille.store.lookups import (
    brand_id_for,
    brand_ids_by_name,
    source_id_for,
    source_ids_named,
)
from veille.store.prune import first_seen_before, pruned_before
from veille.store.schema import run_source_table, source_state_table
from veille.store.specs import CollectionSave, SaveCounts
from veille.store.visibility import writing_mentions
from veille.types import SourceState, StoredItem


@cache
def _upsert_state_statement(
    dialect: str, columns: tuple[str, ...], incremented: frozenset[str], kept: frozenset[str]
) -> Any:
    """INSERT … ON CONFLICT DO UPDATE of one source state, built once per dialect and columns.

    On conflict each column takes the inserted value (``excluded``), those in ``incremented``
    their stored value plus one, those in ``kept`` their stored value unless it is NULL.
    """
    table = source_state_table
    keys = ("source_id", "brand_id", "brand_key", *columns)
    statement = dialect_insert(dialect, table).values({key: bindparam(key) for key in keys})
    on_conflict = {
        column: table.c[column] + 1
        if column in incremented
        else func.coalesce(table.c[column], statement.excluded[column])
        if column in kept
        else statement.excluded[column]
        for column in columns
    }
    return statement.on_conflict_do_update(
        index_elements=["source_id", "brand_key"], set_=on_conflict
    ).returning(table.c.consecutive_failures)


def upsert_state(
    connection: Connection,
    source_id: int,
    brand: tuple[int, str] | None,
    values: dict[str, Any],
    incremented: frozenset[str] = frozenset(),
    kept: frozenset[str] = frozenset(),
) -> int:
    """Insert or update one source-state row; return its consecutive failure count.

    A new row takes ``values``; a stored one takes them too, except the ``incremented``
    columns, which count one more, and the ``kept`` ones, which keep a value they hold.
    """
    brand_id, brand_key = brand if brand is not None else (None, "")
    statement = _upsert_state_statement(connection.dialect.name, tuple(values), incremented, kept)
    parameters = {"source_id": source_id, "brand_id": brand_id, "brand_key": brand_key, **values}
    return int(connection.execute(statement, parameters).scalar_one())


@cache
def _run_source_insert() -> Any:
    return insert(run_source_table)


@dataclass(frozen=True)
class KnownIds:
    """Source and brand ids read once for all the saves of one transaction."""

    sources: Mapping[str, int]
    brands: Mapping[str, int]


def known_ids(connection: Connection, sources: Iterable[str]) -> KnownIds:
    """The ids of these sources and of every brand, for saves in this transaction."""
    return KnownIds(source_ids_named(connection, sources), brand_ids_by_name(connection))


def save_collection(
    connection: Connection,
    run_id: int,
    source: str,
    brand: str | None,
    items: Sequence[StoredItem],
    state: SourceState,
    *,
    now: datetime,
    next_check_at: datetime,
    not_modified: bool,
    duration: float,
    warning: str | None,
    check_interval: timedelta | None = None,
    given: int | None = None,
    known: KnownIds | None = None,
) -> SaveCounts:
    """Save one successful collection: documents, mentions, source state and its run record.

    ``given``: how many items the source gave, stored or not, for the run record (default: the
    items to store). ``known``: ids already read in this transaction (see `known_ids`).
    """
    save = CollectionSave(
        run_id, source, brand, items, state, now=now, next_check_at=next_check_at,
        not_modified=not_modified, duration=duration, warning=warning,
        check_interval=check_interval, given=given,
    )  # fmt: skip
    writing_mentions(connection)  # before any mention id is handed out
    source_id = known.sources.get(source) if known else None
    if source_id is None:
        source_id = source_id_for(connection, source)  # raises, naming the known sources
    brand_ref = None
    if brand is not None:
        brand_id = known.brands.get(brand) if known else None
        brand_ref = (brand_id if brand_id is not None else brand_id_for(connection, brand), brand)
    brand_ids = known.brands if known else None
    [counts] = _store_items(connection, [save], [source_id], brand_ids)
    _record_success(connection, save, source_id, brand_ref, counts)
    return counts


def can_save_together(saves: Sequence[CollectionSave], known: KnownIds) -> bool:
    """Whether every source, brand and brand matched of these saves is among the known ids.

    Otherwise saving them together would fail for one of them: each is saved alone instead.
    """
    return all(
        save.source in known.sources
        and (save.brand is None or save.brand in known.brands)
        and all(brand in known.brands for item in save.items for brand, _ in item.matches)
        for save in saves
    )


def save_together(
    connection: Connection, saves: Sequence[CollectionSave], known: KnownIds
) -> list[SaveCounts]:
    """Save several successful collections as one, each counting what it added.

    What is stored is what saving them one after the other in this order stores, in a few
    statements for them all instead of a dozen each (``assign_stories`` compares a document
    with those before it alike, stored or not; only its search looks back ``WINDOW`` from the
    batch's earliest save). One failing fails them all: call it under a savepoint, and save
    each alone when it raises, so that only the bad one fails.
    """
    writing_mentions(connection)  # before any mention id is handed out
    source_ids = [known.sources[save.source] for save in saves]
    counted = _store_items(connection, saves, source_ids, known.brands)
    for save, source_id, counts in zip(saves, source_ids, counted, strict=True):
        brand_ref = None if save.brand is None else (known.brands[save.brand], save.brand)
        _record_success(connection, save, source_id, brand_ref, counts)
    return counted


def _store_items(
    connection: Connection,
    saves: Sequence[CollectionSave],
    source_ids: Sequence[int],
    brand_ids: Mapping[str, int] | None,
) -> list[SaveCounts]:
    """Store the documents and mentions of the saves' items, in order; count each save's.

    Items timed before the last prune's cut are left out: it removed them. An undated item is
    timed by when veille first saw it (``first_seen_before``).
    """
    cut = pruned_before(connection)
    kept = [list(save.items) for save in saves]
    if cut is not None:
        undated = [identity_key(i.document.identity) for i in _undated(saves)]
        seen_before = first_seen_before(connection, undated, cut)
        kept = [[i for i in items if not _timed_before(i, cut, seen_before)] for items in kept]
    first = _first_collections(connection, saves, source_ids)
    rows: list[dict[str, Any]] = []
    owners: list[int] = []  # the index of the save each row comes from
    for index, (save, source_id) in enumerate(zip(saves, source_ids, strict=True)):
        rows.extend(document_values(item, source_id, save.now) for item in kept[index])
        owners.extend([index] * len(kept[index]))
    items = [item for save_items in kept for item in save_items]
    # Only a source's own items are edited in place: a search per brand gives the same page
    # in other words from one query to the next (a cluster of links, a snippet of the hit).
    editable = [
        save.brand is None for save, save_items in zip(saves, kept, strict=True) for _ in save_items
    ]
    stored = upsert_documents(connection, rows, [i.story for i in items], editable)
    mentions = [
        MentionOf(item, document_id, row["source_id"], row["collected_at"], first[owner])
        for item, document_id, row, owner in zip(
            items, stored.document_ids, rows, owners, strict=True
        )
    ]
    new_mentions = insert_mentions(
        connection, mentions, fresh=stored.fresh, edited=stored.edited, brand_ids=brand_ids
    )
    documents_by_save = Counter(owners[index] for index in stored.new_rows)
    # A search per brand stores the mentions of every brand its results name: those of the
    # brand searched are its own, the others are counted apart (see SaveCounts).
    own: Counter[int] = Counter()
    others: Counter[int] = Counter()
    for index, brand in new_mentions:
        owner = owners[index]
        searched = saves[owner].brand
        (own if searched is None or brand == searched else others)[owner] += 1
    return [
        SaveCounts(len(save.items), documents_by_save[index], own[index], others[index])
        for index, save in enumerate(saves)
    ]


def _first_collections(
    connection: Connection, saves: Sequence[CollectionSave], source_ids: Sequence[int]
) -> list[bool]:
    """Whether each save is its source state's first successful collection (since the state was
    created or reset): the mentions it brings first are the source's backlog."""
    query = select(source_state_table.c.source_id, source_state_table.c.brand_key).where(
        source_state_table.c.source_id.in_(sorted(set(source_ids))),
        source_state_table.c.first_ok_at.is_not(None),
    )
    collected = {(row.source_id, row.brand_key) for row in connection.execute(query)}
    return [
        (source_id, save.brand or "") not in collected
        for save, source_id in zip(saves, source_ids, strict=True)
    ]


def _undated(saves: Sequence[CollectionSave]) -> Iterator[StoredItem]:
    return (i for save in saves for i in save.items if i.document.published_at is None)


def _timed_before(item: StoredItem, cut: datetime, seen_before: set[str]) -> bool:
    """Whether an item was published, or if undated first seen, before the cut."""
    published = item.document.published_at
    if published is None:
        return identity_key(item.document.identity) in seen_before
    return published < cut


def _record_success(
    connection: Connection,
    save: CollectionSave,
    source_id: int,
    brand_ref: tuple[int, str] | None,
    counts: SaveCounts,
) -> None:
    """Write a saved collection's source state and its run record."""
    state, now = save.state, save.now
    values: dict[str, Any] = {
        "url": state.url,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "content_hash": state.content_hash,
        "cursor": state.cursor,
        "seen_entries": " ".join(state.seen_entries) or None,
        "seen_for": state.seen_for,
        "next_check_at": save.next_check_at,
        "server_wait_until": None,  # the server answered: whatever wait it asked for is over
        "claimed_by_run": None,  # the claim, if any, ends with the check recorded
        "check_interval": save.check_interval.total_seconds() if save.check_interval else None,
        "consecutive_failures": 0,
        "last_error": save.warning,
        "last_error_at": now if save.warning else None,
        "last_ok_at": now,
        "first_ok_at": now,  # kept once set: the first success's
        "disabled": False,
        "disabled_reason": None,
    }
    if counts.new_documents or counts.new_mentions or counts.new_mentions_other_brands:
        values["last_new_at"] = now
    upsert_state(connection, source_id, brand_ref, values, kept=frozenset({"first_ok_at"}))
    connection.execute(
        _run_source_insert(),
        {
            "run_id": save.run_id,
            "source_id": source_id,
            "brand_id": brand_ref[0] if brand_ref else None,
            "items_fetched": len(save.items) if save.given is None else save.given,
            "new_documents": counts.new_documents,
            "new_mentions": counts.new_mentions,
            "new_mentions_other_brands": counts.new_mentions_other_brands,
            "not_modified": save.not_modified,
            "warning": save.warning,
            "duration_seconds": save.duration,
        },
    )


def record_failure(
    connection: Connection,
    run_id: int,
    source: str,
    brand: str | None,
    message: str,
    *,
    now: datetime,
    next_check_at: datetime,
    disable: bool,
    duration: float,
    server_wait_until: datetime | None = None,
) -> int:
    """Count one more failure for a source, optionally disable it; return the new count.

    ``server_wait_until``: the end of the wait the server asked for with this failure, if any
    (Retry-After, a rate limit's reset).
    """
    source_id = source_id_for(connection, source)
    brand_ref = (brand_id_for(connection, brand), brand) if brand is not None else None
    changes: dict[str, Any] = {
        "last_error": message,
        "last_error_at": now,
        "next_check_at": next_check_at,
        "server_wait_until": server_wait_until,
        "claimed_by_run": None,
    }
    if disable:
        changes.update(disabled=True, disabled_reason=message)
    failures = upsert_state(
        connection,
        source_id,
        brand_ref,
        dict(changes, consecutive_failures=1),
        incremented=frozenset({"consecutive_failures"}),
    )
    connection.execute(
        _run_source_insert(),
        {
            "run_id": run_id,
            "source_id": source_id,
            "brand_id": brand_ref[0] if brand_ref else None,
            "error": message,
            "duration_seconds": duration,
        },
    )
    return failures


def reset_states(connection: Connection, where: Any, *, keep_server_wait: bool = False) -> None:
    """Forget validators, moved URL, cursor and schedule of the matching source states.

    Their next successful collection counts as a first one: another address may bring another
    backlog. A wait a server asked for is forgotten too (the source may ask another server),
    unless ``keep_server_wait``.
    """
    kept = {} if keep_server_wait else {"server_wait_until": None}
    connection.execute(
        update(source_state_table)
        .where(where)
        .values(
            **kept,
            url=None,
            etag=None,
            last_modified=None,
            content_hash=None,
            cursor=None,
            next_check_at=None,
            check_interval=None,
            first_ok_at=None,
            consecutive_failures=0,
            disabled=False,
            disabled_reason=None,
        )
    )


def as_json(value: Any) -> Any:
    """Return a value as it comes back from a JSON column (tuples become lists…)."""
    return json.loads(json.dumps(value))
