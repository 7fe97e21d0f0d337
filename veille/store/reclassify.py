"""Reads and writes of ``veille reclassify``: stored documents to re-score, and their new scores.

Documents are read in id order after the last one done (keyset), a batch at a time, and each
batch's scores are written in one short transaction of their own, so that a collecting pass
running meanwhile waits for no more than one batch's update. The classifier version written
with the scores marks the batch done: a run that stops half-way leaves the finished batches
out of the next one.

On PostgreSQL the full-text ``search_vector`` is a generated column whose text search
configuration follows the language (migration 0005): the database recomputes it with every
update of ``lang``. The SQLite FTS5 index holds only title and text, which are never changed
here.

Each document comes with its mentions, and its new scores with those of its mentions (the tone
of the sentences naming a brand scored that way; NULL for the others): both are written in the
batch's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, bindparam, exists, func, select, update

from veille.store.queries import mention_time
from veille.store.schema import brand_table, document_table, mention_table

# The classifier version of a document marked for re-scoring by ``reclassify --all`` begins with
# this: no classifier's, so the next run re-scores it whatever version it holds. The rest of it
# names the selection that marked it (see ``_marker``).
RESCORE_REQUESTED = "rescore-requested"


@dataclass(frozen=True)
class Selection:
    """Which stored documents a reclassification covers.

    Those whose classifier version is not ``version`` (every one with ``everything``), named by a
    mention of one of ``brands`` when brands are given, and timed since ``since`` when given.
    """

    version: str
    brands: tuple[str, ...] = ()
    since: datetime | None = None
    everything: bool = False


@dataclass(frozen=True, slots=True)
class ScoredMention:
    """A stored mention of a document: its brand, matched terms and own scores (None: none)."""

    id: int
    brand: str
    matched_terms: tuple[str, ...]
    sentiment: float | None
    tone: str | None


@dataclass(frozen=True, slots=True)
class ScoredDocument:
    """A stored document's text, what brand queries see of it, and the scores it holds now."""

    id: int
    title: str
    text: str
    lang: str | None
    sentiment: float
    tone: str
    version: str
    site: str | None = None
    author_name: str | None = None
    author_handle: str | None = None
    mentions: tuple[ScoredMention, ...] = ()
    url: str | None = None  # its canonical address, else the one collected


@dataclass(frozen=True, slots=True)
class MentionScores:
    """The scores to write over a mention's own (None: as its document)."""

    id: int
    sentiment: float | None
    tone: str | None


@dataclass(frozen=True, slots=True)
class NewScores:
    """The scores to write over a document's, if it still holds the version they replace."""

    id: int
    lang: str | None
    sentiment: float
    tone: str
    version: str
    replaces: str
    mentions: tuple[MentionScores, ...] = ()


def _conditions(connection: Connection, selection: Selection) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not selection.everything:
        conditions.append(document_table.c.classifier_version != selection.version)
    if selection.brands:
        # A brand not stored yet (configured, never collected) has no mention to re-score.
        brand_ids = select(brand_table.c.id).where(brand_table.c.name.in_(selection.brands))
        conditions.append(
            exists().where(
                mention_table.c.document_id == document_table.c.id,
                mention_table.c.brand_id.in_(brand_ids),
            )
        )
    if selection.since is not None:
        conditions.append(mention_time >= selection.since)
    return conditions


def _marker(selection: Selection) -> str:
    """The version a marking of the selection writes: ``rescore-requested:<brands>:<since>``."""
    return _brands_prefix(selection) + _since_key(selection)


def _brands_prefix(selection: Selection) -> str:
    """The marker's part naming the brands (hashed, sorted: in any order they are one)."""
    brands = "\n".join(sorted(selection.brands))
    key = hashlib.sha256(brands.encode()).hexdigest()[:16] if brands else "all"
    return f"{RESCORE_REQUESTED}:{key}:"


def _since_key(selection: Selection) -> str:
    """The marker's part naming ``since``: strings that sort as the times do; none, empty."""
    if selection.since is None:
        return ""
    # To the microsecond: a look-back a fraction of a second longer is not covered.
    return selection.since.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")


def marking_resumes_after(connection: Connection, selection: Selection) -> int:
    """The id after which ``reclassify --all`` marks the selection's documents for re-scoring.

    ``reclassify --all`` marks its documents first, in batches of ascending ids, then re-scores
    those not scored by the current version, in ascending ids too: stopped half-way through
    either, the next run (with or without ``--all``) goes on with the rest instead of starting
    over. The highest id marked by a marking that covered every document of this selection
    below it (the same brands, since the same time or earlier) is where marking stopped, or
    the last document of a marking that ended (re-scoring reaches it last). Marks of another
    selection are no such point: the documents below them that it left out were never marked.
    With none, everything is marked again.

    Finding the marks reads every document (no index on the version: every save would pay for
    one), once per ``--all`` run: about 0.3 s for 200,000 documents (a 1 GB SQLite file) once
    cached, against minutes to re-score them.
    """
    prefix, since = _brands_prefix(selection), _since_key(selection)
    markers = connection.execute(
        select(document_table.c.classifier_version)
        .where(document_table.c.classifier_version.startswith(prefix, autoescape=True))
        .distinct()
    ).scalars()
    # Compared here rather than in SQL: a collation of PostgreSQL may order them otherwise.
    covering = [marker for marker in markers if marker.removeprefix(prefix) <= since]
    if not covering:
        return 0
    everything = replace(selection, everything=True)
    query = select(func.max(document_table.c.id)).where(
        document_table.c.classifier_version.in_(covering),
        *_conditions(connection, everything),
    )
    return int(connection.execute(query).scalar() or 0)


