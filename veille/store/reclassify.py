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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, exists, func, select, update

from veille.store.queries import mention_time
from veille.store.schema import BrandRow, DocumentRow, MentionRow


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
class ScoredDocument:
    """A stored document's text and the scores it holds now."""

    id: int
    title: str
    text: str
    lang: str | None
    sentiment: float
    tone: str
    version: str


@dataclass(frozen=True, slots=True)
class NewScores:
    """The scores to write over a document's, if it still holds the version they replace."""

    id: int
    lang: str | None
    sentiment: float
    tone: str
    version: str
    replaces: str


def _conditions(connection: Connection, selection: Selection) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not selection.everything:
        conditions.append(DocumentRow.classifier_version != selection.version)
    if selection.brands:
        # A brand not stored yet (configured, never collected) has no mention to re-score.
        brand_ids = select(BrandRow.id).where(BrandRow.name.in_(selection.brands))
        conditions.append(
            exists().where(
                MentionRow.document_id == DocumentRow.id, MentionRow.brand_id.in_(brand_ids)
            )
        )
    if selection.since is not None:
        conditions.append(mention_time >= selection.since)
    return conditions


def count_selected(connection: Connection, selection: Selection) -> int:
    """How many stored documents the selection covers."""
    query = select(func.count(DocumentRow.id)).where(*_conditions(connection, selection))
    return int(connection.execute(query).scalar_one())


def read_selected(
    connection: Connection, selection: Selection, *, after: int, limit: int
) -> list[ScoredDocument]:
    """The next ``limit`` selected documents with an id above ``after``, in id order."""
    query = (
        select(
            DocumentRow.id,
            DocumentRow.title,
            DocumentRow.text,
            DocumentRow.lang,
            DocumentRow.sentiment,
            DocumentRow.tone,
            DocumentRow.classifier_version,
        )
        .where(DocumentRow.id > after, *_conditions(connection, selection))
        .order_by(DocumentRow.id)
        .limit(limit)
    )
    return [
        ScoredDocument(
            row.id,
            row.title or "",
            row.text or "",
            row.lang,
            row.sentiment,
            row.tone,
            row.classifier_version,
        )
        for row in connection.execute(query)
    ]


def write_scores(connection: Connection, scores: Sequence[NewScores]) -> int:
    """Write new scores; return how many documents took them.

    A document re-scored by another run since it was read (its version is no longer the one
    these scores replace) keeps that run's scores; a removed one is skipped.
    """
    if not scores:
        return 0
    statement = (
        update(DocumentRow)
        .where(
            DocumentRow.id == bindparam("doc_id"),
            DocumentRow.classifier_version == bindparam("old_version"),
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
