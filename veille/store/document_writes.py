"""Documents and mentions of collected items, stored once each whichever source gives them.

Every function takes a connection already inside a transaction; the caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, bindparam, select, text

from veille.errors import StoreError
from veille.store.edits import (
    Edited,
    keep_earlier_tones,
    same_article,
    update_edited_documents,
    update_mentions,
)
from veille.store.inserts import insert_new_rows
from veille.store.lookups import brand_ids_by_name, one_of_parameter, rows_for
from veille.store.schema import document_table, mention_table
from veille.store.visibility import writing_mentions
from veille.types import StoredItem

if TYPE_CHECKING:
    from veille.normalize.story import StorySignature

# PostgreSQL refuses B-tree index entries above about 2.7 kB: longer identities are hashed
# (deterministically, so they still deduplicate) and longer canonical URLs are not indexed.
MAX_KEY_BYTES = 2000
# The first half of the two-number advisory lock keys taken on pages (PostgreSQL): a
# key space of their own, apart from the one-number keys of job and mention-write locks. The
# second half is a hash of the page key, or EVERY_URL for a lock on all of them.
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


def page_key(canonical_url: str | None) -> str | None:
    """The key under which a canonical URL's other spellings are found (``same_page_key``)."""
    stored = canonical_key(canonical_url)
    if stored is None:
        return None
    # Imported here: commands that only read the database never load the normalisation.
    from veille.normalize.urls import same_page_key

    return canonical_key(same_page_key(stored))


