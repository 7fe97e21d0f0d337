"""Story ids at write time: a new document joins the story of the recent document it repeats.

``assign_stories`` runs inside the transaction that stores new documents. A document takes the
story of the oldest document before it with its fingerprint (an exact copy, however old); else
of the most similar document collected in the last ``WINDOW`` that shares one of its band keys
and is similar enough (``veille/normalize/story.py``: on their titles alone when one of the two
has no text), among the ``MAX_COMPARED`` sharing the most keys. Documents before it are those
stored and those earlier in its batch, taken alike: the result depends only on what is stored
and on the order of the documents, not on how they are split into batches, and storing the same
items again changes nothing.

Several workers: two transactions storing near-copies at the same moment do not see each other
and may start two stories; each later copy then joins one of them. This is accepted: it costs a
duplicate line in a digest, never a lost mention, and avoids a lock on every write.
"""

from __future__ import annotations

import sys
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Select,
    Text,
    TextualSelect,
    select,
    text,
)

from veille.normalize.story import (
    MIN_SHARED,
    SAME_STORY,
    StoryDocument,
    StorySignature,
    compared_features,
    kept_apart,
    shared_weight,
    similarity_of_weights,
    story_document,
    story_signature,
)
from veille.store.inserts import insert_new_rows
from veille.store.lookups import chunked, one_of_parameter, rows_for
from veille.store.schema import document_table, story_band_table

# How far back a new document looks for the story it repeats (by collection time).
WINDOW = timedelta(days=14)
# At most this many documents are compared with a new one: those sharing the most band keys,
# which are the most similar ones (items of one brand or one template share a few keys often).
MAX_COMPARED = 8
# Of the documents holding one band key, only the most recent are read: a key held by
# hundreds is a common pattern, not a story, and reading them all made each pass slower as
# the database grew.
HOLDERS_PER_KEY = 32


@dataclass(slots=True)
class _Candidate:
    """A document a new one may repeat, and where it ranks among equals (stored first, oldest)."""

    order: tuple[int, int]
    story_id: str
    document: StoryDocument | None = None
    fingerprint: str | None = None  # of a stored document: the key of its cached features
    weight: int = 0  # the total weight of its features, once they are known
    title_weight: int = 0  # and of its title's


def _candidate(order: tuple[int, int], story_id: str, document: StoryDocument) -> _Candidate:
    """A candidate whose features are known, with their weights."""
    candidate = _Candidate(order, story_id, document)
    _weigh(candidate)
    return candidate


def _weigh(candidate: _Candidate) -> None:
    document = candidate.document
    if document is None:
        candidate.weight = candidate.title_weight = 0
        return
    candidate.weight = sum(document.features.values())
    candidate.title_weight = (
        candidate.weight if document.title is document.features else sum(document.title.values())
    )


# Features are a function of a document's title and text, which its fingerprint hashes: they
# are computed once per process for a stored document, however many new items meet it (those
# this process stores are remembered as they are stored).
_FEATURES_BY_FINGERPRINT: OrderedDict[str, StoryDocument] = OrderedDict()
# About 2 kB each, their words shared: a few days of a busy configuration's documents, 16 MB at
# most.
_FEATURES_CACHED = 8_192


# The statements are built once per database dialect: building and hashing a statement's
# expression costs more than running it on the few rows of a batch.
@cache
def _exact_copies_query(dialect: str) -> Select[str, str]:
    # Newest first, so that the oldest document's story is the one kept.
    return (
        select(document_table.c.fingerprint, document_table.c.story_id)
        .where(one_of_parameter(dialect, document_table.c.fingerprint, "fingerprints"))
        .order_by(document_table.c.id.desc())
    )


