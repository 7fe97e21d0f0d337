"""Story ids at write time: a new document joins the story of the recent document it repeats.

``assign_stories`` runs inside the transaction that stores new documents. A document takes the
story of the oldest stored document with its fingerprint (an exact copy, however old); else of
the most similar document collected in the last ``WINDOW`` that shares one of its band keys and
is similar enough (``veille/normalize/story.py``), among the ``MAX_COMPARED`` sharing the most
keys; documents of the same batch are compared with the ones before them too. Otherwise its
story id is its own fingerprint. The result depends only on what is stored and on the batch
order, so storing the same items again changes nothing.

Several workers: two transactions storing near-copies at the same moment do not see each other
and may start two stories; each later copy then joins one of them. This is accepted: it costs a
duplicate line in a digest, never a lost mention, and avoids a lock on every write.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from veille.normalize.story import SAME_STORY, story_features, story_signature, story_similarity
from veille.store.lookups import chunked, one_of
from veille.store.schema import DocumentRow, StoryBandRow

# How far back a new document looks for the story it repeats (by collection time).
WINDOW = timedelta(days=14)
# At most this many documents are compared with a new one: those sharing the most band keys,
# which are the most similar ones (items of one brand or one template share a few keys often).
MAX_COMPARED = 8
# Of the documents holding one band key, only the most recent are read: a key held by
# hundreds is a common pattern, not a story, and reading them all made each pass slower as
# the database grew.
HOLDERS_PER_KEY = 32


@dataclass
class _Candidate:
    """A document a new one may repeat, and where it ranks among equals (stored first, oldest)."""

    order: tuple[int, int]
    story_id: str
    features: Mapping[str, int] | None = None
    fingerprint: str | None = None  # of a stored document: the key of its cached features


# Features are a function of a document's title and text, which its fingerprint hashes: they
# are computed once per process for a stored document, however many new items meet it.
_FEATURES_BY_FINGERPRINT: OrderedDict[str, Mapping[str, int]] = OrderedDict()
_FEATURES_CACHED = 20_000


def _exact_copies(connection: Connection, fingerprints: Sequence[str]) -> dict[str, str]:
    """The story of the oldest stored document with each fingerprint."""
    stories: dict[str, str] = {}
    for chunk in chunked(sorted(set(fingerprints))):
        query = (
            select(DocumentRow.fingerprint, DocumentRow.story_id)
            .where(one_of(connection, DocumentRow.fingerprint, chunk))
            .order_by(DocumentRow.id.desc())
        )
        # Newest first, so that the oldest document's story is the one left in the dict.
        stories.update({fingerprint: story for fingerprint, story in connection.execute(query)})
    return stories


def _holders(
    connection: Connection, keys: Sequence[int], since: datetime
) -> tuple[dict[int, _Candidate], dict[int, list[int]]]:
    """The recent stored documents holding each band key (their features not read yet)."""
    candidates: dict[int, _Candidate] = {}
    holders: dict[int, list[int]] = {}
    for chunk in chunked(sorted(set(keys))):
        recent_first = func.row_number().over(
            partition_by=StoryBandRow.band_key, order_by=StoryBandRow.document_id.desc()
        )
        ranked = (
            select(
                StoryBandRow.band_key,
                DocumentRow.id,
                DocumentRow.story_id,
                DocumentRow.fingerprint,
                recent_first.label("recency"),
            )
            .join(DocumentRow, DocumentRow.id == StoryBandRow.document_id)
            .where(one_of(connection, StoryBandRow.band_key, chunk))
            .where(DocumentRow.collected_at >= since)
            .subquery()
        )
        query = select(
            ranked.c.band_key, ranked.c.id, ranked.c.story_id, ranked.c.fingerprint
        ).where(ranked.c.recency <= HOLDERS_PER_KEY)
        for key, document_id, story_id, fingerprint in connection.execute(query):
            holders.setdefault(key, []).append(document_id)
            candidates.setdefault(
                document_id, _Candidate((0, document_id), story_id, fingerprint=fingerprint)
            )
    return candidates, holders


def _read_features(connection: Connection, candidates: Sequence[_Candidate]) -> None:
    """Fill in the features of the stored candidates that will be compared."""
    wanted: dict[int, _Candidate] = {}
    for candidate in candidates:
        if candidate.features is None and candidate.fingerprint is not None:
            candidate.features = _FEATURES_BY_FINGERPRINT.get(candidate.fingerprint)
        if candidate.features is None:
            wanted[candidate.order[1]] = candidate
    for chunk in chunked(sorted(wanted)):
        query = select(DocumentRow.id, DocumentRow.title, DocumentRow.text).where(
            one_of(connection, DocumentRow.id, chunk)
        )
        for document_id, title, text in connection.execute(query):
            candidate = wanted[document_id]
            candidate.features = story_features(title or "", text or "")
            if candidate.fingerprint is not None:
                _FEATURES_BY_FINGERPRINT[candidate.fingerprint] = candidate.features
    while len(_FEATURES_BY_FINGERPRINT) > _FEATURES_CACHED:
        _FEATURES_BY_FINGERPRINT.popitem(last=False)


def _most_shared(keys: Sequence[int], holders: Mapping[int, list[int]]) -> list[int]:
    """The ``MAX_COMPARED`` holders sharing the most keys (the earliest among equals)."""
    shared = Counter(holder for key in dict.fromkeys(keys) for holder in holders.get(key, ()))
    ranked = sorted(shared.items(), key=lambda item: (-item[1], item[0]))
    return [holder for holder, _ in ranked[:MAX_COMPARED]]


def assign_stories(
    connection: Connection, rows: Sequence[dict[str, Any]], now: datetime
) -> list[tuple[int, ...]]:
    """Set the ``story_id`` of new document rows, in order; return each row's band keys.

    ``rows`` are document values about to be inserted (``title``, ``text``, ``fingerprint``).
    """
    signatures = [story_signature(row["title"], row["text"]) for row in rows]
    exact = _exact_copies(connection, [row["fingerprint"] for row in rows])
    keys = [key for signature in signatures for key in signature.bands]
    stored, stored_holders = _holders(connection, keys, now - WINDOW)
    compared = [
        [stored[holder] for holder in _most_shared(signature.bands, stored_holders)]
        for signature in signatures
    ]
    _read_features(connection, [candidate for group in compared for candidate in group])
    batch: list[_Candidate] = []
    batch_holders: dict[int, list[int]] = {}
    for index, (row, signature) in enumerate(zip(rows, signatures, strict=True)):
        story = exact.get(row["fingerprint"])
        if story is None:
            earlier = [batch[i] for i in _most_shared(signature.bands, batch_holders)]
            story = _most_similar(signature.features, [*compared[index], *earlier])
        row["story_id"] = story or row["fingerprint"]
        batch.append(_Candidate((1, index), row["story_id"], signature.features))
        for key in signature.bands:
            batch_holders.setdefault(key, []).append(index)
    return [signature.bands for signature in signatures]


def _most_similar(features: Mapping[str, int], candidates: Sequence[_Candidate]) -> str | None:
    """The story of the most similar candidate, if similar enough (the earliest among equals)."""
    best: tuple[float, int, int] | None = None
    story = None
    for candidate in candidates:
        score = story_similarity(features, candidate.features or {})
        # Higher similarity wins; among equals the earlier candidate (stored, older) wins.
        rank = (score, -candidate.order[0], -candidate.order[1])
        if score >= SAME_STORY and (best is None or rank > best):
            best, story = rank, candidate.story_id
    return story


def save_band_keys(connection: Connection, keys_by_document: Mapping[int, Sequence[int]]) -> None:
    """Store the band keys of newly stored documents (keys already stored are kept)."""
    # Imported here: veille.store.writes imports this module.
    from veille.store.writes import upsert_insert

    values = [
        {"document_id": document_id, "band_key": key}
        for document_id, keys in keys_by_document.items()
        for key in dict.fromkeys(keys)
    ]
    if values:
        statement = upsert_insert(connection, StoryBandRow).on_conflict_do_nothing(
            index_elements=["document_id", "band_key"]
        )
        connection.execute(statement, values)
