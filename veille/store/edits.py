"""Edits by a publisher: a stored document seen again, changed, in the feed that gave it.

An item keeps its identity (GUID, link) when its publisher corrects it: a headline rewritten
into a product recall must not stay stored under its first wording, nor a brand the new text
names be attached to text that does not name it. A document is only rewritten from the source
that stored it: another source giving the same page (a search result with the title alone,
say) would otherwise flip it between two versions at every pass. Its story stays its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, select, update

from veille.store.lookups import one_of_parameter, rows_for
from veille.store.schema import document_table, hashtag_table, mention_table

# What an edit replaces; the source, times, site and story stay those of the first sighting.
EDITED_COLUMNS = (
    "url",
    "title",
    "text",
    "author_name",
    "author_handle",
    "author_url",
    "lang",
    "sentiment",
    "tone",
    "classifier_version",
    "fingerprint",
)


@cache
def _stored_versions_query(dialect: str) -> Select[int, int, str | None]:
    return select(
        document_table.c.id, document_table.c.source_id, document_table.c.fingerprint
    ).where(one_of_parameter(dialect, document_table.c.id, "values"))


@cache
def _update_document() -> Any:
    values: dict[str, Any] = {column: bindparam(f"new_{column}") for column in EDITED_COLUMNS}
    return update(document_table).where(document_table.c.id == bindparam("doc_id")).values(values)


def update_edited_documents(
    connection: Connection, rows: Sequence[dict[str, Any]], stored_before: Mapping[str, int]
) -> frozenset[int]:
    """Rewrite the stored documents that these rows (``document_values``) show edited.

    ``stored_before``: the ids of the rows' identities stored before this save. A row edits its
    document when it comes from the document's own source with another content fingerprint;
    the last such row of a document wins. Return the ids of the documents rewritten.
    """
    candidates: dict[int, dict[str, Any]] = {}
    for row in rows:
        document_id = stored_before.get(row["identity"])
        if document_id is not None:
            candidates[document_id] = row
    if not candidates:
        return frozenset()
    query = _stored_versions_query(connection.dialect.name)
    edited = {
        document_id: candidates[document_id]
        for document_id, source_id, stored_fingerprint in rows_for(
            connection, query, "values", candidates
        )
        if candidates[document_id]["source_id"] == source_id
        and candidates[document_id]["fingerprint"] != stored_fingerprint
    }
    if not edited:
        return frozenset()
    connection.execute(
        _update_document(),
        [
            {"doc_id": document_id} | {f"new_{c}": row[c] for c in EDITED_COLUMNS}
            for document_id, row in edited.items()
        ],
    )
    # Imported here, as upsert_documents does: it needs the text normalisation.
    from veille.store.hashtags import save_hashtags

    ids = sorted(edited)
    connection.execute(delete(hashtag_table).where(hashtag_table.c.document_id.in_(ids)))
    save_hashtags(connection, {i: (edited[i]["title"] or "", edited[i]["text"] or "") for i in ids})
    return frozenset(edited)


@cache
def _update_mention() -> Any:
    return (
        update(mention_table)
        .where(
            mention_table.c.document_id == bindparam("doc_id"),
            mention_table.c.brand_id == bindparam("brand"),
        )
        .values(
            matched_terms=bindparam("terms"),
            sentiment=bindparam("brand_sentiment"),
            tone=bindparam("brand_tone"),
        )
    )


def update_mentions(connection: Connection, mentions: Sequence[dict[str, Any]]) -> None:
    """Give stored mentions of edited documents the terms and tone of the new text.

    ``mentions``: rows as ``insert_mentions`` builds them. Mentions of brands the new text no
    longer names are kept: they were true of the document as it was seen.
    """
    if mentions:
        connection.execute(
            _update_mention(),
            [
                {
                    "doc_id": row["document_id"],
                    "brand": row["brand_id"],
                    "terms": row["matched_terms"],
                    "brand_sentiment": row["sentiment"],
                    "brand_tone": row["tone"],
                }
                for row in mentions
            ],
        )