# A key's most recent recent-enough holders, read from the end of its range of the (band key,
# document id, collection time) index, stopping after ``per_key`` (migrations 0009 and 0013):
# the cost does not grow with how many older documents hold the key, and no document row is
# read. One lateral subquery per key on PostgreSQL; on SQLite, which has no LATERAL, one
# limited subquery per key joined by UNION ALL, each giving one row: the key and its holders'
# ids joined by commas (NULL when it has none), as building a Python row per holder cost more
# than SQLite's reading of them.
_PG_HOLDERS = """
SELECT keys.key, holder.document_id
FROM unnest(CAST(:keys AS BIGINT[])) AS keys(key)
CROSS JOIN LATERAL (
    SELECT story_bands.document_id FROM story_bands
    WHERE story_bands.band_key = keys.key AND story_bands.collected_us >= :since_us
    ORDER BY story_bands.document_id DESC LIMIT :per_key
) AS holder
"""
_SQLITE_HOLDER = """
SELECT band_key, group_concat(document_id) FROM (
    SELECT story_bands.band_key, story_bands.document_id FROM story_bands
    WHERE story_bands.band_key = :key_{index} AND story_bands.collected_us >= :since_us
    ORDER BY story_bands.document_id DESC LIMIT :per_key
)"""
# Well under SQLite's limit of 500 terms in a compound statement.
_SQLITE_KEYS_PER_STATEMENT = 200
# Past a few keys, a statement has room for a multiple of this many, the rest NULL (which no
# band key equals): a few dozen statements in all, each built, compiled and prepared by SQLite
# once per process, instead of one per count of keys.
_SQLITE_KEYS_STEP = 8


@cache
def _holders_query(dialect: str, keys: int) -> TextualSelect:
    """The holders statement, for ``keys`` keys on SQLite (any number on PostgreSQL)."""
    if dialect == "postgresql":
        return text(_PG_HOLDERS).columns(band_key=BigInteger, document_id=Integer)
    sql = " UNION ALL ".join(_SQLITE_HOLDER.format(index=index) for index in range(keys))
    return text(sql).columns(band_key=BigInteger, document_ids=Text)


_SQLITE_KEY_NAMES = tuple(f"key_{index}" for index in range(_SQLITE_KEYS_PER_STATEMENT))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def microseconds(when: datetime) -> int:
    """``when`` (timezone-aware) in microseconds since 1970 UTC: ``story_bands.collected_us``."""
    return (when - _EPOCH) // _MICROSECOND


@cache
def _candidates_query(dialect: str) -> Select[int, str, str]:
    return select(
        document_table.c.id, document_table.c.story_id, document_table.c.fingerprint
    ).where(one_of_parameter(dialect, document_table.c.id, "ids"))


@cache
def _texts_query(dialect: str) -> Select[int, str, str]:
    return select(document_table.c.id, document_table.c.title, document_table.c.text).where(
        one_of_parameter(dialect, document_table.c.id, "ids")
    )


def _exact_copies(connection: Connection, fingerprints: Sequence[str]) -> dict[str, str]:
    """The story of the oldest stored document with each fingerprint."""
    query = _exact_copies_query(connection.dialect.name)
    return {
        fingerprint: story
        for fingerprint, story in rows_for(connection, query, "fingerprints", fingerprints)
    }


