"""Writes of a collection pass: idempotent saving of collected items, source state, failures.

Every function takes a connection already inside a transaction; the caller commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, insert, select, text, update

from veille.errors import StoreError
from veille.store.inserts import dialect_insert, insert_new_rows
from veille.store.lookups import (
    brand_id_for,
    brand_ids_by_name,
    chunked,
    one_of_parameter,
    source_id_for,
    source_ids_named,
)
from veille.store.schema import (
    document_table,
    mention_table,
    run_source_table,
    source_state_table,
)
from veille.store.specs import SaveCounts, StoredItem
from veille.store.visibility import writing_mentions
from veille.types import SourceState

# PostgreSQL refuses B-tree index entries above about 2.7 kB: longer identities are hashed
# (deterministically, so they still deduplicate) and longer canonical URLs are not indexed.
MAX_KEY_BYTES = 2000
# The first half of the two-number advisory lock keys taken on canonical URLs (PostgreSQL): a
# key space of their own, apart from the one-number keys of job and mention-write locks. The
# second half is a hash of the URL, or EVERY_URL for a lock on all of them.
CANONICAL_URL_LOCKS = int.from_bytes(
    hashlib.sha256(b"veille.store:canonical-url").digest()[:4], "big", signed=True
)
EVERY_URL = 0
# Past this many new URLs a save locks them all at once: PostgreSQL's lock table is small.
MAX_URL_LOCKS = 64


def identity_key(identity: str) -> str:
    """Return the identity as stored: itself, or a hash when too long to index."""
    if len(identity.encode()) <= MAX_KEY_BYTES:
        return identity
    return "long:" + hashlib.sha256(identity.encode()).hexdigest()


def canonical_key(canonical_url: str | None) -> str | None:
    """Return the canonical URL as stored: itself, or None when too long to index."""
    if canonical_url is None or len(canonical_url.encode()) > MAX_KEY_BYTES:
        return None
    return canonical_url


def _document_values(item: StoredItem, source_id: int, now: datetime) -> dict[str, Any]:
    doc, classification = item.document, item.classification
    return {
        "identity": identity_key(doc.identity),
        "canonical_url": canonical_key(doc.canonical_url),
        "url": doc.url,
        "title": doc.title,
        "text": doc.text,
        "author_name": doc.author_name,
        "author_handle": doc.author_handle,
        "author_url": doc.author_url,
        "platform": doc.platform,
        "site": doc.site,
        "source_id": source_id,
        "published_at": doc.published_at,
        "collected_at": now,
        "lang": classification.lang,
        "sentiment": classification.sentiment,
        "tone": classification.tone,
        "classifier_version": classification.version,
        "reach": doc.reach,
        "engagement": doc.engagement,
        "metrics": dict(doc.metrics) or None,
        "fingerprint": doc.fingerprint,
        "story_id": doc.fingerprint,  # until assign_stories finds the story it repeats
    }


# The statements of every write are built once per database dialect (see one_of_parameter).
@cache
def _ids_by_identity_query(dialect: str) -> Select[str, int]:
    return select(document_table.c.identity, document_table.c.id).where(
        one_of_parameter(dialect, document_table.c.identity, "values")
    )


@cache
def _ids_by_canonical_url_query(dialect: str) -> Select[str | None, int]:
    return select(document_table.c.canonical_url, document_table.c.id).where(
        one_of_parameter(dialect, document_table.c.canonical_url, "values")
    )


@cache
def _existing_mentions_query(dialect: str) -> Select[int, int]:
    return select(mention_table.c.document_id, mention_table.c.brand_id).where(
        one_of_parameter(dialect, mention_table.c.document_id, "values")
    )


def _ids_by_identity(connection: Connection, identities: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    query = _ids_by_identity_query(connection.dialect.name)
    for chunk in chunked(sorted(set(identities))):
        rows = connection.execute(query, {"values": list(chunk)}).all()
        found.update({identity: doc_id for identity, doc_id in rows})
    return found


def _ids_by_canonical_url(connection: Connection, urls: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    query = _ids_by_canonical_url_query(connection.dialect.name)
    for chunk in chunked(sorted(set(urls))):
        for url, doc_id in connection.execute(query, {"values": list(chunk)}).all():
            if url is None:
                continue
            # Several documents may share a canonical URL (from before it was known): oldest wins.
            found[url] = min(doc_id, found.get(url, doc_id))
    return found


def lock_canonical_urls(connection: Connection, urls: Iterable[str]) -> None:
    """Hold these canonical URLs until the transaction ends (PostgreSQL; SQLite has one writer).

    Two workers saving one story under two identities (one link, two feeds' GUIDs) would
    otherwise both find no document at that URL and both insert one; now the second waits for
    the first to commit, then finds its document. A save takes each URL's lock, with a shared
    lock on every URL first; a save of many URLs takes that one exclusively instead. Locks are
    taken in one order, so no two saves can each wait for the other.
    """
    if connection.dialect.name != "postgresql":
        return
    keys = sorted({_url_key(url) for url in urls})
    if not keys:
        return
    every = {"space": CANONICAL_URL_LOCKS, "key": EVERY_URL}
    if len(keys) > MAX_URL_LOCKS:
        connection.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"), every)
        return
    connection.execute(text("SELECT pg_advisory_xact_lock_shared(:space, :key)"), every)
    connection.execute(
        text("SELECT pg_advisory_xact_lock(:space, key) FROM unnest(:keys) AS key"),
        {"space": CANONICAL_URL_LOCKS, "keys": keys},
    )


def lock_for_saves(connection: Connection, items: Iterable[StoredItem]) -> None:
    """Take at once, in one order, the locks that saving all these items takes (PostgreSQL).

    Saves sharing a transaction would otherwise each take their own URLs' locks in turn: two
    workers' transactions could then each hold a URL the other waits for. Taken first, as one
    save takes them (the mention writes' lock, then every URL), a save inside finds them held.
    """
    if connection.dialect.name != "postgresql":
        return
    writing_mentions(connection)
    lock_canonical_urls(
        connection,
        filter(None, (canonical_key(item.document.canonical_url) for item in items)),
    )


def _url_key(url: str) -> int:
    """A URL's lock key: 32 bits of its hash, never EVERY_URL."""
    key = int.from_bytes(hashlib.sha256(url.encode()).digest()[:4], "big", signed=True)
    return key if key != EVERY_URL else EVERY_URL + 1


def upsert_documents(
    connection: Connection, source_id: int, items: Sequence[StoredItem], now: datetime
) -> tuple[list[int], int, frozenset[int]]:
    """Store the items' documents once each.

    Return each item's document id, how many documents are new, and the ids of those this
    transaction is known to have inserted itself (none when the driver does not say how many
    rows an insert of several stored): they cannot have a mention yet.
    """
    rows = [_document_values(item, source_id, now) for item in items]
    existing = _ids_by_identity(connection, (row["identity"] for row in rows))
    unknown = [row for row in rows if row["identity"] not in existing]
    lock_canonical_urls(
        connection, (row["canonical_url"] for row in unknown if row["canonical_url"])
    )
    by_url = _ids_by_canonical_url(
        connection, (row["canonical_url"] for row in unknown if row["canonical_url"])
    )
    # The identity each item resolves to: its own, or that of the first row with its canonical URL.
    resolved: dict[str, str] = {}
    pending: dict[str, dict[str, Any]] = {}
    pending_by_url: dict[str, str] = {}
    for row in unknown:
        identity, url = row["identity"], row["canonical_url"]
        if identity in resolved:
            continue
        if url is not None and url in by_url:
            existing[identity] = by_url[url]
        elif url is not None and url in pending_by_url:
            resolved[identity] = pending_by_url[url]
        else:
            pending[identity] = row
            resolved[identity] = identity
            if url is not None:
                pending_by_url[url] = identity
    if pending:
        # Imported here: story grouping needs the text normalisation, which commands that only
        # read the database never load.
        from veille.store.hashtags import save_hashtags
        from veille.store.stories import assign_stories, save_band_keys

        new_rows = list(pending.values())
        signatures = {identity_key(item.document.identity): item.story for item in items}
        known = [signatures.get(row["identity"]) for row in new_rows]
        band_keys = assign_stories(connection, new_rows, now, known)
        inserted = insert_new_rows(connection, document_table, ("identity",), new_rows)
        existing.update(_ids_by_identity(connection, pending))
        stored = zip(new_rows, band_keys, strict=True)
        save_band_keys(connection, {existing[row["identity"]]: keys for row, keys in stored}, now)
        texts = {
            existing[row["identity"]]: (row["title"] or "", row["text"] or "") for row in new_rows
        }
        save_hashtags(connection, texts)
    document_ids = [existing[resolved.get(row["identity"], row["identity"])] for row in rows]
    # Every pending row stored by this insert (SQLite says so; psycopg's several-row inserts
    # do not): otherwise another process may have stored one of them in the meantime.
    fresh = (
        frozenset(existing[identity] for identity in pending)
        if pending and inserted == len(pending)
        else frozenset()
    )
    # Exact unless another process stored one of these documents in the meantime.
    return document_ids, len(pending), fresh


def _existing_mentions(connection: Connection, document_ids: Iterable[int]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    query = _existing_mentions_query(connection.dialect.name)
    for chunk in chunked(sorted(set(document_ids))):
        rows = connection.execute(query, {"values": list(chunk)}).all()
        found.update((document_id, brand_id) for document_id, brand_id in rows)
    return found


def insert_mentions(
    connection: Connection,
    source_id: int,
    items: Sequence[StoredItem],
    document_ids: Sequence[int],
    now: datetime,
    *,
    fresh: frozenset[int] = frozenset(),
    brand_ids: Mapping[str, int] | None = None,
) -> int:
    """Insert the (document, brand) mentions not stored yet; return how many were new.

    ``fresh``: documents this transaction inserted, whose mentions need not be looked up;
    ``brand_ids``: every brand's id by name, when the caller has read them already.
    """
    if brand_ids is None:
        brand_ids = brand_ids_by_name(connection)
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for item, document_id in zip(items, document_ids, strict=True):
        for brand, match in item.matches:
            if not match.matched:
                continue
            brand_id = brand_ids.get(brand)
            if brand_id is None:
                raise StoreError(
                    f"mention of unknown brand {brand!r}",
                    hint="sync the configuration to the store before saving",
                )
            # The brand's own tone when it is scored on its sentences; NULL: the document's.
            brand_tone = item.brand_tones.get(brand)
            rows.setdefault(
                (document_id, brand_id),
                {
                    "document_id": document_id,
                    "brand_id": brand_id,
                    "source_id": source_id,
                    "matched_terms": list(match.terms),
                    "first_seen_at": now,
                    "sentiment": brand_tone.sentiment if brand_tone else None,
                    "tone": brand_tone.tone if brand_tone else None,
                },
            )
    stored_before = (document_id for document_id, _ in rows if document_id not in fresh)
    for pair in _existing_mentions(connection, stored_before):
        rows.pop(pair, None)
    if rows:
        # ON CONFLICT still guards against a concurrent writer storing the same mention.
        insert_new_rows(connection, mention_table, ("document_id", "brand_id"), list(rows.values()))
    return len(rows)


@cache
def _upsert_state_statement(
    dialect: str, columns: tuple[str, ...], incremented: frozenset[str]
) -> Any:
    """INSERT … ON CONFLICT DO UPDATE of one source state, built once per dialect and columns.

    On conflict each column takes the inserted value (``excluded``), those in ``incremented``
    their stored value plus one.
    """
    table = source_state_table
    keys = ("source_id", "brand_id", "brand_key", *columns)
    statement = dialect_insert(dialect, table).values({key: bindparam(key) for key in keys})
    on_conflict = {
        column: table.c[column] + 1 if column in incremented else statement.excluded[column]
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
) -> int:
    """Insert or update one source-state row; return its consecutive failure count.

    A new row takes ``values``; a stored one takes them too, except the ``incremented``
    columns, which count one more.
    """
    brand_id, brand_key = brand if brand is not None else (None, "")
    statement = _upsert_state_statement(connection.dialect.name, tuple(values), incremented)
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
    writing_mentions(connection)  # before any mention id is handed out
    source_id = known.sources.get(source) if known else None
    if source_id is None:
        source_id = source_id_for(connection, source)  # raises, naming the known sources
    brand_ref = None
    if brand is not None:
        brand_id = known.brands.get(brand) if known else None
        brand_ref = (brand_id if brand_id is not None else brand_id_for(connection, brand), brand)
    document_ids, new_documents, fresh = upsert_documents(connection, source_id, items, now)
    new_mentions = insert_mentions(
        connection, source_id, items, document_ids, now,
        fresh=fresh, brand_ids=known.brands if known else None,
    )  # fmt: skip
    values: dict[str, Any] = {
        "url": state.url,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "content_hash": state.content_hash,
        "cursor": state.cursor,
        "seen_entries": " ".join(state.seen_entries) or None,
        "seen_for": state.seen_for,
        "next_check_at": next_check_at,
        "check_interval": check_interval.total_seconds() if check_interval else None,
        "consecutive_failures": 0,
        "last_error": warning,
        "last_error_at": now if warning else None,
        "last_ok_at": now,
        "disabled": False,
        "disabled_reason": None,
    }
    if new_documents or new_mentions:
        values["last_new_at"] = now
    upsert_state(connection, source_id, brand_ref, values)
    connection.execute(
        _run_source_insert(),
        {
            "run_id": run_id,
            "source_id": source_id,
            "brand_id": brand_ref[0] if brand_ref else None,
            "items_fetched": len(items) if given is None else given,
            "new_documents": new_documents,
            "new_mentions": new_mentions,
            "not_modified": not_modified,
            "warning": warning,
            "duration_seconds": duration,
        },
    )
    return SaveCounts(items=len(items), new_documents=new_documents, new_mentions=new_mentions)


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
) -> int:
    """Count one more failure for a source, optionally disable it; return the new count."""
    source_id = source_id_for(connection, source)
    brand_ref = (brand_id_for(connection, brand), brand) if brand is not None else None
    changes: dict[str, Any] = {
        "last_error": message,
        "last_error_at": now,
        "next_check_at": next_check_at,
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


def reset_states(connection: Connection, where: Any) -> None:
    """Forget validators, moved URL, cursor and schedule of the matching source states."""
    connection.execute(
        update(source_state_table)
        .where(where)
        .values(
            url=None,
            etag=None,
            last_modified=None,
            content_hash=None,
            cursor=None,
            next_check_at=None,
            check_interval=None,
            consecutive_failures=0,
            disabled=False,
            disabled_reason=None,
        )
    )


def as_json(value: Any) -> Any:
    """Return a value as it comes back from a JSON column (tuples become lists…)."""
    return json.loads(json.dumps(value))