def mark_for_rescoring(
    connection: Connection, selection: Selection, *, after: int, limit: int
) -> int | None:
    """Mark the next ``limit`` documents of the selection after id ``after`` as scored by no
    version (re-scored as outdated ones are); return the last id marked, None when done."""
    everything = replace(selection, everything=True)
    conditions = _conditions(connection, everything)
    last = connection.execute(
        select(func.max(document_table.c.id)).where(
            document_table.c.id.in_(
                select(document_table.c.id)
                .where(document_table.c.id > after, *conditions)
                .order_by(document_table.c.id)
                .limit(limit)
            )
        )
    ).scalar()
    if last is None:
        return None
    # The batch is the selection's documents in an id range: no list of ids to bind.
    in_batch = document_table.c.id.between(after + 1, last)
    connection.execute(
        update(document_table)
        .where(in_batch, *conditions)
        .values(classifier_version=_marker(selection))
    )
    return int(last)


def count_selected(connection: Connection, selection: Selection) -> int:
    """How many stored documents the selection covers."""
    query = select(func.count(document_table.c.id)).where(*_conditions(connection, selection))
    return int(connection.execute(query).scalar_one())


def read_selected(
    connection: Connection, selection: Selection, *, after: int, limit: int
) -> list[ScoredDocument]:
    """The next ``limit`` selected documents with an id above ``after``, in id order."""
    query = (
        select(
            document_table.c.id,
            document_table.c.title,
            document_table.c.text,
            document_table.c.lang,
            document_table.c.sentiment,
            document_table.c.tone,
            document_table.c.classifier_version,
            document_table.c.site,
            document_table.c.author_name,
            document_table.c.author_handle,
            func.coalesce(document_table.c.canonical_url, document_table.c.url).label("url"),
        )
        .where(document_table.c.id > after, *_conditions(connection, selection))
        .order_by(document_table.c.id)
        .limit(limit)
    )
    rows = list(connection.execute(query))
    mentions = _mentions_of(connection, [row.id for row in rows])
    return [
        ScoredDocument(
            row.id,
            row.title or "",
            row.text or "",
            row.lang,
            row.sentiment,
            row.tone,
            row.classifier_version,
            row.site,
            row.author_name,
            row.author_handle,
            tuple(mentions.get(row.id, ())),
            row.url,
        )
        for row in rows
    ]


def _mentions_of(connection: Connection, document_ids: list[int]) -> dict[int, list[ScoredMention]]:
    """The mentions of documents, by document id."""
    if not document_ids:
        return {}
    # The batch's id range, read through the (document_id, brand_id) index; the documents of
    # the range left out of the selection are dropped here.
    query = (
        select(
            mention_table.c.id,
            mention_table.c.document_id,
            brand_table.c.name,
            mention_table.c.matched_terms,
            mention_table.c.sentiment,
            mention_table.c.tone,
        )
        .join(brand_table, brand_table.c.id == mention_table.c.brand_id)
        .where(mention_table.c.document_id.between(document_ids[0], document_ids[-1]))
        .order_by(mention_table.c.id)
    )
    wanted = set(document_ids)
    found: dict[int, list[ScoredMention]] = {}
    for row in connection.execute(query):
        if row.document_id in wanted:
            mention = ScoredMention(
                row.id, row.name, tuple(row.matched_terms or ()), row.sentiment, row.tone
            )
            found.setdefault(row.document_id, []).append(mention)
    return found


def write_scores(connection: Connection, scores: Sequence[NewScores]) -> int:
    """Write new scores; return how many documents took them.

    A document re-scored by another run since it was read (its version is no longer the one
    these scores replace) keeps that run's scores; a removed one is skipped.
    """
    if not scores:
        return 0
    _write_mention_scores(connection, [m for score in scores for m in score.mentions])
    statement = (
        update(document_table)
        .where(
            document_table.c.id == bindparam("doc_id"),
            document_table.c.classifier_version == bindparam("old_version"),
        )
        .values(
            lang=bindparam("new_lang"),
            sentiment=bindparam("new_sentiment"),
            tone=bindparam("new_tone"),
            classifier_version=bindparam("new_version"),
        )
        .execution_options(synchronize_session=False)
    )
    result = connection.execute(
        statement,
        [
            {
                "doc_id": score.id,
                "old_version": score.replaces,
                "new_lang": score.lang,
                "new_sentiment": score.sentiment,
                "new_tone": score.tone,
                "new_version": score.version,
            }
            for score in scores
        ],
    )
    return int(result.rowcount)


def _write_mention_scores(connection: Connection, scores: Sequence[MentionScores]) -> None:
    """Write mentions' own sentiment and tone (None: as the document); removed ones are skipped."""
    if not scores:
        return
    statement = (
        update(mention_table)
        .where(mention_table.c.id == bindparam("mention_id"))
        .values(sentiment=bindparam("new_sentiment"), tone=bindparam("new_tone"))
        .execution_options(synchronize_session=False)
    )
    connection.execute(
        statement,
        [{"mention_id": s.id, "new_sentiment": s.sentiment, "new_tone": s.tone} for s in scores],
    )