def _holders(connection: Connection, keys: Sequence[int], since: datetime) -> dict[int, list[int]]:
    """The ids of the recent stored documents holding each band key (the most recent ones)."""
    unique = sorted(set(keys))
    if connection.dialect.name == "postgresql":
        holders: defaultdict[int, list[int]] = defaultdict(list)
        if unique:
            values = {"since_us": microseconds(since), "per_key": HOLDERS_PER_KEY, "keys": unique}
            for key, document_id in connection.execute(_holders_query("postgresql", 0), values):
                holders[key].append(document_id)
        return holders
    found: dict[int, list[int]] = {}
    parameters = {"since_us": microseconds(since), "per_key": HOLDERS_PER_KEY}
    for chunk in chunked(unique, _SQLITE_KEYS_PER_STATEMENT):
        size = len(chunk)
        if size > _SQLITE_KEYS_STEP:
            size = -(-size // _SQLITE_KEYS_STEP) * _SQLITE_KEYS_STEP
        padded = [*chunk, *[None] * (size - len(chunk))]
        values = {**parameters, **dict(zip(_SQLITE_KEY_NAMES, padded, strict=False))}
        for key, document_ids in connection.execute(_holders_query("sqlite", size), values).all():
            if document_ids is not None:
                found[key] = list(map(int, document_ids.split(",")))
    return found


def _stored_candidates(
    connection: Connection, document_ids: Sequence[int]
) -> dict[int, _Candidate]:
    """The stored documents that will be compared, with their features."""
    candidates: dict[int, _Candidate] = {}
    query = _candidates_query(connection.dialect.name)
    for document_id, story_id, fingerprint in rows_for(connection, query, "ids", document_ids):
        candidates[document_id] = _Candidate((0, document_id), story_id, fingerprint=fingerprint)
    _read_features(connection, list(candidates.values()))
    return candidates


def _read_features(connection: Connection, candidates: Sequence[_Candidate]) -> None:
    """Fill in the features of the stored candidates that will be compared."""
    wanted: dict[int, _Candidate] = {}
    for candidate in candidates:
        if candidate.document is None and candidate.fingerprint is not None:
            candidate.document = _FEATURES_BY_FINGERPRINT.get(candidate.fingerprint)
        if candidate.document is None:
            wanted[candidate.order[1]] = candidate
    query = _texts_query(connection.dialect.name)
    for document_id, title, body in rows_for(connection, query, "ids", wanted):
        candidate = wanted[document_id]
        candidate.document = story_document(title or "", body or "")
        if candidate.fingerprint is not None:
            _remember_features(candidate.fingerprint, candidate.document)
    _forget_oldest_features()
    for candidate in candidates:
        _weigh(candidate)


def _remember_features(fingerprint: str, document: StoryDocument) -> None:
    # One string per word for all the cached documents: the words of features that came from
    # a processing worker are each a copy of their own, which doubled the cache's memory.
    features = {sys.intern(word): n for word, n in document.features.items()}
    title = (
        features
        if document.title is document.features
        else {sys.intern(word): n for word, n in document.title.items()}
    )
    _FEATURES_BY_FINGERPRINT[fingerprint] = StoryDocument(
        features, title, document.has_text, document.numbers, document.headline
    )


def _forget_oldest_features() -> None:
    while len(_FEATURES_BY_FINGERPRINT) > _FEATURES_CACHED:
        _FEATURES_BY_FINGERPRINT.popitem(last=False)


def _most_shared(
    keys: Sequence[int],
    earlier: Mapping[int, list[int]],
    stored: Mapping[int, list[int]],
    stored_ids: Mapping[int, int],
) -> list[int]:
    """The ``MAX_COMPARED`` documents before one sharing the most of its keys (oldest first).

    A document is compared with the ``HOLDERS_PER_KEY`` most recent holders of each of its
    keys before it: those earlier in the batch (``earlier``: their positions, oldest first),
    then the stored ones (``stored``: their ids, newest first). Candidates are positions in
    the batch, stored documents' positions being given by ``stored_ids`` (before the batch's,
    in id order): the choice depends on the order of the documents alone, not on which were
    stored by an earlier transaction and which come with this one.
    """
    shared: Counter[int] = Counter()
    for key in dict.fromkeys(keys):
        recent = earlier.get(key, ())[-HOLDERS_PER_KEY:]
        shared.update(recent)
        room = HOLDERS_PER_KEY - len(recent)
        if room > 0:
            shared.update(stored_ids[i] for i in stored.get(key, ())[:room])
    # Two stable sorts on plain keys: by position, then by count (the earliest among equals).
    ranked = sorted(shared)
    ranked.sort(key=shared.__getitem__, reverse=True)
    return ranked[:MAX_COMPARED]


def assign_stories(
    connection: Connection,
    rows: Sequence[dict[str, Any]],
    now: datetime,
    known: Sequence[StorySignature | None] = (),
) -> list[tuple[int, ...]]:
    """Set the ``story_id`` of new document rows, in order; return each row's band keys.

    ``rows`` are document values about to be inserted (``title``, ``text``, ``fingerprint``);
    ``known`` may give the story signature of some of them, already computed (in row order).
    Stored documents are searched back ``WINDOW`` from ``now``, the rows' earliest collection.
    A row is compared with the documents before it, stored or earlier among the rows, alike:
    the stories are those of saving the rows one at a time, whichever rows share a call.
    """
    known = list(known) + [None] * (len(rows) - len(known))
    signatures = [
        signature or story_signature(row["title"], row["text"])
        for row, signature in zip(rows, known, strict=True)
    ]
    exact = _exact_copies(connection, [row["fingerprint"] for row in rows])
    # A copy of a document before it takes that one's story: its keys need not be looked up.
    first_with: dict[str, int] = {}
    copy_of: list[int | None] = []
    for index, row in enumerate(rows):
        copy_of.append(first_with.get(row["fingerprint"]))
        first_with.setdefault(row["fingerprint"], index)
    searched = [
        row["fingerprint"] not in exact and copy is None
        for row, copy in zip(rows, copy_of, strict=True)
    ]
    keys = [
        key
        for signature, wanted in zip(signatures, searched, strict=True)
        if wanted
        for key in signature.bands
    ]
    stored_holders = _holders(connection, keys, now - WINDOW) if keys else {}
    # Stored documents come before the rows: negative positions, in id order.
    held = sorted({i for ids in stored_holders.values() for i in ids})
    stored_ids = {document_id: place - len(held) for place, document_id in enumerate(held)}
    compared: list[list[int]] = []
    earlier: dict[int, list[int]] = {}
    for index, (signature, wanted) in enumerate(zip(signatures, searched, strict=True)):
        compared.append(
            _most_shared(signature.bands, earlier, stored_holders, stored_ids) if wanted else []
        )
        for key in dict.fromkeys(signature.bands):
            earlier.setdefault(key, []).append(index)
    by_place = {place: document_id for document_id, place in stored_ids.items()}
    stored = _stored_candidates(
        connection, [by_place[place] for found in compared for place in found if place < 0]
    )
    batch: list[_Candidate] = []
    for index, (row, signature) in enumerate(zip(rows, signatures, strict=True)):
        new = _candidate((1, index), "", signature.document)
        story = exact.get(row["fingerprint"])
        copy = copy_of[index]
        if story is None and copy is not None:
            story = batch[copy].story_id
        if story is None:
            candidates = [
                batch[place] if place >= 0 else stored[by_place[place]]
                for place in compared[index]
                if place >= 0 or by_place[place] in stored
            ]
            story = _most_similar(new, candidates)
        row["story_id"] = new.story_id = story or row["fingerprint"]
        _remember_features(row["fingerprint"], signature.document)
        batch.append(new)
    _forget_oldest_features()
    return [signature.bands for signature in signatures]


def _most_similar(new: _Candidate, candidates: Sequence[_Candidate]) -> str | None:
    """The story of the candidate most similar to ``new``, if similar enough (the earliest among
    equals); both compared as ``document_similarity`` compares them."""
    best: tuple[float, int, int] | None = None
    story = None
    document = new.document
    if document is None:
        return None
    for candidate in candidates:
        other = candidate.document
        if other is None:
            continue
        if document.has_text and other.has_text:
            weight, other_weight = new.weight, candidate.weight
        else:
            weight, other_weight = new.title_weight, candidate.title_weight
        # The similarity is at most the lighter weight over the heavier (0 below MIN_SHARED): a
        # candidate whose bound is under the threshold or the best score so far cannot win.
        lighter, heavier = sorted((weight, other_weight))
        bound = lighter / heavier if heavier and lighter >= MIN_SHARED else 0.0
        if bound < SAME_STORY or (best is not None and bound < best[0]):
            continue
        shared = shared_weight(*compared_features(document, other))
        score = similarity_of_weights(shared, weight, other_weight) if shared >= MIN_SHARED else 0.0
        if score >= SAME_STORY and kept_apart(document, other):
            score = 0.0
        # Higher similarity wins; among equals the earlier candidate (stored, older) wins.
        rank = (score, -candidate.order[0], -candidate.order[1])
        if score >= SAME_STORY and (best is None or rank > best):
            best, story = rank, candidate.story_id
    return story


def save_band_keys(
    connection: Connection, band_keys: Sequence[tuple[int, Sequence[int], datetime]]
) -> None:
    """Store the band keys of newly stored documents, given as (document id, keys, collected at).

    Stored keys are kept.
    """
    values: list[dict[str, int]] = []
    for document_id, keys, collected_at in band_keys:
        collected_us = microseconds(collected_at)
        values.extend(
            {"document_id": document_id, "band_key": key, "collected_us": collected_us}
            for key in dict.fromkeys(keys)
        )
    if values:
        insert_new_rows(connection, story_band_table, ("document_id", "band_key"), values)