def document_values(item: StoredItem, source_id: int, now: datetime) -> dict[str, Any]:
    """The ``documents`` row of an item collected from a source at ``now``."""
    doc, classification = item.document, item.classification
    return {
        "identity": identity_key(doc.identity),
        "canonical_url": canonical_key(doc.canonical_url),
        "page_key": page_key(doc.canonical_url),
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
def _named_documents_query(dialect: str) -> Select[str, int, str | None, str | None, str]:
    return select(
        document_table.c.identity,
        document_table.c.id,
        document_table.c.page_key,
        document_table.c.site,
        document_table.c.title,
    ).where(one_of_parameter(dialect, document_table.c.identity, "values"))


@cache
def _documents_by_page_query(
    dialect: str,
) -> Select[str | None, int, str, int, str | None, str | None]:
    return select(
        document_table.c.page_key,
        document_table.c.id,
        document_table.c.identity,
        document_table.c.source_id,
        document_table.c.fingerprint,
        document_table.c.canonical_url,
    ).where(one_of_parameter(dialect, document_table.c.page_key, "values"))


@cache
def _existing_mentions_query(dialect: str) -> Select[int, int]:
    return select(mention_table.c.document_id, mention_table.c.brand_id).where(
        one_of_parameter(dialect, mention_table.c.document_id, "values")
    )


def _ids_by_identity(connection: Connection, identities: Iterable[str]) -> dict[str, int]:
    query = _ids_by_identity_query(connection.dialect.name)
    return {
        identity: doc_id for identity, doc_id in rows_for(connection, query, "values", identities)
    }


def _apart_from_other_articles(
    connection: Connection, rows: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rows, those holding another article's identity given their links'; the ids stored.

    The ids are those of the documents stored under the returned rows' identities.

    A row whose identity a stored document, or a row before it, holds at another page, without
    being its article (``same_article``: a feed giving one GUID to several articles over its
    passes), is identified by its link, as an item without a GUID is: it is stored apart, or
    met at its page, instead of rewriting the other.
    """
    query = _named_documents_query(connection.dialect.name)
    existing: dict[str, int] = {}
    held: dict[str, tuple[str | None, str | None, str]] = {}
    for identity, doc_id, page, site, title in rows_for(
        connection, query, "values", (row["identity"] for row in rows)
    ):
        existing[identity] = doc_id
        held[identity] = (page, site, title)
    apart: list[dict[str, Any]] = []
    given: set[str] = set()
    for row in rows:
        identity = row["identity"]
        holder = held.get(identity)
        if holder is None:
            held[identity] = (row["page_key"], row["site"], row["title"] or "")
        elif row["canonical_url"] is not None and not same_article(row, *holder):
            own = identity_key(f"url:{row['canonical_url']}")
            if own != identity:
                row = row | {"identity": own}
                given.add(own)
        apart.append(row)
    if given:
        existing.update(_ids_by_identity(connection, given - existing.keys()))
    return apart, existing


@dataclass(frozen=True, slots=True)
class _AtUrl:
    """A document (stored, or pending in this save) at a page (``page_key``)."""

    identity_or_id: str | int  # the pending row's identity, or the stored document's id
    identity: str
    source_id: int
    fingerprint: str | None
    canonical_url: str | None


def _documents_by_page(connection: Connection, pages: Iterable[str]) -> dict[str, list[_AtUrl]]:
    found: dict[str, list[_AtUrl]] = {}
    query = _documents_by_page_query(connection.dialect.name)
    for page, doc_id, identity, source_id, content, address in rows_for(
        connection, query, "values", pages
    ):
        if page is not None:
            found.setdefault(page, []).append(_AtUrl(doc_id, identity, source_id, content, address))
    for documents in found.values():
        # Several documents may be at one page: the oldest is the one merged into.
        documents.sort(key=lambda document: document.identity_or_id)
    return found


def _named(identity: str) -> bool:
    """Whether an identity is one its source gave (a GUID, a platform id), not the link's."""
    return identity.startswith(("guid:", "id:"))


def _same_item(row: dict[str, Any], documents: Iterable[_AtUrl]) -> _AtUrl | None:
    """The document at the row's page that the row is another sighting of, if any.

    Another source's item at that page is the same article (a feed and a search result, two
    feeds with their own GUIDs). One source's items that it names apart (GUIDs, post ids) at one
    URL are distinct (the entries of a live blog, press releases linking to one page, two posts
    sharing one link) unless their content is the same.
    """
    for document in documents:
        if (
            document.source_id != row["source_id"]
            or document.fingerprint == row["fingerprint"]
            or not (_named(document.identity) and _named(row["identity"]))
        ):
            return document
    return None


class _PlainerAddresses:
    """The documents that a later sighting gives a plainer address of their page.

    A page first seen at its AMP or mobile copy (a search engine's link) shows its own address
    once a sighting brings it (the publisher's feed): ``mirror_marks`` tells them apart.
    """

    def __init__(self) -> None:
        self._best: dict[str | int, tuple[int, str | None, str]] = {}

    def offer(self, document: _AtUrl, row: dict[str, Any]) -> None:
        """Note the row's address for the document it is another sighting of, if plainer."""
        # Imported here: commands that only read the database never load the normalisation.
        from veille.normalize.urls import mirror_marks

        offered, current = row["canonical_url"], document.canonical_url
        if offered is None or current is None:
            return
        best = self._best.get(document.identity_or_id)
        marks = mirror_marks(offered)
        if marks < (best[0] if best is not None else mirror_marks(current)):
            self._best[document.identity_or_id] = (marks, row["url"], offered)

    def save(self, connection: Connection, ids: Mapping[str, int]) -> None:
        """Give the documents their plainer addresses (pending ones named by identity)."""
        if not self._best:
            return
        connection.execute(
            document_table.update()
            .where(document_table.c.id == bindparam("document_id"))
            .values(url=bindparam("new_url"), canonical_url=bindparam("new_canonical_url")),
            [
                {
                    "document_id": key if isinstance(key, int) else ids[key],
                    "new_url": url,
                    "new_canonical_url": canonical,
                }
                for key, (_, url, canonical) in self._best.items()
            ],
        )


def lock_pages(connection: Connection, pages: Iterable[str]) -> None:
    """Hold these pages (``page_key``) until the transaction ends (PostgreSQL; SQLite: one writer).

    Two workers saving one story under two identities (one link, two feeds' GUIDs) would
    otherwise both find no document at that URL and both insert one; now the second waits for
    the first to commit, then finds its document. A save takes each URL's lock, with a shared
    lock on every URL first; a save of many URLs takes that one exclusively instead. Locks are
    taken in one order, so no two saves can each wait for the other.
    """
    if connection.dialect.name != "postgresql":
        return
    keys = sorted({_lock_key(page) for page in pages})
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
    lock_pages(connection, filter(None, (page_key(item.document.canonical_url) for item in items)))


def _lock_key(page: str) -> int:
    """A page's lock key: 32 bits of its hash, never EVERY_URL."""
    key = int.from_bytes(hashlib.sha256(page.encode()).digest()[:4], "big", signed=True)
    return key if key != EVERY_URL else EVERY_URL + 1


@dataclass(frozen=True)
class StoredDocuments:
    """Where ``upsert_documents`` put its rows."""

    document_ids: list[int]  # each row's document
    new_rows: list[int]  # the indices of the rows whose document is new (the first row of each)
    # The documents this transaction is known to have inserted itself (none when the driver does
    # not say how many rows an insert of several stored): they cannot have a mention yet.
    fresh: frozenset[int]
    edited: Edited  # stored documents rewritten by their source's edit, their tone before


def upsert_documents(
    connection: Connection,
    rows: Sequence[dict[str, Any]],
    stories: Sequence[StorySignature | None],
    editable: Sequence[bool] | None = None,
) -> StoredDocuments:
    """Store the documents of these rows (``document_values``) once each, in order.

    ``stories`` gives each row's story signature when it is known already. A row naming a
    stored document by its own identity, from that document's source and with another content,
    rewrites it (``update_edited_documents``) when ``editable`` says so (every row by default),
    unless it is another article (``same_article``): that is stored apart.
    """
    rows, existing = _apart_from_other_articles(connection, rows)
    edits = rows if editable is None else [r for r, ok in zip(rows, editable, strict=True) if ok]
    edited = update_edited_documents(connection, edits, existing)
    unknown = [index for index, row in enumerate(rows) if row["identity"] not in existing]
    new_pages = [rows[index]["page_key"] for index in unknown if rows[index]["page_key"]]
    lock_pages(connection, new_pages)
    by_page = _documents_by_page(connection, new_pages)
    # The identity each row resolves to: its own, or that of a row before it at its page that it
    # is another sighting of.
    resolved: dict[str, str] = {}
    pending: dict[str, int] = {}  # identity → the index of the row inserted for it
    pending_by_page: dict[str, list[_AtUrl]] = {}
    plainer = _PlainerAddresses()
    for index in unknown:
        row = rows[index]
        identity, url = row["identity"], row["page_key"]
        if identity in resolved or identity in existing:
            continue
        stored = _same_item(row, by_page.get(url, ())) if url is not None else None
        earlier = _same_item(row, pending_by_page.get(url, ())) if url is not None else None
        if stored is not None:
            existing[identity] = int(stored.identity_or_id)
            plainer.offer(stored, row)
        elif earlier is not None:
            resolved[identity] = str(earlier.identity_or_id)
            plainer.offer(earlier, row)
        else:
            pending[identity] = index
            resolved[identity] = identity
            if url is not None:
                at_url = _AtUrl(
                    identity, identity, row["source_id"], row["fingerprint"], row["canonical_url"]
                )
                pending_by_page.setdefault(url, []).append(at_url)
    if pending:
        # Imported here: story grouping needs the text normalisation, which commands that only
        # read the database never load.
        from veille.store.hashtags import save_hashtags
        from veille.store.stories import assign_stories, save_band_keys

        new_rows = [rows[index] for index in pending.values()]
        known = [stories[index] for index in pending.values()]
        earliest = min(row["collected_at"] for row in new_rows)
        band_keys = assign_stories(connection, new_rows, earliest, known)
        inserted = insert_new_rows(connection, document_table, ("identity",), new_rows)
        existing.update(_ids_by_identity(connection, pending))
        save_band_keys(connection, [
            (existing[row["identity"]], keys, row["collected_at"])
            for row, keys in zip(new_rows, band_keys, strict=True)
        ])  # fmt: skip
        texts = {
            existing[row["identity"]]: (row["title"] or "", row["text"] or "") for row in new_rows
        }
        save_hashtags(connection, texts)
    plainer.save(connection, existing)
    document_ids = [existing[resolved.get(row["identity"], row["identity"])] for row in rows]
    # Every pending row stored by this insert (SQLite says so; psycopg's several-row inserts
    # do not): otherwise another process may have stored one of them in the meantime.
    fresh = (
        frozenset(existing[identity] for identity in pending)
        if pending and inserted == len(pending)
        else frozenset()
    )
    # Exact unless another process stored one of these documents in the meantime.
    return StoredDocuments(document_ids, list(pending.values()), fresh, edited)


def _existing_mentions(connection: Connection, document_ids: Iterable[int]) -> set[tuple[int, int]]:
    query = _existing_mentions_query(connection.dialect.name)
    return {
        (document_id, brand_id)
        for document_id, brand_id in rows_for(connection, query, "values", document_ids)
    }


@dataclass(frozen=True)
class MentionOf:
    """A stored item's document, with the source and time it was collected from and at, and
    whether that collection was the source's first successful one (its backlog)."""

    item: StoredItem
    document_id: int
    source_id: int
    collected_at: datetime
    backlog: bool = False


def insert_mentions(
    connection: Connection,
    collected: Sequence[MentionOf],
    *,
    fresh: frozenset[int] = frozenset(),
    edited: Edited | None = None,
    brand_ids: Mapping[str, int] | None = None,
) -> list[tuple[int, str]]:
    """Insert the (document, brand) mentions not stored yet; return their items and brands.

    One (index, brand name) per new mention, the index that of the first item giving it.
    ``fresh``: documents this transaction inserted, whose mentions need not be looked up;
    ``edited``: documents rewritten by an edit, whose stored mentions take the new terms and
    tone; ``brand_ids``: every brand's id by name, when the caller has read them already.
    """
    if brand_ids is None:
        brand_ids = brand_ids_by_name(connection)
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    given_by: dict[tuple[int, int], tuple[int, str]] = {}
    for index, mention in enumerate(collected):
        document_id, item = mention.document_id, mention.item
        for brand, match in item.matches:
            if not match.matched:
                continue
            brand_id = brand_ids.get(brand)
            if brand_id is None:
                raise StoreError(
                    f"mention of unknown brand {brand!r}",
                    hint="sync the configuration to the store before saving",
                )
            if (document_id, brand_id) in rows:
                continue
            # The brand's own tone when it is scored on its sentences; NULL: the document's.
            brand_tone = item.brand_tones.get(brand)
            rows[(document_id, brand_id)] = {
                "document_id": document_id,
                "brand_id": brand_id,
                "source_id": mention.source_id,
                "matched_terms": list(match.terms),
                "first_seen_at": mention.collected_at,
                "backlog": True if mention.backlog else None,
                "sentiment": brand_tone.sentiment if brand_tone else None,
                "tone": brand_tone.tone if brand_tone else None,
            }
            given_by[(document_id, brand_id)] = (index, brand)
    stored_before = (document_id for document_id, _ in rows if document_id not in fresh)
    edited = edited or {}
    updated, unnamed = [], []
    for pair in _existing_mentions(connection, stored_before):
        row = rows.pop(pair, None)
        if pair[0] in edited:
            if row is not None:
                updated.append(row)
            else:
                unnamed.append(pair)
    update_mentions(connection, updated)
    keep_earlier_tones(connection, unnamed, edited)
    if rows:
        # ON CONFLICT still guards against a concurrent writer storing the same mention.
        insert_new_rows(connection, mention_table, ("document_id", "brand_id"), list(rows.values()))
    return [given_by[pair] for pair in rows]
